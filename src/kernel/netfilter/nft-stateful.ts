// Expressions whose value depends on state or on a computation rather than on one header field:
// numgen (nft_numgen.c), jhash/symhash (nft_hash.c), value maps (nft_lookup.c with a dreg),
// shifts (nft_bitwise.c), quota (nft_quota.c). Each compiles once into a closure; state lives in
// the closure (one per rule, as the kernel keeps it in the expression's private data).

import type { Pkt } from './pkt.js';

type NumFn = (p: Pkt) => number;

/** nft_ng_inc_gen: the counter starts at modulus-1, so the first packet gets 0, then 1, ... mod-1, 0 */
export function numgenInc(mod: number, offset = 0): NumFn {
  let counter = mod - 1;
  return () => {
    counter = counter + 1 < mod ? counter + 1 : 0;
    return (counter + offset) >>> 0;
  };
}

const rol32 = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

/** the kernel's jhash() (include/linux/jhash.h) over `key`, reading words little-endian as x86 does */
export function jhash(key: Uint8Array, length: number, initval: number): number {
  let a = (0xdeadbeef + length + initval) >>> 0, b = a, c = a;
  let k = 0;
  const u32 = (i: number) => (key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24)) >>> 0;
  while (length > 12) {
    a = (a + u32(k)) >>> 0; b = (b + u32(k + 4)) >>> 0; c = (c + u32(k + 8)) >>> 0;
    // __jhash_mix
    a = (a - c) >>> 0; a = (a ^ rol32(c, 4)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rol32(a, 6)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rol32(b, 8)) >>> 0; b = (b + a) >>> 0;
    a = (a - c) >>> 0; a = (a ^ rol32(c, 16)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rol32(a, 19)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rol32(b, 4)) >>> 0; b = (b + a) >>> 0;
    length -= 12;
    k += 12;
  }
  if (length === 0) return c;
  const at = (i: number) => key[k + i] ?? 0;
  // the fall-through tail of jhash(): bytes beyond `length` add nothing
  const t = (i: number, sh: number) => (i < length ? (at(i) << sh) >>> 0 : 0);
  c = (c + t(11, 24) + t(10, 16) + t(9, 8) + t(8, 0)) >>> 0;
  b = (b + t(7, 24) + t(6, 16) + t(5, 8) + t(4, 0)) >>> 0;
  a = (a + t(3, 24) + t(2, 16) + t(1, 8) + t(0, 0)) >>> 0;
  // __jhash_final
  c = (c ^ b) >>> 0; c = (c - rol32(b, 14)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol32(c, 11)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol32(a, 25)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 16)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol32(c, 4)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol32(a, 14)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 24)) >>> 0;
  return c;
}

/** reciprocal_scale(val, ep_ro): ((u64)val * ep_ro) >> 32 */
export function reciprocalScale(val: number, n: number): number {
  return Number((BigInt(val >>> 0) * BigInt(n >>> 0)) >> 32n);
}

/**
 * nft_jhash_eval over the key's register bytes (each part at a 4-byte aligned slot, zero padded, as
 * nft lays out a concatenation). `parts` read each part's bytes into the buffer (false: NFT_BREAK).
 */
export function jhashLoad(parts: { len: number; read: (p: Pkt, buf: Uint8Array, at: number) => boolean }[], mod: number, seed: number, offset = 0): NumFn {
  const single = parts.length === 1;
  const total = single ? parts[0]!.len : parts.reduce((a, x) => a + Math.ceil(x.len / 4) * 4, 0);
  const buf = new Uint8Array(Math.ceil(total / 4) * 4 + 16);
  return (p) => {
    buf.fill(0);
    let at = 0;
    for (const part of parts) {
      if (!part.read(p, buf, at)) return -1;
      at += Math.ceil(part.len / 4) * 4;
    }
    return (reciprocalScale(jhash(buf, total, seed), mod) + offset) >>> 0;
  };
}

/** nft_quota: the packet's length is added, then `consumed > quota` (xor over) decides */
export function quotaPred(bytes: number, over: boolean, used: number, len: (p: Pkt) => number): (p: Pkt) => boolean {
  let consumed = used;
  return (p) => {
    consumed += len(p);
    return consumed > bytes === over;
  };
}

/**
 * The elements a rule set adds from the packet path (nft_dynset): key -> expiry (capture seconds,
 * Infinity without a timeout) and the element's own statements (a meter's per-key limit), made
 * when the element is created, as the kernel clones the set's expressions into the new element.
 */
export class DynStore {
  readonly map = new Map<number | string, { exp: number; stmts: ((p: Pkt) => boolean)[] }>();
  has(k: number | string, now: number): boolean {
    const e = this.map.get(k);
    if (!e) return false;
    if (e.exp <= now) { this.map.delete(k); return false; }
    return true;
  }
  /** drop the expired elements (the set's garbage collection), when the set looks full */
  purge(now: number): void {
    for (const [k, e] of this.map) if (e.exp <= now) this.map.delete(k);
  }
}

/**
 * nft_dynset_eval: add (no refresh of an existing element), update (refresh its timeout), delete;
 * then the element's statements. A new element needs room: nft_dynset_new fails when the set
 * holds `size` elements (atomic_add_unless(&set->nelems, 1, set->size)) and the rule ends with
 * NFT_BREAK. Expired elements leave room here at once; the kernel frees them at its next gc run.
 */
export function dynsetPred(op: 'add' | 'update' | 'delete', store: DynStore, key: (p: Pkt) => number | string | null, timeoutS: number, makeStmts: () => ((p: Pkt) => boolean)[], room = Infinity): (p: Pkt) => boolean {
  return (p) => {
    const k = key(p);
    if (k === null) return false;
    const now = p.now;
    if (op === 'delete') { store.map.delete(k); return true; }
    let e = store.has(k, now) ? store.map.get(k)! : undefined;
    if (!e) {
      if (store.map.size >= room) {
        store.purge(now);
        if (store.map.size >= room) return false; // set full: NFT_BREAK
      }
      e = { exp: now + timeoutS, stmts: makeStmts() };
      store.map.set(k, e);
    } else if (op === 'update') e.exp = now + timeoutS;
    for (const s of e.stmts) if (!s(p)) return false;
    return true;
  };
}

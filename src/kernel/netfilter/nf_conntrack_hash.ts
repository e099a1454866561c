// The conntrack hash table (nf_conntrack_hash, hash_conntrack_raw): tuples are hashed as numbers
// (jhash-like mixing of the tuple's words), with no key string made per packet. Each key (zone +
// tuple of one direction) holds one { ct, dir }; the keys also sit in one list in insertion order,
// so walking the table (early_drop's "oldest first") sees them in the order a Map would.

import type { NfConn, Tuple } from './nf_conntrack.js';

export interface CtHashNode {
  ct: NfConn;
  dir: number;
  /** the key, kept in the node (compared without following ct.tuple) */
  src: number | string;
  dst: number | string;
  /** sport << 16 | dport */
  ports: number;
  /** zone, l3 and proto in one number */
  zlp: number;
  /** next node of the same bucket */
  hnext: CtHashNode | null;
  /** insertion-order list */
  prev: CtHashNode | null;
  next: CtHashNode | null;
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return (h ^ (h >>> 15)) | 0;
}

function mixAddr(h: number, a: number | string): number {
  if (typeof a === 'number') return mix(h, a | 0);
  // an IPv6 address: 16 bytes as a binary string, taken 2 bytes at a time
  for (let i = 0; i < a.length; i += 2) h = mix(h, (a.charCodeAt(i) << 8) | a.charCodeAt(i + 1));
  return h;
}

/** the bucket of a key: a small integer (a Map key V8 keeps unboxed) */
export function ctHash(t: Tuple, zone: number): number {
  let h = mix(zone, (t.l3 << 8) | t.proto);
  h = mixAddr(h, t.src);
  h = mixAddr(h, t.dst);
  h = mix(h, (t.sport << 16) | t.dport);
  return h & 0x3fffffff;
}

function zlp(t: Tuple, zone: number): number {
  return zone * 65536 + t.l3 * 256 + t.proto;
}

function sameKey(n: CtHashNode, t: Tuple, zone: number): boolean {
  return n.ports === ((t.sport << 16) | t.dport) && n.src === t.src && n.dst === t.dst && n.zlp === zlp(t, zone);
}

export class CtHashTable {
  private buckets = new Map<number, CtHashNode>();
  private head: CtHashNode | null = null;
  private tail: CtHashNode | null = null;

  get(t: Tuple, zone: number): CtHashNode | undefined {
    for (let n = this.buckets.get(ctHash(t, zone)) ?? null; n !== null; n = n.hnext) if (sameKey(n, t, zone)) return n;
    return undefined;
  }

  /** the key of `ct.tuple[dir]` holds { ct, dir } from now on (an existing key keeps its place in the order) */
  set(ct: NfConn, dir: number): void {
    const t = ct.tuple[dir];
    const h = ctHash(t, ct.zone);
    const first = this.buckets.get(h) ?? null;
    for (let n = first; n !== null; n = n.hnext) {
      if (sameKey(n, t, ct.zone)) {
        n.ct = ct;
        n.dir = dir;
        return;
      }
    }
    const node: CtHashNode = { ct, dir, src: t.src, dst: t.dst, ports: (t.sport << 16) | t.dport, zlp: zlp(t, ct.zone), hnext: first, prev: this.tail, next: null };
    this.buckets.set(h, node);
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
  }

  /** removes the key; true when it was there */
  delete(t: Tuple, zone: number): boolean {
    const h = ctHash(t, zone);
    let prevInBucket: CtHashNode | null = null;
    for (let n = this.buckets.get(h) ?? null; n !== null; prevInBucket = n, n = n.hnext) {
      if (!sameKey(n, t, zone)) continue;
      if (prevInBucket) prevInBucket.hnext = n.hnext;
      else if (n.hnext) this.buckets.set(h, n.hnext);
      else this.buckets.delete(h);
      if (n.prev) n.prev.next = n.next;
      else this.head = n.next;
      if (n.next) n.next.prev = n.prev;
      else this.tail = n.prev;
      n.prev = n.next = n.hnext = null;
      return true;
    }
    return false;
  }

  /** the first node in insertion order for which `pick` is true */
  find(pick: (n: CtHashNode) => boolean): CtHashNode | undefined {
    for (let n = this.head; n !== null; n = n.next) if (pick(n)) return n;
    return undefined;
  }
}

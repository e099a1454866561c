// Address texts for the summaries, remembered: a capture repeats the same few addresses in
// millions of frames, and building "10.0.1.7" costs several string allocations each time.
// Direct-mapped caches (a slot per hash of the address, the last address wins) keep the memory
// fixed; the text is whatever addr.ts makes, so a cached and an uncached line are the same.

import { ipv4BytesToString, ipv6ToString } from './addr.js';

const V4_SLOTS = 4096;
const v4Key = new Int32Array(V4_SLOTS);
const v4Text: (string | undefined)[] = new Array<string | undefined>(V4_SLOTS).fill(undefined);

/** 4 bytes at b[o] as a dotted quad */
export function ipv4Text(b: Uint8Array, o: number): string {
  const a = (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
  const i = (Math.imul(a, 0x9e3779b1) >>> 20) & (V4_SLOTS - 1);
  const t = v4Text[i];
  if (t !== undefined && v4Key[i] === a) return t;
  const s = ipv4BytesToString(b, o);
  v4Key[i] = a;
  v4Text[i] = s;
  return s;
}

const V6_SLOTS = 4096;
const v6Key = new Int32Array(V6_SLOTS * 4);
const v6Text: (string | undefined)[] = new Array<string | undefined>(V6_SLOTS).fill(undefined);

/** 16 bytes at b[o] as RFC 5952 text (addr.ts ipv6ToString) */
export function ipv6Text(b: Uint8Array, o: number): string {
  const w0 = (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
  const w1 = (b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7];
  const w2 = (b[o + 8] << 24) | (b[o + 9] << 16) | (b[o + 10] << 8) | b[o + 11];
  const w3 = (b[o + 12] << 24) | (b[o + 13] << 16) | (b[o + 14] << 8) | b[o + 15];
  const i = (Math.imul(w0 ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ Math.imul(w3, 0x9e3779b1), 0x27d4eb2f) >>> 20) & (V6_SLOTS - 1);
  const k = i << 2;
  const t = v6Text[i];
  if (t !== undefined && v6Key[k] === w0 && v6Key[k + 1] === w1 && v6Key[k + 2] === w2 && v6Key[k + 3] === w3) return t;
  const s = ipv6ToString(b, o);
  v6Key[k] = w0; v6Key[k + 1] = w1; v6Key[k + 2] = w2; v6Key[k + 3] = w3;
  v6Text[i] = s;
  return s;
}

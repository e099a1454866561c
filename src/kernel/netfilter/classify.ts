// Per-chain candidate sets ("bit-vector" classification, as nft's pipapo sets do per field):
// for the header fields many rules of a chain bound (saddr, daddr, l4proto, ports, the input
// and output interface), the value line of each field is cut at every rule's bounds; each piece
// holds the bit set of the rules that piece can satisfy (rules that do not bound the field are in
// every piece). When the walk enters the chain, the packet's piece of each field is found by
// binary search and the sets are ANDed: the walk then visits only the rules in the result, in
// order. A rule left out has a side-effect-free conjunct (before any statement) that the packet
// fails, so its linear evaluation would have had no effect: the verdict, the trace and the
// unsupported marking stay what the linear walk of nft_do_chain gives.

import type { Pkt } from './pkt.js';
import { NFPROTO_IPV4 } from './hook.js';

type NumFn = (p: Pkt) => number;

/** one field's bound of one rule: the rule can match only when lo <= load(p) <= hi */
export interface FieldBound {
  sig: string;
  load: NumFn;
  lo: number;
  hi: number;
  /** the load is `ip` header bytes [off, off + 4) (saddr 12, daddr 16): read in place, no call */
  ip4At?: number;
}

export interface Classifier {
  /** rules in the chain; words per bit set */
  n: number;
  W: number;
  K: number;
  loads: NumFn[];
  /** per field: the IPv4 header offset of a 4-byte address field read in place, or -1 (use loads) */
  ip4At: Int32Array;
  /** per field: the start of each piece (starts[0] = -Infinity), ascending */
  starts: Float64Array[];
  /** per field: piece j's rule set at [j * W, (j + 1) * W) */
  rows: Uint32Array[];
  /** the packet's candidates in this chain (filled when the walk enters it) */
  cand: Uint32Array;
}

const MIN_RULES = 8;
const MAX_FIELDS = 6;
/** words of bit sets one field may take (1014 rules x 2029 pieces is ~64 k words) */
const MAX_WORDS = 1 << 20;

/** the classifier of a chain whose rules bound fields (`bounds[i]`: rule i's), or null when it would not pay */
export function buildClassifier(bounds: FieldBound[][]): Classifier | null {
  const n = bounds.length;
  if (n < MIN_RULES) return null;
  const count = new Map<string, { n: number; load: NumFn; ip4At: number }>();
  for (const bs of bounds) {
    const seen = new Set<string>();
    for (const b of bs) {
      if (seen.has(b.sig)) continue;
      seen.add(b.sig);
      const c = count.get(b.sig);
      if (c) c.n++;
      else count.set(b.sig, { n: 1, load: b.load, ip4At: b.ip4At ?? -1 });
    }
  }
  // fields bound by at least an eighth of the rules (and two), the most bound first
  const fields = [...count.entries()].filter(([, c]) => c.n >= 2 && c.n * 8 >= n).sort((a, b) => b[1].n - a[1].n);
  const W = (n + 31) >>> 5;
  const loads: NumFn[] = [], ip4At: number[] = [], starts: Float64Array[] = [], rows: Uint32Array[] = [];
  for (const [sig, c] of fields) {
    if (loads.length === MAX_FIELDS) break;
    // each rule's [lo, hi] on this field (several bounds on one field: their intersection)
    const lo = new Float64Array(n).fill(-Infinity), hi = new Float64Array(n).fill(Infinity);
    const bound = new Uint8Array(n);
    bounds.forEach((bs, i) => {
      for (const b of bs) {
        if (b.sig !== sig) continue;
        bound[i] = 1;
        lo[i] = Math.max(lo[i]!, b.lo);
        hi[i] = Math.min(hi[i]!, b.hi);
      }
    });
    const cuts = new Set<number>([-Infinity]);
    for (let i = 0; i < n; i++) if (bound[i]) { cuts.add(lo[i]!); cuts.add(hi[i]! + 1); }
    const st = Float64Array.from([...cuts].sort((a, b) => a - b));
    const P = st.length;
    if (P * W > MAX_WORDS) continue;
    const row = new Uint32Array(P * W);
    const piece = (v: number) => upper(st, v) - 1;
    for (let i = 0; i < n; i++) {
      const w = i >>> 5, bit = 1 << (i & 31);
      // an empty intersection (lo > hi) is in no piece: the rule can never match
      const [j0, j1] = !bound[i] ? [0, P] : lo[i]! > hi[i]! ? [0, 0] : [piece(lo[i]!), piece(hi[i]! + 1)];
      for (let j = j0; j < j1; j++) row[j * W + w]! |= bit;
    }
    loads.push(c.load);
    ip4At.push(c.ip4At);
    starts.push(st);
    rows.push(row);
  }
  if (loads.length === 0) return null;
  return { n, W, K: loads.length, loads, ip4At: Int32Array.from(ip4At), starts, rows, cand: new Uint32Array(W) };
}

/** index of the first start > v (starts[0] = -Infinity, so >= 1) */
function upper(st: Float64Array, v: number): number {
  let a = 0, b = st.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (st[m]! <= v) a = m + 1;
    else b = m;
  }
  return a;
}

/** the packet's candidate rules of the chain into c.cand */
export function classify(c: Classifier, p: Pkt): void {
  const W = c.W, cand = c.cand;
  for (let k = 0; k < c.K; k++) {
    const st = c.starts[k]!, row = c.rows[k]!;
    // an IPv4 address: the same value as its load (-1 when the packet is not IPv4 or too short)
    const at = c.ip4At[k]!;
    let v: number;
    if (at >= 0) {
      const nh = p.nh, o = nh + at, d = p.d;
      v = p.nfproto !== NFPROTO_IPV4 || nh < 0 || o + 4 > p.end ? -1 : ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
    } else v = c.loads[k]!(p);
    const o = (upper(st, v) - 1) * W;
    if (k === 0) for (let w = 0; w < W; w++) cand[w] = row[o + w]!;
    else for (let w = 0; w < W; w++) cand[w]! &= row[o + w]!;
  }
}

/** the first candidate rule at or after i (n when none) */
export function nextCandidate(c: Classifier, i: number): number {
  const cand = c.cand, W = c.W;
  let w = i >>> 5;
  if (w >= W) return c.n;
  let bits = cand[w]! & (-1 << (i & 31));
  while (bits === 0) {
    if (++w >= W) return c.n;
    bits = cand[w]!;
  }
  return (w << 5) + 31 - Math.clz32(bits & -bits);
}

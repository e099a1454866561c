// A bounded memo of input-route results (the part of the kernel's per-nexthop cached rtable,
// nhc_rth_input / rt6i_pcpu, that matters to the model: not redoing a lookup whose answer cannot
// have changed). The FIB, the local addresses and the sysctls are fixed for a whole replay, so
// ip_route_input_noref and ip6_route_input are pure functions of the flow key; a result is kept
// only when computing it left no other trace on the frame (no "unsupported" note), and only used
// when the timeline is off (the timeline wants the lookup's own steps).
//
// Two-way set-associative like a CPU cache: a key's set is a hash of its words; a new key
// replaces the less recently used of the two. Memory is fixed (slots x words int32), a miss only
// costs the lookup.

export class RouteMemo<T> {
  /** the caller writes the key here (all `words` entries) before get()/set() */
  readonly k: Int32Array;
  private readonly keys: Int32Array;
  private readonly vals: (T | undefined)[];
  /** per set: which way was used last */
  private readonly lru: Uint8Array;
  private readonly mask: number;
  private set0 = 0;

  constructor(readonly words: number, setsLog2 = 11) {
    const n = 1 << setsLog2;
    this.mask = n - 1;
    this.k = new Int32Array(words);
    this.keys = new Int32Array(2 * n * words);
    this.vals = new Array<T | undefined>(2 * n).fill(undefined);
    this.lru = new Uint8Array(n);
  }

  /** the result stored for key `k`, or undefined; remembers the set for a set() that follows */
  get(): T | undefined {
    const k = this.k;
    const w = this.words;
    let h = 0x811c9dc5 | 0;
    for (let i = 0; i < w; i++) h = Math.imul(h ^ k[i], 0x01000193);
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995);
    h ^= h >>> 15;
    const set = (this.set0 = h & this.mask);
    for (let way = 0; way < 2; way++) {
      const slot = 2 * set + way;
      const v = this.vals[slot];
      if (v === undefined) continue;
      const base = slot * w;
      let i = 0;
      while (i < w && this.keys[base + i] === k[i]) i++;
      if (i === w) {
        this.lru[set] = way;
        return v;
      }
    }
    return undefined;
  }

  /** store `v` for the key of the last get(), in the way not used last */
  set(v: T): void {
    const set = this.set0;
    const way = this.lru[set] ^ 1;
    const slot = 2 * set + way;
    this.keys.set(this.k, slot * this.words);
    this.vals[slot] = v;
    this.lru[set] = way;
  }
}

// A bounded memo of input-route results (the part of the kernel's per-nexthop cached rtable,
// nhc_rth_input / rt6i_pcpu, that matters to the model: not redoing a lookup whose answer cannot
// have changed). The FIB, the local addresses and the sysctls are fixed for a whole replay, so
// ip_route_input_noref and ip6_route_input are pure functions of the flow key; a result is kept
// only when computing it left no other trace on the frame (no "unsupported" note). With the
// timeline on, the steps the lookup added to it are kept with the result and added again on a hit
// (they are functions of the same key; events are never changed once made).
//
// Two-way set-associative like a CPU cache: a key's set is a hash of its words; a new key
// replaces the less recently used of the two. Memory is fixed (slots x words int32), a miss only
// costs the lookup.

import type { FrameCtx } from '../ctx.js';
import type { TimelineEvent } from '../fate.js';
import { sharedEvent } from '../fate.js';

export class RouteMemo<T> {
  /** the caller writes the key here (all `words` entries) before get()/set() */
  readonly k: Int32Array;
  // allocated on the first set(): a namespace that never routes a packet costs nothing
  private keys: Int32Array | null = null;
  private vals: (T | undefined)[] = [];
  /** per set: which way was used last */
  private lru: Uint8Array | null = null;
  private readonly mask: number;
  private set0 = 0;

  /** indexes of the key words hashed (default: all) */
  private readonly hashWords: Int32Array;

  constructor(readonly words: number, hashWords?: number[], setsLog2 = 11) {
    this.mask = (1 << setsLog2) - 1;
    this.k = new Int32Array(words);
    this.hashWords = Int32Array.from(hashWords ?? Array.from({ length: words }, (_, i) => i));
  }

  /** the result stored for key `k`, or undefined; remembers the set for a set() that follows */
  get(): T | undefined {
    const k = this.k;
    const w = this.words;
    // the set from the words that vary most (see the constructor's `hashWords`); all are compared
    const hw = this.hashWords;
    let h = 0x811c9dc5 | 0;
    for (let i = 0; i < hw.length; i++) h = Math.imul(h ^ k[hw[i]], 0x01000193);
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995);
    h ^= h >>> 15;
    const set = (this.set0 = h & this.mask);
    const keys = this.keys;
    if (keys === null) return undefined;
    for (let way = 0; way < 2; way++) {
      const slot = 2 * set + way;
      const v = this.vals[slot];
      if (v === undefined) continue;
      const base = slot * w;
      let i = 0;
      while (i < w && keys[base + i] === k[i]) i++;
      if (i === w) {
        this.lru![set] = way;
        return v;
      }
    }
    return undefined;
  }

  /** store `v` for the key of the last get(), in the way not used last */
  set(v: T): void {
    const n = this.mask + 1;
    if (this.keys === null) {
      this.keys = new Int32Array(2 * n * this.words);
      this.vals = new Array<T | undefined>(2 * n).fill(undefined);
      this.lru = new Uint8Array(n);
    }
    const set = this.set0;
    const way = this.lru![set] ^ 1;
    const slot = 2 * set + way;
    this.keys.set(this.k, slot * this.words);
    this.vals[slot] = v;
    this.lru![set] = way;
  }

  /** forget everything (tests compare against the uncached lookup) */
  clear(): void {
    this.vals.fill(undefined);
  }
}

/** what the memo keeps per flow key: the route (or drop reason) and the timeline steps of finding it */
export interface RouteMemoEntry<T> {
  rt: T;
  evs: readonly TimelineEvent[];
}

const NO_EVENTS: readonly TimelineEvent[] = [];
const routeNotes: string[] = [];

/** a hit: the timeline gets the lookup's steps again */
export function routeMemoHit<T>(hit: RouteMemoEntry<T>, ctx: FrameCtx): T {
  const evs = hit.evs;
  for (let i = 0; i < evs.length; i++) ctx.events.push(evs[i]);
  return hit.rt;
}

/** a miss after memo.get(): compute with `slow` and keep the answer when it noted nothing unsupported */
export function routeMemoMiss<T>(memo: RouteMemo<RouteMemoEntry<T>>, ctx: FrameCtx, slow: () => T): T {
  // a result that depends on something the model does not evaluate says so on every frame: not kept
  const seen = ctx.unsupported;
  const notes = (ctx.unsupported = routeNotes);
  notes.length = 0;
  const evFrom = ctx.events.length;
  let rt: T;
  try {
    rt = slow();
  } finally {
    ctx.unsupported = seen;
  }
  // the steps are shared by every frame of the key from now on: frozen (fateToJSON knows them by identity)
  if (notes.length === 0) memo.set({ rt, evs: ctx.tracing && ctx.events.length > evFrom ? ctx.events.slice(evFrom).map(sharedEvent) : NO_EVENTS });
  else for (const u of notes) if (!seen.includes(u)) seen.push(u);
  return rt;
}

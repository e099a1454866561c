// Rows of the timeline, kept outside React state: a plain growing columnar store, so a
// 1 M-frame capture costs a few typed arrays and pools, not a million objects. A record is
// kept encoded (row-encoder.ts): its events as ids into a dictionary of distinct events (frames
// of one path share all but a few), the step made afresh per frame as its text in a byte pool,
// the rest as ids of distinct values; what does not fit the bounded dictionaries is kept as JSON
// in an off-heap pool. record(i) builds the object back for the detail pane and the filters.
// Keeping the records themselves (as the first version did) cost 2.2 GB and 16 s of GC on the
// 1 M-frame real replay. Rows come in batches (appendBatch): from a RowEncoder in the replay
// worker, or from add(), which encodes one item here.
import type { FateKind, FateRecord, TimelineEvent } from '../kernel/fate.js';
import type { ReplayItem } from '../replay-types.js';
import { EV_PLAIN, FATE_DROPPED, FATE_OTHER, FATES, RowEncoder, type Rest, type RowBatch } from './row-encoder.js';

export { FATES, FATE_OTHER, HEAD_BYTES } from './row-encoder.js';

/** the row offsets into the pools are Uint32 */
const MAX_POOL = 0xffffffff;

/**
 * Append-only bytes in fixed 4 MiB chunks, addressed by one running offset: growing never copies
 * what is in (a doubling buffer held the old and the new copy at once, and up to twice the size
 * needed). An entry crossing a chunk boundary is split; reading it back joins the parts.
 */
const CHUNK = 1 << 22;
class BytePool {
  private chunks: Buffer[] = [];
  used = 0;

  private room(n: number): void {
    while (this.used + n > this.chunks.length * CHUNK) this.chunks.push(Buffer.allocUnsafe(CHUNK));
  }

  /** appends a string as UTF-8, returns the start offset */
  addText(t: string): number {
    const at = this.used;
    const off = at % CHUNK;
    const c = Math.floor(at / CHUNK);
    // a UTF-8 character is at most 3 bytes per UTF-16 unit
    if (c < this.chunks.length && off + t.length * 3 <= CHUNK) this.used += this.chunks[c].write(t, off, 'utf8');
    else this.addBytes(Buffer.from(t, 'utf8'));
    return at;
  }

  /** appends bytes, returns the start offset */
  addBytes(b: Uint8Array): number {
    const at = this.used;
    this.room(b.length);
    for (let k = 0; k < b.length; ) {
      const pos = this.used % CHUNK;
      const n = Math.min(b.length - k, CHUNK - pos);
      this.chunks[Math.floor(this.used / CHUNK)].set(b.subarray(k, k + n), pos);
      k += n;
      this.used += n;
    }
    return at;
  }

  bytes(from: number, to: number): Uint8Array {
    if (to <= from) return new Uint8Array(0);
    const c = Math.floor(from / CHUNK);
    if (c === Math.floor((to - 1) / CHUNK)) return this.chunks[c].subarray(from % CHUNK, from % CHUNK + (to - from));
    const out = Buffer.allocUnsafe(to - from);
    for (let k = from; k < to; ) {
      const pos = k % CHUNK;
      const n = Math.min(to - k, CHUNK - pos);
      this.chunks[Math.floor(k / CHUNK)].copy(out, k - from, pos, pos + n);
      k += n;
    }
    return out;
  }

  text(from: number, to: number): string {
    const b = this.bytes(from, to);
    return Buffer.isBuffer(b) ? b.toString('utf8') : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
  }
}

/** append-only Int32 values in 1 Mi-entry chunks (no copy, no spare half when growing) */
const ID_CHUNK = 1 << 20;
class IdPool {
  // ids of the bounded event dictionary (< 64 k) fit 16 bits: half the memory of 32-bit ids
  // (~10 events a frame: 20 MB less on a million frames); the rest (JSON-pool entries, negative)
  // are kept beside, by position
  private chunks: Uint16Array[] = [];
  private wide = new Map<number, number>();
  private n = 0;
  /** ids[from..to) */
  pushAll(ids: Int32Array, from: number, to: number): void {
    for (let j = from; j < to; j++) {
      const c = this.n >>> 20;
      if (c === this.chunks.length) this.chunks.push(new Uint16Array(ID_CHUNK));
      const v = ids[j];
      const at = this.n & (ID_CHUNK - 1);
      if (v >= 0 && v < PLAIN16) this.chunks[c][at] = v;
      else if (v === EV_PLAIN) this.chunks[c][at] = PLAIN16;
      else {
        this.chunks[c][at] = WIDE;
        this.wide.set(this.n, v);
      }
      this.n++;
    }
  }
  get(k: number): number {
    const v = this.chunks[k >>> 20][k & (ID_CHUNK - 1)];
    return v < PLAIN16 ? v : v === PLAIN16 ? EV_PLAIN : this.wide.get(k)!;
  }
}
const WIDE = 0xffff;
/** a plain step (row-encoder.ts EV_PLAIN): the row's next entry of the plain pool */
const PLAIN16 = 0xfffe;

/** rows before the capacity at which growAhead() starts: 8 of the worker's largest batches
 *  (replay-worker.ts), dozens of pump slices for the 16 columns */
const GROW_AHEAD_ROWS = 8 * 4096;

/** append-only Uint32 values, growing by doubling */
class U32List {
  a = new Uint32Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Uint32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
}

export class RowStore {
  count = 0;
  tsSec = new Float64Array(1024);
  tsNsec = new Uint32Array(1024);
  fate = new Uint8Array(1024);
  /** index into `reasons` (0 = none) */
  reason = new Uint16Array(1024);
  /** index into `ifaces` (0 = unknown) */
  iface = new Uint16Array(1024);
  frameNo = new Uint32Array(1024);
  /** offsets into `head` of each frame's first HEAD_BYTES bytes (when the source gives bytes) */
  headOff = new Uint32Array(1025);
  private head = new BytePool();
  linktype = new Uint16Array(1024);
  /** summaries as UTF-8 in one pool: no per-frame string for the GC to trace */
  private sumPool = new BytePool();
  sumOff = new Uint32Array(1025);
  /** per row: its event ids, evIds[evOff[i]] .. evIds[evOff[i+1]] (row-encoder.ts: >= 0 the
   *  dictionary, EV_PLAIN the row's next plain step, below that the JSON pool) */
  private evOff = new Uint32Array(1025);
  private evIds = new IdPool();
  private evCount = 0;
  private evDict: TimelineEvent[] = [];
  private evJson = new BytePool();
  private evJsonOff: number[] = [];
  /** plain steps ({fn, what}): function id (16 bits LE) then the text, entry k at plainOff[k]..plainOff[k+1] */
  private plainPool = new BytePool();
  private plainOff = new U32List();
  /** per row: its first plain step's entry */
  private plainRow = new Uint32Array(1024);
  private fns: string[] = [];
  /** per row: id of its Rest (egress, verdicts, socket, unsupported); < 0: JSON pool entry -(k+1) */
  private restId = new Int32Array(1024);
  private restDict: Rest[] = [{}];
  private restJson = new BytePool();
  private restJsonOff: number[] = [];
  /** per row: the kernel's replies as JSON (most frames have none: empty range) */
  private repOff = new Uint32Array(1025);
  private repJson = new BytePool();
  /** per row: the frame number this outbound frame is the capture's copy of (0: none) */
  copyOf = new Int32Array(1024);
  /** frame number -> frame numbers of its outbound copies (the pair the timeline shows) */
  copies = new Map<number, number[]>();
  /** per row: the result rests on something the model does not support */
  unsup = new Uint8Array(1024);
  /** per row: it has conntrack/NAT events (the detail's conntrack index visits only these) */
  hasCt = new Uint8Array(1024);
  reasons: string[] = [''];
  ifaces: string[] = [''];
  /** rows of dropped frames, ascending (n/N jump without scanning the rows between) */
  drops: number[] = [];
  /** frames per fate code (FATES order, then other) */
  fateCounts = new Array<number>(FATES.length + 1).fill(0);
  reasonCounts = new Map<string, number>();
  ruleHits = new Map<string, number>();
  /** unusual fate strings seen (FATE_OTHER rows) */
  otherFates = new Map<string, number>();
  /** the fate string of each FATE_OTHER row (rare) */
  private otherFateOf = new Map<number, string>();
  firstTs: number | null = null;
  /** frames whose result depends on something the model does not support */
  unsupportedCount = 0;
  /** encodes the items given to add() (batches from a worker come encoded) */
  private enc: RowEncoder | null = null;

  /** one item, encoded here */
  add(item: ReplayItem): void {
    const e = (this.enc ??= new RowEncoder());
    e.add(item);
    this.appendBatch(e.take(false));
  }

  /** rows encoded by a RowEncoder (this store's batches all come from one encoder) */
  appendBatch(b: RowBatch): void {
    const n = b.n;
    const at = this.count;
    while (at + n > this.cap) this.grow();
    // dictionary entries first: the rows refer to them
    for (const s of b.reasons) this.reasons.push(s);
    for (const s of b.ifaces) this.ifaces.push(s);
    for (const s of b.fns) this.fns.push(s);
    for (const e of b.events) this.evDict.push(e);
    for (const j of b.evJson) this.evJsonOff.push(this.evJson.addText(j), this.evJson.used);
    for (const r of b.rests) this.restDict.push(r);
    for (const j of b.restJson) this.restJsonOff.push(this.restJson.addText(j), this.restJson.used);
    for (const [k, c] of b.ruleHits) this.ruleHits.set(k, (this.ruleHits.get(k) ?? 0) + c);
    for (const [row, f] of b.otherFates) {
      this.otherFates.set(f, (this.otherFates.get(f) ?? 0) + 1);
      this.otherFateOf.set(at + row, f);
    }
    const sum0 = this.sumPool.used, head0 = this.head.used, rep0 = this.repJson.used, ev0 = this.evCount;
    this.sumPool.addBytes(b.sum);
    this.head.addBytes(b.head);
    this.repJson.addBytes(b.rep);
    // plain steps: their offsets, rebased to the pool
    const plain0 = this.plainPool.used;
    let plainAt = this.plainOff.n;
    if (plainAt === 0) this.plainOff.push(0);
    else plainAt--;
    for (let k = 0; k < b.plainCount; k++) this.plainOff.push(plain0 + b.plainEnd[k]);
    this.plainPool.addBytes(b.plain);
    for (let k = 0; k < n; k++) {
      const i = at + k;
      const tsSec = b.tsSec[k], tsNsec = b.tsNsec[k];
      this.tsSec[i] = tsSec;
      this.tsNsec[i] = tsNsec;
      if (this.firstTs === null) this.firstTs = tsSec + tsNsec / 1e9;
      this.frameNo[i] = b.frameNo[k];
      const fc = b.fate[k];
      this.fate[i] = fc;
      this.fateCounts[fc]++;
      if (fc === FATE_DROPPED) this.drops.push(i);
      const copyOf = b.copyOf[k];
      this.copyOf[i] = copyOf;
      if (copyOf !== 0) {
        const l = this.copies.get(copyOf);
        if (l) l.push(b.frameNo[k]);
        else this.copies.set(copyOf, [b.frameNo[k]]);
      }
      const rc = b.reason[k];
      this.reason[i] = rc;
      if (rc !== 0) {
        const r = this.reasons[rc];
        this.reasonCounts.set(r, (this.reasonCounts.get(r) ?? 0) + 1);
      }
      this.iface[i] = b.iface[k];
      this.linktype[i] = b.linktype[k];
      this.unsup[i] = b.unsup[k];
      this.unsupportedCount += b.unsup[k];
      this.hasCt[i] = b.hasCt[k];
      this.restId[i] = b.restId[k];
      this.sumOff[i + 1] = sum0 + b.sumEnd[k];
      this.headOff[i + 1] = head0 + b.headEnd[k];
      this.repOff[i + 1] = rep0 + b.repEnd[k];
      this.plainRow[i] = plainAt + b.plainStart[k];
      this.evOff[i + 1] = ev0 + b.evEnd[k];
    }
    const evN = n ? b.evEnd[n - 1] : 0;
    this.evIds.pushAll(b.evIds, 0, evN);
    this.evCount = ev0 + evN;
    // offsets are 32-bit (16 MB less per million frames); past that, say so rather than wrap
    if (this.sumPool.used > MAX_POOL || this.head.used > MAX_POOL || this.repJson.used > MAX_POOL || this.plainPool.used > MAX_POOL || this.evCount > MAX_POOL) {
      throw new Error(`the timeline holds at most 4 GiB of summaries, headers, steps and replies (reached at frame ${b.frameNo[n - 1]}): use --format text or ndjson for this capture`);
    }
    this.count = at + n;
  }

  summary(i: number): string {
    return this.sumPool.text(this.sumOff[i], this.sumOff[i + 1]);
  }

  /** first bytes of row i as captured (empty when the source gave none) */
  bytes(i: number): Uint8Array {
    return this.head.bytes(this.headOff[i], this.headOff[i + 1]);
  }

  fateName(i: number): string {
    const c = this.fate[i];
    if (c < FATES.length) return FATES[c];
    return this.otherFateOf.get(i) ?? '?';
  }

  reasonName(i: number): string {
    return this.reasons[this.reason[i]];
  }

  ifaceName(i: number): string {
    return this.ifaces[this.iface[i]];
  }

  private event(id: number, plainEntry: number): TimelineEvent {
    if (id >= 0) return this.evDict[id];
    if (id === EV_PLAIN) {
      const from = this.plainOff.a[plainEntry], to = this.plainOff.a[plainEntry + 1];
      const b = this.plainPool.bytes(from, from + 2);
      return { fn: this.fns[b[0] | (b[1] << 8)], what: this.plainPool.text(from + 2, to) };
    }
    const k = (-id - 2) * 2;
    return JSON.parse(this.evJson.text(this.evJsonOff[k], this.evJsonOff[k + 1])) as TimelineEvent;
  }

  /** row i's timeline events (dictionary entries are shared objects: read only) */
  events(i: number): TimelineEvent[] {
    const out: TimelineEvent[] = [];
    let p = this.plainRow[i];
    for (let k = this.evOff[i], end = this.evOff[i + 1]; k < end; k++) {
      const id = this.evIds.get(k);
      out.push(this.event(id, p));
      if (id === EV_PLAIN) p++;
    }
    return out;
  }

  /** does any of row i's events satisfy `test` (no array built) */
  someEvent(i: number, test: (e: TimelineEvent) => boolean): boolean {
    let p = this.plainRow[i];
    for (let k = this.evOff[i], end = this.evOff[i + 1]; k < end; k++) {
      const id = this.evIds.get(k);
      if (test(this.event(id, p))) return true;
      if (id === EV_PLAIN) p++;
    }
    return false;
  }

  /** row i's egress, verdicts, socket and unsupported notes (shared object: read only) */
  rest(i: number): Rest {
    const id = this.restId[i];
    if (id >= 0) return this.restDict[id] ?? {};
    const k = (-id - 1) * 2;
    return JSON.parse(this.restJson.text(this.restJsonOff[k], this.restJsonOff[k + 1])) as Rest;
  }

  /** row i's fate record, built back from the columns (a new object each call) */
  record(i: number): FateRecord {
    const r: FateRecord = { frame: this.frameNo[i], fate: this.fateName(i) as FateKind, events: [] };
    if (this.copyOf[i]) r.copy_of = this.copyOf[i];
    const reason = this.reasonName(i);
    if (reason) r.reason = reason;
    const rest = this.rest(i);
    if (rest.egress) r.egress = rest.egress;
    if (this.repOff[i + 1] > this.repOff[i]) r.replies = JSON.parse(this.repJson.text(this.repOff[i], this.repOff[i + 1])) as FateRecord['replies'];
    if (rest.verdicts) r.verdicts = rest.verdicts;
    if (rest.socket !== undefined) r.socket = rest.socket;
    if (rest.unsupported) r.unsupported = rest.unsupported;
    r.events = this.events(i);
    return r;
  }

  /** the per-row columns; the offset columns hold one entry more */
  private static readonly COLS = ['tsSec', 'tsNsec', 'fate', 'copyOf', 'reason', 'iface', 'frameNo', 'linktype', 'restId', 'plainRow', 'unsup', 'hasCt', 'headOff', 'evOff', 'repOff', 'sumOff'] as const;
  /** rows every column has room for */
  private cap = 1024;
  /** next column growAhead() copies (COLS.length: none under way) */
  private growing: number = RowStore.COLS.length;

  /**
   * Grows one column towards twice the capacity once the room left is GROW_AHEAD_ROWS or less:
   * the worker pump calls it between batches, so the copies are spread over its slices instead
   * of all the columns at once inside one batch's append (40-44 ms at 256 k and 512 k rows, in
   * front of a key).
   * Returns true when it copied something.
   */
  growAhead(): boolean {
    if (this.growing === RowStore.COLS.length) {
      if (this.cap - this.count > GROW_AHEAD_ROWS) return false;
      this.growing = 0;
    }
    this.growColumn(RowStore.COLS[this.growing++], this.cap * 2);
    if (this.growing === RowStore.COLS.length) this.cap *= 2;
    return true;
  }

  private growColumn(k: (typeof RowStore.COLS)[number], rows: number): void {
    type Col = Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;
    const self = this as unknown as Record<string, Col>;
    const a = self[k];
    const len = k.endsWith('Off') ? rows + 1 : rows;
    if (a.length >= len) return;
    const b = new (a.constructor as new (n: number) => Col)(len);
    b.set(a);
    self[k] = b;
  }

  private grow(): void {
    // finish a growAhead under way, or grow every column now
    if (this.growing === RowStore.COLS.length) this.growing = 0;
    while (this.growing < RowStore.COLS.length) this.growColumn(RowStore.COLS[this.growing++], this.cap * 2);
    this.cap *= 2;
  }
}

/** first index in the ascending list `a` whose value is >= x */
export function lowerBound(a: ArrayLike<number>, x: number, len = a.length): number {
  let lo = 0;
  let hi = len;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

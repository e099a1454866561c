// Rows of the timeline, kept outside React state: a plain growing columnar store, so a
// 1 M-frame capture costs a few typed arrays and pools, not a million objects. A record is
// kept encoded: its events as ids into a dictionary of distinct events (frames of one path
// share all but a few: addresses, lengths, tuples), the rest as ids of distinct values; what
// does not fit the bounded dictionaries is kept as JSON in an off-heap pool. record(i) builds
// the object back for the detail pane and the filters. Keeping the records themselves (as the
// first version did) cost 2.2 GB and 16 s of GC on the 1 M-frame real replay.
import type { FateKind, FateRecord, TimelineEvent } from '../kernel/fate.js';
import { isSharedEvent } from '../kernel/fate.js';
import type { ReplayItem } from '../replay-types.js';
import { headerEnd } from './decode.js';

export const FATES: readonly FateKind[] = ['delivered', 'forwarded', 'bridged', 'sent', 'consumed', 'dropped'];
const FATE_CODE = new Map<string, number>(FATES.map((f, i) => [f, i]));
/** code for a fate string the contract does not know (shown as-is, never guessed) */
export const FATE_OTHER = FATES.length;

/** captured bytes looked at per frame for the header decoder (Ethernet + IPv6 + TCP with options); headerEnd keeps only the headers */
export const HEAD_BYTES = 128;
/** distinct events / record shapes kept as objects; further distinct ones go to the JSON pool */
const EVENT_DICT_LIMIT = 65_536;
const REST_DICT_LIMIT = 16_384;
/** conntrack and NAT functions (src/kernel/netfilter: nf_conntrack_in, __nf_conntrack_confirm, nf_nat_*) */
const CT_FN = /conntrack|^nf_nat_|^nf_ct_/;

/** a record without frame, fate, reason, events and replies: egress, verdicts, socket, unsupported */
type Rest = Pick<FateRecord, 'egress' | 'verdicts' | 'socket' | 'unsupported'>;

/**
 * Append-only bytes in fixed 4 MiB chunks, addressed by one running offset: growing never copies
 * what is in (a doubling buffer held the old and the new copy at once, and up to twice the size
 * needed). An entry crossing a chunk boundary is split; reading it back joins the parts.
 */
const CHUNK = 1 << 22;
/** the row offsets into the pools are Uint32 */
const MAX_POOL = 0xffffffff;
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

/** an event's diff or detail: the same keys (in any order) with the same values ([a, b] pairs compared by element) */
function sameFields(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return (!a || isEmpty(a)) && (!b || isEmpty(b));
  let n = 0;
  for (const k in a) {
    const x = a[k];
    const y = b[k];
    if (x !== y) {
      if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
      for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false;
    }
    if (x !== undefined) n++;
  }
  for (const k in b) if (b[k] !== undefined) n--;
  return n === 0;
}
function isEmpty(o: Record<string, unknown>): boolean {
  for (const k in o) if (o[k] !== undefined) return false;
  return true;
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
  push(v: number): void {
    const c = this.n >>> 20;
    if (c === this.chunks.length) this.chunks.push(new Uint16Array(ID_CHUNK));
    if (v >= 0 && v < WIDE) this.chunks[c][this.n & (ID_CHUNK - 1)] = v;
    else {
      this.chunks[c][this.n & (ID_CHUNK - 1)] = WIDE;
      this.wide.set(this.n, v);
    }
    this.n++;
  }
  get(k: number): number {
    const v = this.chunks[k >>> 20][k & (ID_CHUNK - 1)];
    return v === WIDE ? this.wide.get(k)! : v;
  }
}
const WIDE = 0xffff;

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
  /** per row: its event ids, evIds[evOff[i]] .. evIds[evOff[i+1]]; an id < 0 is -(k+1), event k of the JSON pool */
  private evOff = new Uint32Array(1025);
  private evIds = new IdPool();
  private evCount = 0;
  private evDict: TimelineEvent[] = [];
  private evByWhat = new Map<string, number[]>();
  /** dictionary ids of shared (deep-frozen) steps, by identity */
  private evByObj = new WeakMap<object, number>();
  /** rest ids of records whose rest is only a frozen egress list, by that list */
  private restByEgress = new WeakMap<object, number>();
  private evJson = new BytePool();
  private evJsonOff: number[] = [];
  /** per row: id of its Rest (egress, verdicts, socket, unsupported); < 0: JSON pool entry -(k+1) */
  private restId = new Int32Array(1024);
  private restDict: Rest[] = [];
  private restIdx = new Map<string, number>();
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
  private evIsCt: Uint8Array = new Uint8Array(1024);
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

  private reasonIdx = new Map<string, number>();
  private ifaceIdx = new Map<string, number>();

  add(item: ReplayItem): void {
    const i = this.count;
    if (i === this.fate.length) this.grow();
    const r = item.record;
    this.tsSec[i] = item.tsSec;
    this.tsNsec[i] = item.tsNsec;
    this.frameNo[i] = item.frame;
    if (this.firstTs === null) this.firstTs = item.tsSec + item.tsNsec / 1e9;
    let fc = FATE_CODE.get(r.fate);
    if (fc === undefined) {
      fc = FATE_OTHER;
      this.otherFates.set(String(r.fate), (this.otherFates.get(String(r.fate)) ?? 0) + 1);
      this.otherFateOf.set(i, String(r.fate));
    }
    this.fate[i] = fc;
    this.fateCounts[fc]++;
    this.copyOf[i] = r.copy_of ?? 0;
    if (r.copy_of !== undefined) {
      const l = this.copies.get(r.copy_of);
      if (l) l.push(item.frame);
      else this.copies.set(r.copy_of, [item.frame]);
    }
    if (r.fate === 'dropped') this.drops.push(i);
    this.reason[i] = r.reason ? this.internReason(r.reason) : 0;
    if (r.reason) this.reasonCounts.set(r.reason, (this.reasonCounts.get(r.reason) ?? 0) + 1);
    this.iface[i] = item.iface ? this.internIface(item.iface) : 0;
    if (r.unsupported && r.unsupported.length) this.unsupportedCount++;
    if (r.verdicts) {
      for (const v of r.verdicts) {
        const key = v.rule
          ? `${v.family} ${v.table} ${v.chain}: ${v.rule}${v.source ? ` (${v.source})` : ''}`
          : `${v.family} ${v.table} ${v.chain}: policy ${v.verdict}`;
        this.ruleHits.set(key, (this.ruleHits.get(key) ?? 0) + 1);
      }
    }
    this.addSummary(i, item.summary);
    this.encode(i, r);
    this.linktype[i] = item.linktype ?? 0;
    const base = this.headOff[i];
    const bytes = item.bytes;
    const n = bytes ? headerEnd(bytes.subarray(0, HEAD_BYTES), item.linktype ?? 0) : 0;
    if (n) this.head.addBytes(bytes!.subarray(0, n));
    this.headOff[i + 1] = base + n;
    // offsets are 32-bit (16 MB less per million frames); past that, say so rather than wrap
    if (this.sumPool.used > MAX_POOL || this.head.used > MAX_POOL || this.evOff[i + 1] !== this.evCount || this.repJson.used > MAX_POOL) {
      throw new Error(`the timeline holds at most 4 GiB of summaries, headers and replies (reached at frame ${item.frame}): use --format text or ndjson for this capture`);
    }
    this.count = i + 1;
  }

  summary(i: number): string {
    return this.sumPool.text(this.sumOff[i], this.sumOff[i + 1]);
  }

  private addSummary(i: number, t: string): void {
    this.sumPool.addText(t);
    this.sumOff[i + 1] = this.sumPool.used;
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

  private internReason(s: string): number {
    let n = this.reasonIdx.get(s);
    if (n === undefined) {
      n = this.reasons.length;
      if (n > 0xffff) throw new Error(`more than 65535 distinct drop reasons (at "${s}")`);
      this.reasons.push(s);
      this.reasonIdx.set(s, n);
    }
    return n;
  }

  private internIface(s: string): number {
    let n = this.ifaceIdx.get(s);
    if (n === undefined) {
      n = this.ifaces.length;
      if (n > 0xffff) throw new Error(`more than 65535 distinct interfaces (at "${s}")`);
      this.ifaces.push(s);
      this.ifaceIdx.set(s, n);
    }
    return n;
  }

  private encode(i: number, r: FateRecord): void {
    const ev = r.events;
    let at = this.evOff[i];
    let ct = 0;
    for (const e of ev) {
      const id = this.eventId(e);
      this.evIds.push(id);
      at++;
      ct |= id >= 0 ? this.evIsCt[id] : CT_FN.test(e.fn) ? 1 : 0;
    }
    this.evOff[i + 1] = at;
    this.evCount = at;
    this.hasCt[i] = ct;
    this.unsup[i] = r.unsupported && r.unsupported.length ? 1 : 0;
    this.restId[i] = r.egress || r.verdicts || r.socket !== undefined || r.unsupported ? this.restOf(r) : 0;
    const from = this.repOff[i];
    this.repOff[i + 1] = r.replies && r.replies.length ? from + this.repLen(r.replies) : from;
  }

  private repLen(replies: FateRecord['replies']): number {
    const at = this.repJson.addText(JSON.stringify(replies));
    return this.repJson.used - at;
  }

  private eventId(e: TimelineEvent): number {
    // a step the model shares between frames (deep-frozen: it cannot change) by identity: one
    // text may stand for many steps (neigh_hh_output "eth A > B" for every client's MAC)
    const shared = isSharedEvent(e);
    if (shared) {
      const id = this.evByObj.get(e);
      if (id !== undefined) return id;
    }
    const id = this.eventIdByValue(e);
    if (shared && id >= 0) this.evByObj.set(e, id);
    return id;
  }

  private eventIdByValue(e: TimelineEvent): number {
    // looked up by its text first (one hash of a short string), then fn, dev, diff and detail
    // compared field by field: building a key string per event (JSON) cost several times more
    let ids = this.evByWhat.get(e.what);
    if (ids) {
      for (const id of ids) {
        const c = this.evDict[id];
        if (c.fn === e.fn && c.dev === e.dev && c.skb === e.skb && c.reply === e.reply && sameFields(c.diff, e.diff) && sameFields(c.detail, e.detail)) return id;
      }
    }
    if (this.evDict.length < EVENT_DICT_LIMIT) {
      const id = this.evDict.length;
      // a copy: the source may reuse its objects, and only known fields are kept
      const c: TimelineEvent = { fn: e.fn, what: e.what };
      if (e.dev !== undefined) c.dev = e.dev;
      if (e.diff !== undefined) c.diff = e.diff;
      if (e.detail !== undefined) c.detail = e.detail;
      if (e.skb !== undefined) c.skb = e.skb;
      if (e.reply !== undefined) c.reply = e.reply;
      this.evDict.push(c);
      if (ids) ids.push(id);
      else this.evByWhat.set(e.what, [id]);
      if (id === this.evIsCt.length) {
        const f = new Uint8Array(id * 2);
        f.set(this.evIsCt);
        this.evIsCt = f;
      }
      this.evIsCt[id] = CT_FN.test(e.fn) ? 1 : 0;
      return id;
    }
    this.evJsonOff.push(this.evJson.addText(JSON.stringify(e)), this.evJson.used);
    return -(this.evJsonOff.length / 2);
  }

  private restOf(r: FateRecord): number {
    // the common case, only a frozen egress list (one per device, shared by the model): by identity
    const eg = r.egress;
    const onlyEgress = eg !== undefined && eg.length > 0 && !(r.verdicts && r.verdicts.length) && r.socket === undefined && !(r.unsupported && r.unsupported.length) && Object.isFrozen(eg);
    if (onlyEgress) {
      const id = this.restByEgress.get(eg);
      if (id !== undefined) return id;
    }
    const id = this.restOfByValue(r);
    if (onlyEgress && id >= 0) this.restByEgress.set(eg, id);
    return id;
  }

  private restOfByValue(r: FateRecord): number {
    const rest: Rest = {};
    if (r.egress && r.egress.length) rest.egress = r.egress;
    if (r.verdicts && r.verdicts.length) rest.verdicts = r.verdicts;
    if (r.socket !== undefined) rest.socket = r.socket;
    if (r.unsupported && r.unsupported.length) rest.unsupported = r.unsupported;
    const key = JSON.stringify(rest);
    let id = this.restIdx.get(key);
    if (id !== undefined) return id;
    if (this.restDict.length === 0) this.restDict.push({}); // id 0: nothing
    if (key === '{}') return 0;
    if (this.restDict.length < REST_DICT_LIMIT) {
      id = this.restDict.length;
      this.restDict.push(rest);
      this.restIdx.set(key, id);
      return id;
    }
    this.restJsonOff.push(this.restJson.addText(key), this.restJson.used);
    return -(this.restJsonOff.length / 2);
  }

  private event(id: number): TimelineEvent {
    if (id >= 0) return this.evDict[id];
    const k = (-id - 1) * 2;
    return JSON.parse(this.evJson.text(this.evJsonOff[k], this.evJsonOff[k + 1])) as TimelineEvent;
  }

  /** row i's timeline events (shared objects: read only) */
  events(i: number): TimelineEvent[] {
    const out: TimelineEvent[] = [];
    for (let k = this.evOff[i], end = this.evOff[i + 1]; k < end; k++) out.push(this.event(this.evIds.get(k)));
    return out;
  }

  /** does any of row i's events satisfy `test` (no array built) */
  someEvent(i: number, test: (e: TimelineEvent) => boolean): boolean {
    for (let k = this.evOff[i], end = this.evOff[i + 1]; k < end; k++) if (test(this.event(this.evIds.get(k)))) return true;
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

  private grow(): void {
    const n = this.fate.length * 2;
    const g = <T extends Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array>(a: T, len = n): T => {
      const b = new (a.constructor as new (n: number) => T)(len);
      b.set(a);
      return b;
    };
    this.tsSec = g(this.tsSec);
    this.tsNsec = g(this.tsNsec);
    this.fate = g(this.fate);
    this.copyOf = g(this.copyOf);
    this.reason = g(this.reason);
    this.iface = g(this.iface);
    this.frameNo = g(this.frameNo);
    this.linktype = g(this.linktype);
    this.headOff = g(this.headOff, n + 1);
    this.evOff = g(this.evOff, n + 1);
    this.repOff = g(this.repOff, n + 1);
    this.restId = g(this.restId);
    this.unsup = g(this.unsup);
    this.hasCt = g(this.hasCt);
    this.sumOff = g(this.sumOff, n + 1);
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

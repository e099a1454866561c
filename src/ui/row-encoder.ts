// Turns replay items into the timeline's encoded rows, in batches: the interning (distinct events,
// record shapes, reasons, interfaces) and the bytes kept per row (summary, headers, replies). The
// store (store.ts) appends batches and never interns; this way the encoding can run in the replay
// worker (replay-worker.ts) and a batch crosses to the UI thread as a few transferred buffers,
// with only the dictionary entries it added as objects.
import type { FateKind, FateRecord, TimelineEvent } from '../kernel/fate.js';
import { isSharedEvent } from '../kernel/fate.js';
import { Decoded, decodeFrame } from '../packet/decode.js';
import { summarize, summarizeInto, SummaryState, type SummaryOptions } from '../packet/summary.js';
import { FAST_LINE_MAX } from '../packet/summary-line.js';
import type { ReplayItem } from '../replay-types.js';
import { headerEnd } from './decode.js';

export const FATES: readonly FateKind[] = ['delivered', 'forwarded', 'bridged', 'sent', 'consumed', 'dropped'];
const FATE_CODE = new Map<string, number>(FATES.map((f, i) => [f, i]));
/** code for a fate string the contract does not know (shown as-is, never guessed) */
export const FATE_OTHER = FATES.length;
export const FATE_DROPPED = FATE_CODE.get('dropped')!;

/** captured bytes looked at per frame for the header decoder (Ethernet + IPv6 + TCP with options); headerEnd keeps only the headers */
export const HEAD_BYTES = 128;
/** distinct events kept as objects (ids below the store's 16-bit markers); further ones go to the JSON pool */
export const EVENT_DICT_LIMIT = 0xfffe;
const REST_DICT_LIMIT = 16_384;
/** conntrack and NAT functions (src/kernel/netfilter: nf_conntrack_in, __nf_conntrack_confirm, nf_nat_*) */
const CT_FN = /conntrack|^nf_nat_|^nf_ct_/;

/** event id of a plain step ({fn, what} only, made afresh per frame: ip_rcv_core's addresses and
 *  length): kept as its function's id and its text in the row's own bytes, not interned (one
 *  per frame, nearly all distinct: looking each up cost more than keeping it) */
export const EV_PLAIN = -1;
/** event ids below this are entries of the JSON pool: -(k + 2) */
export const evJsonId = (k: number): number => -(k + 2);

/** a record without frame, fate, reason, events and replies: egress, verdicts, socket, unsupported */
export type Rest = Pick<FateRecord, 'egress' | 'verdicts' | 'socket' | 'unsupported'>;

/**
 * Rows [0, n) of a batch. Variable parts are bytes with each row's end offset (relative to the
 * batch); events are ids (>= 0: the event dictionary; EV_PLAIN: the row's next plain step in
 * `plain`; below: the JSON pool). The dictionary entries the batch's rows introduced come along,
 * in id order, to be appended by the store.
 */
export interface RowBatch {
  n: number;
  tsSec: Float64Array;
  tsNsec: Uint32Array;
  frameNo: Uint32Array;
  fate: Uint8Array;
  reason: Uint16Array;
  iface: Uint16Array;
  linktype: Uint16Array;
  copyOf: Int32Array;
  unsup: Uint8Array;
  hasCt: Uint8Array;
  restId: Int32Array;
  sumEnd: Uint32Array;
  sum: Uint8Array;
  headEnd: Uint32Array;
  head: Uint8Array;
  evEnd: Uint32Array;
  evIds: Int32Array;
  /** per row: the index of its first plain step in the batch */
  plainStart: Uint32Array;
  /** per plain step: the end of its bytes in `plain` (function id as 16 bits LE, then the text as UTF-8) */
  plainEnd: Uint32Array;
  plainCount: number;
  plain: Uint8Array;
  repEnd: Uint32Array;
  rep: Uint8Array;
  /** [row in the batch, fate] of rows whose fate is FATE_OTHER */
  otherFates: [number, string][];
  reasons: string[];
  ifaces: string[];
  fns: string[];
  events: TimelineEvent[];
  evJson: string[];
  rests: Rest[];
  restJson: string[];
  ruleHits: [string, number][];
}

/** a growable byte buffer */
class Bytes {
  buf = Buffer.allocUnsafe(1 << 16);
  n = 0;
  room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let len = this.buf.length * 2;
    while (len < this.n + k) len *= 2;
    const b = Buffer.allocUnsafe(len);
    this.buf.copy(b, 0, 0, this.n);
    this.buf = b;
  }
  text(t: string): void {
    // a UTF-8 character is at most 3 bytes per UTF-16 unit
    this.room(t.length * 3);
    this.n += this.buf.write(t, this.n, 'utf8');
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }
}

type Num = Float64Array | Uint32Array | Uint16Array | Uint8Array | Int32Array;
function grown<T extends Num>(a: T, len: number): T {
  const b = new (a.constructor as new (n: number) => T)(len);
  b.set(a);
  return b;
}
/** a copy of the first n entries in a buffer of its own (transferable) */
function exact<T extends Num>(a: T, n: number): T {
  return a.slice(0, n) as T;
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

export interface EncoderOptions {
  /** make each row's summary from the item's captured bytes (the replay opened without
   *  summaries; in frame order, with its own tcpdump conversation table, as replay-text.ts does)
   *  instead of taking item.summary */
  summariesFromBytes?: SummaryOptions;
}

export class RowEncoder {
  private cap = 0;
  n = 0;
  private tsSec = new Float64Array(0);
  private tsNsec = new Uint32Array(0);
  private frameNo = new Uint32Array(0);
  private fate = new Uint8Array(0);
  private reason = new Uint16Array(0);
  private iface = new Uint16Array(0);
  private linktype = new Uint16Array(0);
  private copyOf = new Int32Array(0);
  private unsup = new Uint8Array(0);
  private hasCt = new Uint8Array(0);
  private restId = new Int32Array(0);
  private sumEnd = new Uint32Array(0);
  private headEnd = new Uint32Array(0);
  private evEnd = new Uint32Array(0);
  private repEnd = new Uint32Array(0);
  private plainStart = new Uint32Array(0);
  private evIds = new Int32Array(1024);
  private evN = 0;
  private plainEnd = new Uint32Array(1024);
  private plainN = 0;
  private readonly sum = new Bytes();
  private readonly head = new Bytes();
  private readonly plain = new Bytes();
  private readonly rep = new Bytes();
  private otherFates: [number, string][] = [];
  private ruleHits = new Map<string, number>();

  // dictionaries: whole (ids are global), and what this batch added
  private readonly reasonIdx = new Map<string, number>([['', 0]]);
  private newReasons: string[] = [];
  private readonly ifaceIdx = new Map<string, number>([['', 0]]);
  private newIfaces: string[] = [];
  private readonly fnIdx = new Map<string, number>();
  private fnIsCt: number[] = [];
  private newFns: string[] = [];
  private evDictSize = 0;
  private readonly evDict: TimelineEvent[] = [];
  private readonly evIsCt: number[] = [];
  private newEvents: TimelineEvent[] = [];
  private readonly evByWhat = new Map<string, number[]>();
  /** dictionary ids of shared (deep-frozen) steps, by identity */
  private readonly evByObj = new WeakMap<object, number>();
  private evJsonCount = 0;
  private newEvJson: string[] = [];
  private restDictSize = 1; // id 0: nothing
  private readonly restIdx = new Map<string, number>([['{}', 0]]);
  /** rest ids of records whose rest is only a frozen egress list, by that list */
  private readonly restByEgress = new WeakMap<object, number>();
  private newRests: Rest[] = [];
  private restJsonCount = 0;
  private newRestJson: string[] = [];

  private readonly d = new Decoded();
  private readonly st = new SummaryState();

  constructor(private readonly opts: EncoderOptions = {}) {
    this.grow(1024);
  }

  private grow(cap: number): void {
    this.cap = cap;
    this.tsSec = grown(this.tsSec, cap);
    this.tsNsec = grown(this.tsNsec, cap);
    this.frameNo = grown(this.frameNo, cap);
    this.fate = grown(this.fate, cap);
    this.reason = grown(this.reason, cap);
    this.iface = grown(this.iface, cap);
    this.linktype = grown(this.linktype, cap);
    this.copyOf = grown(this.copyOf, cap);
    this.unsup = grown(this.unsup, cap);
    this.hasCt = grown(this.hasCt, cap);
    this.restId = grown(this.restId, cap);
    this.sumEnd = grown(this.sumEnd, cap);
    this.headEnd = grown(this.headEnd, cap);
    this.evEnd = grown(this.evEnd, cap);
    this.repEnd = grown(this.repEnd, cap);
    this.plainStart = grown(this.plainStart, cap);
  }

  add(item: ReplayItem): void {
    const i = this.n;
    if (i === this.cap) this.grow(this.cap * 2);
    const r = item.record;
    this.tsSec[i] = item.tsSec;
    this.tsNsec[i] = item.tsNsec;
    this.frameNo[i] = item.frame;
    let fc = FATE_CODE.get(r.fate);
    if (fc === undefined) {
      fc = FATE_OTHER;
      this.otherFates.push([i, String(r.fate)]);
    }
    this.fate[i] = fc;
    this.copyOf[i] = r.copy_of ?? 0;
    this.reason[i] = r.reason ? this.intern(this.reasonIdx, this.newReasons, r.reason, 'drop reasons') : 0;
    this.iface[i] = item.iface ? this.intern(this.ifaceIdx, this.newIfaces, item.iface, 'interfaces') : 0;
    if (r.verdicts) {
      for (const v of r.verdicts) {
        const key = v.rule
          ? `${v.family} ${v.table} ${v.chain}: ${v.rule}${v.source ? ` (${v.source})` : ''}`
          : `${v.family} ${v.table} ${v.chain}: policy ${v.verdict}`;
        this.ruleHits.set(key, (this.ruleHits.get(key) ?? 0) + 1);
      }
    }
    this.addSummary(item);
    this.sumEnd[i] = this.sum.n;
    this.encodeEvents(i, r.events);
    this.unsup[i] = r.unsupported && r.unsupported.length ? 1 : 0;
    this.restId[i] = r.egress || r.verdicts || r.socket !== undefined || r.unsupported ? this.restOf(r) : 0;
    if (r.replies && r.replies.length) this.rep.text(JSON.stringify(r.replies));
    this.repEnd[i] = this.rep.n;
    const lt = item.linktype ?? 0;
    this.linktype[i] = lt;
    const bytes = item.bytes;
    const h = bytes ? headerEnd(bytes.subarray(0, HEAD_BYTES), lt) : 0;
    if (h) this.head.bytes(bytes!.subarray(0, h));
    this.headEnd[i] = this.head.n;
    this.n = i + 1;
  }

  private addSummary(item: ReplayItem): void {
    const so = this.opts.summariesFromBytes;
    if (so === undefined) {
      this.sum.text(item.summary);
      return;
    }
    const bytes = item.bytes;
    if (bytes === undefined || item.linktype === undefined || item.wireLen === undefined) throw new Error(`frame ${item.frame}: a replay item without its bytes`);
    const d = this.d;
    decodeFrame(bytes, bytes.length, item.linktype, d, item.wireLen, false);
    const s = this.sum;
    s.room(FAST_LINE_MAX);
    const q = summarizeInto(s.buf, s.n, d, this.st, so);
    if (q >= 0) s.n = q;
    else {
      let t = summarize(d, this.st, so);
      // tcpdump prints a VXLAN frame's inner frame on a second line: one line here (replay.ts)
      if (t.includes('\n')) t = t.replace(/\n/g, ' ');
      s.text(t);
    }
  }

  private intern(idx: Map<string, number>, added: string[], s: string, what: string): number {
    let n = idx.get(s);
    if (n === undefined) {
      n = idx.size;
      if (n > 0xffff) throw new Error(`more than 65535 distinct ${what} (at "${s}")`);
      idx.set(s, n);
      added.push(s);
    }
    return n;
  }

  private encodeEvents(i: number, ev: TimelineEvent[]): void {
    if (this.evN + ev.length > this.evIds.length) this.evIds = grown(this.evIds, Math.max(this.evIds.length * 2, this.evN + ev.length));
    let ct = 0;
    this.plainStart[i] = this.plainN;
    for (const e of ev) {
      // a step the model shares between frames (deep-frozen: it cannot change) by identity: one
      // text may stand for many steps (neigh_hh_output "eth A > B" for every client's MAC)
      let id = this.evByObj.get(e);
      if (id === undefined) {
        if (isSharedEvent(e)) {
          id = this.eventIdByValue(e);
          if (id >= 0) this.evByObj.set(e, id);
        } else if (typeof e.fn === 'string' && typeof e.what === 'string' && e.dev === undefined && e.diff === undefined && e.detail === undefined && e.skb === undefined && e.reply === undefined) {
          ct |= this.addPlain(e.fn, e.what);
          this.evIds[this.evN++] = EV_PLAIN;
          continue;
        } else id = this.eventIdByValue(e);
      }
      this.evIds[this.evN++] = id;
      ct |= id >= 0 ? this.evIsCt[id] : CT_FN.test(e.fn) ? 1 : 0;
    }
    this.evEnd[i] = this.evN;
    this.hasCt[i] = ct;
  }

  /** appends a plain step; returns 1 when its function is a conntrack/NAT one */
  private addPlain(fn: string, what: string): number {
    let f = this.fnIdx.get(fn);
    if (f === undefined) {
      f = this.fnIdx.size;
      if (f > 0xffff) throw new Error(`more than 65535 distinct kernel functions (at "${fn}")`);
      this.fnIdx.set(fn, f);
      this.fnIsCt.push(CT_FN.test(fn) ? 1 : 0);
      this.newFns.push(fn);
    }
    const p = this.plain;
    p.room(2 + what.length * 3);
    p.buf[p.n] = f & 0xff;
    p.buf[p.n + 1] = f >>> 8;
    p.n += 2 + p.buf.write(what, p.n + 2, 'utf8');
    if (this.plainN === this.plainEnd.length) this.plainEnd = grown(this.plainEnd, this.plainN * 2);
    this.plainEnd[this.plainN++] = p.n;
    return this.fnIsCt[f];
  }

  private eventIdByValue(e: TimelineEvent): number {
    // looked up by its text first (one hash of a short string), then fn, dev, diff and detail
    // compared field by field: building a key string per event (JSON) cost several times more
    const ids = this.evByWhat.get(e.what);
    if (ids) {
      for (const id of ids) {
        const c = this.evDict[id];
        if (c.fn === e.fn && c.dev === e.dev && c.skb === e.skb && c.reply === e.reply && sameFields(c.diff, e.diff) && sameFields(c.detail, e.detail)) return id;
      }
    }
    if (this.evDictSize < EVENT_DICT_LIMIT) {
      const id = this.evDictSize++;
      // a copy: the source may reuse its objects, and only known fields are kept
      const c: TimelineEvent = { fn: e.fn, what: e.what };
      if (e.dev !== undefined) c.dev = e.dev;
      if (e.diff !== undefined) c.diff = e.diff;
      if (e.detail !== undefined) c.detail = e.detail;
      if (e.skb !== undefined) c.skb = e.skb;
      if (e.reply !== undefined) c.reply = e.reply;
      this.evDict.push(c);
      this.newEvents.push(c);
      if (ids) ids.push(id);
      else this.evByWhat.set(e.what, [id]);
      this.evIsCt.push(CT_FN.test(e.fn) ? 1 : 0);
      return id;
    }
    this.newEvJson.push(JSON.stringify(e));
    return evJsonId(this.evJsonCount++);
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
    if (this.restDictSize < REST_DICT_LIMIT) {
      id = this.restDictSize++;
      this.newRests.push(rest);
      this.restIdx.set(key, id);
      return id;
    }
    this.newRestJson.push(key);
    return -(++this.restJsonCount);
  }

  /**
   * The rows added since the last call. `copy`: in buffers of their own (to transfer to another
   * thread); otherwise views of the encoder's buffers, valid until the next add.
   */
  take(copy: boolean): RowBatch {
    const n = this.n;
    const v = <T extends Num>(a: T, len: number): T => (copy ? exact(a, len) : a);
    const b = (x: Bytes): Uint8Array => (copy ? Uint8Array.prototype.slice.call(x.buf, 0, x.n) : x.buf.subarray(0, x.n));
    const batch: RowBatch = {
      n,
      tsSec: v(this.tsSec, n),
      tsNsec: v(this.tsNsec, n),
      frameNo: v(this.frameNo, n),
      fate: v(this.fate, n),
      reason: v(this.reason, n),
      iface: v(this.iface, n),
      linktype: v(this.linktype, n),
      copyOf: v(this.copyOf, n),
      unsup: v(this.unsup, n),
      hasCt: v(this.hasCt, n),
      restId: v(this.restId, n),
      sumEnd: v(this.sumEnd, n),
      sum: b(this.sum),
      headEnd: v(this.headEnd, n),
      head: b(this.head),
      evEnd: v(this.evEnd, n),
      evIds: v(this.evIds, this.evN),
      plainStart: v(this.plainStart, n),
      plainEnd: v(this.plainEnd, this.plainN),
      plainCount: this.plainN,
      plain: b(this.plain),
      repEnd: v(this.repEnd, n),
      rep: b(this.rep),
      otherFates: this.otherFates,
      reasons: this.newReasons,
      ifaces: this.newIfaces,
      fns: this.newFns,
      events: this.newEvents,
      evJson: this.newEvJson,
      rests: this.newRests,
      restJson: this.newRestJson,
      ruleHits: [...this.ruleHits],
    };
    this.n = 0;
    this.evN = 0;
    this.plainN = 0;
    this.sum.n = this.head.n = this.plain.n = this.rep.n = 0;
    this.otherFates = [];
    this.ruleHits.clear();
    this.newReasons = [];
    this.newIfaces = [];
    this.newFns = [];
    this.newEvents = [];
    this.newEvJson = [];
    this.newRests = [];
    this.newRestJson = [];
    return batch;
  }
}

/** the buffers of a copied batch, to transfer with it */
export function batchBuffers(b: RowBatch): ArrayBuffer[] {
  const l = [b.tsSec, b.tsNsec, b.frameNo, b.fate, b.reason, b.iface, b.linktype, b.copyOf, b.unsup, b.hasCt, b.restId, b.sumEnd, b.sum, b.headEnd, b.head, b.evEnd, b.evIds, b.plainStart, b.plainEnd, b.plain, b.repEnd, b.rep];
  return [...new Set(l.map((a) => a.buffer as ArrayBuffer))];
}

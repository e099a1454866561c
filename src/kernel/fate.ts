// The fate record: what the kernel did with one captured frame.
// Schema shared by `pktlife replay`, the kernel-recorded fixtures (fixtures/kernel/*/expected.ndjson),
// the golden-file tests and the UI. Field order in JSON output is the order declared here.

/** `sent`: a frame the host itself originated, captured on its way out (the local output path);
 *  `forwarded` is only what ip_forward / ip6_forward did */
export type FateKind = 'delivered' | 'forwarded' | 'bridged' | 'sent' | 'dropped' | 'consumed';

/** A packet the kernel itself sent in answer (RST, SYN-ACK, ICMP error, echo reply, ARP reply, NA). */
export interface Reply {
  iface: string;
  /** tcpdump -nn style one-line summary of the reply, e.g. "IP 10.0.0.1.22 > 10.0.0.2.40000: Flags [R.], seq 0, ack 1, win 0, length 0" */
  summary: string;
  /** the kernel built it but did not send it: its drop reason (a rule in OUTPUT/POSTROUTING, a
   *  bridge output chain); `iface` is then the device it was routed to */
  dropped?: string;
}

/** One base chain's decision, as `nft monitor trace` would show it. */
export interface Verdict {
  hook: string; // prerouting | input | forward | output | postrouting | ingress | egress
  family: string; // ip | ip6 | inet | bridge | arp | netdev
  table: string;
  chain: string;
  verdict: string; // accept | drop | queue | stolen | continue ... (lower case, as nft prints)
  /** rule handle or iptables-save line that decided; absent when the policy decided */
  rule?: string;
  /** file:line in the user's rule set of that rule */
  source?: string;
}

/** One step of the timeline. `fn` is the kernel function (as pwru prints it) or stage name. */
export interface TimelineEvent {
  fn: string;
  /** what it decided, short: "PACKET_HOST", "route local table local", "NF_ACCEPT", "drop IP_CSUM" ... */
  what: string;
  /** device the skb was on at this step */
  dev?: string;
  /** before/after of fields this stage changed, e.g. { ttl: [64, 63], 'eth.dst': ['..','..'] } */
  diff?: Record<string, [string | number, string | number]>;
  /** free-form key facts (rule matched, table, next hop ...) */
  detail?: Record<string, string | number | boolean>;
  /** the step belongs to another skb than the captured frame: a packet the kernel built in
   *  answer (its own trip through LOCAL_OUT/POSTROUTING); `reply` is its index in `replies` */
  skb?: 'reply';
  reply?: number;
}

export interface FateRecord {
  frame: number;
  fate: FateKind;
  /** this outbound frame is the capture's second copy of frame N (`tcpdump -i any` on a router or
   *  bridge sees a forwarded frame come in and leave): it has N's fate, no pass of its own */
  copy_of?: number;
  /** kernel drop reason without SKB_DROP_REASON_ prefix; only for dropped */
  reason?: string;
  /** every interface the frame itself left through (forwarded, bridged, flooded) */
  egress?: string[];
  replies?: Reply[];
  verdicts?: Verdict[];
  /** only for delivered: "tcp 0.0.0.0:22" (ss Local Address:Port form) */
  socket?: string;
  /** set when the result depends on something the model does not support (rule, protocol ...) */
  unsupported?: string[];
  events: TimelineEvent[];
}

/**
 * The record as one line of JSON: fields in the schema's order, empty lists and absent fields
 * left out, nested objects in their own key order. Byte-identical to
 * JSON.stringify({frame, fate, copy_of?, reason?, egress?, replies?, verdicts?, socket?, unsupported?, events})
 * (test/perf/fate-json.test.ts checks it over every bundled capture and adversarial strings).
 */
export function fateToJSON(r: FateRecord): string {
  try {
    return fastJSON(r);
  } catch {
    // something the fast path does not mirror (toJSON, a class instance, deep nesting, a value
    // JSON.stringify throws on...): JSON.stringify itself decides, including its exception
    return JSON.stringify(canonical(r));
  }
}

/** the object fateToJSON's output is the JSON.stringify of */
function canonical(r: FateRecord): Record<string, unknown> {
  const o: Record<string, unknown> = { frame: r.frame, fate: r.fate };
  if (r.copy_of !== undefined) o.copy_of = r.copy_of;
  if (r.reason !== undefined) o.reason = r.reason;
  if (r.egress && r.egress.length) o.egress = r.egress;
  if (r.replies && r.replies.length) o.replies = r.replies;
  if (r.verdicts && r.verdicts.length) o.verdicts = r.verdicts;
  if (r.socket !== undefined) o.socket = r.socket;
  if (r.unsupported && r.unsupported.length) o.unsupported = r.unsupported;
  o.events = r.events;
  return o;
}

// Why a cache: JSON.stringify of ~1 KB of small objects per record cost more than the replay
// itself, and hand-written serialisers are no faster than V8's (every string must still be
// scanned for characters to escape). But consecutive records mostly repeat the same timeline
// steps (hooks passed, route found, frame sent): each list element is compared, token by token
// (keys in their enumeration order, primitive values with ===, structure markers), with the
// elements seen before at the same position, and a match reuses the JSON text made for that
// element. Equal tokens give equal JSON.stringify output, so the result is the same bytes;
// elements that are not plain data are never cached.

/** thrown to leave the fast path (caught in fateToJSON) */
const BAIL = Symbol('bail');
const OBJ = { t: '{' }, END = { t: '}' }, ARR = { t: '[' }, NOTHING = { t: '' };
const OBJECT_PROTO = Object.prototype;
const hasOwn = Object.prototype.hasOwnProperty;
const MAX_DEPTH = 16;

/** plain data object (literal or null-prototype) without toJSON */
function plainObject(v: object): boolean {
  const p = Object.getPrototypeOf(v);
  return (p === OBJECT_PROTO || p === null) && (v as { toJSON?: unknown }).toJSON === undefined;
}

/** v as tokens; false when it holds something JSON.stringify treats specially (then not cached) */
function tokenize(v: unknown, tok: unknown[], depth: number): boolean {
  if (typeof v !== 'object' || v === null) {
    if (typeof v === 'bigint') return false;
    tok.push(v);
    return true;
  }
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(v)) {
    if ((v as { toJSON?: unknown }).toJSON !== undefined) return false;
    tok.push(ARR, v.length);
    for (let i = 0; i < v.length; i++) if (!tokenize(v[i], tok, depth + 1)) return false;
    return true;
  }
  if (!plainObject(v)) return false;
  tok.push(OBJ);
  for (const k in v) {
    // an inherited enumerable key (a polluted Object.prototype) is not what JSON.stringify reads
    if (!hasOwn.call(v, k)) return false;
    tok.push(k);
    if (!tokenize((v as Record<string, unknown>)[k], tok, depth + 1)) return false;
  }
  tok.push(END);
  return true;
}

/** does v tokenize to tok[j...]? the index after it, or -1 */
function match(v: unknown, tok: unknown[], j: number): number {
  if (typeof v !== 'object' || v === null) return tok[j] === v ? j + 1 : -1;
  if (Array.isArray(v)) {
    if (tok[j] !== ARR || tok[j + 1] !== v.length || (v as { toJSON?: unknown }).toJSON !== undefined) return -1;
    j += 2;
    for (let i = 0; i < v.length && j >= 0; i++) j = match(v[i], tok, j);
    return j;
  }
  // only plain objects were tokenized: anything else must differ (its prototype is checked)
  if (tok[j] !== OBJ || !plainObject(v)) return -1;
  j++;
  for (const k in v) {
    if (tok[j] !== k) return -1;
    j = match((v as Record<string, unknown>)[k], tok, j + 1);
    if (j < 0) return -1;
  }
  return tok[j] === END ? j + 1 : -1;
}

/** `fn`: the element's fn property when cached, compared before the full match; `obj`: the
 *  element itself when it is deep-frozen (it cannot change: its JSON is known by identity) */
interface Slot { tok: unknown[]; json: string; fn: unknown; obj: object | null; bytes: Uint8Array | null; bytesOf: string | null }

/**
 * A timeline step made once and shared between records (the kernel model never changes an event
 * once made; freezing says so to the language): frozen with everything in it, so fateToJSON knows
 * its JSON by identity instead of comparing it token by token.
 */
export function sharedEvent<T extends TimelineEvent>(e: T): T {
  deepFreeze(e);
  SHARED.add(e);
  return e;
}

const SHARED = new WeakSet<object>();
/** made by sharedEvent: deep-frozen, so consumers may key what they derive from it by identity */
export function isSharedEvent(e: object): boolean {
  return SHARED.has(e);
}

function deepFreeze(v: unknown): void {
  if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return;
  Object.freeze(v);
  for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
}

/** frozen all the way down with plain data properties only (a getter could answer differently) */
function deepFrozen(v: unknown, depth: number): boolean {
  if (typeof v !== 'object' || v === null) return true;
  if (depth > MAX_DEPTH || !Object.isFrozen(v)) return false;
  for (const k of Object.keys(v)) {
    const d = Object.getOwnPropertyDescriptor(v, k);
    if (!d || d.get !== undefined || d.set !== undefined || !deepFrozen(d.value, depth + 1)) return false;
  }
  return true;
}

/** the JSON of shared steps (deep-frozen, plain data all the way down: checked once, when their
 *  JSON is first made), by identity: a capture of many hosts has more distinct shared steps at
 *  one position than the ListCache has ways */
const frozenJson = new WeakMap<object, string>();

/** the bytes of frozenJson's texts, made when a byte sink first needs them */
const frozenBytes = new WeakMap<object, Uint8Array>();
/** where ListCache.elem found its answer (listInto reads them): a slot, a shared step, or neither */
let hitSlot: Slot | null = null;
let hitFrozen: object | null = null;
const encoder = new TextEncoder();
const utf8 = (s: string): Uint8Array => encoder.encode(s);

/** per record: nobody gave Object.prototype or Array.prototype a toJSON (which would change what
 *  JSON.stringify writes for an element already cached by identity) */
let identityOk = true;

/** the JSON of list elements by position: a few recent distinct elements per position */
class ListCache {
  private readonly ways: Slot[][] = [];
  /** consecutive misses per position */
  private readonly misses: Uint32Array;
  /** listInto: the JSON bytes of string elements */
  private readonly strBytes = new Map<string, Uint8Array>();
  constructor(private readonly nways: number, private readonly npos: number) {
    this.misses = new Uint32Array(npos);
  }

  /** JSON of list `a` (an array: JSON.stringify's output for it) */
  list(a: unknown[]): string {
    let s = '[';
    for (let i = 0; i < a.length; i++) s += (i === 0 ? '' : ',') + this.elem(a[i], i);
    return s + ']';
  }

  /** list(a) into a sink: the elements found in the cache as their UTF-8 bytes, made once */
  listInto(a: unknown[], sink: JsonSink): void {
    sink.text('[');
    for (let i = 0; i < a.length; i++) {
      if (i !== 0) sink.text(',');
      const e = a[i];
      if (typeof e === 'string') {
        // a string element (egress names, unsupported notes): its JSON depends on nothing else
        let b = this.strBytes.get(e);
        if (b === undefined) {
          b = utf8(jstr(e));
          if (this.strBytes.size >= 256) this.strBytes.clear();
          this.strBytes.set(e, b);
        }
        sink.bytes(b);
        continue;
      }
      hitSlot = null;
      hitFrozen = null;
      const j = this.elem(e, i);
      if (hitSlot !== null) {
        const sl: Slot = hitSlot;
        // the slot's text may have been replaced since its bytes were made
        if (sl.bytesOf !== j) { sl.bytes = utf8(j); sl.bytesOf = j; }
        sink.bytes(sl.bytes!);
      } else if (hitFrozen !== null) {
        let b = frozenBytes.get(hitFrozen);
        if (b === undefined) { b = utf8(j); frozenBytes.set(hitFrozen, b); }
        sink.bytes(b);
      } else sink.text(j);
    }
    sink.text(']');
  }

  private elem(e: unknown, i: number): string {
    if (typeof e !== 'object' || e === null || Array.isArray(e) || i >= this.npos) {
      // toJSON is called with the element's index as key inside the list, '' on its own
      if (Array.isArray(e) && (e as { toJSON?: unknown }).toJSON !== undefined) throw BAIL;
      return jval(e);
    }
    // a class instance, toJSON...: JSON.stringify decides (and no getter of it is read here)
    if (!plainObject(e)) throw BAIL;
    let ws = this.ways[i];
    if (ws === undefined) ws = this.ways[i] = [];
    // a shared (deep-frozen) step seen before: its JSON by identity
    if (identityOk) {
      for (let w = 0; w < ws.length; w++) {
        const sl = ws[w];
        if (sl.obj === e) {
          if (w > 0) { ws[w] = ws[w - 1]; ws[w - 1] = sl; }
          this.misses[i] = 0;
          hitSlot = sl;
          return sl.json;
        }
      }
      if (Object.isFrozen(e)) {
        const j = frozenJson.get(e);
        if (j !== undefined) { hitFrozen = e; return j; }
      }
    }
    // timeline steps differ mostly in their function name: compared first (a filter only)
    const fn = (e as { fn?: unknown }).fn;
    // a position that keeps missing (a fresh step in every record) is compared only now and then
    const mi = this.misses[i];
    if (mi <= 16 || (mi & 15) === 0) for (let w = 0; w < ws.length; w++) {
      const sl = ws[w];
      if (sl.fn === fn && match(e, sl.tok, 0) === sl.tok.length) {
        // an equal shared step: it is the one known by identity from now on
        if (sl.obj !== e && deepFrozen(e, 0)) {
          sl.obj = e;
          frozenJson.set(e, sl.json);
        }
        // move a hit one place forward: the common elements are found first
        if (w > 0) { ws[w] = ws[w - 1]; ws[w - 1] = sl; }
        this.misses[i] = 0;
        hitSlot = sl;
        return sl.json;
      }
    }
    const json = jval(e);
    // a shared step: known by identity from now on, whether or not the cache keeps it
    const frozen = Object.isFrozen(e) && deepFrozen(e, 0);
    if (frozen) frozenJson.set(e, json);
    // a position that keeps missing (a step whose text is new in every record, e.g. addresses
    // and lengths) is cached only now and then: caching costs a token list and keeps garbage alive
    const m = ++this.misses[i];
    if (m > 16 && (m & 15) !== 0) return json;
    // a new element enters at the back (reusing the last slot's token list): one-off elements
    // (addresses, lengths) do not push out the common ones
    const full = ws.length === this.nways;
    const sl: Slot = full ? ws[ws.length - 1] : { tok: [], json, fn: undefined, obj: null, bytes: null, bytesOf: null };
    const tok = sl.tok;
    tok.length = 0;
    if (tokenize(e, tok, 0)) {
      sl.json = json;
      sl.fn = fn;
      sl.obj = frozen ? e : null;
      if (!full) ws.push(sl);
    } else if (full) {
      // not cacheable: the slot is emptied so that it matches nothing
      tok.length = 0;
      sl.fn = NOTHING;
      sl.obj = null;
    }
    return json;
  }
}

// A walker for what the cache has not seen, written to give JSON.stringify's bytes: a call to
// JSON.stringify costs ~0.5 us even for a short string, more than walking a timeline step here.
// Strings without a character JSON escapes are copied between quotes, others are escaped by
// JSON.stringify itself; numbers as Number#toString (non-finite: null); object keys in their
// enumeration order; undefined, functions and symbols left out of objects, null in lists.
// Anything else (toJSON, another prototype, bigint, deep nesting) leaves the fast path.
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

function jstr(s: string): string {
  return ESCAPED.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

/** JSON of a value inside the record; undefined where JSON.stringify leaves it out */
function jany(v: unknown, depth: number): string | undefined {
  switch (typeof v) {
    case 'string': return jstr(v);
    case 'number': return Number.isFinite(v) ? '' + v : 'null';
    case 'boolean': return v ? 'true' : 'false';
    case 'undefined': case 'function': case 'symbol': return undefined;
    case 'object': break;
    default: throw BAIL; // bigint: JSON.stringify throws its own TypeError
  }
  if (v === null) return 'null';
  if (depth > MAX_DEPTH) throw BAIL;
  if (Array.isArray(v)) {
    if ((v as { toJSON?: unknown }).toJSON !== undefined) throw BAIL;
    let s = '[';
    for (let i = 0; i < v.length; i++) {
      const x = jany(v[i], depth + 1);
      s += (i === 0 ? '' : ',') + (x === undefined ? 'null' : x);
    }
    return s + ']';
  }
  if (!plainObject(v)) throw BAIL;
  let s = '{';
  for (const k in v) {
    if (!hasOwn.call(v, k)) throw BAIL;
    const x = jany((v as Record<string, unknown>)[k], depth + 1);
    if (x === undefined) continue;
    s += (s.length === 1 ? '' : ',') + jstr(k) + ':' + x;
  }
  return s + '}';
}

/** a list element: as jany, null for what JSON.stringify leaves out */
function jval(v: unknown): string {
  const x = jany(v, 1);
  return x === undefined ? 'null' : x;
}

const events = new ListCache(8, 64);
const verdicts = new ListCache(8, 16);
const replies = new ListCache(2, 8);
const strs = new ListCache(4, 8);
const FATES = new Map<string, string>();

/**
 * Where fateToJSONInto writes: fresh text and the cached bytes of elements seen before (the same
 * bytes as the text's UTF-8). `mark`/`reset` take back what a record wrote when the fast path is
 * left midway (the record is then written whole from JSON.stringify).
 */
export interface JsonSink {
  text(s: string): void;
  bytes(b: Uint8Array): void;
  mark(): number;
  reset(m: number): void;
}

/** fateToJSON(r) written into a sink (its UTF-8): no text for the whole record is made */
export function fateToJSONInto(r: FateRecord, sink: JsonSink): void {
  const m = sink.mark();
  try {
    fastInto(r, sink);
  } catch {
    sink.reset(m);
    sink.text(JSON.stringify(canonical(r)));
  }
}

/** the record's first fields, `{"frame":..,"fate":..[,"copy_of"][,"reason"]`, shared by both fast
 *  paths; frame and fate must have the schema's types (a record that breaks them goes the slow way) */
function recordHead(r: FateRecord): string {
  if (typeof r.frame !== 'number' || typeof r.fate !== 'string' || !Array.isArray(r.events)) throw BAIL;
  identityOk = (OBJECT_PROTO as { toJSON?: unknown }).toJSON === undefined && (Array.prototype as { toJSON?: unknown }).toJSON === undefined;
  let fate = FATES.get(r.fate);
  if (fate === undefined) {
    fate = jstr(r.fate);
    if (FATES.size < 64) FATES.set(r.fate, fate);
  }
  let s = '{"frame":' + (Number.isFinite(r.frame) ? '' + r.frame : 'null') + ',"fate":' + fate;
  if (r.copy_of !== undefined) s += ',"copy_of":' + num(r.copy_of);
  if (r.reason !== undefined) s += ',"reason":' + field(r.reason);
  return s;
}

function fastInto(r: FateRecord, sink: JsonSink): void {
  sink.text(recordHead(r));
  if (r.egress && r.egress.length) { sink.text(',"egress":'); listInto(r.egress, strs, sink); }
  if (r.replies && r.replies.length) { sink.text(',"replies":'); listInto(r.replies, replies, sink); }
  if (r.verdicts && r.verdicts.length) { sink.text(',"verdicts":'); listInto(r.verdicts, verdicts, sink); }
  if (r.socket !== undefined) sink.text(',"socket":' + field(r.socket));
  if (r.unsupported && r.unsupported.length) { sink.text(',"unsupported":'); listInto(r.unsupported, strs, sink); }
  sink.text(',"events":');
  events.listInto(r.events, sink);
  sink.text('}');
}

function listInto(v: unknown, c: ListCache, sink: JsonSink): void {
  if (!Array.isArray(v)) throw BAIL;
  c.listInto(v, sink);
}

function fastJSON(r: FateRecord): string {
  let s = recordHead(r);
  if (r.egress && r.egress.length) s += ',"egress":' + list(r.egress, strs);
  if (r.replies && r.replies.length) s += ',"replies":' + list(r.replies, replies);
  if (r.verdicts && r.verdicts.length) s += ',"verdicts":' + list(r.verdicts, verdicts);
  if (r.socket !== undefined) s += ',"socket":' + field(r.socket);
  if (r.unsupported && r.unsupported.length) s += ',"unsupported":' + list(r.unsupported, strs);
  return s + ',"events":' + events.list(r.events) + '}';
}

/** an optional scalar field: a value JSON.stringify would leave out, or an object, goes the slow way */
function field(v: unknown): string {
  if (typeof v === 'string') return jstr(v);
  throw BAIL;
}

function num(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? '' + v : 'null';
  throw BAIL;
}

function list(v: unknown, c: ListCache): string {
  if (!Array.isArray(v)) throw BAIL;
  return c.list(v);
}

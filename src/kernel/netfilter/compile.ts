// IR -> closures, once per rule set (nf_tables_newrule builds the expression ops once; here every
// expression becomes a closure over its constants). Chains evaluate like nft_do_chain: rules in
// order, jump/goto with a return stack, the base chain's policy at the end. Long runs of rules
// that all compare the same header field under the same mask (== a constant, or a prefix:
// `-s NET/24` is `(saddr & 255.255.255.0) == NET`) are indexed by the masked value: only rules
// whose constant equals the packet's masked value are evaluated, in order, which gives the same
// first match as the linear walk. Only conjuncts preceded by side-effect-free ones take part (a
// rule skipped by the index or the prefilter must be one whose linear evaluation had no effect).

import type { Host, NetDevice } from '../../host/types.js';
import {
  formatIPv4, formatIPv6, TH_PROTO, META_UNSUPPORTED,
  type Expr, type IrChain, type IrRule, type IrTable, type Load, type SetDef, type Val, type SrcRef,
} from './ir.js';
import { concatKey } from './nft-values.js';
import { parseIpv4, parseIpv6 } from '../../packet/addr.js';
import { NFPROTO_ARP, NFPROTO_IPV4, NFPROTO_IPV6, NFPROTO_NETDEV } from './hook.js';
import { Fib, newFlow, type FibResult } from '../route/fib.js';
import type { Pkt } from './pkt.js';
import type { NfFlowtable } from './nf_flow_table.js';
import { exthdrNum, exthdrStr } from './nft-exthdr.js';
import { DynStore, dynsetPred, jhashLoad, numgenInc, quotaPred } from './nft-stateful.js';
import { buildClassifier, type Classifier, type FieldBound } from './classify.js';

/** per set, the elements rules add from the packet path (one store per loaded rule set) */
const dynStores = new WeakMap<SetDef, DynStore>();
import { CT_STATE_BIT_INVALID, CT_STATE_BIT_UNTRACKED, IP_CT_UNTRACKED, ctStateBit } from './nf_conntrack.js';
import type { TimelineEvent } from '../fate.js';

export const V_CONTINUE = 0, V_ACCEPT = 1, V_DROP = 2, V_RETURN = 3, V_JUMP = 4, V_GOTO = 5, V_QUEUE = 6, V_STOLEN = 7;
/** NF_QUEUE | NF_VERDICT_FLAG_QUEUE_BYPASS: with no listener nf_queue returns 1 and the hook goes on */
export const V_QUEUE_BYPASS = 8;
export const VERDICT_NAMES = ['continue', 'accept', 'drop', 'return', 'jump', 'goto', 'queue', 'stolen', 'queue'];

type NumFn = (p: Pkt) => number; // -1: not available (NFT_BREAK)
type StrFn = (p: Pkt) => string | null;
type Pred = (p: Pkt) => boolean;

export interface CRule {
  match: Pred;
  code: number;
  target: number;
  /** verdict comes from a vmap at run time (p.vcode / p.vchain) */
  dyn: boolean;
  ir: IrRule;
  /** "handle 4" or the iptables-save line */
  id: string;
  source: string;
  /** trace text when the rule matched without a verdict, and its source and 1-based position in
   *  its chain (the kernel's rulenum; `nft list` order), made once */
  traceContinue: string;
  detail: { source: string; position: number };
  /** numeric conjuncts (field == v, field in lo..hi, interface name == literal) for the classifier */
  bounds: FieldBound[];
  /** the rule may change the packet's bytes (a mangling target, fwd/dup): the chain's candidates are
   *  computed again after it is evaluated */
  writes: boolean;
  /** for the index: every payload == constant (or masked: aligned prefix range) conjunct; load gives the masked value */
  keys: { sig: string; load: NumFn; value: number }[];
  /** the evaluator's last Verdict object for this rule (index.ts: made once per base chain, hook and code) */
  verdictMemo: unknown;
}

export interface Block {
  start: number;
  end: number;
  load: NumFn;
  map: Map<number, Int32Array>;
}

export interface CChain {
  name: string;
  table: IrTable;
  ir: IrChain;
  rules: CRule[];
  blockOf: Int32Array;
  blocks: Block[];
  policy: number;
  /** "inet filter input" */
  label: string;
  /** rules' match functions and verdict codes in flat arrays for the evaluation loop */
  match: Pred[];
  code: Int32Array;
  /** the rules the packet can match, by the header fields most rules bound (classify.ts); null: visit all */
  cls: Classifier | null;
  /** some rule changes the packet (CRule.writes) */
  anyWrites: boolean;
  /** the evaluator's last Verdict object for this base chain's policy (index.ts) */
  verdictMemo: unknown;
}

/** interface names that rules compare with, as small numbers (0: a name no rule names) */
const IFNAME_IDS = new Map<string, number>();
function ifnameId(name: string): number {
  let id = IFNAME_IDS.get(name);
  if (id === undefined) IFNAME_IDS.set(name, (id = IFNAME_IDS.size + 1));
  return id;
}
const IIF_ID: NumFn = (p) => IFNAME_IDS.get(p.in?.name ?? '') ?? 0;
const OIF_ID: NumFn = (p) => IFNAME_IDS.get(p.out?.name ?? '') ?? 0;

export interface CompileCtx {
  host: Host;
  /** events of the frame being evaluated (log statements, traces) */
  events: TimelineEvent[];
  /** called for every unsupported construct once (file:line what) */
  report(src: SrcRef, what: string): void;
  ipsets: Map<string, SetDef>;
  /** conntrack mark/zone setters (ct set) */
  /** netdev fwd/dup: send the packet (dup: a clone) out `dev`; false when the kernel side is absent */
  netdevXmit?(p: Pkt, dev: NetDevice, dup: boolean, nexthop?: number | Uint8Array): boolean;
  /** the flowtable a `flow add @NAME` of table `tb` names, and nft_flow_offload_eval on it */
  flowtable?(tb: IrTable, name: string): NfFlowtable | undefined;
  flowOffload?(ft: NfFlowtable, p: Pkt): boolean;
}

const EMPTY = new Int32Array(0);
const MIN_BLOCK = 8;

/** test seam: false compiles chains without index and prefilter (the plain linear walk) */
export const compileOptions = { index: true };

/** meta keys whose loads neither change the packet nor mark it unsupported */
const PURE_META = new Set(['mark', 'l4proto', 'nfproto', 'protocol', 'pkttype', 'length', 'iiftype', 'oiftype', 'iifname', 'oifname', 'iifkind', 'oifkind']);

function pureLoad(l: Load): boolean {
  if (l.k === 'payload') return true;
  if (l.k === 'meta') return PURE_META.has(l.key);
  if (l.k === 'bitwise') return pureLoad(l.src);
  return false;
}

/** an expression whose evaluation has no effect besides its truth value (nothing logged, set, counted or marked unsupported) */
function pureExpr(e: Expr): boolean {
  if (e.k === 'cmp' || e.k === 'range' || e.k === 'prefixcmp') return pureLoad(e.left);
  return e.k === 'counter';
}

/** a range lo..hi that is one aligned prefix (lo & mask .. lo | ~mask): its mask, else null */
function prefixMask(lo: number, hi: number): number | null {
  const w = hi - lo + 1;
  if (!(w >= 2 && w <= 2 ** 31) || (w & (w - 1)) !== 0 || lo % w !== 0 || lo < 0 || hi >= 2 ** 32) return null;
  return ~(w - 1) >>> 0;
}

export function compileTable(tb: IrTable, cx: CompileCtx): CChain[] {
  const byName = new Map(tb.chains.map((c, i) => [c.name, i]));
  // sets that rules add to from the packet path: their lookups consult the added elements too
  for (const c of tb.chains) for (const r of c.rules) for (const e of r.exprs) {
    const set = e.k === 'dynset' ? tb.sets.get(e.set) : undefined;
    if (set) dynStores.set(set, new DynStore()); // fresh per compile: a second replay starts empty
  }
  // objects get their final shape at creation: the evaluation loop then sees one map (no deopts)
  return tb.chains.map((ir) => {
    const rules = ir.rules.map((r, i) => compileRule(r, tb, ir.name, byName, cx, i + 1));
    const ch: CChain = {
      name: ir.name, table: tb, ir, rules, blockOf: EMPTY, blocks: [],
      policy: ir.base?.policy === 'drop' ? V_DROP : V_ACCEPT, label: `${tb.family} ${tb.name} ${ir.name}`,
      match: rules.map((r) => r.match), code: Int32Array.from(rules.map((r) => r.code)),
      cls: buildClassifier(rules.map((r) => r.bounds)), anyWrites: rules.some((r) => r.writes), verdictMemo: null,
    };
    buildBlocks(ch);
    return ch;
  });
}

function compileRule(r: IrRule, tb: IrTable, chainName: string, byName: Map<string, number>, cx: CompileCtx, position: number): CRule {
  const preds: Pred[] = [];
  let code = V_CONTINUE, target = -1, dyn = false;
  const keys: CRule['keys'] = [];
  const bounds: CRule['bounds'] = [];
  const src = `${r.src.file}:${r.src.line}`;
  const useIndex = compileOptions.index;
  // true while every expression so far is side-effect free: only then may a conjunct skip the rule
  let pure = true;
  for (const e of r.exprs) {
    if (e.k === 'verdict') {
      code = verdictCode(e.v, e.bypass);
      if (e.chain !== undefined) {
        const t = byName.get(e.chain);
        if (t === undefined) throw new Error(`${src}: Error: Could not process rule: No such file or directory (chain '${e.chain}' does not exist in table ${tb.family} ${tb.name})`);
        target = t;
      }
      continue;
    }
    if (e.k === 'vmap') {
      const lookup = compileMap(e.map, tb, cx, r);
      const ld = compileKey(e.left, tb, cx, r);
      dyn = true;
      preds.push((p) => {
        const k = ld(p);
        if (k === null) return false;
        const d = lookup(k);
        if (d === undefined || typeof d !== 'object') return false;
        p.vcode = verdictCode(d.v, d.bypass);
        p.vchain = d.chain !== undefined ? byName.get(d.chain) ?? -1 : -1;
        return true;
      });
      continue;
    }
    if (pure && useIndex) addKey(e, keys, tb, cx, r);
    // fields that cannot change during a chain walk (headers, l4proto) bound the rule for the prefilter
    const stable = (l: Load) => l.k === 'payload' || (l.k === 'meta' && (l.key === 'l4proto' || l.key === 'nfproto'));
    if (!pure || !useIndex) { /* no bounds: the rule must be evaluated */ }
    else if (e.k === 'cmp' && e.op === 'eq' && typeof e.value === 'number' && stable(e.left)) {
      const ld = numLoad(e.left, tb, cx, r);
      if (ld) bounds.push({ sig: JSON.stringify(e.left), load: ld, lo: e.value, hi: e.value, ip4At: ip4At(e.left) });
    } else if (e.k === 'range' && !e.neg && typeof e.lo === 'number' && typeof e.hi === 'number' && stable(e.left)) {
      const ld = numLoad(e.left, tb, cx, r);
      if (ld) bounds.push({ sig: JSON.stringify(e.left), load: ld, lo: e.lo, hi: e.hi, ip4At: ip4At(e.left) });
    } else if (e.k === 'cmp' && e.op === 'eq' && typeof e.value === 'string' && e.left.k === 'meta' && (e.left.key === 'iifname' || e.left.key === 'oifname')) {
      // the devices do not change during a walk; the name compares as the string it is (x === value)
      const id = ifnameId(e.value);
      bounds.push({ sig: `meta ${e.left.key}`, load: e.left.key === 'iifname' ? IIF_ID : OIF_ID, lo: id, hi: id });
    }
    preds.push(compileExpr(e, tb, cx, r));
    pure &&= pureExpr(e);
  }
  const n = preds.length;
  let match: Pred;
  if (n === 0) match = () => true;
  else if (n === 1) match = preds[0]!;
  else if (n === 2) { const [a, b] = preds as [Pred, Pred]; match = (p) => a(p) && b(p); }
  else if (n === 3) { const [a, b, c] = preds as [Pred, Pred, Pred]; match = (p) => a(p) && b(p) && c(p); }
  else match = (p) => { for (let i = 0; i < n; i++) if (!preds[i]!(p)) return false; return true; };
  const id = r.iptables ? r.src.text : `handle ${r.handle}`;
  // iptables targets that mangle (TCPMSS, DSCP, TOS, TTL, HL, CHECKSUM...) are upper-case xt
  // expressions; fwd/dup send the packet from inside the rule
  const writes = r.exprs.some((e) => (e.k === 'xt' && /^[A-Z]/.test(e.name)) || e.k === 'fwd');
  return { match, code, target, dyn, ir: r, id, source: src, traceContinue: `${tb.family} ${tb.name} ${chainName} rule ${id} (verdict continue)`, detail: { source: src, position }, bounds, keys, writes, verdictMemo: null };
}

/**
 * Index keys of one conjunct: `payload == v`; `payload in lo..hi` when lo..hi is an aligned prefix
 * (x in lo..hi <=> (x & mask) == lo for x >= 0); `payload & mask == v` (nft's prefix on wide
 * values). The key's load returns the masked value (-1 when the field is absent, matching none).
 */
function addKey(e: Expr, keys: CRule['keys'], tb: IrTable, cx: CompileCtx, r: IrRule): void {
  let left: Load, value: number, mask: number | null = null;
  if (e.k === 'cmp' && e.op === 'eq' && typeof e.value === 'number') {
    left = e.left;
    value = e.value;
    if (left.k === 'bitwise' && left.xor === 0) { mask = left.mask >>> 0; left = left.src; if ((value & ~mask) !== 0) return; }
  } else if (e.k === 'range' && !e.neg && typeof e.lo === 'number' && typeof e.hi === 'number') {
    mask = prefixMask(e.lo, e.hi);
    if (mask === null) return;
    left = e.left;
    value = e.lo;
  } else return;
  if (left.k !== 'payload') return;
  const ld = numLoad(left, tb, cx, r);
  if (!ld) return;
  if (mask === null) { keys.push({ sig: JSON.stringify(left), load: ld, value }); return; }
  const m = mask;
  keys.push({ sig: `${JSON.stringify(left)}&${m}`, load: (p) => { const v = ld(p); return v < 0 ? v : (v & m) >>> 0; }, value });
}

function verdictCode(v: string, bypass?: boolean): number {
  switch (v) {
    case 'accept': return V_ACCEPT;
    case 'drop': return V_DROP;
    case 'return': return V_RETURN;
    case 'jump': return V_JUMP;
    case 'goto': return V_GOTO;
    case 'queue': return bypass ? V_QUEUE_BYPASS : V_QUEUE;
    default: return V_CONTINUE;
  }
}

/**
 * Index runs of >= MIN_BLOCK consecutive rules that share a `payload == constant` conjunct on the
 * same field. Of the fields a run could use, the one with the most distinct constants wins (for
 * `-s A/32 -p tcp --dport 22` lines: the source, not the port every rule shares).
 */
function buildBlocks(ch: CChain): void {
  const n = ch.rules.length;
  if (n < MIN_BLOCK) return;
  const blockOf = new Int32Array(n).fill(-1);
  // maximal runs per field, measured once: sig -> run covering the current position
  const runs = new Map<string, { end: number; distinct: number }>();
  const runOf = (i: number, sig: string): { end: number; distinct: number } => {
    const r = runs.get(sig);
    if (r && r.end > i) return r;
    let j = i;
    const vals = new Set<number>();
    for (; j < n; j++) {
      const kk = ch.rules[j]!.keys.find((x) => x.sig === sig);
      if (!kk) break;
      vals.add(kk.value);
    }
    const nr = { end: j, distinct: vals.size };
    runs.set(sig, nr);
    return nr;
  };
  let i = 0;
  while (i < n) {
    let best: { sig: string; end: number; distinct: number } | null = null;
    for (const k of ch.rules[i]!.keys) {
      const { end: j, distinct } = runOf(i, k.sig);
      if (j - i >= MIN_BLOCK && distinct > 1 && (!best || distinct > best.distinct || (distinct === best.distinct && j > best.end))) best = { sig: k.sig, end: j, distinct };
    }
    if (!best) { i++; continue; }
    const lists = new Map<number, number[]>();
    let load: NumFn | null = null;
    for (let x = i; x < best.end; x++) {
      const k = ch.rules[x]!.keys.find((y) => y.sig === best!.sig)!;
      load ??= k.load;
      let l = lists.get(k.value);
      if (!l) lists.set(k.value, (l = []));
      l.push(x);
    }
    const map = new Map<number, Int32Array>();
    for (const [v, l] of lists) map.set(v, Int32Array.from(l));
    const b = ch.blocks.length;
    ch.blocks.push({ start: i, end: best.end, load: load!, map });
    blockOf.fill(b, i, best.end);
    i = best.end;
  }
  if (ch.blocks.length) ch.blockOf = blockOf;
}

// ---------------- loads ----------------

function depGuard(load: Load, tb: IrTable, r?: IrRule): Pred | null {
  if (load.k !== 'payload') return null;
  const proto = load.proto;
  if (proto === 'ip') return (p) => p.nfproto === NFPROTO_IPV4;
  if (proto === 'ip6') return (p) => p.nfproto === NFPROTO_IPV6;
  if (proto === 'arp') return (p) => p.nfproto === NFPROTO_ARP;
  // nft's link-layer dependency in ip/ip6/inet/netdev tables: `meta iiftype ether` (payload_gen_special_dependency; nft 1.0.2 and 1.0.6 alike)
  if (proto === 'ether' && (tb.family === 'ip' || tb.family === 'ip6' || tb.family === 'inet' || tb.family === 'netdev')) return (p) => !!p.in && arphrd(p.in.kind) === 1;
  const l4 = TH_PROTO[proto];
  if (l4 !== undefined) {
    // nft's dependencies: icmp/igmp on IPv4, icmpv6 on IPv6 (meta nfproto / ether type), then l4proto;
    // icmp id/sequence/mtu/gateway also on the icmp type that carries them (proto.c icmp_dep)
    // (the family part only where the table does not fix it and the rule does not say it: inet, bridge, netdev)
    const famFree = (tb.family === 'inet' || tb.family === 'bridge' || tb.family === 'netdev') && !(r && ruleFixesL3(r));
    const fam = !famFree ? 0 : proto === 'icmp' || proto === 'igmp' ? NFPROTO_IPV4 : proto === 'icmpv6' ? NFPROTO_IPV6 : 0;
    const types = ICMP_FIELD_DEP[`${proto} ${load.field}`];
    if (types) {
      const [a, b, c] = [types[0]!, types[1] ?? types[0]!, types[2] ?? types[0]!];
      return (p) => p.l4proto === l4 && (fam === 0 || p.nfproto === fam) && p.th >= 0 && p.fragoff === 0 && p.th < p.end && (p.d[p.th] === a || p.d[p.th] === b || p.d[p.th] === c);
    }
    if (fam) return (p) => p.l4proto === l4 && p.nfproto === fam && p.th >= 0 && p.fragoff === 0;
    return (p) => p.l4proto === l4 && p.th >= 0 && p.fragoff === 0;
  }
  if (proto === 'th') return (p) => p.th >= 0 && p.fragoff === 0;
  return null;
}

/** the IPv4 header offset of a plain 4-byte `ip` field (what fusedPayload reads), for the classifier */
function ip4At(l: Load): number | undefined {
  return l.k === 'payload' && l.proto === 'ip' && l.base === 'nh' && l.len === 4 && l.mask === undefined ? l.offset : undefined;
}

/** transport protocols whose payload dependency is `l4proto == P`, a transport header, no fragment offset (depGuard) */
const PLAIN_L4 = new Set(['tcp', 'udp', 'udplite', 'sctp', 'dccp']);

/**
 * The most common loads in one closure (IPv4 header fields; ports and other fields of a plain
 * transport header): the same values as depGuard + the reader below, without the closures
 * between them (called for every rule that bounds -s/-d/--dport, and by the classifier).
 */
function fusedPayload(proto: string, base: string, offset: number, len: number): NumFn | null {
  if (proto === 'ip' && base === 'nh') {
    if (len === 4) return (p) => {
      const nh = p.nh, o = nh + offset;
      if (p.nfproto !== NFPROTO_IPV4 || nh < 0 || o + 4 > p.end) return -1;
      const d = p.d;
      return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
    };
    if (len === 2) return (p) => {
      const nh = p.nh, o = nh + offset;
      if (p.nfproto !== NFPROTO_IPV4 || nh < 0 || o + 2 > p.end) return -1;
      return (p.d[o]! << 8) | p.d[o + 1]!;
    };
    if (len === 1) return (p) => {
      const nh = p.nh, o = nh + offset;
      if (p.nfproto !== NFPROTO_IPV4 || nh < 0 || o + 1 > p.end) return -1;
      return p.d[o]!;
    };
    return null;
  }
  if (base === 'th' && PLAIN_L4.has(proto)) {
    const l4 = TH_PROTO[proto]!;
    if (len === 2) return (p) => {
      const th = p.th, o = th + offset;
      if (p.l4proto !== l4 || th < 0 || p.fragoff !== 0 || o + 2 > p.end) return -1;
      return (p.d[o]! << 8) | p.d[o + 1]!;
    };
    if (len === 1) return (p) => {
      const th = p.th, o = th + offset;
      if (p.l4proto !== l4 || th < 0 || p.fragoff !== 0 || o + 1 > p.end) return -1;
      return p.d[o]!;
    };
  }
  return null;
}

/** whether the rule itself matches the network protocol (meta nfproto/protocol, ether type, an ip/ip6/arp field) */
const l3Fixed = new WeakMap<IrRule, boolean>();
function ruleFixesL3(r: IrRule): boolean {
  let v = l3Fixed.get(r);
  if (v === undefined) {
    const fixes = (l: Load): boolean =>
      (l.k === 'meta' && (l.key === 'nfproto' || l.key === 'protocol')) || (l.k === 'payload' && (l.proto === 'ip' || l.proto === 'ip6' || l.proto === 'arp' || (l.proto === 'ether' && l.field === 'type'))) || (l.k === 'bitwise' && fixes(l.src));
    v = r.exprs.some((e) => (e.k === 'cmp' || e.k === 'range' || e.k === 'lookup') && fixes(e.left));
    l3Fixed.set(r, v);
  }
  return v;
}

/** icmp fields that exist only in some message types: nft adds `icmp type {...}` before loading them */
const ICMP_FIELD_DEP: Record<string, number[]> = {
  'icmp id': [8, 0], 'icmp sequence': [8, 0], 'icmp mtu': [3], 'icmp gateway': [5],
  'icmpv6 id': [128, 129], 'icmpv6 sequence': [128, 129], 'icmpv6 mtu': [2], 'icmpv6 max-delay': [130, 131, 132], 'icmpv6 param-problem': [4],
};

function baseOf(p: Pkt, base: string): number {
  switch (base) {
    case 'll': return p.ll;
    case 'nh': return p.nh;
    case 'th': return p.fragoff === 0 ? p.th : -1;
    default: return -1;
  }
}

/** numeric loader, or null when the load is not a number (addresses > 4 bytes, names, concatenations) */
export function numLoad(load: Load, tb: IrTable, cx: CompileCtx, r: IrRule): NumFn | null {
  switch (load.k) {
    case 'payload': {
      if (load.len > 4) return null;
      const { base, offset, len } = load;
      const guard = depGuard(load, tb, r);
      const mask = load.mask, shift = load.shift ?? 0;
      if (load.proto === 'vlan') return vlanLoad(load.field);
      const fused = mask === undefined ? fusedPayload(load.proto, base, offset, len) : null;
      if (fused) return fused;
      const rd: NumFn =
        len === 1 ? (p) => { const o = baseOf(p, base); if (o < 0 || o + offset + 1 > p.end) return -1; return p.d[o + offset]!; }
        : len === 2 ? (p) => { const o = baseOf(p, base) + offset; if (o < offset || o + 2 > p.end) return -1; return (p.d[o]! << 8) | p.d[o + 1]!; }
        : len === 4 ? (p) => { const o = baseOf(p, base) + offset; if (o < offset || o + 4 > p.end) return -1; return ((p.d[o]! << 24) | (p.d[o + 1]! << 16) | (p.d[o + 2]! << 8) | p.d[o + 3]!) >>> 0; }
        : (p) => { const o = baseOf(p, base) + offset; if (o < offset || o + len > p.end) return -1; let v = 0; for (let i = 0; i < len; i++) v = v * 256 + p.d[o + i]!; return v; };
      const masked: NumFn = mask === undefined ? rd : (p) => { const v = rd(p); return v < 0 ? v : (v & mask) >>> shift; };
      if (!guard) return masked;
      return (p) => (guard(p) ? masked(p) : -1);
    }
    case 'meta': return metaNum(load.key, cx, r);
    case 'ct': return ctNum(load.key, load.dir, cx, r);
    case 'exthdr': return load.len <= 4 ? exthdrNum(load) : null;
    case 'shift': {
      const src = numLoad(load.src, tb, cx, r);
      if (!src) return null;
      const n = load.n;
      return load.op === 'lshift' ? (p) => { const v = src(p); return v < 0 ? v : (v << n) >>> 0; } : (p) => { const v = src(p); return v < 0 ? v : v >>> n; };
    }
    case 'numgen':
      // inc is a per-rule counter; random draws from the kernel's prandom state: not reproducible,
      // except mod 1 (kube-proxy's one-endpoint services): nft_ng_random_gen is
      // reciprocal_scale(get_random_u32(), 1) + offset, and reciprocal_scale(x, 1) = (x * 1) >> 32 = 0
      if (load.mode === 'random') {
        if (load.mod === 1) { const v = (load.offset ?? 0) >>> 0; return () => v; }
        return unsupportedNum('numgen random', cx, r);
      }
      return numgenInc(load.mod, load.offset);
    case 'hash': {
      // symhash uses the flow dissector's boot-time random secret; jhash without a seed a random seed
      if (load.type === 'symhash') return unsupportedNum('symhash (seeded at boot)', cx, r);
      if (load.seed === undefined) return unsupportedNum('jhash without a seed (the kernel picks a random one)', cx, r);
      const srcParts = load.src?.k === 'concat' ? load.src.parts : load.src ? [load.src] : [];
      const parts = srcParts.map((x) => hashPart(x, tb, cx, r));
      if (parts.some((x) => !x)) return unsupportedNum('jhash of a value the model cannot lay out as the kernel registers do', cx, r);
      return jhashLoad(parts as NonNullable<(typeof parts)[number]>[], load.mod, load.seed, load.offset);
    }
    case 'map': {
      // nft_lookup with a data register: the element's value, NFT_BREAK when none
      const look = compileMap(load.map, tb, cx, r);
      const key = compileKey(load.src, tb, cx, r);
      return (p) => {
        const k = key(p);
        if (k === null) return -1;
        const d = look(k);
        return typeof d === 'number' ? d : -1;
      };
    }
    case 'bitwise': {
      const src = numLoad(load.src, tb, cx, r);
      if (!src) return null;
      const { mask, xor } = load;
      return (p) => { const v = src(p); return v < 0 ? v : ((v & mask) ^ xor) >>> 0; };
    }
    case 'fib': {
      if (load.result !== 'type') return null;
      return fibType(load.flags, cx, r);
    }
    default: return null;
  }
}

function vlanLoad(field: string): NumFn {
  // 802.1Q tag: in the skb metadata when the driver/bridge untagged it, else in the frame
  return (p) => {
    const s = p.skb;
    let tci: number, type: number;
    if (s.vlan_present) { tci = s.vlan_tci; type = s.protocol; }
    else {
      const o = p.ll;
      if (o < 0 || o + 18 > p.end) return -1;
      const et = (p.d[o + 12]! << 8) | p.d[o + 13]!;
      if (et !== 0x8100 && et !== 0x88a8) return -1;
      tci = (p.d[o + 14]! << 8) | p.d[o + 15]!;
      type = (p.d[o + 16]! << 8) | p.d[o + 17]!;
    }
    switch (field) {
      case 'id': return tci & 0xfff;
      case 'pcp': return tci >> 13;
      case 'dei': return (tci >> 12) & 1;
      default: return type;
    }
  };
}

function metaNum(key: string, cx: CompileCtx, r: IrRule): NumFn | null {
  switch (key) {
    case 'mark': return (p) => p.skb.mark >>> 0;
    case 'l4proto': return (p) => p.l4proto;
    case 'nfproto': return (p) => p.nfproto === NFPROTO_ARP ? (p.pf === NFPROTO_ARP ? 3 : -1) : p.pf === NFPROTO_IPV4 || p.pf === NFPROTO_IPV6 ? p.pf : p.nfproto;
    case 'protocol': return (p) => p.skb.protocol;
    case 'pkttype': return (p) => p.skb.pkt_type;
    // skb->len: from the network header at the IP, ARP, bridge hooks and netdev ingress (eth_type_trans pulled
    // the MAC header; ip_rcv trimmed IP packets to tot_len), from the MAC header at netdev egress
    case 'length': return (p) => {
      if (p.nh >= 0 && (p.nfproto === NFPROTO_IPV4 || p.nfproto === NFPROTO_IPV6)) return p.end - p.nh;
      if (p.pf === NFPROTO_NETDEV && p.hook === 1) return p.skb.tail - (p.ll >= 0 ? p.ll : p.skb.start);
      return p.skb.tail - (p.nh >= 0 ? p.nh : p.skb.start);
    };
    case 'iiftype': return (p) => (p.in ? arphrd(p.in.kind) : -1);
    case 'oiftype': return (p) => (p.out ? arphrd(p.out.kind) : -1);
    case 'nftrace': return () => 0;
    default:
      if (META_UNSUPPORTED.has(key)) return unsupportedNum(`meta ${key}`, cx, r);
      return null;
  }
}

function arphrd(kind: string): number {
  return kind === 'loopback' ? 772 : kind === 'tun' || kind === 'wireguard' ? 65534 : 1;
}

function unsupportedNum(what: string, cx: CompileCtx, r: IrRule): NumFn {
  cx.report(r.src, what);
  const s = `${r.src.file}:${r.src.line}: ${what}`;
  return (p) => { (p.unsupported ??= []).push(s); return -1; };
}

function ctNum(key: string, dir: string | undefined, cx: CompileCtx, r: IrRule): NumFn | null {
  const reply = dir === 'reply';
  switch (key) {
    case 'state':
      // nft_ct_get_eval: no ct -> UNTRACKED when ctinfo says so, else INVALID
      return (p) => (p.ct ? ctStateBit(p.ctinfo) : p.ctinfo === IP_CT_UNTRACKED ? CT_STATE_BIT_UNTRACKED : CT_STATE_BIT_INVALID);
    case 'status': return (p) => (p.ct ? p.ct.status : -1);
    case 'mark': return (p) => (p.ct ? p.ct.mark >>> 0 : -1);
    case 'zone': return (p) => (p.ct ? p.ct.zone : -1);
    case 'direction': return (p) => (p.ct ? (p.ctinfo >= 3 ? 1 : 0) : -1);
    case 'l3proto': return (p) => (p.ct ? p.ct.tuple[0].l3 : -1);
    case 'protocol': return (p) => (p.ct ? p.ct.tuple[0].proto : -1);
    case 'saddr': return (p) => (p.ct && p.ct.tuple[reply ? 1 : 0].l3 === 2 ? (p.ct.tuple[reply ? 1 : 0].src as number) : -1);
    case 'daddr': return (p) => (p.ct && p.ct.tuple[reply ? 1 : 0].l3 === 2 ? (p.ct.tuple[reply ? 1 : 0].dst as number) : -1);
    case 'proto-src': return (p) => (p.ct ? p.ct.tuple[reply ? 1 : 0].sport : -1);
    case 'proto-dst': return (p) => (p.ct ? p.ct.tuple[reply ? 1 : 0].dport : -1);
    default: return unsupportedNum(`ct ${key}`, cx, r);
  }
}

function fibType(flags: string[], cx: CompileCtx, r: IrRule): NumFn {
  if (!flags.includes('daddr') && !flags.includes('saddr')) return unsupportedNum(`fib ${flags.join(' . ')} type`, cx, r);
  const useSaddr = flags.includes('saddr');
  // RTN_LOCAL for the host's own addresses, broadcast/multicast by address, else unicast
  const local4 = new Set<number>();
  const bcast4 = new Set<number>([0xffffffff]);
  const local6 = new Set<string>();
  for (const dev of cx.host.devices) {
    for (const a of dev.addrs) {
      if (a.family === 4) {
        local4.add(a.local as number);
        if (a.broadcast !== undefined) bcast4.add(a.broadcast);
      } else local6.add(String.fromCharCode(...(a.local as Uint8Array)));
    }
  }
  return (p) => {
    if (p.nh < 0) return -1;
    if (p.nfproto === NFPROTO_IPV4) {
      const o = p.nh + (useSaddr ? 12 : 16);
      const a = ((p.d[o]! << 24) | (p.d[o + 1]! << 16) | (p.d[o + 2]! << 8) | p.d[o + 3]!) >>> 0;
      if (local4.has(a) || a >>> 24 === 127) return 2;
      if (bcast4.has(a)) return 3;
      if (a >>> 28 === 14) return 5;
      return 1;
    }
    if (p.nfproto === NFPROTO_IPV6) {
      const o = p.nh + (useSaddr ? 8 : 24);
      if (p.d[o] === 0xff) return 5;
      let s = '';
      for (let i = 0; i < 16; i++) s += String.fromCharCode(p.d[o + i]!);
      return local6.has(s) ? 2 : 1;
    }
    return -1;
  };
}

/**
 * nft_fib4_eval / nft_fib6_eval with result oif/oifname: a route lookup for the packet's daddr (or,
 * reversed, its saddr: the reverse-path check of `fib saddr . iif oif missing drop`), the found
 * device's name or '' when none (missing).
 */
function fibOif(flags: string[], cx: CompileCtx, r: IrRule): StrFn | null {
  if (flags.some((f) => !['saddr', 'daddr', 'iif', 'oif', 'mark'].includes(f))) return null;
  const fib = new Fib(cx.host, 4);
  const fl = newFlow();
  const out = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
  const useDaddr = flags.includes('daddr'), iif = flags.includes('iif'), oifF = flags.includes('oif'), mark = flags.includes('mark');
  const v6 = fibOif6(useDaddr, iif, oifF, mark, cx);
  return (p) => {
    if (p.nfproto === NFPROTO_IPV6) return v6(p);
    if (p.nfproto !== NFPROTO_IPV4 || p.nh < 0) return null;
    const oif = iif ? p.in : oifF ? p.out : null;
    // packets looped back at prerouting match their own device
    if (p.hook === 0 && p.in && (p.in.kind === 'loopback' || p.in.flags.has('LOOPBACK'))) return p.in.name;
    const d = p.d, nh = p.nh;
    const saddr = ((d[nh + 12]! << 24) | (d[nh + 13]! << 16) | (d[nh + 14]! << 8) | d[nh + 15]!) >>> 0;
    const daddr = ((d[nh + 16]! << 24) | (d[nh + 17]! << 16) | (d[nh + 18]! << 8) | d[nh + 19]!) >>> 0;
    if (saddr === 0 && (daddr === 0xffffffff || (daddr & 0xffffff00) === 0xe0000000)) return p.skb.dev?.name ?? p.in?.name ?? null;
    fl.mark = mark ? p.skb.mark : 0;
    fl.iif = 0;
    fl.oif = 0;
    if (useDaddr) { fl.daddr = daddr; fl.saddr = saddr; }
    else {
      if (p.hook === 2 && iif && p.out) fl.iif = p.out.ifindex;
      fl.daddr = saddr;
      fl.saddr = daddr;
    }
    if (fib.lookup(fl, out) !== 0 || !out.alias) return '';
    if (out.alias.type === 'local') return '';
    if (!oif) return out.nh?.dev?.name ?? '';
    return out.alias.nhs.some((n) => n.dev?.ifindex === oif.ifindex) ? oif.name : '';
  };
}

/** ipv6_addr_type(a) & IPV6_ADDR_LINKLOCAL: fe80::/10, or multicast of link-local scope (ff02::/16 and ff?2) */
function linkLocal6(d: Uint8Array, o: number): boolean {
  return (d[o] === 0xfe && (d[o + 1]! & 0xc0) === 0x80) || (d[o] === 0xff && (d[o + 1]! & 0x0f) === 2);
}

/**
 * nft_fib6_eval (net/ipv6/netfilter/nft_fib_ipv6.c): nft_fib6_flowi_init swaps the addresses for
 * saddr, binds a lookup towards a link-local address to the device (RT6_LOOKUP_F_IFACE); at
 * prerouting a looped-back packet and an ICMPv6 packet from :: to a link-local address match their
 * input device without a lookup (nft_fib_is_loopback, nft_fib_v6_skip_icmpv6); ip6_route_lookup's
 * result counts unless it is an error (no route: ip6_null_entry), a reject, anycast or local route;
 * with iif/oif its device must be that device.
 */
function fibOif6(useDaddr: boolean, iif: boolean, oifF: boolean, mark: boolean, cx: CompileCtx): StrFn {
  const fib = new Fib(cx.host, 6);
  const fl = newFlow();
  const fd = new Uint8Array(16), fs = new Uint8Array(16);
  fl.daddr = fd;
  fl.saddr = fs;
  const out = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
  return (p) => {
    if (p.nh < 0 || p.nh + 40 > p.end) return null;
    const oif = iif ? p.in : oifF ? p.out : null;
    const d = p.d, nh = p.nh;
    if (p.hook === 0 && p.in) {
      if (p.in.kind === 'loopback' || p.in.flags.has('LOOPBACK')) return p.in.name;
      let any = true;
      for (let i = 0; i < 16; i++) if (d[nh + 8 + i] !== 0) { any = false; break; }
      if (any && p.l4proto === 58 && linkLocal6(d, nh + 24)) return p.in.name;
    }
    const dOff = useDaddr ? nh + 24 : nh + 8, sOff = useDaddr ? nh + 8 : nh + 24;
    for (let i = 0; i < 16; i++) { fd[i] = d[dOff + i]!; fs[i] = d[sOff + i]!; }
    fl.iif = 1; // flowi6_iif = LOOPBACK_IFINDEX
    fl.oif = linkLocal6(fd, 0) ? (oif ?? p.skb.dev ?? p.in)?.ifindex ?? 0 : 0;
    fl.mark = mark ? p.skb.mark : 0;
    fl.proto = p.l4proto < 0 ? 0 : p.l4proto;
    if (fib.lookup(fl, out) !== 0 || !out.alias || !out.nh?.dev) return '';
    if (out.alias.type !== 'unicast') return '';
    const dev = out.nh.dev;
    if (oif && oif.ifindex !== dev.ifindex) return '';
    return dev.name;
  };
}

function strLoad(load: Load, tb: IrTable, cx: CompileCtx, r: IrRule): StrFn {
  switch (load.k) {
    case 'meta':
      switch (load.key) {
        // nft_meta_store_ifname: no device is the empty name (no break): `oifname != "eth0"` matches at input
        case 'iifname': return (p) => p.in?.name ?? '';
        case 'oifname': return (p) => p.out?.name ?? '';
        case 'ibrname': case 'ibridgename': return (p) => p.in?.master ?? null;
        case 'obrname': case 'obridgename': return (p) => p.out?.master ?? null;
        case 'iifkind': return (p) => p.in?.kind ?? null;
        case 'oifkind': return (p) => p.out?.kind ?? null;
      }
      break;
    case 'payload': {
      const { base, offset, len } = load;
      const guard = depGuard(load, tb, r);
      return (p) => {
        if (guard && !guard(p)) return null;
        const o = baseOf(p, base) + offset;
        if (o < offset || o + len > p.end) return null;
        let s = '';
        for (let i = 0; i < len; i++) s += String.fromCharCode(p.d[o + i]!);
        return s;
      };
    }
    case 'fib':
      if (load.result !== 'type') {
        const f = fibOif(load.flags, cx, r);
        if (f) return f;
      }
      break;
    case 'ct': {
      if (load.key === 'saddr' || load.key === 'daddr') {
        const idx = load.dir === 'reply' ? 1 : 0;
        const k = load.key === 'saddr' ? 'src' : 'dst';
        return (p) => (p.ct && p.ct.tuple[idx].l3 === 10 ? (p.ct.tuple[idx][k] as string) : null);
      }
      // nft_ct_get_eval NFT_CT_HELPER: the helper of the connection's master (an expected
      // connection, e.g. FTP data); none (no master, or a master without helper): NFT_BREAK
      if (load.key === 'helper' && !load.dir) return (p) => p.ct?.master?.helper ?? null;
      break;
    }
    case 'exthdr': return exthdrStr(load);
    case 'concat': {
      const parts = load.parts.map((x) => compileKey(x, tb, cx, r));
      return (p) => {
        let s = '';
        for (const f of parts) {
          const v = f(p);
          if (v === null) return null;
          s += typeof v === 'number' ? String.fromCharCode((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255) : v;
        }
        return s;
      };
    }
  }
  const what = load.k === 'opaque' ? load.what : `expression ${load.k} not modelled`;
  cx.report(r.src, what);
  const s = `${r.src.file}:${r.src.line}: ${load.k === 'opaque' ? load.what : load.k}`;
  return (p) => { (p.unsupported ??= []).push(s); return null; };
}

/** a loader for set keys: number or string, null when absent */
function compileKey(load: Load, tb: IrTable, cx: CompileCtx, r: IrRule): (p: Pkt) => Val | null {
  const n = numLoad(load, tb, cx, r);
  if (n) return (p) => { const v = n(p); return v < 0 ? null : v; };
  return strLoad(load, tb, cx, r);
}

// ---------------- expressions ----------------

function compileExpr(e: Expr, tb: IrTable, cx: CompileCtx, r: IrRule): Pred {
  switch (e.k) {
    case 'cmp': {
      const n = numLoad(e.left, tb, cx, r);
      if (n && typeof e.value === 'number') {
        const v = e.value;
        switch (e.op) {
          case 'eq': return (p) => n(p) === v;
          case 'neq': return (p) => { const x = n(p); return x >= 0 && x !== v; };
          case 'lt': return (p) => { const x = n(p); return x >= 0 && x < v; };
          case 'gt': return (p) => n(p) > v;
          case 'lte': return (p) => { const x = n(p); return x >= 0 && x <= v; };
          case 'gte': return (p) => n(p) >= v;
        }
      }
      const s = strLoad(e.left, tb, cx, r);
      const v = String(e.value);
      switch (e.op) {
        case 'eq': return (p) => s(p) === v;
        case 'neq': return (p) => { const x = s(p); return x !== null && x !== v; };
        case 'lt': return (p) => { const x = s(p); return x !== null && x < v; };
        case 'gt': return (p) => { const x = s(p); return x !== null && x > v; };
        case 'lte': return (p) => { const x = s(p); return x !== null && x <= v; };
        case 'gte': return (p) => { const x = s(p); return x !== null && x >= v; };
      }
      break;
    }
    case 'prefixcmp': {
      const s = strLoad(e.left, tb, cx, r);
      const v = e.value, neg = e.neg;
      return (p) => { const x = s(p); return x !== null && x.startsWith(v) !== neg; };
    }
    case 'range': {
      const n = numLoad(e.left, tb, cx, r);
      const neg = e.neg;
      if (n && typeof e.lo === 'number' && typeof e.hi === 'number') {
        const lo = e.lo, hi = e.hi;
        return (p) => { const x = n(p); return x >= 0 && (x >= lo && x <= hi) !== neg; };
      }
      const s = strLoad(e.left, tb, cx, r);
      const lo = String(e.lo), hi = String(e.hi);
      return (p) => { const x = s(p); return x !== null && (x >= lo && x <= hi) !== neg; };
    }
    case 'lookup': {
      const has = compileSetHas(e.set, tb, cx, r, e.left);
      const neg = e.neg;
      return (p) => { const h = has(p); return h !== null && h !== neg; };
    }
    case 'counter': return () => true;
    case 'log': {
      const what = `log${e.prefix !== undefined ? ` prefix "${e.prefix}"` : ''}`;
      return () => { cx.events.push({ fn: 'nf_log_packet', what }); return true; };
    }
    case 'limit': return compileLimit(e);
    case 'meta_set': {
      if (e.key === 'nftrace') return () => true; // tracing only: no effect on the packet's fate
      if (e.key !== 'mark') return unsupportedPred(`meta ${e.key} set`, cx, r);
      const val = typeof e.value === 'object' ? numLoad(e.value, tb, cx, r) : null;
      if (typeof e.value === 'object' && !val) return unsupportedPred(`meta mark set ${e.value.k === 'opaque' ? e.value.what : e.value.k}`, cx, r);
      if (typeof e.value === 'string') return unsupportedPred(`meta mark set "${e.value}"`, cx, r);
      const c = typeof e.value === 'number' ? e.value : 0;
      const mask = e.mask;
      return (p) => {
        const v = val ? val(p) : c;
        if (v < 0) return false;
        const old = p.skb.mark;
        p.skb.mark = mask === undefined ? v >>> 0 : ((old & ~mask) ^ v) >>> 0;
        return true;
      };
    }
    case 'ct_set': {
      if (e.key !== 'mark') return unsupportedPred(`ct ${e.key} set`, cx, r);
      const val = typeof e.value === 'object' ? numLoad(e.value, tb, cx, r) : null;
      if (typeof e.value === 'object' && !val) return unsupportedPred(`ct mark set ${e.value.k === 'opaque' ? e.value.what : e.value.k}`, cx, r);
      if (typeof e.value === 'string') return unsupportedPred(`ct mark set "${e.value}"`, cx, r);
      const c = typeof e.value === 'number' ? e.value : 0;
      const mask = e.mask;
      return (p) => {
        const v = val ? val(p) : c;
        if (v < 0 || !p.ct) return true;
        p.ct.mark = mask === undefined ? v >>> 0 : ((p.ct.mark & ~mask) ^ v) >>> 0;
        return true;
      };
    }
    case 'notrack':
      return (p) => { p.ct = null; p.ctinfo = IP_CT_UNTRACKED; p.skb.ct = null; p.skb.ctinfo = IP_CT_UNTRACKED; return true; };
    case 'nat': {
      if (!tb.chains.some((c) => c.base?.type === 'nat')) return unsupportedPred(`${e.type} outside a nat chain`, cx, r);
      const req = e;
      return (p) => { p.natReq = req; return true; };
    }
    case 'reject': {
      const req = e;
      // nft's dependencies (stmt_reject_gen_dependency): tcp reset only for TCP; icmp / icmpv6 only for
      // that IP family where the table does not fix it (inet, bridge, netdev)
      const tcp = e.type === 'tcp-reset';
      const fam = (e.type === 'icmp' || e.type === 'icmpv6') && (tb.family === 'inet' || tb.family === 'bridge' || tb.family === 'netdev') ? (e.type === 'icmp' ? NFPROTO_IPV4 : NFPROTO_IPV6) : 0;
      return (p) => {
        if (tcp && p.l4proto !== 6) return false;
        if (fam && p.nfproto !== fam) return false;
        p.rejectReq = req;
        return true;
      };
    }
    case 'fwd': {
      // nft_fwd_netdev_eval / nft_dup_netdev_eval: the device is resolved when the rule is loaded
      // (nft refuses an unknown one); fwd ends the rule with NF_STOLEN, dup lets it go on
      const dev = cx.host.byName.get(e.dev);
      const what = e.neigh ? `fwd ip${e.neigh.family === 6 ? '6' : ''} to ${e.neigh.addr} device ${e.dev}` : `${e.dup ? 'dup' : 'fwd'} to ${e.dev}`;
      if (!dev) return unsupportedPred(`${what}: no such device in the snapshot`, cx, r);
      if (!cx.netdevXmit) return unsupportedPred(what, cx, r);
      const dup = e.dup, send = cx.netdevXmit;
      if (e.neigh) {
        // nft_fwd_neigh_eval: a packet of the other protocol (skb->protocol) -> NFT_BREAK, the rule ends unmatched
        const v6 = e.neigh.family === 6;
        const proto = v6 ? 0x86dd : 0x0800;
        const nexthop = v6 ? parseIpv6(e.neigh.addr)! : parseIpv4(e.neigh.addr)!;
        // TTL / hop limit 1 or 0: NF_DROP, nothing sent (measured on 6.18, fixtures/kernel/nft-fwd-dup)
        const ttlOff = v6 ? 7 : 8;
        return (p) => {
          if (p.skb.protocol !== proto) return false;
          if (p.nh >= 0 && p.nh + ttlOff < p.end && p.d[p.nh + ttlOff]! <= 1) { p.fwdVerdict = V_DROP; return true; }
          if (!send(p, dev, false, nexthop)) { (p.unsupported ??= []).push(`${r.src.file}:${r.src.line}: ${what}`); return false; }
          p.fwdVerdict = V_STOLEN;
          return true;
        };
      }
      return (p) => {
        if (!send(p, dev, dup)) { (p.unsupported ??= []).push(`${r.src.file}:${r.src.line}: ${what}`); return false; }
        if (!dup) p.fwdVerdict = V_STOLEN;
        return true;
      };
    }
    case 'quota': {
      const len = metaNum('length', cx, r)!;
      return quotaPred(e.bytes, e.over, e.used, (p) => Math.max(0, len(p)));
    }
    case 'dynset': {
      const set = tb.sets.get(e.set);
      const store = set && dynStores.get(set);
      const opaque = (l: Load): boolean => l.k === 'opaque' || (l.k === 'concat' && l.parts.some(opaque));
      if (!set || !store || opaque(e.key)) return unsupportedPred(`${e.op} @${e.set} with a key the model does not build`, cx, r);
      const key = compileKey(e.key, tb, cx, r);
      const ms = e.timeout ?? set.timeout;
      const stmts = e.stmts;
      // set->size counts the declared elements too (nelems); 0 / none is unlimited
      const room = set.size ? Math.max(0, set.size - set.elems.length) : Infinity;
      return dynsetPred(e.op, store, key, ms === undefined ? Infinity : ms / 1000, () => stmts.map((x) => compileExpr(x, tb, cx, r)), room);
    }
    case 'flow_offload': {
      // nft_flow_offload_eval: NFT_BREAK (the rule ends unmatched) unless the flow was offloaded
      const ft = cx.flowtable?.(tb, e.flowtable);
      if (!ft || !cx.flowOffload) return unsupportedPred(`flow add @${e.flowtable}`, cx, r);
      const offload = cx.flowOffload;
      return (p) => offload(ft, p);
    }
    case 'unsupported': return unsupportedPred(e.what, cx, r);
    case 'xt': return e.mk(cx, r);
    case 'verdict': case 'vmap': break;
  }
  return unsupportedPred(`expression ${e.k}`, cx, r);
}

function unsupportedPred(what: string, cx: CompileCtx, r: IrRule): Pred {
  cx.report(r.src, what);
  const s = `${r.src.file}:${r.src.line}: ${what}`;
  // reached only when everything before it matched: the rule's outcome depends on it
  return (p) => { (p.unsupported ??= []).push(s); return false; };
}

/** nft_limit: token bucket in ns of credit, refilled by capture time */
function compileLimit(e: Extract<Expr, { k: 'limit' }>): Pred {
  // nft_limit_init/nft_limit_eval in integer nanoseconds; the bucket is full at the first packet
  // (the rules were loaded before the capture began); time is the capture's, relative to that packet
  const unitS = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800 }[e.unit];
  const nsecs = unitS * 1e9;
  const burst = e.bytes ? e.burst : e.burst || 5;
  const cost1 = Math.floor(nsecs / e.rate);
  const max = e.bytes ? Math.floor((nsecs * (e.rate + burst)) / e.rate) : cost1 * burst;
  let tokens = max, last = 0, sec0 = -1;
  const over = e.over;
  return (p) => {
    if (sec0 < 0) sec0 = p.skb.tstampSec;
    const now = (p.skb.tstampSec - sec0) * 1e9 + p.skb.tstampNsec;
    let t = tokens + (now - last);
    if (t > max) t = max;
    last = now;
    const cost = e.bytes ? Math.floor((nsecs * (p.end - Math.max(p.nh, 0))) / e.rate) : cost1;
    const delta = t - cost;
    const isOver = delta < 0;
    tokens = isOver ? t : delta;
    return isOver === over;
  };
}

// ---------------- sets ----------------

type Lookup = (k: Val) => Val | { v: string; chain?: string } | true | undefined;

function resolveSet(ref: string | SetDef, tb: IrTable, cx: CompileCtx, r: IrRule): SetDef | null {
  if (typeof ref !== 'string') return ref;
  const s = tb.sets.get(ref) ?? cx.ipsets.get(ref);
  if (!s) cx.report(r.src, `set @${ref} not found`);
  return s ?? null;
}

const setCache = new WeakMap<SetDef, Lookup>();

function buildLookup(s: SetDef): Lookup {
  const cached = setCache.get(s);
  if (cached) return cached;
  let fn: Lookup;
  const exact = new Map<Val, SetElem['data'] | true>();
  const ranges: { lo: Val; hi: Val; data: SetElem['data'] | true; parts?: [Val, Val][] }[] = [];
  let catchall: SetElem['data'] | true | undefined;
  for (const el of s.elems) {
    if (el.catchall) catchall = el.data ?? true;
    else if (Array.isArray(el.key)) ranges.push({ lo: el.key[0], hi: el.key[1], data: el.data ?? true, parts: el.parts });
    else exact.set(el.key, el.data ?? true);
  }
  const partRanges = ranges.filter((x) => x.parts);
  const plain = ranges.filter((x) => !x.parts).sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const los = plain.map((x) => x.lo);
  const widths = s.keyLens.map((l) => (l <= 4 ? 4 : l));
  const inner = (k: Val): ReturnType<Lookup> => {
    const d = exact.get(k);
    if (d !== undefined) return d as ReturnType<Lookup>;
    if (plain.length) {
      // last interval with lo <= k
      let a = 0, b = los.length - 1, hit = -1;
      while (a <= b) {
        const m = (a + b) >> 1;
        if (los[m]! <= k) { hit = m; a = m + 1; } else b = m - 1;
      }
      for (let i = hit; i >= 0 && i > hit - 4; i--) if (plain[i]!.hi >= k && plain[i]!.lo <= k) return plain[i]!.data as ReturnType<Lookup>;
    }
    if (partRanges.length && typeof k === 'string') {
      for (const pr of partRanges) {
        let off = 0, ok = true;
        for (let i = 0; i < pr.parts!.length && ok; i++) {
          const w = widths[i]!;
          const seg = k.slice(off, off + w);
          off += w;
          const [lo, hi] = pr.parts![i]!;
          const lo2 = typeof lo === 'number' ? concatKey([lo]) : lo, hi2 = typeof hi === 'number' ? concatKey([hi]) : hi;
          ok = seg >= lo2 && seg <= hi2;
        }
        if (ok) return pr.data as ReturnType<Lookup>;
      }
    }
    return undefined;
  };
  // the catch-all element answers when no other does (nft_set_catchall_lookup)
  fn = catchall === undefined ? inner : (k) => inner(k) ?? (catchall as ReturnType<Lookup>);
  setCache.set(s, fn);
  return fn;
}

type SetElem = SetDef['elems'][number];

function compileSetHas(ref: string | SetDef, tb: IrTable, cx: CompileCtx, r: IrRule, left: Load): (p: Pkt) => boolean | null {
  const s = resolveSet(ref, tb, cx, r);
  if (!s) return unsupportedHas(`set ${String(ref)}`, cx, r);
  const key = compileKey(left, tb, cx, r);
  const dyn = dynStores.get(s);
  if (dyn) {
    // elements added from the packet path (nft_dynset) count until they expire
    const look = buildLookup(s);
    return (p) => { const k = key(p); return k === null ? null : look(k) !== undefined || dyn.has(k, p.now); };
  }
  if (s.elems.some((e) => e.ttl !== undefined)) return timedSetHas(s, key, cx);
  // fast path: numeric keys without intervals
  if (!s.interval && s.elems.every((e) => typeof e.key === 'number' && !e.catchall)) {
    const set = new Set<number>(s.elems.map((e) => e.key as number));
    const n = numLoad(left, tb, cx, r);
    if (n) return (p) => { const v = n(p); return v < 0 ? null : set.has(v); };
  }
  const look = buildLookup(s);
  return (p) => { const k = key(p); return k === null ? null : look(k) !== undefined; };
}

/** when the lookups of sets with timeouts started: the capture time the snapshot is taken to be at */
const timedClock = new WeakMap<object, { start?: number }>();

/**
 * ipset entries with a timeout (ip_set_timeout_expired in the lookup): each counts while fewer
 * seconds than it had left in the save have passed since the capture's start, here the first
 * packet that looks up such a set. Entries without a timeout use the ordinary lookup.
 */
function timedSetHas(s: SetDef, key: (p: Pkt) => number | string | null, cx: CompileCtx): (p: Pkt) => boolean | null {
  const permanent = buildLookup({ ...s, elems: s.elems.filter((e) => e.ttl === undefined) });
  const exact = new Map<Val, number>();
  const ranged: [Val, Val, number][] = [];
  for (const e of s.elems) {
    if (e.ttl === undefined) continue;
    if (Array.isArray(e.key)) ranged.push([e.key[0], e.key[1], e.ttl]);
    else exact.set(e.key, Math.max(e.ttl, exact.get(e.key) ?? 0));
  }
  let clock = timedClock.get(cx.ipsets);
  if (!clock) timedClock.set(cx.ipsets, (clock = {}));
  const c = clock;
  return (p) => {
    const k = key(p);
    if (k === null) return null;
    if (permanent(k) !== undefined) return true;
    c.start ??= p.now;
    const passed = p.now - c.start;
    const t = exact.get(k);
    if (t !== undefined && passed < t) return true;
    for (const [lo, hi, ttl] of ranged) if (passed < ttl && k >= lo && k <= hi) return true;
    return false;
  };
}

function unsupportedHas(what: string, cx: CompileCtx, r: IrRule): (p: Pkt) => boolean | null {
  cx.report(r.src, what);
  const s = `${r.src.file}:${r.src.line}: ${what}`;
  return (p) => { (p.unsupported ??= []).push(s); return null; };
}

function compileMap(ref: string | SetDef, tb: IrTable, cx: CompileCtx, r: IrRule): (k: Val) => SetElem['data'] | true | undefined {
  const s = resolveSet(ref, tb, cx, r);
  if (!s) return () => undefined;
  const look = buildLookup(s);
  return (k) => look(k) as SetElem['data'] | true | undefined;
}

/** text of an address value for traces */
export function showVal(v: Val): string {
  if (typeof v === 'number') return String(v);
  return v.length === 16 ? formatIPv6(v) : v.length === 4 ? formatIPv4(((v.charCodeAt(0) << 24) | (v.charCodeAt(1) << 16) | (v.charCodeAt(2) << 8) | v.charCodeAt(3)) >>> 0) : JSON.stringify(v);
}

/** one part of a jhash key as the kernel's register holds it: payload bytes in network order, zero padded */
function hashPart(l: Load, tb: IrTable, cx: CompileCtx, r: IrRule): { len: number; read: (p: Pkt, buf: Uint8Array, at: number) => boolean } | null {
  if (l.k !== 'payload' || l.mask !== undefined) return null;
  const len = l.len;
  if (len <= 4) {
    const n = numLoad(l, tb, cx, r);
    if (!n) return null;
    return { len, read: (p, buf, at) => { const v = n(p); if (v < 0) return false; for (let i = 0; i < len; i++) buf[at + i] = Math.floor(v / 256 ** (len - 1 - i)) & 255; return true; } };
  }
  const s = strLoad(l, tb, cx, r);
  return { len, read: (p, buf, at) => { const v = s(p); if (v === null) return false; for (let i = 0; i < len; i++) buf[at + i] = v.charCodeAt(i); return true; } };
}

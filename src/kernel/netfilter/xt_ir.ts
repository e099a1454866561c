// A parsed iptables rule (xt_parse.ts) -> IR expressions. The generic part and the matches nft
// can express (addresses, interfaces, protocol, ports, tcp flags, icmp types, mark, ttl/hl, ...)
// become the same payload/meta/ct comparisons iptables-nft would generate, so the chain index and
// prefilter of compile.ts see them; matches and targets with their own logic become `xt`
// expressions evaluated by xt_match.ts / xt_target.ts (after net/netfilter/xt_*.c); what the model
// cannot evaluate becomes `unsupported`, naming the option.

import {
  CT_STATUS, ICMPV6_CODE, ICMPV6_TYPE, ICMP_CODE, ICMP_TYPE, RTN_TYPE, RulesetError, parseIPv4, parseIPv6, prefixRange,
  type Expr, type IrRule, type IrTable, type Load, type SetDef, type Val,
} from './ir.js';
import { ipsetUnsupported } from './ipset.js';
import { payloadLhs, metaLhs } from './nft-values.js';
import type { XtExt, XtRule } from './xt_parse.js';
import { xtPort, xtRangeLoose, xtUint } from './xt_parse.js';
import { DSCP_CLASSES, ICMP_NAMES_EXTRA, PKTTYPES, REJECT4, REJECT6, parseRate, tcpFlagList, tosParse } from './xt_spec.js';
import * as M from './xt_match.js';
import * as T from './xt_target.js';

export interface XtIrCtx {
  file: string;
  line: number;
  family: 'ip' | 'ip6';
  table: IrTable;
  /** notes for the user (e.g. --kerneltz evaluated as UTC) */
  notes: string[];
  /** the ipset save's sets */
  ipsets?: Map<string, SetDef>;
  /** the snapshot's nfacct objects (nfacct.txt), when it has that file */
  nfacct?: Map<string, { quota: boolean }>;
}

const pay = (pr: string, f: string): Load => payloadLhs(pr, f)!.load;
const opt = (x: XtExt, k: string) => x.opts.get(k);
const val = (x: XtExt, k: string) => x.opts.get(k)?.v[0];

export function xtToIr(xr: XtRule, rule: IrRule, cx: XtIrCtx): void {
  const ex = rule.exprs;
  const v6 = cx.family === 'ip6';
  const err = (msg: string): never => { throw new RulesetError(cx.file, cx.line, 1, msg); };
  const unsup = (what: string) => ex.push({ k: 'unsupported', what });
  if (xr.src) addrMatch(ex, v6, 'saddr', xr.src.addr, xr.src.neg, err);
  if (xr.dst) addrMatch(ex, v6, 'daddr', xr.dst.addr, xr.dst.neg, err);
  for (const [d, key] of [[xr.iif, 'iifname'], [xr.oif, 'oifname']] as const) {
    // "+" is every name: `! -i +` matches nothing
    if (!d || d.name === '+') { if (d?.neg) ex.push({ k: 'xt', name: '! -i +', mk: M.constant(false) }); continue; }
    const left = metaLhs(key)!.load;
    if (d.name.endsWith('+')) ex.push({ k: 'prefixcmp', left, neg: d.neg, value: d.name.slice(0, -1) });
    else ex.push({ k: 'cmp', left, op: d.neg ? 'neq' : 'eq', value: d.name });
  }
  if (xr.proto && xr.proto.num !== 0) ex.push({ k: 'cmp', left: { k: 'meta', key: 'l4proto' }, op: xr.proto.neg ? 'neq' : 'eq', value: xr.proto.num });
  if (xr.frag) ex.push({ k: 'range', left: pay('ip', 'frag-off'), neg: xr.frag.neg, lo: 1, hi: 0x1fff });
  const proto = xr.proto && !xr.proto.neg ? xr.proto.num : -1;
  for (const m of xr.matches) {
    if (m.name === 'comment') { rule.comment = val(m, 'comment'); continue; }
    matchIr(m, ex, cx, proto, err, unsup);
  }
  const t = xr.target;
  if (!t) return;
  switch (t.name) {
    case 'ACCEPT': ex.push({ k: 'verdict', v: 'accept' }); return;
    case 'DROP': ex.push({ k: 'verdict', v: 'drop' }); return;
    case 'RETURN': ex.push({ k: 'verdict', v: 'return' }); return;
    case 'QUEUE': unsup('-j QUEUE (verdict by a userspace program)'); return;
  }
  if (cx.table.chains.some((c) => c.name === t.name)) { ex.push({ k: 'verdict', v: xr.goto ? 'goto' : 'jump', chain: t.name }); return; }
  targetIr(t, ex, cx, xr, err, unsup);
}

function addrMatch(ex: Expr[], v6: boolean, field: 'saddr' | 'daddr', text: string, neg: boolean, err: (m: string) => never): void {
  const lhs = payloadLhs(v6 ? 'ip6' : 'ip', field)!;
  const ranges: [Val, Val][] = [];
  for (const one of text.split(',')) {
    const [a, m] = one.split('/');
    const v = v6 ? parseIPv6(a!) : parseIPv4(a!);
    if (v === undefined) err(`bad address '${one}'`);
    const bits = v6 ? 128 : 32;
    if (m !== undefined && m.includes('.') && !v6) {
      // a dotted mask, contiguous or not: (addr & mask) == net & mask (iptables keeps non-contiguous masks)
      const mask = parseIPv4(m);
      if (mask === undefined) err(`bad mask '${m}'`);
      const len = maskLen(mask!);
      if (((0xffffffff << (32 - len)) >>> 0) === mask || (len === 0 && mask === 0)) ranges.push(prefixRange(v!, len, 32));
      else {
        if (text.includes(',')) err(`non-contiguous mask in a list '${text}'`);
        ex.push({ k: 'cmp', left: { k: 'bitwise', src: lhs.load, mask: mask!, xor: 0 }, op: neg ? 'neq' : 'eq', value: ((v as number) & mask!) >>> 0 });
        return;
      }
      continue;
    }
    const plen = m === undefined ? bits : Number(m);
    ranges.push(plen === bits ? [v!, v!] : prefixRange(v!, plen, bits));
  }
  if (ranges.length === 1) {
    const [lo, hi] = ranges[0]!;
    if (lo === hi) ex.push({ k: 'cmp', left: lhs.load, op: neg ? 'neq' : 'eq', value: lo });
    else if (!(lo === 0 || lo === '\0'.repeat(16)) || !(hi === 0xffffffff || hi === '\xff'.repeat(16)) || neg) ex.push({ k: 'range', left: lhs.load, neg, lo, hi });
    return;
  }
  // -s a,b: iptables makes one rule per address; one lookup gives the same first match
  ex.push({ k: 'lookup', left: lhs.load, neg, set: { name: '', keyTypes: [v6 ? 'ipv6_addr' : 'ipv4_addr'], keyLens: [v6 ? 16 : 4], interval: true, elems: ranges.map((r) => ({ key: r })) } });
}

function maskLen(m: number): number {
  let n = 0;
  while (n < 32 && m & (0x80000000 >>> n)) n++;
  return n;
}

const L4_OF_PROTO: Record<number, string> = { 6: 'tcp', 17: 'udp', 132: 'sctp', 33: 'dccp', 136: 'udplite' };

function portIr(ex: Expr[], proto: number, field: 'sport' | 'dport', text: string, neg: boolean): void {
  const pr = L4_OF_PROTO[proto] ?? 'th';
  const load = pay(pr, field);
  // a reversed range (a dump may hold one) matches no port
  const [lo, hi] = xtRangeLoose(text, 65535, true)!;
  if (lo === hi) ex.push({ k: 'cmp', left: load, op: neg ? 'neq' : 'eq', value: lo });
  else if (lo !== 0 || hi !== 65535 || neg) ex.push({ k: 'range', left: load, neg, lo, hi });
}

function matchIr(m: XtExt, ex: Expr[], cx: XtIrCtx, proto: number, err: (m: string) => never, unsup: (w: string) => void): void {
  const v6 = cx.family === 'ip6';
  const ip = v6 ? 'ip6' : 'ip';
  switch (m.name) {
    case 'tcp': case 'udp': case 'udplite': case 'sctp': case 'dccp': {
      for (const [k, f] of [['sport', 'sport'], ['source-port', 'sport'], ['dport', 'dport'], ['destination-port', 'dport']] as const) {
        const o = opt(m, k);
        if (o) portIr(ex, proto, f, o.v[0]!, o.neg);
      }
      const syn = opt(m, 'syn');
      if (syn) ex.push({ k: 'cmp', left: { k: 'bitwise', src: pay('tcp', 'flags'), mask: 0x16, xor: 0 }, op: syn.neg ? 'neq' : 'eq', value: 2 });
      const fl = opt(m, 'tcp-flags');
      if (fl) {
        const mask = tcpFlagList(fl.v[0]!)!, comp = tcpFlagList(fl.v[1]!)!;
        ex.push({ k: 'cmp', left: { k: 'bitwise', src: pay('tcp', 'flags'), mask, xor: 0 }, op: fl.neg ? 'neq' : 'eq', value: comp & mask });
      }
      const to = opt(m, 'tcp-option');
      if (to) ex.push({ k: 'xt', name: 'tcp --tcp-option', mk: M.tcpOption(Number(to.v[0]), to.neg) });
      if (opt(m, 'chunk-types')) unsup(`-m sctp --chunk-types ${opt(m, 'chunk-types')!.v.join(' ')}`);
      if (opt(m, 'dccp-types')) unsup(`-m dccp --dccp-types ${val(m, 'dccp-types')}`);
      if (opt(m, 'dccp-option')) unsup(`-m dccp --dccp-option ${val(m, 'dccp-option')}`);
      return;
    }
    case 'icmp': case 'icmp6': {
      const o = opt(m, m.name === 'icmp' ? 'icmp-type' : 'icmpv6-type');
      if (!o) return;
      // icmp_type_code_match: type 0xff (`any`) matches every packet, so `! any` none
      if (o.v[0] === 'any') { if (o.neg) ex.push({ k: 'xt', name: `${m.name} ! any`, mk: M.constant(false) }); return; }
      const [type, lo, hi] = icmpTypeCode(o.v[0]!, m.name === 'icmp6', err);
      const pr = m.name === 'icmp' ? 'icmp' : 'icmpv6';
      if (!o.neg) {
        ex.push({ k: 'cmp', left: pay(pr, 'type'), op: 'eq', value: type });
        if (lo === hi) ex.push({ k: 'cmp', left: pay(pr, 'code'), op: 'eq', value: lo });
        else if (lo !== 0 || hi !== 255) ex.push({ k: 'range', left: pay(pr, 'code'), neg: false, lo, hi });
      } else ex.push({ k: 'xt', name: `${m.name} ! type`, mk: M.icmpNotType(type, lo, hi) });
      return;
    }
    case 'multiport': {
      for (const [k, f] of [['sports', 'sport'], ['source-ports', 'sport'], ['dports', 'dport'], ['destination-ports', 'dport'], ['ports', 'both']] as const) {
        const o = opt(m, k);
        if (!o) continue;
        const elems = o.v[0]!.split(',').map((p) => {
          const [a, b] = xtRangeLoose(p, 65535, true)!;
          return a === b ? { key: a as Val } : { key: [a, b] as [Val, Val] };
        });
        const set = { name: '', keyTypes: ['inet_service'], keyLens: [2], interval: elems.some((e) => Array.isArray(e.key)), elems };
        const pr = L4_OF_PROTO[proto] ?? 'th';
        if (f === 'both') ex.push({ k: 'xt', name: 'multiport --ports', mk: M.multiportEither(elems.map((e) => (Array.isArray(e.key) ? e.key as [number, number] : [e.key as number, e.key as number])), o.neg) });
        else ex.push({ k: 'lookup', left: pay(pr, f), neg: o.neg, set });
      }
      return;
    }
    case 'state': {
      const o = opt(m, 'state')!;
      ex.push({ k: 'xt', name: 'state', ct: true, mk: M.conntrack({ state: ctStateMask(o.v[0]!), stateNeg: o.neg }) });
      return;
    }
    case 'conntrack': {
      const c: M.CtMatch = {};
      const s = opt(m, 'ctstate');
      if (s) { c.state = ctStateMask(s.v[0]!); c.stateNeg = s.neg; }
      const st = opt(m, 'ctstatus');
      if (st) { c.status = st.v[0]!.split(',').reduce((a, x) => a | (x.toUpperCase() === 'NONE' ? 0 : CT_STATUS[x.toLowerCase().replace('_', '-')] ?? 0), 0); c.statusNeg = st.neg; }
      const pr = opt(m, 'ctproto');
      if (pr) { c.proto = /^\d+$/.test(pr.v[0]!) ? Number(pr.v[0]) : ({ tcp: 6, udp: 17, icmp: 1, icmpv6: 58, 'ipv6-icmp': 58, sctp: 132, dccp: 33, udplite: 136, esp: 50, ah: 51, gre: 47 } as Record<string, number>)[pr.v[0]!.toLowerCase()]!; c.protoNeg = pr.neg; }
      for (const [k, dir, f] of [['ctorigsrc', 0, 'src'], ['ctorigdst', 0, 'dst'], ['ctreplsrc', 1, 'src'], ['ctrepldst', 1, 'dst']] as const) {
        const o = opt(m, k);
        if (!o) continue;
        const [a, len] = o.v[0]!.split('/');
        const v = v6 ? parseIPv6(a!) : parseIPv4(a!);
        if (v === undefined) err(`bad address '${o.v[0]}'`);
        let plen = len === undefined ? (v6 ? 128 : 32) : len.includes('.') ? maskLen(parseIPv4(len) ?? 0) : Number(len);
        if (len?.includes(':')) plen = 128;
        (c.addrs ??= []).push({ dir, field: f, range: prefixRange(v!, plen, v6 ? 128 : 32), neg: o.neg });
      }
      for (const [k, dir, f] of [['ctorigsrcport', 0, 'sport'], ['ctorigdstport', 0, 'dport'], ['ctreplsrcport', 1, 'sport'], ['ctrepldstport', 1, 'dport']] as const) {
        const o = opt(m, k);
        if (o) (c.ports ??= []).push({ dir, field: f, range: xtRangeLoose(o.v[0]!, 65535, true)!, neg: o.neg });
      }
      const dir = opt(m, 'ctdir');
      if (dir) c.dir = dir.v[0]!.toUpperCase() === 'REPLY' ? 1 : 0;
      const exp = opt(m, 'ctexpire');
      if (exp) { c.expire = xtRangeLoose(exp.v[0]!, 0xffffffff)!; c.expireNeg = exp.neg; }
      ex.push({ k: 'xt', name: 'conntrack', ct: true, mk: M.conntrack(c) });
      return;
    }
    case 'mark': case 'connmark': {
      const o = opt(m, 'mark')!;
      const [a, b] = o.v[0]!.split('/');
      const left: Load = m.name === 'connmark' ? { k: 'ct', key: 'mark' } : { k: 'meta', key: 'mark' };
      const mask = b === undefined ? 0xffffffff : xtUint(b, 0xffffffff)!;
      ex.push({ k: 'cmp', left: mask === 0xffffffff ? left : { k: 'bitwise', src: left, mask: mask >>> 0, xor: 0 }, op: o.neg ? 'neq' : 'eq', value: (xtUint(a!, 0xffffffff)! & mask) >>> 0 });
      return;
    }
    case 'iprange': {
      for (const [k, f] of [['src-range', 'saddr'], ['dst-range', 'daddr']] as const) {
        const o = opt(m, k);
        if (!o) continue;
        const [a, b] = o.v[0]!.split('-');
        const lo = v6 ? parseIPv6(a!) : parseIPv4(a!), hi = v6 ? parseIPv6(b ?? a!) : parseIPv4(b ?? a!);
        ex.push({ k: 'range', left: pay(ip, f), neg: o.neg, lo: lo!, hi: hi! });
      }
      return;
    }
    case 'limit': {
      const r = parseRate(val(m, 'limit') ?? '3/hour')!;
      const burst = Number(val(m, 'limit-burst') ?? 5);
      // xt_limit: credits refill by time, cost 1/rate each; the nft limit statement has the same bucket
      const unit = ({ 1: 'second', 60: 'minute', 3600: 'hour', 86400: 'day' } as Record<number, 'second' | 'minute' | 'hour' | 'day'>)[r.perSec]!;
      ex.push({ k: 'limit', rate: r.n, unit, burst, bytes: false, over: false });
      return;
    }
    case 'nfacct': {
      // xt_nfacct nfacct_mt: nfnl_acct_update, then `return overquota != NFACCT_UNDERQUOTA`; an
      // object without a quota is NFACCT_NO_QUOTA (-1): the match is always true. With a quota it
      // depends on the object's running byte/packet count, which the snapshot cannot replay.
      const name = val(m, 'nfacct-name')!;
      const obj = cx.nfacct?.get(name);
      if (!obj) { unsup(`-m nfacct --nfacct-name ${name} (object not in the snapshot's nfacct.txt)`); return; }
      if (obj.quota) { unsup(`-m nfacct --nfacct-name ${name} (quota: depends on its running count)`); return; }
      ex.push({ k: 'xt', name: 'nfacct', mk: M.constant(true) });
      return;
    }
    case 'hashlimit': ex.push({ k: 'xt', name: 'hashlimit', mk: M.hashlimit(m, v6) }); return;
    case 'addrtype': ex.push({ k: 'xt', name: 'addrtype', mk: M.addrtype(m, v6) }); return;
    case 'set': {
      const o = (opt(m, 'match-set') ?? opt(m, 'set'))!;
      const [name, flags] = o.v as [string, string];
      const dirs = flags.split(',');
      if ([...m.opts.keys()].some((k) => k !== 'match-set' && k !== 'set')) { unsup(`-m set ${name} ${flags} (counters)`); return; }
      const def = cx.ipsets?.get(name);
      const why = def && ipsetUnsupported.get(def);
      if (why) { unsup(`-m set ${name} (${why})`); return; }
      // ip_set_test: fewer directions than the set's dimension never match (`return 0`), more are
      // ignored (hash:ip with src,dst looks up the source); a proto:port pair is one dimension
      const dim = def ? def.keyTypes.filter((t) => t !== 'inet_proto').length : 1;
      if (dirs.length < dim) { ex.push({ k: 'xt', name: 'set', mk: M.constant(o.neg) }); return; }
      if (dim > 1) { unsup(`-m set ${name} ${flags} (multi-dimension set)`); return; }
      // a set keyed by port alone (bitmap:port): src/dst is the TCP or UDP port (ip_set_get_ip_port)
      if (def && def.keyTypes.length === 1 && def.keyTypes[0] === 'inet_service') { ex.push({ k: 'xt', name: 'set (port)', mk: M.setPort(def, dirs[0] === 'src', o.neg) }); return; }
      // hash:mac (hash_mac4_kadt): the Ethernet source (src) or destination (dst) address
      const mac = def?.keyTypes[0] === 'ether_addr';
      ex.push({ k: 'lookup', left: mac ? pay('ether', dirs[0] === 'src' ? 'saddr' : 'daddr') : pay(ip, dirs[0] === 'src' ? 'saddr' : 'daddr'), neg: o.neg, set: name });
      return;
    }
    case 'pkttype': {
      const o = opt(m, 'pkt-type')!;
      ex.push({ k: 'cmp', left: { k: 'meta', key: 'pkttype' }, op: o.neg ? 'neq' : 'eq', value: PKTTYPES[o.v[0]!.toLowerCase()]! });
      return;
    }
    case 'length': {
      const o = opt(m, 'length')!;
      const [lo, hi] = xtRangeLoose(o.v[0]!, 65535)!;
      ex.push({ k: 'xt', name: 'length', mk: M.length(lo, hi, o.neg) });
      return;
    }
    case 'ttl': case 'hl': {
      const f = v6 ? pay('ip6', 'hoplimit') : pay('ip', 'ttl');
      const p = m.name;
      const eq = opt(m, `${p}-eq`), lt = opt(m, `${p}-lt`), gt = opt(m, `${p}-gt`);
      // xt_hl.c ttl_mt / hl_mt: EQ ==, NE (! --ttl-eq) !=, LT <, GT >
      if (eq) ex.push({ k: 'cmp', left: f, op: eq.neg ? 'neq' : 'eq', value: Number(eq.v[0]) });
      else if (lt) ex.push({ k: 'cmp', left: f, op: 'lt', value: Number(lt.v[0]) });
      else if (gt) ex.push({ k: 'cmp', left: f, op: 'gt', value: Number(gt.v[0]) });
      return;
    }
    case 'dscp': {
      const o = (opt(m, 'dscp') ?? opt(m, 'dscp-class'))!;
      const d = opt(m, 'dscp') ? xtUint(o.v[0]!, 63)! : DSCP_CLASSES[o.v[0]!.toLowerCase()]!;
      ex.push({ k: 'xt', name: 'dscp', mk: M.tos((d << 2), 0xfc, o.neg) });
      return;
    }
    case 'tos': {
      const o = opt(m, 'tos')!;
      const [value, mask] = tosParse(o.v[0]!)!;
      ex.push({ k: 'xt', name: 'tos', mk: M.tos(value & mask, mask, o.neg) });
      return;
    }
    case 'ecn': ex.push({ k: 'xt', name: 'ecn', mk: M.ecn(m) }); return;
    case 'mac': {
      const o = opt(m, 'mac-source')!;
      const mac = String.fromCharCode(...o.v[0]!.split(':').map((x) => parseInt(x, 16)));
      ex.push({ k: 'xt', name: 'mac', mk: M.mac(mac, o.neg) });
      return;
    }
    case 'recent': ex.push({ k: 'xt', name: 'recent', mk: M.recent(m, v6) }); return;
    case 'time': {
      if (m.opts.has('kerneltz')) cx.notes.push(`${cx.file}:${cx.line}: -m time --kerneltz: the kernel's time zone (sys_tz) is not in the snapshot; evaluated as UTC`);
      ex.push({ k: 'xt', name: 'time', mk: M.time(m) });
      return;
    }
    case 'connlimit': ex.push({ k: 'xt', name: 'connlimit', ct: true, mk: M.connlimit(m, v6) }); return;
    case 'statistic': {
      const mode = val(m, 'mode');
      if (mode === 'random') {
        const pr = Number(val(m, 'probability'));
        // xt_statistic: (get_random_u32() & 0x7FFFFFFF) < lround(0x80000000 * p): decided only for p 0 or 1
        if (pr !== 0 && pr !== 1) { unsup(`-m statistic --mode random --probability ${val(m, 'probability')} (random)`); return; }
        const always = (pr === 1) !== !!opt(m, 'probability')!.neg;
        ex.push({ k: 'xt', name: 'statistic', mk: M.constant(always) });
        return;
      }
      ex.push({ k: 'xt', name: 'statistic nth', mk: M.statisticNth(Number(val(m, 'every')), Number(val(m, 'packet')), !!opt(m, 'every')!.neg) });
      return;
    }
    case 'string': ex.push({ k: 'xt', name: 'string', mk: M.string(m, err) }); return;
    case 'u32': ex.push({ k: 'xt', name: 'u32', mk: M.u32(opt(m, 'u32')!.v[0]!, opt(m, 'u32')!.neg, err) }); return;
    case 'tcpmss': {
      const o = opt(m, 'mss')!;
      const [lo, hi] = xtRangeLoose(o.v[0]!, 65535)!;
      ex.push({ k: 'xt', name: 'tcpmss', mk: M.tcpmss(lo, hi, o.neg) });
      return;
    }
    case 'quota': ex.push({ k: 'xt', name: 'quota', mk: M.quota(BigInt(val(m, 'quota')!), !!opt(m, 'quota')!.neg) }); return;
    case 'rt': ex.push({ k: 'xt', name: 'rt', mk: M.rt(m) }); return;
    case 'frag': ex.push({ k: 'xt', name: 'frag', mk: M.frag(m) }); return;
    case 'hbh': case 'dst': ex.push({ k: 'xt', name: m.name, mk: M.opts6(m) }); return;
    case 'ipv6header': ex.push({ k: 'xt', name: 'ipv6header', mk: M.ipv6header(m) }); return;
    case 'esp': case 'ah': case 'ipcomp': {
      const k = m.name === 'esp' ? 'espspi' : m.name === 'ah' ? 'ahspi' : 'ipcompspi';
      const o = opt(m, k);
      if (v6 && m.name === 'ah') { if (m.opts.size) unsup(`-m ah (IPv6 authentication header) ${[...m.opts.keys()].map((x) => `--${x}`).join(' ')}`); else ex.push({ k: 'xt', name: 'ah', mk: M.exthdr6(51) }); return; }
      if (!o) return;
      const [lo, hi] = xtRangeLoose(o.v[0]!, 0xffffffff)!;
      // spi: esp at transport offset 0, ah at 4, ipcomp's 16-bit CPI at 2
      const load: Load = m.name === 'esp' ? pay('esp', 'spi') : m.name === 'ah' ? pay('ah', 'spi') : { k: 'payload', base: 'th', offset: 2, len: 2, proto: 'th', field: 'cpi' };
      ex.push({ k: 'range', left: load, neg: o.neg, lo, hi });
      return;
    }
    case 'mh': {
      const o = opt(m, 'mh-type');
      if (!o) return;
      const r = xtRangeLoose(o.v[0]!, 255);
      if (!r) { unsup(`-m mh --mh-type ${o.v[0]}`); return; }
      ex.push({ k: 'range', left: { k: 'payload', base: 'th', offset: 2, len: 1, proto: 'th', field: 'mh-type' }, neg: o.neg, lo: r[0], hi: r[1] });
      return;
    }
    case 'physdev': unsup(`-m physdev ${describe(m)} (bridge port of br_netfilter)`); return;
    case 'helper': {
      // helper_mt (xt_helper.c): the helper of the connection's master (an expected connection);
      // "" matches any helper; the name compared over the master helper's length (strncmp)
      const o = opt(m, 'helper')!;
      const name = o.v[0] ?? '', neg = o.neg;
      ex.push({ k: 'xt', name: 'helper', ct: true, mk: () => (p) => {
        const h = p.ct?.master?.helper;
        if (!h) return neg;
        return (name === '' ? true : name.slice(0, h.length) === h) !== neg;
      } });
      return;
    }
    case 'owner': case 'cgroup': unsup(`-m ${m.name} ${describe(m)} (socket owner of locally generated packets)`); return;
    case 'socket': unsup(`-m socket ${describe(m)}`); return;
    case 'devgroup': unsup(`-m devgroup ${describe(m)} (device groups not in the snapshot)`); return;
    default: unsup(`-m ${m.name}${m.opts.size ? ' ' + describe(m) : ''}`);
  }
}

function describe(x: XtExt): string {
  return [...x.opts.entries()].map(([k, o]) => `${o.neg ? '! ' : ''}--${k}${o.v.length ? ' ' + o.v.join(' ') : ''}`).join(' ');
}

export function ctStateMask(s: string): number {
  // XT_CONNTRACK_STATE_BIT(ctinfo), INVALID 1, UNTRACKED 1<<(IP_CT_NUMBER+1) = 64 ... SNAT 256, DNAT 512
  const bits: Record<string, number> = { invalid: 1, established: 2, related: 4, new: 8, untracked: 64, snat: 256, dnat: 512 };
  return s.split(',').reduce((a, x) => a | bits[x.toLowerCase()]!, 0);
}

/** --icmp-type: [type, code min, code max] (libipt_icmp / libip6t_icmp6: names are type/code pairs, a bare type is any code) */
function icmpTypeCode(s: string, v6: boolean, err: (m: string) => never): [number, number, number] {
  const t = (v6 ? ICMPV6_TYPE : ICMP_TYPE)[s];
  if (t !== undefined) return [t, 0, 255];
  const c = (v6 ? ICMPV6_CODE : ICMP_CODE)[s];
  if (c !== undefined) return [v6 ? 1 : 3, c, c];
  const x = ICMP_NAMES_EXTRA[v6 && ICMP_NAMES_EXTRA[`${s}6`] ? `${s}6` : s];
  if (x) return x;
  const m = /^(\d+)(?:\/(\d+)(?::(\d+))?)?$/.exec(s);
  if (!m) err(`unknown icmp type '${s}'`);
  const type = Number(m![1]);
  if (m![2] === undefined) return [type, 0, 255];
  return [type, Number(m![2]), Number(m![3] ?? m![2])];
}

function targetIr(t: XtExt, ex: Expr[], cx: XtIrCtx, xr: XtRule, err: (m: string) => never, unsup: (w: string) => void): void {
  const v6 = cx.family === 'ip6';
  switch (t.name) {
    case 'LOG': ex.push({ k: 'log', prefix: val(t, 'log-prefix'), level: val(t, 'log-level') }); return;
    case 'NFLOG': ex.push({ k: 'log', prefix: val(t, 'nflog-prefix') ?? '', level: `nflog group ${val(t, 'nflog-group') ?? 0}` }); return;
    case 'NOTRACK': ex.push({ k: 'notrack' }); return;
    case 'CT':
      if (t.opts.has('notrack')) ex.push({ k: 'notrack' });
      else if ([...t.opts.keys()].every((k) => k === 'ctevents' || k === 'expevents')) return; // event masks: no effect on the packet
      else if (t.opts.has('helper') && [...t.opts.keys()].every((k) => k === 'helper' || k === 'ctevents' || k === 'expevents')) {
        // xt_ct_target: attaches a template carrying the helper and continues (XT_CONTINUE: the trace
        // prints the rule); nf_conntrack_in gives a new connection its helper (nf_conntrack_helper.ts)
        const name = val(t, 'helper')!;
        ex.push({ k: 'xt', name: 'CT', ct: true, mk: () => (p) => {
          // "Previously seen (loopback)? Ignore."
          if (!p.skb.ct && p.skb.ctinfo === 0) p.ctTmplHelper = name;
          return true;
        } });
      } else unsup(`-j CT ${describe(t)}`);
      return;
    case 'REJECT': {
      const w = val(t, 'reject-with') ?? (v6 ? 'icmp6-port-unreachable' : 'icmp-port-unreachable');
      const c = (v6 ? REJECT6 : REJECT4)[w]!;
      ex.push(c < 0 ? { k: 'reject', type: 'tcp-reset', code: 0 } : { k: 'reject', type: v6 ? 'icmpv6' : 'icmp', code: c });
      return;
    }
    case 'MARK': {
      const sx = val(t, 'set-xmark') ?? val(t, 'set-mark');
      if (sx !== undefined) {
        const [a, b] = sx.split('/');
        const value = xtUint(a!, 0xffffffff)!, mask = b === undefined ? 0xffffffff : xtUint(b, 0xffffffff)!;
        // xt_MARK mark_tg: mark = (mark & ~mask) ^ value; --set-mark v/m is --set-xmark v/(m|v)
        ex.push({ k: 'meta_set', key: 'mark', value, mask: t.opts.has('set-xmark') ? mask : (mask | value) >>> 0 });
      } else if (t.opts.has('and-mark')) ex.push({ k: 'meta_set', key: 'mark', value: 0, mask: ~Number(val(t, 'and-mark')) >>> 0 });
      else if (t.opts.has('or-mark')) { const o = Number(val(t, 'or-mark')) >>> 0; ex.push({ k: 'meta_set', key: 'mark', value: o, mask: o }); }
      else if (t.opts.has('xor-mark')) ex.push({ k: 'meta_set', key: 'mark', value: Number(val(t, 'xor-mark')) >>> 0, mask: 0 });
      return;
    }
    case 'CONNMARK': ex.push({ k: 'xt', name: 'CONNMARK', ct: true, mk: T.connmark(t) }); return;
    case 'SNAT': case 'DNAT': case 'MASQUERADE': case 'REDIRECT': {
      const e: Extract<Expr, { k: 'nat' }> = { k: 'nat', type: t.name.toLowerCase() as 'snat', family: v6 ? 6 : 4 };
      const to = val(t, t.name === 'SNAT' ? 'to-source' : 'to-destination');
      const ports = val(t, 'to-ports');
      if (to) {
        let addr = to, pr: string | undefined;
        const m = /^\[(.*)\](?::(.*))?$/.exec(to);
        if (m) { addr = m[1]!; pr = m[2]; }
        else if (!v6 && to.includes(':')) [addr, pr] = to.split(':') as [string, string];
        const [lo, hi] = addr.split('-');
        if (addr) {
          const plo = v6 ? parseIPv6(lo!) : parseIPv4(lo!), phi = v6 ? parseIPv6(hi ?? lo!) : parseIPv4(hi ?? lo!);
          if (plo === undefined || phi === undefined) err(`bad NAT address '${to}'`);
          e.addrLo = plo; e.addrHi = phi;
        }
        if (pr) {
          const [range, base] = pr.split('/');
          const one = xtPort(range!);
          const [a1, b1] = range!.split('-');
          e.portLo = one ?? Number(a1); e.portHi = one ?? Number(b1);
          if (base !== undefined) unsup(`-j ${t.name} port shift /${base}`);
        }
      }
      if (ports) { const one = xtPort(ports); const [a1, b1] = ports.split('-'); e.portLo = one ?? Number(a1); e.portHi = one ?? Number(b1); }
      if (t.opts.has('random') || t.opts.has('random-fully')) e.random = true;
      if (t.opts.has('persistent')) e.persistent = true;
      ex.push(e);
      return;
    }
    case 'TCPMSS': ex.push({ k: 'xt', name: 'TCPMSS', mk: T.tcpmss(t, v6) }); return;
    case 'DSCP': {
      const d = t.opts.has('set-dscp') ? Number(val(t, 'set-dscp')) : DSCP_CLASSES[val(t, 'set-dscp-class')!.toLowerCase()]!;
      // xt_DSCP dscp_tg: tos = (tos & ~0xfc) | dscp << 2
      ex.push({ k: 'xt', name: 'DSCP', mk: T.dsfield(0x03, d << 2, v6, 'DSCP') });
      return;
    }
    case 'TOS': {
      // xt_DSCP tos_tg: nv = (orig & ~mask) ^ value; --and-tos m = --set-tos 0/~m; --or-tos m = m/m; --xor-tos m = m/0
      let value: number, mask: number;
      if (t.opts.has('set-tos')) [value, mask] = tosParse(val(t, 'set-tos')!)!;
      else if (t.opts.has('and-tos')) { value = 0; mask = ~Number(val(t, 'and-tos')) & 0xff; }
      else if (t.opts.has('or-tos')) { value = mask = Number(val(t, 'or-tos')); }
      else { value = Number(val(t, 'xor-tos')); mask = 0; }
      ex.push({ k: 'xt', name: 'TOS', mk: T.dsfieldXor(mask, value, v6) });
      return;
    }
    case 'TTL': case 'HL': ex.push({ k: 'xt', name: t.name, mk: T.ttl(t, v6) }); return;
    case 'CHECKSUM': ex.push({ k: 'xt', name: 'CHECKSUM', mk: T.checksumFill(v6) }); return;
    case 'CLASSIFY': ex.push({ k: 'xt', name: 'CLASSIFY', mk: T.classify(val(t, 'set-class')!) }); return;
    case 'NFQUEUE':
      // xt_NFQUEUE.c nfqueue_tg*: NF_QUEUE_NR(queue), with NF_VERDICT_FLAG_QUEUE_BYPASS for
      // --queue-bypass: the same verdict as nft's queue [bypass], so the same model and note
      // (no listener: dropped, or with bypass the hook goes on; both reported unsupported)
      ex.push(t.opts.has('queue-bypass') ? { k: 'verdict', v: 'queue', bypass: true } : { k: 'verdict', v: 'queue' });
      return;
    case 'AUDIT': case 'TRACE': case 'IDLETIMER': case 'LED': case 'RATEEST':
      // no effect on the packet or its fate: the rule continues (XT_CONTINUE)
      ex.push({ k: 'xt', name: t.name, mk: T.noop(t.name, describe(t)) });
      return;
    default: unsup(`-j ${t.name}${t.opts.size ? ' ' + describe(t) : ''}`);
  }
  void xr;
}

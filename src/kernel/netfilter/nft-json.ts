// `nft -j list ruleset` -> IR. The JSON names the same expressions the text does (libnftables
// JSON schema, man libnftables-json); constants are read with the same per-field rules as the
// text parser, so both inputs give the same IR. Rules are identified by their kernel handle.

import {
  ICMPX_CODE, ICMPV6_CODE, ICMP_CODE, RulesetError, namedPriority, newTable, parseIPv4, parseIPv6, prefixRange,
  type Expr, type IrChain, type IrRule, type IrRuleset, type IrTable, type Load, type SetDef, type SetElem, type TableFamily, type Val, type VerdictExpr,
} from './ir.js';
import { concatKey, concatLhs, ctLhs, metaLhs, parseConst, payloadLhs, typeLhs, type Lhs } from './nft-values.js';
import { nftRuleReader } from './nft-parse.js';
import { exprText, ruleText } from './nft-json-text.js';

const OBJECT_KINDS = new Set(['counter', 'quota', 'limit', 'ct helper', 'ct timeout', 'ct expectation', 'synproxy', 'secmark']);

type J = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export function parseNftJson(text: string, file: string, into?: IrRuleset): IrRuleset {
  const rs: IrRuleset = into ?? { tables: [], ipsets: new Map(), notes: [] };
  let doc: J;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec(String(e));
    const pos = m ? Number(m[1]) : 0;
    const before = text.slice(0, pos);
    throw new RulesetError(file, before.split('\n').length, pos - before.lastIndexOf('\n'), `invalid JSON: ${(e as Error).message}`);
  }
  if (!doc || !Array.isArray(doc.nftables)) throw new RulesetError(file, 1, 1, 'not nft -j output: no "nftables" array');
  const tables = new Map<string, IrTable>();
  // rules and sets are written back in nft's text syntax and read by the text reader (same IR, same checks)
  const reader = nftRuleReader(rs);
  const asText = (i: number, what: string, text: string, read: () => void): void => {
    try {
      read();
    } catch (e) {
      if (e instanceof RulesetError) throw new RulesetError(file, 1, 1, `object ${i} (${what}): ${e.problem} [as text: ${text}]`);
      throw e;
    }
  };
  const table = (o: J, i: number): IrTable => {
    const t = tables.get(`${o.family} ${o.table}`);
    if (!t) throw new RulesetError(file, 1, 1, `object ${i}: table ${o.family} ${o.table} not declared before use`);
    return t;
  };
  doc.nftables.forEach((item: J, i: number) => {
    try {
      one(item, i);
    } catch (e) {
      if (e instanceof RulesetError) throw e;
      // a structurally wrong object (missing keys, wrong types): name it instead of crashing
      throw new RulesetError(file, 1, 1, `object ${i} (${JSON.stringify(item).slice(0, 80)}): malformed: ${(e as Error).message}`);
    }
  });
  return rs;

  function one(item: J, i: number): void {
    if (!item || typeof item !== 'object') throw new RulesetError(file, 1, 1, `object ${i}: not an object`);
    const [kind, o] = (Object.entries(item)[0] ?? ['', null]) as [string, J];
    if (!o && kind !== 'metainfo') throw new RulesetError(file, 1, 1, `object ${i}: empty '${kind}'`);
    switch (kind) {
      case 'metainfo': return;
      case 'table': {
        const t = newTable(o.family as TableFamily, o.name, 'nft-json');
        tables.set(`${o.family} ${o.name}`, t);
        rs.tables.push(t);
        return;
      }
      case 'chain': {
        const t = table(o, i);
        const ch: IrChain = { name: o.name, rules: [], src: { file, line: 1, text: `chain ${o.name}` } };
        if (o.hook) {
          const prio = typeof o.prio === 'number' ? o.prio : namedPriority(t.family, String(o.prio));
          if (prio === undefined) throw new RulesetError(file, 1, 1, `chain ${o.name}: bad priority ${o.prio}`);
          ch.base = { type: o.type, hook: o.hook, priority: prio, policy: o.policy === 'drop' ? 'drop' : 'accept' };
          if (o.dev) ch.base.devices = Array.isArray(o.dev) ? o.dev : [o.dev];
        }
        t.chains.push(ch);
        return;
      }
      case 'set':
      case 'map': {
        const t = table(o, i);
        const decl = setText(o, kind === 'map');
        if (decl !== null) {
          asText(i, `${kind} ${o.name}`, decl, () => reader.set(t, decl, file, kind === 'map'));
          return;
        }
        const keyTypes: string[] = Array.isArray(o.type) ? o.type : [o.type];
        const lhs = typeLhs(keyTypes);
        const set: SetDef = { name: o.name, keyTypes, keyLens: lhs.lens, interval: (o.flags ?? []).includes('interval'), elems: [], src: { file, line: 1, text: `${kind} ${o.name}` } };
        if (o.map) set.dataType = o.map;
        for (const e of o.elem ?? []) addElem(set, lhs, kind === 'map' ? e[0] : e, kind === 'map' ? e[1] : undefined, file);
        t.sets.set(o.name, set);
        return;
      }
      case 'rule': {
        const t = table(o, i);
        const ch = t.chains.find((c) => c.name === o.chain);
        if (!ch) throw new RulesetError(file, 1, 1, `rule handle ${o.handle}: chain ${o.chain} not declared`);
        const rule: IrRule = { handle: o.handle ?? ch.rules.length + 1, exprs: [], src: { file, line: 1, text: `handle ${o.handle}` } };
        if (o.comment) rule.comment = o.comment;
        let text: string | null = null;
        try { text = ruleText(o.expr ?? []); } catch { text = null; }
        if (text !== null) {
          const body = text;
          asText(i, `rule handle ${o.handle} in chain ${o.chain}`, body, () => {
            const r = reader.rule(t, ch, body, file);
            rule.exprs = r.exprs;
            rule.src.text = body;
          });
        } else {
          // a shape the text writer does not know: the statements this reader knows itself
          for (const x of o.expr ?? []) {
            const e = stmt(x, t, file);
            if (e) rule.exprs.push(e);
          }
        }
        ch.rules.push(rule);
        return;
      }
      case 'flowtable': {
        // {"flowtable": {"family", "table", "name", "hook": "ingress", "prio": 0, "dev": ["eth0", "eth1"] | "eth0"}}
        const t = table(o, i);
        const prio = typeof o.prio === 'number' ? o.prio : namedPriority(t.family, String(o.prio ?? 'filter'));
        if (prio === undefined) throw new RulesetError(file, 1, 1, `flowtable ${o.name}: bad priority ${o.prio}`);
        const devices: string[] = o.dev === undefined ? [] : Array.isArray(o.dev) ? o.dev : [o.dev];
        const flags: string[] = o.flags === undefined ? [] : Array.isArray(o.flags) ? o.flags : [o.flags];
        (t.flowtables ??= new Map()).set(o.name, { name: o.name, hook: o.hook ?? 'ingress', priority: prio, devices, flags, src: { file, line: 1, text: `flowtable ${o.name}` } });
        return;
      }
      default:
        // named objects: rules may name them (counter name "c"); their state is not modelled
        if (OBJECT_KINDS.has(kind) && o && typeof o.name === 'string') {
          // {"ct helper": {"name", "type": "ftp", "protocol": "tcp", "l3proto": "ip"}}: what `ct helper set` assigns
          const tb = table(o, i);
          const helper = kind === 'ct helper' && typeof o.type === 'string' && (o.protocol === 'tcp' || o.protocol === 'udp') ? { type: o.type, l4: o.protocol === 'tcp' ? 6 : 17, l3: typeof o.l3proto === 'string' ? o.l3proto : tb.family } : undefined;
          reader.object(tb, kind, o.name, helper);
        }
        rs.notes.push(`${file}: object '${kind}' not modelled`);
    }
  }
}

/** a set/map object as the body of `set NAME { ... }`; null when a part has no text form here */
function setText(o: J, isMap: boolean): string | null {
  try {
    const types = (Array.isArray(o.type) ? o.type : [o.type]).join(' . ');
    const data = o.map === undefined ? '' : ` : ${(Array.isArray(o.map) ? o.map : [o.map]).join(' . ')}`;
    const p = [`type ${types}${data}`];
    const flags: string[] = o.flags === undefined ? [] : Array.isArray(o.flags) ? o.flags : [o.flags];
    if (flags.length) p.push(`flags ${flags.join(',')}`);
    if (o.timeout !== undefined) p.push(`timeout ${o.timeout}s`);
    if (o.size !== undefined) p.push(`size ${o.size}`);
    if (o.elem !== undefined && o.elem.length) p.push(`elements = ${exprText({ set: isMap ? o.elem : o.elem })}`);
    return `${JSON.stringify(o.name)} { ${p.join('; ')} }`;
  } catch {
    return null;
  }
}

function lhsOf(x: J, family: TableFamily): Lhs | null {
  if (x.payload) {
    if (x.payload.protocol === undefined) return null; // raw @base,offset,len
    const f = x.payload.protocol === 'arp' && (x.payload.field === 'saddr' || x.payload.field === 'daddr') ? `${x.payload.field} ip` : x.payload.field;
    return payloadLhs(x.payload.protocol, f) ?? null;
  }
  if (x.meta) return metaLhs(x.meta.key) ?? null;
  if (x.ct) return ctLhs(x.ct.key, x.ct.dir, family) ?? null;
  if (x.concat) {
    const parts = x.concat.map((p: J) => lhsOf(p, family));
    return parts.includes(null) ? null : concatLhs(parts);
  }
  if (x['&']) {
    const l = lhsOf(x['&'][0], family);
    if (!l) return null;
    const m = flagsOrNum(x['&'][1], l);
    return { ...l, load: { k: 'bitwise', src: l.load, mask: m >>> 0, xor: 0 }, bitmask: false };
  }
  if (x.fib) return { load: { k: 'fib', flags: x.fib.flags, result: x.fib.result }, kind: 'int', syms: RTN, bitmask: false, types: ['fib_addrtype'], lens: [4], bits: 32 };
  return null;
}
const RTN: Record<string, number> = { unspec: 0, unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8 };

function flagsOrNum(v: J, l: Lhs): number {
  if (typeof v === 'number') return v;
  const list = Array.isArray(v) ? v : [v];
  let m = 0;
  for (const s of list) {
    const c = parseConst(l, String(s));
    if (typeof c !== 'number') throw new Error(`bad flag ${s}`);
    m |= c;
  }
  return m;
}

function val(l: Lhs, v: J, file: string): [Val, Val] {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    if (v.prefix) {
      const a = parseConst(l, String(v.prefix.addr));
      if (a === undefined) throw new RulesetError(file, 1, 1, `bad prefix ${JSON.stringify(v)}`);
      return prefixRange(a, v.prefix.len, l.kind === 'ipv6' ? 128 : l.kind === 'ipv4' ? 32 : l.bits);
    }
    if (v.range) return [val(l, v.range[0], file)[0], val(l, v.range[1], file)[0]];
    if (v.elem) return val(l, v.elem.val, file);
  }
  const c = parseConst(l, String(v));
  if (c === undefined) throw new RulesetError(file, 1, 1, `could not parse ${l.types.join(' . ')} value ${JSON.stringify(v)}`);
  return [c, c];
}

function addElem(set: SetDef, l: Lhs, k: J, data: J, file: string): void {
  let el: SetElem;
  if (k && typeof k === 'object' && k.concat) {
    const parts = (l.parts ?? [l]).map((p, i) => val(p, k.concat[i], file));
    const exact = parts.every((r) => r[0] === r[1]);
    el = exact ? { key: concatKey(parts.map((r) => r[0])) } : { key: [concatKey(parts.map((r) => r[0])), concatKey(parts.map((r) => r[1]))], parts };
    if (!exact) set.interval = true;
  } else {
    const r = val(l, k, file);
    el = r[0] === r[1] ? { key: r[0] } : { key: r };
    if (r[0] !== r[1]) set.interval = true;
  }
  if (data !== undefined) el.data = verdictOf(data) ?? (typeof data === 'number' ? data : parseIPv4(String(data)) ?? parseIPv6(String(data)) ?? String(data));
  set.elems.push(el);
}

function verdictOf(x: J): VerdictExpr | null {
  if (!x || typeof x !== 'object') return null;
  // {"queue": {"num": 1, "flags": "bypass"}} (or a list of flags): NFT_QUEUE_FLAG_BYPASS
  if ('queue' in x) {
    const fl = (x.queue as { flags?: unknown } | null)?.flags;
    if (fl === 'bypass' || (Array.isArray(fl) && fl.includes('bypass'))) return { k: 'verdict', v: 'queue', bypass: true };
  }
  for (const v of ['accept', 'drop', 'continue', 'return', 'queue'] as const) if (v in x) return { k: 'verdict', v };
  if (x.jump) return { k: 'verdict', v: 'jump', chain: x.jump.target };
  if (x.goto) return { k: 'verdict', v: 'goto', chain: x.goto.target };
  return null;
}

function anonSet(l: Lhs, elems: J[], file: string, isMap: boolean): SetDef {
  const s: SetDef = { name: '', keyTypes: l.types, keyLens: l.lens, interval: false, elems: [] };
  for (const e of elems) addElem(s, l, isMap ? e[0] : e, isMap ? e[1] : undefined, file);
  return s;
}

function stmt(x: J, t: IrTable, file: string): Expr | null {
  const v = verdictOf(x);
  if (v) return v;
  const [kind, o] = Object.entries(x)[0] as [string, J];
  switch (kind) {
    case 'counter': return { k: 'counter' };
    case 'notrack': return { k: 'notrack' };
    case 'log': return { k: 'log', prefix: o?.prefix, level: o?.level };
    case 'limit': {
      const bytes = o.rate_unit !== undefined && o.rate_unit !== 'packets';
      const mult = o.rate_unit === 'kbytes' ? 1024 : o.rate_unit === 'mbytes' ? 1024 * 1024 : 1;
      return { k: 'limit', rate: o.rate * mult, unit: o.per ?? 'second', burst: o.burst ?? (bytes ? 0 : 5), bytes, over: !!o.inv };
    }
    case 'reject': {
      if (!o) return t.family === 'ip' ? { k: 'reject', type: 'icmp', code: 3 } : t.family === 'ip6' ? { k: 'reject', type: 'icmpv6', code: 4 } : { k: 'reject', type: 'icmpx', code: 1 };
      if (o.type === 'tcp reset') return { k: 'reject', type: 'tcp-reset', code: 0 };
      const table = o.type === 'icmp' ? ICMP_CODE : o.type === 'icmpv6' ? ICMPV6_CODE : ICMPX_CODE;
      return { k: 'reject', type: o.type, code: table[o.expr] ?? 1 };
    }
    case 'snat': case 'dnat': case 'masquerade': case 'redirect': {
      const e: Extract<Expr, { k: 'nat' }> = { k: 'nat', type: kind };
      if (t.family === 'ip') e.family = 4;
      if (t.family === 'ip6') e.family = 6;
      if (o?.addr !== undefined) {
        const a = o.addr;
        if (typeof a === 'object' && !a.range) return { k: 'unsupported', what: `${kind} to ${JSON.stringify(a)} (mapped nat)` };
        const [lo, hi] = typeof a === 'object' ? a.range : [a, a];
        e.addrLo = parseIPv4(lo) ?? parseIPv6(lo);
        e.addrHi = parseIPv4(hi) ?? parseIPv6(hi);
      }
      if (o?.port !== undefined) {
        const [lo, hi] = typeof o.port === 'object' ? o.port.range : [o.port, o.port];
        e.portLo = lo;
        e.portHi = hi;
      }
      return e;
    }
    case 'mangle': {
      const l = lhsOf(o.key, t.family);
      const value = typeof o.value === 'object' ? lhsOf(o.value, t.family)?.load : typeof o.value === 'number' ? o.value : undefined;
      if (!l || value === undefined) return { k: 'unsupported', what: `mangle ${JSON.stringify(o.key)}` };
      if (l.load.k === 'meta') return { k: 'meta_set', key: l.load.key, value };
      if (l.load.k === 'ct') return { k: 'ct_set', key: l.load.key, value };
      return { k: 'unsupported', what: 'payload mangle' };
    }
    case 'vmap': {
      const l = lhsOf(o.key, t.family);
      if (!l) return { k: 'unsupported', what: `vmap on ${JSON.stringify(o.key)}` };
      const map = typeof o.data === 'string' ? o.data.replace(/^@/, '') : anonSet(l, o.data.set, file, true);
      return { k: 'vmap', left: l.load, map };
    }
    case 'match': {
      const l = lhsOf(o.left, t.family);
      if (!l) return { k: 'unsupported', what: `match on ${JSON.stringify(o.left)}` };
      const r = o.right;
      const neg = o.op === '!=';
      if (typeof r === 'string' && r.startsWith('@')) return { k: 'lookup', left: l.load, neg, set: r.slice(1) };
      if (r && typeof r === 'object' && r.set) return { k: 'lookup', left: l.load, neg, set: anonSet(l, r.set, file, false) };
      if (o.op === 'in') {
        // implicit flag test: (x & flags) != 0
        const m = flagsOrNum(r, l);
        return { k: 'cmp', left: { k: 'bitwise', src: l.load, mask: m, xor: 0 }, op: 'neq', value: 0 };
      }
      if (Array.isArray(r)) return { k: 'cmp', left: l.load, op: neg ? 'neq' : 'eq', value: flagsOrNum(r, l) };
      if (l.kind === 'str' && !l.parts) {
        const s = String(r);
        if (s.endsWith('*') && !s.endsWith('\\*')) return { k: 'prefixcmp', left: l.load, neg, value: s.slice(0, -1) };
        return { k: 'cmp', left: l.load, op: neg ? 'neq' : 'eq', value: s };
      }
      let lo: Val, hi: Val;
      if (l.parts && r && r.concat) {
        const parts = l.parts.map((p, i) => val(p, r.concat[i], file));
        lo = concatKey(parts.map((x) => x[0]));
        hi = concatKey(parts.map((x) => x[1]));
      } else [lo, hi] = val(l, r, file);
      if (lo !== hi) return { k: 'range', left: l.load, neg, lo, hi };
      const ops: Record<string, 'eq' | 'neq' | 'lt' | 'gt' | 'lte' | 'gte'> = { '==': 'eq', '!=': 'neq', '<': 'lt', '>': 'gt', '<=': 'lte', '>=': 'gte' };
      return { k: 'cmp', left: l.load, op: ops[o.op] ?? 'eq', value: lo };
    }
    case 'fwd': case 'dup':
      // netdev {"fwd": {"dev": "eth1"}} / {"dup": {"dev": "eth1"}}; with "addr" (neighbour forms) or a device map: unsupported
      if (t.family === 'netdev' && o && typeof o.dev === 'string' && o.addr === undefined) return { k: 'fwd', dev: o.dev, dup: kind === 'dup' };
      return { k: 'unsupported', what: `${kind} ${JSON.stringify(o)}` };
    case 'flow': {
      // {"flow": {"op": "add", "flowtable": "@ft"}}
      const name = typeof o?.flowtable === 'string' ? o.flowtable.replace(/^@/, '') : '';
      if ((o?.op === 'add' || o?.op === 'offload') && t.flowtables?.has(name)) return { k: 'flow_offload', flowtable: name };
      return { k: 'unsupported', what: `flow ${JSON.stringify(o)}` };
    }
    case 'xt': return { k: 'unsupported', what: `xt ${o?.type ?? ''} ${o?.name ?? ''}`.trim() };
    default: return { k: 'unsupported', what: kind };
  }
}

export type { Load };

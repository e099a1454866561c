// `iptables-save` / `ip6tables-save` -> IR, translated the way iptables-nft does (xlate):
// tables raw/mangle/nat/filter/security become `ip|ip6 <table>` with base chains at the
// iptables priorities, each rule keeps its iptables-save line as identity and source.
// A match or target the model does not know becomes {k:'unsupported'}: reported once, and
// frames whose result depends on it are marked.

import {
  ICMPV6_CODE, ICMPV6_TYPE, ICMP_CODE, ICMP_TYPE, L4PROTO, RulesetError, TCP_FLAGS, CT_STATE, CT_STATUS, RTN_TYPE, newTable, parseIPv4, parseIPv6, prefixRange,
  type BaseChainDef, type Expr, type IrRule, type IrRuleset, type IrTable, type Load, type Val,
} from './ir.js';
import { payloadLhs, metaLhs, ctLhs } from './nft-values.js';

const HOOKS: Record<string, string> = { PREROUTING: 'prerouting', INPUT: 'input', FORWARD: 'forward', OUTPUT: 'output', POSTROUTING: 'postrouting' };

/** priorities of the x_tables tables (NF_IP_PRI_*); iptables-nft registers security at 150 (measured, see fixtures/rulesets) */
function tablePrio(table: string, chain: string, nftBackend: boolean): number {
  switch (table) {
    case 'raw': return -300;
    case 'mangle': return -150;
    case 'nat': return chain === 'PREROUTING' || chain === 'OUTPUT' ? -100 : 100;
    case 'filter': return 0;
    case 'security': return nftBackend ? 150 : 50;
    default: return 0;
  }
}

export function parseIptablesSave(text: string, file: string, family: 'ip' | 'ip6', rs: IrRuleset, nftBackend = false): void {
  const lines = text.split('\n');
  let tb: IrTable | null = null;
  const origin = family === 'ip' ? 'iptables' : 'ip6tables';
  // iptables-nft-save prints a table nft created natively as an empty stub after this comment:
  // its chains are not the kernel's (measured: fixtures/kernel/*/host/iptables.rules)
  const foreign = new Set<string>();
  let skipping = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.trim();
    const ln = i + 1;
    const inc = /^# Table `(\w+)' contains incompatible base-chains/.exec(line);
    if (inc) {
      foreign.add(inc[1]!);
      rs.notes.push(`${file}:${ln}: table ${family} ${inc[1]} was created by nft, not iptables: read from the nft rule set instead`);
      continue;
    }
    if (!line || line.startsWith('#')) continue;
    if (skipping) {
      if (line === 'COMMIT') skipping = false;
      continue;
    }
    if (line.startsWith('*')) {
      const name = line.slice(1).trim();
      if (foreign.has(name)) { skipping = true; continue; }
      if (!['raw', 'mangle', 'nat', 'filter', 'security'].includes(name)) throw new RulesetError(file, ln, 1, `unknown table '${name}'`);
      tb = rs.tables.find((t) => t.family === family && t.name === name && t.origin === origin) ?? null;
      if (!tb) {
        tb = newTable(family, name, origin);
        rs.tables.push(tb);
      }
      continue;
    }
    if (line === 'COMMIT') { tb = null; continue; }
    if (!tb) throw new RulesetError(file, ln, 1, 'rule or chain outside a table (missing *table line)');
    if (line.startsWith(':')) {
      const m = /^:(\S+)\s+(\S+)/.exec(line);
      if (!m) throw new RulesetError(file, ln, 1, 'bad chain line');
      const [, name, pol] = m as unknown as [string, string, string];
      const hook = HOOKS[name];
      const ch = { name, rules: [] as IrRule[], src: { file, line: ln, text: line } } as IrTable['chains'][number];
      if (hook && pol !== '-') {
        const base: BaseChainDef = {
          type: tb.name === 'nat' ? 'nat' : tb.name === 'mangle' && name === 'OUTPUT' ? 'route' : 'filter',
          hook, priority: tablePrio(tb.name, name, nftBackend), policy: pol === 'DROP' ? 'drop' : 'accept',
        };
        ch.base = base;
      }
      tb.chains.push(ch);
      continue;
    }
    const body = line.replace(/^\[\d+:\d+\]\s*/, '');
    if (!body.startsWith('-A ')) throw new RulesetError(file, ln, 1, `unexpected line '${line.slice(0, 40)}'`);
    const words = splitWords(body, file, ln);
    const chainName = words[1]!;
    const ch = tb.chains.find((c) => c.name === chainName);
    if (!ch) throw new RulesetError(file, ln, 4, `chain '${chainName}' not declared`);
    const rule: IrRule = { handle: ch.rules.length + 1, exprs: [], src: { file, line: ln, text: body }, iptables: true };
    translate(words.slice(2), rule, family, tb, file, ln);
    ch.rules.push(rule);
  }
}

function splitWords(s: string, file: string, ln: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === ' ') { i++; continue; }
    if (s[i] === '"') {
      let j = i + 1, w = '';
      while (j < s.length && s[j] !== '"') { if (s[j] === '\\') j++; w += s[j]; j++; }
      if (j >= s.length) throw new RulesetError(file, ln, i + 1, 'unterminated quote');
      out.push(w);
      i = j + 1;
    } else {
      let j = i;
      while (j < s.length && s[j] !== ' ') j++;
      out.push(s.slice(i, j));
      i = j;
    }
  }
  return out;
}

function translate(w: string[], rule: IrRule, family: 'ip' | 'ip6', tb: IrTable, file: string, ln: number): void {
  const ex = rule.exprs;
  const v6 = family === 'ip6';
  let proto: string | undefined;
  let neg = false;
  let target: string | undefined;
  let targetArgs: string[] = [];
  const pay = (pr: string, f: string): Load => payloadLhs(pr, f)!.load;
  const unsup = (what: string) => ex.push({ k: 'unsupported', what });
  const addrMatch = (field: 'saddr' | 'daddr', val: string, n: boolean) => {
    const [a, m] = val.split('/');
    const lhs = payloadLhs(v6 ? 'ip6' : 'ip', field)!;
    const v = v6 ? parseIPv6(a!) : parseIPv4(a!);
    if (v === undefined) throw new RulesetError(file, ln, 1, `bad address '${val}'`);
    let plen = m === undefined ? (v6 ? 128 : 32) : Number(m);
    if (m !== undefined && m.includes('.')) plen = maskLen(parseIPv4(m) ?? 0);
    if (plen === (v6 ? 128 : 32)) ex.push({ k: 'cmp', left: lhs.load, op: n ? 'neq' : 'eq', value: v });
    else if (plen > 0 || n) {
      const [lo, hi] = prefixRange(v, plen, v6 ? 128 : 32);
      ex.push({ k: 'range', left: lhs.load, neg: n, lo, hi });
    }
  };
  const portMatch = (field: 'sport' | 'dport', val: string, n: boolean) => {
    if (!proto || !['tcp', 'udp', 'sctp', 'dccp', 'udplite'].includes(proto)) throw new RulesetError(file, ln, 1, `--${field} needs -p tcp/udp/sctp/dccp`);
    const load = pay(proto, field);
    const [a, b] = val.split(':');
    const lo = a === '' ? 0 : Number(a), hi = b === undefined ? lo : b === '' ? 65535 : Number(b);
    if (lo === hi) ex.push({ k: 'cmp', left: load, op: n ? 'neq' : 'eq', value: lo });
    else ex.push({ k: 'range', left: load, neg: n, lo, hi });
  };
  for (let i = 0; i < w.length; i++) {
    const o = w[i]!;
    if (o === '!') { neg = true; continue; }
    const arg = () => {
      const v = w[++i];
      if (v === undefined) throw new RulesetError(file, ln, 1, `option ${o} needs an argument`);
      if (v === '!') { neg = true; return w[++i]!; }
      return v;
    };
    const n = neg;
    neg = false;
    switch (o) {
      case '-s': case '--source': addrMatch('saddr', arg(), n || neg); break;
      case '-d': case '--destination': addrMatch('daddr', arg(), n || neg); break;
      case '-i': case '--in-interface': case '-o': case '--out-interface': {
        const v = arg();
        const left = metaLhs(o.startsWith('-i') || o === '--in-interface' ? 'iifname' : 'oifname')!.load;
        if (v.endsWith('+')) ex.push({ k: 'prefixcmp', left, neg: n, value: v.slice(0, -1) });
        else ex.push({ k: 'cmp', left, op: n ? 'neq' : 'eq', value: v });
        break;
      }
      case '-p': case '--protocol': {
        const v = arg().toLowerCase();
        if (v === 'all' || v === '0') break;
        const num = /^\d+$/.test(v) ? Number(v) : L4PROTO[v === 'icmpv6' ? 'ipv6-icmp' : v];
        if (num === undefined) throw new RulesetError(file, ln, 1, `unknown protocol '${v}'`);
        proto = Object.entries({ tcp: 6, udp: 17, icmp: 1, icmpv6: 58, sctp: 132, dccp: 33, udplite: 136 }).find(([, x]) => x === num)?.[0] ?? String(num);
        ex.push({ k: 'cmp', left: { k: 'meta', key: 'l4proto' }, op: n ? 'neq' : 'eq', value: num });
        break;
      }
      case '-f': ex.push({ k: 'range', left: pay('ip', 'frag-off'), neg: n, lo: 1, hi: 0x1fff }); break;
      case '-m': case '--match': {
        const m = arg();
        if (!['tcp', 'udp', 'icmp', 'icmp6', 'icmpv6', 'conntrack', 'state', 'multiport', 'comment', 'mark', 'connmark', 'iprange', 'limit', 'addrtype', 'set', 'physdev', 'sctp', 'udplite', 'pkttype'].includes(m)) {
          // skip its options
          const start = i;
          while (w[i + 1] !== undefined && w[i + 1]!.startsWith('--') || w[i + 1] === '!' && w[i + 2]?.startsWith('--')) {
            i++;
            if (w[i] === '!') i++;
            if (w[i + 1] !== undefined && !w[i + 1]!.startsWith('-')) i++;
          }
          unsup(`-m ${m}${start < i ? ` ${w.slice(start + 1, i + 1).join(' ')}` : ''}`);
        }
        if (m === 'physdev') {
          const start = i;
          while (w[i + 1] !== undefined && (w[i + 1]!.startsWith('--physdev') || w[i + 1] === '!')) {
            i++;
            if (w[i] === '!') i++;
            if (w[i]!.startsWith('--physdev-in') || w[i]!.startsWith('--physdev-out')) i++;
          }
          unsup(`-m physdev ${w.slice(start + 1, i + 1).join(' ')} (bridge port of br_netfilter)`);
        }
        break;
      }
      case '--sport': case '--source-port': portMatch('sport', arg(), n); break;
      case '--dport': case '--destination-port': portMatch('dport', arg(), n); break;
      case '--syn': ex.push({ k: 'cmp', left: { k: 'bitwise', src: pay('tcp', 'flags'), mask: 0x17, xor: 0 }, op: n ? 'neq' : 'eq', value: 2 }); break;
      case '--tcp-flags': {
        const mask = flagList(arg(), file, ln), comp = flagList(arg(), file, ln);
        ex.push({ k: 'cmp', left: { k: 'bitwise', src: pay('tcp', 'flags'), mask, xor: 0 }, op: n ? 'neq' : 'eq', value: comp });
        break;
      }
      case '--icmp-type': case '--icmpv6-type': {
        const v = arg();
        const isV6 = o === '--icmpv6-type';
        const pr = isV6 ? 'icmpv6' : 'icmp';
        if (v === 'any') break;
        const [t, c] = v.split('/');
        let type = /^\d+$/.test(t!) ? Number(t) : (isV6 ? ICMPV6_TYPE : ICMP_TYPE)[t!];
        let code: number | undefined = c !== undefined ? Number(c) : undefined;
        if (type === undefined) {
          // names that are type+code: port-unreachable, host-prohibited ...
          const cc = (isV6 ? ICMPV6_CODE : ICMP_CODE)[t!];
          if (cc === undefined) throw new RulesetError(file, ln, 1, `unknown ${pr} type '${v}'`);
          type = isV6 ? 1 : 3;
          code = cc;
        }
        ex.push({ k: 'cmp', left: pay(pr, 'type'), op: n ? 'neq' : 'eq', value: type });
        if (code !== undefined) ex.push({ k: 'cmp', left: pay(pr, 'code'), op: 'eq', value: code });
        break;
      }
      case '--ctstate': case '--state': {
        let mask = 0;
        for (const s of arg().split(',')) {
          const b = CT_STATE[s.toLowerCase()];
          if (b === undefined) throw new RulesetError(file, ln, 1, `unknown state '${s}'`);
          mask |= b;
        }
        ex.push({ k: 'cmp', left: { k: 'bitwise', src: ctLhs('state', undefined, 'ip')!.load, mask, xor: 0 }, op: n ? 'eq' : 'neq', value: 0 });
        break;
      }
      case '--ctstatus': {
        let mask = 0;
        for (const s of arg().split(',')) mask |= CT_STATUS[s.toLowerCase()] ?? 0;
        ex.push({ k: 'cmp', left: { k: 'bitwise', src: { k: 'ct', key: 'status' }, mask, xor: 0 }, op: n ? 'eq' : 'neq', value: 0 });
        break;
      }
      case '--dports': case '--sports': case '--ports': {
        if (!proto) throw new RulesetError(file, ln, 1, 'multiport needs -p');
        const elems = arg().split(',').map((x) => {
          const [a, b] = x.split(':');
          return b === undefined ? { key: Number(a) } : { key: [Number(a), Number(b)] as [Val, Val] };
        });
        const set = { name: '', keyTypes: ['inet_service'], keyLens: [2], interval: elems.some((e) => Array.isArray(e.key)), elems };
        if (o === '--ports') unsup('multiport --ports (either port)');
        else ex.push({ k: 'lookup', left: pay(proto, o === '--dports' ? 'dport' : 'sport'), neg: n, set });
        break;
      }
      case '--comment': rule.comment = arg(); break;
      case '--mark': {
        // -m mark (meta mark) or -m connmark (ct mark): the last -m decides
        const isConn = lastMatch(w, i) === 'connmark';
        const [v, m] = arg().split('/');
        const left: Load = isConn ? { k: 'ct', key: 'mark' } : { k: 'meta', key: 'mark' };
        const mask = m === undefined ? 0xffffffff : Number(m);
        ex.push({ k: 'cmp', left: mask === 0xffffffff ? left : { k: 'bitwise', src: left, mask: mask >>> 0, xor: 0 }, op: n ? 'neq' : 'eq', value: Number(v) >>> 0 });
        break;
      }
      case '--src-range': case '--dst-range': {
        const [a, b] = arg().split('-');
        const lo = v6 ? parseIPv6(a!) : parseIPv4(a!), hi = v6 ? parseIPv6(b!) : parseIPv4(b!);
        if (lo === undefined || hi === undefined) throw new RulesetError(file, ln, 1, 'bad iprange');
        ex.push({ k: 'range', left: pay(v6 ? 'ip6' : 'ip', o === '--src-range' ? 'saddr' : 'daddr'), neg: n, lo, hi });
        break;
      }
      case '--limit': {
        const [r, u] = arg().split('/');
        const unit = ({ s: 'second', sec: 'second', second: 'second', m: 'minute', min: 'minute', minute: 'minute', h: 'hour', hour: 'hour', d: 'day', day: 'day' } as Record<string, 'second' | 'minute' | 'hour' | 'day'>)[u ?? 'hour'] ?? 'hour';
        let burst = 5;
        if (w[i + 1] === '--limit-burst') { i++; burst = Number(w[++i]); }
        ex.push({ k: 'limit', rate: Number(r), unit, burst, bytes: false, over: false });
        break;
      }
      case '--limit-burst': i++; break;
      case '--src-type': case '--dst-type': {
        const types = arg().split(',').map((t) => RTN_TYPE[t.toLowerCase()]);
        if (types.some((t) => t === undefined)) throw new RulesetError(file, ln, 1, 'unknown addrtype');
        const elems = types.map((t) => ({ key: t as number }));
        ex.push({ k: 'lookup', left: { k: 'fib', flags: [o === '--src-type' ? 'saddr' : 'daddr'], result: 'type' }, neg: n, set: { name: '', keyTypes: ['fib_addrtype'], keyLens: [4], interval: false, elems } });
        if (w[i + 1] === '--limit-iface-in' || w[i + 1] === '--limit-iface-out') { i++; unsup(`addrtype ${w[i]}`); }
        break;
      }
      case '--match-set': {
        const name = arg();
        const dirs = arg().split(',');
        const parts = dirs.map((d) => pay(v6 ? 'ip6' : 'ip', d === 'src' ? 'saddr' : 'daddr'));
        const set = name;
        if (dirs.length !== 1) unsup(`-m set ${name} ${dirs.join(',')} (multi-dimension set)`);
        else ex.push({ k: 'lookup', left: parts[0]!, neg: n, set });
        break;
      }
      case '--pkt-type': {
        const t = ({ unicast: 0, broadcast: 1, multicast: 2 } as Record<string, number>)[arg()];
        ex.push({ k: 'cmp', left: { k: 'meta', key: 'pkttype' }, op: n ? 'neq' : 'eq', value: t ?? 0 });
        break;
      }
      case '-j': case '--jump': case '-g': case '--goto': {
        target = arg();
        targetArgs = w.slice(i + 1);
        if (o === '-g' || o === '--goto') targetArgs = ['__goto'];
        i = w.length;
        break;
      }
      default:
        if (o.startsWith('-')) unsup(`option ${o}`);
        else throw new RulesetError(file, ln, 1, `unexpected '${o}'`);
    }
  }
  if (target) targetExprs(target, targetArgs, ex, v6, tb, file, ln);
}

function lastMatch(w: string[], i: number): string | undefined {
  for (let j = i; j >= 0; j--) if (w[j] === '-m' || w[j] === '--match') return w[j + 1];
  return undefined;
}

function maskLen(m: number): number {
  let n = 0;
  while (n < 32 && m & (0x80000000 >>> n)) n++;
  return n;
}

function flagList(s: string, file: string, ln: number): number {
  if (s === 'ALL') return 0x3f;
  if (s === 'NONE') return 0;
  let v = 0;
  for (const f of s.split(',')) {
    const b = TCP_FLAGS[f.toLowerCase()];
    if (b === undefined) throw new RulesetError(file, ln, 1, `unknown tcp flag '${f}'`);
    v |= b;
  }
  return v;
}

function opt(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function targetExprs(t: string, a: string[], ex: Expr[], v6: boolean, tb: IrTable, file: string, ln: number): void {
  switch (t) {
    case 'ACCEPT': ex.push({ k: 'verdict', v: 'accept' }); return;
    case 'DROP': ex.push({ k: 'verdict', v: 'drop' }); return;
    case 'RETURN': ex.push({ k: 'verdict', v: 'return' }); return;
    case 'LOG': ex.push({ k: 'log', prefix: opt(a, '--log-prefix') }); return;
    case 'NOTRACK': ex.push({ k: 'notrack' }); return;
    case 'CT':
      if (a.includes('--notrack')) ex.push({ k: 'notrack' });
      else ex.push({ k: 'unsupported', what: `-j CT ${a.join(' ')}` });
      return;
    case 'REJECT': {
      const w = opt(a, '--reject-with') ?? (v6 ? 'icmp6-port-unreachable' : 'icmp-port-unreachable');
      if (w === 'tcp-reset' || w === 'tcp-rst') { ex.push({ k: 'reject', type: 'tcp-reset', code: 0 }); return; }
      const v4codes: Record<string, number> = { 'icmp-net-unreachable': 0, 'icmp-host-unreachable': 1, 'icmp-proto-unreachable': 2, 'icmp-port-unreachable': 3, 'icmp-net-prohibited': 9, 'icmp-host-prohibited': 10, 'icmp-admin-prohibited': 13 };
      const v6codes: Record<string, number> = { 'icmp6-no-route': 0, 'no-route': 0, 'icmp6-adm-prohibited': 1, 'adm-prohibited': 1, 'icmp6-addr-unreachable': 3, 'addr-unreach': 3, 'icmp6-port-unreachable': 4, 'port-unreach': 4 };
      const c = v6 ? v6codes[w] : v4codes[w];
      if (c === undefined) throw new RulesetError(file, ln, 1, `unknown --reject-with '${w}'`);
      ex.push({ k: 'reject', type: v6 ? 'icmpv6' : 'icmp', code: c });
      return;
    }
    case 'MARK': case 'CONNMARK': {
      const isConn = t === 'CONNMARK';
      const key = isConn ? 'ct_set' : 'meta_set';
      const sx = opt(a, '--set-xmark') ?? opt(a, '--set-mark');
      if (a.includes('--save-mark')) {
        const nf = Number(opt(a, '--nfmask') ?? opt(a, '--mask') ?? 0xffffffff) >>> 0, ctm = Number(opt(a, '--ctmask') ?? opt(a, '--mask') ?? 0xffffffff) >>> 0;
        if (nf !== 0xffffffff || ctm !== 0xffffffff) ex.push({ k: 'unsupported', what: 'CONNMARK --save-mark with masks' });
        else ex.push({ k: 'ct_set', key: 'mark', value: { k: 'meta', key: 'mark' } });
      } else if (a.includes('--restore-mark')) {
        const nf = Number(opt(a, '--nfmask') ?? opt(a, '--mask') ?? 0xffffffff) >>> 0, ctm = Number(opt(a, '--ctmask') ?? opt(a, '--mask') ?? 0xffffffff) >>> 0;
        if (nf !== 0xffffffff || ctm !== 0xffffffff) ex.push({ k: 'unsupported', what: 'CONNMARK --restore-mark with masks' });
        else ex.push({ k: 'meta_set', key: 'mark', value: { k: 'ct', key: 'mark' } });
      } else if (sx) {
        const [v, m] = sx.split('/');
        const isX = a.includes('--set-xmark');
        // --set-mark v/m: mark = (mark & ~m) | v  ==  xmark v/(m|v) for disjoint bits; iptables-save prints --set-xmark
        const mask = m === undefined ? 0xffffffff : Number(m) >>> 0;
        const val = Number(v) >>> 0;
        ex.push({ k: key, key: 'mark', value: val, mask: isX ? mask : (mask | val) >>> 0 } as Expr);
      } else if (opt(a, '--and-mark') !== undefined) {
        const m = Number(opt(a, '--and-mark')) >>> 0;
        ex.push({ k: key, key: 'mark', value: 0, mask: ~m >>> 0 } as Expr);
      } else if (opt(a, '--or-mark') !== undefined) {
        const m = Number(opt(a, '--or-mark')) >>> 0;
        ex.push({ k: key, key: 'mark', value: m, mask: m } as Expr);
      } else ex.push({ k: 'unsupported', what: `-j ${t} ${a.join(' ')}` });
      return;
    }
    case 'SNAT': case 'DNAT': case 'MASQUERADE': case 'REDIRECT': {
      if (tb.name !== 'nat') throw new RulesetError(file, ln, 1, `${t} is only valid in the nat table`);
      const e: Extract<Expr, { k: 'nat' }> = { k: 'nat', type: t.toLowerCase() as 'snat', family: v6 ? 6 : 4 };
      const to = opt(a, t === 'SNAT' ? '--to-source' : '--to-destination');
      const ports = opt(a, '--to-ports');
      if (to) {
        let addr = to, pr: string | undefined;
        const m = /^\[(.*)\](?::(.*))?$/.exec(to);
        if (m) { addr = m[1]!; pr = m[2]; }
        else if (!v6 && to.includes(':')) [addr, pr] = to.split(':') as [string, string];
        const [lo, hi] = addr.split('-');
        const plo = v6 ? parseIPv6(lo!) : parseIPv4(lo!), phi = v6 ? parseIPv6(hi ?? lo!) : parseIPv4(hi ?? lo!);
        if (addr && (plo === undefined || phi === undefined)) throw new RulesetError(file, ln, 1, `bad NAT address '${to}'`);
        if (addr) { e.addrLo = plo; e.addrHi = phi; }
        if (pr) { const [a1, b1] = pr.split('-'); e.portLo = Number(a1); e.portHi = Number(b1 ?? a1); }
      }
      if (ports) { const [a1, b1] = ports.split('-'); e.portLo = Number(a1); e.portHi = Number(b1 ?? a1); }
      if (a.includes('--random') || a.includes('--random-fully')) e.random = true;
      ex.push(e);
      return;
    }
    default:
      if (tb.chains.some((c) => c.name === t)) {
        ex.push({ k: 'verdict', v: a[0] === '__goto' ? 'goto' : 'jump', chain: t });
        return;
      }
      ex.push({ k: 'unsupported', what: `-j ${t}${a.length ? ' ' + a.join(' ') : ''}` });
  }
}

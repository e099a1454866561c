// `ipset save` -> sets usable by iptables `-m set --match-set NAME src|dst[,...]`.
// create NAME hash:ip|hash:net|hash:ip,port|hash:net,port|bitmap:port|list:set ... [options] /
// add NAME ELEM [timeout N] [packets N bytes N] [comment "..."] [nomatch] ...
// Counters, comments and skb info do not change what matches; `nomatch` entries of hash:net sets
// are exceptions the most specific entry decides (hash_net4_kadt tries the longest prefix first);
// `netmask N` stores addresses as their network; list:set matches when a member set does.

import { RulesetError, type IrRuleset, type SetDef } from './ir.js';
import { typeLhs } from './nft-values.js';
import { concatKey, parseConst } from './nft-values.js';
import { prefixRange, parseIPv4, parseIPv6 } from './ir.js';

const TYPES: Record<string, (v6: boolean) => string[]> = {
  'hash:ip': (v6) => [v6 ? 'ipv6_addr' : 'ipv4_addr'],
  'hash:net': (v6) => [v6 ? 'ipv6_addr' : 'ipv4_addr'],
  'hash:ip,port': (v6) => [v6 ? 'ipv6_addr' : 'ipv4_addr', 'inet_proto', 'inet_service'],
  'hash:net,port': (v6) => [v6 ? 'ipv6_addr' : 'ipv4_addr', 'inet_proto', 'inet_service'],
  'hash:ip,port,ip': (v6) => [v6 ? 'ipv6_addr' : 'ipv4_addr', 'inet_proto', 'inet_service', v6 ? 'ipv6_addr' : 'ipv4_addr'],
  'bitmap:ip': () => ['ipv4_addr'],
  'bitmap:port': () => ['inet_service'],
  'hash:mac': () => ['ether_addr'],
  'hash:net,net': (v6) => [v6 ? 'ipv6_addr' : 'ipv4_addr', v6 ? 'ipv6_addr' : 'ipv4_addr'],
  'hash:ip,port,net': (v6) => [v6 ? 'ipv6_addr' : 'ipv4_addr', 'inet_proto', 'inet_service', v6 ? 'ipv6_addr' : 'ipv4_addr'],
  'hash:net,port,net': (v6) => [v6 ? 'ipv6_addr' : 'ipv4_addr', 'inet_proto', 'inet_service', v6 ? 'ipv6_addr' : 'ipv4_addr'],
};

/** entry options of `ipset save` that take a value (ipset(8): timeout, counters, comment, skbinfo) */
const ENTRY_OPTS = new Set(['timeout', 'packets', 'bytes', 'comment', 'skbmark', 'skbprio', 'skbqueue']);

/** sets whose lookups the model cannot answer, with the reason (rules naming them are unsupported) */
export const ipsetUnsupported = new WeakMap<SetDef, string>();

/** words of a line, a "quoted comment" as one */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) out.push(m[1] ?? m[2]!);
  return out;
}

/**
 * hash:net with nomatch entries, IPv4: the address space painted from the least to the most
 * specific entry (an address belongs to its longest matching prefix), the matching stretches kept.
 */
function paintNomatch(entries: { lo: number; hi: number; len: number; nomatch: boolean }[]): [number, number][] {
  const pts = new Set<number>([0]);
  for (const e of entries) { pts.add(e.lo); if (e.hi < 0xffffffff) pts.add(e.hi + 1); }
  const cuts = [...pts].sort((a, b) => a - b);
  const sorted = [...entries].sort((a, b) => b.len - a.len);
  const out: [number, number][] = [];
  for (let i = 0; i < cuts.length; i++) {
    const lo = cuts[i]!, hi = i + 1 < cuts.length ? cuts[i + 1]! - 1 : 0xffffffff;
    const e = sorted.find((x) => x.lo <= lo && hi <= x.hi);
    if (!e || e.nomatch) continue;
    const last = out[out.length - 1];
    if (last && last[1] + 1 === lo) last[1] = hi; else out.push([lo, hi]);
  }
  return out;
}

export function parseIpsetSave(text: string, file: string, rs: IrRuleset): void {
  const lines = text.split('\n');
  const lists = new Map<string, string[]>();
  const netmasks = new Map<string, number>();
  const nmElems = new Map<SetDef, number[]>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line || line.startsWith('#')) continue;
    const w = words(line);
    if (w[0] === 'create') {
      const name = w[1]!, type = w[2]!;
      if (type === 'list:set') {
        const set: SetDef = { name, keyTypes: [], keyLens: [], interval: false, elems: [], src: { file, line: i + 1, text: line } };
        lists.set(name, []);
        rs.ipsets.set(name, set);
        continue;
      }
      const mk = TYPES[type];
      if (w.includes('timeout')) rs.notes.push(`${file}:${i + 1}: set ${name} has timeouts: an entry expires the seconds the save gives after the capture time of the first packet that looks up a set with timeouts (the snapshot is taken as the capture's start)`);
      const nm = w.indexOf('netmask');
      if (nm > 0) netmasks.set(name, Number(w[nm + 1]));
      if (!mk) {
        // kept by name: a rule naming it loads (the kernel has the set) and is reported unsupported
        const set: SetDef = { name, keyTypes: [], keyLens: [], interval: false, elems: [], src: { file, line: i + 1, text: line } };
        ipsetUnsupported.set(set, `ipset type ${type} not modelled`);
        rs.ipsets.set(name, set);
        continue;
      }
      const v6 = w.includes('inet6');
      const keyTypes = mk(v6);
      const set: SetDef = { name, keyTypes, keyLens: typeLhs(keyTypes).lens, interval: type.startsWith('hash:net') || type.startsWith('bitmap'), elems: [], src: { file, line: i + 1, text: line } };
      rs.ipsets.set(name, set);
    } else if (w[0] === 'add') {
      const set = rs.ipsets.get(w[1]!);
      // ipset restore: 'The set with the given name does not exist'
      if (!set) throw new RulesetError(file, i + 1, 1, `set ${w[1]} does not exist`);
      if (ipsetUnsupported.has(set)) continue; // set of an unmodelled type
      const members = lists.get(w[1]!);
      if (members) { members.push(w[2]!); continue; }
      // the entry's options after the element: `nomatch`, and `timeout N` (the seconds left when
      // the save was taken; 0 is permanent); the others take a value too, and a comment's text is
      // never an option (ipset-comment-words.txt)
      let nomatch = false, ttl = 0;
      for (let j = 3; j < w.length; j++) {
        if (w[j] === 'nomatch') nomatch = true;
        else if (ENTRY_OPTS.has(w[j]!)) { if (w[j] === 'timeout') ttl = Number(w[j + 1]); j++; }
      }
      const parts = w[2]!.split(',');
      const lhs = typeLhs(set.keyTypes);
      const lp = lhs.parts ?? [lhs];
      const ranges: [number | string, number | string][] = [];
      // ip,proto:port -> ip . proto . port
      const flat: string[] = [];
      for (const x of parts) {
        const m = /^(?:(tcp|udp|sctp|udplite|icmp|icmpv6):)?(.+)$/.exec(x)!;
        if (set.keyTypes.includes('inet_proto') && flat.length === 1) flat.push(m[1] ?? 'tcp');
        flat.push(m[2]!);
      }
      const mask = netmasks.get(set.name);
      for (let k = 0; k < lp.length; k++) {
        let s = flat[k];
        if (k === 0 && mask !== undefined && s !== undefined && !s.includes('/') && !s.includes('-')) s = `${s}/${mask}`;
        if (s === undefined) throw new RulesetError(file, i + 1, 1, `element '${w[2]}' does not fit set ${set.name}`);
        const slash = s.indexOf('/');
        const dash = s.indexOf('-');
        if (slash > 0) {
          const v = lp[k]!.kind === 'ipv6' ? parseIPv6(s.slice(0, slash)) : parseIPv4(s.slice(0, slash));
          if (v === undefined) throw new RulesetError(file, i + 1, 1, `bad address '${s}'`);
          ranges.push(prefixRange(v, Number(s.slice(slash + 1)), lp[k]!.kind === 'ipv6' ? 128 : 32));
        } else if (dash > 0 && lp[k]!.kind !== 'ipv6') {
          const a = parseConst(lp[k]!, s.slice(0, dash)), b = parseConst(lp[k]!, s.slice(dash + 1));
          if (a === undefined || b === undefined) throw new RulesetError(file, i + 1, 1, `bad range '${s}'`);
          ranges.push([a, b]);
        } else {
          const v = parseConst(lp[k]!, s);
          if (v === undefined) throw new RulesetError(file, i + 1, 1, `bad value '${s}'`);
          ranges.push([v, v]);
        }
      }
      if (mask !== undefined) set.interval = true;
      if (nomatch) { (nmElems.get(set) ?? nmElems.set(set, []).get(set)!).push(set.elems.length); }
      if (ranges.length === 1) set.elems.push(ranges[0]![0] === ranges[0]![1] ? { key: ranges[0]![0] } : { key: ranges[0]! });
      else if (ranges.every((r) => r[0] === r[1])) set.elems.push({ key: concatKey(ranges.map((r) => r[0])) });
      else {
        set.interval = true;
        set.elems.push({ key: [concatKey(ranges.map((r) => r[0])), concatKey(ranges.map((r) => r[1]))], parts: ranges });
      }
      if (ttl > 0) set.elems[set.elems.length - 1]!.ttl = ttl;
    }
  }
  finish(rs, lists, nmElems, file);
}

function finish(rs: IrRuleset, lists: Map<string, string[]>, nmElems: Map<SetDef, number[]>, file: string): void {
  for (const [set, idxs] of nmElems) {
    const nm = new Set(idxs);
    if (set.keyTypes.length !== 1 || set.keyTypes[0] !== 'ipv4_addr') {
      ipsetUnsupported.set(set, `set ${set.name}: nomatch entries (IPv6 or several dimensions)`);
      continue;
    }
    const entries = set.elems.map((e, k) => {
      const [lo, hi] = Array.isArray(e.key) ? e.key as [number, number] : [e.key as number, e.key as number];
      let len = 32;
      while (len > 0 && (hi - lo + 1) > 2 ** (32 - len)) len--;
      return { lo, hi, len, nomatch: nm.has(k) };
    });
    set.elems = paintNomatch(entries).map(([lo, hi]) => (lo === hi ? { key: lo } : { key: [lo, hi] }));
    set.interval = true;
  }
  for (const [name, members] of lists) {
    const set = rs.ipsets.get(name)!;
    const defs = members.map((m) => rs.ipsets.get(m));
    const first = defs[0];
    if (defs.some((d) => !d || ipsetUnsupported.has(d) || d.keyTypes.join() !== first!.keyTypes.join())) {
      ipsetUnsupported.set(set, `list:set ${name}: member sets of different types (or not modelled)`);
      continue;
    }
    if (!first) continue;
    set.keyTypes = first.keyTypes;
    set.keyLens = first.keyLens;
    set.interval = defs.some((d) => d!.interval);
    set.elems = defs.flatMap((d) => d!.elems);
  }
  void file;
}

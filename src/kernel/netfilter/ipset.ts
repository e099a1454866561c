// `ipset save` -> sets usable by iptables `-m set --match-set NAME src|dst[,...]`.
// create NAME hash:ip|hash:net|hash:ip,port|hash:net,port|bitmap:port ... / add NAME ELEM

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
};

export function parseIpsetSave(text: string, file: string, rs: IrRuleset): void {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line || line.startsWith('#')) continue;
    const w = line.split(/\s+/);
    if (w[0] === 'create') {
      const name = w[1]!, type = w[2]!;
      const mk = TYPES[type];
      if (!mk) {
        rs.notes.push(`${file}:${i + 1}: ipset type ${type} not modelled; rules using set ${name} are unsupported`);
        continue;
      }
      const v6 = w.includes('inet6');
      const keyTypes = mk(v6);
      const set: SetDef = { name, keyTypes, keyLens: typeLhs(keyTypes).lens, interval: type.startsWith('hash:net') || type.startsWith('bitmap'), elems: [], src: { file, line: i + 1, text: line } };
      rs.ipsets.set(name, set);
    } else if (w[0] === 'add') {
      const set = rs.ipsets.get(w[1]!);
      if (!set) continue; // set of an unmodelled type: already noted
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
      for (let k = 0; k < lp.length; k++) {
        const s = flat[k];
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
      if (ranges.length === 1) set.elems.push(ranges[0]![0] === ranges[0]![1] ? { key: ranges[0]![0] } : { key: ranges[0]! });
      else if (ranges.every((r) => r[0] === r[1])) set.elems.push({ key: concatKey(ranges.map((r) => r[0])) });
      else {
        set.interval = true;
        set.elems.push({ key: [concatKey(ranges.map((r) => r[0])), concatKey(ranges.map((r) => r[1]))], parts: ranges });
      }
    }
  }
}

// The xtables matches (src/kernel/netfilter/xt_match.ts) and ipset lookups against the real
// kernel: fixtures/rulesets/evidence/xt-match-kernel.py sent hand-built frames one at a time into
// a namespace (kernel 6.18, iptables 1.8.9 nf_tables, ipset 7.17) whose mangle PREROUTING holds
// rules without a target, and recorded after each frame which rules counted it. Here the same
// rule set (as iptables-save printed it) and `ipset save` are loaded, the same frames run through
// PREROUTING, and every rule that matched (`verdict continue` in the trace) must be the kernel's.
// Frame times are the recorded send times (hashlimit and recent keep state across frames).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NFPROTO_IPV4, NFPROTO_IPV6, NF_INET_PRE_ROUTING } from '../../src/kernel/netfilter/hook.js';
import { SkBuff } from '../../src/kernel/skbuff.js';
import { dev, host, hooks, run } from './helpers.js';

interface Rec { rules: string; ipset: string | null; devices: { name: string; addrs: string[] }[]; frames: { name: string; t: number; hex: string; matched: number[] }[] }
const rec = JSON.parse(readFileSync('fixtures/rulesets/evidence/xt-match-kernel.json', 'utf8')) as { kernel: string; ip: Rec; ip6: Rec };

function replay(fam: 'ip' | 'ip6') {
  const r = rec[fam];
  const devs = r.devices.map((d, i) => dev(i + 1, d.name, d.addrs, d.name === 'lo' ? 'loopback' : 'veth'));
  const h = host({ [fam === 'ip' ? 'iptables' : 'ip6tables']: r.rules, ...(r.ipset ? { ipset: r.ipset } : {}) }, devs);
  const nf = hooks(h);
  const lines = r.rules.split('\n');
  const ids = lines.filter((l) => l.startsWith('-A PREROUTING'));
  const got: string[] = [], want: string[] = [];
  // rules the model reports it cannot evaluate (file:line) are left out of the comparison
  const unsupported = new Set<string>();
  const skip = new Set<number>();
  for (const f of r.frames) {
    const b = Uint8Array.from(Buffer.from(f.hex, 'hex'));
    const skb = new SkBuff(b, b.length);
    skb.mac_header = 0; skb.network_header = 14; skb.protocol = fam === 'ip' ? 0x0800 : 0x86dd;
    skb.tstampSec = 1_700_000_000 + Math.floor(f.t);
    skb.tstampNsec = Math.round((f.t % 1) * 1e9);
    const res = run(nf, fam === 'ip' ? NFPROTO_IPV4 : NFPROTO_IPV6, NF_INET_PRE_ROUTING, skb, h, 'xt-mb');
    for (const u of res.unsupported ?? []) {
      unsupported.add(u);
      skip.add(ids.indexOf(lines[Number(/^\S+?:(\d+):/.exec(u)![1]) - 1]!));
    }
    const hit = new Set(res.events.filter((e) => e.fn === 'nft_do_chain').map((e) => /rule (-A PREROUTING.*) \(verdict continue\)$/.exec(e.what)?.[1]));
    got.push(`${f.name}: ${ids.map((id, i) => (hit.has(id) ? i : -1)).filter((i) => i >= 0).join(' ')}`);
    want.push(`${f.name}: ${f.matched.join(' ')}`);
  }
  const drop = (l: string) => l.replace(/: (.*)$/, (_, m: string) => `: ${m.split(' ').filter((i) => !skip.has(Number(i))).join(' ')}`);
  return { got: got.map(drop), want: want.map(drop), unsupported: [...unsupported], rules: ids.length };
}

describe(`xtables matches and ipset as kernel ${rec.kernel} matched them`, () => {
  it('IPv4: tcp options, icmp types, multiport, length, tos/dscp/ecn, mac, tcpmss, addrtype, string, u32, statistic, quota, recent, hashlimit, set', () => {
    const r = replay('ip');
    expect(r.rules).toBe(70);
    // a set of several dimensions is not evaluated yet (xt_ir.ts): named, never guessed
    expect(r.unsupported).toEqual(['iptables.rules:66: -m set xs2 dst,dst (multi-dimension set)', 'iptables.rules:67: -m set xs3 dst,dst,src (multi-dimension set)', 'iptables.rules:71: -m set xs6 dst,dst,src (multi-dimension set)']);
    expect(r.got).toEqual(r.want);
  });
  it('IPv6: rt, frag, hbh/dst, ipv6header, ah, icmp6 types, length, tos/dscp/ecn, tcpmss, tcp options, addrtype, string, u32, multiport, hashlimit, recent', () => {
    const r = replay('ip6');
    expect(r.rules).toBe(63);
    expect(r.unsupported).toEqual([]);
    expect(r.got).toEqual(r.want);
  });
});

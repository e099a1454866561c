// FIB and policy rules (net/core/fib_rules.c fib_rules_lookup, net/ipv4/fib_rules.c
// fib4_rule_match/action, net/ipv4/fib_trie.c fib_table_lookup) on the "router" sample, whose
// rules and routes setup.sh made:
//   100: from 10.1.0.0/24 fwmark 0x10/0xff lookup 100     (table 100: default via 10.2.0.2, 10.9.0.0/16 dev eth0)
//   110: not to 10.0.0.0/8 iif eth0 lookup main
//   120: ipproto tcp dport 80 lookup 100
//   130: sport 1000-2000 oif eth1 prohibit
//   140: from 10.5.0.0/16 blackhole
//   150: to 10.6.0.0/16 goto 32766
// main: 198.51.100.0/24 via 10.2.0.2 metric 50, blackhole 10.66/16, unreachable 10.67/16, prohibit 10.68/16
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { loadHost } from '../../src/host/load.js';
import { sample } from './helpers.js';
import { Fib, newFlow, addrIn, prefixMatch6, fibPropsError, fibNoteUnsupported, fibNoteMultipath, tableName, EINVAL, EACCES, ENETUNREACH, EHOSTUNREACH, type FibResult } from '../../src/kernel/route/fib.js';
import { parseIpv4, parseIpv6 } from '../../src/packet/addr.js';
import { FrameCtx } from '../../src/kernel/ctx.js';
import { createNet } from '../../src/kernel/net.js';
import { ip_route_input_noref } from '../../src/kernel/ipv4/route.js';
import type { Rule } from '../../src/host/types.js';

const host = sample('router');
const fib = new Fib(host, 4);
const ip = (s: string) => parseIpv4(s)!;

function look(f: Partial<ReturnType<typeof newFlow>> & { dst: string; src?: string }) {
  const fl = newFlow();
  fl.daddr = ip(f.dst);
  fl.saddr = f.src ? ip(f.src) : 0;
  fl.iif = f.iif ?? 1;
  fl.oif = f.oif ?? 0;
  fl.mark = f.mark ?? 0;
  fl.proto = f.proto ?? 0;
  fl.sport = f.sport ?? 0;
  fl.dport = f.dport ?? 0;
  const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
  const err = fib.lookup(fl, r);
  return { err, r };
}
const eth0 = host.byName.get('eth0')!.ifindex;
const eth1 = host.byName.get('eth1')!.ifindex;

describe('fib_rules_lookup', () => {
  it('has custom rules, so the fast path is off', () => {
    expect(fib.customRules).toBe(true);
  });
  it('local table first: a local address is type local', () => {
    const { err, r } = look({ dst: '10.1.0.1', iif: eth0 });
    expect(err).toBe(0);
    expect(r.alias.type).toBe('local');
    expect(r.table).toBe(255);
  });
  it('fwmark under its mask selects table 100 (rule 100)', () => {
    const { err, r } = look({ dst: '8.8.8.8', src: '10.1.0.2', mark: 0x110, iif: eth0 });
    expect(err).toBe(0);
    expect(r.rule!.priority).toBe(100);
    expect(r.table).toBe(100);
    expect(r.alias.route.gatewayStr).toBe('10.2.0.2');
  });
  it('a mark outside the mask does not match rule 100; rule 110 (not to 10/8, iif eth0) finds nothing in main, default nothing: ENETUNREACH', () => {
    const { err } = look({ dst: '8.8.8.8', src: '10.1.0.2', mark: 0x11, iif: eth0 });
    expect(err).toBe(-ENETUNREACH);
  });
  it('ipproto tcp dport 80 selects table 100 (rule 120)', () => {
    const { err, r } = look({ dst: '8.8.8.8', src: '10.9.9.9', proto: 6, dport: 80, iif: eth1 });
    expect(err).toBe(0);
    expect(r.rule!.priority).toBe(120);
  });
  it('the prohibit action (rule 130) answers EACCES for sport in range and oif eth1', () => {
    expect(look({ dst: '8.8.8.8', sport: 1500, oif: eth1 }).err).toBe(-EACCES);
    expect(look({ dst: '8.8.8.8', sport: 2500, oif: eth1 }).err).toBe(-ENETUNREACH);
  });
  it('the blackhole action (rule 140) answers EINVAL', () => {
    // "not" inverts the whole match of rule 110 (FIB_RULE_INVERT): only traffic to 10/8 from
    // eth0 passes it by and reaches rule 140; anything else is looked up in main by rule 110
    expect(look({ dst: '10.2.0.2', src: '10.5.1.1', iif: eth0 }).err).toBe(-EINVAL);
    expect(look({ dst: '198.51.100.7', src: '10.5.1.1', iif: eth1 }).err).toBe(0);
  });
  it('goto 32766 skips to main: to 10.6.0.0/16 misses the 10.9/16 route of table 100 anyway', () => {
    const { err, r } = look({ dst: '10.6.1.1', mark: 0x10, src: '10.1.0.2', iif: eth0 });
    // rule 100 matches first (mark and source): table 100 default route wins before the goto
    expect(err).toBe(0);
    expect(r.table).toBe(100);
  });
  it('route types of main: blackhole/unreachable/prohibit give fib_props errors', () => {
    expect(look({ dst: '10.66.0.1', iif: eth1 }).err).toBe(-EINVAL);
    expect(look({ dst: '10.67.0.1', iif: eth1 }).err).toBe(-EHOSTUNREACH);
    expect(look({ dst: '10.68.0.1', iif: eth1 }).err).toBe(-EACCES);
  });
  it('an error names the route whose type gave it, never a rule action or an earlier lookup\'s route', () => {
    // fib_table_lookup returns fib_props[type].error for the blackhole route it found (the timeline
    // names that route); fib4_rule_action's blackhole returns -EINVAL with no route at all
    const viaRoute = look({ dst: '10.66.0.1', iif: eth1 });
    expect(viaRoute.err).toBe(-EINVAL);
    expect(viaRoute.r.alias.type).toBe('blackhole');
    expect(viaRoute.r.alias.route.dstStr).toBe('10.66.0.0/16');
    expect(look({ dst: '198.51.100.9', iif: eth1 }).err).toBe(0); // leaves a route in the Fib's scratch result
    const viaRule = look({ dst: '10.2.0.2', src: '10.5.1.1', iif: eth0 });
    expect(viaRule.err).toBe(-EINVAL);
    expect(viaRule.r.rule!.priority).toBe(140);
    expect(viaRule.r.alias).toBeNull();
  });
  it('longest prefix: 198.51.100.9 goes via 10.2.0.2 on eth1', () => {
    const { err, r } = look({ dst: '198.51.100.9', iif: eth1 });
    expect(err).toBe(0);
    expect(r.nh.dev!.name).toBe('eth1');
    expect(r.alias.prefixLen).toBe(24);
  });
  it('an oif-bound lookup (second rp_filter lookup) skips nexthops on other devices', () => {
    expect(look({ dst: '198.51.100.9', oif: eth0 }).err).toBe(-ENETUNREACH);
  });
});

describe('fib_lookup without custom rules (include/net/ip_fib.h): local merged into main', () => {
  it('a host with only the default rules takes the fast path', () => {
    const f = new Fib(sample('fresh'), 4);
    expect(f.customRules).toBe(false);
  });
});

// Route order against the kernel: test/kernel/route-nat-kernel-measure.py made overlapping
// prefixes (/8, /16, /24, /28) and one /16 twice with other metrics (added in both orders) in a
// namespace, with a tos route, a throw route in a rule's table, a suppress_prefixlength 0 rule,
// and nested IPv6 prefixes ending inside a byte (/28, /36); it asked the kernel `ip route get` for
// a destination under each, and for rules with each selector (tos, ipproto + dport, ipproto +
// sport range, iif, oif, fwmark/mask, from) with flows just inside and outside them, and rule
// actions (nop, goto over a rule, a goto to a missing pref: unresolved, skipped); then it
// snapshotted the namespace (fixtures/route-nat-host). The model, on that snapshot, must choose the same route:
// the longest matching prefix first (fib_table_lookup walks the trie from the longest), and among
// routes of one prefix the lowest metric (fib_insert_alias orders a leaf's aliases by priority).
describe('fib_table_lookup route order matches the kernel', () => {
  const rec = JSON.parse(readFileSync(new URL('./fixtures/route-nat.json', import.meta.url), 'utf8')) as { kernel: string; route_get: Record<string, { gateway: string; dev: string }> };
  const h = loadHost(fileURLToPath(new URL('./fixtures/route-nat-host', import.meta.url)));
  const f4 = new Fib(h, 4), f6 = new Fib(h, 6);
  for (const [q, want] of Object.entries(rec.route_get)) {
    it(`${q} via ${want.gateway} dev ${want.dev} (kernel ${rec.kernel})`, () => {
      // `ip route get DST [tos T] [ipproto P] [sport N] [dport N] [from A] [iif DEV] [oif DEV] [mark M]`
      const [dst, ...rest] = q.split(' ');
      const o: Record<string, string> = {};
      for (let i = 0; i < rest.length; i += 2) o[rest[i]!] = rest[i + 1]!;
      const v6 = dst!.includes(':');
      const fl = newFlow();
      fl.daddr = v6 ? parseIpv6(dst!)! : ip(dst!);
      fl.saddr = v6 ? new Uint8Array(16) : o.from ? ip(o.from) : 0;
      fl.tos = o.tos ? Number(o.tos) : 0;
      fl.proto = o.ipproto === 'tcp' ? 6 : o.ipproto === 'udp' ? 17 : 0;
      fl.sport = Number(o.sport ?? 0);
      fl.dport = Number(o.dport ?? 0);
      fl.mark = Number(o.mark ?? 0);
      // an output lookup (no iif) comes from loopback (flowi4_iif = LOOPBACK_IFINDEX)
      fl.iif = o.iif ? h.byName.get(o.iif)!.ifindex : 1;
      fl.oif = o.oif ? h.byName.get(o.oif)!.ifindex : 0;
      const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
      expect((v6 ? f6 : f4).lookup(fl, r)).toBe(0);
      expect({ gateway: r.nh.gwStr, dev: r.nh.dev!.name }).toEqual(want);
    });
  }
});

// fib6_rule_match compares a rule's from/to with ipv6_prefix_equal (include/net/ipv6.h
// __ipv6_prefix_equal: whole bytes compared first, then the top `plen % 8` bits of the next byte
// under the mask 0xff << (8 - plen % 8)). Expected values derived by hand from that definition.
describe('addrIn on IPv6 (ipv6_prefix_equal)', () => {
  const a6 = (s: string) => parseIpv6(s)!;
  const cases: [string, string, number, boolean, string][] = [
    ['2001:db8::1', '2001:db8::', 32, true, 'same first 4 bytes'],
    ['2001:db9::1', '2001:db8::', 32, false, 'byte 3 differs (0xb8 vs 0xb9), inside a whole-byte prefix'],
    ['2001:db8::1', '2001:db9::', 31, true, '/31: the last bit of byte 3 is outside the prefix'],
    ['2001:db8::1', '2001:dba::', 31, false, '/31: 0xb8 vs 0xba differ in bit 1 of byte 3, inside'],
    ['2001:db8:f000::1', '2001:db8:8000::', 36, false, '/36: top nibble of byte 4 is 0xf vs 0x8'],
    ['2001:db8:8fff::1', '2001:db8:8000::', 36, true, '/36: only the top nibble of byte 4 counts'],
    ['2001:db8:7fff::1', '2001:db8:8000::', 33, false, '/33: top bit of byte 4 is 0 vs 1'],
    ['::1', '::', 127, true, '/127: the last bit is outside'],
    ['::2', '::', 127, false, '/127: bit 1 of the last byte is inside'],
    ['ffff::', '::', 0, true, '/0 matches everything'],
    ['::1', '::1', 128, true, '/128 equal'],
    ['::1', '::3', 128, false, '/128 unequal in the last bit'],
    ['8000::', '::', 1, false, '/1: the very first bit differs'],
  ];
  for (const [a, p, len, want, why] of cases) {
    it(`${a} in ${p}/${len}: ${want} (${why})`, () => {
      expect(addrIn(a6(a), a6(p), len)).toBe(want);
      expect(prefixMatch6(a6(a), a6(p), len)).toBe(want);
    });
  }
});

describe('rule and route details from the kernel source', () => {
  it('a rule naming an iif the host lacks never matches (fib_nl2rule: iifindex = -1 until such a device exists)', () => {
    // net/core/fib_rules.c: the rule keeps iifindex -1 while no device has its iifname, and
    // fib_rule_match compares iifindex with flowi_iif, which is never -1. Lookups from this host
    // (flowi_iif = LOOPBACK_IFINDEX, 1) must not take it: 8.8.8.8 then falls to rule 110 (main:
    // no default route) and the lookup fails as in 'a mark outside the mask' above.
    const h = sample('router');
    h.rules.push({ family: 4, priority: 50, not: false, srcLen: 0, dstLen: 0, iif: 'nosuchdev0', action: 'to_tbl', table: 100, text: '50:\tfrom all iif nosuchdev0 lookup 100' });
    const f = new Fib(h, 4);
    const fl = newFlow();
    fl.daddr = ip('8.8.8.8');
    fl.iif = 1;
    const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
    expect(f.lookup(fl, r)).toBe(-ENETUNREACH);
    expect(r.rule).toBeNull();
  });
  it('a uidrange rule matches a known uid inside the range only (fib_rule_match: uid_lt(start) || uid_gt(end) -> no match)', () => {
    const h = sample('router');
    h.rules.push({ family: 4, priority: 50, not: false, srcLen: 0, dstLen: 0, uidRange: [100, 200], action: 'to_tbl', table: 100, text: '50:\tfrom all uidrange 100-200 lookup 100' });
    const f = new Fib(h, 4);
    const at = (uid: number) => {
      const fl = newFlow();
      fl.daddr = ip('8.8.8.8');
      fl.iif = 1;
      fl.uid = uid;
      const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
      return { err: f.lookup(fl, r), rule: r.rule?.priority ?? null };
    };
    // inside: rule 50 sends it to table 100 (default via 10.2.0.2); outside either end: main, no route
    expect(at(150)).toEqual({ err: 0, rule: 50 });
    expect(at(100)).toEqual({ err: 0, rule: 50 });
    expect(at(200)).toEqual({ err: 0, rule: 50 });
    expect(at(99)).toEqual({ err: -ENETUNREACH, rule: null });
    expect(at(1000)).toEqual({ err: -ENETUNREACH, rule: null });
  });
  it('a goto whose target pref has no rule is skipped even when the snapshot does not say unresolved (fib_rules_lookup: ctarget NULL -> continue)', () => {
    const h = sample('router');
    h.rules.push({ family: 4, priority: 50, not: false, srcLen: 0, dstLen: 0, action: 'goto', table: 999, text: '50:\tfrom all goto 999' });
    const f = new Fib(h, 4);
    const fl = newFlow();
    fl.daddr = ip('8.8.8.8');
    fl.iif = 1;
    const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
    // skipped: the lookup goes on as without rule 50 (rule 110 -> main, no default route)
    expect(f.lookup(fl, r)).toBe(-ENETUNREACH);
  });
  it('a goto jumps over the rules before its target; the target must match too, else the walk goes on after it (fib_rules_lookup: goto jumped)', () => {
    // rule 50 "goto 140" skips rule 110 (not to 10/8 iif eth0 lookup main), which would find
    // 198.51.100.0/24 in main for a lookup from this host; 140 is "from 10.5.0.0/16 blackhole"
    const h = sample('router');
    h.rules.push({ family: 4, priority: 50, not: false, srcLen: 0, dstLen: 0, action: 'goto', table: 140, text: '50:\tfrom all goto 140' });
    const f = new Fib(h, 4);
    const at = (src: string) => {
      const fl = newFlow();
      fl.daddr = ip('198.51.100.9');
      fl.saddr = ip(src);
      fl.iif = 1;
      const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
      return { err: f.lookup(fl, r), rule: r.rule?.priority ?? null };
    };
    // from 10.5/16: the jump lands on 140, which matches: blackhole (EINVAL) instead of main's route
    expect(at('10.5.1.1')).toEqual({ err: -EINVAL, rule: 140 });
    // from elsewhere 140 does not match: on to 150 (to 10.6/16, no) and 32766 main: the route
    expect(at('10.9.9.9')).toEqual({ err: 0, rule: 32766 });
  });
  it('a uidrange rule with the sender unknown (uid -1) is taken as not matching, and the lookup says so once', () => {
    const h = sample('router');
    h.rules.push({ family: 4, priority: 50, not: false, srcLen: 0, dstLen: 0, uidRange: [100, 200], action: 'to_tbl', table: 100, text: '50:\tfrom all uidrange 100-200 lookup 100  ' });
    h.rules.push({ family: 4, priority: 60, not: false, srcLen: 0, dstLen: 0, action: 'to_tbl', table: 100, unsupported: ['l3mdev'], text: '60:\tfrom all lookup [l3mdev-table] ' });
    const f = new Fib(h, 4);
    const fl = newFlow();
    fl.daddr = ip('8.8.8.8');
    fl.iif = 1;
    fl.uid = -1;
    const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
    expect(f.lookup(fl, r)).toBe(-ENETUNREACH);
    // one note per rule, naming the rule as ip rule prints it (trailing blanks trimmed) and the selector
    expect(r.unsupported).toHaveLength(2);
    expect(r.unsupported![0]).toContain('"50:\tfrom all uidrange 100-200 lookup 100"');
    expect(r.unsupported![0]).toContain('uid unknown');
    expect(r.unsupported![1]).toContain('"60:\tfrom all lookup [l3mdev-table]"');
    expect(r.unsupported![1]).toContain('l3mdev');
  });
  it('a rule with selectors the model does not evaluate: skipped, and named with all of them (first note of the lookup)', () => {
    const h = sample('router');
    h.rules.push({ family: 4, priority: 60, not: false, srcLen: 0, dstLen: 0, action: 'to_tbl', table: 100, unsupported: ['l3mdev', 'tun_id'], text: '60:\tfrom all tun_id 5 lookup [l3mdev-table]' });
    const f = new Fib(h, 4);
    const fl = newFlow();
    fl.daddr = ip('8.8.8.8');
    fl.iif = 1;
    const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
    expect(f.lookup(fl, r)).toBe(-ENETUNREACH); // as if rule 60 were absent
    expect(r.unsupported).toEqual(['rule "60:\tfrom all tun_id 5 lookup [l3mdev-table]": l3mdev, tun_id not modelled (taken as not matching)']);
  });
  it('a rule action\'s error after a throw route names no route (the throw is not the answer)', () => {
    // table 101 holds "throw 8.8.8.0/24" (fib_props: -EAGAIN, the walk goes on); rule 6 prohibits
    const h = sample('router');
    h.routes.push({ family: 4, table: 101, type: 'throw', dst: ip('8.8.8.0'), dstStr: '8.8.8.0/24', dstLen: 24, scope: 'global', metric: 0, protocol: 'boot' });
    h.rules.push({ family: 4, priority: 5, not: false, srcLen: 0, dstLen: 0, action: 'to_tbl', table: 101, text: '5:\tfrom all lookup 101' });
    h.rules.push({ family: 4, priority: 6, not: false, srcLen: 0, dstLen: 0, action: 'prohibit', text: '6:\tfrom all prohibit' });
    const f = new Fib(h, 4);
    const fl = newFlow();
    fl.daddr = ip('8.8.8.8');
    fl.iif = 1;
    const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
    expect(f.lookup(fl, r)).toBe(-EACCES);
    expect(r.rule!.priority).toBe(6);
    expect(r.alias).toBeNull();
  });
  it('route types give the errors of fib_props[] (net/ipv4/fib_semantics.c)', () => {
    expect(fibPropsError('unicast')).toBe(0);
    expect(fibPropsError('local')).toBe(0);
    expect(fibPropsError('broadcast')).toBe(0);
    expect(fibPropsError('multicast')).toBe(0);
    expect(fibPropsError('blackhole')).toBe(-EINVAL);
    expect(fibPropsError('unreachable')).toBe(-EHOSTUNREACH);
    expect(fibPropsError('prohibit')).toBe(-EACCES);
    expect(fibPropsError('throw')).toBe(-11); // -EAGAIN
    expect(fibPropsError('nat')).toBe(-EINVAL);
  });
});

describe('route order does not depend on the order of the snapshot', () => {
  // `ip -j route` lists a prefix's routes in the kernel's order already (tos, then metric), so the
  // fixture test above would pass with no ordering at all; here the same host's routes are given
  // in reverse and the kernel's recorded answers (route-nat.json) must still come out
  const rec = JSON.parse(readFileSync(new URL('./fixtures/route-nat.json', import.meta.url), 'utf8')) as { route_get: Record<string, { gateway: string; dev: string }> };
  for (const q of ['10.77.9.9', '10.77.5.20', '10.88.1.1', '10.66.1.1', '10.66.1.1 tos 0x10']) {
    it(`${q}: via ${rec.route_get[q].gateway} as the kernel said`, () => {
      const h = loadHost(fileURLToPath(new URL('./fixtures/route-nat-host', import.meta.url)));
      h.routes.reverse();
      const f = new Fib(h, 4);
      const [dst, , tos] = q.split(' ');
      const fl = newFlow();
      fl.daddr = ip(dst!);
      fl.tos = tos ? Number(tos) : 0;
      fl.iif = 1;
      const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
      expect(f.lookup(fl, r)).toBe(0);
      expect({ gateway: r.nh.gwStr, dev: r.nh.dev!.name }).toEqual(rec.route_get[q]);
    });
  }
});

describe('a host without any route', () => {
  it('answers ENETUNREACH (fib_table_lookup on an empty trie: -EAGAIN, made -ENETUNREACH by fib_lookup)', () => {
    const f = new Fib(sample('fresh'), 4);
    const fl = newFlow();
    fl.daddr = ip('10.1.2.3');
    fl.iif = 1;
    const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
    expect(f.lookup(fl, r)).toBe(-ENETUNREACH);
  });
});

describe('fib_lookup without custom rules: table default after main', () => {
  // Recorded on this machine's kernel (6.18) in a namespace with only the default rules:
  //   ip route add blackhole 192.0.2.0/24; ip route add default via 10.77.0.2 dev mu-v0 table default
  //   ip route get 8.8.8.8   -> "8.8.8.8 via 10.77.0.2 dev mu-v0 table default"
  //   ip route get 192.0.2.1 -> "RTNETLINK answers: Invalid argument" (the blackhole's EINVAL:
  //   table default is only asked when main matched nothing)
  const h = sample('fresh');
  h.routes.push(
    { family: 4, table: 254, type: 'blackhole', dst: ip('192.0.2.0'), dstStr: '192.0.2.0/24', dstLen: 24, scope: 'global', metric: 0, protocol: 'boot' },
    { family: 4, table: 253, type: 'unicast', dst: 0, dstStr: 'default', dstLen: 0, gateway: ip('10.77.0.2'), gatewayStr: '10.77.0.2', dev: 'lo', scope: 'global', metric: 0, protocol: 'boot' },
  );
  const f = new Fib(h, 4);
  const at = (dst: string) => {
    const fl = newFlow();
    fl.daddr = ip(dst);
    fl.iif = 1;
    const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
    return { err: f.lookup(fl, r), r };
  };
  it('takes the default table route when main has none', () => {
    expect(f.customRules).toBe(false);
    const { err, r } = at('8.8.8.8');
    expect(err).toBe(0);
    expect(r.table).toBe(253);
    expect(r.nh.gwStr).toBe('10.77.0.2');
  });
  it("a blackhole in main answers EINVAL without asking table default", () => {
    expect(at('192.0.2.1').err).toBe(-EINVAL);
  });
});

describe('what a lookup could not evaluate reaches the frame once', () => {
  // a route with an attribute the model does not evaluate (here an encap), reached through the fast
  // path and through a rule: the result names it; the frame gets the note once however many
  // lookups (input route, reverse-path check) met it
  const withEncap = (custom: boolean) => {
    const h = sample('fresh');
    h.routes.push({ family: 4, table: custom ? 100 : 254, type: 'unicast', dst: ip('203.0.113.0'), dstStr: '203.0.113.0/24', dstLen: 24, dev: 'lo', scope: 'link', metric: 0, protocol: 'boot', unsupported: ['encap mpls', 'nhid 5'] });
    if (custom) h.rules.push({ family: 4, priority: 10, not: false, srcLen: 0, dstLen: 0, action: 'to_tbl', table: 100, text: '10:\tfrom all lookup 100' });
    return new Fib(h, 4);
  };
  for (const custom of [false, true]) {
    it(custom ? 'through a rule (table 100)' : 'on the fast path (main)', () => {
      const f = withEncap(custom);
      expect(f.customRules).toBe(custom);
      const fl = newFlow();
      fl.daddr = ip('203.0.113.5');
      fl.iif = 1;
      const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
      expect(f.lookup(fl, r)).toBe(0);
      expect(r.unsupported).toEqual([`route 203.0.113.0/24 table ${custom ? '100' : 'main'}: encap mpls, nhid 5 not modelled`]);
      const ctx = new FrameCtx();
      fibNoteUnsupported(ctx, r);
      fibNoteUnsupported(ctx, r);
      expect(ctx.unsupported).toEqual(r.unsupported);
    });
  }
  it('a lookup that met nothing unsupported says so (null), after one that did', () => {
    const f = withEncap(true);
    const fl = newFlow();
    fl.iif = 1;
    const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
    fl.daddr = ip('203.0.113.5');
    f.lookup(fl, r);
    fl.daddr = ip('8.8.8.8');
    f.lookup(fl, r);
    expect(r.unsupported).toBeNull();
  });
});

describe('tableName', () => {
  it('names the tables as ip does (iproute2 rt_tables: 255 local, 254 main, 253 default, else the number)', () => {
    expect([255, 254, 253, 252, 100].map(tableName)).toEqual(['local', 'main', 'default', '252', '100']);
  });
});

describe('input routes of flows that differ only in L4 fields (the route memo keys them apart when a rule looks at them)', () => {
  // fib4_rule_match: ipproto, sport and dport ranges select a rule (fib_rule_port_range_match), so
  // two flows that differ only there can get different routes; here the matching one is sent to
  // table 100 (default via 10.2.0.2: forwarded) and the other finds no route in main (unreachable)
  const cases: [string, Partial<Rule>, [number, number, number], [number, number, number]][] = [
    ['ipproto udp', { ipproto: 17 }, [17, 5000, 53], [6, 5000, 53]],
    ['sport 1000-2000', { sport: [1000, 2000] }, [17, 1500, 53], [17, 3000, 53]],
    ['dport 53', { dport: [53, 53] }, [17, 5000, 53], [17, 5000, 54]],
  ];
  for (const [sel, extra, yes, no] of cases) {
    it(`rule "${sel} lookup 100"`, () => {
      const h = sample('router');
      h.rules = h.rules.filter((r) => r.family !== 4 || [0, 32766, 32767].includes(r.priority));
      h.rules.push({ family: 4, priority: 120, not: false, srcLen: 0, dstLen: 0, action: 'to_tbl', table: 100, text: `120:\tfrom all ${sel} lookup 100`, ...extra });
      const net = createNet(h, { checksums: 'verify' });
      const eth1 = h.byName.get('eth1')!;
      const route = (p: [number, number, number]) => {
        const ctx = new FrameCtx();
        ctx.tracing = false;
        const rt = ip_route_input_noref(net, ip('8.8.8.8'), ip('10.9.9.9'), 0, eth1, 0, p[0], p[1], p[2], ctx);
        return typeof rt === 'string' ? rt : rt.type;
      };
      for (let round = 0; round < 2; round++) {
        expect(route(yes)).toBe('unicast');
        expect(route(no)).toBe('unreachable');
      }
    });
  }
});

describe('fib_has_custom_rules: only the three rules fib_default_rules_init made keep the fast path', () => {
  // fib_default_rules_init adds exactly "0: from all lookup local", "32766: from all lookup main",
  // "32767: from all lookup default" (no selectors); any rule that differs came from `ip rule add`,
  // after which fib4_rule_configure sets net->ipv4.fib_has_custom_rules and fib_lookup walks the rules
  const base = (): Rule[] => [
    { family: 4, priority: 0, not: false, srcLen: 0, dstLen: 0, action: 'to_tbl', table: 255, text: '0:\tfrom all lookup local' },
    { family: 4, priority: 32766, not: false, srcLen: 0, dstLen: 0, action: 'to_tbl', table: 254, text: '32766:\tfrom all lookup main' },
    { family: 4, priority: 32767, not: false, srcLen: 0, dstLen: 0, action: 'to_tbl', table: 253, text: '32767:\tfrom all lookup default' },
  ];
  const custom = (edit: (rs: Rule[]) => void) => {
    const h = sample('fresh');
    const rs = base();
    edit(rs);
    h.rules = rs;
    return new Fib(h, 4).customRules;
  };
  it('the defaults (and no rules at all) are not custom', () => {
    expect(custom(() => {})).toBe(false);
    expect(custom((rs) => rs.splice(0))).toBe(false);
  });
  const edits: [string, (rs: Rule[]) => void][] = [
    ['not', (rs) => { rs[1].not = true; }],
    ['from 10.0.0.0/8', (rs) => { rs[1].srcLen = 8; rs[1].src = ip('10.0.0.0'); }],
    ['to 10.0.0.0/8', (rs) => { rs[1].dstLen = 8; rs[1].dst = ip('10.0.0.0'); }],
    ['iif lo', (rs) => { rs[1].iif = 'lo'; }],
    ['oif lo', (rs) => { rs[1].oif = 'lo'; }],
    ['fwmark 0', (rs) => { rs[1].fwmark = 0; }],
    ['tos 0x10', (rs) => { rs[1].tos = 0x10; }],
    ['ipproto tcp', (rs) => { rs[1].ipproto = 6; }],
    ['sport 1-2', (rs) => { rs[1].sport = [1, 2]; }],
    ['dport 1-2', (rs) => { rs[1].dport = [1, 2]; }],
    ['blackhole', (rs) => { rs[1].action = 'blackhole'; }],
    ['suppress_prefixlength 0', (rs) => { rs[1].suppressPrefixlen = 0; }],
    ['pref 0 lookup main', (rs) => { rs[0].table = 254; }],
    ['pref 32766 lookup local', (rs) => { rs[1].table = 255; }],
    ['pref 32767 lookup main', (rs) => { rs[2].table = 254; }],
    ['pref 32765 lookup main', (rs) => { rs[1].priority = 32765; }],
    ['pref 1 lookup local', (rs) => { rs[0].priority = 1; }],
    ['pref 32768 lookup default', (rs) => { rs[2].priority = 32768; }],
  ];
  for (const [what, edit] of edits) it(`a rule with ${what} is custom`, () => expect(custom(edit)).toBe(true));
});

describe('fast path tables and nexthops', () => {
  it('only main (with local) and default are asked; routes of other tables and families are not', () => {
    const h = sample('fresh');
    h.routes.push(
      { family: 4, table: 100, type: 'unicast', dst: ip('8.8.8.0'), dstStr: '8.8.8.0/24', dstLen: 24, dev: 'lo', scope: 'link', metric: 0, protocol: 'boot' },
      { family: 6, table: 254, type: 'unicast', dst: new Uint8Array(16), dstStr: 'default', dstLen: 0, dev: 'lo', scope: 'global', metric: 1024, protocol: 'boot' },
    );
    const f = new Fib(h, 4);
    expect(f.customRules).toBe(false);
    const fl = newFlow();
    fl.daddr = ip('8.8.8.8');
    fl.iif = 1;
    const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
    expect(f.lookup(fl, r)).toBe(-ENETUNREACH);
  });
  it('a fwmark rule compares under its mask, a mark without mask in full (fib_rule_match: (mark ^ fwmark) & fwmask)', () => {
    const h = sample('router');
    h.rules = h.rules.filter((r) => r.family !== 4 || [0, 32766, 32767].includes(r.priority));
    h.rules.push({ family: 4, priority: 10, not: false, srcLen: 0, dstLen: 0, fwmark: 0x10, fwmask: 0xff, action: 'to_tbl', table: 100, text: '10:\tfrom all fwmark 0x10/0xff lookup 100' });
    h.rules.push({ family: 4, priority: 11, not: false, srcLen: 0, dstLen: 0, fwmark: 0x20, action: 'to_tbl', table: 100, text: '11:\tfrom all fwmark 0x20 lookup 100' });
    const f = new Fib(h, 4);
    const at = (mark: number) => {
      const fl = newFlow();
      fl.daddr = ip('8.8.8.8');
      fl.iif = 1;
      fl.mark = mark;
      const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
      return { err: f.lookup(fl, r), rule: r.rule?.priority ?? null };
    };
    expect(at(0x110)).toEqual({ err: 0, rule: 10 }); // 0x110 & 0xff = 0x10
    expect(at(0x11)).toEqual({ err: -ENETUNREACH, rule: null });
    expect(at(0x20)).toEqual({ err: 0, rule: 11 });
    expect(at(0x120)).toEqual({ err: -ENETUNREACH, rule: null }); // no mask: all 32 bits compared
  });
  it('a multipath route: each nexthop keeps its gateway (first live one chosen, with a note)', () => {
    const h = sample('fresh');
    const dev = 'lo';
    h.routes.push({ family: 4, table: 254, type: 'unicast', dst: ip('203.0.113.0'), dstStr: '203.0.113.0/24', dstLen: 24, scope: 'global', metric: 0, protocol: 'boot',
      nexthops: [{ gateway: ip('10.2.0.3'), gatewayStr: '10.2.0.3', dev, flags: ['dead'] }, { gateway: ip('10.2.0.4'), gatewayStr: '10.2.0.4', dev }, { gateway: ip('10.2.0.5'), gatewayStr: '10.2.0.5', dev }] });
    const f = new Fib(h, 4);
    const fl = newFlow();
    fl.daddr = ip('203.0.113.9');
    fl.iif = 1;
    const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
    expect(f.lookup(fl, r)).toBe(0);
    expect(r.alias.nhs.map((n) => n.gwStr)).toEqual(['10.2.0.3', '10.2.0.4', '10.2.0.5']);
    expect(r.nh.gwStr).toBe('10.2.0.4'); // the dead one is skipped (fib_lookup_good_nhc)
    const ctx = new FrameCtx();
    fibNoteMultipath(ctx, r, 'fib_select_path');
    expect(ctx.unsupported).toHaveLength(1);
    expect(ctx.unsupported[0]).toContain('multipath route 203.0.113.0/24');
  });
});

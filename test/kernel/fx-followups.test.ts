// Kernel-model follow-ups, each written from the kernel function cited in its test.
import { describe, expect, test } from 'vitest';
import { br_handle_frame } from '../../src/kernel/bridge/br_input.js';
import { at, eth, netFor, newCtx, sample, skbOn } from './bridge-helpers.js';

const H1 = '02:00:00:00:0c:01';
const BR = '02:00:00:00:0b:00';

/** IPv4 UDP 10.9.0.2 -> dst, header checksum correct */
function udp4(dst: [number, number, number, number]): Uint8Array {
  const p = new Uint8Array(28);
  p.set([0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 192, 168, 10, 2, ...dst]);
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += (p[i] << 8) | p[i + 1];
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const c = ~s & 0xffff;
  p[10] = c >> 8; p[11] = c & 255;
  p.set([0x9c, 0x40, 0, 9, 0, 8, 0, 0], 20);
  return p;
}

describe('ip_sabotage_in (net/bridge/br_netfilter_hooks.c)', () => {
  // br_nf_pre_routing runs NF_INET_PRE_ROUTING with in = the bridge; a frame it passes up to the
  // host then reaches ip_rcv, whose PRE_ROUTING starts with ip_sabotage_in (NF_IP_PRI_FIRST):
  // nf_bridge->in_prerouting is clear, so it calls okfn (ip_rcv_finish) itself and returns
  // NF_STOLEN: the IP PRE_ROUTING hook runs once per frame, not twice.
  test('a frame bridged up to the host crosses ip PRE_ROUTING once, then LOCAL_IN', () => {
    const host = sample('bridge');
    host.sysctls.raw.set('net.bridge.bridge-nf-call-iptables', '1');
    const net = netFor(host);
    at(net, 1000);
    const seen: string[] = [];
    net.nf = {
      nf_hook(st) { seen.push(`${st.pf}/${st.hook}/${st.in?.name ?? '-'}`); return { verdict: 'accept', verdicts: [] }; },
      active: () => true,
    };
    const ctx = newCtx();
    br_handle_frame(net, skbOn(eth(BR, H1, 0x0800, udp4([192, 168, 10, 1])), host.byName.get('p1')!), ctx);
    // NFPROTO_BRIDGE=7, NFPROTO_IPV4=2; hook 0 prerouting, 1 local in
    expect(seen.filter((s) => s.startsWith('2/0/'))).toEqual(['2/0/br0']);
    expect(seen).toContain('2/1/br0');
    expect(ctx.toRecord().events.some((e) => e.fn === 'ip_sabotage_in')).toBe(true);
  });

  test('without br_netfilter the host path still runs ip PRE_ROUTING itself', () => {
    const host = sample('bridge');
    host.sysctls.raw.set('net.bridge.bridge-nf-call-iptables', '0');
    const net = netFor(host);
    at(net, 1000);
    const seen: string[] = [];
    net.nf = { nf_hook(st) { seen.push(`${st.pf}/${st.hook}/${st.in?.name ?? '-'}`); return { verdict: 'accept', verdicts: [] }; }, active: () => true };
    br_handle_frame(net, skbOn(eth(BR, H1, 0x0800, udp4([192, 168, 10, 1])), host.byName.get('p1')!), newCtx());
    expect(seen.filter((s) => s.startsWith('2/0/'))).toEqual(['2/0/br0']);
  });
});

// ---- FIB: dead nexthops, routes and rules the model does not evaluate ----
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { run as kRun, eth as kEth, udp4 as udp4k, udp6 as udp6k, echo4 as echo4k } from './helpers.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHost } from '../../src/host/load.js';
import { Fib, newFlow, ENETUNREACH, type FibResult } from '../../src/kernel/route/fib.js';
import { parseIpv4 } from '../../src/packet/addr.js';

/** the "router" sample with extra main-table routes added to its ip-route.json */
function routerWith(extra: object[]) {
  const dir = mkdtempSync(join(tmpdir(), 'fx-fib-'));
  cpSync(new URL('../../fixtures/host-samples/router', import.meta.url).pathname, dir, { recursive: true });
  const p = join(dir, 'ip-route.json');
  writeFileSync(p, JSON.stringify([...JSON.parse(readFileSync(p, 'utf8')), ...extra]));
  return loadHost(dir);
}
function look(fib: Fib, dst: string): { err: number; r: FibResult } {
  const fl = newFlow();
  fl.daddr = parseIpv4(dst)!;
  fl.iif = 1;
  const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
  return { err: fib.lookup(fl, r), r };
}

describe('fib_table_lookup: RTNH_F_DEAD nexthops (fib_lookup_good_nhc)', () => {
  // measured on 6.18 (netns fxa): with conf.all.ignore_routes_with_linkdown=1, `ip -j route` prints a
  // linkdown route with flags ["dead","linkdown"] (fib_nexthop_info) and `ip route get` fails with
  // "Network is unreachable"; with 0 the flags are ["linkdown"] and the route is used.
  test('a route whose only nexthop is dead is skipped; a linkdown one is used', () => {
    const host = routerWith([
      { dst: '10.77.0.0/16', gateway: '10.2.0.2', dev: 'eth1', flags: ['dead', 'linkdown'] },
      { dst: '10.78.0.0/16', gateway: '10.2.0.2', dev: 'eth1', flags: ['linkdown'] },
    ]);
    const fib = new Fib(host, 4);
    expect(look(fib, '10.77.1.1').err).toBe(-ENETUNREACH);
    const l = look(fib, '10.78.1.1');
    expect(l.err).toBe(0);
    expect(l.r.alias.route.dstStr).toBe('10.78.0.0/16');
  });

  test('a dead nexthop of a multipath route is never the one chosen', () => {
    const host = routerWith([{ dst: '10.79.0.0/16', flags: [], nexthops: [{ gateway: '10.1.0.2', dev: 'eth0', weight: 1, flags: ['dead', 'linkdown'] }, { gateway: '10.2.0.2', dev: 'eth1', weight: 1, flags: [] }] }]);
    const l = look(new Fib(host, 4), '10.79.0.9');
    expect(l.err).toBe(0);
    expect(l.r.nh.dev!.name).toBe('eth1');
  });

  test('a failed lookup leaves no route of an earlier lookup in the result', () => {
    const host = routerWith([]);
    const fib = new Fib(host, 4);
    const fl = newFlow();
    fl.iif = 1;
    const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
    fl.daddr = parseIpv4('10.66.0.1')!;
    fib.lookup(fl, r); // blackhole route
    fl.daddr = parseIpv4('100.64.0.1')!;
    expect(fib.lookup(fl, r)).toBe(-ENETUNREACH);
    expect(r.alias).toBeNull();
  });
});

describe('routes and rules the model does not evaluate mark the frame unsupported', () => {
  test('a chosen route with an encap attribute (iproute2 prints "encap") is reported', () => {
    const host = routerWith([{ dst: '10.80.0.0/16', encap: 'mpls', as: '100', dev: 'eth1', flags: [] }]);
    const l = look(new Fib(host, 4), '10.80.0.1');
    expect(l.err).toBe(0);
    expect(l.r.unsupported?.join(' ')).toMatch(/10\.80\.0\.0\/16.*encap/);
    expect(look(new Fib(host, 4), '10.2.0.9').r.unsupported).toBeNull();
  });

  // fixtures/host-samples/rules (recorded): 10: uidrange 1000-2000 lookup main, 11: l3mdev,
  // 12: tun_id 5, 15: goto 999 [unresolved] ...; fib_rules_lookup skips a goto without ctarget.
  test('rules with uidrange and l3mdev selectors are reported', () => {
    const host = loadHost(new URL('../../fixtures/host-samples/rules', import.meta.url).pathname);
    const fib = new Fib(host, 4);
    const fl = newFlow();
    fl.daddr = parseIpv4('192.0.2.99')!;
    fl.iif = 1;
    const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
    fib.lookup(fl, r);
    expect(r.unsupported?.some((u) => u.includes('uid'))).toBe(true);
    expect(r.unsupported?.some((u) => u.includes('l3mdev'))).toBe(true);
  });
});

// ---- IPv6 tentative addresses (IFA_F_TENTATIVE; dadfailed addresses keep it) ----
import { ndisc_rcv } from '../../src/kernel/ipv6/ndisc.js';
import { ip6, mac, nd } from './bridge-helpers.js';

describe('tentative IPv6 addresses are not local (ipv6_chk_addr bans IFA_F_TENTATIVE)', () => {
  function tentativeBridge(flag: 'tentative' | 'dadfailed') {
    const host = sample('bridge');
    const a = host.byName.get('br0')!.addrs.find((x) => x.localStr === 'fd00:10::1')!;
    a[flag] = true;
    const net = netFor(host);
    at(net, 1000);
    return { net, br0: host.byName.get('br0')! };
  }
  const ns = (src: string, dst: string) => eth('33:33:ff:00:00:01', '02:00:00:00:0c:02', 0x86dd, nd(src, dst, 135, [0, 0, 0, 0, ...ip6('fd00:10::1'), ...(src === '::' ? [] : [1, 1, ...mac('02:00:00:00:0c:02')])]));
  for (const flag of ['tentative', 'dadfailed'] as const) {
    test(`${flag}: not a local address, and not a source address (__ipv6_dev_get_saddr)`, () => {
      const { net, br0 } = tentativeBridge(flag);
      expect(net.isLocal6(ip6('fd00:10::1'), 0)).toBeUndefined();
      expect(net.ipv6_get_saddr(br0, ip6('fd00:10::9'))).not.toEqual(ip6('fd00:10::1'));
    });
    // ndisc_recv_ns: ifp->flags & IFA_F_TENTATIVE: a non-DAD NS goes to `out` (no NA, reason stays
    // SKB_DROP_REASON_NOT_SPECIFIED from SKB_DR(reason)); a DAD NS is a collision (addrconf_dad_failure)
    test(`${flag}: an NS for it is not answered`, () => {
      const { net, br0 } = tentativeBridge(flag);
      for (const src of ['fd00:10::2', '::']) {
        const skb = skbOn(ns(src, 'ff02::1:ff00:1'), br0);
        skb.transport_header = 54;
        const ctx = newCtx();
        ndisc_rcv(net, skb, ctx);
        const r = ctx.toRecord();
        expect(r).toMatchObject({ fate: 'dropped', reason: 'NOT_SPECIFIED' });
        expect(r.replies).toBeUndefined();
      }
    });
  }
});

// ---- captures/basic.pcapng: the host's real answers are in the capture ----
import { replay } from '../../src/replay.js';
import type { FateRecord } from '../../src/kernel/fate.js';

describe('captures/basic.pcapng against the real kernel answers it contains', () => {
  const recs: FateRecord[] = [];
  for (const it of replay(new URL('../../captures/basic.pcapng', import.meta.url).pathname, new URL('../../captures/basic-host', import.meta.url).pathname, { checksums: 'auto' }) as Iterable<{ record: FateRecord }>) recs.push(it.record);
  const win = (s: string) => /win (\d+)/.exec(s)?.[1];

  // frame 13 SYN (with TS) -> the host's SYN-ACK is frame 14 in the capture, win 65160:
  // tcp_openreq_init_rwin rounds the window to mss - TCPOLEN_TSTAMP_ALIGNED when timestamps are agreed
  test('the SYN-ACK window is the one the kernel sent (frame 14)', () => {
    expect(recs[12].replies?.length).toBe(1);
    expect(win(recs[12].replies![0].summary)).toBe('65160');
  });

  // frame 1: DAD NS from :: to ff02::1:ff00:202, a group the host has not joined:
  // ip6_mc_input -> ipv6_chk_mcast_addr false -> kfree_skb (NOT_SPECIFIED); no NA in the capture
  test('a DAD NS to a solicited-node group not joined dies in ip6_mc_input', () => {
    expect(recs[0]).toMatchObject({ fate: 'dropped', reason: 'NOT_SPECIFIED' });
    expect(recs[0].events.at(-1)?.fn).toBe('ip6_mc_input');
  });

  // the capture's next frame after each request is the kernel's answer: echo, ARP, RST, ICMP, NA
  test('every reply the model sends is followed in the capture by the host answer', () => {
    for (const n of [7, 9, 11, 23, 27, 36, 38, 40]) {
      const r = recs[n - 1];
      expect(r.replies?.length, `frame ${n}`).toBe(1);
      // the host's own next frame leaves by eth0 (local output path)
      expect(recs[n]).toMatchObject({ fate: 'sent', egress: ['eth0'] });
    }
  });
});

// ---- nf_defrag_ipv4: with conntrack the fragments are gathered at PRE_ROUTING (-400) ----
import { createNet, type Net } from '../../src/kernel/net.js';
import { eth as eth2, ipv4, sample as sample2, run } from './helpers.js';
import type { NfHooks } from '../../src/kernel/netfilter/hook.js';

// Measured on 6.18 with test/kernel/defrag-kernel-measure.sh (netns fxr/fxc/fxs, these exact frames):
// with `ct state new counter accept` in forward, the rule counts one 60-byte packet, IpReasmOKs 1,
// IpFragCreates 2, and both fragments (length 44 offset 0 MF, length 36 offset 24) leave together
// when the second arrives; without conntrack each fragment leaves as soon as it arrives.
describe('ipv4_conntrack_defrag (net/ipv4/netfilter/nf_defrag_ipv4.c)', () => {
  const host = sample2('router');
  const rmac = host.byName.get('eth0')!.macStr!;
  // UDP 10.1.0.2 -> 198.51.100.7 (forwarded by eth1), 40 bytes of UDP in two fragments: 24 + 16
  const l4 = new Uint8Array(40);
  l4.set([0x9c, 0x40, 0, 53, 0, 40, 0, 0]);
  const frag1 = eth2(rmac, '02:00:00:00:01:02', 0x0800, ipv4({ src: '10.1.0.2', dst: '198.51.100.7', proto: 17, id: 7, df: false, frag: 0x2000 }, l4.subarray(0, 24)));
  const frag2 = eth2(rmac, '02:00:00:00:01:02', 0x0800, ipv4({ src: '10.1.0.2', dst: '198.51.100.7', proto: 17, id: 7, df: false, frag: 3 }, l4.subarray(24)));
  const ctNet = (on: boolean): Net => {
    const n = createNet(host, { checksums: 'trust' });
    const nf: NfHooks = { nf_hook: () => ({ verdict: 'accept', verdicts: [] }), active: () => false, defrag: () => on };
    n.nf = nf;
    return n;
  };

  test('with conntrack: the first fragment is held (NF_STOLEN), the last one leaves as the datagram cut again to the largest fragment', () => {
    const net = ctNet(true);
    const a = run(host, frag1, 'eth0', net, { checksums: 'trust' }).rec;
    expect(a.fate).toBe('consumed');
    expect(a.egress).toBeUndefined();
    const b = run(host, frag2, 'eth0', net, { checksums: 'trust' }).rec;
    expect(b.fate).toBe('forwarded');
    // ip_do_fragment with IPCB frag_max_size = 44 (20 + 24): two fragments again
    expect(b.egress).toEqual(['eth1', 'eth1']);
    expect(b.events.some((e) => e.fn === 'ip_frag_reasm')).toBe(true);
  });

  test('without conntrack each fragment is forwarded on its own (no defrag on the forward path)', () => {
    const net = ctNet(false);
    expect(run(host, frag1, 'eth0', net, { checksums: 'trust' }).rec).toMatchObject({ fate: 'forwarded', egress: ['eth1'] });
    expect(run(host, frag2, 'eth0', net, { checksums: 'trust' }).rec).toMatchObject({ fate: 'forwarded', egress: ['eth1'] });
  });
});

describe('NfHooks.defrag: nf_defrag comes with conntrack', () => {
  test('a rule set with ct state rules registers defrag for IPv4; none without rules', async () => {
    const { createNfHooks } = await import('../../src/kernel/netfilter/index.js');
    const ops = { sendReject: () => {} };
    const fw = loadHost(new URL('../../fixtures/kernel/input-firewall/host', import.meta.url).pathname);
    expect(createNfHooks(fw, ops).defrag?.(2)).toBe(true);
    const plain = loadHost(new URL('../../fixtures/kernel/router/host', import.meta.url).pathname);
    expect(createNfHooks(plain, ops).defrag?.(2) ?? false).toBe(false);
  });
});

// ---- per-device knobs through host.sysctls.conf ----
import { udp6 } from './helpers.js';

describe('ip6_forward reads forwarding as devconf_all || the ingress idev force_forwarding (6.17+)', () => {
  const frame = (h: ReturnType<typeof sample2>) => eth2(h.byName.get('eth0')!.macStr!, '02:00:00:00:01:02', 0x86dd, udp6('2001:db8:1::2', '2001:db8:2::2', 40000, 53));
  test('all.forwarding=0 with eth0.force_forwarding=1 forwards; without it the packet is dropped', () => {
    const on = sample2('router');
    on.sysctls.raw.set('net.ipv6.conf.all.forwarding', '0');
    on.sysctls.raw.set('net.ipv6.conf.eth0.force_forwarding', '1');
    expect(run(on, frame(on), 'eth0', undefined, { checksums: 'trust' }).rec).toMatchObject({ fate: 'forwarded', egress: ['eth1'] });
    const off = sample2('router');
    off.sysctls.raw.set('net.ipv6.conf.all.forwarding', '0');
    expect(run(off, frame(off), 'eth0', undefined, { checksums: 'trust' }).rec.fate).toBe('dropped');
  });
});

describe('ACK window with window scaling (__tcp_select_window: ALIGN(free_space, 1 << rcv_wscale))', () => {
  test('basic.pcapng: the ACKs the model sends carry the window the kernel sent in frames 17 and 21', () => {
    const recs: FateRecord[] = [];
    for (const it of replay(new URL('../../captures/basic.pcapng', import.meta.url).pathname, new URL('../../captures/basic-host', import.meta.url).pathname, { checksums: 'auto' }) as Iterable<{ record: FateRecord }>) recs.push(it.record);
    // frame 16 (data) and 20 (FIN) are ACKed by the host in frames 17 and 21 with win 64 (scaled by 2^10)
    for (const n of [16, 20]) expect(/win (\d+)/.exec(recs[n - 1].replies![0].summary)?.[1], `frame ${n}`).toBe('64');
  });
});

describe('a reply the kernel builds over the MTU leaves as fragments (ip_do_fragment)', () => {
  test('basic.pcapng frame 32: the 3008-byte echo reply is the three fragments of frames 33-35', () => {
    const recs: FateRecord[] = [];
    for (const it of replay(new URL('../../captures/basic.pcapng', import.meta.url).pathname, new URL('../../captures/basic-host', import.meta.url).pathname, { checksums: 'auto' }) as Iterable<{ record: FateRecord }>) recs.push(it.record);
    // `tcpdump -nn -r captures/basic.pcapng` prints frames 33-35 as these lines
    expect(recs[31].replies?.map((r) => r.summary)).toEqual([
      'IP 10.20.0.1 > 10.20.0.2: ICMP echo reply, id 23914, seq 1, length 1480',
      'IP 10.20.0.1 > 10.20.0.2: ip-proto-1',
      'IP 10.20.0.1 > 10.20.0.2: ip-proto-1',
    ]);
  });
});

describe('uidrange rules (fib_rule_match: flowi_uid outside [start, end] -> no match)', () => {
  // ip_route_input_slow / ip6_route_input set flowi_uid = sock_net_uid(net, NULL): uid 0
  const withRule = (start: number, end: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'fx-uid-'));
    cpSync(new URL('../../fixtures/host-samples/router', import.meta.url).pathname, dir, { recursive: true });
    const p = join(dir, 'ip-rule.json');
    const rules = JSON.parse(readFileSync(p, 'utf8')) as object[];
    rules.unshift({ priority: 5, src: 'all', uid_start: start, uid_end: end, type: 'prohibit' } as object);
    writeFileSync(p, JSON.stringify(rules.map((r) => ('type' in r ? { priority: 5, src: 'all', uid_start: start, uid_end: end, action: 'prohibit' } : r))));
    return loadHost(dir);
  };
  test('a received packet has uid 0: a 1000-2000 rule is skipped, a 0-0 rule applies; neither is unsupported', () => {
    const fl = newFlow();
    fl.daddr = parseIpv4('198.51.100.7')!;
    fl.iif = 2;
    fl.uid = 0;
    const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
    expect(new Fib(withRule(1000, 2000), 4).lookup(fl, r)).toBe(0);
    expect(r.unsupported).toBeNull();
    expect(new Fib(withRule(0, 0), 4).lookup(fl, r)).toBe(-13); // -EACCES: prohibit
    expect(r.unsupported).toBeNull();
  });
  test('the rule text shows the range as ip rule prints it', () => {
    expect(withRule(1000, 2000).rules.find((x) => x.priority === 5)!.text).toContain('uidrange 1000-2000');
  });
});

// Measured on 6.18 with test/kernel/defrag6-kernel-measure.sh (netns fxr/fxc/fxs, the same two
// fragments of a 40-byte UDP datagram): with `ct state new counter accept` in an ip6 forward chain
// the rule counts one 80-byte packet, Ip6FragCreates 2, and the two fragments (24 and 16 data bytes,
// a new fragment id) leave together when the second arrives; without conntrack each leaves on arrival.
describe('nf_ct_frag6_gather (net/ipv6/netfilter/nf_conntrack_reasm.c)', () => {
  const host = sample2('router');
  const rmac = host.byName.get('eth0')!.macStr!;
  const frag = (off: number, m: number, data: Uint8Array): Uint8Array => {
    const p = new Uint8Array(48 + data.length);
    p.set([0x60, 0, 0, 0, 0, 8 + data.length, 44, 64]);
    p.set(ip6('2001:db8:1::2'), 8);
    p.set(ip6('2001:db8:2::2'), 24);
    p.set([17, 0, (off | m) >> 8, (off | m) & 0xff, 0, 0, 0x12, 0x34], 40);
    p.set(data, 48);
    return eth2(rmac, '02:00:00:00:01:02', 0x86dd, p);
  };
  const l4 = new Uint8Array(40);
  l4.set([0x9c, 0x40, 0, 53, 0, 40, 0, 0]);
  const f1 = frag(0, 1, l4.subarray(0, 24)), f2 = frag(24, 0, l4.subarray(24));
  const netWith = (on: boolean): Net => {
    const n = createNet(host, { checksums: 'trust' });
    n.nf = { nf_hook: () => ({ verdict: 'accept', verdicts: [] }), active: () => false, defrag: () => on };
    return n;
  };
  test('with conntrack: held, then forwarded as two fragments again', () => {
    const net = netWith(true);
    const a = run(host, f1, 'eth0', net, { checksums: 'trust' }).rec;
    expect(a.fate).toBe('consumed');
    const b = run(host, f2, 'eth0', net, { checksums: 'trust' }).rec;
    expect(b).toMatchObject({ fate: 'forwarded', egress: ['eth1', 'eth1'] });
    expect(b.unsupported).toBeUndefined();
  });
  test('without conntrack each fragment is forwarded on arrival', () => {
    const net = netWith(false);
    expect(run(host, f1, 'eth0', net, { checksums: 'trust' }).rec).toMatchObject({ fate: 'forwarded', egress: ['eth1'] });
    expect(run(host, f2, 'eth0', net, { checksums: 'trust' }).rec).toMatchObject({ fate: 'forwarded', egress: ['eth1'] });
  });
});

describe('a multipath route says the nexthop was not chosen by the kernel\'s hash (IPv4 and IPv6, input and output)', () => {
  // fib_select_multipath / rt6_multipath_select hash the flow with a random seed (unless
  // net.ipv4.fib_multipath_hash_seed is set): the model takes the first live nexthop and says so
  const dir = mkdtempSync(join(tmpdir(), 'fx-mp-'));
  cpSync(new URL('../../fixtures/host-samples/router', import.meta.url).pathname, dir, { recursive: true });
  const add = (file: string, extra: object[]) => {
    const p = join(dir, file);
    writeFileSync(p, JSON.stringify([...JSON.parse(readFileSync(p, 'utf8')), ...extra]));
  };
  add('ip-route.json', [{ dst: '10.79.0.0/16', flags: [], nexthops: [{ gateway: '10.1.0.2', dev: 'eth0', weight: 1, flags: [] }, { gateway: '10.2.0.2', dev: 'eth1', weight: 1, flags: [] }] },
    { dst: '10.81.0.0/16', flags: [], nexthops: [{ gateway: '10.1.0.2', dev: 'eth0', weight: 1, flags: ['dead', 'linkdown'] }, { gateway: '10.2.0.2', dev: 'eth1', weight: 1, flags: [] }] }]);
  add('ip6-route.json', [{ dst: '2001:db8:77::/64', metric: 1024, flags: [], nexthops: [{ gateway: '2001:db8:2::2', dev: 'eth1', weight: 1, flags: [] }, { gateway: '2001:db8:1::2', dev: 'eth0', weight: 1, flags: [] }], pref: 'medium' }]);
  const host = loadHost(dir);
  const to0 = (p: Uint8Array, t: number) => kEth('02:00:00:00:01:01', '02:00:00:00:01:02', t, p);
  const to1 = (p: Uint8Array, t: number) => kEth('02:00:00:00:02:01', '02:00:00:00:02:02', t, p);

  test('IPv4 forwarding through it (fib_select_multipath)', () => {
    const r = kRun(host, to1(udp4k('10.2.0.9', '10.79.0.5', 4000, 53), 0x0800), 'eth1').rec;
    expect(r.fate).toBe('forwarded');
    expect(r.unsupported?.join(' ')).toMatch(/multipath route 10\.79\.0\.0\/16: first nexthop taken \(fib_select_multipath/);
    // one live nexthop left: nothing to choose, nothing to say
    const one = kRun(host, to1(udp4k('10.2.0.9', '10.81.0.5', 4000, 53), 0x0800), 'eth1').rec;
    expect(one.fate).toBe('forwarded');
    expect(one.egress).toEqual(['eth1']);
    expect(one.unsupported).toBeUndefined();
  });

  test('IPv4 reply routed through it (fib_select_path)', () => {
    const r = kRun(host, to0(echo4k('10.79.0.5', '10.1.0.1'), 0x0800), 'eth0').rec;
    expect(r.replies?.length).toBe(1);
    expect(r.unsupported?.join(' ')).toMatch(/10\.79\.0\.0\/16: first nexthop taken \(fib_select_path/);
  });

  test('IPv6 forwarding through it (rt6_multipath_select)', () => {
    const r = kRun(host, to0(udp6k('2001:db8:1::9', '2001:db8:77::5', 4000, 53), 0x86dd), 'eth0').rec;
    expect(r.fate).toBe('forwarded');
    expect(r.unsupported?.join(' ')).toMatch(/multipath route 2001:db8:77::\/64: first nexthop taken \(rt6_multipath_select/);
  });
});

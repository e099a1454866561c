// Neighbour resolution on output, written from net/core/neighbour.c (__neigh_event_send,
// __neigh_update, neigh_timer_handler) and net/ipv4/arp.c arp_solicit. A queued packet's outcome
// comes later on capture time: `settled` runs the neighbour timers to a time and applies the
// outcomes to the frame's record, as the replay driver does before giving the record out.
import { describe, expect, test } from 'vitest';
import type { FrameCtx } from '../../src/kernel/ctx.js';
import type { Net } from '../../src/kernel/net.js';
import { neigh_resolve, nudName, skbTruesize } from '../../src/kernel/neigh/neighbour.js';
import { arp_rcv } from '../../src/kernel/ipv4/arp.js';
import { arpBody, at, eth, ip4, ip6, netFor, newCtx, sample, skbOn } from './bridge-helpers.js';

const BR = '02:00:00:00:0b:00';

/** the frame's record once the neighbour timers ran up to `sec` (capture time) */
function settled(net: Net, ctx: FrameCtx, sec: number) {
  net.neigh.tick(sec * 1e9, 99, true);
  const rec = ctx.toRecord();
  ctx.hold?.apply(rec);
  return rec;
}

/** an IPv4 UDP packet from `src` to `dst` as received on `dev` (TTL 63: already forwarded) */
function udpSkb(src: string, dst: string, dev: Parameters<typeof skbOn>[1]) {
  const ip = new Uint8Array(46);
  ip.set([0x45, 0, 0, 46, 0, 0, 0, 0, 63, 17, 0, 0]);
  ip.set(ip4b(src), 12);
  ip.set(ip4b(dst), 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (ip[i] << 8) | ip[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  ip[10] = (~sum >> 8) & 255; ip[11] = ~sum & 255;
  return skbOn(eth('02:00:00:00:01:01', '02:00:00:00:01:02', 0x0800, ip), dev);
}
const ip4b = (s: string) => s.split('.').map(Number);

function setup() {
  const host = sample('bridge');
  const net = netFor(host);
  at(net, 1000);
  return { host, net, br0: host.byName.get('br0')! };
}

describe('neigh_resolve', () => {
  test('a permanent entry resolves at once', () => {
    const { net, br0 } = setup();
    const ctx = newCtx();
    const ha = neigh_resolve(net, 4, ip4('192.168.10.11'), br0, ctx);
    expect([...ha!]).toEqual([2, 0, 0, 0, 0x0c, 0x01]);
    expect(ctx.fate).toBeNull();
  });

  test('broadcast and multicast next hops map without a lookup (arp_mc_map)', () => {
    const { net, br0 } = setup();
    expect([...neigh_resolve(net, 4, ip4('192.168.10.255'), br0, newCtx())!]).toEqual([255, 255, 255, 255, 255, 255]);
    expect([...neigh_resolve(net, 4, ip4('239.1.2.3'), br0, newCtx())!]).toEqual([1, 0, 0x5e, 1, 2, 3]);
  });

  test('an unknown next hop: INCOMPLETE, a broadcast ARP request goes out, the packet is queued then NEIGH_FAILED', () => {
    const { net, br0 } = setup();
    const ctx = newCtx();
    expect(neigh_resolve(net, 4, ip4('192.168.10.50'), br0, ctx, udpSkb('192.168.10.11', '192.168.10.50', br0))).toBeNull();
    // arp_solicit through br0: broadcast flooded to the forwarding ports (p3 is disabled), at once,
    // then from the timer every retrans_time (mcast_probes; measured: requests at 0, 1, 2 s before
    // NEIGH_FAILED at 3 s)
    const s = 'ARP, Request who-has 192.168.10.50 tell 192.168.10.1, length 28';
    const once = [{ iface: 'p2', summary: s }, { iface: 'p1', summary: s }];
    expect(ctx.replies).toEqual(once);
    expect(ctx.hold!.pending).toBe(1);
    expect(ctx.events.some((e) => e.fn === 'neigh_resolve_output' && e.what.includes('queued on arp_queue'))).toBe(true);
    expect(nudName(net.neigh.lookup(4, ip4('192.168.10.50'), br0, 1000e9)!.state)).toBe('INCOMPLETE');
    const rec = settled(net, ctx, 1003.5);
    expect(rec).toMatchObject({ fate: 'dropped', reason: 'NEIGH_FAILED' });
    expect(rec.replies!.filter((r) => r.summary.startsWith('ARP'))).toEqual([...once, ...once, ...once]);
    expect(ctx.hold!.pending).toBe(0);
    expect(nudName(net.neigh.lookup(4, ip4('192.168.10.50'), br0, 1003.5e9)!.state)).toBe('FAILED');
  });

  test('before retrans_time has passed only the first probe is out and the packet still waits', () => {
    const { net, br0 } = setup();
    const ctx = newCtx();
    neigh_resolve(net, 4, ip4('192.168.10.50'), br0, ctx, udpSkb('192.168.10.11', '192.168.10.50', br0));
    net.neigh.tick(1000.9e9, 2, true);
    expect(ctx.hold!.pending).toBe(1);
    net.neigh.tick(1001e9, 3, true); // the second probe is due at 1 s
    const rec = settled(net, ctx, 1002.999);
    expect(ctx.hold!.pending).toBe(1);
    expect(rec.replies!.length).toBe(6);
  });

  test('the ARP reply that answers makes the entry REACHABLE and sends the queued packet: its record says so', () => {
    const { net, br0 } = setup();
    const c1 = newCtx(1);
    neigh_resolve(net, 4, ip4('192.168.10.50'), br0, c1, udpSkb('192.168.10.11', '192.168.10.50', br0));
    at(net, 1000.5);
    net.neigh.tick(1000.5e9, 2, true);
    const ctx = newCtx(2);
    const f = eth(BR, '02:00:00:00:0c:50', 0x0806, arpBody(2, '02:00:00:00:0c:50', '192.168.10.50', BR, '192.168.10.1'));
    arp_rcv(net, skbOn(f, br0), ctx);
    expect(ctx.events.some((e) => e.fn === 'neigh_update' && e.what.includes('INCOMPLETE -> REACHABLE') && e.what.includes('1 queued'))).toBe(true);
    expect(c1.hold!.pending).toBe(0);
    const r1 = c1.toRecord();
    c1.hold!.apply(r1);
    // it left through br0's ports (flooded: the answer's MAC is not learned on a port), once, 500 ms later
    expect(r1.fate).not.toBe('dropped');
    expect(r1.reason).toBeUndefined();
    expect(r1.egress!.length).toBeGreaterThan(0);
    expect(r1.events.some((e) => e.fn === 'neigh_update' && e.what.includes('resolved by frame 2 after 500 ms'))).toBe(true);
    expect(r1.replies!.filter((r) => r.summary.startsWith('ARP')).length).toBe(2); // only the first probe went out
    const c3 = newCtx(3);
    expect([...neigh_resolve(net, 4, ip4('192.168.10.50'), br0, c3)!]).toEqual([2, 0, 0, 0, 0x0c, 0x50]);
  });

  test('INCOMPLETE becomes FAILED after mcast_probes x retrans_time (3 s); the next packet probes again', () => {
    const { net, br0 } = setup();
    neigh_resolve(net, 4, ip4('192.168.10.50'), br0, newCtx(1), udpSkb('192.168.10.11', '192.168.10.50', br0));
    expect(nudName(net.neigh.lookup(4, ip4('192.168.10.50'), br0, 1003.5e9)!.state)).toBe('FAILED');
    at(net, 1004);
    const ctx = newCtx(2);
    neigh_resolve(net, 4, ip4('192.168.10.50'), br0, ctx, udpSkb('192.168.10.11', '192.168.10.50', br0));
    expect(ctx.replies.length).toBe(2); // the first new probe, flooded to p1 and p2
    expect(ctx.hold!.pending).toBe(1);
  });

  test('a queue over unres_qlen_bytes frees the oldest packet with NEIGH_QUEUEFULL', () => {
    const { host, br0 } = setup();
    // room for two: each of these 60-byte frames counts skbTruesize(60) = 768
    host.sysctls.raw.set('net.ipv4.neigh.br0.unres_qlen_bytes', '1536');
    const net = netFor(host);
    at(net, 1000);
    const ctxs = [1, 2, 3].map((k) => newCtx(k));
    for (const c of ctxs) neigh_resolve(net, 4, ip4('192.168.10.50'), br0, c, udpSkb('192.168.10.11', '192.168.10.50', br0));
    expect(ctxs.map((c) => c.hold!.pending)).toEqual([0, 1, 1]);
    const r1 = ctxs[0]!.toRecord();
    ctxs[0]!.hold!.apply(r1);
    expect(r1).toMatchObject({ fate: 'dropped', reason: 'NEIGH_QUEUEFULL' });
  });

  test('REACHABLE goes STALE after base_reachable_time; a STALE entry is used and goes DELAY', () => {
    const { net, br0 } = setup();
    const ctx0 = newCtx(1);
    neigh_resolve(net, 4, ip4('192.168.10.50'), br0, ctx0);
    const f = eth(BR, '02:00:00:00:0c:50', 0x0806, arpBody(2, '02:00:00:00:0c:50', '192.168.10.50', BR, '192.168.10.1'));
    arp_rcv(net, skbOn(f, br0), newCtx(2));
    at(net, 1000 + 40);
    const ctx = newCtx(3);
    expect(neigh_resolve(net, 4, ip4('192.168.10.50'), br0, ctx)).not.toBeNull();
    expect(ctx.events.some((e) => e.fn === '__neigh_event_send' && e.what.includes('STALE -> DELAY'))).toBe(true);
  });

  test('a reply the kernel builds that cannot be resolved does not decide the frame fate', () => {
    const { net, br0 } = setup();
    const ctx = newCtx();
    neigh_resolve(net, 4, ip4('192.168.10.60'), br0, ctx, undefined, true);
    expect(ctx.fate).toBeNull();
  });
});

describe('neigh_invalidate error report (measured on 6.18: three ARP requests, then ICMP host unreachable to the sender and kfree_skb NEIGH_FAILED)', () => {
  test('a forwarded packet to an unresolvable next hop: ARP requests out eth1, ICMP host unreachable back out eth0', () => {
    const host = sample('router');
    const net = netFor(host);
    at(net, 1000);
    const eth1 = host.byName.get('eth1')!;
    const ip = new Uint8Array(46);
    ip.set([0x45, 0, 0, 46, 0, 0, 0, 0, 63, 17, 0, 0, 10, 1, 0, 2, 10, 2, 0, 9]);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += (ip[i] << 8) | ip[i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    ip[10] = (~sum >> 8) & 255; ip[11] = ~sum & 255;
    const skb = skbOn(eth('02:00:00:00:01:01', '02:00:00:00:01:02', 0x0800, ip), host.byName.get('eth0')!);
    const ctx = newCtx();
    expect(neigh_resolve(net, 4, ip4('10.2.0.9'), eth1, ctx, skb)).toBeNull();
    const rec = settled(net, ctx, 1003);
    expect(rec).toMatchObject({ fate: 'dropped', reason: 'NEIGH_FAILED' });
    // arp_announce 0: the packet's source 10.1.0.2 is not local, so inet_select_addr picks 10.2.0.1
    expect(rec.replies!.filter((r) => r.iface === 'eth1').map((r) => r.summary)).toEqual(Array(3).fill('ARP, Request who-has 10.2.0.9 tell 10.2.0.1, length 28'));
    const icmp = rec.replies!.filter((r) => r.iface === 'eth0');
    expect(icmp.length).toBe(1);
    expect(icmp[0].summary).toMatch(/^IP 10\.\d+\.0\.1 > 10\.1\.0\.2: ICMP host 10\.2\.0\.9 unreachable/);
  });
});

describe('IPv6 next hop that never answers (ndisc_solicit, ndisc_error_report)', () => {
  test('three NS to the solicited-node group from the link-local address, ICMPv6 address unreachable to the sender', () => {
    const host = sample('router');
    const net = netFor(host);
    at(net, 1000);
    const eth1 = host.byName.get('eth1')!;
    const p = new Uint8Array(48);
    p[0] = 0x60; p[5] = 8; p[6] = 17; p[7] = 63;
    p.set(ip6('2001:db8:1::2'), 8); p.set(ip6('2001:db8:2::9'), 24);
    const eth0 = host.byName.get('eth0')!;
    const skb = skbOn(eth('02:00:00:00:01:01', '02:00:00:00:01:02', 0x86dd, p), eth0);
    // the sender is a known neighbour, so the error is not itself held up behind an NS
    const a = net.neigh.create(6, ip6('2001:db8:1::2'), eth0);
    a.state = 0x80; a.ha = new Uint8Array([2, 0, 0, 0, 1, 2]);
    const ctx = newCtx();
    expect(neigh_resolve(net, 6, ip6('2001:db8:2::9'), eth1, ctx, skb)).toBeNull();
    const rec = settled(net, ctx, 1003);
    // ndisc_error_report frees the queued skb with a plain kfree_skb (arp_error_report says
    // NEIGH_FAILED): NOT_SPECIFIED, as recorded in fixtures/kernel/tc-ndp frame 7
    expect(rec).toMatchObject({ fate: 'dropped', reason: 'NOT_SPECIFIED' });
    const ns = rec.replies!.filter((r) => r.iface === 'eth1').map((r) => r.summary);
    expect(ns.length).toBe(3);
    expect(ns[0]).toMatch(/^IP6 fe80::\S+ > ff02::1:ff00:9: ICMP6, neighbor solicitation, who has 2001:db8:2::9, length 32$/);
    const err = rec.replies!.filter((r) => r.iface === 'eth0');
    expect(err.length).toBe(1);
    expect(err[0].summary).toMatch(/ > 2001:db8:1::2: ICMP6, destination unreachable, unreachable address 2001:db8:2::9/);
  });
});

describe('the ICMPv6 error of a failed next hop (__icmpv6_send: source from parm->iif)', () => {
  // measured in fixtures/kernel/tc-ndp frame 7: the forwarded packet had come in by eth0 and
  // waited on eth1's neighbour; the address unreachable left eth0 from eth0's address
  // (ipv6_dev_get_saddr on the input device), not from eth1's, where the skb was queued
  test('a forwarded packet queued on eth1: the error comes from the input device eth0 (2001:db8:1::1)', () => {
    const host = sample('router');
    const net = netFor(host);
    at(net, 1000);
    const eth0 = host.byName.get('eth0')!;
    const eth1 = host.byName.get('eth1')!;
    const p = new Uint8Array(48);
    p[0] = 0x60; p[5] = 8; p[6] = 17; p[7] = 63;
    p.set(ip6('2001:db8:1::2'), 8); p.set(ip6('2001:db8:2::9'), 24);
    const skb = skbOn(eth('02:00:00:00:01:01', '02:00:00:00:01:02', 0x86dd, p), eth0);
    skb.ip6_iif = eth0; // ip6_rcv_core
    skb.dev = eth1; // ip6_output: the skb is on its output device when it is queued
    const a = net.neigh.create(6, ip6('2001:db8:1::2'), eth0);
    a.state = 0x80; a.ha = new Uint8Array([2, 0, 0, 0, 1, 2]);
    const ctx = newCtx();
    expect(neigh_resolve(net, 6, ip6('2001:db8:2::9'), eth1, ctx, skb)).toBeNull();
    const rec = settled(net, ctx, 1003);
    const err = rec.replies!.filter((r) => r.iface === 'eth0');
    expect(err.map((r) => r.summary)).toEqual([expect.stringMatching(/^IP6 2001:db8:1::1 > 2001:db8:1::2: ICMP6, destination unreachable, unreachable address 2001:db8:2::9/)]);
  });
});

describe('skb truesize charged against unres_qlen_bytes', () => {
  test('the values measured through veth on 6.18 (fixtures/kernel/neigh-queuefull): 44-byte frames 768, 1442-byte frames 2304', () => {
    expect(skbTruesize(44)).toBe(768);
    expect(skbTruesize(1442)).toBe(2304);
  });
});

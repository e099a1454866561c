// Neighbour resolution on output, written from net/core/neighbour.c (__neigh_event_send,
// __neigh_update, neigh_timer_handler) and net/ipv4/arp.c arp_solicit.
import { describe, expect, test } from 'vitest';
import { neigh_resolve, nudName } from '../../src/kernel/neigh/neighbour.js';
import { arp_rcv } from '../../src/kernel/ipv4/arp.js';
import { arpBody, at, eth, ip4, ip6, netFor, newCtx, sample, skbOn } from './bridge-helpers.js';

const BR = '02:00:00:00:0b:00';

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
    expect(neigh_resolve(net, 4, ip4('192.168.10.50'), br0, ctx)).toBeNull();
    const rec = ctx.toRecord();
    expect(rec).toMatchObject({ fate: 'dropped', reason: 'NEIGH_FAILED' });
    // arp_solicit through br0: broadcast flooded to the forwarding ports (p3 is disabled), three
    // times (mcast_probes; measured: requests at 0, 1, 2 s before NEIGH_FAILED at 3 s)
    const s = 'ARP, Request who-has 192.168.10.50 tell 192.168.10.1, length 28';
    const once = [{ iface: 'p2', summary: s }, { iface: 'p1', summary: s }];
    expect(rec.replies).toEqual([...once, ...once, ...once]);
    expect(nudName(net.neigh.lookup(4, ip4('192.168.10.50'), br0, 1000e9)!.state)).toBe('INCOMPLETE');
  });

  test('the ARP reply that answers makes the entry REACHABLE and reports the queued packet sent', () => {
    const { net, br0 } = setup();
    neigh_resolve(net, 4, ip4('192.168.10.50'), br0, newCtx(1));
    at(net, 1000.5);
    const ctx = newCtx(2);
    const f = eth(BR, '02:00:00:00:0c:50', 0x0806, arpBody(2, '02:00:00:00:0c:50', '192.168.10.50', BR, '192.168.10.1'));
    arp_rcv(net, skbOn(f, br0), ctx);
    expect(ctx.events.some((e) => e.fn === 'neigh_update' && e.what.includes('INCOMPLETE -> REACHABLE') && e.what.includes('1 queued'))).toBe(true);
    const c3 = newCtx(3);
    expect([...neigh_resolve(net, 4, ip4('192.168.10.50'), br0, c3)!]).toEqual([2, 0, 0, 0, 0x0c, 0x50]);
  });

  test('INCOMPLETE becomes FAILED after mcast_probes x retrans_time (3 s); the next packet probes again', () => {
    const { net, br0 } = setup();
    neigh_resolve(net, 4, ip4('192.168.10.50'), br0, newCtx(1));
    expect(nudName(net.neigh.lookup(4, ip4('192.168.10.50'), br0, 1003.5e9)!.state)).toBe('FAILED');
    at(net, 1004);
    const ctx = newCtx(2);
    neigh_resolve(net, 4, ip4('192.168.10.50'), br0, ctx);
    expect(ctx.replies.length).toBe(6);
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
    const rec = ctx.toRecord();
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
    const rec = ctx.toRecord();
    expect(rec).toMatchObject({ fate: 'dropped', reason: 'NEIGH_FAILED' });
    const ns = rec.replies!.filter((r) => r.iface === 'eth1').map((r) => r.summary);
    expect(ns.length).toBe(3);
    expect(ns[0]).toMatch(/^IP6 fe80::\S+ > ff02::1:ff00:9: ICMP6, neighbor solicitation, who has 2001:db8:2::9, length 32$/);
    const err = rec.replies!.filter((r) => r.iface === 'eth0');
    expect(err.length).toBe(1);
    expect(err[0].summary).toMatch(/ > 2001:db8:1::2: ICMP6, destination unreachable, unreachable address 2001:db8:2::9/);
  });
});

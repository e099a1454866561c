// ARP input, written from net/ipv4/arp.c (Linux 6.x): arp_rcv, arp_process, arp_ignore,
// arp_accept; fates as the kernel frees the skb (consume_skb vs kfree_skb_reason).
// Host: fixtures/host-samples/bridge (br0 192.168.10.1/24, 02:00:00:00:0b:00; permanent
// neighbour 192.168.10.11 -> 02:00:00:00:0c:01). The frames are handed to arp_rcv on br0.
import { describe, expect, test } from 'vitest';
import { arp_rcv, arpSummary } from '../../src/kernel/ipv4/arp.js';
import { PACKET_OTHERHOST } from '../../src/kernel/skbuff.js';
import { nudName } from '../../src/kernel/neigh/neighbour.js';
import { arpBody, at, eth, ip4, netFor, newCtx, sample, skbOn } from './bridge-helpers.js';
import { run, echo4 } from './helpers.js';

const BR = '02:00:00:00:0b:00', H2 = '02:00:00:00:0c:02', Z = '00:00:00:00:00:00';

function setup(sysctls: Record<string, string> = {}) {
  const host = sample('bridge');
  for (const [k, v] of Object.entries(sysctls)) host.sysctls.raw.set(k, v);
  const net = netFor(host);
  at(net, 1000);
  return { host, net, br0: host.byName.get('br0')! };
}
const req = (spa: string, tpa: string, src = H2) => eth('ff:ff:ff:ff:ff:ff', src, 0x0806, arpBody(1, src, spa, Z, tpa));

describe('arp_rcv', () => {
  test('answers a request for a local address and creates a STALE entry for the sender (neigh_event_ns)', () => {
    const { net, br0 } = setup();
    const ctx = newCtx();
    arp_rcv(net, skbOn(req('192.168.10.12', '192.168.10.1'), br0), ctx);
    const rec = ctx.toRecord();
    expect(rec.fate).toBe('consumed');
    expect(rec.replies).toEqual([{ iface: 'p2', summary: `ARP, Reply 192.168.10.1 is-at ${BR}, length 28` }]);
    const n = net.neigh.lookup(4, ip4('192.168.10.12'), br0, 1000e9)!;
    expect(nudName(n.state)).toBe('STALE');
  });

  test('a request for another host is consumed (not dropped) and creates no entry (arp_accept 0)', () => {
    const { net, br0 } = setup();
    const ctx = newCtx();
    arp_rcv(net, skbOn(req('192.168.10.12', '192.168.10.99'), br0), ctx);
    const rec = ctx.toRecord();
    expect(rec.fate).toBe('consumed');
    expect(rec.replies).toBeUndefined();
    expect(net.neigh.lookup(4, ip4('192.168.10.12'), br0, 1000e9)).toBeNull();
  });

  test('a frame for another host at L2 (PACKET_OTHERHOST) is consumed by arp_rcv without processing', () => {
    const { net, br0 } = setup();
    const skb = skbOn(eth('02:00:00:00:0c:55', H2, 0x0806, arpBody(1, H2, '192.168.10.12', Z, '192.168.10.1')), br0);
    expect(skb.pkt_type).toBe(PACKET_OTHERHOST);
    const ctx = newCtx();
    arp_rcv(net, skb, ctx);
    expect(ctx.toRecord()).toMatchObject({ fate: 'consumed' });
    expect(ctx.replies).toEqual([]);
  });

  test('a truncated ARP header is dropped PKT_TOO_SMALL; a wrong hardware length NOT_SPECIFIED', () => {
    const { net, br0 } = setup();
    const short = eth('ff:ff:ff:ff:ff:ff', H2, 0x0806, arpBody(1, H2, '192.168.10.12', Z, '192.168.10.1').subarray(0, 20));
    const c1 = newCtx();
    arp_rcv(net, skbOn(short, br0), c1);
    expect(c1.toRecord()).toMatchObject({ fate: 'dropped', reason: 'PKT_TOO_SMALL' });
    const bad = req('192.168.10.12', '192.168.10.1');
    bad[14 + 4] = 8;
    const c2 = newCtx();
    arp_rcv(net, skbOn(bad, br0), c2);
    expect(c2.toRecord()).toMatchObject({ fate: 'dropped', reason: 'NOT_SPECIFIED' });
  });

  test('requests for loopback or multicast targets are dropped (arp_process out_free_skb)', () => {
    const { net, br0 } = setup();
    for (const t of ['127.0.0.1', '224.0.0.1']) {
      const ctx = newCtx();
      arp_rcv(net, skbOn(req('192.168.10.12', t), br0), ctx);
      expect(ctx.toRecord()).toMatchObject({ fate: 'dropped', reason: 'NOT_SPECIFIED' });
    }
  });

  test('an unsupported opcode (RARP request, 3) is dropped', () => {
    const { net, br0 } = setup();
    const f = req('192.168.10.12', '192.168.10.1');
    f[14 + 7] = 3;
    const ctx = newCtx();
    arp_rcv(net, skbOn(f, br0), ctx);
    expect(ctx.toRecord()).toMatchObject({ fate: 'dropped', reason: 'NOT_SPECIFIED' });
  });

  test('a DAD probe (sender 0.0.0.0) for our address is answered and consumed', () => {
    const { net, br0 } = setup();
    const ctx = newCtx();
    arp_rcv(net, skbOn(req('0.0.0.0', '192.168.10.1'), br0), ctx);
    const rec = ctx.toRecord();
    expect(rec.fate).toBe('consumed');
    expect(rec.replies?.[0].summary).toBe(`ARP, Reply 192.168.10.1 is-at ${BR}, length 28`);
  });

  test('arp_ignore=8 never answers; arp_ignore=2 answers only a sender in the same subnet', () => {
    const a = setup({ 'net.ipv4.conf.all.arp_ignore': '8' });
    const c1 = newCtx();
    arp_rcv(a.net, skbOn(req('192.168.10.12', '192.168.10.1'), a.br0), c1);
    expect(c1.toRecord()).toMatchObject({ fate: 'consumed' });
    expect(c1.replies).toEqual([]);
    const b = setup({ 'net.ipv4.conf.br0.arp_ignore': '2' });
    const c2 = newCtx();
    arp_rcv(b.net, skbOn(req('10.9.9.9', '192.168.10.1'), b.br0), c2);
    expect(c2.replies).toEqual([]);
    const c3 = newCtx();
    arp_rcv(b.net, skbOn(req('192.168.10.12', '192.168.10.1'), b.br0), c3);
    expect(c3.replies.length).toBe(1);
  });

  test('an unsolicited reply creates an entry only with arp_accept=1, and then it is STALE if broadcast', () => {
    const reply = eth('ff:ff:ff:ff:ff:ff', H2, 0x0806, arpBody(2, H2, '192.168.10.12', BR, '192.168.10.1'));
    const a = setup();
    arp_rcv(a.net, skbOn(reply, a.br0), newCtx());
    expect(a.net.neigh.lookup(4, ip4('192.168.10.12'), a.br0, 1000e9)).toBeNull();
    const b = setup({ 'net.ipv4.conf.all.arp_accept': '1' });
    arp_rcv(b.net, skbOn(reply, b.br0), newCtx());
    expect(nudName(b.net.neigh.lookup(4, ip4('192.168.10.12'), b.br0, 1000e9)!.state)).toBe('STALE');
  });

  test('a permanent entry is not changed by an ARP reply with another address', () => {
    const { net, br0 } = setup();
    const f = eth(BR, H2, 0x0806, arpBody(2, H2, '192.168.10.11', BR, '192.168.10.1'));
    arp_rcv(net, skbOn(f, br0), newCtx());
    const n = net.neigh.lookup(4, ip4('192.168.10.11'), br0, 1000e9)!;
    expect(nudName(n.state)).toBe('PERMANENT');
    expect([...n.ha!]).toEqual([2, 0, 0, 0, 0x0c, 0x01]);
  });
});

describe('arp_process: the request route (ip_route_input_noref)', () => {
  test('a request with a martian (loopback) sender gets no reply but is consumed', () => {
    const { net, br0 } = setup();
    const ctx = newCtx();
    arp_rcv(net, skbOn(req('127.0.0.5', '192.168.10.1'), br0), ctx);
    expect(ctx.toRecord()).toMatchObject({ fate: 'consumed' });
    expect(ctx.replies).toEqual([]);
  });

  test('proxy_arp on a forwarding router answers for a host routed out another device, with its own MAC', () => {
    const host = sample('router');
    host.sysctls.raw.set('net.ipv4.conf.all.forwarding', '1');
    host.sysctls.raw.set('net.ipv4.conf.eth0.proxy_arp', '1');
    const net = netFor(host);
    at(net, 1000);
    const eth0 = host.byName.get('eth0')!;
    const A = '02:00:00:00:01:02';
    const ctx = newCtx();
    // the request is broadcast (not PACKET_HOST): the kernel delays it by proxy_delay, then answers
    arp_rcv(net, skbOn(eth('ff:ff:ff:ff:ff:ff', A, 0x0806, arpBody(1, A, '10.1.0.2', Z, '10.2.0.2')), eth0), ctx);
    expect(ctx.toRecord().fate).toBe('consumed');
    expect(ctx.replies).toEqual([{ iface: 'eth0', summary: 'ARP, Reply 10.2.0.2 is-at 02:00:00:00:01:01, length 28' }]);
    // without proxy_arp: no answer
    const host2 = sample('router');
    host2.sysctls.raw.set('net.ipv4.conf.all.forwarding', '1');
    const net2 = netFor(host2);
    at(net2, 1000);
    const c2 = newCtx();
    arp_rcv(net2, skbOn(eth('ff:ff:ff:ff:ff:ff', A, 0x0806, arpBody(1, A, '10.1.0.2', Z, '10.2.0.2')), host2.byName.get('eth0')!), c2);
    expect(c2.replies).toEqual([]);
  });
});

describe('arp_process: DAD probes, arp_accept and gratuitous ARP (net/ipv4/arp.c)', () => {
  test('a DAD probe for an address that is not ours, or a "reply" from 0.0.0.0, is consumed unanswered', () => {
    // arp_process: sip == 0 answers only `arp->ar_op == htons(ARPOP_REQUEST) &&
    // inet_addr_type_dev_table(net, dev, tip) == RTN_LOCAL && !arp_ignore(in_dev, sip, tip)`
    const { net, br0 } = setup();
    const c1 = newCtx();
    arp_rcv(net, skbOn(req('0.0.0.0', '192.168.10.77'), br0), c1);
    expect(c1.toRecord()).toMatchObject({ fate: 'consumed' });
    expect(c1.replies).toEqual([]);
    const c2 = newCtx();
    arp_rcv(net, skbOn(eth('ff:ff:ff:ff:ff:ff', H2, 0x0806, arpBody(2, H2, '0.0.0.0', Z, '192.168.10.1')), br0), c2);
    expect(c2.toRecord()).toMatchObject({ fate: 'consumed' });
    expect(c2.replies).toEqual([]);
  });

  test('arp_accept=1 creates an entry from an unsolicited reply by a unicast sender, not from a request or a broadcast-address sender', () => {
    // `if (!n && (is_garp || (arp->ar_op == htons(ARPOP_REPLY) && addr_type == RTN_UNICAST)))`
    const a = setup({ 'net.ipv4.conf.all.arp_accept': '1' });
    arp_rcv(a.net, skbOn(req('192.168.10.40', '192.168.10.99'), a.br0), newCtx());
    expect(a.net.neigh.lookup(4, ip4('192.168.10.40'), a.br0, 1000e9)).toBeNull();
    const bc = eth(BR, H2, 0x0806, arpBody(2, H2, '192.168.10.255', BR, '192.168.10.1'));
    arp_rcv(a.net, skbOn(bc, a.br0), newCtx());
    expect(a.net.neigh.lookup(4, ip4('192.168.10.255'), a.br0, 1000e9)).toBeNull();
    const uc = eth(BR, H2, 0x0806, arpBody(2, H2, '192.168.10.41', BR, '192.168.10.1'));
    arp_rcv(a.net, skbOn(uc, a.br0), newCtx());
    // a unicast reply to us asserts reachability
    expect(nudName(a.net.neigh.lookup(4, ip4('192.168.10.41'), a.br0, 1000e9)!.state)).toBe('REACHABLE');
  });

  test('arp_accept=1: a gratuitous request (sender = target) creates the entry (is_garp)', () => {
    const a = setup({ 'net.ipv4.conf.all.arp_accept': '1' });
    arp_rcv(a.net, skbOn(req('192.168.10.42', '192.168.10.42'), a.br0), newCtx());
    expect(nudName(a.net.neigh.lookup(4, ip4('192.168.10.42'), a.br0, 1000e9)!.state)).toBe('STALE');
  });

  test('within locktime (1 s) only a gratuitous reply (sender = target, tha = sha) overrides the address', () => {
    // override = time_after(jiffies, n->updated + LOCKTIME) || is_garp; a gratuitous *reply*
    // also needs the target hardware address equal to the sender's (arp_is_garp)
    const H3 = '02:00:00:00:0c:03';
    const mk = (tha: string) => eth('ff:ff:ff:ff:ff:ff', H3, 0x0806, arpBody(2, H3, '192.168.10.43', tha, '192.168.10.43'));
    for (const [tha, want] of [[BR, '02:00:00:00:0c:02'], [H3, H3]] as const) {
      const a = setup({ 'net.ipv4.conf.all.arp_accept': '1' });
      arp_rcv(a.net, skbOn(eth(BR, H2, 0x0806, arpBody(2, H2, '192.168.10.43', BR, '192.168.10.1')), a.br0), newCtx());
      at(a.net, 1000.5);
      arp_rcv(a.net, skbOn(mk(tha), a.br0, 1000.5), newCtx());
      const n = a.net.neigh.lookup(4, ip4('192.168.10.43'), a.br0, 1000.5e9)!;
      expect([...n.ha!].map((x) => x.toString(16).padStart(2, '0')).join(':'), `tha ${tha}`).toBe(want);
    }
  });
});

describe('arpSummary against tcpdump -nn', () => {
  // tcpdump 4.99 -nn on these three frames (written with scripts/record/pkt.py) printed:
  //   ARP, Request who-has 192.168.10.1 (02:00:00:00:0b:00) tell 192.168.10.12, length 28
  //   ARP, Request who-has 192.168.10.1 (00:00:00:00:00:01) tell 192.168.10.12, length 28
  //   ARP, Request who-has 192.168.10.1 (01:00:00:00:00:00) tell 192.168.10.12, length 28
  // (the target hardware address is shown when any of its bytes is not zero)
  test('a request with a target hardware address shows it, whichever byte is set', () => {
    for (const tha of ['02:00:00:00:0b:00', '00:00:00:00:00:01', '01:00:00:00:00:00']) {
      const f = eth('ff:ff:ff:ff:ff:ff', H2, 0x0806, arpBody(1, H2, '192.168.10.12', tha, '192.168.10.1'));
      expect(arpSummary(f, 14, 28)).toBe(`ARP, Request who-has 192.168.10.1 (${tha}) tell 192.168.10.12, length 28`);
    }
  });
});

describe('arp_solicit: the request source by arp_announce (net/ipv4/arp.c)', () => {
  // the router answers an echo from 10.2.0.9 (unknown on eth1) to its eth0 address 10.1.0.1: the
  // reply (source 10.1.0.1) waits for ARP. arp_solicit: 0 announces the packet's source when it is
  // local (10.1.0.1); 1 only when it is on-link with the target (10.1.0.1 is not on eth1's
  // 10.2.0.0/24), else inet_select_addr(dev, target, RT_SCOPE_LINK) = 10.2.0.1; 2 always selects
  const ask = (announce: string) => {
    const h = sample('router');
    h.sysctls.raw.set('net.ipv4.conf.eth1.arp_announce', announce);
    const f = eth('02:00:00:00:02:01', '02:00:00:00:02:09', 0x0800, echo4('10.2.0.9', '10.1.0.1'));
    return run(h, f, 'eth1').rec.replies;
  };
  test('arp_announce 0, 1, 2', () => {
    expect(ask('0')).toEqual([{ iface: 'eth1', summary: 'ARP, Request who-has 10.2.0.9 tell 10.1.0.1, length 28' }]);
    expect(ask('1')).toEqual([{ iface: 'eth1', summary: 'ARP, Request who-has 10.2.0.9 tell 10.2.0.1, length 28' }]);
    expect(ask('2')).toEqual([{ iface: 'eth1', summary: 'ARP, Request who-has 10.2.0.9 tell 10.2.0.1, length 28' }]);
  });
});

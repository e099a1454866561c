// arp_rcv / arp_process on the "router" host sample (eth0 10.1.0.1/24 02:00:00:00:01:01, eth1
// 10.2.0.1/24 02:00:00:00:02:01, forwarding on): the fates and timeline steps of the cases the
// other ARP tests do not reach, written from net/ipv4/arp.c (Linux 6.x). A step's function is the
// kernel function that acts; its device is the ingress device; the details repeat header fields of
// the crafted frame.
import { describe, expect, it } from 'vitest';
import type { FateRecord } from '../../src/kernel/fate.js';
import type { Host } from '../../src/host/types.js';
import { arpBody, eth } from './bridge-helpers.js';
import { run, sample } from './helpers.js';

const R0 = '02:00:00:00:01:01';
const A = '02:00:00:00:01:02';
const Z = '00:00:00:00:00:00';
const BC = 'ff:ff:ff:ff:ff:ff';
const arp = (op: number, spa: string, tpa: string, dst = BC, tha = Z) => eth(dst, A, 0x0806, arpBody(op, A, spa, tha, tpa));
const on = (h: Host, f: Uint8Array, dev = 'eth0'): FateRecord => run(h, f, dev).rec;
const steps = (rec: FateRecord, fn: string) => rec.events.filter((e) => e.fn === fn);
const withSysctl = (kv: Record<string, string>) => {
  const h = sample('router');
  for (const [k, v] of Object.entries(kv)) h.sysctls.raw.set(k, v);
  return h;
};
const host = sample('router');

describe('arp_rcv: frames it ignores or refuses', () => {
  it('a frame for another MAC (PACKET_OTHERHOST) is consumed at arp_rcv', () => {
    const rec = on(host, arp(1, '10.1.0.2', '10.1.0.1', '02:00:00:00:01:99'));
    expect(rec.fate).toBe('consumed');
    expect(steps(rec, 'arp_rcv').map((e) => e.what)).toEqual([expect.stringMatching(/PACKET_OTHERHOST/)]);
  });
  it('a NOARP device consumes every ARP frame', () => {
    const h = sample('router');
    h.byName.get('eth0')!.flags.add('NOARP');
    const rec = on(h, arp(1, '10.1.0.2', '10.1.0.1'));
    expect(rec.fate).toBe('consumed');
    expect(steps(rec, 'arp_rcv').map((e) => e.what)).toEqual([expect.stringMatching(/NOARP/)]);
    expect(rec.replies ?? []).toEqual([]);
  });
  it('a header cut to 20 bytes: PKT_TOO_SMALL at arp_rcv, with the lengths', () => {
    const f = arp(1, '10.1.0.2', '10.1.0.1').subarray(0, 14 + 20);
    expect(steps(on(host, f), 'arp_rcv')).toEqual([{ fn: 'arp_rcv', what: 'drop PKT_TOO_SMALL', dev: 'eth0', detail: { have: 20, need: 28 } }]);
  });
  it('ar_hln 8: NOT_SPECIFIED at arp_rcv, with the lengths', () => {
    const f = arp(1, '10.1.0.2', '10.1.0.1');
    f[14 + 4] = 8;
    expect(steps(on(host, f), 'arp_rcv')).toEqual([{ fn: 'arp_rcv', what: 'drop NOT_SPECIFIED', dev: 'eth0', detail: { ar_hln: 8, ar_pln: 4 } }]);
  });
  it('ar_pln 6: NOT_SPECIFIED at arp_rcv', () => {
    const f = arp(1, '10.1.0.2', '10.1.0.1');
    f[14 + 5] = 6;
    expect(steps(on(host, f), 'arp_rcv')).toEqual([{ fn: 'arp_rcv', what: 'drop NOT_SPECIFIED', dev: 'eth0', detail: { ar_hln: 6, ar_pln: 6 } }]);
  });
});

describe('arp_process: header checks', () => {
  it('ar_pro other than IP is dropped; ar_hrd 6 (IEEE 802) is accepted on Ethernet', () => {
    const f = arp(1, '10.1.0.2', '10.1.0.1');
    f[14 + 2] = 0x86;
    f[14 + 3] = 0xdd;
    expect(steps(on(host, f), 'arp_process')).toEqual([{ fn: 'arp_process', what: 'drop NOT_SPECIFIED', dev: 'eth0', detail: { ar_hrd: 1, ar_pro: 0x86dd } }]);
    const g = arp(1, '10.1.0.2', '10.1.0.1');
    g[14 + 1] = 6;
    const rec = on(host, g);
    expect(rec.fate).toBe('consumed');
    expect(rec.replies).toEqual([{ iface: 'eth0', summary: 'ARP, Reply 10.1.0.1 is-at 02:00:00:00:01:01, length 28' }]);
  });
  it('an opcode other than request/reply: dropped with it', () => {
    const f = arp(1, '10.1.0.2', '10.1.0.1');
    f[14 + 7] = 4;
    expect(steps(on(host, f), 'arp_process')).toEqual([{ fn: 'arp_process', what: 'drop NOT_SPECIFIED', dev: 'eth0', detail: { ar_op: 4 } }]);
  });
  it('a loopback target: dropped with the target', () => {
    expect(steps(on(host, arp(1, '10.1.0.2', '127.0.0.9')), 'arp_process')).toEqual([
      { fn: 'arp_process', what: 'drop NOT_SPECIFIED', dev: 'eth0', detail: { tip: '127.0.0.9', why: 'multicast or loopback target' } },
    ]);
  });
  it('drop_gratuitous_arp: a gratuitous ARP (sender = target) is dropped; off, it is consumed', () => {
    const g = () => arp(1, '10.1.0.2', '10.1.0.2');
    const rec = on(withSysctl({ 'net.ipv4.conf.all.drop_gratuitous_arp': '1' }), g());
    expect(rec.fate).toBe('dropped');
    expect(steps(rec, 'arp_process')).toEqual([{ fn: 'arp_process', what: 'drop NOT_SPECIFIED', dev: 'eth0', detail: { why: 'gratuitous ARP and drop_gratuitous_arp' } }]);
    expect(on(host, g()).fate).toBe('consumed');
  });
});

describe('arp_process: requests', () => {
  it('a DAD probe is consumed at arp_process, saying so', () => {
    const rec = on(host, arp(1, '0.0.0.0', '10.1.0.77'));
    expect(steps(rec, 'arp_process').map((e) => e.what)).toEqual(['request who-has 10.1.0.77 tell 0.0.0.0 (DAD probe): consume_skb']);
  });
  it('a request from a martian sender: no route, no reply, the step says why', () => {
    const rec = on(host, arp(1, '127.0.0.5', '10.1.0.1'));
    expect(rec.fate).toBe('consumed');
    expect(steps(rec, 'arp_process')[0]).toEqual({ fn: 'arp_process', what: 'no route for the request (IP_LOCALNET): tables only', dev: 'eth0' });
  });
  it('arp_ignore=1 on eth0: no reply for eth1\'s address asked on eth0 (inet_confirm_addr on the incoming device)', () => {
    const rec = on(withSysctl({ 'net.ipv4.conf.eth0.arp_ignore': '1' }), arp(1, '10.1.0.2', '10.2.0.1'));
    expect(rec.replies ?? []).toEqual([]);
    expect(steps(rec, 'arp_process')).toContainEqual({ fn: 'arp_process', what: 'no reply: arp_ignore=1', dev: 'eth0' });
    expect(on(host, arp(1, '10.1.0.2', '10.2.0.1')).replies).toEqual([{ iface: 'eth0', summary: 'ARP, Reply 10.2.0.1 is-at 02:00:00:00:01:01, length 28' }]);
  });
  it('arp_ignore=2 on eth1: a sender routed there but outside 10.2.0.0/24 gets no reply', () => {
    const f = eth(BC, '02:00:00:00:02:02', 0x0806, arpBody(1, '02:00:00:00:02:02', '198.51.100.7', Z, '10.2.0.1'));
    expect(on(withSysctl({ 'net.ipv4.conf.eth1.arp_ignore': '2' }), f, 'eth1').replies ?? []).toEqual([]);
    expect(on(host, f, 'eth1').replies?.length).toBe(1);
  });
  it('arp_filter: the route back to the sender leaves by eth1, so eth0 does not answer', () => {
    // eth0 rp_filter 1 would refuse the sender first: off here. 10.2.0.9 is routed via eth1
    const h = withSysctl({ 'net.ipv4.conf.eth0.arp_filter': '1', 'net.ipv4.conf.eth0.rp_filter': '0', 'net.ipv4.conf.all.rp_filter': '0' });
    const rec = on(h, arp(1, '10.2.0.9', '10.1.0.1'));
    expect(rec.replies ?? []).toEqual([]);
    expect(steps(rec, 'arp_process')).toContainEqual({ fn: 'arp_process', what: 'no reply: arp_filter: route to sender leaves by another device', dev: 'eth0' });
    // a sender routed back through eth0 itself is answered
    expect(on(h, arp(1, '10.1.0.2', '10.1.0.1')).replies).toEqual([{ iface: 'eth0', summary: 'ARP, Reply 10.1.0.1 is-at 02:00:00:00:01:01, length 28' }]);
  });
  it('a request for another host: consumed, the table not updated (arp_accept 0)', () => {
    const rec = on(host, arp(1, '10.1.0.60', '10.1.0.50'));
    expect(rec.fate).toBe('consumed');
    expect(steps(rec, 'arp_process')).toEqual([
      { fn: 'arp_process', what: 'no neighbour entry for 10.1.0.60 and arp_accept=0: table not updated', dev: 'eth0' },
      { fn: 'arp_process', what: 'request who-has 10.1.0.50 tell 10.1.0.60: consume_skb' },
    ]);
  });
});

describe('arp_process: proxy ARP (arp_fwd_proxy, pneigh_lookup)', () => {
  const proxied = (h: Host, dst = BC) => on(h, arp(1, '10.1.0.2', '10.2.0.50', dst));
  it('proxy_arp: a broadcast request is answered after proxy_delay (pneigh_enqueue), a unicast one at once', () => {
    const h = withSysctl({ 'net.ipv4.conf.eth0.proxy_arp': '1' });
    const b = proxied(h);
    expect(b.replies).toEqual([{ iface: 'eth0', summary: 'ARP, Reply 10.2.0.50 is-at 02:00:00:00:01:01, length 28' }]);
    expect(steps(b, 'pneigh_enqueue')).toEqual([{ fn: 'pneigh_enqueue', what: 'proxy reply delayed by proxy_delay (up to 0.8 s), then sent', dev: 'eth0' }]);
    expect(steps(b, 'arp_process').at(-1)!.what).toBe('request who-has 10.2.0.50 tell 10.1.0.2: proxied: consume_skb');
    const u = proxied(h, R0);
    expect(u.replies?.length).toBe(1);
    expect(steps(u, 'pneigh_enqueue')).toEqual([]);
    expect(steps(u, 'neigh_event_ns')).toEqual([{ fn: 'neigh_event_ns', what: expect.stringMatching(/10\.1\.0\.2/), dev: 'eth0' }]);
  });
  it('a proxy entry (ip neigh add proxy 10.2.0.50 dev eth0) answers without proxy_arp; one for another address or family does not', () => {
    const withProxy = (dst: string, family: 4 | 6, dev = 'eth0') => {
      const h = sample('router');
      h.neigh.push({ family, dst: family === 4 ? ((10 << 24) | (2 << 16) | parseInt(dst.split('.')[3])) >>> 0 : new Uint8Array(16), dstStr: dst, dev, lladdr: null, lladdrStr: null, state: ['PROXY'] });
      return h;
    };
    expect(proxied(withProxy('10.2.0.50', 4)).replies?.length).toBe(1);
    expect(proxied(withProxy('10.2.0.51', 4)).replies ?? []).toEqual([]);
    expect(proxied(withProxy('10.2.0.50', 6)).replies ?? []).toEqual([]);
    expect(proxied(withProxy('10.2.0.50', 4, 'eth1')).replies ?? []).toEqual([]);
  });
});

describe('arp_is_garp needs a unicast sender address', () => {
  it('arp_accept=1: a "gratuitous" request for the subnet broadcast address creates no entry', () => {
    const h = withSysctl({ 'net.ipv4.conf.all.arp_accept': '1' });
    const r = run(h, arp(1, '10.1.0.255', '10.1.0.255'), 'eth0');
    expect(r.net.neigh.lookup(4, ((10 << 24) | (1 << 16) | 255) >>> 0, h.byName.get('eth0')!, 0)).toBeNull();
    const g = run(h, arp(1, '10.1.0.44', '10.1.0.44'), 'eth0');
    expect(g.net.neigh.lookup(4, ((10 << 24) | (1 << 16) | 44) >>> 0, h.byName.get('eth0')!, 0)).not.toBeNull();
  });
});

describe('arp_ignore and address scope (inet_confirm_addr: min(ifa_scope, RT_SCOPE_HOST) <= scope)', () => {
  // modes 1 and 2 confirm with RT_SCOPE_HOST (any address counts), mode 3 with RT_SCOPE_LINK (a
  // scope host address does not). 10.1.0.1 on eth0 made scope host here.
  const hostScoped = (mode: string) => {
    const h = withSysctl({ 'net.ipv4.conf.eth0.arp_ignore': mode });
    const a = h.byName.get('eth0')!.addrs.find((x) => x.family === 4)!;
    a.scope = 'host';
    return h;
  };
  it('modes 1 and 2 answer for a scope host address of the incoming device; mode 3 does not', () => {
    expect(on(hostScoped('1'), arp(1, '10.1.0.2', '10.1.0.1')).replies?.length).toBe(1);
    expect(on(hostScoped('2'), arp(1, '10.1.0.2', '10.1.0.1')).replies?.length).toBe(1);
    expect(on(hostScoped('3'), arp(1, '10.1.0.2', '10.1.0.1')).replies ?? []).toEqual([]);
    expect(on(withSysctl({ 'net.ipv4.conf.eth0.arp_ignore': '3' }), arp(1, '10.1.0.2', '10.1.0.1')).replies?.length).toBe(1);
  });
});

describe('arp_send steps say who sends', () => {
  it('a DAD probe answer and a proxy answer', () => {
    const dad = on(host, arp(1, '0.0.0.0', '10.1.0.1'));
    expect(steps(dad, 'arp_send_dst').map((e) => e.what)).toEqual([expect.stringMatching(/^arp_process \(DAD probe for a local address\): ARP, Reply 10\.1\.0\.1 is-at/)]);
    const h = withSysctl({ 'net.ipv4.conf.eth0.proxy_arp': '1' });
    expect(steps(on(h, arp(1, '10.1.0.2', '10.2.0.50', R0)), 'arp_send_dst').map((e) => e.what)).toEqual([expect.stringMatching(/^arp_process \(proxy ARP: proxy_arp\): ARP, Reply 10\.2\.0\.50/)]);
    expect(steps(on(h, arp(1, '10.1.0.2', '10.2.0.50')), 'arp_send_dst').map((e) => e.what)).toEqual([expect.stringMatching(/^arp_process \(proxy ARP: proxy_arp, delayed\): ARP, Reply 10\.2\.0\.50/)]);
  });
});

describe('arp_process: the sender hardware address and the reply step', () => {
  it("a request for us creates the sender's entry with its sha (neigh_event_ns), not the Ethernet source", () => {
    const f = eth(BC, A, 0x0806, arpBody(1, '02:00:00:00:01:63', '10.1.0.61', Z, '10.1.0.1'));
    const r = run(host, f, 'eth0');
    const n = r.net.neigh.lookup(4, ((10 << 24) | (1 << 16) | 61) >>> 0, host.byName.get('eth0')!, 0)!;
    expect([...n.ha!]).toEqual([2, 0, 0, 0, 1, 0x63]);
  });
  it('a reply is consumed with a step naming its sender and target', () => {
    const rec = on(host, arp(2, '10.1.0.62', '10.1.0.1', R0, '02:00:00:00:01:01'));
    expect(rec.fate).toBe('consumed');
    expect(steps(rec, 'arp_process').at(-1)!.what).toBe('reply 10.1.0.1 from 10.1.0.62: consume_skb');
  });
});

describe('arp_process: a request for a local address, step by step', () => {
  it('neigh_event_ns on the ingress device, the reply sent by arp_process, consumed as local', () => {
    const rec = on(host, arp(1, '10.1.0.63', '10.1.0.1'));
    expect(steps(rec, 'neigh_event_ns')).toEqual([{ fn: 'neigh_event_ns', what: expect.stringMatching(/10\.1\.0\.63/), dev: 'eth0' }]);
    expect(steps(rec, 'arp_send_dst').map((e) => e.what)).toEqual(['arp_process: ARP, Reply 10.1.0.1 is-at 02:00:00:00:01:01, length 28']);
    expect(steps(rec, 'arp_process').at(-1)!.what).toBe('request who-has 10.1.0.1 tell 10.1.0.63: target is local: consume_skb');
  });
});

describe('drop_gratuitous_arp spares ordinary ARP', () => {
  it('with the knob on, a request from 10.1.0.2 for 10.1.0.1 is still answered', () => {
    expect(on(withSysctl({ 'net.ipv4.conf.all.drop_gratuitous_arp': '1' }), arp(1, '10.1.0.2', '10.1.0.1')).replies?.length).toBe(1);
  });
});

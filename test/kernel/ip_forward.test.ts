// ip_forward's MTU check for GRO packets and ip_rt_send_redirect's rate limit, hand-derived from
// the kernel source cited per case, on the "router" host sample (fixtures/host-samples/router:
// eth0 10.1.0.1/24 mtu 1500, eth1 10.2.0.1/24 mtu 1400, ip_forward=1, send_redirects on).
import { describe, it, expect } from 'vitest';
import type { Net } from '../../src/kernel/net.js';
import { sample, run, eth, udp4, tcp4, expectFate } from './helpers.js';

const host = sample('router');
const R0 = '02:00:00:00:01:01';
const A = '02:00:00:00:01:02';
const R1 = '02:00:00:00:02:01';
const B = '02:00:00:00:02:02';

describe('ip_exceeds_mtu for GRO packets (net/ipv4/ip_forward.c)', () => {
  // ip_exceeds_mtu: len > mtu with DF is "exceeds" unless skb_is_gso(skb) &&
  // skb_gso_validate_network_len(skb, mtu), i.e. every segment (gso_size + headers) fits. The
  // merged frame's segments were frames of the ingress link (gro_note's estimate: a segment per
  // ingress-MTU frame), so they fit an egress MTU at least as large and not a smaller one.
  const big = (src: string, dst: string, len: number) => tcp4(src, dst, 40000, 80, 0x10, 1000, 1, new Uint8Array(len - 40));
  it('merged segments from the 1400-byte eth1 fit eth0 (mtu 1500): forwarded whole, no ICMP', () => {
    const { rec } = run(host, eth(R1, B, 0x0800, big('10.2.0.2', '10.1.0.2', 2760)), 'eth1');
    expectFate(rec).forwarded('eth0').noReply().event('napi_gro_receive');
  });
  it('merged 1500-byte segments from eth0 do not fit eth1 (mtu 1400): frag needed with mtu 1400', () => {
    expectFate(run(host, eth(R0, A, 0x0800, big('10.1.0.2', '10.2.0.2', 2960)), 'eth0').rec)
      .dropped('PKT_TOO_BIG', 'ip_forward')
      .reply('eth0', /ICMP 10\.2\.0\.2 unreachable - need to frag \(mtu 1400\)/);
  });
  it('merged segments of a 1500-byte link fit an egress of the same MTU: forwarded', () => {
    const h = sample('router');
    h.byName.get('eth1')!.mtu = 1500;
    expectFate(run(h, eth(R0, A, 0x0800, big('10.1.0.2', '10.2.0.2', 2960)), 'eth0').rec).forwarded('eth1').noReply();
  });
  it('a packet of exactly the MTU is not over it (skb->len <= mtu); one byte more is', () => {
    // 1400 bytes through eth1 (mtu 1400) with DF: forwarded; 1401: frag needed
    expectFate(run(host, eth(R0, A, 0x0800, udp4('10.1.0.2', '10.2.0.2', 1000, 9, new Uint8Array(1372))), 'eth0').rec).forwarded('eth1').noReply();
    expectFate(run(host, eth(R0, A, 0x0800, udp4('10.1.0.2', '10.2.0.2', 1000, 9, new Uint8Array(1373))), 'eth0').rec).dropped('PKT_TOO_BIG');
  });
  it("a route's mtu metric wins over the device's (ip_dst_mtu_maybe_forward: dst_metric_raw(RTAX_MTU))", () => {
    const h = sample('router');
    const r = h.routes.find((x) => x.dstStr === '10.2.0.0/24' && x.table === 254)!;
    r.mtu = 1300;
    expectFate(run(h, eth(R0, A, 0x0800, udp4('10.1.0.2', '10.2.0.2', 1000, 9, new Uint8Array(1273))), 'eth0').rec)
      .dropped('PKT_TOO_BIG')
      .reply('eth0', /need to frag \(mtu 1300\)/);
  });
});

describe('ip_rt_send_redirect rate limit (net/ipv4/route.c)', () => {
  // A hairpin: 10.1.0.2 sends to 10.1.0.3 through the router, which forwards it back out eth0 and
  // tells the (on-link) source with an ICMP host redirect. Per source (inet_peer): the first
  // redirect goes at once (n_redirects 0); the next only when jiffies is after rate_last +
  // (ip_rt_redirect_load << n_redirects), ip_rt_redirect_load = HZ/50 = 20 ms; after
  // ip_rt_redirect_number (9) nothing is sent, each packet setting rate_last; a silence of more
  // than ip_rt_redirect_silence ((HZ/50) << (9 + 1) = 20480 ms) resets n_redirects to 0.
  const hairpin = (src = '10.1.0.2') => eth(R0, A, 0x0800, udp4(src, '10.1.0.3', 1000, 53));
  const at = (ms: number, net?: Net, src?: string): { sent: boolean; net: Net } => {
    let n = net;
    if (!n) n = run(host, hairpin('10.1.0.9'), 'eth0').net; // a namespace whose clock we can set
    n.nowSec = Math.floor(ms / 1000);
    n.nowNsec = (ms % 1000) * 1e6;
    const r = run(host, hairpin(src), 'eth0', n);
    // the redirect's own ICMP to another source than 10.1.0.2 waits for ARP (no reply on the wire
    // yet), so the step that sends it is what is counted
    return { sent: r.rec.events.some((e) => e.fn === 'icmp_send' && /^ICMP type 5 code 1 /.test(e.what)), net: r.net };
  };
  it('sends after gaps longer than 20 ms << n_redirects, not at the gap itself', () => {
    const base = 100_000;
    let { sent, net } = at(base);
    expect(sent).toBe(true); // n 0 -> 1
    const steps: [number, boolean][] = [
      [base + 40, false], // 40 is not after 20 << 1
      [base + 41, true], // n 1 -> 2, rate_last = base + 41
      [base + 41 + 80, false],
      [base + 41 + 81, true], // n 2 -> 3
    ];
    for (const [t, want] of steps) {
      ({ sent } = at(t, net));
      expect(sent, `at +${t - base} ms`).toBe(want);
    }
  });
  it('stops after 9 redirects; a silence over 20480 ms after the last packet starts again', () => {
    let t = 200_000;
    let { sent, net } = at(t);
    let count = sent ? 1 : 0;
    // gaps just over 20 << n for n = 1..8 give redirects 2..9
    for (let n = 1; n <= 8; n++) {
      t += (20 << n) + 1;
      ({ sent } = at(t, net));
      if (sent) count++;
    }
    expect(count).toBe(9);
    t += (20 << 9) + 1; // load passed, but n_redirects is 9: nothing, rate_last = t
    expect(at(t, net).sent).toBe(false);
    t += 20480; // not after rate_last + silence
    expect(at(t, net).sent).toBe(false);
    t += 20481; // after it: n_redirects reset, sent
    expect(at(t, net).sent).toBe(true);
  });
  it('each source has its own count', () => {
    const { net } = at(300_000);
    expect(at(300_001, net).sent).toBe(false);
    expect(at(300_002, net, '10.1.0.7').sent).toBe(true);
  });
});

describe('ip_forward steps', () => {
  const steps = (rec: { events: { fn: string }[] }, fn: string) => rec.events.filter((e) => e.fn === fn);
  it('over the MTU without DF: the step says it goes to ip_fragment (1450 + 28 bytes > 1400)', () => {
    const { rec } = run(host, eth(R0, A, 0x0800, udp4('10.1.0.2', '10.2.0.2', 1000, 9, new Uint8Array(1450), { df: false })), 'eth0');
    expect(steps(rec, 'ip_forward')).toEqual([{ fn: 'ip_forward', what: '1478 bytes > mtu 1400, no DF: ip_fragment on output' }]);
  });
  it('a GRO packet whose segments fit: the step says it is segmented on transmit', () => {
    const { rec } = run(host, eth(R1, B, 0x0800, tcp4('10.2.0.2', '10.1.0.2', 40000, 80, 0x10, 1000, 1, new Uint8Array(2720))), 'eth1');
    expect(steps(rec, 'ip_forward')).toEqual([{ fn: 'ip_forward', what: 'GRO packet of 2760 bytes: segmented on transmit (mtu 1500)' }]);
  });
  it('not PACKET_HOST: dropped at ip_forward with the reason in its detail', () => {
    const { rec } = run(host, eth('01:00:5e:00:00:fb', A, 0x0800, udp4('10.1.0.2', '10.2.0.2', 1000, 53)), 'eth0');
    expect(steps(rec, 'ip_forward')).toEqual([{ fn: 'ip_forward', what: 'drop NOT_SPECIFIED', detail: { why: 'pkt_type not PACKET_HOST' } }]);
  });
  it('the redirect step names the source and the new gateway (the destination itself: no gateway on the route)', () => {
    const { rec } = run(host, eth(R0, A, 0x0800, udp4('10.1.0.2', '10.1.0.3', 1000, 53)), 'eth0');
    expect(steps(rec, 'ip_rt_send_redirect')).toEqual([{ fn: 'ip_rt_send_redirect', what: 'source 10.1.0.2 on-link: redirect to 10.1.0.3' }]);
  });
});

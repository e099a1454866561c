// IPv6 neighbour discovery input, written from net/ipv6/ndisc.c (Linux 6.x): ndisc_rcv,
// ndisc_recv_ns, ndisc_recv_na, ndisc_recv_rs, ndisc_send_na; fate from icmpv6_rcv's
// `reason ? kfree_skb_reason : consume_skb`. Host: fixtures/host-samples/bridge
// (br0 fd00:10::1/64, 02:00:00:00:0b:00; static fdb 02:00:00:00:0c:02 on p2).
import { describe, expect, test } from 'vitest';
import { ndisc_rcv } from '../../src/kernel/ipv6/ndisc.js';
import { neigh_resolve, nudName } from '../../src/kernel/neigh/neighbour.js';
import { at, eth, ip6, mac, nd, netFor, newCtx, sample, skbOn } from './bridge-helpers.js';

const H2 = '02:00:00:00:0c:02';
const SNM = '33:33:ff:00:00:01';

function setup(sysctls: Record<string, string> = {}) {
  const host = sample('bridge');
  for (const [k, v] of Object.entries(sysctls)) host.sysctls.raw.set(k, v);
  const net = netFor(host);
  at(net, 1000);
  return { host, net, br0: host.byName.get('br0')! };
}
function ipSkb(frame: Uint8Array, dev: Parameters<typeof skbOn>[1]) {
  const skb = skbOn(frame, dev);
  skb.transport_header = 54;
  return skb;
}
const target = (a: string) => [0, 0, 0, 0, ...ip6(a)];
const sllao = (m: string) => [1, 1, ...mac(m)];
const tllao = (m: string) => [2, 1, ...mac(m)];

describe('ndisc_rcv', () => {
  test('a multicast NS for our address: solicited+override NA with the target lladdr option, to the sender', () => {
    const { net, br0 } = setup();
    const f = eth(SNM, H2, 0x86dd, nd('fd00:10::2', 'ff02::1:ff00:1', 135, [...target('fd00:10::1'), ...sllao(H2)]));
    const ctx = newCtx();
    ndisc_rcv(net, ipSkb(f, br0), ctx);
    const rec = ctx.toRecord();
    expect(rec.fate).toBe('consumed');
    expect(rec.replies).toEqual([{ iface: 'p2', summary: 'IP6 fd00:10::1 > fd00:10::2: ICMP6, neighbor advertisement, tgt is fd00:10::1, length 32' }]);
    expect(rec.events.some((e) => e.fn === 'ndisc_send_na' && e.what.includes('solicited, override'))).toBe(true);
    const n = net.neigh.lookup(6, ip6('fd00:10::2'), br0, 1000e9)!;
    // ndisc_update NUD_STALE, then ip6_finish_output2 uses it: STALE -> DELAY
    expect(nudName(n.state)).toBe('DELAY');
  });

  test('a unicast NS (NUD probe) is answered without the option and without override', () => {
    const { net, br0 } = setup();
    const f = eth('02:00:00:00:0b:00', H2, 0x86dd, nd('fd00:10::2', 'fd00:10::1', 135, [...target('fd00:10::1'), ...sllao(H2)]));
    const ctx = newCtx();
    ndisc_rcv(net, ipSkb(f, br0), ctx);
    expect(ctx.toRecord().replies?.[0].summary).toBe('IP6 fd00:10::1 > fd00:10::2: ICMP6, neighbor advertisement, tgt is fd00:10::1, length 24');
    expect(ctx.events.some((e) => e.fn === 'ndisc_send_na' && e.what.includes('[flags solicited]'))).toBe(true);
  });

  test('hop limit other than 255 is dropped IPV6_NDISC_HOP_LIMIT; a non-zero code IPV6_NDISC_BAD_CODE', () => {
    const { net, br0 } = setup();
    const c1 = newCtx();
    ndisc_rcv(net, ipSkb(eth(SNM, H2, 0x86dd, nd('fd00:10::2', 'ff02::1:ff00:1', 135, [...target('fd00:10::1'), ...sllao(H2)], 64)), br0), c1);
    expect(c1.toRecord()).toMatchObject({ fate: 'dropped', reason: 'IPV6_NDISC_HOP_LIMIT' });
    const c2 = newCtx();
    ndisc_rcv(net, ipSkb(eth(SNM, H2, 0x86dd, nd('fd00:10::2', 'ff02::1:ff00:1', 135, [...target('fd00:10::1'), ...sllao(H2)], 255, 1)), br0), c2);
    expect(c2.toRecord()).toMatchObject({ fate: 'dropped', reason: 'IPV6_NDISC_BAD_CODE' });
  });

  test('an NS for an address that is not ours is dropped IPV6_NDISC_NS_OTHERHOST', () => {
    const { net, br0 } = setup();
    const ctx = newCtx();
    ndisc_rcv(net, ipSkb(eth('33:33:ff:00:00:99', H2, 0x86dd, nd('fd00:10::2', 'ff02::1:ff00:99', 135, [...target('fd00:10::99'), ...sllao(H2)])), br0), ctx);
    expect(ctx.toRecord()).toMatchObject({ fate: 'dropped', reason: 'IPV6_NDISC_NS_OTHERHOST' });
  });

  test('malformed options (zero length) are dropped IPV6_NDISC_BAD_OPTIONS', () => {
    const { net, br0 } = setup();
    const ctx = newCtx();
    ndisc_rcv(net, ipSkb(eth(SNM, H2, 0x86dd, nd('fd00:10::2', 'ff02::1:ff00:1', 135, [...target('fd00:10::1'), 1, 0, 0, 0, 0, 0, 0, 0])), br0), ctx);
    expect(ctx.toRecord()).toMatchObject({ fate: 'dropped', reason: 'IPV6_NDISC_BAD_OPTIONS' });
  });

  test('a DAD NS (source ::) for our address is answered to ff02::1, not solicited, override set, then freed NOT_SPECIFIED', () => {
    const { net, br0 } = setup();
    const ctx = newCtx();
    ndisc_rcv(net, ipSkb(eth(SNM, H2, 0x86dd, nd('::', 'ff02::1:ff00:1', 135, [...target('fd00:10::1')])), br0), ctx);
    const rec = ctx.toRecord();
    // ndisc_recv_ns's DAD branch jumps to `out` with SKB_DR(reason) unchanged: kfree_skb
    // NOT_SPECIFIED after the NA (recorded on 6.18: fixtures/kernel/ipv6-exthdr frame "DAD NS for our address")
    expect(rec).toMatchObject({ fate: 'dropped', reason: 'NOT_SPECIFIED' });
    // ndisc_send_na(dev, all-nodes, target, is_router, solicited=false, override=(ifp != NULL), ...):
    // the recorded NA's flag byte is 0xa0 (router: forwarding on there; override; not solicited)
    const na = ctx.events.find((e) => e.fn === 'ndisc_send_na');
    expect(na?.what).toMatch(/\[flags (router, )?override\]$/);
    expect(rec.replies?.map((r) => r.summary)).toContain('IP6 fd00:10::1 > ff02::1: ICMP6, neighbor advertisement, tgt is fd00:10::1, length 32');
  });

  test('an unsolicited NA for an unknown neighbour changes nothing and is a NOT_SPECIFIED drop', () => {
    const { net, br0 } = setup();
    const ctx = newCtx();
    ndisc_rcv(net, ipSkb(eth('33:33:00:00:00:01', H2, 0x86dd, nd('fd00:10::2', 'ff02::1', 136, [0x20, 0, 0, 0, ...ip6('fd00:10::2'), ...tllao(H2)])), br0), ctx);
    expect(ctx.toRecord()).toMatchObject({ fate: 'dropped', reason: 'NOT_SPECIFIED' });
    expect(net.neigh.lookup(6, ip6('fd00:10::2'), br0, 1000e9)).toBeNull();
  });

  test('a solicited NA for an entry makes it REACHABLE and is consumed', () => {
    const { net, br0 } = setup();
    // an IPv6 packet to fd00:10::2 needs its address: INCOMPLETE, multicast NS (ndisc_solicit)
    const c0 = newCtx(1);
    expect(neigh_resolve(net, 6, ip6('fd00:10::2'), br0, c0)).toBeNull();
    expect(c0.replies[0].summary).toMatch(/^IP6 fe80::\S+ > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has fd00:10::2, length 32$/);
    const ctx = newCtx(2);
    ndisc_rcv(net, ipSkb(eth('02:00:00:00:0b:00', H2, 0x86dd, nd('fd00:10::2', 'fd00:10::1', 136, [0x60, 0, 0, 0, ...ip6('fd00:10::2'), ...tllao(H2)])), br0), ctx);
    expect(ctx.toRecord().fate).toBe('consumed');
    expect(nudName(net.neigh.lookup(6, ip6('fd00:10::2'), br0, 1000e9)!.state)).toBe('REACHABLE');
  });

  test('a solicited NA sent to a multicast address is dropped', () => {
    const { net, br0 } = setup();
    const ctx = newCtx();
    ndisc_rcv(net, ipSkb(eth('33:33:00:00:00:01', H2, 0x86dd, nd('fd00:10::2', 'ff02::1', 136, [0x40, 0, 0, 0, ...ip6('fd00:10::2')])), br0), ctx);
    expect(ctx.toRecord()).toMatchObject({ fate: 'dropped', reason: 'NOT_SPECIFIED' });
  });

  test('an RS to a host that is not a router is a NOT_SPECIFIED drop; a router learns the sender', () => {
    const a = setup();
    const rs = eth('33:33:00:00:00:02', H2, 0x86dd, nd('fe80::2', 'ff02::2', 133, [0, 0, 0, 0, ...sllao(H2)]));
    const c1 = newCtx();
    ndisc_rcv(a.net, ipSkb(rs, a.br0), c1);
    expect(c1.toRecord()).toMatchObject({ fate: 'dropped', reason: 'NOT_SPECIFIED' });
    // sysctl all.forwarding=1 sets every device's too (addrconf_fixup_forwarding); ndisc_recv_rs
    // reads the device's own (idev->cnf.forwarding), as a snapshot taken after it shows
    const b = setup({ 'net.ipv6.conf.all.forwarding': '1', 'net.ipv6.conf.br0.forwarding': '1' });
    const c2 = newCtx();
    ndisc_rcv(b.net, ipSkb(rs, b.br0), c2);
    expect(c2.toRecord().fate).toBe('consumed');
    expect(nudName(b.net.neigh.lookup(6, ip6('fe80::2'), b.br0, 1000e9)!.state)).toBe('STALE');
  });
});

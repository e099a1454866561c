// ndisc_parse_options (net/ipv6/ndisc.c, 6.x) with an option given twice: for the source and target
// link-layer address options `if (ndopts->nd_opt_array[nd_opt->nd_opt_type]) ND_PRINTK(2, warn,
// "%s: duplicated ND6 option found: type=%d\n", ...); else ndopts->nd_opt_array[...] = nd_opt;`:
// the first one counts, the second is only warned about. Host: fixtures/host-samples/bridge (br0
// fd00:10::1/64).
import { describe, expect, test } from 'vitest';
import { ndisc_rcv } from '../../src/kernel/ipv6/ndisc.js';
import { neigh_resolve, nudName } from '../../src/kernel/neigh/neighbour.js';
import { at, eth, ip6, mac, nd, netFor, newCtx, sample, skbOn } from './bridge-helpers.js';

const H2 = '02:00:00:00:0c:02';
const OTHER = '02:00:00:00:0c:99';

function setup() {
  const host = sample('bridge');
  const net = netFor(host);
  at(net, 1000);
  return { net, br0: host.byName.get('br0')! };
}
function ipSkb(frame: Uint8Array, dev: Parameters<typeof skbOn>[1]) {
  const skb = skbOn(frame, dev);
  skb.transport_header = 54;
  return skb;
}
const lladdr = (type: number, m: string) => [type, 1, ...mac(m)];
const hex = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('hex') : String(b));

describe('ndisc_parse_options: a duplicated link-layer address option', () => {
  test('an NS with two source link-layer options: the neighbour learns the first address', () => {
    const { net, br0 } = setup();
    const ctx = newCtx();
    const body = [0, 0, 0, 0, ...ip6('fd00:10::1'), ...lladdr(1, H2), ...lladdr(1, OTHER)];
    ndisc_rcv(net, ipSkb(eth('33:33:ff:00:00:01', H2, 0x86dd, nd('fd00:10::2', 'ff02::1:ff00:1', 135, body)), br0), ctx);
    expect(ctx.toRecord().fate).toBe('consumed');
    expect(hex(net.neigh.lookup(6, ip6('fd00:10::2'), br0, 1000e9)?.ha)).toBe(hex(mac(H2)));
  });
  test('a solicited NA with two target link-layer options: the entry takes the first address', () => {
    const { net, br0 } = setup();
    // an IPv6 packet to fd00:10::2 makes an INCOMPLETE entry (ndisc_solicit)
    expect(neigh_resolve(net, 6, ip6('fd00:10::2'), br0, newCtx(1))).toBeNull();
    const ctx = newCtx(2);
    const body = [0x60, 0, 0, 0, ...ip6('fd00:10::2'), ...lladdr(2, H2), ...lladdr(2, OTHER)];
    ndisc_rcv(net, ipSkb(eth('02:00:00:00:0b:00', H2, 0x86dd, nd('fd00:10::2', 'fd00:10::1', 136, body)), br0), ctx);
    expect(ctx.toRecord().fate).toBe('consumed');
    expect(hex(net.neigh.lookup(6, ip6('fd00:10::2'), br0, 1000e9)?.ha)).toBe(hex(mac(H2)));
  });
  test('an MTU option (type 5, 8 bytes) in an NA is no target address: the INCOMPLETE entry stays so', () => {
    const { net, br0 } = setup();
    expect(neigh_resolve(net, 6, ip6('fd00:10::2'), br0, newCtx(1))).toBeNull();
    const ctx = newCtx(2);
    const body = [0x60, 0, 0, 0, ...ip6('fd00:10::2'), 5, 1, 0, 0, 0, 0, 0x05, 0xdc];
    ndisc_rcv(net, ipSkb(eth('02:00:00:00:0b:00', H2, 0x86dd, nd('fd00:10::2', 'fd00:10::1', 136, body)), br0), ctx);
    // ndisc_recv_na: lladdr only from ndopts.nd_opts_tgt_lladdr; neigh_update of an entry that has
    // no address with none given: `if (!lladdr) goto out` for a device with an address: unchanged
    const n = net.neigh.lookup(6, ip6('fd00:10::2'), br0, 1000e9)!;
    expect(nudName(n.state)).toBe('INCOMPLETE');
    expect(n.ha).toBeNull();
  });
});

describe('ndisc_recv_ns: proxy NDP (pneigh entries, `ip neigh add proxy ADDR dev DEV`)', () => {
  // `if (ipv6_chk_acast_addr(net, dev, &msg->target) || (READ_ONCE(idev->cnf.forwarding) &&
  // (READ_ONCE(net->ipv6.devconf_all->proxy_ndp) || READ_ONCE(idev->cnf.proxy_ndp)) &&
  // (pneigh = pneigh_lookup(&nd_tbl, net, &msg->target, dev, 0)) != NULL))`: answered for the
  // proxied address (is_router from the pneigh entry's flags); without forwarding or proxy_ndp, not
  // an address of ours: IPV6_NDISC_NS_OTHERHOST
  function proxyHost(sysctls: Record<string, string>) {
    const host = sample('bridge');
    for (const [k, v] of Object.entries(sysctls)) host.sysctls.raw.set(k, v);
    host.neigh.push({ family: 6, dst: ip6('fd00:10::99'), dstStr: 'fd00:10::99', dev: 'br0', lladdr: null, lladdrStr: null, state: ['PROXY'] });
    const net = netFor(host);
    at(net, 1000);
    return { net, br0: host.byName.get('br0')! };
  }
  // a unicast NS (PACKET_HOST, so no proxy_delay) for the proxied address, with the asker's address
  const ns = () => eth('02:00:00:00:0b:00', H2, 0x86dd, nd('fd00:10::2', 'fd00:10::1', 135, [0, 0, 0, 0, ...ip6('fd00:10::99'), ...lladdr(1, H2)]));
  const on = { 'net.ipv6.conf.all.forwarding': '1', 'net.ipv6.conf.br0.forwarding': '1' };
  test('forwarding and all.proxy_ndp: an NA for fd00:10::99 from the host (fd00:10::1, no option: the NS was unicast)', () => {
    const { net, br0 } = proxyHost({ ...on, 'net.ipv6.conf.all.proxy_ndp': '1' });
    const ctx = newCtx();
    ndisc_rcv(net, ipSkb(ns(), br0), ctx);
    const rec = ctx.toRecord();
    expect(rec.fate).toBe('consumed');
    expect(rec.replies?.map((r) => r.summary)).toEqual(['IP6 fd00:10::1 > fd00:10::2: ICMP6, neighbor advertisement, tgt is fd00:10::99, length 24']);
  });
  test('the device\'s own proxy_ndp is enough', () => {
    const { net, br0 } = proxyHost({ ...on, 'net.ipv6.conf.br0.proxy_ndp': '1' });
    const ctx = newCtx();
    ndisc_rcv(net, ipSkb(ns(), br0), ctx);
    expect(ctx.toRecord().fate).toBe('consumed');
  });
  test('proxy_ndp off, or forwarding off: not ours, IPV6_NDISC_NS_OTHERHOST', () => {
    for (const s of [on, { 'net.ipv6.conf.all.proxy_ndp': '1' }]) {
      const { net, br0 } = proxyHost(s);
      const ctx = newCtx();
      ndisc_rcv(net, ipSkb(ns(), br0), ctx);
      expect(ctx.toRecord()).toMatchObject({ fate: 'dropped', reason: 'IPV6_NDISC_NS_OTHERHOST' });
    }
  });
});

describe('ndisc_recv_ns: what the drop step says', () => {
  test('malformed options (a zero-length option): freed by ndisc_recv_ns\'s reason, the step says why', () => {
    const { net, br0 } = setup();
    const ctx = newCtx();
    ndisc_rcv(net, ipSkb(eth('33:33:ff:00:00:01', H2, 0x86dd, nd('fd00:10::2', 'ff02::1:ff00:1', 135, [0, 0, 0, 0, ...ip6('fd00:10::1'), 1, 0, 0, 0, 0, 0, 0, 0])), br0), ctx);
    const drop = ctx.events.find((e) => e.what === 'drop IPV6_NDISC_BAD_OPTIONS');
    expect(drop?.fn).toBe('ndisc_recv_ns');
    expect(drop?.dev).toBe('br0');
    expect(String((drop?.detail as { why?: string } | undefined)?.why)).toMatch(/malformed ND options/);
  });
  // ndisc_recv_ns, IFA_F_TENTATIVE: `if (dad) { ... addrconf_dad_failure(skb, ifp); return; }` (a DAD
  // collision changes the address's state, which the model does not follow: reported), else `goto out`
  test('an NS for a tentative address: a DAD one is a collision (reported unsupported), another is ignored', () => {
    const host = sample('bridge');
    host.byName.get('br0')!.addrs.find((x) => x.localStr === 'fd00:10::1')!.tentative = true;
    const net = netFor(host);
    at(net, 1000);
    const br0 = host.byName.get('br0')!;
    const ns = (src: string) => eth('33:33:ff:00:00:01', H2, 0x86dd, nd(src, 'ff02::1:ff00:1', 135, [0, 0, 0, 0, ...ip6('fd00:10::1'), ...(src === '::' ? [] : lladdr(1, H2))]));
    const dad = newCtx();
    ndisc_rcv(net, ipSkb(ns('::'), br0), dad);
    expect(dad.toRecord().unsupported?.join(' ')).toMatch(/addrconf_dad_failure/);
    expect(String((dad.events.find((e) => e.what === 'drop NOT_SPECIFIED')?.detail as { why?: string }).why)).toMatch(/fd00:10::1: DAD collision/);
    const other = newCtx();
    ndisc_rcv(net, ipSkb(ns('fd00:10::2'), br0), other);
    expect(other.toRecord().unsupported).toBeUndefined();
    expect(String((other.events.find((e) => e.what === 'drop NOT_SPECIFIED')?.detail as { why?: string }).why)).toMatch(/fd00:10::1: ignored/);
  });
});

// NAT edges the kernel fixtures do not reach (found by mutation testing, issue 17). Expected
// values come from the kernel source, cited by function: nf_nat_redirect.c (nf_nat_redirect_ipv4 /
// _ipv6), nf_nat_masquerade.c (nf_nat_masquerade_ipv4 -> inet_select_addr, net/ipv4/devinet.c),
// nf_nat_core.c (nf_nat_l4proto_unique_tuple) and nf_nat_proto.c (udp_manip_pkt).
import { describe, expect, it } from 'vitest';
import { NFPROTO_IPV4, NFPROTO_IPV6, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING, NF_INET_PRE_ROUTING } from '../../src/kernel/netfilter/hook.js';
import { inetSelectAddrUniverse } from '../../src/kernel/netfilter/nf_nat.js';
import { formatIPv6, parseIPv4, parseIPv6 } from '../../src/kernel/netfilter/ir.js';
import { csumFold, csumFold16, csumPartial, csumTcpudpNofold, ipFastCsum, l4CsumV4, l4CsumV6 } from '../../src/packet/checksum.js';
import { fillL4ChecksumV6, writeEthHdr, writeIcmpHdr, writeIpv6Hdr } from '../../src/packet/build.js';
import type { NetDevice } from '../../src/host/types.js';
import { CHECKSUM_PARTIAL, SkBuff } from '../../src/kernel/skbuff.js';
import { dev, host, hooks, run, skb4, skb6 } from './helpers.js';

function addrs(skb: SkBuff): string {
  const d = skb.data;
  const ip = (o: number) => `${d[o]}.${d[o + 1]}.${d[o + 2]}.${d[o + 3]}`;
  const port = (o: number) => (d[o]! << 8) | d[o + 1]!;
  return `${ip(26)}:${port(34)} > ${ip(30)}:${port(36)}`;
}
const setup = (r: { events: { fn: string; what: string }[] }) => r.events.filter((e) => e.fn === 'nf_nat_setup_info').map((e) => e.what);
const nat = (hook: string, stmt: string, fam = 'ip') => `table ${fam} nat {\n\tchain c {\n\t\ttype nat hook ${hook} priority ${hook === 'postrouting' ? 'srcnat' : 'dstnat'}; policy accept;\n\t\t${stmt}\n\t}\n}\n`;
/** a device's addresses with the scope (and secondary flag) `ip addr` would show */
function scoped(d: NetDevice, scopes: (string | [string, boolean])[]): NetDevice {
  d.addrs.forEach((a, i) => {
    const s = scopes[i];
    if (Array.isArray(s)) [a.scope, a.secondary] = s;
    else if (s) a.scope = s;
  });
  return d;
}

describe('redirect (nf_nat_redirect_ipv4 / _ipv6)', () => {
  it('at prerouting: the first IPv4 address of the in device (ifa_list), with the port of the statement', () => {
    const h = host({ nft: nat('prerouting', 'tcp dport 80 redirect to :8080') }, [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['fd00::1/64', '10.0.0.7/24', '10.0.0.9/24'])]);
    const nf = hooks(h);
    const syn = skb4({ src: '10.0.0.2', dst: '198.51.100.1', proto: 'tcp', sport: 40000, dport: 80, flags: 'S' });
    const r = run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, syn, h, 'eth0');
    expect(setup(r)).toEqual(['redirect to 10.0.0.7:8080']);
    expect(addrs(syn)).toBe('10.0.0.2:40000 > 10.0.0.7:8080');
  });

  it('at prerouting on a device without an IPv4 address: NF_DROP', () => {
    const h = host({ nft: nat('prerouting', 'tcp dport 80 redirect') }, [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['fd00::1/64'])]);
    const nf = hooks(h);
    const r = run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, skb4({ src: '10.0.0.2', dst: '198.51.100.1', proto: 'tcp', sport: 40000, dport: 80, flags: 'S' }), h, 'eth0');
    expect(r.verdict).toBe('drop');
    expect(setup(r)).toEqual(['redirect: no address on the in device (packet dropped)']);
  });

  it('at output (locally generated): loopback, 127.0.0.1 and ::1', () => {
    const h = host({ nft: nat('output', 'tcp dport 80 redirect to :8080', 'inet') });
    const nf = hooks(h);
    const syn = skb4({ src: '10.0.0.1', dst: '198.51.100.1', proto: 'tcp', sport: 40000, dport: 80, flags: 'S' });
    expect(setup(run(nf, NFPROTO_IPV4, NF_INET_LOCAL_OUT, syn, h, undefined, 'eth0'))).toEqual(['redirect to 127.0.0.1:8080']);
    expect(addrs(syn)).toBe('10.0.0.1:40000 > 127.0.0.1:8080');
    const syn6 = skb6({ src: 'fd00::1', dst: '2001:db8::5', proto: 'tcp', sport: 40000, dport: 80 });
    expect(setup(run(nf, NFPROTO_IPV6, NF_INET_LOCAL_OUT, syn6, h, undefined, 'eth0'))).toEqual(['redirect to ::1:8080']);
    expect(l4CsumV6(syn6.data, 14, 54, 20, 6)).toBe(0);
  });

  it('at prerouting, IPv6: the in device\'s IPv6 address, not its IPv4 one', () => {
    const h = host({ nft: nat('prerouting', 'tcp dport 80 redirect', 'ip6') }, [dev(1, 'lo', ['::1/128'], 'loopback'), dev(2, 'eth0', ['10.0.0.1/24', 'fd00::1/64'])]);
    const nf = hooks(h);
    const syn6 = skb6({ src: 'fd00::2', dst: '2001:db8::5', proto: 'tcp', sport: 40000, dport: 80 });
    expect(setup(run(nf, NFPROTO_IPV6, NF_INET_PRE_ROUTING, syn6, h, 'eth0'))).toEqual(['redirect to fd00::1:80']);
    expect(l4CsumV6(syn6.data, 14, 54, 20, 6)).toBe(0);
  });
});

describe('masquerade source selection', () => {
  it('inet_select_addr without an address on the out device: the first primary global IPv4 address, devices in ifindex order', () => {
    // devinet.c inet_select_addr, no_in_dev: for_each_netdev -> in_dev_select_addr, which skips
    // IFA_F_SECONDARY and any scope above RT_SCOPE_UNIVERSE (lo's 127.0.0.1 is host scope)
    const out = dev(5, 'veth5', []);
    const devices = [
      dev(9, 'eth9', ['198.51.100.1/24']),
      scoped(dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), ['host']),
      scoped(dev(2, 'eth0', ['10.9.9.9/24', 'fd00::1/64', '10.0.0.1/24']), [['global', true]]),
      out,
    ];
    expect(inetSelectAddrUniverse(out, parseIPv4('203.0.113.9')!, devices)).toBe(parseIPv4('10.0.0.1'));
    // nothing global anywhere: 0 (nf_nat_masquerade_ipv4 then drops: "ate my IP address")
    expect(inetSelectAddrUniverse(out, parseIPv4('203.0.113.9')!, [scoped(dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), ['host']), out])).toBe(0);
  });

  it('masquerade with no usable source address drops the packet', () => {
    const devices = [scoped(dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), ['host']), dev(2, 'eth0', []), dev(3, 'eth1', [])];
    const h = host({ nft: nat('postrouting', 'masquerade') }, devices);
    const nf = hooks(h);
    const u = skb4({ src: '10.0.0.2', dst: '198.51.100.9', proto: 'udp', sport: 5555, dport: 53 });
    run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, u, h, 'eth0');
    const r = run(nf, NFPROTO_IPV4, NF_INET_POST_ROUTING, u, h, undefined, 'eth1');
    expect(r.verdict).toBe('drop');
    expect(setup(r)).toEqual(['masquerade: no address on the out device']);
  });

  it('IPv6: a global address of the out device before a link-local one listed first; the link-local one when it is all', () => {
    // nf_nat_masquerade_ipv6 -> ipv6_dev_get_saddr: for a global destination, RFC 6724 rule 2
    // (appropriate scope) prefers the global source; a lone link-local address is still a candidate
    const run6 = (addrs6: string[], scopes: string[]) => {
      const h = host({ nft: nat('postrouting', 'oifname "eth1" masquerade', 'ip6') }, [dev(1, 'lo', ['::1/128'], 'loopback'), dev(2, 'eth0', ['fd00:1::1/64']), scoped(dev(3, 'eth1', addrs6), scopes)]);
      const nf = hooks(h);
      const u = skb6({ src: 'fd00:1::2', dst: '2001:db8:ffff::9', proto: 'udp', sport: 5353, dport: 53 });
      run(nf, NFPROTO_IPV6, NF_INET_PRE_ROUTING, u, h, 'eth0');
      const r = run(nf, NFPROTO_IPV6, NF_INET_POST_ROUTING, u, h, undefined, 'eth1');
      return [r.verdict, ...setup(r)];
    };
    expect(run6(['fe80::1/64', '2001:db8::1/64'], ['link', 'global'])).toEqual(['accept', 'masquerade to 2001:db8::1:5353']);
    expect(run6(['fe80::1/64'], ['link'])).toEqual(['accept', 'masquerade to fe80::1:5353']);
    expect(run6(['10.0.3.1/24'], [])).toEqual(['drop', 'masquerade: no address on the out device']);
  });
});

describe('what the frame says the model guessed (nf_nat_l4proto_unique_tuple, find_best_ips_proto)', () => {
  const devices = [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['10.0.1.1/24']), dev(3, 'eth1', ['203.0.113.1/24'])];
  const snat = (to: string, sport: number) => {
    const h = host({ nft: nat('postrouting', `meta l4proto udp snat to ${to}`) }, devices);
    const nf = hooks(h);
    const u = skb4({ src: '10.0.1.2', dst: '198.51.100.9', proto: 'udp', sport, dport: 53 });
    run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, u, h, 'eth0');
    const r = run(nf, NFPROTO_IPV4, NF_INET_POST_ROUTING, u, h, undefined, 'eth1');
    return [addrs(u), r.unsupported ?? []];
  };
  it('a port range: the source port kept at either end (in range), no guess; outside, a guess', () => {
    expect(snat('203.0.113.1:1000-1002', 1000)).toEqual(['203.0.113.1:1000 > 198.51.100.9:53', []]);
    expect(snat('203.0.113.1:1000-1002', 1002)).toEqual(['203.0.113.1:1002 > 198.51.100.9:53', []]);
    expect(snat('203.0.113.1:1000-1002', 999)).toEqual(['203.0.113.1:1000 > 198.51.100.9:53', ["nat: port chosen from 1000-1002 by the kernel's hash; the model took 1000"]]);
  });
  it('a single port: range size 1, the only choice, nothing guessed', () => {
    expect(snat('203.0.113.1:2000', 40000)).toEqual(['203.0.113.1:2000 > 198.51.100.9:53', []]);
  });
  it('an address range is a guess; a single address is not', () => {
    expect(snat('203.0.113.1-203.0.113.5', 40000)).toEqual(['203.0.113.1:40000 > 198.51.100.9:53', ['nat: address chosen from a range by the kernel\'s hash (find_best_ips_proto); the model took the first']]);
    expect(snat('203.0.113.7', 40000)).toEqual(['203.0.113.7:40000 > 198.51.100.9:53', []]);
  });
});

describe('udp_manip_pkt: a UDP datagram sent without a checksum keeps none', () => {
  it('DNAT of address and port leaves the zero checksum, and nothing else than the header fields changes', () => {
    // udp_manip_pkt: "if (udph->check || skb->ip_summed == CHECKSUM_PARTIAL)" guards the update
    const h = host({ nft: nat('prerouting', 'udp dport 5353 dnat to 10.0.1.10:53') }, [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['10.0.1.1/24']), dev(3, 'eth1', ['203.0.113.1/24'])]);
    const nf = hooks(h);
    const u = skb4({ src: '198.51.100.9', dst: '203.0.113.1', proto: 'udp', sport: 4000, dport: 5353, payload: 4 });
    u.data[40] = u.data[41] = 0; // no checksum
    const before = Array.from(u.data);
    run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, u, h, 'eth1');
    expect(addrs(u)).toBe('198.51.100.9:4000 > 10.0.1.10:53');
    const after = Array.from(u.data.subarray(0, before.length));
    // changed: the IP checksum (24-25), the destination address (30-33) and port (36-37); the UDP
    // checksum (40-41) stays 0
    const changed = after.map((b, i) => (b !== before[i] ? i : -1)).filter((i) => i >= 0);
    expect(changed).toEqual([24, 25, 30, 32, 33, 36, 37]); // 203.0.113.1 -> 10.0.1.10: byte 31 stays 0
    expect([after[40], after[41]]).toEqual([0, 0]);
  });
});

describe('IPv6 NAT rewrites (nf_nat_ipv6_manip_pkt)', () => {
  // no IPv6 header checksum; the L4 checksum covers the pseudo-header addresses (TCP at +16, UDP at
  // +6, ICMPv6 at +2): checked here by recomputing it (packet/checksum), not with the NAT code
  const devices = () => [dev(1, 'lo', ['::1/128'], 'loopback'), dev(2, 'eth0', ['fd00:1::1/64']), dev(3, 'eth1', ['2001:db8::1/64'])];
  const v6 = (skb: SkBuff) => {
    const d = skb.data;
    const a = (o: number) => formatIPv6(String.fromCharCode(...d.subarray(o, o + 16)));
    return `${a(22)} > ${a(38)}`;
  };
  const diffs = (r: { events: { fn: string; diff?: unknown }[] }) => r.events.filter((e) => e.fn === 'nf_nat_packet').map((e) => e.diff);

  it('DNAT of a TCP SYN: address and port, checksum valid; its reply gets the source back', () => {
    const h = host({ nft: nat('prerouting', 'tcp dport 8080 dnat to [fd00:1::10]:80', 'ip6') }, devices());
    const nf = hooks(h);
    const syn = skb6({ src: '2001:db8::50', dst: '2001:db8::1', proto: 'tcp', sport: 40000, dport: 8080 });
    const r = run(nf, NFPROTO_IPV6, NF_INET_PRE_ROUTING, syn, h, 'eth1');
    expect(diffs(r)).toEqual([{ 'ip6.daddr': ['2001:db8::1', 'fd00:1::10'], dport: [8080, 80] }]);
    expect(v6(syn)).toBe('2001:db8::50 > fd00:1::10');
    expect(l4CsumV6(syn.data, 14, 54, 20, 6)).toBe(0);
    run(nf, NFPROTO_IPV6, NF_INET_POST_ROUTING, syn, h, undefined, 'eth0');
    const synack = skb6({ src: 'fd00:1::10', dst: '2001:db8::50', proto: 'tcp', sport: 80, dport: 40000, flags: 'SA' });
    run(nf, NFPROTO_IPV6, NF_INET_PRE_ROUTING, synack, h, 'eth0');
    const back = run(nf, NFPROTO_IPV6, NF_INET_POST_ROUTING, synack, h, undefined, 'eth1');
    expect(diffs(back)).toEqual([{ 'ip6.saddr': ['fd00:1::10', '2001:db8::1'], sport: [80, 8080] }]);
    expect(l4CsumV6(synack.data, 14, 54, 20, 6)).toBe(0);
  });

  it('DNAT to the same address, another port: only the port changes', () => {
    const h = host({ nft: nat('prerouting', 'udp dport 5353 dnat to [2001:db8::1]:53', 'ip6') }, devices());
    const nf = hooks(h);
    const u = skb6({ src: '2001:db8::50', dst: '2001:db8::1', proto: 'udp', sport: 4000, dport: 5353 });
    const r = run(nf, NFPROTO_IPV6, NF_INET_PRE_ROUTING, u, h, 'eth1');
    expect(diffs(r)).toEqual([{ dport: [5353, 53] }]);
    expect(l4CsumV6(u.data, 14, 54, 8, 17)).toBe(0);
  });

  it('SNAT of an ICMPv6 echo request: the address only, the ICMPv6 checksum follows', () => {
    const h = host({ nft: nat('postrouting', 'oifname "eth1" snat to 2001:db8::1', 'ip6') }, devices());
    const nf = hooks(h);
    const len = 14 + 40 + 8;
    const b = new Uint8Array(len);
    const s = Uint8Array.from(parseIPv6('fd00:1::2')!, (c) => c.charCodeAt(0)), t = Uint8Array.from(parseIPv6('2001:db8:ffff::9')!, (c) => c.charCodeAt(0));
    writeEthHdr(b, 0, new Uint8Array(6), 0, new Uint8Array(6), 0, 0x86dd);
    writeIpv6Hdr(b, 14, 0, 0, 8, 58, 64, s, 0, t, 0);
    writeIcmpHdr(b, 54, 128, 0, (7 << 16) | 1);
    fillL4ChecksumV6(b, 14, 54, 8, 58);
    const skb = new SkBuff(b, len);
    skb.mac_header = 0;
    skb.network_header = 14;
    skb.transport_header = 54;
    skb.protocol = 0x86dd;
    skb.tstampSec = 1_800_000_000;
    run(nf, NFPROTO_IPV6, NF_INET_PRE_ROUTING, skb, h, 'eth0');
    const r = run(nf, NFPROTO_IPV6, NF_INET_POST_ROUTING, skb, h, undefined, 'eth1');
    expect(diffs(r)).toEqual([{ 'ip6.saddr': ['fd00:1::2', '2001:db8::1'] }]);
    expect(v6(skb)).toBe('2001:db8::1 > 2001:db8:ffff::9');
    expect(l4CsumV6(skb.data, 14, 54, 8, 58)).toBe(0);
    // the echo id (bytes 58-59) is not a port: left as it was
    expect([skb.data[58], skb.data[59]]).toEqual([0, 7]);
  });
});

describe('ICMP errors of a DNATed connection (nf_nat_icmp_reply_translation)', () => {
  // dnat 203.0.113.1:8080 -> 10.0.1.10:80; the inside host answers the client's SYN with a port
  // unreachable quoting 203.0.113.50:40000 > 10.0.1.10:80. On the way out (POSTROUTING, SRC manip
  // of a reply) the quoted packet gets the original destination back (nf_nat_ipv4_manip_pkt on the
  // inner header with !manip) and the outer source becomes 203.0.113.1; every checksum stays valid
  // (checked by recomputing them: ICMP over the whole message, the quoted IP header, and the quoted
  // TCP segment when it is quoted whole).
  const RULES = nat('prerouting', 'iif "eth1" tcp dport 8080 dnat to 10.0.1.10:80');
  const devices = () => [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['10.0.1.1/24']), dev(3, 'eth1', ['203.0.113.1/24'])];
  const ip = (d: Uint8Array, o: number) => `${d[o]}.${d[o + 1]}.${d[o + 2]}.${d[o + 3]}`;
  const u32 = (d: Uint8Array, o: number) => ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;

  function error(quoteTcp: number) {
    const h = host({ nft: RULES }, devices());
    const nf = hooks(h);
    const syn = skb4({ src: '203.0.113.50', dst: '203.0.113.1', proto: 'tcp', sport: 40000, dport: 8080, flags: 'S' });
    run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, syn, h, 'eth1');
    run(nf, NFPROTO_IPV4, NF_INET_POST_ROUTING, syn, h, undefined, 'eth0');
    // the quote: the SYN as the inside host got it (after DNAT), IP header + quoteTcp bytes of TCP
    const quoted = syn.data.slice(14, 14 + 20 + quoteTcp);
    const err = skb4({ src: '10.0.1.10', dst: '203.0.113.50', proto: 'icmp', type: 3, code: 3, inner: quoted });
    run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, err, h, 'eth0');
    const r = run(nf, NFPROTO_IPV4, NF_INET_POST_ROUTING, err, h, undefined, 'eth1');
    return { err, r };
  }

  it('a whole quoted TCP header: translated back, its checksum updated', () => {
    const { err, r } = error(20);
    const d = err.data;
    const inh = 14 + 20 + 8, il4 = inh + 20;
    expect(r.events.filter((e) => e.fn === 'nf_nat_icmp_reply_translation').map((e) => e.diff)).toEqual([
      { 'inner.dport': [80, 8080], 'inner.daddr': ['10.0.1.10', '203.0.113.1'], 'ip.saddr': ['10.0.1.10', '203.0.113.1'] },
    ]);
    expect(`${ip(d, 26)} > ${ip(d, 30)}`).toBe('203.0.113.1 > 203.0.113.50');
    expect(`${ip(d, inh + 12)}:${(d[il4]! << 8) | d[il4 + 1]!} > ${ip(d, inh + 16)}:${(d[il4 + 2]! << 8) | d[il4 + 3]!}`).toBe('203.0.113.50:40000 > 203.0.113.1:8080');
    expect(ipFastCsum(d, 14, 5)).toBe(0);
    expect(csumFold(csumPartial(d, 34, err.tail - 34, 0))).toBe(0);
    expect(ipFastCsum(d, inh, 5)).toBe(0);
    expect(l4CsumV4(d, il4, 20, 6, u32(d, inh + 12), u32(d, inh + 16))).toBe(0);
  });

  it('only 8 bytes of TCP quoted: ports translated, no checksum field to touch, the ICMP checksum still valid', () => {
    const { err } = error(8);
    const d = err.data;
    const inh = 14 + 20 + 8, il4 = inh + 20;
    expect(err.tail).toBe(il4 + 8);
    expect(`${ip(d, inh + 16)}:${(d[il4 + 2]! << 8) | d[il4 + 3]!}`).toBe('203.0.113.1:8080');
    // the sequence number (il4 + 4 .. + 7) is what the SYN had: 1000
    expect(u32(d, il4 + 4)).toBe(1000);
    expect(csumFold(csumPartial(d, 34, err.tail - 34, 0))).toBe(0);
    expect(ipFastCsum(d, inh, 5)).toBe(0);
  });
});

describe('NAT of a segment whose checksum is left to the NIC (CHECKSUM_PARTIAL)', () => {
  // The field holds the pseudo-header sum, not complemented (~csum_tcpudp_magic(saddr, daddr, len,
  // proto, 0)). inet_proto_csum_replace4 updates it for an address (pseudohdr true, no complement);
  // inet_proto_csum_replace2 leaves it for a port (pseudohdr false: ports are not in the
  // pseudo-header). So after NAT it must be the pseudo-header sum of the new addresses, computed
  // here from scratch.
  const devices = () => [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['10.0.1.1/24']), dev(3, 'eth1', ['203.0.113.1/24'])];
  const u32 = (d: Uint8Array, o: number) => ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
  const partial = (pk: Parameters<typeof skb4>[0], proto: number, l4len: number) => {
    const skb = skb4(pk);
    const d = skb.data, c = 34 + (proto === 6 ? 16 : 6);
    const sum = csumFold16(csumTcpudpNofold(u32(d, 26), u32(d, 30), l4len, proto, 0));
    d[c] = sum >> 8;
    d[c + 1] = sum & 255;
    skb.ip_summed = CHECKSUM_PARTIAL;
    return skb;
  };
  const field = (skb: SkBuff, proto: number) => (skb.data[34 + (proto === 6 ? 16 : 6)]! << 8) | skb.data[35 + (proto === 6 ? 16 : 6)]!;
  const pseudo = (skb: SkBuff, proto: number, l4len: number) => csumFold16(csumTcpudpNofold(u32(skb.data, 26), u32(skb.data, 30), l4len, proto, 0));

  it('SNAT (masquerade) of a TCP SYN and DNAT with a port change: the field is the new pseudo-header sum', () => {
    const h = host({ nft: nat('postrouting', 'oif "eth1" masquerade') + nat('prerouting', 'tcp dport 8080 dnat to 10.0.1.10:80').replace('table ip nat', 'table ip nat2') }, devices());
    const nf = hooks(h);
    const syn = partial({ src: '10.0.1.2', dst: '198.51.100.9', proto: 'tcp', sport: 40000, dport: 443, flags: 'S' }, 6, 20);
    run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, syn, h, 'eth0');
    run(nf, NFPROTO_IPV4, NF_INET_POST_ROUTING, syn, h, undefined, 'eth1');
    expect(addrs(syn)).toBe('203.0.113.1:40000 > 198.51.100.9:443');
    expect(field(syn, 6)).toBe(pseudo(syn, 6, 20));
    const d = partial({ src: '198.51.100.9', dst: '203.0.113.1', proto: 'tcp', sport: 50000, dport: 8080, flags: 'S' }, 6, 20);
    run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, d, h, 'eth1');
    expect(addrs(d)).toBe('198.51.100.9:50000 > 10.0.1.10:80');
    expect(field(d, 6)).toBe(pseudo(d, 6, 20));
  });

  it('a UDP datagram: the same, and a zero field is updated too (udp_manip_pkt: "udph->check || CHECKSUM_PARTIAL")', () => {
    const h = host({ nft: nat('prerouting', 'udp dport 5353 dnat to 10.0.1.10:53') }, devices());
    const nf = hooks(h);
    const u = partial({ src: '198.51.100.9', dst: '203.0.113.1', proto: 'udp', sport: 4000, dport: 5353, payload: 4 }, 17, 12);
    run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, u, h, 'eth1');
    expect(addrs(u)).toBe('198.51.100.9:4000 > 10.0.1.10:53');
    expect(field(u, 17)).toBe(pseudo(u, 17, 12));
  });
});

describe('masquerade: inet_select_addr on the out device', () => {
  // devinet.c inet_select_addr(dev, dst, RT_SCOPE_UNIVERSE): primary addresses only, scope global,
  // the first in dst's subnet, else the first of them; dst is the route's nexthop (rt_nexthop:
  // the gateway when there is one), as nf_nat_masquerade_ipv4 passes it
  const out = () => scoped(dev(3, 'eth1', ['2001:db8::1/64', '192.0.2.77/24', '192.0.2.5/24', '198.51.100.2/24', '203.0.113.2/24', '198.51.100.5/24']), ['global', ['global', true], 'link', 'global', 'global', 'global']);
  const devs = () => [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['10.0.1.1/24']), out()];
  it('the first primary global address in the destination\'s subnet; else the first primary global one', () => {
    const o = out();
    expect(inetSelectAddrUniverse(o, parseIPv4('203.0.113.9')!, devs())).toBe(parseIPv4('203.0.113.2'));
    expect(inetSelectAddrUniverse(o, parseIPv4('192.0.2.9')!, devs())).toBe(parseIPv4('198.51.100.2'));
    expect(inetSelectAddrUniverse(o, parseIPv4('8.8.8.8')!, devs())).toBe(parseIPv4('198.51.100.2'));
    // a /0 address matches every destination, so it wins over a primary one listed before it
    expect(inetSelectAddrUniverse(dev(4, 'w', ['198.51.100.2/24', '100.64.0.1/0']), parseIPv4('8.8.8.8')!, [])).toBe(parseIPv4('100.64.0.1'));
  });
  it('the subnet is matched against the route\'s gateway, not the packet\'s destination', () => {
    const h = host({ nft: nat('postrouting', 'oif "eth1" masquerade') }, devs());
    const nf = hooks(h);
    let sport = 5555;
    const via = (gw: string | null) => {
      const u = skb4({ src: '10.0.1.2', dst: '8.8.8.8', proto: 'udp', sport: sport++, dport: 53 });
      run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, u, h, 'eth0');
      u.dst = gw ? { gw: parseIPv4(gw) } : { gw: 0 };
      run(nf, NFPROTO_IPV4, NF_INET_POST_ROUTING, u, h, undefined, 'eth1');
      return addrs(u);
    };
    expect(via('203.0.113.254')).toBe('203.0.113.2:5555 > 8.8.8.8:53');
    // on-link (no gateway): the destination itself, in no subnet of eth1 -> the first primary global
    expect(via(null)).toBe('198.51.100.2:5556 > 8.8.8.8:53');
  });
});

describe('NAT of an ICMP echo (IPv4): the address only, the ICMP header untouched', () => {
  it('SNAT of a ping: the source address changes; type, code, checksum and id stay (ICMP has no pseudo-header)', () => {
    // nf_nat_ipv4_manip_pkt -> icmp_manip_pkt would rewrite the id only for a mapped id range; the
    // ICMP checksum does not cover the IP addresses
    const h = host({ nft: nat('postrouting', 'oif "eth1" snat to 203.0.113.1') }, [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['10.0.1.1/24']), dev(3, 'eth1', ['203.0.113.1/24'])]);
    const nf = hooks(h);
    const echo = skb4({ src: '10.0.1.2', dst: '198.51.100.9', proto: 'icmp', type: 8, id: 7 });
    const icmpBefore = Array.from(echo.data.subarray(34, 42)), ethBefore = Array.from(echo.data.subarray(0, 14));
    run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, echo, h, 'eth0');
    const r = run(nf, NFPROTO_IPV4, NF_INET_POST_ROUTING, echo, h, undefined, 'eth1');
    expect(setup(r)).toEqual(['snat to 203.0.113.1']); // no port: ICMP has none
    expect(r.events.filter((e) => e.fn === 'nf_nat_packet').map((e) => e.diff)).toEqual([{ 'ip.saddr': ['10.0.1.2', '203.0.113.1'] }]);
    expect(Array.from(echo.data.subarray(34, 42))).toEqual(icmpBefore);
    expect(Array.from(echo.data.subarray(0, 14))).toEqual(ethBefore);
    expect(ipFastCsum(echo.data, 14, 5)).toBe(0);
  });
});

describe('ICMP errors of a masqueraded UDP flow (nf_nat_icmp_reply_translation, the other manip)', () => {
  // 10.0.1.2:5555 -> 198.51.100.9:53 masqueraded to 203.0.113.1:5555 (here snat to :6000 so the port
  // changes too). The remote's port unreachable quotes 203.0.113.1:6000 > 198.51.100.9:53 and comes
  // in at PREROUTING: DST manip of a reply; the quoted packet gets its source back (10.0.1.2:5555),
  // the outer destination becomes 10.0.1.2; checksums recomputed here to check.
  const h = () => host({ nft: nat('postrouting', 'oif "eth1" meta l4proto udp snat to 203.0.113.1:6000') }, [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['10.0.1.1/24']), dev(3, 'eth1', ['203.0.113.1/24'])]);
  const ip = (d: Uint8Array, o: number) => `${d[o]}.${d[o + 1]}.${d[o + 2]}.${d[o + 3]}`;
  const u32 = (d: Uint8Array, o: number) => ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
  function error(zeroCsum: boolean) {
    const hh = h();
    const nf = hooks(hh);
    const u = skb4({ src: '10.0.1.2', dst: '198.51.100.9', proto: 'udp', sport: 5555, dport: 53, payload: 4 });
    if (zeroCsum) u.data[40] = u.data[41] = 0;
    run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, u, hh, 'eth0');
    run(nf, NFPROTO_IPV4, NF_INET_POST_ROUTING, u, hh, undefined, 'eth1');
    const quoted = u.data.slice(14, 14 + 20 + 12);
    const err = skb4({ src: '198.51.100.9', dst: '203.0.113.1', proto: 'icmp', type: 3, code: 3, inner: quoted });
    const r = run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, err, hh, 'eth1');
    return { d: err.data, end: err.tail, r };
  }
  it('the quoted datagram gets its source back, its UDP checksum still valid', () => {
    const { d, end, r } = error(false);
    const inh = 42, il4 = 62;
    expect(r.events.filter((e) => e.fn === 'nf_nat_icmp_reply_translation').map((e) => e.diff)).toEqual([
      { 'inner.sport': [6000, 5555], 'inner.saddr': ['203.0.113.1', '10.0.1.2'], 'ip.daddr': ['203.0.113.1', '10.0.1.2'] },
    ]);
    expect(`${ip(d, 26)} > ${ip(d, 30)}`).toBe('198.51.100.9 > 10.0.1.2');
    expect(`${ip(d, inh + 12)}:${(d[il4]! << 8) | d[il4 + 1]!} > ${ip(d, inh + 16)}:${(d[il4 + 2]! << 8) | d[il4 + 3]!}`).toBe('10.0.1.2:5555 > 198.51.100.9:53');
    expect(ipFastCsum(d, 14, 5)).toBe(0);
    expect(ipFastCsum(d, inh, 5)).toBe(0);
    expect(csumFold(csumPartial(d, 34, end - 34, 0))).toBe(0);
    expect(l4CsumV4(d, il4, 12, 17, u32(d, inh + 12), u32(d, inh + 16))).toBe(0);
  });
  it('a quoted datagram sent without a checksum keeps none', () => {
    const { d, end } = error(true);
    expect([d[62 + 6], d[62 + 7]]).toEqual([0, 0]);
    expect(csumFold(csumPartial(d, 34, end - 34, 0))).toBe(0);
  });
});

describe('a NAT statement with a port and no address (nf_nat_setup_info without NF_NAT_RANGE_MAP_IPS)', () => {
  it('dnat to :8080 keeps the destination address and changes the port only', () => {
    const h = host({ nft: nat('prerouting', 'tcp dport 80 dnat to :8080') }, [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['10.0.1.1/24'])]);
    const nf = hooks(h);
    const syn = skb4({ src: '10.0.1.2', dst: '10.0.1.1', proto: 'tcp', sport: 40000, dport: 80, flags: 'S' });
    const r = run(nf, NFPROTO_IPV4, NF_INET_PRE_ROUTING, syn, h, 'eth0');
    expect(setup(r)).toEqual(['dnat to 10.0.1.1:8080']);
    expect(addrs(syn)).toBe('10.0.1.2:40000 > 10.0.1.1:8080');
    expect(r.events.filter((e) => e.fn === 'nf_nat_packet').map((e) => (e as { diff?: unknown }).diff)).toEqual([{ dport: [80, 8080] }]);
  });
});

// NAT edges the kernel fixtures do not reach (found by mutation testing, issue 17). Expected
// values come from the kernel source, cited by function: nf_nat_redirect.c (nf_nat_redirect_ipv4 /
// _ipv6), nf_nat_masquerade.c (nf_nat_masquerade_ipv4 -> inet_select_addr, net/ipv4/devinet.c),
// nf_nat_core.c (nf_nat_l4proto_unique_tuple) and nf_nat_proto.c (udp_manip_pkt).
import { describe, expect, it } from 'vitest';
import { NFPROTO_IPV4, NFPROTO_IPV6, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING, NF_INET_PRE_ROUTING } from '../../src/kernel/netfilter/hook.js';
import { inetSelectAddrUniverse } from '../../src/kernel/netfilter/nf_nat.js';
import { formatIPv6, parseIPv4, parseIPv6 } from '../../src/kernel/netfilter/ir.js';
import { csumFold, csumPartial, ipFastCsum, l4CsumV4, l4CsumV6 } from '../../src/packet/checksum.js';
import { fillL4ChecksumV6, writeEthHdr, writeIcmpHdr, writeIpv6Hdr } from '../../src/packet/build.js';
import type { NetDevice } from '../../src/host/types.js';
import { SkBuff } from '../../src/kernel/skbuff.js';
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

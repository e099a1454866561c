// IPv4 receive, routing and forwarding, checked against the kernel functions cited per case
// on the "router" host sample (fixtures/host-samples/router/setup.sh is the independent source
// of its configuration: eth0 10.1.0.1/24 rp_filter=1, eth1 10.2.0.1/24 mtu 1400, ip_forward=1).
import { describe, it, expect } from 'vitest';
import { sample, run, eth, udp4, tcp4, echo4, expectFate, ipv4 } from './helpers.js';
import { ipSendCheck, fillIcmpChecksum } from '../../src/packet/build.js';

const host = sample('router');
const R0 = '02:00:00:00:01:01';
const A = '02:00:00:00:01:02';
const in0 = (ip: Uint8Array, dst = R0) => eth(dst, A, 0x0800, ip);

describe('ip_rcv_core header checks (net/ipv4/ip_input.c)', () => {
  it('drops a frame for another MAC with OTHERHOST', () => {
    expectFate(run(host, in0(udp4('10.1.0.2', '10.2.0.2', 1, 2), '02:00:00:00:01:99'), 'eth0').rec).dropped('OTHERHOST', 'ip_rcv_core');
  });
  it('drops a bad header checksum with IP_CSUM', () => {
    const p = udp4('10.1.0.2', '10.2.0.2', 1, 2);
    p[10] ^= 0xff;
    expectFate(run(host, in0(p), 'eth0').rec).dropped('IP_CSUM');
  });
  it('drops tot_len beyond the frame with PKT_TOO_SMALL', () => {
    const p = udp4('10.1.0.2', '10.2.0.2', 1, 2);
    p[2] = 0;
    p[3] = 200;
    ipSendCheck(p, 0);
    expectFate(run(host, in0(p), 'eth0').rec).dropped('PKT_TOO_SMALL');
  });
  it('drops a packet shorter than an IPv4 header with IP_INHDR (pskb_may_pull(sizeof(struct iphdr)))', () => {
    const p = udp4('10.1.0.2', '10.2.0.2', 1, 2).subarray(0, 16);
    const { rec } = run(host, in0(p), 'eth0');
    expectFate(rec).dropped('IP_INHDR', 'ip_rcv_core');
    expect(rec.events.at(-1)!.fn).toBe('ip_rcv_core'); // freed there: nothing after it
  });
  it('drops ihl 6 with only 20 header bytes present with IP_INHDR (pskb_may_pull(ihl * 4))', () => {
    const p = udp4('10.1.0.2', '10.2.0.2', 1, 2).subarray(0, 20);
    p[0] = 0x46;
    const { rec } = run(host, in0(p), 'eth0');
    expectFate(rec).dropped('IP_INHDR', 'ip_rcv_core');
    expect(rec.events.at(-1)!.fn).toBe('ip_rcv_core'); // freed there: nothing after it
  });
  it('drops ihl < 5 with IP_INHDR', () => {
    const p = udp4('10.1.0.2', '10.2.0.2', 1, 2);
    p[0] = 0x44;
    expectFate(run(host, in0(p), 'eth0').rec).dropped('IP_INHDR');
  });
});

describe('ip_route_input_slow martians and rp_filter (net/ipv4/route.c, fib_frontend.c)', () => {
  it('zero-network source is IP_INVALID_SOURCE', () => {
    expectFate(run(host, in0(udp4('0.1.2.3', '10.1.0.1', 1, 2)), 'eth0').rec).dropped('IP_INVALID_SOURCE');
  });
  it('multicast source is IP_INVALID_SOURCE', () => {
    expectFate(run(host, in0(udp4('224.0.0.5', '10.1.0.1', 1, 2)), 'eth0').rec).dropped('IP_INVALID_SOURCE');
  });
  it('loopback destination without route_localnet is IP_LOCALNET', () => {
    expectFate(run(host, in0(udp4('10.1.0.2', '127.0.0.1', 1, 2)), 'eth0').rec).dropped('IP_LOCALNET');
  });
  it('strict rp_filter on eth0 drops a source routed via eth1 with IP_RPFILTER', () => {
    expectFate(run(host, in0(udp4('10.2.0.9', '10.1.0.1', 1, 53)), 'eth0').rec).dropped('IP_RPFILTER', 'ip_rcv_finish_core').event('fib_validate_source');
  });
  it('a local address as source is IP_LOCAL_SOURCE (accept_local=0)', () => {
    // eth1 has rp_filter 0: the full check still refuses a local source (__fib_validate_source)
    const f = eth('02:00:00:00:02:01', '02:00:00:00:02:02', 0x0800, udp4('10.1.0.1', '10.2.0.1', 1, 53));
    expectFate(run(host, f, 'eth1').rec).dropped('IP_LOCAL_SOURCE');
  });
});

describe('ip_forward (net/ipv4/ip_forward.c) and ip_error (net/ipv4/route.c)', () => {
  it('forwards to eth1, decrements TTL and rewrites the MACs from the neighbour table', () => {
    const { rec } = run(host, in0(udp4('10.1.0.2', '10.2.0.2', 1000, 53)), 'eth0');
    expectFate(rec).forwarded('eth1').event('ip_decrease_ttl').event('neigh_hh_output', /02:00:00:00:02:02/);
    const ttl = rec.events.find((e) => e.fn === 'ip_decrease_ttl')!;
    expect(ttl.diff).toEqual({ ttl: [64, 63] });
  });
  it('TTL 1 is IP_INHDR with ICMP time exceeded from the ingress address', () => {
    expectFate(run(host, in0(udp4('10.1.0.2', '10.2.0.2', 1000, 53, undefined, { ttl: 1 })), 'eth0').rec)
      .dropped('IP_INHDR', 'ip_forward')
      .reply('eth0', 'IP 10.1.0.1 > 10.1.0.2: ICMP time exceeded in-transit, length 40');
  });
  it('DF over the eth1 MTU 1400 is PKT_TOO_BIG with frag-needed', () => {
    expectFate(run(host, in0(udp4('10.1.0.2', '10.2.0.2', 1000, 9, new Uint8Array(1450))), 'eth0').rec)
      .dropped('PKT_TOO_BIG')
      .reply('eth0', /ICMP 10\.2\.0\.2 unreachable - need to frag \(mtu 1400\), length 556/);
  });
  it('without DF the packet leaves in two fragments (ip_fragment)', () => {
    expectFate(run(host, in0(udp4('10.1.0.2', '10.2.0.2', 1000, 9, new Uint8Array(1450), { df: false })), 'eth0').rec).forwarded('eth1', 'eth1');
  });
  it('no route anywhere is IP_INNOROUTES with ICMP net unreachable', () => {
    expectFate(run(host, in0(udp4('10.1.0.2', '8.8.8.8', 1000, 53)), 'eth0').rec)
      .dropped('IP_INNOROUTES', 'ip_error')
      .reply('eth0', /ICMP net 8\.8\.8\.8 unreachable/);
  });
  it('blackhole route: NOT_SPECIFIED, no ICMP', () => {
    expectFate(run(host, in0(udp4('10.1.0.2', '10.66.1.1', 1000, 53)), 'eth0').rec).dropped('NOT_SPECIFIED').noReply();
  });
  it('unreachable route: NOT_SPECIFIED with ICMP host unreachable', () => {
    expectFate(run(host, in0(udp4('10.1.0.2', '10.67.1.1', 1000, 53)), 'eth0').rec).dropped('NOT_SPECIFIED').reply('eth0', /ICMP host 10\.67\.1\.1 unreachable, length/);
  });
  it('prohibit route: NOT_SPECIFIED with admin prohibited', () => {
    expectFate(run(host, in0(udp4('10.1.0.2', '10.68.1.1', 1000, 53)), 'eth0').rec).dropped('NOT_SPECIFIED').reply('eth0', /admin prohibited filter/);
  });
  it('the ICMP unreachable of ip_error is rate limited per source (ip_rt_error_cost + icmp_ratelimit share the peer)', () => {
    let net;
    const sent: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = run(host, in0(udp4('10.1.0.2', '10.67.1.1', 1000 + i, 53)), 'eth0', net);
      net = r.net;
      sent.push(r.rec.replies?.length ?? 0);
    }
    // tokens: 5s burst, each error costs 1s in ip_error and 1s in icmpv4_xrlim_allow -> 2 sent, then none
    expect(sent).toEqual([1, 1, 0, 0, 0, 0]);
  });
});

describe('ports for policy routing (ip_rcv_finish -> fib4_rules_early_flow_dissect)', () => {
  // rule 120 of the sample is `ipproto tcp dport 80 lookup 100` (table 100: default via 10.2.0.2
  // dev eth1); 8.8.8.8 has no route in main, so only that rule can route it (fib4_rule_match
  // compares the flow's fl4_dport, taken from the packet by __skb_flow_dissect)
  const syn = (dport: number, src = A) => eth(R0, src, 0x0800, tcp4('10.1.0.2', '8.8.8.8', 40000, dport, 0x02));
  it('TCP to port 80 is routed by rule 120 and forwarded to eth1; port 81 finds no route', () => {
    expectFate(run(host, syn(80), 'eth0').rec).forwarded('eth1');
    expectFate(run(host, syn(81), 'eth0').rec).dropped('IP_INNOROUTES', 'ip_error');
  });
  it('the ports come from the IP header offsets, whatever the link-layer bytes', () => {
    expectFate(run(host, syn(80, '02:1f:1f:1f:1f:1f'), 'eth0').rec).forwarded('eth1');
  });
  it('UDP to port 80 is not selected by `ipproto tcp`', () => {
    expectFate(run(host, in0(udp4('10.1.0.2', '8.8.8.8', 40000, 80)), 'eth0').rec).dropped('IP_INNOROUTES');
  });
  it('a first fragment (MF, offset 0) carries no ports for the rules: no route', () => {
    // the FIB rules' dissection does not pass FLOW_DISSECTOR_F_PARSE_1ST_FRAG, so
    // __skb_flow_dissect stops at any fragment. Recorded on 6.18 (netns, the same rule and table
    // 100): a whole SYN to 8.8.8.8:80 was forwarded, its first fragment (MF, offset 0, 32 bytes of
    // TCP) was not: IpExtInNoRoutes +1, nothing seen on the far side
    const l4 = tcp4('10.1.0.2', '8.8.8.8', 40000, 80, 0x02, 1000, 0, new Uint8Array(40)).subarray(20, 52);
    const f1 = ipv4({ src: '10.1.0.2', dst: '8.8.8.8', proto: 6, df: false, frag: 0x2000, id: 12 }, l4);
    expectFate(run(host, in0(f1), 'eth0').rec).dropped('IP_INNOROUTES');
  });
});

describe('drop_unicast_in_l2_multicast (ip_rcv_finish_core, net/ipv4/ip_input.c)', () => {
  // ip_rcv_finish_core: a route of type RTN_MULTICAST or RTN_BROADCAST passes; any other in a
  // PACKET_BROADCAST/PACKET_MULTICAST frame is dropped with UNICAST_IN_L2_MULTICAST when
  // IN_DEV_ORCONF(in_dev, DROP_UNICAST_IN_L2_MULTICAST)
  const knob = (on: boolean) => {
    const h = sample('router');
    h.sysctls.raw.set('net.ipv4.conf.eth0.drop_unicast_in_l2_multicast', on ? '1' : '0');
    return h;
  };
  const bcast = () => in0(tcp4('10.1.0.2', '10.1.0.1', 40000, 8080, 0x02), 'ff:ff:ff:ff:ff:ff');
  it('on: unicast IP in an L2 broadcast frame is UNICAST_IN_L2_MULTICAST', () => {
    expectFate(run(knob(true), bcast(), 'eth0').rec).dropped('UNICAST_IN_L2_MULTICAST', 'ip_rcv_finish_core');
  });
  it('on: unicast IP forwarded in an L2 multicast frame is dropped too', () => {
    expectFate(run(knob(true), in0(udp4('10.1.0.2', '10.2.0.2', 1000, 53), '01:00:5e:00:00:fb'), 'eth0').rec).dropped('UNICAST_IN_L2_MULTICAST');
  });
  it('on: an IP multicast or subnet broadcast destination is exempt (same fate as with the knob off)', () => {
    const mc = () => in0(udp4('10.1.0.2', '224.0.0.1', 5353, 5353, new Uint8Array(4), { ttl: 1 }), '01:00:5e:00:00:01');
    const bc = () => in0(udp4('10.1.0.2', '10.1.0.255', 1000, 9), 'ff:ff:ff:ff:ff:ff');
    for (const f of [mc, bc]) {
      const on = run(knob(true), f(), 'eth0').rec;
      const off = run(knob(false), f(), 'eth0').rec;
      expect(on.reason).not.toBe('UNICAST_IN_L2_MULTICAST');
      expect([on.fate, on.reason]).toEqual([off.fate, off.reason]);
    }
  });
});

describe('ip_error with forwarding off on the input device (net/ipv4/route.c)', () => {
  // ip_route_input_slow: with !IN_DEV_FORWARD(in_dev) a failed lookup and a unicast route to
  // elsewhere both become -EHOSTUNREACH (no_route); ip_error then, forwarding still off, counts
  // IPSTATS_MIB_INADDRERRORS, drops with IP_INADDRERRORS and sends no ICMP
  const h = sample('router');
  h.sysctls.raw.set('net.ipv4.conf.eth0.forwarding', '0');
  it('no route: IP_INADDRERRORS, no ICMP', () => {
    expectFate(run(h, in0(udp4('10.1.0.2', '8.8.8.8', 1000, 53)), 'eth0').rec).dropped('IP_INADDRERRORS', 'ip_error').noReply();
  });
  it('a route to the other side: not forwarded, IP_INADDRERRORS', () => {
    expectFate(run(h, in0(udp4('10.1.0.2', '10.2.0.2', 1000, 53)), 'eth0').rec).dropped('IP_INADDRERRORS', 'ip_error').noReply();
  });
});

describe('ip_forward: pkt_type and ICMP redirects (net/ipv4/ip_forward.c, route.c)', () => {
  it('unicast IP to forward in an L2 multicast frame: ip_forward drops it (pkt_type != PACKET_HOST, SKB_DR NOT_SPECIFIED)', () => {
    expectFate(run(host, in0(udp4('10.1.0.2', '10.2.0.2', 1000, 53), '01:00:5e:00:00:fb'), 'eth0').rec).dropped('NOT_SPECIFIED', 'ip_forward').noReply();
  });
  // __mkroute_input sets IPSKB_DOREDIRECT when the packet leaves by its ingress device, the source
  // validated on-link (fib_validate_source 1), IN_DEV_TX_REDIRECTS (all OR dev send_redirects) and
  // inet_addr_onlink(out_dev, saddr, gw); ip_forward then calls ip_rt_send_redirect (gateway: the
  // destination itself, no gateway on the route). 10.1.0.3's neighbour then fails (snapshot).
  const hairpin = () => in0(udp4('10.1.0.2', '10.1.0.3', 1000, 53));
  it('back out eth0 to an on-link source: redirect to host 10.1.0.3', () => {
    expect(run(host, hairpin(), 'eth0').rec.replies?.[0]).toEqual({ iface: 'eth0', summary: 'IP 10.1.0.1 > 10.1.0.2: ICMP redirect 10.1.0.3 to host 10.1.0.3, length 40' });
  });
  it('send_redirects 0 (all and eth0): no redirect', () => {
    const h = sample('router');
    h.sysctls.raw.set('net.ipv4.conf.all.send_redirects', '0');
    h.sysctls.raw.set('net.ipv4.conf.eth0.send_redirects', '0');
    expect(run(h, hairpin(), 'eth0').rec.replies?.some((r) => /redirect/.test(r.summary))).toBe(false);
  });
  it('a source reached through a gateway is not on-link: forwarded back out eth1 without a redirect', () => {
    const f = eth('02:00:00:00:02:01', '02:00:00:00:02:02', 0x0800, udp4('198.51.100.7', '10.2.0.3', 1000, 53));
    expectFate(run(host, f, 'eth1').rec).forwarded('eth1').noReply();
  });
});

describe('local delivery (ip_local_deliver, icmp_rcv)', () => {
  it('echo to the host is answered and consumed', () => {
    expectFate(run(host, in0(echo4('10.1.0.2', '10.1.0.1')), 'eth0').rec).consumed().reply('eth0', 'IP 10.1.0.1 > 10.1.0.2: ICMP echo reply, id 4660, seq 1, length 18');
  });
  it('echo to the other interface address is answered from that address', () => {
    expectFate(run(host, in0(echo4('10.1.0.2', '10.2.0.1')), 'eth0').rec).consumed().reply('eth0', /^IP 10\.2\.0\.1 > 10\.1\.0\.2: ICMP echo reply/);
  });
  it('an unknown IP protocol is IP_NOPROTO with protocol unreachable', () => {
    const p = ipv4({ src: '10.1.0.2', dst: '10.1.0.1', proto: 253 }, new Uint8Array(8));
    const { rec } = run(host, in0(p), 'eth0');
    expectFate(rec).dropped('IP_NOPROTO', 'ip_protocol_deliver_rcu').reply('eth0', /protocol 253 unreachable/);
    expect(rec.unsupported).toBeUndefined();
  });
  it('IGMP has a kernel handler (igmp_rcv, inet_init) the model lacks: reported unsupported', () => {
    const p = ipv4({ src: '10.1.0.2', dst: '10.1.0.1', proto: 2 }, new Uint8Array(8));
    expect(run(host, in0(p), 'eth0').rec.unsupported).toEqual([expect.stringMatching(/IGMP/)]);
  });
  it('reassembles two fragments: the first is consumed, the last delivered', () => {
    const whole = udp4('10.1.0.2', '10.2.0.1', 1000, 53, new Uint8Array(40));
    const l4 = whole.subarray(20);
    const f1 = ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, frag: 0x2000, id: 7 }, l4.subarray(0, 24));
    const f2 = ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, frag: 3, id: 7 }, l4.subarray(24));
    const a = run(host, in0(f1), 'eth0');
    expectFate(a.rec).consumed().event('ip_defrag');
    expectFate(run(host, in0(f2), 'eth0', a.net).rec).delivered('udp 10.2.0.1:53').event('ip_frag_reasm');
  });
  it('an overlapping fragment discards the queue with NOT_SPECIFIED (inet_frag_queue_insert)', () => {
    const f1 = ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, frag: 0x2000, id: 9 }, new Uint8Array(24));
    const f2 = ipv4({ src: '10.1.0.2', dst: '10.2.0.1', proto: 17, df: false, frag: 0x2000 | 2, id: 9 }, new Uint8Array(24));
    const a = run(host, in0(f1), 'eth0');
    expectFate(run(host, in0(f2), 'eth0', a.net).rec).dropped('NOT_SPECIFIED', 'ip_frag_queue');
  });
  it('a TCP segment in an L2 broadcast frame passes IP (drop_unicast_in_l2_multicast=0) and tcp_v4_rcv discards it (pkt_type != PACKET_HOST)', () => {
    expectFate(run(host, in0(tcp4('10.1.0.2', '10.1.0.1', 40000, 8080, 0x02), 'ff:ff:ff:ff:ff:ff'), 'eth0').rec).dropped('NOT_SPECIFIED', 'tcp_v4_rcv');
  });
});

describe('ports for policy routing: UDP and a header cut after the ports (__skb_flow_get_ports)', () => {
  // fib4_rules_early_flow_dissect fills fl4_sport/dport for TCP, UDP, UDP-Lite and SCTP from
  // __skb_flow_get_ports, which reads the 4 port bytes at the transport offset and gives 0 when
  // they are not all inside the packet (skb->len = tot_len once ip_rcv_core trimmed the padding)
  const udpRule = () => {
    const h = sample('router');
    h.rules.find((r) => r.priority === 120)!.ipproto = 17; // `ipproto udp dport 80 lookup 100`
    return h;
  };
  it('`ipproto udp dport 80` routes UDP to 8.8.8.8:80 by table 100; TCP is not selected', () => {
    const h = udpRule();
    expectFate(run(h, in0(udp4('10.1.0.2', '8.8.8.8', 40000, 80)), 'eth0').rec).forwarded('eth1');
    expectFate(run(h, in0(tcp4('10.1.0.2', '8.8.8.8', 40000, 80, 0x02)), 'eth0').rec).dropped('IP_INNOROUTES');
  });
  // tot_len 24: the 4 port bytes are the whole transport part; tot_len 23 lacks the last dport
  // byte, which stays in the frame as Ethernet padding (0x50: port 80 if it were read)
  const cut = (totLen: number) => {
    const l4 = tcp4('10.1.0.2', '8.8.8.8', 40000, 80, 0x02).subarray(20, 24);
    const p = ipv4({ src: '10.1.0.2', dst: '8.8.8.8', proto: 6 }, l4);
    const f = new Uint8Array(60);
    f.set(in0(p));
    f[14 + 2] = 0;
    f[14 + 3] = totLen;
    ipSendCheck(f, 14);
    return f;
  };
  it('a TCP packet of just the ports (tot_len 24) still carries them: rule 120 forwards it', () => {
    expectFate(run(host, cut(24), 'eth0').rec).forwarded('eth1');
  });
  it('one byte short (tot_len 23): no ports, even with the missing byte in the link padding: no route', () => {
    expectFate(run(host, cut(23), 'eth0').rec).dropped('IP_INNOROUTES');
  });
});

describe('ip_rcv_core / ip_rcv_finish_core / ip_local_deliver details (net/ipv4/ip_input.c)', () => {
  it('tot_len equal to the header length passes ip_rcv_core (only len < ihl * 4 is IP_INHDR): a header-only packet of protocol 253 gets protocol unreachable', () => {
    const p = ipv4({ src: '10.1.0.2', dst: '10.1.0.1', proto: 253 }, new Uint8Array(0));
    expectFate(run(host, in0(p), 'eth0').rec).dropped('IP_NOPROTO', 'ip_protocol_deliver_rcu').reply('eth0', /protocol 253 unreachable/);
  });
  it('Ethernet padding is trimmed (pskb_trim_rcsum): an echo padded to 60 bytes is answered with its 18 bytes', () => {
    const f = new Uint8Array(60);
    f.set(in0(echo4('10.1.0.2', '10.1.0.1')));
    expectFate(run(host, f, 'eth0').rec).consumed().reply('eth0', 'IP 10.1.0.1 > 10.1.0.2: ICMP echo reply, id 4660, seq 1, length 18');
  });
  it("the route lookup gets the header's TOS (ip_route_input_noref(skb, daddr, saddr, dscp, dev)): a `tos 0x10` rule selects table 100", () => {
    const h = sample('router');
    const r = h.rules.find((x) => x.priority === 120)!;
    delete r.ipproto;
    delete r.dport;
    r.tos = 0x10;
    expectFate(run(h, in0(udp4('10.1.0.2', '8.8.8.8', 40000, 53, undefined, { tos: 0x10 })), 'eth0').rec).forwarded('eth1');
    expectFate(run(h, in0(udp4('10.1.0.2', '8.8.8.8', 40000, 53)), 'eth0').rec).dropped('IP_INNOROUTES');
  });
  it('no options (ihl 5): ip_rcv_options is not called; no fragment bits: ip_defrag is not called', () => {
    const { rec } = run(host, in0(udp4('10.1.0.2', '10.2.0.1', 1000, 53)), 'eth0');
    expectFate(rec).delivered('udp 10.2.0.1:53');
    const fns = rec.events.map((e) => e.fn);
    expect(fns).not.toContain('ip_options_compile');
    expect(fns).not.toContain('ip_defrag');
    expect(fns).not.toContain('ip_frag_reasm');
  });
  it("ip_rcv_core's step reads the header (addresses, ttl, protocol, tot_len)", () => {
    const { rec } = run(host, in0(udp4('10.1.0.2', '10.2.0.1', 1000, 53, new Uint8Array(4), { ttl: 33 })), 'eth0');
    expect(rec.events.find((e) => e.fn === 'ip_rcv_core')?.what).toBe('10.1.0.2 > 10.2.0.1 ttl 33 proto 17 len 32');
  });
});

describe('ip_options_compile at the end of the header (net/ipv4/ip_options.c)', () => {
  // __ip_options_compile: `if (unlikely(l < 2)) { pp_ptr = optptr; goto error; }` before reading a
  // length byte; a two-byte option in the last two bytes (l == 2) is read and accepted
  const withOpts = (opts: number[]) => {
    const p = new Uint8Array(20 + opts.length);
    p.set(opts, 20);
    // protocol 253 and no payload: nothing past the options could stand in for a missing length byte
    const h = ipv4({ src: '10.1.0.2', dst: '10.1.0.1', proto: 253 }, new Uint8Array(0));
    p.set(h);
    p[0] = 0x40 | ((20 + opts.length) >> 2);
    p[3] = 20 + opts.length;
    p[10] = p[11] = 0;
    ipSendCheck(p, 0);
    return p;
  };
  it('a type byte alone in the last octet: parameter problem at octet 23, IP_INHDR', () => {
    expectFate(run(host, in0(withOpts([1, 1, 1, 7])), 'eth0').rec).dropped('IP_INHDR', 'ip_rcv_options').reply('eth0', /parameter problem - octet 23/);
  });
  it('a two-byte option (stream id, length 2) in the last two octets is accepted', () => {
    expectFate(run(host, in0(withOpts([1, 1, 136, 2])), 'eth0').rec).dropped('IP_NOPROTO').event('ip_options_compile', /^options opt136$/);
  });
});

describe('ip_rcv_core / ip_error / ip_protocol_deliver_rcu steps', () => {
  const steps = (rec: { events: { fn: string }[] }, fn: string) => rec.events.filter((e) => e.fn === fn);
  it('the header checks name what failed, with the header values', () => {
    expect(steps(run(host, in0(udp4('10.1.0.2', '10.2.0.2', 1, 2), '02:00:00:00:01:99'), 'eth0').rec, 'ip_rcv_core')).toEqual([{ fn: 'ip_rcv_core', what: 'drop OTHERHOST', dev: 'eth0' }]);
    const v6 = udp4('10.1.0.2', '10.2.0.2', 1, 2);
    v6[0] = 0x65;
    expect(steps(run(host, in0(v6), 'eth0').rec, 'ip_rcv_core')).toEqual([{ fn: 'ip_rcv_core', what: 'drop IP_INHDR', detail: { why: 'version 6, ihl 5' } }]);
    const opt = udp4('10.1.0.2', '10.1.0.1', 1, 2).subarray(0, 20);
    opt[0] = 0x46;
    expect(steps(run(host, in0(opt), 'eth0').rec, 'ip_rcv_core')).toEqual([{ fn: 'ip_rcv_core', what: 'drop IP_INHDR', detail: { why: 'options beyond the captured data' } }]);
    const long = udp4('10.1.0.2', '10.2.0.2', 1, 2);
    long[2] = 0;
    long[3] = 200;
    ipSendCheck(long, 0);
    expect(steps(run(host, in0(long), 'eth0').rec, 'ip_rcv_core')).toEqual([{ fn: 'ip_rcv_core', what: 'drop PKT_TOO_SMALL', detail: { tot_len: 200, bytes: 32 } }]);
    const short = udp4('10.1.0.2', '10.2.0.2', 1, 2);
    short[3] = 16;
    ipSendCheck(short, 0);
    expect(steps(run(host, in0(short), 'eth0').rec, 'ip_rcv_core')).toEqual([{ fn: 'ip_rcv_core', what: 'drop IP_INHDR', detail: { why: 'tot_len 16 < header' } }]);
  });
  it('an unknown protocol: the drop names it', () => {
    const p = ipv4({ src: '10.1.0.2', dst: '10.1.0.1', proto: 253 }, new Uint8Array(8));
    expect(steps(run(host, in0(p), 'eth0').rec, 'ip_protocol_deliver_rcu')).toEqual([{ fn: 'ip_protocol_deliver_rcu', what: 'drop IP_NOPROTO', detail: { protocol: 253 } }]);
  });
  it("ip_error's rate limit says so when it holds the ICMP back", () => {
    let net;
    let last;
    const rec = [];
    for (let i = 0; i < 4; i++) {
      const r = run(host, in0(udp4('10.1.0.2', '10.67.1.1', 1000 + i, 53)), 'eth0', net);
      net = r.net;
      rec.push(r.rec);
      last = r.rec;
    }
    // one peer for 10.1.0.2: ip_error (cost 1000, burst 5000) then icmpv4_xrlim_allow (cost 1000,
    // burst 6000) each take tokens. Frame 1: 5000 -> 4000 -> 3000; frame 2: 3000 -> 2000 -> 1000;
    // frame 3: ip_error passes (1000 -> 0), __icmp_send is refused (0); frame 4: ip_error refuses
    expect(steps(rec[2], '__icmp_send')).toEqual([{ fn: '__icmp_send', what: 'ICMP type 3 to 10.1.0.2 rate-limited (icmp_ratelimit)' }]);
    expect(steps(last!, 'ip_error')).toEqual([{ fn: 'ip_error', what: 'ICMP unreachable rate-limited (ip_rt_error_cost)' }, { fn: 'ip_error', what: 'drop NOT_SPECIFIED' }]);
  });
});

describe('ports for policy routing: the source port', () => {
  it('`sport 40000 lookup 100` selects TCP from port 40000 (0x9c40: both bytes read from the header)', () => {
    const h = sample('router');
    const r = h.rules.find((x) => x.priority === 120)!;
    delete r.dport;
    r.sport = [40000, 40000];
    expectFate(run(h, in0(tcp4('10.1.0.2', '8.8.8.8', 40000, 443, 0x02)), 'eth0').rec).forwarded('eth1');
    expectFate(run(h, in0(tcp4('10.1.0.2', '8.8.8.8', 40001, 443, 0x02)), 'eth0').rec).dropped('IP_INNOROUTES');
  });
});

describe('__icmp_send about a broadcast-routed packet', () => {
  it('a bad option in a datagram to the subnet broadcast: IP_INHDR, no parameter problem (RTCF_BROADCAST: goto out)', () => {
    const p = udp4('10.1.0.2', '10.1.0.255', 1000, 9, new Uint8Array(4));
    const o = new Uint8Array(p.length + 4);
    o.set(p.subarray(0, 20));
    o.set([7, 1, 0, 0], 20);
    o.set(p.subarray(20), 24);
    o[0] = 0x46;
    o[3] = o.length;
    o[10] = o[11] = 0;
    ipSendCheck(o, 0);
    const { rec } = run(host, in0(o, 'ff:ff:ff:ff:ff:ff'), 'eth0');
    expectFate(rec).dropped('IP_INHDR', 'ip_rcv_options').noReply();
    expect(rec.events.filter((e) => e.fn === '__icmp_send').map((e) => e.what)).toEqual(['no ICMP error about a broadcast/multicast packet']);
  });
});

describe('checksums the model does not verify (csumTrusted: --checksums trust, CHECKSUM_UNNECESSARY)', () => {
  // docs/kernel.md --checksums trust: CHECKSUM_UNNECESSARY for every frame (the capture host's NIC
  // verified them), so skb_checksum_simple_validate skips the ICMP checksum
  const bad = () => {
    const p = echo4('10.1.0.2', '10.1.0.1');
    p[22] ^= 0xff;
    return in0(p);
  };
  it('verify: a bad ICMP checksum is ICMP_CSUM; trust: the echo is answered', () => {
    expectFate(run(host, bad(), 'eth0').rec).dropped('ICMP_CSUM', 'icmp_rcv');
    expectFate(run(host, bad(), 'eth0', undefined, { checksums: 'trust' }).rec).consumed().reply('eth0', /ICMP echo reply/);
  });
});

describe('icmp_rcv to a broadcast address with icmp_echo_ignore_broadcasts 0 (net/ipv4/icmp.c)', () => {
  // only echo, timestamp, address mask request and reply pass the broadcast rule; with the sysctl
  // off the echo and timestamp are answered (from the receiving device's address), 18 is discarded
  const h = sample('router');
  h.sysctls.raw.set('net.ipv4.icmp_echo_ignore_broadcasts', '0');
  const bc = (l4: Uint8Array) => {
    const p = ipv4({ src: '10.1.0.2', dst: '10.1.0.255', proto: 1 }, l4);
    const c = csumOf(l4);
    p[22] = c >> 8;
    p[23] = c & 0xff;
    return in0(p, 'ff:ff:ff:ff:ff:ff');
  };
  const csumOf = (b: Uint8Array) => {
    let s = 0;
    for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0);
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    return ~s & 0xffff;
  };
  it('echo to 10.1.0.255: answered from 10.1.0.1', () => {
    const l4 = new Uint8Array(12);
    l4.set([8, 0, 0, 0, 0x12, 0x34, 0, 1, 1, 2, 3, 4]);
    expectFate(run(h, bc(l4), 'eth0').rec).consumed().reply('eth0', /^IP 10\.1\.0\.1 > 10\.1\.0\.2: ICMP echo reply, id 4660, seq 1/);
  });
  it('timestamp request to 10.1.0.255: answered', () => {
    const l4 = new Uint8Array(20);
    l4.set([13, 0, 0, 0, 0x12, 0x34, 0, 2]);
    expectFate(run(h, bc(l4), 'eth0').rec).consumed().reply('eth0', /^IP 10\.1\.0\.1 > 10\.1\.0\.2: ICMP time stamp reply/);
  });
  it('address mask reply (18) to 10.1.0.255: discarded, consumed', () => {
    const l4 = new Uint8Array(12);
    l4.set([18, 0, 0, 0, 0x12, 0x34, 0, 3, 255, 255, 255, 0]);
    expectFate(run(h, bc(l4), 'eth0').rec).consumed().event('icmp_discard');
  });
});

describe('ports for policy routing: ICMP has none', () => {
  it('a `sport 2048` rule without ipproto does not select an echo request (type 8 code 0 is no port)', () => {
    const h = sample('router');
    const r = h.rules.find((x) => x.priority === 120)!;
    delete r.ipproto;
    delete r.dport;
    r.sport = [2048, 2048];
    expectFate(run(h, in0(echo4('10.1.0.2', '8.8.8.8')), 'eth0').rec).dropped('IP_INNOROUTES');
    expectFate(run(h, in0(udp4('10.1.0.2', '8.8.8.8', 2048, 53)), 'eth0').rec).forwarded('eth1');
  });
});

describe('icmp_timestamp and short quotes (net/ipv4/icmp.c)', () => {
  // the expected line is tcpdump -nn's for the same reply bytes (org 0, recv = xmit = 1,000,500 ms)
  it('the timestamp reply carries receive and transmit times: ms since midnight UT of the capture time', () => {
    const l4 = new Uint8Array(20);
    l4.set([13, 0, 0, 0, 0x12, 0x34, 0, 2]);
    const p = ipv4({ src: '10.1.0.2', dst: '10.1.0.1', proto: 1 }, l4, (b) => fillIcmpChecksum(b, 20, 20));
    const { net } = run(host, in0(udp4('10.1.0.2', '10.2.0.1', 1000, 53)), 'eth0');
    net.nowSec = 86400 * 3 + 1000; // 00:16:40.500 UT
    net.nowNsec = 500e6;
    const { rec } = run(host, in0(p), 'eth0', net);
    expectFate(rec).consumed().reply('eth0', /ICMP time stamp reply id 4660 seq 2: org 00:00:00\.000, recv 00:16:40\.500, xmit 00:16:40\.500/);
  });
  it('icmp_unreach and icmp_redirect need only the 20 bytes of an IP header quoted (pskb_may_pull(skb, sizeof(struct iphdr)))', () => {
    const quoted = udp4('10.1.0.1', '10.1.0.2', 53, 40000).subarray(0, 20);
    for (const head of [[3, 3, 0, 0, 0, 0, 0, 0], [5, 1, 0, 0, 10, 1, 0, 9]]) {
      const l4 = new Uint8Array(28);
      l4.set(head);
      l4.set(quoted, 8);
      const p = ipv4({ src: '10.1.0.2', dst: '10.1.0.1', proto: 1 }, l4, (b) => fillIcmpChecksum(b, 20, 28));
      expectFate(run(host, in0(p), 'eth0').rec).consumed();
    }
  });
});

describe('ip_options_compile: a pointer equal to the option length (net/ipv4/ip_options.c)', () => {
  // RR and TS: `if (optptr[2] <= optlen) { if (optptr[2] + 3 > optlen) error at the pointer }`: a
  // pointer equal to the length is not "full" (that needs pointer > length) and has no room
  const opt = (o: number[]) => {
    const p = udp4('10.1.0.2', '10.1.0.1', 1000, 9, new Uint8Array(4));
    const b = new Uint8Array(p.length + o.length);
    b.set(p.subarray(0, 20));
    b.set(o, 20);
    b.set(p.subarray(20), 20 + o.length);
    b[0] = 0x40 | ((20 + o.length) >> 2);
    b[3] = b.length;
    b[10] = b[11] = 0;
    ipSendCheck(b, 0);
    return in0(b);
  };
  it('record route with pointer 7 of length 7: parameter problem at octet 22', () => {
    expectFate(run(host, opt([7, 7, 7, 0, 0, 0, 0, 0]), 'eth0').rec).dropped('IP_INHDR').reply('eth0', /parameter problem - octet 22/);
  });
  it('timestamp with pointer 8 of length 8: parameter problem at octet 22', () => {
    expectFate(run(host, opt([68, 8, 8, 0, 0, 0, 0, 0]), 'eth0').rec).dropped('IP_INHDR').reply('eth0', /parameter problem - octet 22/);
  });
});

describe('ip_rcv_options with accept_source_route 1 (net/ipv4/ip_input.c)', () => {
  it('a loose source route is not refused; its processing (ip_options_rcv_srr) is reported unsupported', () => {
    const h = sample('router');
    h.sysctls.raw.set('net.ipv4.conf.all.accept_source_route', '1');
    h.sysctls.raw.set('net.ipv4.conf.eth0.accept_source_route', '1');
    const p = udp4('10.1.0.2', '10.1.0.1', 1000, 9, new Uint8Array(4));
    const o = [131, 7, 4, 10, 2, 0, 2, 0];
    const b = new Uint8Array(p.length + o.length);
    b.set(p.subarray(0, 20));
    b.set(o, 20);
    b.set(p.subarray(20), 28);
    b[0] = 0x47;
    b[3] = b.length;
    b[10] = b[11] = 0;
    ipSendCheck(b, 0);
    const { rec } = run(h, in0(b), 'eth0');
    expect(rec.reason).not.toBe('NOT_SPECIFIED');
    expect(rec.unsupported).toEqual([expect.stringMatching(/source routing/)]);
  });
});

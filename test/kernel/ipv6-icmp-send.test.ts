// icmp6_send's refusals and icmpv6_rcv's choices that no recording reaches, from net/ipv6/icmp.c
// (6.x), on the ipv6-paths host (eth0 fd00:1::1/64 with the subnet-router anycast fd00:1:: (it
// forwards), client fd00:1::2 a permanent neighbour; udp [::]:53 bound, 54 closed):
// - icmp6_send: `if (ipv6_addr_is_multicast(&hdr->daddr) || skb->pkt_type != PACKET_HOST)` only
//   ICMPV6_PKT_TOOBIG and a parameter problem about an unrecognized option (code 2) go out;
// - icmpv6_echo_reply: `acast = ipv6_anycast_destination(skb_dst(skb), saddr); if (acast &&
//   net->ipv6.sysctl.icmpv6_echo_ignore_anycast) return reason;` and `if
//   (!ipv6_unicast_destination(skb) && !(net->ipv6.sysctl.anycast_src_echo_reply && acast)) saddr
//   = NULL;` (the answer's source from the route otherwise: fd00:1::1, recorded in ipv6-paths);
// - icmpv6_rcv: `case ICMPV6_MGM_QUERY: igmp6_event_query(skb)`, `case ICMPV6_MGM_REPORT:
//   igmp6_event_report(skb)` (the MLD code keeps the skb: consumed).
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadHost } from '../../src/host/load.js';
import { parseIpv6 } from '../../src/packet/addr.js';
import { writeIpv6Hdr, fillL4ChecksumV6 } from '../../src/packet/build.js';
import { run, eth, expectFate, udp6 } from './helpers.js';

const HOSTDIR = join(import.meta.dirname, '../../fixtures/kernel/ipv6-paths/host');
const HM = '02:00:00:00:01:01';
const CM = '02:00:00:00:01:02';

function host(sysctls: Record<string, string> = {}) {
  const h = loadHost(HOSTDIR);
  for (const [k, v] of Object.entries(sysctls)) h.sysctls.raw.set(k, v);
  return h;
}

/** an ICMPv6 message of `type` with `body` after the 4-byte header, from fd00:1::2 */
function icmp6(dst: string, type: number, body: number[], hlim = 64): Uint8Array {
  const b = new Uint8Array(40 + 4 + body.length);
  writeIpv6Hdr(b, 0, 0, 0, 4 + body.length, 58, hlim, parseIpv6('fd00:1::2')!, 0, parseIpv6(dst)!, 0);
  b.set([type, 0, 0, 0, ...body], 40);
  fillL4ChecksumV6(b, 0, 40, 4 + body.length, 58);
  return b;
}

const echo = (dst: string) => icmp6(dst, 128, [0x12, 0x34, 0, 7, 0x70, 0x6b, 0x74]);

describe('icmp6_send: no error about a multicast or non-PACKET_HOST packet (but packet too big / unrecognized option)', () => {
  it('UDP to fd00:1::1 port 54 in an L2 broadcast frame: NO_SOCKET, no port unreachable', () => {
    const { rec } = run(host(), eth('ff:ff:ff:ff:ff:ff', CM, 0x86dd, udp6('fd00:1::2', 'fd00:1::1', 40000, 54)), 'eth0');
    expectFate(rec).dropped('NO_SOCKET').noReply().event('icmp6_send', /multicast\/non-host/);
  });
  it('the same frame to the host\'s MAC: port unreachable (the control)', () => {
    const { rec } = run(host(), eth(HM, CM, 0x86dd, udp6('fd00:1::2', 'fd00:1::1', 40000, 54)), 'eth0');
    expectFate(rec).dropped('NO_SOCKET').reply('eth0', /^IP6 fd00:1::1 > fd00:1::2: ICMP6, destination unreachable, unreachable port/);
  });
  it('next header 253 to ff02::1: IP_NOPROTO, no parameter problem (code 1 is not an unrecognized option)', () => {
    const b = new Uint8Array(40 + 8);
    writeIpv6Hdr(b, 0, 0, 0, 8, 253, 64, parseIpv6('fd00:1::2')!, 0, parseIpv6('ff02::1')!, 0);
    const { rec } = run(host(), eth('33:33:00:00:00:01', CM, 0x86dd, b), 'eth0');
    expectFate(rec).dropped('IP_NOPROTO').noReply().event('icmp6_send', /multicast\/non-host/);
  });
});

describe('icmpv6_echo_reply and the anycast knobs', () => {
  it('echo_ignore_anycast=1: an echo to fd00:1:: is freed NOT_SPECIFIED in icmpv6_rcv, unanswered', () => {
    const { rec } = run(host({ 'net.ipv6.icmp.echo_ignore_anycast': '1' }), eth(HM, CM, 0x86dd, echo('fd00:1::')), 'eth0');
    expectFate(rec).dropped('NOT_SPECIFIED', 'icmpv6_rcv').noReply();
  });
  it('echo_ignore_anycast=1 leaves an echo to the unicast fd00:1::1 alone', () => {
    const { rec } = run(host({ 'net.ipv6.icmp.echo_ignore_anycast': '1' }), eth(HM, CM, 0x86dd, echo('fd00:1::1')), 'eth0');
    expectFate(rec).consumed().reply('eth0', /^IP6 fd00:1::1 > fd00:1::2: ICMP6, echo reply, id 4660, seq 7/);
  });
  it('anycast_src_echo_reply=1: the reply comes from the anycast address itself', () => {
    const { rec } = run(host({ 'net.ipv6.anycast_src_echo_reply': '1' }), eth(HM, CM, 0x86dd, echo('fd00:1::')), 'eth0');
    expectFate(rec).consumed().reply('eth0', /^IP6 fd00:1:: > fd00:1::2: ICMP6, echo reply, id 4660, seq 7/);
  });
});

describe('icmpv6_rcv: MLD queries and reports go to the MLD code', () => {
  it('a query (130) to ff02::1 is consumed by igmp6_event_query, a report (131) by igmp6_event_report', () => {
    const q = icmp6('ff02::1', 130, [0, 0, 0, 0, ...new Array(16).fill(0)], 1);
    expectFate(run(host(), eth('33:33:00:00:00:01', CM, 0x86dd, q), 'eth0').rec).consumed().event('igmp6_event_query');
    const r = icmp6('ff02::1', 131, [0, 0, 0, 0, ...parseIpv6('ff02::1')!], 1);
    expectFate(run(host(), eth('33:33:00:00:00:01', CM, 0x86dd, r), 'eth0').rec).consumed().event('igmp6_event_report');
  });
});

describe('icmpv6_rcv checksum: --checksums trust answers an echo whose checksum is wrong', () => {
  it('verify: ICMP_CSUM; trust: answered', () => {
    const b = echo('fd00:1::1');
    b[43] ^= 0xff;
    const f = eth(HM, CM, 0x86dd, b);
    expectFate(run(host(), f, 'eth0').rec).dropped('ICMP_CSUM', 'icmpv6_rcv');
    expect(run(host(), f, 'eth0', undefined, { checksums: 'trust' }).rec.fate).toBe('consumed');
  });
});

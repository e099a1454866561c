// icmp6_send's "never about an ICMPv6 error" rule (net/ipv6/icmp.c is_ineligible) across extension
// headers. is_ineligible: `len = skb->len - ptr` (ptr after the IPv6 header); `len < 0` -> ineligible;
// ipv6_skip_exthdr walks hop-by-hop, routing, fragment, AH ((hdrlen + 2) << 2), ESP and destination
// options ((hdrlen + 1) << 3); a fragment with an offset (`frag_off & ~0x7`) stops the walk with
// nexthdr still 44; then `nexthdr == IPPROTO_ICMPV6`: no type byte -> ineligible unless frag_off != 0
// (RFC 8200 4.5), a type below 128 (an error) -> ineligible. Anything else is eligible.
// The packets go to fd00:9::/64, an unreachable route of the ipv6-exthdr host (recorded there:
// ip6_pkt_discard answers eligible packets with "unreachable route", type 1 code 0).
import { describe, it } from 'vitest';
import { join } from 'node:path';
import { loadHost } from '../../src/host/load.js';
import { parseIpv6 } from '../../src/packet/addr.js';
import { writeIpv6Hdr, fillL4ChecksumV6 } from '../../src/packet/build.js';
import { run, eth, expectFate } from './helpers.js';

const host = loadHost(join(import.meta.dirname, '../../fixtures/kernel/ipv6-exthdr/host'));
const DST = 'fd00:9::1';
let peer = 0x150; // fd00:1::150..: permanent neighbours of the host, each its own rate-limit bucket

/** Ethernet frame: IPv6 header (next header `nh`) and `payload` from fd00:1::<peer> to fd00:9::1 */
function pkt(nh: number, payload: number[]): { frame: Uint8Array; src: string } {
  const src = `fd00:1::${(peer++).toString(16)}`;
  const b = new Uint8Array(40 + payload.length);
  writeIpv6Hdr(b, 0, 0, 0, payload.length, nh, 64, parseIpv6(src)!, 0, parseIpv6(DST)!, 0);
  b.set(payload, 40);
  return { frame: eth('02:00:00:00:01:01', '02:00:00:00:01:02', 0x86dd, b), src };
}

/** an ICMPv6 message of `type` (8 bytes, checksum not looked at on the forwarding path) */
const icmp = (type: number) => [type, 0, 0, 0, 0, 0, 0, 0];
/** an 8-byte hop-by-hop / destination options / routing header (PadN) naming `next` */
const opts8 = (next: number) => [next, 0, 1, 4, 0, 0, 0, 0];
/** a fragment header naming `next` at `offset` (bytes, a multiple of 8) */
const fragHdr = (next: number, offset: number, more: boolean) => [next, 0, offset >> 8, (offset & 0xf8) | (more ? 1 : 0), 0, 0, 0, 7];

function answered(nh: number, payload: number[]) {
  const { frame, src } = pkt(nh, payload);
  expectFate(run(host, frame, 'eth0').rec).dropped('IP_INNOROUTES').reply('eth0', new RegExp(`^IP6 fd00:1::1 > ${src}: ICMP6, destination unreachable, unreachable route ${DST}`));
}
function silent(nh: number, payload: number[]) {
  const { frame } = pkt(nh, payload);
  expectFate(run(host, frame, 'eth0').rec).dropped('IP_INNOROUTES').noReply();
}

describe('is_ineligible: no ICMPv6 error about an ICMPv6 error, behind any extension header', () => {
  it('an ICMPv6 error right after the header, behind hop-by-hop, a routing header, a first fragment: no error', () => {
    silent(58, icmp(1));
    silent(0, [...opts8(58), ...icmp(3)]);
    silent(43, [58, 0, 0, 0, 0, 0, 0, 0, ...icmp(4)]);
    silent(44, [...fragHdr(58, 0, true), ...icmp(1)]);
    silent(60, [...opts8(0x2c), ...fragHdr(58, 0, true), ...icmp(2)]);
  });
  it('behind AH its length is (hdrlen + 2) << 2: 12 bytes for hdrlen 1', () => {
    // bytes 12.. are an ICMPv6 error; at 16 (an options-style length) they would read as type 200
    silent(51, [58, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 200, 0, 0, 0]);
  });
  it('an informational message behind destination options, an error in a later fragment: answered', () => {
    answered(60, [...opts8(58), ...icmp(128)]);
    // frag_off & ~7 != 0 stops the walk at the fragment header: nexthdr 44, not ICMPv6
    answered(44, [...fragHdr(58, 8, false), ...icmp(1)]);
  });
  it('ICMPv6 without its type byte: ineligible, unless it is a fragment', () => {
    silent(58, []);
    silent(60, opts8(58));
    answered(44, fragHdr(58, 0, true));
  });
  it('no payload at all (len 0 is not < 0) and an unknown next header: answered', () => {
    answered(253, []);
    answered(59, []);
  });
});

// icmp6_send's destination and source rules (net/ipv6/icmp.c icmp6_send):
//   if (ipv6_chk_addr(net, &hdr->daddr, skb->dev, 0) || ...) saddr = &hdr->daddr;
//   if (addr_type & IPV6_ADDR_MULTICAST || skb->pkt_type != PACKET_HOST) {
//     if (type != ICMPV6_PKT_TOOBIG && !(type == ICMPV6_PARAMPROB && code == ICMPV6_UNK_OPTION && opt_unrec(skb, info)))
//       return;
//     saddr = NULL; }
// ipv6_chk_addr with strict 0 finds an address of any device.
describe('icmp6_send: errors about multicast or non-host packets, and the error source', () => {
  /** UDP to port 54 (no listener) or a packet with next header 253, to `dst`, in an Ethernet frame to `mac` */
  function l4(dst: string, mac: string, nh: 17 | 253): { frame: Uint8Array; src: string } {
    const src = `fd00:1::${(peer++).toString(16)}`;
    const b = new Uint8Array(40 + 12);
    writeIpv6Hdr(b, 0, 0, 0, 12, nh, 64, parseIpv6(src)!, 0, parseIpv6(dst)!, 0);
    if (nh === 17) {
      b.set([0xa4, 0x10, 0, 54, 0, 12, 0, 0, 0x71, 0x71, 0x71, 0x71], 40);
      fillL4ChecksumV6(b, 0, 40, 12, 17);
    }
    return { frame: eth(mac, '02:00:00:00:01:02', 0x86dd, b), src };
  }
  it('an unknown next header to ff02::1: no parameter problem (a multicast destination, not UNK_OPTION)', () => {
    const { frame } = l4('ff02::1', '33:33:00:00:00:01', 253);
    expectFate(run(host, frame, 'eth0').rec).dropped('IP_NOPROTO').noReply();
  });
  it('the same to our address in a unicast frame: a parameter problem from that address', () => {
    const { frame, src } = l4('fd00:1::1', '02:00:00:00:01:01', 253);
    expectFate(run(host, frame, 'eth0').rec).dropped('IP_NOPROTO').reply('eth0', new RegExp(`^IP6 fd00:1::1 > ${src}: ICMP6, parameter problem, next header - octet 6`));
  });
  it('to our address in an Ethernet multicast frame (PACKET_MULTICAST): no error', () => {
    const { frame } = l4('fd00:1::1', '33:33:00:00:00:01', 17);
    expectFate(run(host, frame, 'eth0').rec).dropped('NO_SOCKET').noReply();
  });
  it('UDP to the address of eth1 arriving on eth0: the port unreachable comes from that address', () => {
    const { frame, src } = l4('fd00:2::1', '02:00:00:00:01:01', 17);
    expectFate(run(host, frame, 'eth0').rec).dropped('NO_SOCKET').reply('eth0', new RegExp(`^IP6 fd00:2::1 > ${src}: ICMP6, destination unreachable, unreachable port, fd00:2::1 udp port 54`));
  });
});

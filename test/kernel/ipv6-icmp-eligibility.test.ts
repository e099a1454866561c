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
import { writeIpv6Hdr } from '../../src/packet/build.js';
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

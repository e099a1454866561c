// IPv6 reassembly (net/ipv6/reassembly.c ipv6_frag_rcv, ip6_frag_queue) on the "router" sample:
// udp [2001:db8:1::1]:7000 is bound (setup.sh).
import { describe, it } from 'vitest';
import { sample, run, eth, expectFate } from './helpers.js';
import { parseIpv6 } from '../../src/packet/addr.js';
import { writeIpv6Hdr, writeUdpHdr, fillL4ChecksumV6 } from '../../src/packet/build.js';

const host = sample('router');
const SRC = '2001:db8:1::2';
const DST = '2001:db8:1::1';

/** the whole UDP datagram (header + data) as it would be before fragmentation */
function udpDatagram(len: number): Uint8Array {
  const b = new Uint8Array(40 + 8 + len);
  writeIpv6Hdr(b, 0, 0, 0, 8 + len, 17, 64, parseIpv6(SRC)!, 0, parseIpv6(DST)!, 0);
  writeUdpHdr(b, 40, 40000, 7000, 8 + len);
  fillL4ChecksumV6(b, 0, 40, 8 + len, 17);
  return b.subarray(40);
}

/** an IPv6 packet carrying a fragment header (id 99) and `data` at byte `offset` */
function frag(data: Uint8Array, offset: number, more: boolean): Uint8Array {
  const b = new Uint8Array(40 + 8 + data.length);
  writeIpv6Hdr(b, 0, 0, 0, 8 + data.length, 44, 64, parseIpv6(SRC)!, 0, parseIpv6(DST)!, 0);
  b[40] = 17;
  const fo = offset | (more ? 1 : 0);
  b[42] = fo >>> 8;
  b[43] = fo & 0xff;
  b[47] = 99;
  b.set(data, 48);
  return eth('02:00:00:00:01:01', '02:00:00:00:01:02', 0x86dd, b);
}

describe('ipv6_frag_rcv', () => {
  it('two fragments: the first is queued (consumed), the last completes the datagram and is delivered', () => {
    const d = udpDatagram(40);
    const a = run(host, frag(d.subarray(0, 24), 0, true), 'eth0');
    expectFate(a.rec).consumed().event('ipv6_frag_rcv');
    expectFate(run(host, frag(d.subarray(24), 24, false), 'eth0', a.net).rec).delivered('udp [2001:db8:1::1]:7000').event('ip6_frag_reasm');
  });
  it('an atomic fragment (offset 0, no M) is processed as is', () => {
    expectFate(run(host, frag(udpDatagram(10), 0, false), 'eth0').rec).delivered('udp [2001:db8:1::1]:7000').event('ipv6_frag_rcv', /atomic/);
  });
  it('a non-last fragment whose length is not a multiple of 8 gets a parameter problem', () => {
    const { rec } = run(host, frag(udpDatagram(40).subarray(0, 20), 0, true), 'eth0');
    // ip6_frag_queue sets prob_offset, ipv6_frag_rcv frees it (kfree_skb location ipv6_frag_rcv, fixtures/kernel/ipv6-exthdr)
    expectFate(rec).dropped('NOT_SPECIFIED', 'ipv6_frag_rcv').event('icmp6_send', /type 4 code 0/);
  });
  it('an overlapping fragment discards the queue (RFC 5722)', () => {
    const d = udpDatagram(40);
    const a = run(host, frag(d.subarray(0, 24), 0, true), 'eth0');
    expectFate(run(host, frag(d.subarray(16), 16, false), 'eth0', a.net).rec).dropped('NOT_SPECIFIED', 'ip6_frag_queue');
  });
});

describe('ip6_parse_tlv (net/ipv6/exthdrs.c ip6_tlvopt_unknown)', () => {
  function withDstOpt(type: number): Uint8Array {
    const d = udpDatagram(8);
    const b = new Uint8Array(40 + 8 + d.length);
    writeIpv6Hdr(b, 0, 0, 0, 8 + d.length, 60, 64, parseIpv6(SRC)!, 0, parseIpv6(DST)!, 0);
    b[40] = 17; // next header
    b[41] = 0; // 8 bytes
    b[42] = type; // option type
    b[43] = 4; // option data length (fills the header)
    b.set(d, 48);
    return eth('02:00:00:00:01:01', '02:00:00:00:01:02', 0x86dd, b);
  }
  it('an unknown option with action 00 is skipped', () => {
    expectFate(run(host, withDstOpt(0x1e), 'eth0').rec).delivered('udp [2001:db8:1::1]:7000');
  });
  it('action 01 drops silently with UNHANDLED_PROTO', () => {
    expectFate(run(host, withDstOpt(0x5e), 'eth0').rec).dropped('UNHANDLED_PROTO', 'ip6_tlvopt_unknown');
  });
  it('action 10 drops with a parameter problem (code 2, unrecognized option) pointing at the option', () => {
    expectFate(run(host, withDstOpt(0x9e), 'eth0').rec).dropped('UNHANDLED_PROTO').event('icmp6_send', /type 4 code 2/);
  });
});

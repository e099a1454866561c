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

describe('fq_find (net/ipv6/reassembly.c): a queue per identification, source and destination', () => {
  /** `frag` with another identification and source */
  function fragOf(data: Uint8Array, offset: number, more: boolean, id: number, src: string): Uint8Array {
    const f = frag(data, offset, more);
    const b = f.subarray(14);
    b.set(parseIpv6(src)!, 8);
    b[44] = id >>> 24;
    b[45] = (id >>> 16) & 0xff;
    b[46] = (id >>> 8) & 0xff;
    b[47] = id & 0xff;
    return f;
  }
  /** a UDP datagram from `src` (checksum over that source) */
  function datagram(len: number, src: string): Uint8Array {
    const b = new Uint8Array(40 + 8 + len);
    writeIpv6Hdr(b, 0, 0, 0, 8 + len, 17, 64, parseIpv6(src)!, 0, parseIpv6(DST)!, 0);
    writeUdpHdr(b, 40, 40000, 7000, 8 + len);
    for (let i = 0; i < len; i++) b[48 + i] = (i * 7 + len) & 0xff;
    fillL4ChecksumV6(b, 0, 40, 8 + len, 17);
    return b.subarray(40);
  }
  it('two datagrams interleaved, different identifications: both reassembled and delivered', () => {
    const a = datagram(40, SRC);
    const b = datagram(48, SRC);
    const r1 = run(host, fragOf(a.subarray(0, 24), 0, true, 0x01020304, SRC), 'eth0');
    expectFate(r1.rec).consumed();
    expectFate(run(host, fragOf(b.subarray(0, 24), 0, true, 0x01020305, SRC), 'eth0', r1.net).rec).consumed();
    expectFate(run(host, fragOf(a.subarray(24), 24, false, 0x01020304, SRC), 'eth0', r1.net).rec).delivered('udp [2001:db8:1::1]:7000');
    expectFate(run(host, fragOf(b.subarray(24), 24, false, 0x01020305, SRC), 'eth0', r1.net).rec).delivered('udp [2001:db8:1::1]:7000');
  });
  it('the same identification from two sources: two queues', () => {
    const other = '2001:db8:1::3';
    const a = datagram(40, SRC);
    const b = datagram(48, other);
    const r1 = run(host, fragOf(a.subarray(0, 24), 0, true, 77, SRC), 'eth0');
    expectFate(run(host, fragOf(b.subarray(0, 24), 0, true, 77, other), 'eth0', r1.net).rec).consumed();
    expectFate(run(host, fragOf(a.subarray(24), 24, false, 77, SRC), 'eth0', r1.net).rec).delivered('udp [2001:db8:1::1]:7000');
    expectFate(run(host, fragOf(b.subarray(24), 24, false, 77, other), 'eth0', r1.net).rec).delivered('udp [2001:db8:1::1]:7000');
  });
});

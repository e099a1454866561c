import { describe, expect, it } from 'vitest';
import { decodeHeaders, ip6, headerEnd } from '../../src/ui/decode.js';
import { basicItems, tsharkRows } from './helpers.js';

// Every frame of captures/basic.pcapng decoded by the UI, field by field against tshark's dissection.
describe('decoded headers agree with tshark on the bundled capture', () => {
  const items = basicItems();
  const tsh = tsharkRows();
  const first = (v: string) => v.split(',')[0];

  it.each(items.map((it, k) => [it.frame, k] as const))('frame %i', (_f, k) => {
    const lines = decodeHeaders(items[k].bytes!, items[k].linktype!);
    const r = tsh[k];
    const text = lines.join('\n');
    const eth = /^Ethernet {2}(\S+) > (\S+)/.exec(lines[0])!;
    expect([eth[1], eth[2]]).toEqual([r['eth.src'], r['eth.dst']]);
    if (r['ip.src']) {
      const m = /IPv4 {6}(\S+) > (\S+) {2}ttl (\d+) {2}proto (\d+)/.exec(text)!;
      expect([m[1], m[2], m[3], m[4]]).toEqual([first(r['ip.src']), first(r['ip.dst']), first(r['ip.ttl']), first(r['ip.proto'])]);
    }
    if (r['ipv6.src']) {
      const m = /IPv6 {6}(\S+) > (\S+) {2}hlim (\d+)/.exec(text)!;
      expect([m[1], m[2], m[3]]).toEqual([r['ipv6.src'], r['ipv6.dst'], r['ipv6.hlim']]);
    }
    if (r['tcp.srcport']) {
      const m = /TCP {7}(\d+) > (\d+) .* seq (\d+)/.exec(text)!;
      expect([m[1], m[2], m[3]]).toEqual([r['tcp.srcport'], r['tcp.dstport'], r['tcp.seq_raw']]);
    }
    if (r['udp.srcport'] && !r['icmp.type']) {
      const m = /UDP {7}(\d+) > (\d+)/.exec(text)!;
      expect([m[1], m[2]]).toEqual([r['udp.srcport'], r['udp.dstport']]);
    }
    // a non-first fragment has no ICMP header of its own (tshark shows the reassembled one)
    if (r['icmp.type'] && !/frag off/.test(text)) expect(/ICMP {6}type (\d+)/.exec(text)![1]).toBe(first(r['icmp.type']));
    if (r['arp.opcode']) expect(text).toMatch(r['arp.opcode'] === '1' ? /ARP +request/ : /ARP +reply/);
  });

  it('says so when bytes are cut short instead of reading past them', () => {
    const b = items[13].bytes!.subarray(0, 40); // Ethernet + IPv4 + 6 bytes of TCP
    const lines = decodeHeaders(b, 1);
    expect(lines[2]).toBe('TCP: truncated (6 of 20 bytes kept)');
    expect(decodeHeaders(new Uint8Array(3), 1)).toEqual(['Ethernet: truncated (3 of 14 bytes kept)']);
    expect(decodeHeaders(new Uint8Array(20), 147)).toEqual(['link type 147: header decoding not supported']);
  });

  it('writes IPv6 addresses in RFC 5952 form', () => {
    const a = (s: number[]) => ip6(Uint8Array.from(s.flatMap((w) => [w >> 8, w & 0xff])), 0);
    expect(a([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1])).toBe('2001:db8::1:0:0:1'); // RFC 5952 4.2.3: first longest run
    expect(a([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1])).toBe('2001:db8:0:1:1:1:1:1'); // 4.2.2: no :: for one field
    expect(a([0, 0, 0, 0, 0, 0, 0, 0])).toBe('::');
  });
});

describe('headerEnd: the bytes the store keeps (RFC 791 ihl, RFC 9293 data offset, 802.1Q tags)', () => {
  const eth = (type: number, rest: number[]) => Uint8Array.from([...Array(12).fill(2), type >> 8, type & 255, ...rest, ...Array(200).fill(0xee)]);
  const ipv4 = (proto: number, fragOff = 0, ihl = 5) => [0x40 | ihl, 0, 0, 60, 0, 1, fragOff >> 8, fragOff & 255, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, ...Array((ihl - 5) * 4).fill(1)];
  it('ends after the TCP header with its options, after UDP, after ARP behind a VLAN tag', () => {
    const tcp = [0, 22, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x80, 0x02, 0, 0];
    expect(headerEnd(eth(0x0800, [...ipv4(6), ...tcp]), 1)).toBe(14 + 20 + 32);
    expect(headerEnd(eth(0x0800, [...ipv4(17, 0, 6), 0, 53, 0, 53, 0, 8, 0, 0]), 1)).toBe(14 + 24 + 8);
    expect(headerEnd(eth(0x8100, [0, 5, 0x08, 0x06]), 1)).toBe(14 + 4 + 28);
  });
  it('keeps everything it does not fully understand: fragments, IPv6 extension headers, ICMP, other links', () => {
    const f = eth(0x0800, ipv4(6, 0x0010));
    expect(headerEnd(f, 1)).toBe(f.length);
    const v6 = eth(0x86dd, [0x60, 0, 0, 0, 0, 8, 0 /* hop-by-hop */, 64, ...Array(32).fill(0)]);
    expect(headerEnd(v6, 1)).toBe(v6.length);
    const icmp = eth(0x0800, ipv4(1));
    expect(headerEnd(icmp, 1)).toBe(icmp.length);
    expect(headerEnd(icmp.subarray(14), 101)).toBe(icmp.length - 14);
  });
});

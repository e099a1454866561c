import { describe, it, expect } from 'vitest';
import { csumPartial, csumFold, ipFastCsum, csumReplace4, csumReplace2, l4CsumV4, l4CsumV6, inetProtoCsumReplace4 } from '../../src/packet/checksum.js';
import { ipDecreaseTtl, ipv4Check, ipv4Ttl } from '../../src/packet/ipv4.js';
import { writeIpv4Hdr, writeIpv6Hdr, writeUdpHdr, fillL4ChecksumV4, fillL4ChecksumV6, writeTcpHdr } from '../../src/packet/build.js';
import { parseIpv6 } from '../../src/packet/addr.js';

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((b) => parseInt(b, 16)));

describe('internet checksum', () => {
  it('matches the RFC 1071 section 3 worked example (00 01 f2 03 f4 f5 f6 f7 -> sum ddf2)', () => {
    const b = hex('0001f203f4f5f6f7');
    expect(csumFold(csumPartial(b, 0, 8, 0))).toBe(~0xddf2 & 0xffff);
  });
  it('computes the IPv4 header checksum of the well-known example header (b861)', () => {
    // header from RFC 1071-era textbooks / Wikipedia "IPv4 header checksum" example
    const h = hex('450000730000400040110000c0a80001c0a800c7');
    expect(ipFastCsum(h, 0, 5)).toBe(0xb861);
    h[10] = 0xb8; h[11] = 0x61;
    expect(ipFastCsum(h, 0, 5)).toBe(0);
  });
  it('ip_decrease_ttl keeps the header checksum valid', () => {
    const h = hex('450000730000400040110000c0a80001c0a800c7');
    h[10] = 0xb8; h[11] = 0x61;
    for (let i = 0; i < 63; i++) { ipDecreaseTtl(h, 0); expect(ipFastCsum(h, 0, 5)).toBe(0); }
    expect(ipv4Ttl(h, 0)).toBe(1);
    expect(ipv4Check(h, 0)).not.toBe(0xb861);
  });
  it('csum_replace4 after an address rewrite equals a full recomputation', () => {
    const b = new Uint8Array(20);
    writeIpv4Hdr(b, 0, 0, 84, 0x1234, 0x4000, 64, 1, 0x0a000002, 0x0a000001);
    const old = 0x0a000002, nu = 0xc0a80164;
    b[12] = nu >>> 24; b[13] = nu >>> 16; b[14] = nu >>> 8; b[15] = nu;
    csumReplace4(b, 10, old, nu);
    expect(ipFastCsum(b, 0, 5)).toBe(0);
  });
  it('inet_proto_csum_replace4/2 keep a TCP checksum valid after SNAT of address and port', () => {
    const b = new Uint8Array(40);
    writeTcpHdr(b, 0, 40000, 22, 1, 0, 0x02, 64240);
    fillL4ChecksumV4(b, 0, 20, 6, 0x0a000002, 0x0a000001);
    expect(l4CsumV4(b, 0, 20, 6, 0x0a000002, 0x0a000001)).toBe(0);
    inetProtoCsumReplace4(b, 16, 0x0a000002, 0xc0000201, true);
    csumReplace2(b, 16, 40000, 1024); b[0] = 1024 >>> 8; b[1] = 0;
    expect(l4CsumV4(b, 0, 20, 6, 0xc0000201, 0x0a000001)).toBe(0);
  });
  it('UDP over IPv6 checksum verifies after filling, and a flipped bit breaks it', () => {
    const b = new Uint8Array(40 + 8 + 4);
    const s = parseIpv6('fe80::1')!, d = parseIpv6('ff02::fb')!;
    writeIpv6Hdr(b, 0, 0, 0, 12, 17, 255, s, 0, d, 0);
    writeUdpHdr(b, 40, 5353, 5353, 12);
    b.set([1, 2, 3, 4], 48);
    fillL4ChecksumV6(b, 0, 40, 12, 17);
    expect(l4CsumV6(b, 0, 40, 12, 17)).toBe(0);
    b[49] ^= 1;
    expect(l4CsumV6(b, 0, 40, 12, 17)).not.toBe(0);
  });
});

// Internet checksum (RFC 1071) and the kernel's helpers around it (include/net/checksum.h,
// include/net/ip6_checksum.h, net/core/utils.c). Sums are plain numbers: a 32-bit
// "unfolded" partial sum (like __wsum) until csumFold() turns it into the 16-bit complement.
// All big-endian word order, so values read/written with the accessors need no swapping.

/** csum_partial: add [off, off+len) of buf as 16-bit big-endian words to sum (odd tail padded) */
// one DataView per underlying buffer (frames are views into the reader's buffer): reads of
// 32-bit big-endian words are about twice as fast as byte loads
let dvBuf: ArrayBufferLike | null = null;
let dv: DataView = new DataView(new ArrayBuffer(0));

export function csumPartial(buf: Uint8Array, off: number, len: number, sum: number): number {
  let end = off + len;
  if (end > buf.length) end = buf.length;
  if (off < 0 || end <= off) return sum;
  if (buf.buffer !== dvBuf) { dvBuf = buf.buffer; dv = new DataView(buf.buffer); }
  const base = buf.byteOffset;
  let i = off, w = 0;
  // 32-bit words: their sum stays exact in a double for 2^21 words (8 MiB), far above MAX_CAPLEN
  const end16 = end - 15;
  for (; i < end16; i += 16) w += dv.getUint32(base + i) + dv.getUint32(base + i + 4) + dv.getUint32(base + i + 8) + dv.getUint32(base + i + 12);
  for (; i + 3 < end; i += 4) w += dv.getUint32(base + i);
  // a 32-bit word is two 16-bit words: hi*65536 + lo == hi + lo in one's complement arithmetic
  sum += (w % 65536) + Math.floor(w / 65536);
  for (; i + 1 < end; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i < end) sum += buf[i] << 8;
  return sum;
}

/** fold a partial sum to 16 bits with end-around carry (no complement) */
export function csumFold16(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** csum_fold(): the 16-bit one's complement of the folded sum, i.e. the checksum field value */
export function csumFold(sum: number): number { return ~csumFold16(sum) & 0xffff; }

/** ip_fast_csum(): checksum of an IPv4 header of ihl 32-bit words (0 when the header verifies) */
export function ipFastCsum(buf: Uint8Array, off: number, ihl: number): number {
  const end = off + (ihl << 2);
  if (off < 0 || end > buf.length) return csumFold(csumPartial(buf, off, ihl << 2, 0));
  // a header is 20-60 bytes: 16-bit loads beat setting up 32-bit DataView reads
  let sum = 0;
  for (let i = off; i < end; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  return csumFold(sum);
}

/** csum_tcpudp_nofold(): IPv4 pseudo header (saddr, daddr, proto, len) added to sum */
export function csumTcpudpNofold(saddr: number, daddr: number, len: number, proto: number, sum: number): number {
  return sum + (saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) + proto + len;
}
/** csum_tcpudp_magic() */
export function csumTcpudpMagic(saddr: number, daddr: number, len: number, proto: number, sum: number): number {
  return csumFold(csumTcpudpNofold(saddr, daddr, len, proto, sum));
}

/**
 * csum_ipv6_magic(): IPv6 pseudo header. Addresses are read in place: saddr at buf[sOff],
 * daddr at dbuf[dOff] (pass the same buffer twice for a packet's own header).
 */
export function csumIpv6Nofold(sbuf: Uint8Array, sOff: number, dbuf: Uint8Array, dOff: number, len: number, proto: number, sum: number): number {
  sum = csumPartial(sbuf, sOff, 16, sum);
  sum = csumPartial(dbuf, dOff, 16, sum);
  return sum + Math.floor(len / 0x10000) + (len & 0xffff) + proto;
}
export function csumIpv6Magic(sbuf: Uint8Array, sOff: number, dbuf: Uint8Array, dOff: number, len: number, proto: number, sum: number): number {
  return csumFold(csumIpv6Nofold(sbuf, sOff, dbuf, dOff, len, proto, sum));
}

/**
 * Checksum of an L4 segment over IPv4 at [l4Off, l4Off+len) including its checksum field:
 * 0 means it verifies. To fill one in: zero the field, call this, store the result (UDP: 0 -> 0xffff).
 */
export function l4CsumV4(buf: Uint8Array, l4Off: number, len: number, proto: number, saddr: number, daddr: number): number {
  return csumTcpudpMagic(saddr, daddr, len, proto, csumPartial(buf, l4Off, len, 0));
}
/** same over IPv6 with the addresses of the IPv6 header at ip6Off */
export function l4CsumV6(buf: Uint8Array, ip6Off: number, l4Off: number, len: number, proto: number): number {
  return csumIpv6Magic(buf, ip6Off + 8, buf, ip6Off + 24, len, proto, csumPartial(buf, l4Off, len, 0));
}

function rd16(buf: Uint8Array, o: number): number { return (buf[o] << 8) | buf[o + 1]; }
function wr16(buf: Uint8Array, o: number, v: number): void { buf[o] = v >>> 8; buf[o + 1] = v; }

/** csum_replace2(): a 16-bit word changed from `from` to `to`; adjust the checksum at checkOff (RFC 1624 eq. 3) */
export function csumReplace2(buf: Uint8Array, checkOff: number, from: number, to: number): void {
  const sum = (~rd16(buf, checkOff) & 0xffff) + (~from & 0xffff) + (to & 0xffff);
  wr16(buf, checkOff, csumFold(sum));
}
/** csum_replace4(): a 32-bit field (address) changed */
export function csumReplace4(buf: Uint8Array, checkOff: number, from: number, to: number): void {
  const sum = (~rd16(buf, checkOff) & 0xffff) + (~(from >>> 16) & 0xffff) + (~from & 0xffff) + (to >>> 16) + (to & 0xffff);
  wr16(buf, checkOff, csumFold(sum));
}
/** csum_replace16 over 16-byte IPv6 addresses read in place (inet_proto_csum_replace16 core) */
export function csumReplace16(buf: Uint8Array, checkOff: number, from: Uint8Array, fromOff: number, to: Uint8Array, toOff: number): void {
  let sum = ~rd16(buf, checkOff) & 0xffff;
  for (let i = 0; i < 16; i += 2) sum += (~rd16(from, fromOff + i) & 0xffff) + rd16(to, toOff + i);
  wr16(buf, checkOff, csumFold(sum));
}

/**
 * inet_proto_csum_replace4(): adjust a TCP/UDP checksum for a changed address or port.
 * With `partial` (CHECKSUM_PARTIAL: the field holds the uncomplemented pseudo-header sum the
 * NIC will finish) the kernel updates it only when pseudohdr is true and without complement.
 * Note udp_manip_pkt leaves a zero UDP/IPv4 checksum alone and maps a result of 0 to 0xffff.
 */
export function inetProtoCsumReplace4(buf: Uint8Array, checkOff: number, from: number, to: number, pseudohdr: boolean, partial = false): void {
  if (!partial) { csumReplace4(buf, checkOff, from, to); return; }
  if (!pseudohdr) return;
  const sum = rd16(buf, checkOff) + (~(from >>> 16) & 0xffff) + (~from & 0xffff) + (to >>> 16) + (to & 0xffff);
  wr16(buf, checkOff, csumFold16(sum));
}
/** inet_proto_csum_replace16() for an IPv6 address (always in the pseudo-header) */
export function inetProtoCsumReplace16(buf: Uint8Array, checkOff: number, from: Uint8Array, fromOff: number, to: Uint8Array, toOff: number, partial = false): void {
  if (!partial) { csumReplace16(buf, checkOff, from, fromOff, to, toOff); return; }
  let sum = rd16(buf, checkOff);
  for (let i = 0; i < 16; i += 2) sum += (~rd16(from, fromOff + i) & 0xffff) + rd16(to, toOff + i);
  wr16(buf, checkOff, csumFold16(sum));
}
/** inet_proto_csum_replace2() for a port */
export function inetProtoCsumReplace2(buf: Uint8Array, checkOff: number, from: number, to: number, pseudohdr: boolean, partial = false): void {
  if (!partial) { csumReplace2(buf, checkOff, from, to); return; }
  if (!pseudohdr) return;
  const sum = rd16(buf, checkOff) + (~from & 0xffff) + (to & 0xffff);
  wr16(buf, checkOff, csumFold16(sum));
}

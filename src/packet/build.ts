// Header writers for frames the model sends (replies, ICMP errors, forwarded copies). Each
// writes one header at `off` into a caller-provided buffer and returns the offset after it;
// nothing allocates. Checksums: IPv4 header checksum is filled in by writeIpv4Hdr; L4
// checksums by the fill* helpers once the payload is in place.

import { csumPartial, csumFold, ipFastCsum, l4CsumV4, l4CsumV6 } from './checksum.js';
import { IPPROTO_UDP } from './ipv4.js';

/** Ethernet II header; dst/src MACs copied from (buf, off) pairs */
export function writeEthHdr(buf: Uint8Array, off: number, dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, proto: number): number {
  for (let i = 0; i < 6; i++) { buf[off + i] = dst[dstOff + i]; buf[off + 6 + i] = src[srcOff + i]; }
  buf[off + 12] = proto >>> 8; buf[off + 13] = proto;
  return off + 14;
}

/** the 4 bytes after a TPID: TCI and the encapsulated protocol (the TPID is the preceding type field) */
export function writeVlanHdr(buf: Uint8Array, off: number, tci: number, encapProto: number): number {
  buf[off] = tci >>> 8; buf[off + 1] = tci; buf[off + 2] = encapProto >>> 8; buf[off + 3] = encapProto;
  return off + 4;
}

/**
 * 20-byte IPv4 header (no options) with its checksum. fragOff is the raw field (IP_DF etc.).
 * totLen is header + payload.
 */
export function writeIpv4Hdr(buf: Uint8Array, off: number, tos: number, totLen: number, id: number, fragOff: number,
  ttl: number, protocol: number, saddr: number, daddr: number): number {
  buf[off] = 0x45; buf[off + 1] = tos;
  buf[off + 2] = totLen >>> 8; buf[off + 3] = totLen;
  buf[off + 4] = id >>> 8; buf[off + 5] = id;
  buf[off + 6] = fragOff >>> 8; buf[off + 7] = fragOff;
  buf[off + 8] = ttl; buf[off + 9] = protocol;
  buf[off + 10] = 0; buf[off + 11] = 0;
  buf[off + 12] = saddr >>> 24; buf[off + 13] = saddr >>> 16; buf[off + 14] = saddr >>> 8; buf[off + 15] = saddr;
  buf[off + 16] = daddr >>> 24; buf[off + 17] = daddr >>> 16; buf[off + 18] = daddr >>> 8; buf[off + 19] = daddr;
  const c = ipFastCsum(buf, off, 5);
  buf[off + 10] = c >>> 8; buf[off + 11] = c;
  return off + 20;
}

/** recompute the checksum of an existing IPv4 header (after edits) — ip_send_check() */
export function ipSendCheck(buf: Uint8Array, off: number): void {
  buf[off + 10] = 0; buf[off + 11] = 0;
  const c = ipFastCsum(buf, off, buf[off] & 0x0f);
  buf[off + 10] = c >>> 8; buf[off + 11] = c;
}

/** 40-byte IPv6 header; addresses copied from (buf, off) pairs */
export function writeIpv6Hdr(buf: Uint8Array, off: number, tclass: number, flowLabel: number, payloadLen: number,
  nexthdr: number, hopLimit: number, saddr: Uint8Array, sOff: number, daddr: Uint8Array, dOff: number): number {
  buf[off] = 0x60 | ((tclass >>> 4) & 0x0f);
  buf[off + 1] = ((tclass & 0x0f) << 4) | ((flowLabel >>> 16) & 0x0f);
  buf[off + 2] = flowLabel >>> 8; buf[off + 3] = flowLabel;
  buf[off + 4] = payloadLen >>> 8; buf[off + 5] = payloadLen;
  buf[off + 6] = nexthdr; buf[off + 7] = hopLimit;
  for (let i = 0; i < 16; i++) { buf[off + 8 + i] = saddr[sOff + i]; buf[off + 24 + i] = daddr[dOff + i]; }
  return off + 40;
}

/** 20-byte TCP header (doff 5, no options), checksum zero: call fillL4ChecksumV4/V6 after */
export function writeTcpHdr(buf: Uint8Array, off: number, sport: number, dport: number, seq: number, ack: number, flags: number, window: number): number {
  buf[off] = sport >>> 8; buf[off + 1] = sport; buf[off + 2] = dport >>> 8; buf[off + 3] = dport;
  buf[off + 4] = seq >>> 24; buf[off + 5] = seq >>> 16; buf[off + 6] = seq >>> 8; buf[off + 7] = seq;
  buf[off + 8] = ack >>> 24; buf[off + 9] = ack >>> 16; buf[off + 10] = ack >>> 8; buf[off + 11] = ack;
  buf[off + 12] = 0x50 | ((flags >>> 8) & 1); buf[off + 13] = flags;
  buf[off + 14] = window >>> 8; buf[off + 15] = window;
  buf[off + 16] = 0; buf[off + 17] = 0; buf[off + 18] = 0; buf[off + 19] = 0;
  return off + 20;
}

/** 8-byte UDP header, len = header + payload, checksum zero */
export function writeUdpHdr(buf: Uint8Array, off: number, sport: number, dport: number, len: number): number {
  buf[off] = sport >>> 8; buf[off + 1] = sport; buf[off + 2] = dport >>> 8; buf[off + 3] = dport;
  buf[off + 4] = len >>> 8; buf[off + 5] = len; buf[off + 6] = 0; buf[off + 7] = 0;
  return off + 8;
}

/** ICMP or ICMPv6 header: type, code, zero checksum, 32-bit rest (id<<16|seq, gateway, mtu, pointer<<24) */
export function writeIcmpHdr(buf: Uint8Array, off: number, type: number, code: number, rest: number): number {
  buf[off] = type; buf[off + 1] = code; buf[off + 2] = 0; buf[off + 3] = 0;
  buf[off + 4] = rest >>> 24; buf[off + 5] = rest >>> 16; buf[off + 6] = rest >>> 8; buf[off + 7] = rest;
  return off + 8;
}
export const writeIcmpv6Hdr = writeIcmpHdr;

/** Ethernet/IPv4 ARP body (28 bytes) */
export function writeArp(buf: Uint8Array, off: number, op: number, sha: Uint8Array, shaOff: number, spa: number,
  tha: Uint8Array, thaOff: number, tpa: number): number {
  buf[off] = 0; buf[off + 1] = 1; buf[off + 2] = 0x08; buf[off + 3] = 0x00; buf[off + 4] = 6; buf[off + 5] = 4;
  buf[off + 6] = op >>> 8; buf[off + 7] = op;
  for (let i = 0; i < 6; i++) { buf[off + 8 + i] = sha[shaOff + i]; buf[off + 18 + i] = tha[thaOff + i]; }
  buf[off + 14] = spa >>> 24; buf[off + 15] = spa >>> 16; buf[off + 16] = spa >>> 8; buf[off + 17] = spa;
  buf[off + 24] = tpa >>> 24; buf[off + 25] = tpa >>> 16; buf[off + 26] = tpa >>> 8; buf[off + 27] = tpa;
  return off + 28;
}

/** NDP source/target link-layer address option for Ethernet (8 bytes) */
export function writeNdOptLladdr(buf: Uint8Array, off: number, type: number, mac: Uint8Array, macOff: number): number {
  buf[off] = type; buf[off + 1] = 1;
  for (let i = 0; i < 6; i++) buf[off + 2 + i] = mac[macOff + i];
  return off + 8;
}

/** copy bytes (e.g. the quoted packet of an ICMP error); returns the offset after them */
export function writeBytes(buf: Uint8Array, off: number, src: Uint8Array, srcOff: number, len: number): number {
  buf.set(src.subarray(srcOff, srcOff + len), off);
  return off + len;
}

/** ICMP (v4) checksum over [off, off+len) — no pseudo header */
export function fillIcmpChecksum(buf: Uint8Array, off: number, len: number): void {
  buf[off + 2] = 0; buf[off + 3] = 0;
  const c = csumFold(csumPartial(buf, off, len, 0));
  buf[off + 2] = c >>> 8; buf[off + 3] = c;
}

/** L4 checksum field offset within the transport header for TCP (16), UDP (6), ICMPv6 (2) */
function checkFieldOff(proto: number): number { return proto === 6 ? 16 : proto === 17 ? 6 : 2; }

/** TCP/UDP checksum over IPv4 with the pseudo header (UDP: 0 becomes 0xffff) */
export function fillL4ChecksumV4(buf: Uint8Array, l4Off: number, len: number, proto: number, saddr: number, daddr: number): void {
  const co = l4Off + checkFieldOff(proto);
  buf[co] = 0; buf[co + 1] = 0;
  let c = l4CsumV4(buf, l4Off, len, proto, saddr, daddr);
  if (c === 0 && proto === IPPROTO_UDP) c = 0xffff;
  buf[co] = c >>> 8; buf[co + 1] = c;
}

/** TCP/UDP/ICMPv6 checksum over IPv6 using the addresses of the IPv6 header at ip6Off */
export function fillL4ChecksumV6(buf: Uint8Array, ip6Off: number, l4Off: number, len: number, proto: number): void {
  const co = l4Off + checkFieldOff(proto);
  buf[co] = 0; buf[co + 1] = 0;
  let c = l4CsumV6(buf, ip6Off, l4Off, len, proto);
  if (c === 0 && proto === IPPROTO_UDP) c = 0xffff;
  buf[co] = c >>> 8; buf[co + 1] = c;
}

/**
 * How much of the offending packet an ICMP error quotes: icmp_send() caps the whole reply at
 * 576 bytes (room = 576 - IP header - options - 8), icmp6_send() at IPV6_MIN_MTU (1280 - 40 - 8).
 */
export function icmpQuoteLen(offendingLen: number, replyOptLen = 0): number {
  const room = 576 - 20 - replyOptLen - 8;
  return offendingLen > room ? room : offendingLen;
}
export function icmp6QuoteLen(offendingLen: number): number {
  const room = 1280 - 40 - 8;
  return offendingLen > room ? room : offendingLen;
}

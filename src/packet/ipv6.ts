// IPv6 header accessors (include/uapi/linux/ipv6.h struct ipv6hdr) and extension headers
// (include/net/ipv6.h NEXTHDR_*). Addresses are 16 bytes in place: use the *_OFF offsets
// with addr.ts to format, or ipv6AddrEqual to compare without allocating.

export const IPV6_HLEN = 40;
export const IPV6_SADDR_OFF = 8;
export const IPV6_DADDR_OFF = 24;
export const IPV6_MIN_MTU = 1280;

export const NEXTHDR_HOP = 0;
export const NEXTHDR_IPV4 = 4;
export const NEXTHDR_TCP = 6;
export const NEXTHDR_UDP = 17;
export const NEXTHDR_IPV6 = 41;
export const NEXTHDR_ROUTING = 43;
export const NEXTHDR_FRAGMENT = 44;
export const NEXTHDR_GRE = 47;
export const NEXTHDR_ESP = 50;
export const NEXTHDR_AUTH = 51;
export const NEXTHDR_ICMP = 58;
export const NEXTHDR_NONE = 59;
export const NEXTHDR_DEST = 60;
export const NEXTHDR_SCTP = 132;
export const NEXTHDR_MOBILITY = 135;

/** ipv6_ext_hdr(): headers the kernel walks over with ipv6_skip_exthdr */
export function ipv6ExtHdr(nexthdr: number): boolean {
  return nexthdr === NEXTHDR_HOP || nexthdr === NEXTHDR_ROUTING || nexthdr === NEXTHDR_FRAGMENT ||
    nexthdr === NEXTHDR_AUTH || nexthdr === NEXTHDR_NONE || nexthdr === NEXTHDR_DEST;
}

export function ipv6Version(buf: Uint8Array, off: number): number { return buf[off] >>> 4; }
export function ipv6TrafficClass(buf: Uint8Array, off: number): number { return ((buf[off] & 0x0f) << 4) | (buf[off + 1] >>> 4); }
export function ipv6FlowLabel(buf: Uint8Array, off: number): number { return ((buf[off + 1] & 0x0f) << 16) | (buf[off + 2] << 8) | buf[off + 3]; }
export function ipv6PayloadLen(buf: Uint8Array, off: number): number { return (buf[off + 4] << 8) | buf[off + 5]; }
export function ipv6Nexthdr(buf: Uint8Array, off: number): number { return buf[off + 6] | 0; }
export function ipv6HopLimit(buf: Uint8Array, off: number): number { return buf[off + 7] | 0; }

export function ipv6SetVersionTcFlow(buf: Uint8Array, off: number, tc: number, flow: number): void {
  buf[off] = 0x60 | ((tc >>> 4) & 0x0f);
  buf[off + 1] = ((tc & 0x0f) << 4) | ((flow >>> 16) & 0x0f);
  buf[off + 2] = flow >>> 8;
  buf[off + 3] = flow;
}
export function ipv6SetPayloadLen(buf: Uint8Array, off: number, v: number): void { buf[off + 4] = v >>> 8; buf[off + 5] = v; }
export function ipv6SetNexthdr(buf: Uint8Array, off: number, v: number): void { buf[off + 6] = v; }
export function ipv6SetHopLimit(buf: Uint8Array, off: number, v: number): void { buf[off + 7] = v; }
export function ipv6SetSaddr(buf: Uint8Array, off: number, a: Uint8Array, aOff = 0): void { for (let i = 0; i < 16; i++) buf[off + 8 + i] = a[aOff + i]; }
export function ipv6SetDaddr(buf: Uint8Array, off: number, a: Uint8Array, aOff = 0): void { for (let i = 0; i < 16; i++) buf[off + 24 + i] = a[aOff + i]; }

/** compare two 16-byte addresses in place */
export function ipv6AddrEqual(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): boolean {
  for (let i = 0; i < 16; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}
export function ipv6AddrIsMulticast(a: Uint8Array, off: number): boolean { return a[off] === 0xff; }
export function ipv6AddrIsLinklocal(a: Uint8Array, off: number): boolean { return a[off] === 0xfe && (a[off + 1] & 0xc0) === 0x80; }
export function ipv6AddrIsAny(a: Uint8Array, off: number): boolean {
  for (let i = 0; i < 16; i++) if (a[off + i] !== 0) return false;
  return true;
}
export function ipv6AddrIsLoopback(a: Uint8Array, off: number): boolean {
  for (let i = 0; i < 15; i++) if (a[off + i] !== 0) return false;
  return a[off + 15] === 1;
}

/** generic extension header (hop-by-hop, routing, dest opts): next header and length */
export function ipv6OptNexthdr(buf: Uint8Array, off: number): number { return buf[off] | 0; }
/** ipv6_optlen(): (hdrlen+1)*8 */
export function ipv6OptLen(buf: Uint8Array, off: number): number { return ((buf[off + 1] | 0) + 1) << 3; }
/** ipv6_authlen(): AH length is in 4-byte units minus 2 */
export function ipv6AuthLen(buf: Uint8Array, off: number): number { return ((buf[off + 1] | 0) + 2) << 2; }

/** struct frag_hdr (8 bytes) */
export const FRAG_HDR_LEN = 8;
export const IP6_MF = 0x0001;
export const IP6_OFFSET = 0xfff8;
export function frag6Nexthdr(buf: Uint8Array, off: number): number { return buf[off] | 0; }
/** fragment offset in bytes */
export function frag6Offset(buf: Uint8Array, off: number): number { return ((buf[off + 2] << 8) | buf[off + 3]) & IP6_OFFSET; }
export function frag6Mf(buf: Uint8Array, off: number): boolean { return (buf[off + 3] & 1) === 1; }
export function frag6Id(buf: Uint8Array, off: number): number { return ((buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7]) >>> 0; }

/** routing header (struct ipv6_rt_hdr) */
export function rt6Type(buf: Uint8Array, off: number): number { return buf[off + 2] | 0; }
export function rt6SegmentsLeft(buf: Uint8Array, off: number): number { return buf[off + 3] | 0; }

// IPv4 header accessors (include/uapi/linux/ip.h struct iphdr). Addresses are unsigned
// 32-bit numbers in host order (10.0.0.1 = 0x0a000001). Setters do NOT fix the header
// checksum: call ipv4SetCheck(…, ipFastCsum) from checksum.ts or use the incremental helpers
// (ipDecreaseTtl does both, as the kernel's ip_decrease_ttl).

export const IPV4_MIN_HLEN = 20;
export const IP_CE = 0x8000; // flag: congestion
export const IP_DF = 0x4000;
export const IP_MF = 0x2000;
export const IP_OFFSET = 0x1fff;
export const IPVERSION = 4;
export const MAXTTL = 255;
export const IPDEFTTL = 64;

/** include/uapi/linux/in.h */
export const IPPROTO_IP = 0;
export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_IGMP = 2;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_EGP = 8;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_RSVP = 46;
export const IPPROTO_GRE = 47;
export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;
export const IPPROTO_MTP = 92;
export const IPPROTO_ENCAP = 98;
export const IPPROTO_PIM = 103;
export const IPPROTO_COMP = 108;
export const IPPROTO_VRRP = 112;
export const IPPROTO_L2TP = 115;
export const IPPROTO_SCTP = 132;
export const IPPROTO_MH = 135;
export const IPPROTO_UDPLITE = 136;
export const IPPROTO_MPLS = 137;
export const IPPROTO_ETHERNET = 143;
export const IPPROTO_RAW = 255;

/** IP options (include/uapi/linux/ip.h) */
export const IPOPT_END = 0;
export const IPOPT_NOOP = 1;
export const IPOPT_SEC = 130;
export const IPOPT_LSRR = 131;
export const IPOPT_TIMESTAMP = 68;
export const IPOPT_RR = 7;
export const IPOPT_SSRR = 137;
export const IPOPT_RA = 148;

export function ipv4Version(buf: Uint8Array, off: number): number { return buf[off] >>> 4; }
export function ipv4Ihl(buf: Uint8Array, off: number): number { return buf[off] & 0x0f; }
/** header length in bytes (ihl*4) */
export function ipv4HdrLen(buf: Uint8Array, off: number): number { return (buf[off] & 0x0f) << 2; }
export function ipv4Tos(buf: Uint8Array, off: number): number { return buf[off + 1] | 0; }
export function ipv4Dscp(buf: Uint8Array, off: number): number { return buf[off + 1] >>> 2; }
export function ipv4Ecn(buf: Uint8Array, off: number): number { return buf[off + 1] & 3; }
export function ipv4TotLen(buf: Uint8Array, off: number): number { return (buf[off + 2] << 8) | buf[off + 3]; }
export function ipv4Id(buf: Uint8Array, off: number): number { return (buf[off + 4] << 8) | buf[off + 5]; }
/** raw frag_off field: flags (CE/DF/MF) and 13-bit offset in 8-byte units */
export function ipv4FragOff(buf: Uint8Array, off: number): number { return (buf[off + 6] << 8) | buf[off + 7]; }
export function ipv4Df(buf: Uint8Array, off: number): boolean { return (buf[off + 6] & 0x40) !== 0; }
export function ipv4Mf(buf: Uint8Array, off: number): boolean { return (buf[off + 6] & 0x20) !== 0; }
/** fragment offset in bytes */
export function ipv4FragOffset(buf: Uint8Array, off: number): number { return (ipv4FragOff(buf, off) & IP_OFFSET) << 3; }
/** ip_is_fragment(): MF set or offset non-zero */
export function ipv4IsFragment(buf: Uint8Array, off: number): boolean { return (ipv4FragOff(buf, off) & (IP_MF | IP_OFFSET)) !== 0; }
export function ipv4Ttl(buf: Uint8Array, off: number): number { return buf[off + 8] | 0; }
export function ipv4Protocol(buf: Uint8Array, off: number): number { return buf[off + 9] | 0; }
export function ipv4Check(buf: Uint8Array, off: number): number { return (buf[off + 10] << 8) | buf[off + 11]; }
export function ipv4Saddr(buf: Uint8Array, off: number): number { return ((buf[off + 12] << 24) | (buf[off + 13] << 16) | (buf[off + 14] << 8) | buf[off + 15]) >>> 0; }
export function ipv4Daddr(buf: Uint8Array, off: number): number { return ((buf[off + 16] << 24) | (buf[off + 17] << 16) | (buf[off + 18] << 8) | buf[off + 19]) >>> 0; }
export const IPV4_SADDR_OFF = 12;
export const IPV4_DADDR_OFF = 16;
export const IPV4_CHECK_OFF = 10;

export function ipv4SetVersionIhl(buf: Uint8Array, off: number, ihl: number): void { buf[off] = 0x40 | (ihl & 0x0f); }
export function ipv4SetTos(buf: Uint8Array, off: number, v: number): void { buf[off + 1] = v; }
export function ipv4SetTotLen(buf: Uint8Array, off: number, v: number): void { buf[off + 2] = v >>> 8; buf[off + 3] = v; }
export function ipv4SetId(buf: Uint8Array, off: number, v: number): void { buf[off + 4] = v >>> 8; buf[off + 5] = v; }
export function ipv4SetFragOff(buf: Uint8Array, off: number, v: number): void { buf[off + 6] = v >>> 8; buf[off + 7] = v; }
export function ipv4SetTtl(buf: Uint8Array, off: number, v: number): void { buf[off + 8] = v; }
export function ipv4SetProtocol(buf: Uint8Array, off: number, v: number): void { buf[off + 9] = v; }
export function ipv4SetCheck(buf: Uint8Array, off: number, v: number): void { buf[off + 10] = v >>> 8; buf[off + 11] = v; }
export function ipv4SetSaddr(buf: Uint8Array, off: number, a: number): void { buf[off + 12] = a >>> 24; buf[off + 13] = a >>> 16; buf[off + 14] = a >>> 8; buf[off + 15] = a; }
export function ipv4SetDaddr(buf: Uint8Array, off: number, a: number): void { buf[off + 16] = a >>> 24; buf[off + 17] = a >>> 16; buf[off + 18] = a >>> 8; buf[off + 19] = a; }

/**
 * ip_decrease_ttl() (include/net/ip.h): TTL-1 and the checksum adjusted incrementally
 * (RFC 1624), exactly as the kernel does it, so a bad checksum stays bad.
 */
export function ipDecreaseTtl(buf: Uint8Array, off: number): number {
  let check = ipv4Check(buf, off);
  check += 0x0100;
  check = (check + (check >= 0xffff ? 1 : 0)) & 0xffff;
  ipv4SetCheck(buf, off, check);
  const ttl = (buf[off + 8] - 1) & 0xff;
  buf[off + 8] = ttl;
  return ttl;
}

/** ipv4_is_multicast / lbcast / loopback / zeronet / linklocal (include/linux/in.h) */
export function ipv4IsMulticast(a: number): boolean { return (a & 0xf0000000) === 0xe0000000; }
export function ipv4IsLbcast(a: number): boolean { return a === 0xffffffff; }
export function ipv4IsLoopback(a: number): boolean { return (a & 0xff000000) === 0x7f000000; }
export function ipv4IsZeronet(a: number): boolean { return (a & 0xff000000) === 0; }
export function ipv4IsLinklocal169(a: number): boolean { return (a & 0xffff0000) === 0xa9fe0000; }

/**
 * Find IPv4 option `type` in the header at off. Returns its offset, -1 when absent, -2 when
 * the option list is malformed the way ip_options_compile() rejects it (an option length
 * below 2 or running past the header), which the kernel counts as IP_INHDR.
 */
export function ipv4FindOpt(buf: Uint8Array, off: number, type: number): number {
  const end = off + ipv4HdrLen(buf, off);
  let o = off + IPV4_MIN_HLEN;
  while (o < end) {
    const t = buf[o];
    if (t === IPOPT_END) return type === IPOPT_END ? o : -1;
    if (t === IPOPT_NOOP) { if (type === IPOPT_NOOP) return o; o++; continue; }
    if (o + 1 >= end) return -2;
    const len = buf[o + 1];
    if (len < 2 || o + len > end) return -2;
    if (t === type) return o;
    o += len;
  }
  return -1;
}

/** the option list is well-formed in length terms (see ipv4FindOpt) */
export function ipv4OptionsValid(buf: Uint8Array, off: number): boolean {
  return ipv4FindOpt(buf, off, 0x100) !== -2; // 0x100 matches no option: walks the whole list
}

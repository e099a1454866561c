// ICMPv6 and NDP accessors (include/uapi/linux/icmpv6.h, include/net/ndisc.h).

export const ICMPV6_HLEN = 8;
export const ICMPV6_DEST_UNREACH = 1;
export const ICMPV6_PKT_TOOBIG = 2;
export const ICMPV6_TIME_EXCEED = 3;
export const ICMPV6_PARAMPROB = 4;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;
export const ICMPV6_MGM_QUERY = 130;
export const ICMPV6_MGM_REPORT = 131;
export const ICMPV6_MGM_REDUCTION = 132;
export const NDISC_ROUTER_SOLICITATION = 133;
export const NDISC_ROUTER_ADVERTISEMENT = 134;
export const NDISC_NEIGHBOUR_SOLICITATION = 135;
export const NDISC_NEIGHBOUR_ADVERTISEMENT = 136;
export const NDISC_REDIRECT = 137;
export const ICMPV6_MLD2_REPORT = 143;

/** codes for ICMPV6_DEST_UNREACH */
export const ICMPV6_NOROUTE = 0;
export const ICMPV6_ADM_PROHIBITED = 1;
export const ICMPV6_NOT_NEIGHBOUR = 2;
export const ICMPV6_ADDR_UNREACH = 3;
export const ICMPV6_PORT_UNREACH = 4;
export const ICMPV6_POLICY_FAIL = 5;
export const ICMPV6_REJECT_ROUTE = 6;
/** codes for ICMPV6_TIME_EXCEED */
export const ICMPV6_EXC_HOPLIMIT = 0;
export const ICMPV6_EXC_FRAGTIME = 1;
/** codes for ICMPV6_PARAMPROB */
export const ICMPV6_HDR_FIELD = 0;
export const ICMPV6_UNK_NEXTHDR = 1;
export const ICMPV6_UNK_OPTION = 2;

/** NDP option types (enum in include/net/ndisc.h) */
export const ND_OPT_SOURCE_LL_ADDR = 1;
export const ND_OPT_TARGET_LL_ADDR = 2;
export const ND_OPT_PREFIX_INFO = 3;
export const ND_OPT_REDIRECT_HDR = 4;
export const ND_OPT_MTU = 5;
export const ND_OPT_NONCE = 14;
export const ND_OPT_ROUTE_INFO = 24;
export const ND_OPT_RDNSS = 25;
export const ND_OPT_DNSSL = 31;

/** NA flag bits in the first byte after the header word */
export const NA_FLAG_ROUTER = 0x80;
export const NA_FLAG_SOLICITED = 0x40;
export const NA_FLAG_OVERRIDE = 0x20;

/** icmpv6_is_err(): types < 128 are errors */
export function icmpv6IsErr(type: number): boolean { return type < 128; }

export function icmpv6Type(buf: Uint8Array, off: number): number { return buf[off] | 0; }
export function icmpv6Code(buf: Uint8Array, off: number): number { return buf[off + 1] | 0; }
export function icmpv6Checksum(buf: Uint8Array, off: number): number { return (buf[off + 2] << 8) | buf[off + 3]; }
export function icmpv6EchoId(buf: Uint8Array, off: number): number { return (buf[off + 4] << 8) | buf[off + 5]; }
export function icmpv6EchoSeq(buf: Uint8Array, off: number): number { return (buf[off + 6] << 8) | buf[off + 7]; }
/** MTU of Packet Too Big / pointer of Parameter Problem: the 32-bit word at 4 */
export function icmpv6Un(buf: Uint8Array, off: number): number { return ((buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7]) >>> 0; }

export function icmpv6SetType(buf: Uint8Array, off: number, v: number): void { buf[off] = v; }
export function icmpv6SetCode(buf: Uint8Array, off: number, v: number): void { buf[off + 1] = v; }
export function icmpv6SetChecksum(buf: Uint8Array, off: number, v: number): void { buf[off + 2] = v >>> 8; buf[off + 3] = v; }
export function icmpv6SetUn(buf: Uint8Array, off: number, v: number): void { buf[off + 4] = v >>> 24; buf[off + 5] = v >>> 16; buf[off + 6] = v >>> 8; buf[off + 7] = v; }

/** NS / NA / redirect target address offset (struct nd_msg: icmp6hdr then target) */
export function ndTargetOff(off: number): number { return off + 8; }
/** NA flags byte (R S O) */
export function ndNaFlags(buf: Uint8Array, off: number): number { return buf[off + 4] | 0; }
/** redirect destination address offset (after target) */
export function ndRedirectDestOff(off: number): number { return off + 24; }

/** offset of the first NDP option for this message type, or -1 for non-NDP types */
export function ndOptsOff(type: number, off: number): number {
  switch (type) {
    case NDISC_ROUTER_SOLICITATION: return off + 8;
    case NDISC_ROUTER_ADVERTISEMENT: return off + 16;
    case NDISC_NEIGHBOUR_SOLICITATION:
    case NDISC_NEIGHBOUR_ADVERTISEMENT: return off + 24;
    case NDISC_REDIRECT: return off + 40;
    default: return -1;
  }
}
/** option type and total length in bytes (nd_opt_len*8; 0 is invalid per RFC 4861) */
export function ndOptType(buf: Uint8Array, off: number): number { return buf[off] | 0; }
export function ndOptLen(buf: Uint8Array, off: number): number { return (buf[off + 1] | 0) << 3; }

/**
 * Find an NDP option in [optsOff, end). Returns its offset or -1; -2 if an option is
 * malformed (zero length or overruns end), as ndisc_parse_options rejects.
 */
export function ndFindOpt(buf: Uint8Array, optsOff: number, end: number, type: number): number {
  let o = optsOff;
  while (o + 2 <= end) {
    const len = ndOptLen(buf, o);
    if (len === 0 || o + len > end) return -2;
    if (buf[o] === type) return o;
    o += len;
  }
  return -1;
}

/** RA fields (struct ra_msg) */
export function raCurHopLimit(buf: Uint8Array, off: number): number { return buf[off + 4] | 0; }
export function raFlags(buf: Uint8Array, off: number): number { return buf[off + 5] | 0; }
export function raRouterLifetime(buf: Uint8Array, off: number): number { return (buf[off + 6] << 8) | buf[off + 7]; }

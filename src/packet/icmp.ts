// ICMP header accessors (include/uapi/linux/icmp.h struct icmphdr).

export const ICMP_HLEN = 8;
export const ICMP_ECHOREPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_SOURCE_QUENCH = 4;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO = 8;
export const ICMP_ROUTERADVERT = 9;
export const ICMP_ROUTERSOLICIT = 10;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETERPROB = 12;
export const ICMP_TIMESTAMP = 13;
export const ICMP_TIMESTAMPREPLY = 14;
export const ICMP_INFO_REQUEST = 15;
export const ICMP_INFO_REPLY = 16;
export const ICMP_ADDRESS = 17;
export const ICMP_ADDRESSREPLY = 18;

/** codes for ICMP_DEST_UNREACH */
export const ICMP_NET_UNREACH = 0;
export const ICMP_HOST_UNREACH = 1;
export const ICMP_PROT_UNREACH = 2;
export const ICMP_PORT_UNREACH = 3;
export const ICMP_FRAG_NEEDED = 4;
export const ICMP_SR_FAILED = 5;
export const ICMP_NET_UNKNOWN = 6;
export const ICMP_HOST_UNKNOWN = 7;
export const ICMP_HOST_ISOLATED = 8;
export const ICMP_NET_ANO = 9;
export const ICMP_HOST_ANO = 10;
export const ICMP_NET_UNR_TOS = 11;
export const ICMP_HOST_UNR_TOS = 12;
export const ICMP_PKT_FILTERED = 13;
export const ICMP_PREC_VIOLATION = 14;
export const ICMP_PREC_CUTOFF = 15;
/** codes for ICMP_REDIRECT */
export const ICMP_REDIR_NET = 0;
export const ICMP_REDIR_HOST = 1;
/** codes for ICMP_TIME_EXCEEDED */
export const ICMP_EXC_TTL = 0;
export const ICMP_EXC_FRAGTIME = 1;

/** icmp_is_err(): types that quote an offending packet */
export function icmpIsErr(type: number): boolean {
  return type === ICMP_DEST_UNREACH || type === ICMP_SOURCE_QUENCH || type === ICMP_REDIRECT ||
    type === ICMP_TIME_EXCEEDED || type === ICMP_PARAMETERPROB;
}

export function icmpType(buf: Uint8Array, off: number): number { return buf[off] | 0; }
export function icmpCode(buf: Uint8Array, off: number): number { return buf[off + 1] | 0; }
export function icmpChecksum(buf: Uint8Array, off: number): number { return (buf[off + 2] << 8) | buf[off + 3]; }
export function icmpEchoId(buf: Uint8Array, off: number): number { return (buf[off + 4] << 8) | buf[off + 5]; }
export function icmpEchoSeq(buf: Uint8Array, off: number): number { return (buf[off + 6] << 8) | buf[off + 7]; }
/** un.gateway for redirects */
export function icmpGateway(buf: Uint8Array, off: number): number { return ((buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7]) >>> 0; }
/** un.frag.mtu for ICMP_FRAG_NEEDED */
export function icmpMtu(buf: Uint8Array, off: number): number { return (buf[off + 6] << 8) | buf[off + 7]; }
/** the 32-bit "rest of header" word */
export function icmpUn(buf: Uint8Array, off: number): number { return icmpGateway(buf, off); }

export function icmpSetType(buf: Uint8Array, off: number, v: number): void { buf[off] = v; }
export function icmpSetCode(buf: Uint8Array, off: number, v: number): void { buf[off + 1] = v; }
export function icmpSetChecksum(buf: Uint8Array, off: number, v: number): void { buf[off + 2] = v >>> 8; buf[off + 3] = v; }
export function icmpSetEchoId(buf: Uint8Array, off: number, v: number): void { buf[off + 4] = v >>> 8; buf[off + 5] = v; }
export function icmpSetEchoSeq(buf: Uint8Array, off: number, v: number): void { buf[off + 6] = v >>> 8; buf[off + 7] = v; }
export function icmpSetUn(buf: Uint8Array, off: number, v: number): void { buf[off + 4] = v >>> 24; buf[off + 5] = v >>> 16; buf[off + 6] = v >>> 8; buf[off + 7] = v; }

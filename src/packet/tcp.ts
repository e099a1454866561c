// TCP header accessors (include/uapi/linux/tcp.h struct tcphdr, include/net/tcp.h).

export const TCP_HLEN = 20;
/** flag bits as in the 13th byte (TCPHDR_* in include/net/tcp.h); AE (ex-NS) is bit 8 of the 16-bit word */
export const TCPHDR_FIN = 0x01;
export const TCPHDR_SYN = 0x02;
export const TCPHDR_RST = 0x04;
export const TCPHDR_PSH = 0x08;
export const TCPHDR_ACK = 0x10;
export const TCPHDR_URG = 0x20;
export const TCPHDR_ECE = 0x40;
export const TCPHDR_CWR = 0x80;
export const TCPHDR_AE = 0x100;

/** TCP options (include/net/tcp.h TCPOPT_*) */
export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WINDOW = 3;
export const TCPOPT_SACK_PERM = 4;
export const TCPOPT_SACK = 5;
export const TCPOPT_TIMESTAMP = 8;
export const TCPOPT_MD5SIG = 19;
export const TCPOPT_MPTCP = 30;
export const TCPOPT_FASTOPEN = 34;
export const TCPOPT_EXP = 254;
export const TCPOLEN_MSS = 4;
export const TCPOLEN_WINDOW = 3;
export const TCPOLEN_SACK_PERM = 2;
export const TCPOLEN_TIMESTAMP = 10;

/** offset of the first TCP option of `kind` in the header at `th` (options end at the header's data
 *  offset or at `end`, whichever comes first), or -1 (tcp_parse_options' walk: EOL ends, NOP is one
 *  byte, a length below 2 ends the walk) */
export function tcpFindOption(buf: Uint8Array, th: number, end: number, kind: number): number {
  const stop = Math.min(th + tcpHdrLen(buf, th), end);
  for (let p = th + TCP_HLEN; p < stop; ) {
    const k = buf[p];
    if (k === TCPOPT_EOL) break;
    if (k === TCPOPT_NOP) {
      p++;
      continue;
    }
    if (k === kind) return p;
    const l = buf[p + 1];
    if (l < 2) break;
    p += l;
  }
  return -1;
}

export function tcpSource(buf: Uint8Array, off: number): number { return (buf[off] << 8) | buf[off + 1]; }
export function tcpDest(buf: Uint8Array, off: number): number { return (buf[off + 2] << 8) | buf[off + 3]; }
export function tcpSeq(buf: Uint8Array, off: number): number { return ((buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7]) >>> 0; }
export function tcpAckSeq(buf: Uint8Array, off: number): number { return ((buf[off + 8] << 24) | (buf[off + 9] << 16) | (buf[off + 10] << 8) | buf[off + 11]) >>> 0; }
export function tcpDoff(buf: Uint8Array, off: number): number { return buf[off + 12] >>> 4; }
/** header length in bytes (doff*4) */
export function tcpHdrLen(buf: Uint8Array, off: number): number { return (buf[off + 12] >>> 4) << 2; }
/** the 8 classic flag bits (tcp_flag_byte) */
export function tcpFlagByte(buf: Uint8Array, off: number): number { return buf[off + 13] | 0; }
/** 9 flag bits incl. AE (tshark's tcp.flags shows 12 bits; the 3 reserved ones are ignored) */
export function tcpFlags(buf: Uint8Array, off: number): number { return ((buf[off + 12] & 1) << 8) | buf[off + 13]; }
export function tcpWindow(buf: Uint8Array, off: number): number { return (buf[off + 14] << 8) | buf[off + 15]; }
export function tcpCheck(buf: Uint8Array, off: number): number { return (buf[off + 16] << 8) | buf[off + 17]; }
export function tcpUrgPtr(buf: Uint8Array, off: number): number { return (buf[off + 18] << 8) | buf[off + 19]; }
export const TCP_CHECK_OFF = 16;

export function tcpSetSource(buf: Uint8Array, off: number, v: number): void { buf[off] = v >>> 8; buf[off + 1] = v; }
export function tcpSetDest(buf: Uint8Array, off: number, v: number): void { buf[off + 2] = v >>> 8; buf[off + 3] = v; }
export function tcpSetSeq(buf: Uint8Array, off: number, v: number): void { buf[off + 4] = v >>> 24; buf[off + 5] = v >>> 16; buf[off + 6] = v >>> 8; buf[off + 7] = v; }
export function tcpSetAckSeq(buf: Uint8Array, off: number, v: number): void { buf[off + 8] = v >>> 24; buf[off + 9] = v >>> 16; buf[off + 10] = v >>> 8; buf[off + 11] = v; }
/** doff in 32-bit words; keeps the low reserved/AE nibble */
export function tcpSetDoff(buf: Uint8Array, off: number, doff: number): void { buf[off + 12] = (doff << 4) | (buf[off + 12] & 0x0f); }
export function tcpSetFlagByte(buf: Uint8Array, off: number, v: number): void { buf[off + 13] = v; }
export function tcpSetWindow(buf: Uint8Array, off: number, v: number): void { buf[off + 14] = v >>> 8; buf[off + 15] = v; }
export function tcpSetCheck(buf: Uint8Array, off: number, v: number): void { buf[off + 16] = v >>> 8; buf[off + 17] = v; }
export function tcpSetUrgPtr(buf: Uint8Array, off: number, v: number): void { buf[off + 18] = v >>> 8; buf[off + 19] = v; }

/**
 * tcpdump's flag letters in its table order (print-tcp.c tcp_flag_values: F S R P . U E W), so
 * SYN+ACK is "S." and FIN+PSH+ACK "FP."; "none" when no flag is set. The AE bit (0x100) is not
 * printed, as tcpdump 4.99 does not. Allocates a string: for output only.
 */
export function tcpFlagLetters(flags: number): string {
  let s = '';
  if (flags & TCPHDR_FIN) s += 'F';
  if (flags & TCPHDR_SYN) s += 'S';
  if (flags & TCPHDR_RST) s += 'R';
  if (flags & TCPHDR_PSH) s += 'P';
  if (flags & TCPHDR_ACK) s += '.';
  if (flags & TCPHDR_URG) s += 'U';
  if (flags & TCPHDR_ECE) s += 'E';
  if (flags & TCPHDR_CWR) s += 'W';
  return s === '' ? 'none' : s;
}

/**
 * Find a TCP option in the header at off (tcp_parse_options walk). Returns the option's
 * offset, -1 when absent, -2 when the option list is malformed.
 */
export function tcpFindOpt(buf: Uint8Array, off: number, kind: number): number {
  const end = off + tcpHdrLen(buf, off);
  let o = off + TCP_HLEN;
  while (o < end) {
    const k = buf[o];
    if (k === TCPOPT_EOL) return -1;
    if (k === TCPOPT_NOP) { o++; continue; }
    if (o + 1 >= end) return -2;
    const len = buf[o + 1];
    if (len < 2 || o + len > end) return -2;
    if (k === kind) return o;
    o += len;
  }
  return -1;
}

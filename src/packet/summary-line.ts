// The common summary lines (IPv4/IPv6 TCP and UDP, no link header, no extension header, nothing
// truncated) written as ASCII bytes into one scratch buffer and made a string once: building
// them from a dozen pieces cost more in allocations and garbage collection than the decode.
// `fastLineInto` writes the same bytes straight into a caller's buffer (the CLI's output buffer:
// no string at all).
// summary.ts calls this only where its general code would print exactly the same line (the
// conditions are spelled out at each step); everything else stays with the general code.

import type { Decoded } from './decode.js';
import { L_TCP, L_UDP, DF_FRAGMENT } from './decode.js';
import type { TcpSeqTables } from './summary-tcpseq.js';
import { udpAppKind, tcpIsDns, APP_LLMNR } from './app/index.js';

const SCRATCH = Buffer.allocUnsafe(1024);
/** the most bytes one fast line takes (addresses of 39 characters, 40 bytes of TCP options) */
export const FAST_LINE_MAX = 1024;
/** Buffer's own latin1 decoder (what toString('latin1') ends in, without its argument checks;
 *  an internal of Node's Buffer since v0.x, typed here as it is not in @types/node) */
type Latin1 = { latin1Slice(start: number, end: number): string };
const LB: Latin1 = typeof (SCRATCH as unknown as Partial<Latin1>).latin1Slice === 'function'
  ? (SCRATCH as unknown as Latin1)
  : { latin1Slice: (start, end) => SCRATCH.toString('latin1', start, end) };
/** where the writers below write: the scratch buffer, or a caller's (fastLineInto) */
let L: Uint8Array = SCRATCH;
let p = 0;
/** "00".."99" as ASCII digit pairs */
const DIG2 = new Uint8Array(200);
for (let i = 0; i < 100; i++) { DIG2[2 * i] = 48 + Math.floor(i / 10); DIG2[2 * i + 1] = 48 + (i % 10); }

/** ASCII text (literals, cached address texts) */
function str(s: string): void {
  for (let i = 0; i < s.length; i++) L[p++] = s.charCodeAt(i);
}
/** an unsigned integer below 2^32 in decimal (two digits a step from a table) */
function dec(n: number): void {
  if (n < 10) { L[p++] = 48 + n; return; }
  if (n < 100) { const i = n << 1; L[p++] = DIG2[i]; L[p++] = DIG2[i + 1]; return; }
  const len = n < 1e3 ? 3 : n < 1e4 ? 4 : n < 1e5 ? 5 : n < 1e6 ? 6 : n < 1e7 ? 7 : n < 1e8 ? 8 : n < 1e9 ? 9 : 10;
  let q = p + len;
  p = q;
  while (n >= 100) {
    const r = n % 100;
    n = (n - r) / 100;
    L[--q] = DIG2[(r << 1) + 1];
    L[--q] = DIG2[r << 1];
  }
  if (n >= 10) { L[--q] = DIG2[(n << 1) + 1]; L[--q] = DIG2[n << 1]; } else L[--q] = 48 + n;
}
/** n (0..99) as two digits */
function dig2(n: number): void { const i = n << 1; L[p++] = DIG2[i]; L[p++] = DIG2[i + 1]; }
function hex2(n: number): void {
  const h = n >> 4, l = n & 15;
  L[p++] = h < 10 ? 48 + h : 87 + h;
  L[p++] = l < 10 ? 48 + l : 87 + l;
}
function u16(b: Uint8Array, o: number): number { return (b[o] << 8) | b[o + 1]; }
function u32(b: Uint8Array, o: number): number { return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0; }

/** TCP flag letters as tcpdump prints them (tcp_flag_values order) */
const FLAG_TEXT: string[] = [];
for (let f = 0; f < 256; f++) {
  let s = '';
  if (f & 0x01) s += 'F';
  if (f & 0x02) s += 'S';
  if (f & 0x04) s += 'R';
  if (f & 0x08) s += 'P';
  if (f & 0x10) s += '.';
  if (f & 0x20) s += 'U';
  if (f & 0x40) s += 'E';
  if (f & 0x80) s += 'W';
  FLAG_TEXT.push(s === '' ? 'none' : s);
}
const TCPOPT_NAMES: Record<number, string> = { 19: 'md5', 30: 'mptcp', 34: 'tfo', 28: 'uto', 29: 'tcp-ao' };

/**
 * The line for an IPv4/IPv6 TCP or UDP datagram, or null where the general code must decide.
 * `src`/`dst`: the address texts; `v6`: the network layer is IPv6 (no extension header).
 */
export function fastLine(d: Decoded, src: string, dst: string, v6: boolean, tcp: TcpSeqTables | null): string | null {
  p = 0;
  return lineBody(d, src, dst, v6, tcp) ? LB.latin1Slice(0, p) : null;
}

/**
 * fastLine's bytes written into `out` from `pos` (which must have FAST_LINE_MAX bytes of room);
 * returns the end, or -1 (nothing written, no state changed) where the general code must decide.
 */
export function fastLineInto(out: Uint8Array, pos: number, d: Decoded, src: string, dst: string, v6: boolean, tcp: TcpSeqTables | null): number {
  L = out;
  p = pos;
  try {
    return lineBody(d, src, dst, v6, tcp) ? p : -1;
  } finally {
    L = SCRATCH;
  }
}

/** the line at L[p...]; false (nothing written, no state changed) where the general code decides */
function lineBody(d: Decoded, src: string, dst: string, v6: boolean, tcp: TcpSeqTables | null): boolean {
  const b = d.data;
  if (!v6) {
    // ipv4Line: not "bad-len 0", not "truncated-ip", not a fragment
    if (d.ipTotLen === 0 || d.ipTotLen > d.wireLen - d.network_header || (d.flags & DF_FRAGMENT) !== 0) return false;
  } else {
    // ipv6Line: no extension header before the upper layer
    const nh = d.nexthdr0;
    if (nh === 0 || nh === 43 || nh === 60 || nh === 44 || nh === 51) return false;
  }
  if (d.has(L_TCP)) {
    const th = d.transport_header;
    // l4Text: not "[|tcp]"; options all captured (else it prints what is there and "[|tcp]")
    if (d.sport < 0 || d.tcpHdrLen === 0 || th + d.tcpHdrLen > d.caplen || d.l4PayloadLen < 0) return false;
    // DNS over TCP: the general code appends tcpdump's DNS text
    if (d.l4PayloadLen > 0 && tcpIsDns(d.sport, d.dport)) return false;
    str(v6 ? 'IP6 ' : 'IP ');
    str(src); L[p++] = 46; dec(d.sport); str(' > ');
    str(dst); L[p++] = 46; dec(d.dport); str(': Flags [');
    const f = d.tcpFlags;
    str(FLAG_TEXT[f & 0xff]); L[p++] = 93;
    let seq = d.tcpSeq, ack = d.tcpAck, sackBase = 0;
    if (tcp !== null && (f & 0x10) !== 0) {
      tcp.relative(b, d.srcOff, d.dstOff, v6 ? 16 : 4, d.sport, d.dport, seq, ack, (f & 0x02) !== 0);
      seq = tcp.out[0];
      ack = tcp.out[1];
      sackBase = tcp.sackBase;
    }
    const len = d.l4PayloadLen;
    if (len > 0 || (f & 0x07) !== 0) {
      str(', seq '); dec(seq);
      if (len > 0) { L[p++] = 58; dec((seq + len) >>> 0); }
    }
    if (f & 0x10) { str(', ack '); dec(ack); }
    str(', win '); dec(d.tcpWin);
    if (f & 0x20) { str(', urg '); dec(u16(b, th + 18)); }
    if (d.tcpHdrLen > 20) {
      str(', options [');
      options(b, th + 20, th + d.tcpHdrLen, sackBase);
      L[p++] = 93;
    }
    str(', length '); dec(len);
    return true;
  }
  if (d.has(L_UDP)) {
    if (d.sport < 0 || d.payload < 0) return false;
    // an application tcpdump dissects (DNS, DHCP, VXLAN...): the general code prints it
    const kind = udpAppKind(d.sport, d.dport);
    if (kind > 0 && kind !== APP_LLMNR) return false;
    const ulen = d.udpLen;
    // "bad length" lines stay with the general code
    if (ulen < 8 || ulen > d.l4PayloadLen + 8) return false;
    str(v6 ? 'IP6 ' : 'IP ');
    str(src); L[p++] = 46; dec(d.sport); str(' > ');
    str(dst); L[p++] = 46; dec(d.dport); str(': UDP, length ');
    dec(ulen - 8);
    return true;
  }
  return false;
}

/** summary.ts tcpOptionsText, into the buffer (at most 40 bytes of options: bounded text) */
function options(b: Uint8Array, o: number, end: number, sackBase: number): void {
  let first = true;
  while (o < end) {
    if (!first) L[p++] = 44;
    first = false;
    const k = b[o];
    if (k === 0) { str('eol'); break; }
    if (k === 1) { str('nop'); o++; continue; }
    if (o + 1 >= end) { str('[|tcp]'); break; }
    const len = b[o + 1];
    if (len < 2 || o + len > end) { str('[bad opt]'); break; }
    switch (k) {
      case 2: if (len === 4) { str('mss '); dec(u16(b, o + 2)); } else { str('mss[len '); dec(len); L[p++] = 93; } break;
      case 3: if (len === 3) { str('wscale '); dec(b[o + 2]); } else { str('wscale[len '); dec(len); L[p++] = 93; } break;
      case 4: str('sackOK'); break;
      case 5: {
        str('sack '); dec((len - 2) >> 3); L[p++] = 32;
        for (let q = o + 2; q + 8 <= o + len; q += 8) {
          L[p++] = 123; dec((u32(b, q) - sackBase) >>> 0); L[p++] = 58; dec((u32(b, q + 4) - sackBase) >>> 0); L[p++] = 125;
        }
        break;
      }
      case 8: if (len === 10) { str('TS val '); dec(u32(b, o + 2)); str(' ecr '); dec(u32(b, o + 6)); } else { str('TS[len '); dec(len); L[p++] = 93; } break;
      default: {
        const name = TCPOPT_NAMES[k];
        if (name !== undefined) str(name); else { str('unknown-'); dec(k); }
        if (len > 2) { str(' 0x'); for (let q = o + 2; q < o + len; q++) hex2(b[q]); }
      }
    }
    o += len;
  }
}

/**
 * tcpdump's default time (time of day, UTC, microseconds: inspect.ts tcpdumpTime) written into
 * `out` from `pos`; returns the end (15 bytes later), or -1 for a time it does not write (microseconds
 * out of range: the string code prints them as they are).
 */
export function tcpdumpTimeInto(out: Uint8Array, pos: number, hasTs: boolean, tsSec: number, tsNsec: number): number {
  const us = Math.floor(tsNsec / 1000);
  if (!hasTs || !(us >= 0 && us < 1e6)) {
    if (hasTs) return -1;
    for (let i = 0; i < NO_TIME.length; i++) out[pos + i] = NO_TIME.charCodeAt(i);
    return pos + NO_TIME.length;
  }
  L = out;
  p = pos;
  const day = ((tsSec % 86400) + 86400) % 86400;
  dig2(Math.floor(day / 3600)); L[p++] = 58;
  dig2(Math.floor(day / 60) % 60); L[p++] = 58;
  dig2(day % 60); L[p++] = 46;
  // microseconds: six digits, zero-padded
  dig2(Math.floor(us / 10000) % 100); dig2(Math.floor(us / 100) % 100); dig2(us % 100);
  L = SCRATCH;
  return p;
}
const NO_TIME = '--:--:--.------';

// The writers above for other byte-built lines (inspect's ndjson): asciiBegin(out, pos), then
// asciiText / asciiDec / asciiByte, then asciiEnd() gives the end and restores the scratch buffer.
export function asciiBegin(out: Uint8Array, pos: number): void { L = out; p = pos; }
export function asciiEnd(): number { L = SCRATCH; return p; }
export const asciiText = str;
export const asciiDec = dec;
export function asciiByte(c: number): void { L[p++] = c; }
/** n (0 <= n < 1e9) as nine digits, zero-padded */
export function asciiDec9(n: number): void {
  dig2(Math.floor(n / 1e7)); dig2(Math.floor(n / 1e5) % 100); dig2(Math.floor(n / 1e3) % 100); dig2(Math.floor(n / 10) % 100); L[p++] = 48 + (n % 10);
}

// The common summary lines (IPv4/IPv6 TCP and UDP, no link header, no extension header, nothing
// truncated) written as ASCII bytes into one scratch buffer and made a string once: building
// them from a dozen pieces cost more in allocations and garbage collection than the decode.
// summary.ts calls this only where its general code would print exactly the same line (the
// conditions are spelled out at each step); everything else stays with the general code.

import type { Decoded } from './decode.js';
import { L_TCP, L_UDP, DF_FRAGMENT } from './decode.js';
import type { TcpSeqTables } from './summary-tcpseq.js';
import { udpAppKind, tcpIsDns, APP_LLMNR } from './app/index.js';

const L = Buffer.allocUnsafe(1024);
/** Buffer's own latin1 decoder (what toString('latin1') ends in, without its argument checks;
 *  an internal of Node's Buffer since v0.x, typed here as it is not in @types/node) */
type Latin1 = { latin1Slice(start: number, end: number): string };
const LB: Latin1 = typeof (L as unknown as Partial<Latin1>).latin1Slice === 'function'
  ? (L as unknown as Latin1)
  : { latin1Slice: (start, end) => L.toString('latin1', start, end) };
let p = 0;

/** ASCII text (literals, cached address texts) */
function str(s: string): void {
  for (let i = 0; i < s.length; i++) L[p++] = s.charCodeAt(i);
}
/** an unsigned integer below 2^32 in decimal */
function dec(n: number): void {
  if (n < 10) { L[p++] = 48 + n; return; }
  let len = 2;
  for (let x = 100; x <= n && len < 10; x *= 10) len++;
  let q = p + len;
  p = q;
  while (n >= 10) {
    const d = n % 10;
    L[--q] = 48 + d;
    n = (n - d) / 10;
  }
  L[--q] = 48 + n;
}
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
  const b = d.data;
  if (!v6) {
    // ipv4Line: not "bad-len 0", not "truncated-ip", not a fragment
    if (d.ipTotLen === 0 || d.ipTotLen > d.wireLen - d.network_header || (d.flags & DF_FRAGMENT) !== 0) return null;
  } else {
    // ipv6Line: no extension header before the upper layer
    const nh = d.nexthdr0;
    if (nh === 0 || nh === 43 || nh === 60 || nh === 44 || nh === 51) return null;
  }
  if (d.has(L_TCP)) {
    const th = d.transport_header;
    // l4Text: not "[|tcp]"; options all captured (else it prints what is there and "[|tcp]")
    if (d.sport < 0 || d.tcpHdrLen === 0 || th + d.tcpHdrLen > d.caplen || d.l4PayloadLen < 0) return null;
    // DNS over TCP: the general code appends tcpdump's DNS text
    if (d.l4PayloadLen > 0 && tcpIsDns(d.sport, d.dport)) return null;
    p = 0;
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
    return LB.latin1Slice(0, p);
  }
  if (d.has(L_UDP)) {
    if (d.sport < 0 || d.payload < 0) return null;
    // an application tcpdump dissects (DNS, DHCP, VXLAN...): the general code prints it
    const kind = udpAppKind(d.sport, d.dport);
    if (kind > 0 && kind !== APP_LLMNR) return null;
    const ulen = d.udpLen;
    // "bad length" lines stay with the general code
    if (ulen < 8 || ulen > d.l4PayloadLen + 8) return null;
    p = 0;
    str(v6 ? 'IP6 ' : 'IP ');
    str(src); L[p++] = 46; dec(d.sport); str(' > ');
    str(dst); L[p++] = 46; dec(d.dport); str(': UDP, length ');
    dec(ulen - 8);
    return LB.latin1Slice(0, p);
  }
  return null;
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

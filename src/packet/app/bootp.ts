// BOOTP/DHCP (UDP 67/68) as `tcpdump -nn` prints it without -v (print-bootp.c bootp_print:
// "BOOTP/DHCP, Request from MAC, length N"), and the `app` object: op, DHCP message type
// (option 53), client MAC, transaction id, the addresses that are set.

import { Out } from './print.js';
import { ipv4BytesToString, macToString } from '../addr.js';

/** bootp_print (no -v) */
export function bootpPrint(p: Out, bp: number, length: number): void {
  p.proto = 'bootp';
  const op = p.u8(bp);
  p.s += `BOOTP/DHCP, ${op === 1 ? 'Request' : op === 2 ? 'Reply' : `unknown (0x${op.toString(16).padStart(2, '0')})`}`;
  const htype = p.u8(bp + 1), hlen = p.u8(bp + 2);
  if (htype === 1 && hlen === 6 && op === 1) { p.check(bp + 28, 6); p.s += ` from ${macToString(p.b, bp + 28)}`; }
  p.s += `, length ${length}`;
}

/** DHCP message types (RFC 2132 option 53, RFC 4388), upper case as the RFCs write them */
const DHCP_MSG = ['', 'DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM', 'FORCERENEW', 'LEASEQUERY',
  'LEASEUNASSIGNED', 'LEASEUNKNOWN', 'LEASEACTIVE'];

export interface BootpApp {
  proto: 'dhcp' | 'bootp';
  op: 'request' | 'reply' | number;
  msg?: string;
  xid: string;
  chaddr?: string;
  ciaddr?: string;
  yiaddr?: string;
  siaddr?: string;
  giaddr?: string;
  /** option 50 (requested address), 54 (server identifier), 12 (host name) */
  requested?: string;
  server?: string;
  hostname?: string;
}

/** the fixed header and the options that say what the message is; null when cut short */
export function bootpApp(b: Uint8Array, bp: number, length: number, end: number): BootpApp | null {
  const lim = Math.min(end, bp + length);
  if (bp + 236 > lim) return null;
  const op = b[bp];
  const r: BootpApp = { proto: 'bootp', op: op === 1 ? 'request' : op === 2 ? 'reply' : op,
    xid: '0x' + (((b[bp + 4] << 24) | (b[bp + 5] << 16) | (b[bp + 6] << 8) | b[bp + 7]) >>> 0).toString(16).padStart(8, '0') };
  if (b[bp + 1] === 1 && b[bp + 2] === 6) r.chaddr = macToString(b, bp + 28);
  const addr = (o: number): string | undefined => (b[o] | b[o + 1] | b[o + 2] | b[o + 3]) !== 0 ? ipv4BytesToString(b, o) : undefined;
  const ci = addr(bp + 12), yi = addr(bp + 16), si = addr(bp + 20), gi = addr(bp + 24);
  if (ci) r.ciaddr = ci;
  if (yi) r.yiaddr = yi;
  if (si) r.siaddr = si;
  if (gi) r.giaddr = gi;
  // RFC 1048 options after the magic cookie 99.130.83.99
  let o = bp + 236;
  if (o + 4 > lim || b[o] !== 99 || b[o + 1] !== 130 || b[o + 2] !== 83 || b[o + 3] !== 99) return r;
  o += 4;
  while (o < lim) {
    const t = b[o];
    if (t === 255) break;
    if (t === 0) { o++; continue; }
    if (o + 2 > lim) break;
    const l = b[o + 1], v = o + 2;
    if (v + l > lim) break;
    if (t === 53 && l >= 1) { r.proto = 'dhcp'; r.msg = DHCP_MSG[b[v]] ?? `type-${b[v]}`; }
    else if (t === 50 && l === 4) r.requested = ipv4BytesToString(b, v);
    else if (t === 54 && l === 4) r.server = ipv4BytesToString(b, v);
    else if (t === 12 && l > 0) { let s = ''; for (let k = v; k < v + l; k++) s += String.fromCharCode(b[k]); r.hostname = s; }
    o = v + l;
  }
  return r;
}

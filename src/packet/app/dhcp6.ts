// DHCPv6 (UDP 546/547) as `tcpdump -nn` prints it without -v (print-dhcp6.c dhcp6_print:
// "dhcp6 solicit"), and the `app` object (message type, transaction id).

import { Out } from './print.js';

/** dh6_msgtype_str */
const DH6_MSG: Record<number, string> = { 1: 'solicit', 2: 'advertise', 3: 'request', 4: 'confirm', 5: 'renew', 6: 'rebind',
  7: 'reply', 8: 'release', 9: 'decline', 10: 'reconfigure', 11: 'inf-req', 12: 'relay-fwd', 13: 'relay-reply', 14: 'leasequery',
  15: 'leasequery-reply' };
const msgName = (t: number): string => DH6_MSG[t] ?? `msgtype-${t}`;

export function dhcp6Print(p: Out, bp: number): void {
  p.proto = 'dhcp6';
  p.s += 'dhcp6';
  p.check(bp, 4);
  p.s += ' ' + msgName(p.u8(bp));
}

export interface Dhcp6App { proto: 'dhcpv6'; msg: string; xid?: string }

export function dhcp6App(b: Uint8Array, bp: number, length: number, end: number): Dhcp6App | null {
  if (length < 4 || bp + 4 > end) return null;
  const t = b[bp];
  const r: Dhcp6App = { proto: 'dhcpv6', msg: msgName(t) };
  // relay messages have hop count and addresses instead of a transaction id
  if (t !== 12 && t !== 13) r.xid = '0x' + ((b[bp + 1] << 16) | (b[bp + 2] << 8) | b[bp + 3]).toString(16).padStart(6, '0');
  return r;
}

// NTP (UDP 123) as `tcpdump -nn` prints it without -v (print-ntp.c ntp_print: "NTPv4, Client,
// length 48"), and the `app` object (version, mode, stratum of time messages).

import { Out } from './print.js';

/** ntp_mode_values */
const MODES = ['unspecified', 'symmetric active', 'symmetric passive', 'Client', 'Server', 'Broadcast', 'Control Message', 'Reserved'];

export function ntpPrint(p: Out, bp: number, length: number): void {
  p.proto = 'ntp';
  const status = p.u8(bp);
  p.s += `NTPv${(status >> 3) & 7}, ${MODES[status & 7]}, length ${length}`;
}

export interface NtpApp { proto: 'ntp'; version: number; mode: string; stratum?: number }

const APP_MODES = ['unspecified', 'symmetric-active', 'symmetric-passive', 'client', 'server', 'broadcast', 'control', 'private'];

export function ntpApp(b: Uint8Array, bp: number, length: number, end: number): NtpApp | null {
  if (length < 1 || bp + 1 > end) return null;
  const st = b[bp], mode = st & 7;
  const r: NtpApp = { proto: 'ntp', version: (st >> 3) & 7, mode: APP_MODES[mode] };
  if (mode >= 1 && mode <= 5 && length >= 48 && bp + 2 <= end) r.stratum = b[bp + 1];
  return r;
}

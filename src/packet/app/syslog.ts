// syslog (UDP 514) as `tcpdump -nn` prints it without -v (print-syslog.c syslog_print:
// "SYSLOG daemon.notice, length: N"), and the `app` object.

import { Out } from './print.js';

const SEVERITY = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'info', 'debug'];
const FACILITY = ['kernel', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp',
  'security', 'console', 'cron', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'];

/** the priority "<N>": [pri, offset after '>'] or null (tcpdump: invalid) */
function pri(p: Out, bp: number): [number, number] | null {
  let off = 0, v = 0;
  if (p.u8(bp) !== 0x3c) return null;
  off++;
  while (off <= 3 && p.u8(bp + off) >= 0x30 && p.u8(bp + off) <= 0x39) { v = v * 10 + p.u8(bp + off) - 0x30; off++; }
  if (p.u8(bp + off) !== 0x3e) return null;
  return [v, off + 1];
}

export function syslogPrint(p: Out, bp: number, length: number): void {
  p.proto = 'syslog';
  const r = pri(p, bp);
  if (r === null) { p.s += ' (invalid)'; return; }
  const fac = (r[0] & 0x3f8) >> 3, sev = r[0] & 7;
  p.s += `SYSLOG ${FACILITY[fac] ?? `unknown (${fac})`}.${SEVERITY[sev]}, length: ${length}`;
}

export interface SyslogApp { proto: 'syslog'; facility: string; severity: string }

export function syslogApp(b: Uint8Array, bp: number, length: number, end: number): SyslogApp | null {
  const p = new Out(b, Math.min(end, bp + length));
  try {
    const r = pri(p, bp);
    if (r === null) return null;
    const fac = (r[0] & 0x3f8) >> 3;
    return { proto: 'syslog', facility: FACILITY[fac] ?? String(fac), severity: SEVERITY[r[0] & 7] };
  } catch { return null; }
}

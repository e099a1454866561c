// Which application printer tcpdump 4.99 runs for a UDP or TCP payload (print-udp.c udp_print,
// print-tcp.c tcp_print: the port tests in their order), the printers' text for the summary
// line and the `app` object of ndjson. Nothing here runs unless a summary or an app record is
// asked for; the port test that decides is a few comparisons.

import { Out, runPrinter } from './print.js';
import { domainPrint, dnsApp, type DnsApp } from './dns.js';
import { bootpPrint, bootpApp, type BootpApp } from './bootp.js';
import { dhcp6Print, dhcp6App, type Dhcp6App } from './dhcp6.js';
import { ntpPrint, ntpApp, type NtpApp } from './ntp.js';
import { tftpPrint, tftpApp, type TftpApp } from './tftp.js';
import { syslogPrint, syslogApp, type SyslogApp } from './syslog.js';
import { snmpPrint, snmpApp, type SnmpApp } from './snmp.js';

export const APP_NONE = 0;
/** tcpdump dissects this payload with a printer we do not have (RIP, ISAKMP, RADIUS, SIP...) */
export const APP_OTHER = -1;
export const APP_DNS = 1, APP_MDNS = 2, APP_TFTP = 3, APP_BOOTP = 4, APP_SNMP = 5, APP_NTP = 6, APP_DHCP6 = 7, APP_SYSLOG = 8,
  APP_VXLAN = 9, APP_GENEVE = 10;
/** LLMNR: tcpdump 4.99 prints it as plain UDP; only the app record names it */
export const APP_LLMNR = 11;

const either = (s: number, d: number, p: number): boolean => s === p || d === p;

/**
 * udp_print's choice for ports (sport, dport), in its order. Printers we do not have are
 * APP_OTHER where they would win over one we have or over "UDP, length N".
 */
export function udpAppKind(s: number, d: number): number {
  // the ports no printer uses are the common case: one range test answers most frames
  if (either(s, d, 53)) return APP_DNS;
  if (either(s, d, 5353)) return APP_MDNS;
  if (either(s, d, 525)) return APP_OTHER; // timed
  if (either(s, d, 69)) return APP_TFTP;
  if (either(s, d, 67) || either(s, d, 68)) return APP_BOOTP;
  if (either(s, d, 520) || either(s, d, 654) || either(s, d, 500) || either(s, d, 4500) || either(s, d, 7500) || either(s, d, 8500)) return APP_OTHER;
  if (either(s, d, 161) || either(s, d, 162)) return APP_SNMP;
  if (either(s, d, 123)) return APP_NTP;
  if (either(s, d, 88) || either(s, d, 750) || either(s, d, 1701) || d === 3456 || either(s, d, 2103) || either(s, d, 2104)
    || (s >= 7000 && s <= 7009) || (d >= 7000 && d <= 7009) || either(s, d, 521)) return APP_OTHER;
  if (either(s, d, 546) || either(s, d, 547)) return APP_DHCP6;
  if (either(s, d, 5359) || either(s, d, 6696) || either(s, d, 6697) || either(s, d, 8231) || d === 4567 || either(s, d, 496)
    || either(s, d, 1645) || either(s, d, 1812) || either(s, d, 1646) || either(s, d, 1813) || either(s, d, 1700) || either(s, d, 3799)
    || d === 1985 || either(s, d, 921) || either(s, d, 646) || either(s, d, 698) || either(s, d, 3503) || s === 49152
    || d === 3784 || d === 4784 || d === 6784 || d === 3785 || either(s, d, 701) || either(s, d, 1589) || either(s, d, 6343)
    || either(s, d, 12223) || either(s, d, 12222) || either(s, d, 5060)) return APP_OTHER;
  if (either(s, d, 514)) return APP_SYSLOG;
  if (either(s, d, 8472)) return APP_OTHER; // OTV (also Linux's default VXLAN port: tcpdump says OTV)
  if (either(s, d, 4789)) return APP_VXLAN;
  if (either(s, d, 6081)) return APP_GENEVE;
  if (either(s, d, 4342) || either(s, d, 4790) || either(s, d, 17754) || either(s, d, 6635) || either(s, d, 319) || either(s, d, 320)
    || either(s, d, 30490)) return APP_OTHER;
  if (either(s, d, 5355)) return APP_LLMNR;
  return APP_NONE;
}

/** tcp_print's printers that come before DNS (port 53) in its order */
export function tcpIsDns(s: number, d: number): boolean {
  if (!either(s, d, 53)) return false;
  const o = s === 53 ? d : s;
  return !(o === 23 || o === 25 || o === 43 || o === 179 || o === 1723 || o === 6379 || o === 22 || o === 10288 || o === 6633
    || o === 6653 || o === 21 || o === 80 || o === 8080 || o === 554 || o === 8554);
}

const OUT = new Out(new Uint8Array(0), 0);

/**
 * The text tcpdump prints after "src.sport > dst.dport: " for a UDP payload at `off` of
 * `length` bytes (min(UDP length, IP payload) - 8), or null when it is "UDP, length N".
 * `end`: the captured bytes of the datagram end there. Tunnels (VXLAN, Geneve) are summary.ts's.
 */
export function udpAppText(kind: number, b: Uint8Array, off: number, length: number, end: number): string | null {
  const o = OUT.reset(b, end);
  switch (kind) {
    case APP_DNS: return runPrinter(o, (p) => domainPrint(p, off, length, false, false));
    case APP_MDNS: return runPrinter(o, (p) => domainPrint(p, off, length, false, true));
    case APP_BOOTP: return runPrinter(o, (p) => bootpPrint(p, off, length));
    case APP_DHCP6: return runPrinter(o, (p) => dhcp6Print(p, off));
    case APP_NTP: return runPrinter(o, (p) => ntpPrint(p, off, length));
    case APP_TFTP: return runPrinter(o, (p) => tftpPrint(p, off, length));
    case APP_SYSLOG: return runPrinter(o, (p) => syslogPrint(p, off, length));
    case APP_SNMP: return runPrinter(o, (p) => snmpPrint(p, off, length));
    default: return null;
  }
}

/** DNS over TCP: what tcpdump appends after ", length N" */
export function tcpDnsText(b: Uint8Array, off: number, length: number, end: number): string {
  return runPrinter(OUT.reset(b, end), (p) => domainPrint(p, off, length, true, false));
}

export type AppRecord = DnsApp | BootpApp | Dhcp6App | NtpApp | TftpApp | SyslogApp | SnmpApp | { proto: string; [k: string]: unknown };

/** the `app` object for a UDP payload, or null */
export function udpApp(kind: number, b: Uint8Array, off: number, length: number, end: number): AppRecord | null {
  switch (kind) {
    case APP_DNS: return dnsApp(b, off, length, end, 'dns', false);
    case APP_MDNS: return dnsApp(b, off, length, end, 'mdns', false);
    case APP_LLMNR: return dnsApp(b, off, length, end, 'llmnr', false);
    case APP_BOOTP: return bootpApp(b, off, length, end);
    case APP_DHCP6: return dhcp6App(b, off, length, end);
    case APP_NTP: return ntpApp(b, off, length, end);
    case APP_TFTP: return tftpApp(b, off, length, end);
    case APP_SYSLOG: return syslogApp(b, off, length, end);
    case APP_SNMP: return snmpApp(b, off, length, end);
    default: return null;
  }
}

export function tcpDnsApp(b: Uint8Array, off: number, length: number, end: number): AppRecord | null {
  return dnsApp(b, off, length, end, 'dns', true);
}

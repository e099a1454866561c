// One-line frame summaries in the style of `tcpdump -nn` (what it prints after the
// timestamp), from a Decoded frame. Used by `inspect`, replay text output and to show the
// kernel model's replies. The application protocols tcpdump dissects that we print too (DNS,
// mDNS, BOOTP/DHCP, DHCPv6, NTP, TFTP, syslog: app/*.ts) and the tunnels' inner packets (VXLAN,
// Geneve, GRE, IP-in-IP) follow the transport part as in tcpdump; other UDP payloads end at
// "UDP, length 4". With `link: true` the link header is printed as
// `tcpdump -e` does. TCP sequence numbers are relative per connection like tcpdump's default
// (keep one SummaryState per capture), absolute with `absoluteSeq` (tcpdump -S).

import { Decoded, decodeFrame, LT_EN10MB, LT_RAW, L_ARP, L_RARP, L_TCP, L_UDP, L_ICMP, L_ICMPV6, L_ETH, L_SLL, L_SLL2, L_VLAN, L_LLC, L_MPLS, L_PPPOE,
  L_IGMP, L_GRE, L_ESP, L_AH, L_SCTP, L_IPIP, L_IPV6, L_OSPF, L_PIM, L_VRRP, L_NFLOG, DF_FRAGMENT, DF_TRUNCATED } from './decode.js';
import { ipv4BytesToString, ipv6ToString, macToString } from './addr.js';
import { tcpFlagLetters } from './tcp.js';
import { TcpSeqTables } from './summary-tcpseq.js';
import { ipv4Text, ipv6Text } from './summary-addr.js';
import { fastLine, fastLineInto } from './summary-line.js';
import { udpAppKind, udpAppText, tcpIsDns, tcpDnsText, APP_LLMNR, APP_VXLAN, APP_GENEVE } from './app/index.js';
import { vxlanHead, geneveHead } from './app/tunnel.js';

export interface SummaryOptions {
  /** print the link-layer header like tcpdump -e */
  link?: boolean;
  /** absolute TCP sequence numbers (tcpdump -S) */
  absoluteSeq?: boolean;
  /** only the general code, not the byte-built common lines (tests compare the two) */
  general?: boolean;
  /** the caller prints the frame's interface in a column of its own (replay: the snapshot's
   *  device): an SLL2 line then starts with the direction only, not tcpdump's interface name too */
  ifaceColumn?: boolean;
}

/** Per-capture state of the summaries: tcpdump's table of TCP conversations for relative
 *  sequence numbers (kept as tcpdump keeps it: see summary-tcpseq.ts). */
export class SummaryState {
  readonly tcp = new TcpSeqTables();
  clear(): void { this.tcp.clear(); }
}

/** "." + port, built once per port (tcpdump -nn prints ports as numbers) */
const PORT_DOT: (string | undefined)[] = new Array<string | undefined>(65536).fill(undefined);
function portDot(p: number): string {
  let x = PORT_DOT[p];
  if (x === undefined) x = PORT_DOT[p] = '.' + p;
  return x;
}
/** ": Flags [S.]" for each flag byte */
const FLAGS_TEXT: string[] = [];
for (let f = 0; f < 256; f++) FLAGS_TEXT.push(`Flags [${tcpFlagLetters(f)}]`);

function u16(b: Uint8Array, o: number): number { return (b[o] << 8) | b[o + 1]; }
function u32(b: Uint8Array, o: number): number { return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0; }
function hex4(n: number): string { return '0x' + n.toString(16).padStart(4, '0'); }

/** tcpdump's ethertype_values names for the common types */
const ETHERTYPE_NAMES: Record<number, string> = {
  0x0800: 'IPv4', 0x0806: 'ARP', 0x86dd: 'IPv6', 0x8100: '802.1Q', 0x88a8: '802.1Q-QinQ', 0x9100: '802.1Q-9100',
  0x9200: '802.1Q-9200', 0x9300: '802.1Q-9300', 0x8035: 'Reverse ARP', 0x8847: 'MPLS unicast', 0x8848: 'MPLS multicast',
  0x8863: 'PPPoE D', 0x8864: 'PPPoE S', 0x88cc: 'LLDP', 0x888e: 'EAPOL', 0x6558: 'TEB',
  0x8809: 'Slow Protocols', 0x88f7: 'PTP', 0x8906: 'FCoE', 0x22f3: 'TRILL',
};
function ethertypeText(t: number): string { return `ethertype ${ETHERTYPE_NAMES[t] ?? 'Unknown'} (${hex4(t)})`; }

/** LINUX_SLL packet types as tcpdump prints them with -e */
const SLL_PKTTYPE = ['In', 'B', 'M', 'P', 'Out'];

/** One line, without timestamp. `d` must come from decodeFrame on the same data. */
export function summarize(d: Decoded, state: SummaryState | null = null, opts: SummaryOptions = {}): string {
  let s = '';
  const b = d.data;
  const link = opts.link === true;
  if (d.nlayers === 0) return d.problem ?? 'unknown link type';
  // link header (-e) and VLAN tags
  let vlanIdx = 0;
  for (let i = 0; i < d.nlayers; i++) {
    const l = d.layers[i];
    if (l === L_ETH) {
      if (link) {
        const firstType = u16(b, d.mac_header + 12);
        s += `${macToString(b, d.mac_header + 6)} > ${macToString(b, d.mac_header)}, ${ethertypeText(firstType)}, length ${d.wireLen}: `;
      }
    } else if (l === L_SLL) {
      if (link) s += `${(SLL_PKTTYPE[d.pktType] ?? '?').padStart(3)} ${macToString(b, 6)} ${ethertypeText(u16(b, 14))}, length ${d.wireLen}: `;
    } else if (l === L_SLL2) {
      // tcpdump prints the name the ifindex has on the machine reading the file (if_indextoname),
      // which says nothing about the capture host: "?" as tcpdump prints for an unknown index.
      // The replay names the capture host's device (from its snapshot) in a column of its own,
      // so its lines keep only the direction here (the name twice said nothing more)
      if (opts.ifaceColumn !== true) s += '?'.padEnd(5) + ' ';
      s += `${(SLL_PKTTYPE[d.pktType] ?? '?').padEnd(3)} `;
      if (link) s += `ifindex ${d.ifindex} ${macToString(b, 12)} ${ethertypeText(u16(b, 0))}, length ${d.wireLen}: `;
    } else if (l === L_NFLOG) {
      // print-nflog.c: the nflog header only with -e; the packet cut before its payload TLV
      if (link && d.caplen >= 4 && b[1] === 0) s += `version ${b[1]}, resource ID ${u16(b, 2)}, family ${b[0] === 2 ? 'IPv4' : b[0] === 10 ? 'IPv6' : 'Unknown'} (${b[0]}), length ${d.wireLen}: `;
      if (d.network_header < 0) return d.flags & DF_TRUNCATED ? s + ' [|nflog]' : s + `[${d.problem ?? 'nflog'}]`;
    } else if (l === L_VLAN) {
      const tci = d.vlanTci[vlanIdx];
      const next = vlanIdx + 1 < d.nvlan ? d.vlanTpid[vlanIdx + 1] : d.protocol;
      vlanIdx++;
      if (link) s += `vlan ${tci & 0xfff}, p ${tci >>> 13}${tci & 0x1000 ? ', DEI' : ''}, ${ethertypeText(next)}, `;
    } else break;
  }
  // network layer
  if (d.has(L_ARP) || d.has(L_RARP)) return s + arpText(d, link);
  // the common TCP/UDP lines, written without intermediate strings (summary-line.ts)
  if (s === '' && !link && opts.general !== true && (d.ipVersion === 4 || d.ipVersion === 6) && d.srcOff >= 0 && d.dstOff >= 0) {
    const v6 = d.ipVersion === 6;
    const line = fastLine(d, v6 ? ipv6Text(b, d.srcOff) : ipv4Text(b, d.srcOff), v6 ? ipv6Text(b, d.dstOff) : ipv4Text(b, d.dstOff), v6,
      state !== null && !opts.absoluteSeq ? state.tcp : null);
    if (line !== null) return line;
  }
  if (d.ipVersion === 4) return s + ipv4Line(d, state, opts, link);
  if (d.ipVersion === 6) return s + ipv6Line(d, state, opts, link);
  if (d.has(L_LLC)) return s + (link ? `802.3, length ${d.wireLen}` : `LLC, length ${d.wireLen}`);
  if (d.has(L_MPLS)) return s + 'MPLS';
  if (d.has(L_PPPOE)) return s + (d.protocol === 0x8864 ? 'PPPoE [ses]' : 'PPPoE [disc]');
  if (d.problem !== null) return s + `[${d.problem}]`;
  return s + `${ethertypeText(d.protocol)}, length ${d.wireLen}`;
}

/**
 * summarize()'s line written as bytes into `out` from `pos` (room: FAST_LINE_MAX) for the common
 * lines it builds byte by byte; returns the end, or -1 (nothing written, no state changed): then
 * summarize() makes the line.
 */
export function summarizeInto(out: Uint8Array, pos: number, d: Decoded, state: SummaryState | null = null, opts: SummaryOptions = {}): number {
  // summarize()'s conditions for fastLine: no link text (-e, an SLL2 interface name, NFLOG's cut)
  if (opts.link === true || opts.general === true || (d.ipVersion !== 4 && d.ipVersion !== 6) || d.srcOff < 0 || d.dstOff < 0) return -1;
  if (d.nlayers === 0 || d.has(L_SLL2) || d.has(L_NFLOG) || d.has(L_ARP) || d.has(L_RARP)) return -1;
  const b = d.data, v6 = d.ipVersion === 6;
  return fastLineInto(out, pos, d, v6 ? ipv6Text(b, d.srcOff) : ipv4Text(b, d.srcOff), v6 ? ipv6Text(b, d.dstOff) : ipv4Text(b, d.dstOff), v6,
    state !== null && !opts.absoluteSeq ? state.tcp : null);
}

function arpText(d: Decoded, link: boolean): string {
  const b = d.data, o = d.network_header;
  // length as tcpdump: what follows the link header on the wire
  const len = d.wireLen - o;
  const pre = link ? '' : d.has(L_RARP) ? 'RARP, ' : 'ARP, ';
  if (d.arpOp < 0 || d.srcOff < 0 || b[o + 4] !== 6 || u16(b, o) !== 1) return `${pre}${d.problem ? '[|arp]' : `unknown, length ${len}`}`;
  const spa = ipv4BytesToString(b, d.srcOff), tpa = ipv4BytesToString(b, d.dstOff);
  const sha = macToString(b, o + 8), tha = macToString(b, o + 18);
  switch (d.arpOp) {
    case 1: {
      let thaNonZero = false;
      for (let i = 0; i < 6; i++) if (b[o + 18 + i] !== 0) thaNonZero = true;
      return `${pre}Request who-has ${tpa}${thaNonZero ? ` (${tha})` : ''} tell ${spa}, length ${len}`;
    }
    case 2: return `${pre}Reply ${spa} is-at ${sha}, length ${len}`;
    case 3: return `${pre}Reverse Request who-is ${tha} tell ${sha}, length ${len}`;
    case 4: return `${pre}Reverse Reply ${tha} at ${tpa}, length ${len}`;
    default: return `${pre}Unknown (${d.arpOp}), length ${len}`;
  }
}

function ipv4Line(d: Decoded, state: SummaryState | null, opts: SummaryOptions, link: boolean): string {
  const pre = link ? '' : 'IP ';
  if (d.srcOff < 0 || d.dstOff < 0) return `${pre}[|ip]`;
  const src = ipv4Text(d.data, d.srcOff), dst = ipv4Text(d.data, d.dstOff);
  // tcpdump 4.99 (print-ip.c): a zero total length (also BIG TCP super-frames) is "bad-len 0"
  if (d.ipTotLen === 0) return `${pre}bad-len 0`;
  // total length beyond what the wire carried
  const wire = d.wireLen - d.network_header;
  const missing = d.ipTotLen > wire ? `truncated-ip - ${d.ipTotLen - wire} bytes missing! ` : '';
  if (d.flags & DF_FRAGMENT) return `${pre}${missing}${src} > ${dst}: ip-proto-${d.proto}`;
  return pre + missing + l4Text(d, src, dst, state, opts, '');
}

function ipv6Line(d: Decoded, state: SummaryState | null, opts: SummaryOptions, link: boolean): string {
  const pre = link ? '' : 'IP6 ';
  if (d.srcOff < 0 || d.dstOff < 0) return `${pre}[|ip6]`;
  const src = ipv6Text(d.data, d.srcOff), dst = ipv6Text(d.data, d.dstOff);
  // extension headers tcpdump names before the upper layer
  let ext = '';
  const b = d.data;
  let nh = d.nexthdr0, o = d.network_header + 40;
  while ((nh === 0 || nh === 43 || nh === 60 || nh === 44 || nh === 51) && o + 8 <= d.l3End) {
    if (nh === 0) { ext += 'HBH '; nh = b[o]; o += (b[o + 1] + 1) << 3; continue; }
    if (nh === 60) { ext += 'DSTOPT '; nh = b[o]; o += (b[o + 1] + 1) << 3; continue; }
    if (nh === 51) { ext += 'AH '; nh = b[o]; o += (b[o + 1] + 2) << 2; continue; }
    if (nh === 43) { ext += rt6Text(b, o); nh = b[o]; o += (b[o + 1] + 1) << 3; continue; }
    // fragment: tcpdump prints "frag (offset|length)" with the fragment's payload length
    const fo = u16(b, o + 2) & 0xfff8;
    const flen = d.ipTotLen - (o + 8 - d.network_header);
    ext += `frag (${fo}|${flen})${fo === 0 ? ' ' : ''}`;
    nh = b[o]; o += 8;
    if (fo !== 0) return `${pre}${src} > ${dst}: ${ext}`;
  }
  if (ext !== '' && (d.has(L_TCP) || d.has(L_UDP))) {
    // after an extension header tcpdump prints the ports apart from the addresses
    return `${pre}${src} > ${dst}: ${ext}${l4Text(d, '', '', state, opts, '')}`;
  }
  return pre + l4Text(d, src, dst, state, opts, ext);
}

/** print-rt6.c for type 0 (checked against tcpdump); other types print their header fields only */
function rt6Text(b: Uint8Array, o: number): string {
  const len = b[o + 1], type = b[o + 2], left = b[o + 3];
  if (type !== 0) return `RT6 (len=${len}, type=${type}, segleft=${left}) `;
  let r = `RT6 (len=${len}, type=0 [Deprecated], segleft=${left}`;
  for (let i = 0; i < len >> 1; i++) r += `, [${i}]${ipv6ToString(b, o + 8 + 16 * i)}`;
  return r + ') ';
}

/** "src.sport > dst.dport: " ("sport > dport: " when the addresses are empty) */
function endpoints(src: string, sport: number, dst: string, dport: number): string {
  if (src === '') return sport + ' > ' + dport + ': ';
  return src + portDot(sport) + ' > ' + dst + portDot(dport) + ': ';
}

/** transport part, "src > dst: ..." (or "sport > dport: " when src/dst are empty) */
function l4Text(d: Decoded, src: string, dst: string, state: SummaryState | null, opts: SummaryOptions, ext: string): string {
  const b = d.data;
  const th = d.transport_header;
  if (d.has(L_TCP)) {
    if (d.sport < 0 || d.tcpHdrLen === 0) return `${src} > ${dst}: ${ext}[|tcp]`;
    const f = d.tcpFlags;
    let r = endpoints(src, d.sport, dst, d.dport) + ext + FLAGS_TEXT[f & 0xff];
    let seq = d.tcpSeq, ack = d.tcpAck;
    // what tcpdump subtracts from SACK edges: 0 without the table (-S, or no ACK)
    let sackBase = 0;
    if (state !== null && !opts.absoluteSeq && (d.tcpFlags & 0x10) !== 0) {
      const t = state.tcp;
      t.relative(b, d.srcOff, d.dstOff, d.ipVersion === 4 ? 4 : 16, d.sport, d.dport, seq, ack, (d.tcpFlags & 0x02) !== 0);
      seq = t.out[0];
      ack = t.out[1];
      sackBase = t.sackBase;
    }
    // an IPv4 total length beyond what the wire carried ("truncated-ip"): tcp_print takes the
    // segment's length from the IP header, as the decoder does not
    let len = d.l4PayloadLen;
    if (d.ipVersion === 4 && d.ipTotLen > d.wireLen - d.network_header && d.ipTotLen - d.ipHdrLen - d.tcpHdrLen > len) len = d.ipTotLen - d.ipHdrLen - d.tcpHdrLen;
    if (len > 0) r += ', seq ' + seq + ':' + ((seq + len) >>> 0);
    else if ((f & 0x07) !== 0) r += ', seq ' + seq;
    if (f & 0x10) r += ', ack ' + ack;
    r += ', win ' + d.tcpWin;
    if (f & 0x20) r += ', urg ' + u16(b, th + 18);
    if (d.tcpHdrLen > 20) {
      // options cut by the capture: print what is there, then tcpdump's truncation mark
      const end = th + d.tcpHdrLen;
      if (end > d.caplen) return `${r}, options [${tcpOptionsText(b, th + 20, d.caplen, sackBase)}[|tcp]`;
      r += `, options [${tcpOptionsText(b, th + 20, end, sackBase)}]`;
    }
    r += ', length ' + len;
    // tcp_print: DNS over TCP (other printers before it in tcpdump's order are not ours)
    if (len > 0 && tcpIsDns(d.sport, d.dport)) r += tcpDnsText(b, d.payload, len, d.l3End);
    return r;
  }
  if (d.has(L_UDP)) {
    if (d.sport < 0 || d.payload < 0) return `${src} > ${dst}: ${ext}[|udp]`;
    const ulen = d.udpLen;
    const ipPayload = d.l4PayloadLen + 8;
    // udp_print hands min(UDP length, IP payload) - 8 bytes to the application's printer
    const kind = udpAppKind(d.sport, d.dport);
    if (kind > 0 && kind !== APP_LLMNR && ulen >= 8 && d.l4Len >= 8) {
      const len = Math.min(ulen, d.l4Len) - 8;
      const text = kind === APP_VXLAN || kind === APP_GENEVE ? tunnelUdpText(d, kind, len, state, opts) : udpAppText(kind, b, d.payload, len, d.l3End);
      if (text !== null) return endpoints(src, d.sport, dst, d.dport) + ext + text;
    }
    if (ulen < 8 || ulen > ipPayload) return endpoints(src, d.sport, dst, d.dport) + ext + 'UDP, bad length ' + ulen + ' > ' + (ipPayload - 8);
    return endpoints(src, d.sport, dst, d.dport) + ext + 'UDP, length ' + (ulen - 8);
  }
  if (d.has(L_ICMP)) return `${src} > ${dst}: ${ext}${icmpText(d)}`;
  if (d.has(L_ICMPV6)) return `${src} > ${dst}: ${ext}${icmp6Text(d)}`;
  if (d.has(L_ESP) && th >= 0 && th + 8 <= d.caplen) {
    // print-esp.c without secrets: SPI and sequence number
    return `${src} > ${dst}: ${ext}ESP(spi=0x${u32(b, th).toString(16).padStart(8, '0')},seq=0x${u32(b, th + 4).toString(16)}), length ${d.l3End - th}`;
  }
  if (d.has(L_GRE) && th >= 0 && th + 4 <= d.caplen) {
    // print-gre.c (not verbose): version, key and sequence number, then the GRE length; tcpdump
    // goes on to print the inner packet after ": ", which we do not descend into
    const flags = u16(b, th), ver = flags & 7;
    let r = `${src} > ${dst}: ${ext}GREv${ver}`;
    if (ver === 0) {
      let o = th + 4;
      if (flags & 0xc000) { r += `, off 0x${u16(b, o + 2).toString(16)}`; o += 4; }
      if (flags & 0x2000) { r += `, key=0x${u32(b, o).toString(16)}`; o += 4; }
      if (flags & 0x1000) r += `, seq ${u32(b, o)}`;
      // with -e tcpdump names the payload protocol
      if (opts.link) { const p = u16(b, th + 2); r += `, proto ${ETHERTYPE_NAMES[p] ?? 'Unknown'} (${hex4(p)})`; }
    } else if (ver === 1) {
      // gre_print_1 (PPTP): call id, sequence and acknowledgement numbers; the PPP payload is not ours
      let o = th + 4;
      if (flags & 0x2000) { r += `, call ${u32(b, o) & 0xffff}`; o += 4; }
      if (flags & 0x1000) { r += `, seq ${u32(b, o)}`; o += 4; }
      if (flags & 0x0080) r += `, ack ${u32(b, o)}`;
      if ((flags & 0x1000) === 0) r += ', no-payload';
      if (opts.link) { const p = u16(b, th + 2); r += `, proto ${p === 0x880b ? 'PPP' : ETHERTYPE_NAMES[p] ?? 'unknown'} (${hex4(p)})`; }
    }
    r += `, length ${d.l3End - th}`;
    return ver === 0 ? r + greInner(d, th, flags, state, opts) : r;
  }
  // IP-in-IP, IPv6-in-IP (and over IPv6): ip_print / ip6_print of the inner packet
  if ((d.proto === 4 || d.proto === 41) && th >= 0 && th < d.l3End) {
    return `${src} > ${dst}: ${ext}${innerLine(b, th, d.l3End, d.l4Len, LT_RAW, state, opts)}`;
  }
  const name = d.has(L_IGMP) ? 'igmp' : d.has(L_GRE) ? 'GRE' : d.has(L_ESP) ? 'ESP' : d.has(L_AH) ? 'AH' : d.has(L_SCTP) ? 'sctp'
    : d.has(L_IPIP) ? 'IP-in-IP' : d.ipVersion === 4 && d.has(L_IPV6) ? 'IP6-in-IP' : d.has(L_OSPF) ? 'OSPF' : d.has(L_PIM) ? 'PIM' : d.has(L_VRRP) ? 'VRRP' : `ip-proto-${d.proto}`;
  return `${src} > ${dst}: ${ext}${name}, length ${d.l3End - (th >= 0 ? th : d.l3End)}`;
}

const TCPOPT_NAMES: Record<number, string> = { 19: 'md5', 30: 'mptcp', 34: 'tfo', 28: 'uto', 29: 'tcp-ao' };

/** print-tcp.c option list: "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7"; SACK edges relative
 *  like the sequence numbers (tcpdump subtracts the conversation's base) */
function tcpOptionsText(b: Uint8Array, o: number, end: number, sackBase: number): string {
  let t = '';
  while (o < end) {
    if (t !== '') t += ',';
    const k = b[o];
    if (k === 0) { t += 'eol'; break; }
    if (k === 1) { t += 'nop'; o++; continue; }
    if (o + 1 >= end) { t += '[|tcp]'; break; }
    const len = b[o + 1];
    if (len < 2 || o + len > end) { t += '[bad opt]'; break; }
    switch (k) {
      case 2: t += len === 4 ? 'mss ' + u16(b, o + 2) : `mss[len ${len}]`; break;
      case 3: t += len === 3 ? 'wscale ' + b[o + 2] : `wscale[len ${len}]`; break;
      case 4: t += 'sackOK'; break;
      case 5: {
        t += `sack ${(len - 2) >> 3} `;
        for (let p = o + 2; p + 8 <= o + len; p += 8) t += '{' + ((u32(b, p) - sackBase) >>> 0) + ':' + ((u32(b, p + 4) - sackBase) >>> 0) + '}';
        break;
      }
      case 8: t += len === 10 ? 'TS val ' + u32(b, o + 2) + ' ecr ' + u32(b, o + 6) : `TS[len ${len}]`; break;
      default: {
        t += TCPOPT_NAMES[k] ?? `unknown-${k}`;
        if (len > 2) { t += ' 0x'; for (let p = o + 2; p < o + len; p++) t += (b[p] | 0).toString(16).padStart(2, '0'); }
      }
    }
    o += len;
  }
  return t;
}

function icmpText(d: Decoded): string {
  const b = d.data, o = d.transport_header;
  // tcpdump: IP total length minus header, even when the capture holds less
  const len = d.ipTotLen > d.ipHdrLen ? d.ipTotLen - d.ipHdrLen : d.l4Len;
  // icmp_print: the header not all captured ends the line before any text of its own
  if (d.icmpType < 0 || o + 8 > d.caplen) return ' [|icmp]';
  const t = d.icmpType, c = d.icmpCode;
  // the quoted IP header starts at o+8
  const q = o + 8;
  const qdst = q + 20 <= d.caplen ? ipv4BytesToString(b, q + 16) : '?';
  let str: string;
  switch (t) {
    case 0: case 8: str = `echo ${t === 8 ? 'request' : 'reply'}, id ${u16(b, o + 4)}, seq ${u16(b, o + 6)}`; break;
    case 3:
      switch (c) {
        case 0: str = `net ${qdst} unreachable`; break;
        case 1: str = `host ${qdst} unreachable`; break;
        case 2: str = `${qdst} protocol ${b[q + 9]} unreachable`; break;
        case 3: {
          const qhl = (b[q] & 0x0f) << 2;
          const dport = u16(b, q + qhl + 2), p = b[q + 9];
          str = p === 6 ? `${qdst} tcp port ${dport} unreachable` : p === 17 ? `${qdst} udp port ${dport} unreachable` : `${qdst} protocol ${p} port ${dport} unreachable`;
          break;
        }
        case 4: { const mtu = u16(b, o + 6); str = mtu ? `${qdst} unreachable - need to frag (mtu ${mtu})` : `${qdst} unreachable - need to frag`; break; }
        case 5: str = `${qdst} unreachable - source route failed`; break;
        case 6: str = `net ${qdst} unreachable - unknown`; break;
        case 7: str = `host ${qdst} unreachable - unknown`; break;
        case 8: str = `${qdst} unreachable - source host isolated`; break;
        case 9: str = `net ${qdst} unreachable - admin prohibited`; break;
        case 10: str = `host ${qdst} unreachable - admin prohibited`; break;
        case 11: str = `net ${qdst} unreachable - tos prohibited`; break;
        case 12: str = `host ${qdst} unreachable - tos prohibited`; break;
        case 13: str = `host ${qdst} unreachable - admin prohibited filter`; break;
        case 14: str = `host ${qdst} unreachable - host precedence violation`; break;
        case 15: str = `host ${qdst} unreachable - precedence cutoff`; break;
        default: str = `${qdst} unreachable - #${c}`;
      }
      break;
    case 5: {
      const gw = ipv4BytesToString(b, o + 4);
      str = c === 0 ? `redirect ${qdst} to net ${gw}` : c === 1 ? `redirect ${qdst} to host ${gw}` : c === 2 ? `redirect-tos ${qdst} to net ${gw}` : c === 3 ? `redirect-tos ${qdst} to host ${gw}` : `redirect-#${c} ${qdst} to ${gw}`;
      break;
    }
    case 11: str = c === 0 ? 'time exceeded in-transit' : c === 1 ? 'ip reassembly time exceeded' : `time exceeded-#${c}`; break;
    case 12: str = c ? `parameter problem - code ${c}` : `parameter problem - octet ${b[o + 4]}`; break;
    case 13: str = `time stamp query id ${u16(b, o + 4)} seq ${u16(b, o + 6)}`; break;
    case 14: {
      // icmp_tstamp_print: milliseconds since midnight UTC as hh:mm:ss.mmm
      if (o + 20 > d.caplen) return ' [|icmp]';
      const ts = (v: number): string => { const ms = v % 1000; let sec = Math.floor(v / 1000); let min = Math.floor(sec / 60); sec -= min * 60; const h = Math.floor(min / 60); min -= h * 60; return `${String(h).padStart(2, '0')}:${String(min).padStart(2, '0')}:${String(sec).padStart(2, '0')}.${String(ms).padStart(3, '0')}`; };
      str = `time stamp reply id ${u16(b, o + 4)} seq ${u16(b, o + 6)}: org ${ts(u32(b, o + 8))}, recv ${ts(u32(b, o + 12))}, xmit ${ts(u32(b, o + 16))}`;
      break;
    }
    case 18: if (o + 12 > d.caplen) return ' [|icmp]'; str = `address mask is 0x${u32(b, o + 8).toString(16).padStart(8, '0')}`; break;
    case 9: {
      // RFC 1256 router advertisement: lifetime, number of addresses, {address preference}...
      const lt = u16(b, o + 6), num = b[o + 4], size = b[o + 5];
      str = `router advertisement lifetime ${lt < 60 ? lt : lt < 3600 ? `${Math.floor(lt / 60)}:${String(lt % 60).padStart(2, '0')}` : `${Math.floor(lt / 3600)}:${String(Math.floor((lt % 3600) / 60)).padStart(2, '0')}:${String(lt % 60).padStart(2, '0')}`} ${num}:`;
      if (size !== 2) { str += ` [size ${size}]`; break; }
      for (let k = 0; k < num; k++) {
        const a = o + 8 + 8 * k;
        if (a + 8 > d.caplen) return ' [|icmp]';
        str += ` {${ipv4BytesToString(b, a)} ${u32(b, a + 4)}}`;
      }
      break;
    }
    case 4: str = 'source quench'; break;
    case 10: str = 'router solicitation'; break;
    case 15: str = 'information request'; break;
    case 16: str = 'information reply'; break;
    case 17: str = 'address mask request'; break;
    default: str = `type-#${t}`;
  }
  return `ICMP ${str}, length ${len}`;
}

const ICMP6_UNREACH = ['unreachable route', ' unreachable prohibited' /* sic: tcpdump's table has the leading space */, 'beyond scope', 'unreachable address', 'unreachable port', 'source address failed ingress/egress policy', 'reject route to destination'];

function icmp6Text(d: Decoded): string {
  const b = d.data, o = d.transport_header;
  // payload length minus extension headers; a jumbogram (payload length 0) uses the frame
  const ext = o - d.network_header;
  const len = d.ipTotLen > ext ? d.ipTotLen - ext : d.l4Len;
  if (d.icmpType < 0) return 'ICMP6 [|icmp6]';
  const t = d.icmpType, c = d.icmpCode;
  const q = o + 8; // quoted IPv6 header of errors
  const have = (n: number): boolean => o + n <= d.caplen;
  let r: string;
  switch (t) {
    case 1: {
      r = `destination unreachable, ${ICMP6_UNREACH[c] ?? `unknown unreach code (${c})`}`;
      if (!have(8 + 40)) return `ICMP6, ${r}[|icmp6]`;
      const qdst = ipv6ToString(b, q + 24);
      if (c === 4) {
        // first upper-layer header of the quoted packet (no extension headers handled here)
        const p = b[q + 6];
        const dport = u16(b, q + 40 + 2);
        r += p === 6 ? `, ${qdst} tcp port ${dport}` : p === 17 ? `, ${qdst} udp port ${dport}` : `, ${qdst} protocol ${p} port ${dport} unreachable`;
      } else if (c === 2) r += ` ${qdst}, source address ${ipv6ToString(b, q + 8)}`;
      else if (c <= 3) r += ` ${qdst}`;
      break;
    }
    case 2: r = `packet too big, mtu ${u32(b, o + 4)}`; break;
    case 3:
      r = 'time exceeded in-transit';
      if (c === 0) r += have(8 + 40) ? ` for ${ipv6ToString(b, q + 24)}` : '';
      else if (c === 1) r += ' (reassembly)';
      else r += `, unknown code (${c})`;
      break;
    case 4: r = `parameter problem, ${['erroneous - octet', 'next header - octet', 'option - octet', 'incomplete header chain - octet'][c] ?? `code-#${c}`} ${u32(b, o + 4)}`; break;
    case 128: case 129: r = `echo ${t === 128 ? 'request' : 'reply'}, id ${u16(b, o + 4)}, seq ${u16(b, o + 6)}`; break;
    // MLDv1: tcpdump's mld6_print has no separator after the type name ("reportmax resp delay")
    case 130: case 131: case 132:
      r = ['multicast listener query', 'multicast listener report', 'multicast listener done'][t - 130];
      if (t === 130 && len >= 28) {
        // mldv2_query_print: group and number of sources
        if (!have(28)) return `ICMP6, ${r} v2 [|icmp6]`;
        const nsrcs = u16(b, o + 26);
        r += ` v2 [gaddr ${ipv6ToString(b, o + 8)}${nsrcs > 0 ? (len < 28 + nsrcs * 16 ? ' [invalid number of sources]' : `, ${nsrcs} source(s)`) : ''}]`;
      }
      else if (have(24)) r += `max resp delay: ${u16(b, o + 4)} addr: ${ipv6ToString(b, o + 8)}`;
      break;
    case 133: r = 'router solicitation'; break;
    case 134: r = 'router advertisement'; break;
    // the target address not captured: tcpdump's GET_IP6ADDR_STRING ends the line " [|icmp6]"
    case 135: if (!have(24)) return 'ICMP6, neighbor solicitation [|icmp6]'; r = `neighbor solicitation, who has ${ipv6ToString(b, o + 8)}`; break;
    case 136: if (!have(24)) return 'ICMP6, neighbor advertisement [|icmp6]'; r = `neighbor advertisement, tgt is ${ipv6ToString(b, o + 8)}`; break;
    case 137: if (!have(40)) return 'ICMP6, redirect [|icmp6]'; r = `redirect, ${ipv6ToString(b, o + 24)} to ${ipv6ToString(b, o + 8)}`; break;
    case 143: r = `multicast listener report v2, ${u16(b, o + 6)} group record(s)`; break;
    // icmp6_print's names (icmp6_type_values) for the types it prints nothing more of without -v
    case 141: r = 'inverse neighbor solicitation'; break;
    case 142: r = 'inverse neighbor advertisement'; break;
    case 144: case 146: if (!have(6)) return `ICMP6, ${t === 144 ? 'ha discovery request' : 'mobile router solicitation'} [|icmp6]`; r = `${t === 144 ? 'ha discovery request' : 'mobile router solicitation'}, id 0x${u16(b, o + 4).toString(16).padStart(4, '0')}`; break;
    case 145: r = 'ha discovery reply'; break;
    case 147: r = 'mobile router advertisement'; break;
    default: r = t === 200 ? 'mtrace response' : t === 201 ? 'mtrace message' : `unknown icmp6 type (${t})`;
  }
  return `ICMP6, ${r}, length ${len}`;
}

// ---- tunnels: the inner packet's own summary, as tcpdump prints it after the outer one ----

/** one Decoded per nesting depth (GRE in GRE...): no allocation after the first use */
const INNER: Decoded[] = [];
let innerDepth = 0;

/** the summary of the packet at b[off, end) (linktype EN10MB or RAW), `wireLen` bytes long */
function innerLine(b: Uint8Array, off: number, end: number, wireLen: number, lt: number, state: SummaryState | null, opts: SummaryOptions): string {
  if (innerDepth >= 8) return '[|ip]';
  const d = (INNER[innerDepth] ??= new Decoded());
  innerDepth++;
  try {
    const cap = end > off ? end - off : 0;
    // ether_print: an inner Ethernet header not all captured
    if (lt === LT_EN10MB && cap < 14) return ' [|ether]';
    decodeFrame(b.subarray(off, off + cap), cap, lt, d, wireLen > cap ? wireLen : cap, false);
    return summarize(d, state, { link: opts.link, absoluteSeq: opts.absoluteSeq, general: opts.general });
  } finally {
    innerDepth--;
  }
}

/** gre_print_0 after ", length N": ": " and the payload by its protocol type */
function greInner(d: Decoded, th: number, flags: number, state: SummaryState | null, opts: SummaryOptions): string {
  const b = d.data;
  let o = th + 4;
  if (flags & 0xc000) o += 4;
  if (flags & 0x2000) o += 4;
  if (flags & 0x1000) o += 4;
  // source routes (GRE_RP) are not walked: print what tcpdump would only for the plain header
  if (flags & 0x4000) return '';
  if (o > d.l3End) return ' [|gre]';
  const prot = u16(b, th + 2);
  const len = d.l3End - o;
  if (prot === 0x0800 || prot === 0x86dd) return ': ' + innerLine(b, o, d.l3End, len, LT_RAW, state, opts);
  if (prot === 0x6558) return ': ' + innerLine(b, o, d.l3End, len, LT_EN10MB, state, opts);
  // MPLS, IPX, AppleTalk, ISO: tcpdump has printers for them, we do not
  if (prot === 0x8847 || prot === 0x8137 || prot === 0x809b || prot === 0x00fe) return ': ';
  return `: gre-proto-0x${prot.toString(16)}`;
}

/** VXLAN (print-vxlan.c: the inner frame on a second line) and Geneve (print-geneve.c) */
function tunnelUdpText(d: Decoded, kind: number, len: number, state: SummaryState | null, opts: SummaryOptions): string {
  const b = d.data, o = d.payload, end = d.l3End;
  if (kind === APP_VXLAN) {
    const h = vxlanHead(b, o, len, end);
    if (h.done) return h.text;
    return h.text + innerLine(b, o + 8, end, len - 8, LT_EN10MB, state, opts);
  }
  const h = geneveHead(b, o, len, end, opts.link === true);
  if (h.done) return h.text;
  const inner = o + h.hdrLen, ilen = len - h.hdrLen;
  if (h.prot === 0x0800 || h.prot === 0x86dd) return h.text + innerLine(b, inner, end, ilen, LT_RAW, state, opts);
  if (h.prot === 0x6558) return h.text + innerLine(b, inner, end, ilen, LT_EN10MB, state, opts);
  return h.text + `geneve-proto-0x${h.prot.toString(16)}`;
}

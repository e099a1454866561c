// decodeFrame: one pass over a captured frame, filling a reusable Decoded with header
// offsets (as sk_buff keeps mac/network/transport headers), the fields every consumer needs,
// checksum verdicts and problem flags. No allocation, no exceptions: damage is data.
// Decoding follows the outermost headers only (like the kernel's receive path, which hands a
// tunnel's inner packet to a tunnel device): MPLS, PPPoE, GRE, IP-in-IP, VXLAN payloads are
// recorded as the outer protocol and not descended into.

import { LT_NFLOG, nflogPayloadOffset } from './nflog.js';
import { csumPartial, csumFold, csumTcpudpNofold, csumIpv6Nofold } from './checksum.js';

// ---- link types handled (LINKTYPE_* numbers) ----
export const LT_NULL = 0;
export const LT_EN10MB = 1;
export const LT_RAW_BSD12 = 12;
export const LT_RAW_BSD14 = 14;
export const LT_RAW = 101;
export const LT_LOOP = 108;
export const LT_LINUX_SLL = 113;
export const LT_IPV4 = 228;
export const LT_IPV6 = 229;
export const LT_LINUX_SLL2 = 276;
export { LT_NFLOG };

// ---- layer ids (Decoded.layers) ----
export const L_ETH = 1, L_SLL = 2, L_SLL2 = 3, L_NULL = 4, L_LOOP = 5, L_VLAN = 6, L_LLC = 7,
  L_ARP = 8, L_IPV4 = 9, L_IPV6 = 10, L_TCP = 11, L_UDP = 12, L_ICMP = 13, L_ICMPV6 = 14,
  L_IGMP = 15, L_GRE = 16, L_ESP = 17, L_AH = 18, L_SCTP = 19, L_MPLS = 20, L_PPPOE = 21,
  L_RARP = 22, L_IPIP = 23, L_OSPF = 24, L_PIM = 25, L_VRRP = 26, L_UDPLITE = 27, L_NFLOG = 28;
export const LAYER_NAMES: readonly string[] = ['', 'eth', 'sll', 'sll2', 'null', 'loop', 'vlan', 'llc',
  'arp', 'ipv4', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'igmp', 'gre', 'esp', 'ah', 'sctp', 'mpls', 'pppoe',
  'rarp', 'ipip', 'ospf', 'pim', 'vrrp', 'udplite', 'nflog'];
const MAX_LAYERS = 16;
/** more tags than this is treated as malformed (the kernel itself unwinds at most 8 in __vlan_get_protocol) */
export const MAX_VLAN_TAGS = 8;

// ---- problem flags (Decoded.flags) ----
/** a header is cut short by the capture (snaplen) */
export const DF_TRUNCATED = 1;
/** a header field is inconsistent (bad version, header length, total length, option list) */
export const DF_MALFORMED = 2;
/** link type not decoded */
export const DF_UNSUPPORTED_LINK = 4;
/** non-first IP fragment: no transport header */
export const DF_FRAGMENT = 8;
/** IPv4 options present / IPv6 extension headers present */
export const DF_IP_OPTIONS = 16;
/** Ethernet frame carried an 802.3 length, not an ethertype */
export const DF_8023 = 32;

// ---- checksum verdicts ----
export const CSUM_NONE = 0; // no such header / checksum
export const CSUM_GOOD = 1;
export const CSUM_BAD = 2;
export const CSUM_UNVERIFIED = 3; // present but not checkable: truncated, fragment, zero UDP/IPv4 checksum
/** checkable, not computed yet: decodeFrame(..., verify = false) leaves this; verifyChecksums() resolves it */
export const CSUM_PENDING = 4;
export const CSUM_NAMES: readonly (string | null)[] = [null, 'good', 'bad', 'unverified', 'pending'];

/** One decoded frame; allocate once and pass to decodeFrame for every frame. */
export class Decoded {
  data: Uint8Array = new Uint8Array(0);
  linktype = 0;
  caplen = 0;
  /** original length on the wire (>= caplen); lengths beyond caplen mean a snaplen cut */
  wireLen = 0;
  flags = 0;
  /** static text of the first problem found, null when none */
  problem: string | null = null;
  /** layer ids, outermost first; see LAYER_NAMES */
  readonly layers = new Uint8Array(MAX_LAYERS);
  nlayers = 0;

  /** offsets into data, -1 when absent (sk_buff mac_header / network_header / transport_header) */
  mac_header = -1;
  network_header = -1;
  transport_header = -1;
  /** first byte after the transport header, -1 when absent */
  payload = -1;
  /** end of the network-layer datagram within data (IP total length bounded by caplen) */
  l3End = 0;

  /** ethertype of the network header (skb->protocol as eth_type_trans sets it: ETH_P_802_2 /
   *  ETH_P_802_3 for 802.3 length frames); 0 when unknown */
  protocol = 0;
  /** SLL/SLL2 packet type (PACKET_*), -1 otherwise */
  pktType = -1;
  /** SLL2 interface index, -1 otherwise */
  ifindex = -1;
  /** SLL/SLL2 ARPHRD_* type, -1 otherwise */
  hatype = -1;
  /** VLAN tags outermost first */
  nvlan = 0;
  readonly vlanTpid = new Uint16Array(MAX_VLAN_TAGS);
  readonly vlanTci = new Uint16Array(MAX_VLAN_TAGS);

  /** 4 or 6 for IP, 0 otherwise */
  ipVersion = 0;
  /** offsets of the source / destination addresses in data (IP, or ARP spa/tpa), -1 when absent */
  srcOff = -1;
  dstOff = -1;
  ipHdrLen = 0;
  /** IPv4 total length / IPv6 40 + payload length (as in the header) */
  ipTotLen = 0;
  ttl = -1;
  /** IPv4 protocol field / IPv6 next header after extension headers (upper-layer protocol), -1 if none */
  proto = -1;
  /** IPv6 first next-header field (before extension headers) */
  nexthdr0 = -1;
  ipId = 0;
  /** fragment: offset in bytes and more-fragments; isFragment when either is set */
  isFragment = false;
  fragOffset = 0;
  moreFrags = false;
  dontFrag = false;

  /** transport */
  sport = -1;
  dport = -1;
  tcpFlags = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpWin = 0;
  tcpHdrLen = 0;
  /** L4 length per the IP header (transport header + data), 0 when there is no transport */
  l4Len = 0;
  /** bytes of L4 payload per the headers (TCP segment data, UDP data, ICMP body) */
  l4PayloadLen = 0;
  udpLen = 0;
  icmpType = -1;
  icmpCode = -1;
  arpOp = -1;

  csumIp = CSUM_NONE;
  csumL4 = CSUM_NONE;
  /** addresses for the L4 pseudo header: IPv6 final destination of a routing header, home address option */
  csumSrcOff = -1;
  csumDstOff = -1;
  /** the L4 span a pending checksum covers, and its pseudo-header protocol (0: none, ICMP) */
  csumL4Off = -1;
  csumL4Len = 0;
  csumL4Proto = 0;

  has(layer: number): boolean {
    for (let i = 0; i < this.nlayers; i++) if (this.layers[i] === layer) return true;
    return false;
  }
  /** layer names (allocates; for output) */
  layerNames(): string[] {
    const r: string[] = [];
    for (let i = 0; i < this.nlayers; i++) r.push(LAYER_NAMES[this.layers[i]]);
    return r;
  }
}

function push(d: Decoded, l: number): void { if (d.nlayers < MAX_LAYERS) d.layers[d.nlayers++] = l; }
function flag(d: Decoded, f: number, why: string): void {
  d.flags |= f;
  if (d.problem === null) d.problem = why;
}
function u16(b: Uint8Array, o: number): number { return (b[o] << 8) | b[o + 1]; }
function u32(b: Uint8Array, o: number): number { return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0; }

function reset(d: Decoded, data: Uint8Array, caplen: number, linktype: number): void {
  d.data = data; d.caplen = caplen; d.linktype = linktype;
  d.flags = 0; d.problem = null; d.nlayers = 0;
  d.mac_header = d.network_header = d.transport_header = d.payload = -1;
  d.l3End = caplen;
  d.protocol = 0; d.pktType = -1; d.ifindex = -1; d.hatype = -1; d.nvlan = 0;
  d.ipVersion = 0; d.srcOff = d.dstOff = -1; d.ipHdrLen = 0; d.ipTotLen = 0; d.ttl = -1; d.proto = -1; d.nexthdr0 = -1;
  d.ipId = 0; d.isFragment = false; d.fragOffset = 0; d.moreFrags = false; d.dontFrag = false;
  d.sport = d.dport = -1; d.tcpFlags = 0; d.tcpSeq = 0; d.tcpAck = 0; d.tcpWin = 0; d.tcpHdrLen = 0;
  d.l4Len = 0; d.l4PayloadLen = 0; d.udpLen = 0; d.icmpType = -1; d.icmpCode = -1; d.arpOp = -1;
  d.csumIp = CSUM_NONE; d.csumL4 = CSUM_NONE; d.csumSrcOff = d.csumDstOff = -1; d.csumL4Off = -1;
}

/**
 * Decode one frame. `data` holds at least `caplen` bytes (only [0, caplen) is read);
 * `linktype` is the LINKTYPE_* number of its interface.
 */
export function decodeFrame(data: Uint8Array, caplen: number, linktype: number, out: Decoded, wireLen = caplen, verify = true): void {
  if (caplen > data.length) caplen = data.length;
  reset(out, data, caplen, linktype);
  out.wireLen = wireLen < caplen ? caplen : wireLen;
  switch (linktype) {
    case LT_EN10MB: decodeEth(out, 0); break;
    case LT_LINUX_SLL: decodeSll(out); break;
    case LT_LINUX_SLL2: decodeSll2(out); break;
    case LT_RAW: case LT_RAW_BSD12: case LT_RAW_BSD14: decodeRawIp(out, 0); break;
    case LT_IPV4: decodeEthertype(out, 0x0800, 0); break;
    case LT_IPV6: decodeEthertype(out, 0x86dd, 0); break;
    case LT_NULL: case LT_LOOP: decodeNull(out, linktype === LT_LOOP); break;
    case LT_NFLOG: decodeNflog(out); break;
    default: flag(out, DF_UNSUPPORTED_LINK, 'link type not decoded');
  }
  if (verify) verifyChecksums(out);
}

/**
 * Compute the checksums decodeFrame left pending (verify = false): summing a payload costs
 * more than decoding all headers, so paths that trust checksums skip it.
 */
export function verifyChecksums(d: Decoded): void {
  const b = d.data;
  if (d.csumIp === CSUM_PENDING) d.csumIp = csumFold(csumPartial(b, d.network_header, d.ipHdrLen, 0)) === 0 ? CSUM_GOOD : CSUM_BAD;
  if (d.csumL4 === CSUM_PENDING) {
    const off = d.csumL4Off, len = d.csumL4Len;
    let sum = csumPartial(b, off, len, 0);
    if (d.csumL4Proto !== 0) {
      if (d.ipVersion === 4) sum = csumTcpudpNofold(u32(b, d.srcOff), u32(b, d.dstOff), len, d.csumL4Proto, sum);
      else sum = csumIpv6Nofold(b, d.csumSrcOff, b, d.csumDstOff, len, d.csumL4Proto, sum);
    }
    d.csumL4 = csumFold(sum) === 0 ? CSUM_GOOD : CSUM_BAD;
  }
}

/** mark the L4 checksum over [off, off+len) as checkable (pseudo header of `proto`, 0 = none) */
function pendL4(d: Decoded, off: number, len: number, proto: number): number {
  d.csumL4Off = off;
  d.csumL4Len = len;
  d.csumL4Proto = proto;
  return CSUM_PENDING;
}

/** NFLOG (nflog.ts): the logged packet from its network header, by the header's family */
function decodeNflog(d: Decoded): void {
  if (d.caplen < 4) { flag(d, DF_TRUNCATED, 'truncated NFLOG header'); return; }
  push(d, L_NFLOG);
  if (d.data[1] !== 0) { flag(d, DF_MALFORMED, `NFLOG version ${d.data[1]}`); return; }
  const off = nflogPayloadOffset(d.data, d.caplen);
  if (off < 0) { flag(d, DF_TRUNCATED, 'NFLOG attributes cut before the packet'); return; }
  const fam = d.data[0];
  if (fam === 2) decodeEthertype(d, 0x0800, off);
  else if (fam === 10) decodeEthertype(d, 0x86dd, off);
  else flag(d, DF_UNSUPPORTED_LINK, `NFLOG family ${fam} not decoded`);
}

function decodeEth(d: Decoded, off: number): void {
  if (d.caplen - off < 14) { flag(d, DF_TRUNCATED, 'truncated Ethernet header'); return; }
  d.mac_header = off;
  push(d, L_ETH);
  const type = u16(d.data, off + 12);
  decodeEthertype(d, type, off + 14);
}

/** handles VLAN tags, then the network protocol at off */
function decodeEthertype(d: Decoded, type: number, off: number): void {
  const b = d.data;
  for (;;) {
    if (type === 0x8100 || type === 0x88a8 || type === 0x9100 || type === 0x9200 || type === 0x9300) {
      if (d.caplen - off < 4) { flag(d, DF_TRUNCATED, 'truncated 802.1Q tag'); return; }
      if (d.nvlan === MAX_VLAN_TAGS) { flag(d, DF_MALFORMED, 'too many VLAN tags'); return; }
      d.vlanTpid[d.nvlan] = type;
      d.vlanTci[d.nvlan] = u16(b, off);
      d.nvlan++;
      push(d, L_VLAN);
      type = u16(b, off + 2);
      off += 4;
      continue;
    }
    break;
  }
  d.protocol = type;
  if (type < 0x0600) {
    // 802.3 length field: skb->protocol as eth_type_trans() sets it — ETH_P_802_3 for raw
    // 802.3 (IPX, first payload bytes 0xffff), else ETH_P_802_2 (LLC follows)
    d.protocol = off + 2 <= d.caplen && d.data[off] === 0xff && d.data[off + 1] === 0xff ? 0x0001 : 0x0004;
    d.network_header = off < d.caplen ? off : -1;
    d.flags |= DF_8023;
    push(d, L_LLC);
    return;
  }
  switch (type) {
    case 0x0800: decodeIpv4(d, off); return;
    case 0x86dd: decodeIpv6(d, off); return;
    case 0x0806: decodeArp(d, off, L_ARP); return;
    case 0x8035: decodeArp(d, off, L_RARP); return;
    case 0x8847: case 0x8848: d.network_header = off; push(d, L_MPLS); return;
    case 0x8863: case 0x8864: d.network_header = off; push(d, L_PPPOE); return;
    default: d.network_header = off < d.caplen ? off : -1;
  }
}

function decodeSll(d: Decoded): void {
  // struct sll_header: pkttype(2) hatype(2) halen(2) addr(8) protocol(2)
  if (d.caplen < 16) { flag(d, DF_TRUNCATED, 'truncated LINUX_SLL header'); return; }
  const b = d.data;
  d.mac_header = 0;
  d.pktType = u16(b, 0);
  d.hatype = u16(b, 2);
  push(d, L_SLL);
  const proto = u16(b, 14);
  // protocol values below 0x600 are ETH_P_802_3 / ETH_P_802_2 etc. (not ethertypes)
  if (proto < 0x0600) { d.protocol = proto; push(d, L_LLC); d.flags |= DF_8023; return; }
  decodeEthertype(d, proto, 16);
}

function decodeSll2(d: Decoded): void {
  // struct sll2_header: protocol(2) reserved(2) if_index(4) hatype(2) pkttype(1) halen(1) addr(8)
  if (d.caplen < 20) { flag(d, DF_TRUNCATED, 'truncated LINUX_SLL2 header'); return; }
  const b = d.data;
  d.mac_header = 0;
  d.ifindex = u32(b, 4);
  d.hatype = u16(b, 8);
  d.pktType = b[10];
  push(d, L_SLL2);
  const proto = u16(b, 0);
  if (proto < 0x0600) { d.protocol = proto; push(d, L_LLC); d.flags |= DF_8023; return; }
  decodeEthertype(d, proto, 20);
}

function decodeNull(d: Decoded, loop: boolean): void {
  if (d.caplen < 4) { flag(d, DF_TRUNCATED, 'truncated loopback header'); return; }
  const b = d.data;
  d.mac_header = 0;
  push(d, loop ? L_LOOP : L_NULL);
  let af: number;
  if (loop) af = u32(b, 0);
  else {
    // host byte order of the writer: libpcap takes it as little-endian unless the low
    // 16 bits are zero (print-null.c: swap when the value has high bits set)
    af = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
    if ((af & 0xffff0000) !== 0) af = u32(b, 0);
  }
  // BSD AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (Darwin); 10 on Linux
  if (af === 2) decodeEthertype(d, 0x0800, 4);
  else if (af === 24 || af === 28 || af === 30 || af === 10) decodeEthertype(d, 0x86dd, 4);
  else flag(d, DF_UNSUPPORTED_LINK, 'unknown loopback address family');
}

function decodeRawIp(d: Decoded, off: number): void {
  if (d.caplen - off < 1) { flag(d, DF_TRUNCATED, 'empty raw IP frame'); return; }
  const v = d.data[off] >>> 4;
  if (v === 4) decodeEthertype(d, 0x0800, off);
  else if (v === 6) decodeEthertype(d, 0x86dd, off);
  else { d.network_header = off; flag(d, DF_MALFORMED, 'raw IP frame with bad IP version'); }
}

function decodeArp(d: Decoded, off: number, layer: number): void {
  d.network_header = off;
  push(d, layer);
  const b = d.data;
  if (d.caplen - off < 8) { flag(d, DF_TRUNCATED, 'truncated ARP header'); return; }
  d.arpOp = u16(b, off + 6);
  const hln = b[off + 4], pln = b[off + 5];
  const need = 8 + 2 * (hln + pln);
  if (d.caplen - off < need) { flag(d, DF_TRUNCATED, 'truncated ARP addresses'); return; }
  d.l3End = off + need;
  if (u16(b, off + 2) === 0x0800 && pln === 4) {
    d.srcOff = off + 8 + hln;
    d.dstOff = off + 8 + 2 * hln + 4;
  }
}

function decodeIpv4(d: Decoded, off: number): void {
  const b = d.data;
  d.network_header = off;
  d.ipVersion = 4;
  push(d, L_IPV4);
  const avail = d.caplen - off;
  if (avail < 1) { flag(d, DF_TRUNCATED, 'truncated IPv4 header'); return; }
  if (b[off] >>> 4 !== 4) { flag(d, DF_MALFORMED, 'IPv4 header with bad version'); return; }
  const hl = (b[off] & 0x0f) << 2;
  d.ipHdrLen = hl;
  if (hl < 20) { flag(d, DF_MALFORMED, 'IPv4 header length below 20'); return; }
  if (avail < 4) { flag(d, DF_TRUNCATED, 'truncated IPv4 header'); return; }
  let totLen = u16(b, off + 2);
  d.ipTotLen = totLen;
  // tot_len 0: TSO / BIG TCP super-frame (the kernel writes 0 above 64 KiB): the frame gives the length
  if (totLen === 0) totLen = d.wireLen - off;
  else if (totLen < hl) { flag(d, DF_MALFORMED, 'IPv4 total length below header length'); return; }
  // fields as far as the captured bytes go (tshark shows them too); flags say what is missing
  if (avail >= 8) {
    const fo = u16(b, off + 6);
    d.ipId = u16(b, off + 4);
    d.dontFrag = (fo & 0x4000) !== 0;
    d.moreFrags = (fo & 0x2000) !== 0;
    d.fragOffset = (fo & 0x1fff) << 3;
    d.isFragment = d.moreFrags || d.fragOffset !== 0;
  }
  if (avail >= 9) d.ttl = b[off + 8];
  if (avail >= 10) d.proto = b[off + 9];
  if (avail >= 16) d.srcOff = off + 12;
  if (avail >= 20) d.dstOff = off + 16;
  if (hl > avail) { d.csumIp = CSUM_UNVERIFIED; flag(d, DF_TRUNCATED, avail < 20 ? 'truncated IPv4 header' : 'truncated IPv4 options'); return; }
  if (hl > 20) d.flags |= DF_IP_OPTIONS;
  d.csumIp = CSUM_PENDING;
  // the datagram ends at tot_len (Ethernet padding after it is ignored) or at the frame's end
  // when tot_len claims more than the wire carried (ip_rcv_core drops that: flagged malformed)
  let rep = off + totLen;
  if (rep > d.wireLen) { rep = d.wireLen; flag(d, DF_MALFORMED, 'IPv4 total length exceeds the frame'); }
  const end = rep > d.caplen ? d.caplen : rep;
  d.l3End = end;
  if (d.fragOffset !== 0) { d.flags |= DF_FRAGMENT; return; }
  decodeL4(d, d.proto, off + hl, end, rep - off - hl, end < rep || d.moreFrags);
}

function decodeIpv6(d: Decoded, off: number): void {
  const b = d.data;
  d.network_header = off;
  d.ipVersion = 6;
  push(d, L_IPV6);
  const avail = d.caplen - off;
  if (avail < 1) { flag(d, DF_TRUNCATED, 'truncated IPv6 header'); return; }
  if (b[off] >>> 4 !== 6) { flag(d, DF_MALFORMED, 'IPv6 header with bad version'); return; }
  if (avail >= 7) d.nexthdr0 = b[off + 6];
  if (avail >= 8) d.ttl = b[off + 7];
  if (avail >= 24) d.srcOff = off + 8;
  if (avail >= 40) d.dstOff = off + 24;
  if (avail < 40) { flag(d, DF_TRUNCATED, 'truncated IPv6 header'); return; }
  d.ipHdrLen = 40;
  const plen = u16(b, off + 4);
  let nh = b[off + 6];
  d.ipTotLen = 40 + plen;
  let rep = off + 40 + plen;
  // payload length 0 with a hop-by-hop header: jumbogram (RFC 2675) or a BIG TCP super-frame
  const jumbo = plen === 0 && nh === 0;
  if (jumbo) rep = d.wireLen;
  if (rep > d.wireLen) { rep = d.wireLen; flag(d, DF_MALFORMED, 'IPv6 payload length exceeds the frame'); }
  const end = rep > d.caplen ? d.caplen : rep;
  const cut = end < rep;
  d.l3End = end;
  d.csumSrcOff = off + 8;
  d.csumDstOff = off + 24;
  let o = off + 40;
  let partial = false;
  // walk extension headers (ipv6_skip_exthdr: HOP, ROUTING, FRAGMENT, AUTH, DEST; each >= 8 bytes)
  while (nh === 0 || nh === 43 || nh === 60 || nh === 51 || nh === 44) {
    d.flags |= DF_IP_OPTIONS;
    if (end - o < 8) { flag(d, cut ? DF_TRUNCATED : DF_MALFORMED, 'truncated IPv6 extension header'); d.proto = nh; return; }
    if (nh === 44) {
      const fo = u16(b, o + 2);
      d.fragOffset = fo & 0xfff8;
      d.moreFrags = (fo & 1) === 1;
      d.isFragment = true; // an atomic fragment (offset 0, M 0) still has a fragment header
      d.ipId = u32(b, o + 4);
      nh = b[o];
      o += 8;
      if (d.fragOffset !== 0) { d.proto = nh; d.flags |= DF_FRAGMENT; return; }
      if (d.moreFrags) partial = true;
      continue;
    }
    const len = nh === 51 ? (b[o + 1] + 2) << 2 : (b[o + 1] + 1) << 3;
    if (o + len > end) { flag(d, cut ? DF_TRUNCATED : DF_MALFORMED, 'IPv6 extension header overruns the packet'); d.proto = nh; return; }
    if (nh === 43) routingFinalDst(d, o, len);
    else if ((nh === 0 || nh === 60) && !tlvOptions(d, o, len, nh === 60)) {
      flag(d, DF_MALFORMED, 'IPv6 option overruns its extension header');
      d.proto = nh;
      return;
    }
    nh = b[o];
    o += len;
  }
  d.proto = nh;
  if (nh === 59) return; // no next header
  decodeL4(d, nh, o, end, rep - o, cut || partial);
}

/**
 * RFC 8200 8.1: with a routing header the pseudo header uses the final destination:
 * type 0 / type 2 the last address listed, SRH (type 4) segment list[0]; only while
 * segments are left (at the final hop the kernel has already swapped it into daddr).
 */
function routingFinalDst(d: Decoded, o: number, len: number): void {
  const b = d.data;
  const type = b[o + 2], left = b[o + 3];
  if (left === 0) return;
  if ((type === 0 || type === 2) && len >= 24) d.csumDstOff = o + 8 + 16 * (((len - 8) >>> 4) - 1);
  else if (type === 4 && len >= 24) d.csumDstOff = o + 8;
}

/**
 * Walk the TLV options of a hop-by-hop / destination options header (ip6_parse_tlv): an option
 * running past the header is malformed. Also notes a Home Address option (RFC 6275 6.3), which
 * replaces the source address in the L4 pseudo header. Returns false when malformed.
 */
function tlvOptions(d: Decoded, o: number, len: number, dest: boolean): boolean {
  const b = d.data;
  let p = o + 2;
  const end = o + len;
  while (p < end) {
    const t = b[p];
    if (t === 0) { p++; continue; } // Pad1
    if (p + 2 > end) return false;
    const ol = b[p + 1];
    if (p + 2 + ol > end) return false;
    if (dest && t === 0xc9 && ol === 16) d.csumSrcOff = p + 2;
    p += 2 + ol;
  }
  return true;
}

/**
 * Transport header at off; `end` is where captured data of the datagram stops, `segLen` the
 * L4 length per the IP header, `noVerify` when the segment is not all here (cut or first fragment).
 */
function decodeL4(d: Decoded, proto: number, off: number, end: number, segLen: number, noVerify: boolean): void {
  const b = d.data;
  if (segLen < 0) segLen = 0;
  d.l4Len = segLen;
  const avail = end - off;
  switch (proto) {
    case 6: {
      d.transport_header = off;
      push(d, L_TCP);
      if (avail >= 4) { d.sport = u16(b, off); d.dport = u16(b, off + 2); }
      if (avail < 20) {
        if (avail >= 14) d.tcpFlags = ((b[off + 12] & 1) << 8) | b[off + 13];
        if (avail >= 18) d.csumL4 = CSUM_UNVERIFIED;
        flag(d, DF_TRUNCATED, 'truncated TCP header');
        return;
      }
      d.tcpSeq = u32(b, off + 4);
      d.tcpAck = u32(b, off + 8);
      d.tcpFlags = ((b[off + 12] & 1) << 8) | b[off + 13];
      d.tcpWin = u16(b, off + 14);
      const hl = (b[off + 12] >>> 4) << 2;
      d.tcpHdrLen = hl;
      d.csumL4 = CSUM_UNVERIFIED;
      if (hl < 20) { flag(d, DF_MALFORMED, 'TCP header length below 20'); return; }
      if (hl > segLen) { flag(d, DF_MALFORMED, 'TCP header length beyond the segment'); return; }
      if (hl > avail) { flag(d, DF_TRUNCATED, 'truncated TCP options'); return; }
      d.payload = off + hl;
      d.l4PayloadLen = segLen - hl;
      if (!noVerify) d.csumL4 = pendL4(d, off, segLen, 6);
      return;
    }
    case 17: case 136: {
      d.transport_header = off;
      push(d, proto === 17 ? L_UDP : L_UDPLITE);
      if (avail >= 4) { d.sport = u16(b, off); d.dport = u16(b, off + 2); }
      if (avail < 8) { flag(d, DF_TRUNCATED, 'truncated UDP header'); return; }
      const ulen = u16(b, off + 4);
      d.udpLen = ulen;
      d.payload = off + 8;
      if (proto === 136) return;
      // a first fragment carries the whole datagram's UDP length: only checkable when unfragmented
      if (ulen < 8 || (ulen > segLen && !d.moreFrags)) {
        // udp_rcv drops it (UDP_CSUM / PKT_TOO_SMALL); checksum not computed over a bad length
        flag(d, DF_MALFORMED, 'UDP length inconsistent with IP length');
        d.l4PayloadLen = segLen - 8;
        d.csumL4 = CSUM_UNVERIFIED;
        return;
      }
      d.l4PayloadLen = ulen - 8;
      if (d.moreFrags) { d.csumL4 = CSUM_UNVERIFIED; return; }
      if (u16(b, off + 6) === 0 && d.ipVersion === 4) { d.csumL4 = CSUM_UNVERIFIED; return; }
      d.csumL4 = noVerify ? CSUM_UNVERIFIED : pendL4(d, off, ulen, 17);
      return;
    }
    case 1: {
      if (d.ipVersion !== 4) break;
      d.transport_header = off;
      push(d, L_ICMP);
      if (avail < 4) { flag(d, DF_TRUNCATED, 'truncated ICMP header'); return; }
      d.icmpType = b[off];
      d.icmpCode = b[off + 1];
      d.payload = off + 8 <= end ? off + 8 : -1;
      d.l4PayloadLen = segLen > 8 ? segLen - 8 : 0;
      d.csumL4 = noVerify ? CSUM_UNVERIFIED : pendL4(d, off, segLen, 0);
      return;
    }
    case 58: {
      d.transport_header = off;
      push(d, L_ICMPV6);
      if (avail < 4) { flag(d, DF_TRUNCATED, 'truncated ICMPv6 header'); return; }
      d.icmpType = b[off];
      d.icmpCode = b[off + 1];
      d.payload = off + 8 <= end ? off + 8 : -1;
      d.l4PayloadLen = segLen > 8 ? segLen - 8 : 0;
      d.csumL4 = noVerify || d.ipVersion !== 6 ? CSUM_UNVERIFIED : pendL4(d, off, segLen, 58);
      return;
    }
    case 2: push(d, L_IGMP); d.transport_header = off; return;
    case 4: push(d, L_IPIP); d.transport_header = off; return;
    case 41: push(d, L_IPV6); d.transport_header = off; return;
    case 47: push(d, L_GRE); d.transport_header = off; return;
    case 50: push(d, L_ESP); d.transport_header = off; return;
    case 51: push(d, L_AH); d.transport_header = off; return;
    case 89: push(d, L_OSPF); d.transport_header = off; return;
    case 103: push(d, L_PIM); d.transport_header = off; return;
    case 112: push(d, L_VRRP); d.transport_header = off; return;
    case 132: push(d, L_SCTP); d.transport_header = off; return;
  }
  if (off < end) d.transport_header = off;
}

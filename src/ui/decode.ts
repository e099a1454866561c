// Decoded headers for the detail view: a small bounds-checked walk over the first bytes of a
// frame (the UI keeps at most 128 per frame, up to the end of the transport header: headerEnd).
// Never throws: a truncated or odd header becomes a line that says so. Layouts: IEEE 802.3, RFC 791, RFC 8200, RFC 9293, RFC 768, RFC 792/4443, RFC 826.

const hex2 = (b: number): string => b.toString(16).padStart(2, '0');
const mac = (d: Uint8Array, o: number): string => Array.from(d.subarray(o, o + 6), hex2).join(':');
const u16 = (d: Uint8Array, o: number): number => (d[o] << 8) | d[o + 1];
const u32 = (d: Uint8Array, o: number): number => ((d[o] << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]) >>> 0;
const ip4 = (d: Uint8Array, o: number): string => `${d[o]}.${d[o + 1]}.${d[o + 2]}.${d[o + 3]}`;

/** RFC 5952 text form of an IPv6 address */
export function ip6(d: Uint8Array, o: number): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(u16(d, o + 2 * i));
  let bs = -1;
  let bl = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bl && j - i > 1) {
      bs = i;
      bl = j - i;
    }
    i = j;
  }
  const h = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  return bs < 0 ? h(w) : `${h(w.slice(0, bs))}::${h(w.slice(bs + bl))}`;
}

const ETH_P: Record<number, string> = { 0x0800: 'IPv4', 0x86dd: 'IPv6', 0x0806: 'ARP', 0x8100: '802.1Q', 0x88a8: '802.1ad' };
const IPPROTO: Record<number, string> = { 1: 'ICMP', 2: 'IGMP', 6: 'TCP', 17: 'UDP', 47: 'GRE', 50: 'ESP', 58: 'ICMPv6', 132: 'SCTP' };
const TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];

export function decodeHeaders(d: Uint8Array, linktype: number, caplen?: number): string[] {
  const out: string[] = [];
  const short = (what: string, need: number, at: number): boolean => {
    if (at + need <= d.length) return false;
    out.push(`${what}: truncated (${d.length - at} of ${need} bytes kept)`);
    return true;
  };
  if (d.length === 0) return ['(no bytes from the replay source)'];
  let off = 0;
  let ethertype: number;
  switch (linktype) {
    case 1: {
      if (short('Ethernet', 14, 0)) return out;
      ethertype = u16(d, 12);
      out.push(`Ethernet  ${mac(d, 6)} > ${mac(d, 0)}  type 0x${ethertype.toString(16).padStart(4, '0')} ${ETH_P[ethertype] ?? ''}`.trimEnd());
      off = 14;
      while ((ethertype === 0x8100 || ethertype === 0x88a8) && !short('VLAN tag', 4, off)) {
        const tci = u16(d, off);
        ethertype = u16(d, off + 2);
        out.push(`VLAN      id ${tci & 0xfff}  prio ${tci >> 13}  type 0x${ethertype.toString(16).padStart(4, '0')}`);
        off += 4;
      }
      break;
    }
    case 113: {
      if (short('Linux cooked (SLL)', 16, 0)) return out;
      ethertype = u16(d, 14);
      out.push(`SLL       pkttype ${u16(d, 0)}  type 0x${ethertype.toString(16).padStart(4, '0')}`);
      off = 16;
      break;
    }
    case 276: {
      if (short('Linux cooked (SLL2)', 20, 0)) return out;
      ethertype = u16(d, 0);
      out.push(`SLL2      ifindex ${u32(d, 4)}  pkttype ${d[10]}  type 0x${ethertype.toString(16).padStart(4, '0')}`);
      off = 20;
      break;
    }
    case 12:
    case 101:
      ethertype = d[0] >> 4 === 6 ? 0x86dd : 0x0800;
      break;
    case 228:
      ethertype = 0x0800;
      break;
    case 229:
      ethertype = 0x86dd;
      break;
    default:
      return [`link type ${linktype}: header decoding not supported`];
  }
  let proto = -1;
  if (ethertype === 0x0800) {
    if (short('IPv4', 20, off)) return out;
    const ihl = (d[off] & 0xf) * 4;
    const frag = u16(d, off + 6);
    const flags = [frag & 0x4000 ? 'DF' : '', frag & 0x2000 ? 'MF' : ''].filter(Boolean).join(',');
    out.push(
      `IPv4      ${ip4(d, off + 12)} > ${ip4(d, off + 16)}  ttl ${d[off + 8]}  proto ${d[off + 9]} ${IPPROTO[d[off + 9]] ?? ''}`.trimEnd() +
        `  len ${u16(d, off + 2)}  id ${u16(d, off + 4)}${flags ? `  flags ${flags}` : ''}${frag & 0x1fff ? `  frag off ${(frag & 0x1fff) * 8}` : ''}` +
        `  tos 0x${hex2(d[off + 1])}  csum 0x${u16(d, off + 10).toString(16).padStart(4, '0')}${ihl !== 20 ? `  ihl ${ihl}` : ''}`,
    );
    proto = frag & 0x1fff ? -1 : d[off + 9];
    off += Math.max(ihl, 20);
  } else if (ethertype === 0x86dd) {
    if (short('IPv6', 40, off)) return out;
    const vtf = u32(d, off);
    out.push(
      `IPv6      ${ip6(d, off + 8)} > ${ip6(d, off + 24)}  hlim ${d[off + 7]}  next ${d[off + 6]} ${IPPROTO[d[off + 6]] ?? ''}`.trimEnd() +
        `  plen ${u16(d, off + 4)}  tclass 0x${hex2((vtf >>> 20) & 0xff)}  flow 0x${(vtf & 0xfffff).toString(16)}`,
    );
    proto = d[off + 6];
    off += 40;
  } else if (ethertype === 0x0806) {
    if (short('ARP', 28, off)) return out;
    const op = u16(d, off + 6);
    out.push(
      `ARP       ${op === 1 ? 'request' : op === 2 ? 'reply' : `op ${op}`}  sender ${mac(d, off + 8)} ${ip4(d, off + 14)}  target ${mac(d, off + 18)} ${ip4(d, off + 24)}`,
    );
    return out;
  } else {
    return out;
  }
  if (proto === 6) {
    if (short('TCP', 20, off)) return out;
    const fl = d[off + 13];
    const names = TCP_FLAGS.filter((_, b) => fl & (1 << b)).join(',');
    out.push(
      `TCP       ${u16(d, off)} > ${u16(d, off + 2)}  [${names}]  seq ${u32(d, off + 4)}  ack ${u32(d, off + 8)}  win ${u16(d, off + 14)}` +
        `  doff ${(d[off + 12] >> 4) * 4}  csum 0x${u16(d, off + 16).toString(16).padStart(4, '0')}`,
    );
  } else if (proto === 17) {
    if (short('UDP', 8, off)) return out;
    out.push(`UDP       ${u16(d, off)} > ${u16(d, off + 2)}  len ${u16(d, off + 4)}  csum 0x${u16(d, off + 6).toString(16).padStart(4, '0')}`);
  } else if (proto === 1 || proto === 58) {
    if (short(proto === 1 ? 'ICMP' : 'ICMPv6', 4, off)) return out;
    out.push(`${proto === 1 ? 'ICMP   ' : 'ICMPv6 '}   type ${d[off]}  code ${d[off + 1]}  csum 0x${u16(d, off + 2).toString(16).padStart(4, '0')}`);
  }
  if (caplen !== undefined && caplen > d.length) out.push(`(${caplen - d.length} more bytes not kept by the UI)`);
  return out;
}

/** network-layer and transport protocol of a frame from its first bytes, for the filter */
export interface Protos {
  /** 'ip' | 'ip6' | 'arp' | '' */
  l3: string;
  /** IP protocol number after IPv6 extension headers (-1 when none or unknown) */
  l4: number;
}

const IPV6_EXT = new Set([0, 43, 60]);

export function protocolsOf(d: Uint8Array, linktype: number): Protos {
  let off = 0;
  let et = 0;
  if (linktype === 1) {
    if (d.length < 14) return { l3: '', l4: -1 };
    et = u16(d, 12);
    off = 14;
    while ((et === 0x8100 || et === 0x88a8) && off + 4 <= d.length) {
      et = u16(d, off + 2);
      off += 4;
    }
  } else if (linktype === 113) {
    if (d.length < 16) return { l3: '', l4: -1 };
    et = u16(d, 14);
    off = 16;
  } else if (linktype === 276) {
    if (d.length < 20) return { l3: '', l4: -1 };
    et = u16(d, 0);
    off = 20;
  } else if (linktype === 12 || linktype === 101 || linktype === 228 || linktype === 229) {
    if (!d.length) return { l3: '', l4: -1 };
    et = linktype === 228 ? 0x0800 : linktype === 229 ? 0x86dd : d[0] >> 4 === 6 ? 0x86dd : 0x0800;
  } else return { l3: '', l4: -1 };
  if (et === 0x0806) return { l3: 'arp', l4: -1 };
  if (et === 0x0800) return { l3: 'ip', l4: off + 10 <= d.length ? d[off + 9] : -1 };
  if (et === 0x86dd) {
    if (off + 40 > d.length) return { l3: 'ip6', l4: -1 };
    let nh = d[off + 6];
    off += 40;
    while (IPV6_EXT.has(nh) || nh === 44) {
      if (off + 8 > d.length) return { l3: 'ip6', l4: -1 };
      const len = nh === 44 ? 8 : (d[off + 1] + 1) * 8;
      nh = d[off];
      off += len;
    }
    return { l3: 'ip6', l4: nh };
  }
  return { l3: '', l4: -1 };
}

/** network addresses of a frame: IPv4/IPv6 source and destination, ARP sender and target */
export function addressesOf(d: Uint8Array, linktype: number): string[] {
  const pr = protocolsOf(d, linktype);
  if (!pr.l3) return [];
  // the network header ends where protocolsOf found it; recompute its start
  let off = linktype === 1 ? 14 : linktype === 113 ? 16 : linktype === 276 ? 20 : 0;
  if (linktype === 1) while ((u16(d, off - 2) === 0x8100 || u16(d, off - 2) === 0x88a8) && off + 4 <= d.length) off += 4;
  if (pr.l3 === 'ip') return off + 20 <= d.length ? [ip4(d, off + 12), ip4(d, off + 16)] : [];
  if (pr.l3 === 'ip6') return off + 40 <= d.length ? [ip6(d, off + 8), ip6(d, off + 24)] : [];
  return off + 28 <= d.length && u16(d, off + 2) === 0x0800 ? [ip4(d, off + 14), ip4(d, off + 24)] : [];
}

/**
 * How many of a frame's first bytes the decoders above read: up to the end of the TCP/UDP header
 * for Ethernet frames carrying IPv4 (not a fragment) or IPv6 without extension headers, up to the
 * end of an ARP packet; all of `d` for anything else. The store keeps only these (the payload
 * bytes were a third of the UI's memory on a 1 M-frame capture of full-size segments).
 */
export function headerEnd(d: Uint8Array, linktype: number): number {
  if (linktype !== 1 || d.length < 14) return d.length;
  let off = 14;
  let et = u16(d, 12);
  while ((et === 0x8100 || et === 0x88a8) && off + 4 <= d.length) {
    et = u16(d, off + 2);
    off += 4;
  }
  let proto: number;
  if (et === 0x0806) return Math.min(d.length, off + 28);
  if (et === 0x0800) {
    if (off + 20 > d.length) return d.length;
    const ihl = (d[off] & 15) * 4;
    if (u16(d, off + 6) & 0x1fff || ihl < 20) return d.length;
    proto = d[off + 9];
    off += ihl;
  } else if (et === 0x86dd) {
    if (off + 40 > d.length) return d.length;
    proto = d[off + 6];
    off += 40;
  } else return d.length;
  if (proto === 17) return Math.min(d.length, off + 8);
  if (proto === 6 && off + 13 <= d.length) return Math.min(d.length, off + Math.max(20, (d[off + 12] >> 4) * 4));
  return d.length;
}

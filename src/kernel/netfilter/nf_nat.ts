// NAT (net/netfilter/nf_nat_core.c, nf_nat_proto.c): the nat chains are consulted for the first
// packet of a connection only (nf_nat_inet_fn with !nf_nat_initialized); the binding lives in the
// conntrack entry, the reply tuple is changed so answers find it, and every packet of the
// connection is rewritten from it (nf_nat_packet), checksums updated incrementally.

import { formatIPv4, formatIPv6, type Expr } from './ir.js';
import type { Pkt } from './pkt.js';
import type { NetDevice } from '../../host/types.js';
import { IPS_DST_NAT, IPS_SRC_NAT, type NfConn } from './nf_conntrack.js';
import { NFPROTO_IPV4, NFPROTO_IPV6 } from './hook.js';
import { csumFold, csumPartial, inetProtoCsumReplace2, inetProtoCsumReplace4, inetProtoCsumReplace16 } from '../../packet/checksum.js';
import { CHECKSUM_PARTIAL } from '../skbuff.js';

export type NatStmt = Extract<Expr, { k: 'nat' }>;

/** NF_NAT_MANIP_SRC = 0, NF_NAT_MANIP_DST = 1 */
/**
 * inet_select_addr(dev, dst, RT_SCOPE_UNIVERSE) as nf_nat_masquerade_ipv4 calls it: the first
 * primary global address of `out` in dst's subnet, else its first primary global address; when
 * `out` has none, the first primary global address of any device in ifindex order (the
 * for_each_netdev walk over dev_base, taken here as ifindex order; no VRFs), e.g. a routed pod veth without an address of its own takes the
 * node's. route_localnet lets a host-scope loopback address count (localnet_scope = RT_SCOPE_LINK
 * is still above UNIVERSE): never for masquerade. 0 = none ("ate my IP address", NF_DROP).
 */
export function inetSelectAddrUniverse(out: NetDevice, dst: number, devices: readonly NetDevice[]): number {
  let first = 0;
  for (const a of out.addrs) {
    if (a.family !== 4 || a.secondary || a.scope !== 'global') continue;
    const m = a.prefixlen === 0 ? 0 : (0xffffffff << (32 - a.prefixlen)) >>> 0;
    if (((((a.local as number) ^ dst) & m) >>> 0) === 0) return a.local as number;
    if (!first) first = a.local as number;
  }
  if (first) return first;
  const byIndex = [...devices].sort((x, y) => x.ifindex - y.ifindex);
  for (const d of byIndex) for (const a of d.addrs) if (a.family === 4 && !a.secondary && a.scope === 'global') return a.local as number;
  return 0;
}

export function setupInfo(ct: NfConn, req: NatStmt, p: Pkt, manip: 0 | 1, devices: readonly NetDevice[] = []): string {
  const t0 = ct.tuple[0];
  let addr: number | string | undefined = req.addrLo;
  if (req.type === 'masquerade' && t0.l3 === 2) {
    // nf_nat_masquerade_ipv4: newsrc = inet_select_addr(out, rt_nexthop(rt, daddr), RT_SCOPE_UNIVERSE)
    const rt = p.skb?.dst as { gw?: number } | null;
    const nh = rt?.gw || (t0.dst as number);
    const a = p.out ? inetSelectAddrUniverse(p.out, nh, devices) : 0;
    if (!a) return 'masquerade: no address on the out device';
    addr = a;
  } else if (req.type === 'masquerade') {
    // nf_nat_masquerade_ipv6: nat_ipv6_dev_get_saddr on the out device
    const a = p.out?.addrs.find((x) => x.family === 6 && x.scope === 'global') ?? p.out?.addrs.find((x) => x.family === 6);
    if (!a) return 'masquerade: no address on the out device';
    addr = String.fromCharCode(...(a.local as Uint8Array));
  } else if (req.type === 'redirect') {
    // nf_nat_redirect_ipv4: the in device's primary address, loopback for locally generated
    if (!p.in) addr = t0.l3 === 2 ? 0x7f000001 : '\0'.repeat(15) + '\x01';
    else {
      const a = p.in.addrs.find((x) => x.family === (t0.l3 === 2 ? 4 : 6));
      if (!a) return 'redirect: no address on the in device (packet dropped)';
      addr = t0.l3 === 2 ? (a.local as number) : String.fromCharCode(...(a.local as Uint8Array));
    }
  }
  const hasPorts = t0.proto === 6 || t0.proto === 17;
  const cur = manip === 0 ? { addr: t0.src, port: t0.sport } : { addr: t0.dst, port: t0.dport };
  let port = cur.port;
  const why = (s: string) => (ct.natNotes ??= []).push(`nat: ${s}`);
  if (hasPorts && req.portLo !== undefined) {
    // nf_nat_l4proto_unique_tuple keeps the port when it is in range, else picks one by a hash
    // the model does not reproduce: the first of the range, and the frame says so
    if (port < req.portLo || port > req.portHi!) {
      port = req.portLo;
      if (req.portHi! > req.portLo) why(`port chosen from ${req.portLo}-${req.portHi} by the kernel's hash; the model took ${port}`);
    }
  }
  if (req.addrLo !== undefined && req.addrHi !== undefined && req.addrLo !== req.addrHi) {
    why(`address chosen from a range by the kernel's hash (find_best_ips_proto); the model took the first`);
  }
  if (addr === undefined) addr = cur.addr;
  // nf_nat_range with an address range: the kernel hashes over it; the model takes the first
  const binding = { addr, port };
  ct.nat ??= {};
  if (manip === 0) {
    ct.nat.src = binding;
    ct.status |= IPS_SRC_NAT;
    ct.tuple[1] = { ...ct.tuple[1], dst: addr, dport: hasPorts ? port : ct.tuple[1].dport };
  } else {
    ct.nat.dst = binding;
    ct.status |= IPS_DST_NAT;
    ct.tuple[1] = { ...ct.tuple[1], src: addr, sport: hasPorts ? port : ct.tuple[1].sport };
  }
  return `${req.type} to ${showAddr(addr)}${hasPorts ? `:${port}` : ''}`;
}

/**
 * nf_nat_packet / nf_nat_manip_pkt: a packet gets the manip of this hook (0 SRC at postrouting and
 * input, 1 DST at prerouting and output) when the connection has that kind of NAT in its direction
 * (reply packets undo the other kind); its tuple becomes the inverse of the other direction's tuple.
 */
export function natPacket(p: Pkt, ct: NfConn, dir: number, manip: 0 | 1): Record<string, [string | number, string | number]> | null {
  let statusbit = manip === 0 ? IPS_SRC_NAT : IPS_DST_NAT;
  if (dir === 1) statusbit ^= IPS_SRC_NAT | IPS_DST_NAT;
  if (!(ct.status & statusbit)) return null;
  const other = ct.tuple[1 - dir]!;
  // the target tuple is invert(other): its source is other's destination and vice versa
  const rewriteSrc = manip === 0;
  const addr = rewriteSrc ? other.dst : other.src;
  const port = rewriteSrc ? other.dport : other.sport;
  if (p.nfproto === NFPROTO_IPV6 && typeof addr === 'string') return natPacket6(p, rewriteSrc, addr, port);
  if (p.nfproto !== NFPROTO_IPV4 || typeof addr !== 'number') return null;
  p.skb.skb_ensure_writable();
  const d = (p.d = p.skb.data);
  const nh = p.nh, th = p.th;
  const ao = nh + (rewriteSrc ? 12 : 16);
  const oldA = ((d[ao]! << 24) | (d[ao + 1]! << 16) | (d[ao + 2]! << 8) | d[ao + 3]!) >>> 0;
  const diff: Record<string, [string | number, string | number]> = {};
  const hasPorts = (p.l4proto === 6 || p.l4proto === 17) && th >= 0 && p.fragoff === 0;
  const l4c = !hasPorts ? -1 : p.l4proto === 6 ? th + 16 : th + 6;
  // a segment sent with its checksum left to the NIC (CHECKSUM_PARTIAL, e.g. from a veth peer) holds
  // the pseudo-header sum: inet_proto_csum_replace* update it uncomplemented, and not for ports
  const partial = p.skb.ip_summed === CHECKSUM_PARTIAL;
  // udp_manip_pkt: a zero UDP checksum (none sent) is left alone unless CHECKSUM_PARTIAL
  const udpNoCsum = p.l4proto === 17 && l4c >= 0 && d[l4c] === 0 && d[l4c + 1] === 0 && !partial;
  if (oldA !== addr) {
    put32(d, ao, addr);
    csumReplace4(d, nh + 10, oldA, addr);
    // the pseudo-header holds the address: inet_proto_csum_replace4
    if (l4c >= 0 && l4c + 2 <= p.end && !udpNoCsum) inetProtoCsumReplace4(d, l4c, oldA, addr, true, partial);
    diff[rewriteSrc ? 'ip.saddr' : 'ip.daddr'] = [showAddr(oldA), showAddr(addr)];
  }
  if (hasPorts) natPort(d, th, rewriteSrc, port, udpNoCsum ? -1 : l4c, diff, partial);
  return Object.keys(diff).length ? diff : null;
}

/** the port half of l4proto->manip_pkt (tcp/udp_manip_pkt): the source or destination port,
 *  and the L4 checksum at `l4c` when there is one (-1: none, e.g. UDP sent without) */
function natPort(d: Uint8Array, th: number, rewriteSrc: boolean, port: number, l4c: number, diff: Record<string, [string | number, string | number]>, partial: boolean): void {
  const po = th + (rewriteSrc ? 0 : 2);
  const oldP = (d[po]! << 8) | d[po + 1]!;
  if (oldP === port) return;
  d[po] = port >> 8;
  d[po + 1] = port & 255;
  if (l4c >= 0) inetProtoCsumReplace2(d, l4c, oldP, port, false, partial);
  diff[rewriteSrc ? 'sport' : 'dport'] = [oldP, port];
}

/** nf_nat_ipv6_manip_pkt: no header checksum; the L4 checksum covers the pseudo-header addresses */
function natPacket6(p: Pkt, rewriteSrc: boolean, addr: string, port: number): Record<string, [string | number, string | number]> | null {
  p.skb.skb_ensure_writable();
  const d = (p.d = p.skb.data);
  const ao = p.nh + (rewriteSrc ? 8 : 24);
  const th = p.th;
  const hasPorts = (p.l4proto === 6 || p.l4proto === 17) && th >= 0 && p.fragoff === 0;
  const l4c = th < 0 || p.fragoff ? -1 : p.l4proto === 6 ? th + 16 : p.l4proto === 17 ? th + 6 : p.l4proto === 58 ? th + 2 : -1;
  const diff: Record<string, [string | number, string | number]> = {};
  const partial = p.skb.ip_summed === CHECKSUM_PARTIAL;
  const to = new Uint8Array(16);
  for (let i = 0; i < 16; i++) to[i] = addr.charCodeAt(i);
  let same = true;
  for (let i = 0; i < 16; i++) if (d[ao + i] !== to[i]) same = false;
  if (!same) {
    const from = d.slice(ao, ao + 16);
    if (l4c >= 0 && l4c + 2 <= p.end) inetProtoCsumReplace16(d, l4c, from, 0, to, 0, partial);
    d.set(to, ao);
    diff[rewriteSrc ? 'ip6.saddr' : 'ip6.daddr'] = [showAddr(String.fromCharCode(...from)), showAddr(addr)];
  }
  if (hasPorts) natPort(d, th, rewriteSrc, port, l4c, diff, partial);
  return Object.keys(diff).length ? diff : null;
}

function put32(d: Uint8Array, o: number, v: number): void {
  d[o] = v >>> 24;
  d[o + 1] = (v >>> 16) & 255;
  d[o + 2] = (v >>> 8) & 255;
  d[o + 3] = v & 255;
}

/** RFC 1624 incremental update: HC' = ~(~HC + ~m + m') */
function csumReplace2(d: Uint8Array, o: number, from: number, to: number): void {
  let s = (~((d[o]! << 8) | d[o + 1]!) & 0xffff) + (~from & 0xffff) + (to & 0xffff);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  const c = ~s & 0xffff;
  d[o] = c >> 8;
  d[o + 1] = c & 255;
}
function csumReplace4(d: Uint8Array, o: number, from: number, to: number): void {
  csumReplace2(d, o, from >>> 16, to >>> 16);
  csumReplace2(d, o, from & 0xffff, to & 0xffff);
}

function showAddr(a: number | string): string {
  return typeof a === 'number' ? formatIPv4(a) : formatIPv6(a);
}

/**
 * nf_nat_icmp_reply_translation (IPv4): an ICMP error about a NATed connection gets the packet it
 * quotes translated back with the opposite manip (tuple of the other direction), its checksum
 * recomputed (unless CHECKSUM_PARTIAL), then the outer header manipped like a reply. Returns the
 * diff, null when this hook has nothing to do, or a reason when the quoted packet is beyond the
 * model (not TCP/UDP, or cut short).
 */
export function natIcmpReply4(p: Pkt, ct: NfConn, dir: number, manip: 0 | 1): Record<string, [string | number, string | number]> | null | string {
  let statusbit = manip === 0 ? IPS_SRC_NAT : IPS_DST_NAT;
  if (dir === 1) statusbit ^= IPS_SRC_NAT | IPS_DST_NAT;
  if (!(ct.status & statusbit)) return null;
  const other = ct.tuple[1 - dir]!;
  if (typeof other.src !== 'number' || typeof other.dst !== 'number') return 'the connection is not IPv4';
  p.skb.skb_ensure_writable();
  const d = (p.d = p.skb.data);
  const th = p.th;
  const inh = th + 8;
  if (inh + 20 > p.end) return 'quoted header cut short';
  const ihl = (d[inh]! & 15) * 4;
  const iproto = d[inh + 9]!;
  const il4 = inh + ihl;
  if ((iproto !== 6 && iproto !== 17) || il4 + 8 > p.end) return `quoted protocol ${iproto}`;
  const partial = p.skb.ip_summed === CHECKSUM_PARTIAL;
  const diff: Record<string, [string | number, string | number]> = {};
  // the quoted packet: nf_nat_ipv4_manip_pkt(skb, inner, tuple[!dir], !manip)
  const inSrc = manip === 1; // !manip == SRC
  const ao = inh + (inSrc ? 12 : 16);
  const newA = inSrc ? other.src : other.dst;
  const newP = inSrc ? other.sport : other.dport;
  const oldA = ((d[ao]! << 24) | (d[ao + 1]! << 16) | (d[ao + 2]! << 8) | d[ao + 3]!) >>> 0;
  // tcp_manip_pkt updates the checksum only when the whole TCP header is there (8 bytes are quoted
  // at least); udp_manip_pkt when there is one or it is left to the NIC
  const l4c = iproto === 6 ? (il4 + 20 <= p.end ? il4 + 16 : -1) : (d[il4 + 6] || d[il4 + 7] || partial ? il4 + 6 : -1);
  const po = il4 + (inSrc ? 0 : 2);
  const oldP = (d[po]! << 8) | d[po + 1]!;
  if (oldP !== newP) {
    d[po] = newP >> 8;
    d[po + 1] = newP & 255;
    if (l4c >= 0) inetProtoCsumReplace2(d, l4c, oldP, newP, false, partial);
    diff[inSrc ? 'inner.sport' : 'inner.dport'] = [oldP, newP];
  }
  if (oldA !== newA) {
    if (l4c >= 0) inetProtoCsumReplace4(d, l4c, oldA, newA, true, partial);
    if (iproto === 17 && l4c >= 0 && d[l4c] === 0 && d[l4c + 1] === 0) d[l4c] = d[l4c + 1] = 0xff; // CSUM_MANGLED_0
    put32(d, ao, newA);
    csumReplace4(d, inh + 10, oldA, newA);
    diff[inSrc ? 'inner.saddr' : 'inner.daddr'] = [showAddr(oldA), showAddr(newA)];
  }
  if (!partial) {
    d[th + 2] = d[th + 3] = 0;
    const c = csumFold(csumPartial(d, th, p.end - th, 0));
    d[th + 2] = c >> 8;
    d[th + 3] = c & 255;
  }
  // the outer header looks like the reply to an incoming packet: target = invert(tuple[!dir])
  const oo = p.nh + (manip === 0 ? 12 : 16);
  const outA = manip === 0 ? other.dst : other.src;
  const oldO = ((d[oo]! << 24) | (d[oo + 1]! << 16) | (d[oo + 2]! << 8) | d[oo + 3]!) >>> 0;
  if (oldO !== outA) {
    put32(d, oo, outA);
    csumReplace4(d, p.nh + 10, oldO, outA);
    diff[manip === 0 ? 'ip.saddr' : 'ip.daddr'] = [showAddr(oldO), showAddr(outA)];
  }
  return Object.keys(diff).length ? diff : null;
}

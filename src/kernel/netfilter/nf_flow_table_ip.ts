// The flowtable's software fast path: net/netfilter/nf_flow_table_ip.c nf_flow_offload_ip_hook /
// nf_flow_offload_ipv6_hook, dispatched by nf_flow_table_inet.c nf_flow_offload_inet_hook. They run
// at the netdev ingress hook of the flowtable's devices (with its priority): a packet of an
// offloaded flow gets its NAT (nf_flow_nat_ip), its TTL decremented and leaves by neigh_xmit on the
// cached route, NF_STOLEN, before ip_rcv: no prerouting, routing, forward or postrouting. Anything
// the fast path does not handle (fragments, IPv4 options, TTL <= 1, over the MTU, not TCP/UDP, no
// flow) is NF_ACCEPT and takes the normal path.

import type { TimelineEvent } from '../fate.js';
import { csumReplace2 } from '../../packet/checksum.js';
import { NFPROTO_IPV4, NFPROTO_IPV6 } from './hook.js';
import type { Pkt } from './pkt.js';
import { natPacket } from './nf_nat.js';
import { flowKey, NF_FLOW_CLOSING, NF_FLOW_DNAT, NF_FLOW_SNAT, type FlowOffload, type NfFlowtable, type NfFlowtables } from './nf_flow_table.js';
import { showTuple } from './nf_conntrack.js';

export type FlowHookVerdict = 'accept' | 'stolen' | 'drop';

/** neigh_xmit of the fast path: the packet (TTL already decremented) to `nexthop` out of the device */
export type FlowXmit = (p: Pkt, flow: FlowOffload, dir: 0 | 1) => void;

/**
 * nf_flow_offload_inet_hook: by skb->protocol to the IPv4 or IPv6 hook; the flowtable's family
 * limits it (an ip flowtable registers nf_flow_offload_ip_hook only).
 */
export function nf_flow_offload_inet_hook(fts: NfFlowtables, ft: NfFlowtable, p: Pkt, events: TimelineEvent[] | null, xmit: FlowXmit): FlowHookVerdict {
  fts.gc(p.now, events);
  if (ft.flows.size === 0) return 'accept';
  const fam = ft.table.family;
  const skb = p.skb;
  // a tag left on the frame would be part of the tuple (nf_flow_tuple_encap): no plain flow matches it
  if (skb.vlan_present) return 'accept';
  if (skb.protocol === 0x0800 && fam !== 'ip6') return nf_flow_offload_ip_hook(fts, ft, p, events, xmit, false);
  if (skb.protocol === 0x86dd && fam !== 'ip') return nf_flow_offload_ip_hook(fts, ft, p, events, xmit, true);
  return 'accept';
}

/** nf_flow_offload_ip_hook (v6: nf_flow_offload_ipv6_hook): lookup, checks, forward */
function nf_flow_offload_ip_hook(fts: NfFlowtables, ft: NfFlowtable, p: Pkt, events: TimelineEvent[] | null, xmit: FlowXmit, v6: boolean): FlowHookVerdict {
  const fn = v6 ? 'nf_flow_offload_ipv6_hook' : 'nf_flow_offload_ip_hook';
  const d = p.d, nh = p.nh;
  if (!p.in || nh < 0) return 'accept';
  // nf_flow_tuple_ip / nf_flow_tuple_ipv6
  let thoff: number, proto: number, src: number | string, dst: number | string;
  if (!v6) {
    if (p.nfproto !== NFPROTO_IPV4 || nh + 20 > p.end) return 'accept';
    const ihl = (d[nh]! & 15) * 4;
    // ip_is_fragment, ip_has_options
    if ((((d[nh + 6]! << 8) | d[nh + 7]!) & 0x3fff) !== 0 || ihl !== 20) return 'accept';
    proto = d[nh + 9]!;
    if (proto !== 6 && proto !== 17) return 'accept';
    if (d[nh + 8]! <= 1) return 'accept';
    thoff = nh + 20;
    src = u32(d, nh + 12);
    dst = u32(d, nh + 16);
  } else {
    if (p.nfproto !== NFPROTO_IPV6 || nh + 40 > p.end) return 'accept';
    // only a TCP/UDP header right after the fixed header (extension headers: slow path)
    proto = d[nh + 6]!;
    if (proto !== 6 && proto !== 17) return 'accept';
    if (d[nh + 7]! <= 1) return 'accept';
    thoff = nh + 40;
    src = bin16(d, nh + 8);
    dst = bin16(d, nh + 24);
  }
  if (thoff + (proto === 6 ? 20 : 8) > p.end) return 'accept';
  const key = flowKey(proto, src, dst, (d[thoff]! << 8) | d[thoff + 1]!, (d[thoff + 2]! << 8) | d[thoff + 3]!, p.in.ifindex);
  const h = fts.lookup(ft, key);
  if (h === undefined) return 'accept';
  const { flow, dir } = h;
  const tuple = flow.tuple[dir];
  const where = `${ft.label} ${dir ? 'reply' : 'original'} ${showTuple(flow.ct.tuple[0])}`;
  // nf_flow_exceeds_mtu: skb->len from the network header (a GRO packet is segmented later)
  const len = p.skb.tail - nh;
  if (len > tuple.out.mtu && p.skb.gso_segs <= 1) {
    if (events) events.push({ fn, what: `${where}: ${len} bytes over the flow's mtu ${tuple.out.mtu}: NF_ACCEPT, slow path` });
    return 'accept';
  }
  if (proto === 6) {
    // nf_flow_state_check (6.14+): a SYN after a FIN/RST tears the flow down (slow path, conntrack
    // reopens); a FIN or RST marks it closing and is still forwarded here
    const flags = d[thoff + 13]!;
    if (flags & 2 && flow.flags & NF_FLOW_CLOSING) {
      const what = fts.teardown(flow, p.now, false);
      if (events) events.push({ fn: 'flow_offload_teardown', what: `${where}: SYN after FIN/RST: flow torn down, NF_ACCEPT (slow path); ${what}` });
      return 'accept';
    }
    if (flags & 5 && !(flow.flags & NF_FLOW_CLOSING)) {
      flow.flags |= NF_FLOW_CLOSING;
      if (events) events.push({ fn: 'nf_flow_state_check', what: `${where}: TCP ${flags & 4 ? 'RST' : 'FIN'}: flow closing (NF_FLOW_CLOSING), still forwarded here` });
    }
  }
  // skb_try_make_writable, flow_offload_refresh
  p.skb.skb_ensure_writable(thoff + (proto === 6 ? 20 : 8));
  p.d = p.skb.data;
  fts.refresh(flow, p.now);
  if (events) events.push({ fn, what: `${where}: flow found, in ${p.in.name}` });
  // nf_flow_nat_ip / nf_flow_nat_ipv6: SNAT then DNAT of this direction (incremental checksums)
  if (flow.flags & (NF_FLOW_SNAT | NF_FLOW_DNAT)) {
    const ct = flow.ct;
    if (flow.flags & NF_FLOW_SNAT) {
      const diff = natPacket(p, ct, dir, dir === 0 ? 0 : 1);
      if (diff && events) events.push({ fn: v6 ? 'nf_flow_snat_ipv6' : 'nf_flow_snat_ip', what: `SNAT ${dir ? 'reply' : 'original'}`, diff });
    }
    if (flow.flags & NF_FLOW_DNAT) {
      const diff = natPacket(p, ct, dir, dir === 0 ? 1 : 0);
      if (diff && events) events.push({ fn: v6 ? 'nf_flow_dnat_ipv6' : 'nf_flow_dnat_ip', what: `DNAT ${dir ? 'reply' : 'original'}`, diff });
    }
  }
  const b = p.skb.data;
  if (!v6) {
    // ip_decrease_ttl
    const ttl = b[nh + 8]!;
    const old = (ttl << 8) | b[nh + 9]!;
    b[nh + 8] = ttl - 1;
    csumReplace2(b, nh + 10, old, ((ttl - 1) << 8) | b[nh + 9]!);
    if (events) events.push({ fn: 'ip_decrease_ttl', what: `ttl ${ttl} -> ${ttl - 1}`, diff: { ttl: [ttl, ttl - 1] } });
  } else {
    const hl = b[nh + 7]!;
    b[nh + 7] = hl - 1;
    if (events) events.push({ fn: 'nf_flow_offload_ipv6_hook', what: `hop limit ${hl} -> ${hl - 1}`, diff: { hop_limit: [hl, hl - 1] } });
  }
  xmit(p, flow, dir);
  return 'stolen';
}

function u32(d: Uint8Array, o: number): number {
  return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
}

function bin16(d: Uint8Array, o: number): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += String.fromCharCode(d[o + i]!);
  return s;
}

// IPv4 receive: net/ipv4/ip_input.c ip_rcv / ip_rcv_core (header checks) -> NF PRE_ROUTING ->
// ip_rcv_finish (route lookup, L2 multicast check) -> dst_input: ip_local_deliver (defrag,
// NF LOCAL_IN, ip_protocol_deliver_rcu), ip_forward, or ip_error (net/ipv4/route.c).

import type { FrameCtx } from '../ctx.js';
import { NF_HOOK, type Net } from '../net.js';
import { NFPROTO_IPV4, NF_INET_LOCAL_IN, NF_INET_PRE_ROUTING } from '../netfilter/hook.js';
import { SkBuff, PACKET_OTHERHOST, PACKET_BROADCAST, PACKET_MULTICAST, CHECKSUM_UNNECESSARY } from '../skbuff.js';
import { ipFastCsum } from '../../packet/checksum.js';
import { ipv4ToString } from '../../packet/addr.js';
import { ip_route_input_noref, type Rtable } from './route.js';
import { ip_forward } from './ip_forward.js';
import { icmp_rcv, icmp_send } from './icmp.js';
import { tcp_v4_rcv } from '../transport/tcp_ipv4.js';
import { udp_rcv } from '../transport/udp.js';
import { EACCES, EHOSTUNREACH, ENETUNREACH } from '../route/fib.js';
import { ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, ICMP_NET_UNREACH, ICMP_PKT_FILTERED, ICMP_PROT_UNREACH } from '../../packet/icmp.js';
import { ip_defrag } from './ip_defrag.js';
import { ip_rcv_options } from './ip_options.js';
import { ip_sabotage_in } from '../bridge/br_netfilter_hooks.js';
import { ipv4Saddr, ipv4Daddr } from '../../packet/ipv4.js';

const IPPROTO_ICMP = 1;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/** per-skb IPv4 control block the model keeps beside the skb (IPCB + the route) */
export interface Ip4Cb {
  rt: Rtable;
  saddr: number;
  daddr: number;
  proto: number;
  ihl: number;
  totLen: number;
}

/** ip_rcv: ip_rcv_core, then NF_HOOK(PRE_ROUTING, ip_rcv_finish) */
export function ip_rcv(net: Net, skb: SkBuff, ctx: FrameCtx): void {
  if (!ip_rcv_core(net, skb, ctx)) return;
  const dev = skb.dev!;
  // ipv4_conntrack_defrag (nf_defrag_ipv4, PRE_ROUTING priority -400, before every rule): with
  // conntrack in use the fragments are gathered here (IP_DEFRAG_CONNTRACK_IN); a held fragment
  // is NF_STOLEN (consumed), the completing one goes on as the whole datagram
  if (net.nf.defrag?.(NFPROTO_IPV4) && (((skb.data[skb.network_header + 6] << 8) | skb.data[skb.network_header + 7]) & 0x3fff) !== 0) {
    const whole = ip_defrag(net, skb, ctx, 'conntrack_in');
    if (!whole) return;
    skb = whole;
  }
  // br_netfilter's ip_sabotage_in (PRE_ROUTING, NF_IP_PRI_FIRST) calls okfn itself when the
  // bridge already ran PRE_ROUTING for this frame (br_nf_pre_routing): the hook is not run twice
  if (ip_sabotage_in(skb)) ctx.tracing && ctx.ev('ip_sabotage_in', 'PRE_ROUTING already run by br_netfilter: okfn directly');
  else if (!NF_HOOK(net, NFPROTO_IPV4, NF_INET_PRE_ROUTING, skb, dev, null, ctx)) return;
  ip_rcv_finish(net, skb, ctx);
}

/** ip_rcv_core: the header checks, in the kernel's order, with its drop reasons */
export function ip_rcv_core(net: Net, skb: SkBuff, ctx: FrameCtx): boolean {
  const fn = 'ip_rcv_core';
  if (skb.pkt_type === PACKET_OTHERHOST) {
    ctx.drop(fn, 'OTHERHOST', { dev: skb.dev?.name });
    return false;
  }
  const nh = skb.network_header;
  const b = skb.data;
  if (skb.tail - nh < 20) {
    ctx.drop(fn, 'IP_INHDR', { detail: { why: 'shorter than an IPv4 header' } });
    return false;
  }
  const ihl = b[nh] & 0x0f;
  if (ihl < 5 || b[nh] >>> 4 !== 4) {
    ctx.drop(fn, 'IP_INHDR', { detail: { why: `version ${b[nh] >>> 4}, ihl ${ihl}` } });
    return false;
  }
  if (skb.tail - nh < ihl * 4) {
    ctx.drop(fn, 'IP_INHDR', { detail: { why: 'options beyond the captured data' } });
    return false;
  }
  if (ipFastCsum(b, nh, ihl) !== 0) {
    ctx.drop(fn, 'IP_CSUM');
    return false;
  }
  const totLen = (b[nh + 2] << 8) | b[nh + 3];
  // the wire length counts: a frame cut by the capture's snaplen is still whole on the wire
  const have = skb.wireEnd - nh;
  if (have < totLen) {
    ctx.drop(fn, 'PKT_TOO_SMALL', { detail: { tot_len: totLen, bytes: have } });
    return false;
  }
  if (totLen < ihl * 4) {
    ctx.drop(fn, 'IP_INHDR', { detail: { why: `tot_len ${totLen} < header` } });
    return false;
  }
  // pskb_trim_rcsum: Ethernet padding beyond tot_len is removed
  if (skb.tail > nh + totLen) skb.tail = nh + totLen;
  skb.wireEnd = nh + totLen;
  skb.transport_header = nh + ihl * 4;
  ctx.tracing && ctx.ev('ip_rcv_core', `${ipv4ToString(ipv4Saddr(b, nh))} > ${ipv4ToString(ipv4Daddr(b, nh))} ttl ${b[nh + 8]} proto ${b[nh + 9]} len ${totLen}`);
  return true;
}


/** the ports for policy routing (fib4_rules_early_flow_dissect) as sport << 16 | dport; 0 for
 *  every fragment, the first one too: __skb_flow_dissect stops at any fragment unless
 *  FLOW_DISSECTOR_F_PARSE_1ST_FRAG, which the FIB rules' dissection does not pass */
function ports(b: Uint8Array, nh: number, th: number, len: number, proto: number): number {
  const frag = ((b[nh + 6] << 8) | b[nh + 7]) & 0x3fff;
  if (frag || (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) || th + 4 > len) return 0;
  return ((b[th] << 24) | (b[th + 1] << 16) | (b[th + 2] << 8) | b[th + 3]) >>> 0;
}

/** ip_rcv_finish -> ip_rcv_finish_core (route) -> dst_input */
export function ip_rcv_finish(net: Net, skb: SkBuff, ctx: FrameCtx): void {
  const b = skb.data;
  const nh = skb.network_header;
  const dev = skb.dev!;
  // re-read after PRE_ROUTING: DNAT may have changed the destination
  const saddr = ipv4Saddr(b, nh);
  const daddr = ipv4Daddr(b, nh);
  const proto = b[nh + 9];
  // the ports matter only to policy rules that select on them (ipproto/sport/dport)
  const pp = net.fib4.rulesUseL4 ? ports(b, nh, skb.transport_header, skb.tail, proto) : 0;
  const rt = ip_route_input_noref(net, daddr, saddr, b[nh + 1], dev, skb.mark, proto, pp >>> 16, pp & 0xffff, ctx);
  if (typeof rt === 'string') {
    ctx.drop('ip_rcv_finish_core', rt);
    return;
  }
  skb.dst = rt;
  if ((b[nh] & 0x0f) > 5 && ip_rcv_options(net, skb, ctx)) return;
  if (rt.type !== 'broadcast' && rt.type !== 'multicast' && (skb.pkt_type === PACKET_BROADCAST || skb.pkt_type === PACKET_MULTICAST)) {
    // unicast IP in an L2 broadcast/multicast frame (ip_rcv_finish_core: RTN_MULTICAST and
    // RTN_BROADCAST routes are exempt)
    if (net.conf(4, dev.name, 'drop_unicast_in_l2_multicast')) {
      ctx.drop('ip_rcv_finish_core', 'UNICAST_IN_L2_MULTICAST');
      return;
    }
  }
  switch (rt.input) {
    case 'ip_local_deliver':
      ip_local_deliver(net, skb, ctx);
      return;
    case 'ip_forward':
      ip_forward(net, skb, ctx);
      return;
    case 'ip_error':
      ip_error(net, skb, ctx);
      return;
  }
}

/** ip_error (net/ipv4/route.c): an input route that cannot be used; ICMP unreachable when forwarding */
export function ip_error(net: Net, skb: SkBuff, ctx: FrameCtx): void {
  const rt = skb.dst as Rtable;
  const dev = skb.dev!;
  let reason = 'NOT_SPECIFIED';
  const forwarding = net.conf(4, dev.name, 'forwarding') !== 0;
  if (!forwarding) {
    if (rt.error === EHOSTUNREACH) reason = 'IP_INADDRERRORS';
    else if (rt.error === ENETUNREACH) reason = 'IP_INNOROUTES';
    ctx.drop('ip_error', reason);
    return;
  }
  let code = -1;
  switch (rt.error) {
    case EHOSTUNREACH: code = ICMP_HOST_UNREACH; break;
    case ENETUNREACH: code = ICMP_NET_UNREACH; reason = 'IP_INNOROUTES'; break;
    case EACCES: code = ICMP_PKT_FILTERED; break;
  }
  if (code >= 0) {
    const saddr = ipv4Saddr(skb.data, skb.network_header);
    // inet_peer token bucket: ip_rt_error_cost = HZ, ip_rt_error_burst = 5*HZ
    if (net.peers.allow(ipv4ToString(saddr), net.nowMs(), 1000, 5)) icmp_send(net, skb, ctx, ICMP_DEST_UNREACH, code, 0);
    else ctx.tracing && ctx.ev('ip_error', 'ICMP unreachable rate-limited (ip_rt_error_cost)');
  }
  ctx.drop('ip_error', reason);
}

/** ip_local_deliver: reassemble, NF LOCAL_IN, then the protocol handler */
export function ip_local_deliver(net: Net, skb: SkBuff, ctx: FrameCtx): void {
  const b = skb.data;
  const nh = skb.network_header;
  const fo = (b[nh + 6] << 8) | b[nh + 7];
  if (fo & 0x3fff) {
    const whole = ip_defrag(net, skb, ctx);
    if (!whole) return; // queued (consumed) or dropped
    skb = whole;
  }
  if (!NF_HOOK(net, NFPROTO_IPV4, NF_INET_LOCAL_IN, skb, skb.dev, null, ctx)) return;
  ip_local_deliver_finish(net, skb, ctx);
}

/** ip_local_deliver_finish -> ip_protocol_deliver_rcu */
export function ip_local_deliver_finish(net: Net, skb: SkBuff, ctx: FrameCtx): void {
  const b = skb.data;
  const nh = skb.network_header;
  skb.transport_header = nh + ((b[nh] & 0x0f) << 2);
  const proto = b[nh + 9];
  switch (proto) {
    case IPPROTO_TCP:
      tcp_v4_rcv(net, skb, ctx);
      return;
    case IPPROTO_UDP:
      udp_rcv(net, skb, ctx);
      return;
    case IPPROTO_ICMP:
      icmp_rcv(net, skb, ctx);
      return;
    default: {
      // no inet_protos handler and no raw socket: ICMP protocol unreachable
      if (proto === 2) ctx.unsupported.push('IGMP (igmp_rcv) not modelled');
      icmp_send(net, skb, ctx, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0);
      ctx.drop('ip_protocol_deliver_rcu', 'IP_NOPROTO', { detail: { protocol: proto } });
    }
  }
}

/** checksum may be skipped: trusted by mode, by the NIC, or not verifiable (snaplen cut) */
export function csumTrusted(net: Net, skb: SkBuff): boolean {
  return net.opts.checksums === 'trust' || skb.ip_summed === CHECKSUM_UNNECESSARY || skb.tail < skb.wireEnd;
}

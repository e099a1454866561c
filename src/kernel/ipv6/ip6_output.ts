// IPv6 output: net/ipv6/ip6_output.c ip6_local_out -> NF LOCAL_OUT -> route -> ip6_output ->
// NF POST_ROUTING -> ip6_finish_output2 (neighbour) -> dev_queue_xmit.

import { dev_is_loopback } from '../core/netdevice.js';
import type { NetDevice } from '../../host/types.js';
import type { FrameCtx } from '../ctx.js';
import { NF_HOOK, type Net } from '../net.js';
import { NFPROTO_IPV6, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING } from '../netfilter/hook.js';
import type { SkBuff } from '../skbuff.js';
import { dev_queue_xmit, ReplySkb } from '../core/dev.js';
import { neigh_resolve } from '../neigh/neighbour.js';
import { tcp_outbound } from '../transport/tcp_ipv4.js';
import { newReplySkb, writeEthHeader } from '../ipv4/ip_output.js';
import { fibNoteMultipath, fibNoteUnsupported, newFlow, SCOPE, type FibResult } from '../route/fib.js';
import { ipv6ToString } from '../../packet/addr.js';

/** newReplySkb for IPv6 (ETH_P_IPV6) */
export function newReplySkb6(net: Net, ipLen: number): ReplySkb {
  return newReplySkb(net, ipLen, 0x86dd);
}

/** ip6_route_output: the device and nexthop for a packet the host sends */
export function ip6_route_output(net: Net, daddr: Uint8Array, oif: NetDevice | null, ctx: FrameCtx, uid = -1): { dev: NetDevice; gw: Uint8Array | null } | null {
  const f = newFlow();
  f.uid = uid; // 0 for the kernel's replies (icmpv6/ndisc: sock_net_uid(net, NULL)), -1 unknown
  f.daddr = daddr;
  f.saddr = new Uint8Array(16);
  f.iif = 1;
  f.oif = oif && isLinkLocalOrMc(daddr) ? oif.ifindex : 0;
  const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
  const err = net.fib6.lookup(f, r);
  fibNoteUnsupported(ctx, r);
  if (err !== 0 || !r.nh || !r.nh.dev) {
    // link-local and multicast destinations go out the device they came from
    if (oif && isLinkLocalOrMc(daddr)) return { dev: oif, gw: null };
    ctx.tracing && ctx.ev('ip6_route_output', `no route to ${ipv6ToString(daddr, 0)}`);
    return null;
  }
  // a local destination goes over loopback (ip6_rt_init_dst: RTF_LOCAL routes use the loopback device)
  if (r.alias.type === 'local' && net.loopback) return { dev: net.loopback, gw: null };
  fibNoteMultipath(ctx, r, 'rt6_multipath_select');
  const gw = r.nh.gw !== null && r.nh.scope === SCOPE.link ? (r.nh.gw as Uint8Array) : null;
  return { dev: r.nh.dev, gw };
}

function isLinkLocalOrMc(a: Uint8Array): boolean {
  return a[0] === 0xff || (a[0] === 0xfe && (a[1] & 0xc0) === 0x80);
}

/**
 * ip6_local_out for a packet the kernel built; `oif` pins link-local answers to the ingress device.
 * false when no route was found for it (the kernel's ip6_dst_lookup failed before the packet was made)
 */
export function ip6_local_out(net: Net, skb: SkBuff, ctx: FrameCtx, oif: NetDevice | null = null): boolean {
  if (!(skb instanceof ReplySkb)) return __ip6_local_out(net, skb, ctx, oif);
  // a packet the kernel built is another skb than the captured frame: its steps are the reply's
  ctx.beginReply();
  const routed = __ip6_local_out(net, skb, ctx, oif);
  ctx.endReply();
  return routed;
}

function __ip6_local_out(net: Net, skb: SkBuff, ctx: FrameCtx, oif: NetDevice | null): boolean {
  const reply = skb instanceof ReplySkb;
  const nh = skb.network_header;
  // routed first; NF LOCAL_OUT sees the route's device; a changed destination is routed again
  let daddr = skb.data.slice(nh + 24, nh + 40);
  let rt = ip6_route_output(net, daddr, oif, ctx, reply ? 0 : -1);
  const fail = (): void => {
    if (reply) ctx.tracing && ctx.ev('ip6_route_output', 'reply not sent: no route');
    else ctx.drop('ip6_route_output', 'IP_OUTNOROUTES');
  };
  if (!rt) return fail(), false;
  if (!NF_HOOK(net, NFPROTO_IPV6, NF_INET_LOCAL_OUT, skb, null, rt.dev, ctx, reply)) return true;
  let same = true;
  for (let i = 0; i < 16; i++) if (skb.data[nh + 24 + i] !== daddr[i]) same = false;
  if (!same) {
    daddr = skb.data.slice(nh + 24, nh + 40);
    rt = ip6_route_output(net, daddr, oif, ctx, reply ? 0 : -1);
    if (!rt) return fail(), true;
  }
  ip6_output(net, skb, ctx, rt.dev, rt.gw);
  return true;
}

/** ip_local_out_captured's IPv6 twin (ip6_local_out): LOCAL_OUT, the output route, POST_ROUTING, TCP send state */
export function ip6_local_out_captured(net: Net, skb: SkBuff, ctx: FrameCtx, dev: NetDevice): boolean {
  const nh = skb.network_header;
  skb.transport_header = nh + 40;
  if (!NF_HOOK(net, NFPROTO_IPV6, NF_INET_LOCAL_OUT, skb, null, dev, ctx)) return false;
  ip6_route_output(net, skb.data.slice(nh + 24, nh + 40), dev, ctx);
  if (!NF_HOOK(net, NFPROTO_IPV6, NF_INET_POST_ROUTING, skb, null, dev, ctx)) return false;
  if (skb.data[nh + 6] === 6) tcp_outbound(net, skb, ctx);
  return true;
}

export function ip6_output(net: Net, skb: SkBuff, ctx: FrameCtx, dev: NetDevice, gw: Uint8Array | null): void {
  const reply = skb instanceof ReplySkb;
  // POST_ROUTING's input device is the one the skb came in on (a forwarded packet's), none for the host's own
  const indev = skb.dev;
  skb.dev = dev;
  if (!NF_HOOK(net, NFPROTO_IPV6, NF_INET_POST_ROUTING, skb, indev, dev, ctx, reply)) return;
  const fms = skb.frag_max_size;
  const len = skb.tail - skb.network_header;
  if (!reply && fms && len > fms) {
    // __ip6_finish_output: a datagram conntrack reassembled is cut again (ip6_fragment, mtu =
    // frag_max_size): (mtu - 40 - 8) & ~7 data bytes per fragment, one egress each
    const per = (Math.min(fms, dev.mtu) - 48) & ~7;
    const n = Math.ceil((len - 40) / per);
    ctx.tracing && ctx.ev('ip6_fragment', `${len} bytes, frag_max_size ${fms}: ${n} fragments of up to ${per} data bytes`, { dev: dev.name });
    const before = ctx.egress.length;
    ip6_finish_output2(net, skb, ctx, dev, gw);
    if (ctx.egress.length === before) return;
    for (let i = 1; i < n; i++) dev_queue_xmit(net, skb, ctx, dev);
    return;
  }
  ip6_finish_output2(net, skb, ctx, dev, gw);
}

const daddrScratch = new Uint8Array(16);

export function ip6_finish_output2(net: Net, skb: SkBuff, ctx: FrameCtx, dev: NetDevice, gw: Uint8Array | null): void {
  const reply = skb instanceof ReplySkb;
  const nh = skb.network_header;
  if (dev_is_loopback(dev) || !dev.mac) {
    dev_queue_xmit(net, skb, ctx, dev);
    return;
  }
  let nexthop = gw;
  if (!nexthop) {
    // the destination itself (on-link); neigh_create copies the key it keeps
    nexthop = daddrScratch;
    for (let i = 0; i < 16; i++) nexthop[i] = skb.data[nh + 24 + i];
  }
  const mac = neigh_resolve(net, 6, nexthop, dev, ctx, skb, reply);
  if (!mac) {
    if (reply) ctx.tracing && ctx.ev('ip6_finish_output2', `reply waits for neighbour ${gw ? ipv6ToString(gw, 0) : ipv6ToString(skb.data, nh + 24)}`);
    else if (ctx.fate === null) ctx.drop('ip6_finish_output2', 'NEIGH_FAILED');
    return;
  }
  writeEthHeader(skb, mac, dev.mac, 0x86dd, ctx, reply);
  dev_queue_xmit(net, skb, ctx, dev);
}

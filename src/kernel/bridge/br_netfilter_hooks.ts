// br_netfilter (net/bridge/br_netfilter_hooks.c): with net.bridge.bridge-nf-call-iptables (or
// -ip6tables) = 1, bridged IPv4/IPv6 frames also traverse the ip/ip6 PRE_ROUTING, FORWARD and
// POST_ROUTING hooks, with the bridge device as in/out (the ports are physindev/physoutdev).
// The hooks sit on the bridge hooks at priorities NF_BR_PRI_BRNF (pre_routing: 0, forward: -1)
// and NF_BR_PRI_LAST (post_routing), so they run after bridge-family chains at priority filter
// (-200). Frames then passed up to the host skip the second PRE_ROUTING in ip_rcv (ip_sabotage_in).

import type { NetDevice } from '../../host/types.js';
import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import { PACKET_HOST, PACKET_OTHERHOST, type SkBuff } from '../skbuff.js';
import { NFPROTO_ARP, NFPROTO_IPV4, NFPROTO_IPV6, NF_INET_FORWARD, NF_INET_POST_ROUTING, NF_INET_PRE_ROUTING } from '../netfilter/hook.js';

const NF_ARP_FORWARD = 2;
import { BR_INPUT_SKB_CB, type BridgeRt, type BrInputCb } from './br_private.js';
import { brHook } from './br_hook.js';

/** IS_IP / is_vlan_ip (filter_vlan_tagged) / IS_IPV6: which family br_netfilter hands the frame to, 0 = none */
function brnfFamily(net: Net, br: BridgeRt, skb: SkBuff): number {
  const vlanOk = !skb.vlan_present || net.host.sysctls.raw.get('net.bridge.bridge-nf-filter-vlan-tagged')?.trim() === '1';
  if (!vlanOk) return 0;
  if (skb.protocol === 0x0800) return br.nfCallIptables ? NFPROTO_IPV4 : 0;
  if (skb.protocol === 0x86dd) return br.nfCallIp6tables ? NFPROTO_IPV6 : 0;
  return 0;
}

/** br_validate_ipv4: version, ihl, header checksum, total length; failure -> IP_INHDR */
function br_validate_ipv4(skb: SkBuff): boolean {
  const o = skb.network_header;
  const d = skb.data;
  if (skb.tail - o < 20) return false;
  const ihl = d[o] & 0x0f;
  if (ihl < 5 || d[o] >> 4 !== 4) return false;
  if (skb.tail - o < ihl * 4) return false;
  let sum = 0;
  for (let i = 0; i < ihl * 4; i += 2) sum += (d[o + i] << 8) | d[o + i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  if (sum !== 0xffff) return false;
  const tot = (d[o + 2] << 8) | d[o + 3];
  if (skb.tail - o < tot || tot < ihl * 4) return false;
  return true;
}

/** br_validate_ipv6: version 6 and the payload inside the frame; failure -> IP_INHDR */
function br_validate_ipv6(skb: SkBuff): boolean {
  const o = skb.network_header;
  const d = skb.data;
  if (skb.tail - o < 40 || d[o] >> 4 !== 6) return false;
  const plen = (d[o + 4] << 8) | d[o + 5];
  return plen + 40 <= skb.tail - o;
}

/**
 * br_nf_pre_routing: null to continue (br_handle_frame_finish), else the drop reason. The IP
 * hook sees pkt_type HOST (setup_pre_routing) and in = the bridge device.
 */
export function br_nf_pre_routing(net: Net, br: BridgeRt, skb: SkBuff, cb: BrInputCb, ctx: FrameCtx): string | null {
  const pf = brnfFamily(net, br, skb);
  if (!pf) return null;
  if (pf === NFPROTO_IPV4 ? !br_validate_ipv4(skb) : !br_validate_ipv6(skb)) {
    ctx.tracing && ctx.ev('br_nf_pre_routing', `br_validate_ipv${pf === NFPROTO_IPV4 ? 4 : 6} failed`, { dev: skb.dev?.name });
    return 'IP_INHDR';
  }
  const o = skb.network_header;
  const daddr = skb.data.slice(o + (pf === NFPROTO_IPV4 ? 16 : 24), o + (pf === NFPROTO_IPV4 ? 20 : 40));
  const otherhost = skb.pkt_type === PACKET_OTHERHOST;
  if (otherhost) skb.pkt_type = PACKET_HOST;
  ctx.tracing && ctx.ev('br_nf_pre_routing', `${pf === NFPROTO_IPV4 ? 'ip' : 'ip6'} prerouting, in ${br.dev.name} (physindev ${skb.dev?.name})`, { dev: skb.dev?.name });
  const r = brHook(net, pf, NF_INET_PRE_ROUTING, skb, br.dev, null, ctx);
  if (otherhost) skb.pkt_type = PACKET_OTHERHOST;
  if (r) return r;
  cb.brnfPrerouted = true;
  const o2 = skb.network_header + (pf === NFPROTO_IPV4 ? 16 : 24);
  for (let i = 0; i < daddr.length; i++) {
    if (skb.data[o2 + i] !== daddr[i]) {
      ctx.unsupported.push('br_netfilter: destination changed at prerouting (DNAT): br_nf_pre_routing_finish re-routing is not modelled');
      break;
    }
  }
  return null;
}

/**
 * br_nf_forward_ip: the ip/ip6 FORWARD hook, in = out = the bridge device; and br_nf_forward_arp:
 * with bridge-nf-call-arptables, bridged ARP crosses the arp FORWARD hook with in/out = the ports.
 */
export function br_nf_forward(net: Net, br: BridgeRt, skb: SkBuff, indev: NetDevice, to: NetDevice, ctx: FrameCtx): string | null {
  if (skb.protocol === 0x0806 && !skb.vlan_present) {
    if (!br.nfCallArptables) return null;
    if (skb.tail - skb.network_header < 8) return 'PKT_TOO_SMALL';
    if (skb.data[skb.network_header + 5] !== 4) return null;
    ctx.tracing && ctx.ev('br_nf_forward_arp', `arp forward, ${indev.name} -> ${to.name}`, { dev: to.name });
    return brHook(net, NFPROTO_ARP, NF_ARP_FORWARD, skb, indev, to, ctx);
  }
  const cb = BR_INPUT_SKB_CB(skb);
  if (!cb?.brnfPrerouted) return null;
  const pf = brnfFamily(net, br, skb);
  if (!pf) return null;
  if (pf === NFPROTO_IPV4 && !br_validate_ipv4(skb)) return 'IP_INHDR';
  ctx.tracing && ctx.ev('br_nf_forward_ip', `${pf === NFPROTO_IPV4 ? 'ip' : 'ip6'} forward, ${br.dev.name} -> ${br.dev.name} (physindev ${indev.name}, physoutdev ${to.name})`, { dev: to.name });
  return brHook(net, pf, NF_INET_FORWARD, skb, br.dev, br.dev, ctx);
}

/** br_nf_post_routing: the ip/ip6 POST_ROUTING hook, out = the bridge device */
export function br_nf_post_routing(net: Net, br: BridgeRt, skb: SkBuff, to: NetDevice, ctx: FrameCtx): string | null {
  const cb = BR_INPUT_SKB_CB(skb);
  if (!cb?.brnfPrerouted) return null;
  const pf = brnfFamily(net, br, skb);
  if (!pf) return null;
  ctx.tracing && ctx.ev('br_nf_post_routing', `${pf === NFPROTO_IPV4 ? 'ip' : 'ip6'} postrouting, out ${br.dev.name} (physoutdev ${to.name})`, { dev: to.name });
  return brHook(net, pf, NF_INET_POST_ROUTING, skb, null, br.dev, ctx);
}

/**
 * ip_sabotage_in (ip/ip6 PRE_ROUTING, priority NF_IP_PRI_FIRST): true when br_netfilter already
 * ran PRE_ROUTING for this frame, so ip_rcv / ipv6_rcv must skip their PRE_ROUTING hook.
 */
export function ip_sabotage_in(skb: SkBuff): boolean {
  return BR_INPUT_SKB_CB(skb)?.brnfPrerouted === true;
}

// 802.1Q / 802.1ad receive (net/core/dev.c __netif_receive_skb_core, net/8021q/vlan_core.c).
// The kernel first moves the outer tag into skb->vlan_tci (skb_vlan_untag); then vlan_do_receive
// hands the frame to the VLAN device stacked on skb->dev for that (protocol, VID), if any.
// With no such device the frame stays on the lower device and, after the rx_handler (bridge),
// the check_vlan_id block of __netif_receive_skb_core marks a non-zero VID PACKET_OTHERHOST
// (so ip_rcv later drops it with OTHERHOST) — vlan_no_dev() below.

import type { NetDevice } from '../../host/types.js';
import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import { PACKET_HOST, PACKET_OTHERHOST, type SkBuff } from '../skbuff.js';

const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;

export function eth_type_vlan(proto: number): boolean {
  return proto === ETH_P_8021Q || proto === ETH_P_8021AD;
}

/**
 * skb_vlan_untag(skb): move the tag at the network header into vlan_tci; protocol becomes the
 * encapsulated type and the network header moves past the tag. false when the tag is truncated
 * (the kernel frees the skb: NOT_SPECIFIED, the caller records it).
 */
export function skb_vlan_untag(skb: SkBuff): boolean {
  if (skb.vlan_present) return true;
  const o = skb.network_header;
  if (o < 0 || skb.tail < o + 4) return false;
  const d = skb.data;
  skb.vlan_proto = skb.protocol;
  skb.vlan_tci = (d[o] << 8) | d[o + 1];
  skb.vlan_present = true;
  skb.protocol = (d[o + 2] << 8) | d[o + 3];
  skb.network_header = o + 4;
  return true;
}

/** vlan_find_dev(real_dev, vlan_proto, vlan_id) over the host's vlan devices */
export function vlan_find_dev(net: Net, real: NetDevice, proto: number, vid: number): NetDevice | null {
  for (const d of net.host.devices) {
    if (d.vlan && d.vlan.link === real.ifindex && d.vlan.id === vid && (d.vlan.protocol || ETH_P_8021Q) === proto) return d;
  }
  return null;
}

/**
 * vlan_do_receive(&skb): true when the frame moved to a VLAN device (the caller goes round again
 * with skb.dev = that device and the tag cleared). false otherwise; if the VLAN device is down the
 * kernel frees the frame (kfree_skb, NOT_SPECIFIED) and ctx is settled as dropped.
 */
export function vlan_do_receive(net: Net, skb: SkBuff, ctx: FrameCtx): boolean {
  if (!skb.vlan_present) return false;
  const lower = skb.dev!;
  const vid = skb.vlan_tci & 0x0fff;
  const vdev = vlan_find_dev(net, lower, skb.vlan_proto, vid);
  if (!vdev) return false;
  if (!vdev.up || !vdev.flags.has('UP')) {
    ctx.drop('vlan_do_receive', 'NOT_SPECIFIED', { dev: vdev.name, detail: { why: `${vdev.name} is down` } });
    return false;
  }
  skb.dev = vdev;
  // "Our lower layer thinks this is not local, let's make sure": the VLAN device may have its own MAC
  if (skb.pkt_type === PACKET_OTHERHOST && vdev.mac) {
    let eq = true;
    for (let i = 0; i < 6; i++) if (skb.data[skb.mac_header + i] !== vdev.mac[i]) { eq = false; break; }
    if (eq) skb.pkt_type = PACKET_HOST;
  }
  ctx.tracing && ctx.ev('vlan_do_receive', `VLAN ${vid} (0x${skb.vlan_proto.toString(16)}) -> ${vdev.name}`, { dev: lower.name });
  // __vlan_hwaccel_clear_tag
  skb.vlan_present = false;
  skb.vlan_tci = 0;
  skb.vlan_proto = 0;
  return true;
}

/**
 * The check_vlan_id block after the rx_handler in __netif_receive_skb_core: a tag nobody took.
 * Non-zero VID -> PACKET_OTHERHOST; VID 0 (802.1p priority tag) -> tag cleared, and if an inner
 * tag follows it is untagged and vlan_do_receive is tried again (returns true: go round again).
 */
export function vlan_no_dev(net: Net, skb: SkBuff, ctx: FrameCtx): boolean {
  if (!skb.vlan_present) return false;
  const vid = skb.vlan_tci & 0x0fff;
  if (vid) {
    skb.pkt_type = PACKET_OTHERHOST;
    ctx.tracing && ctx.ev('__netif_receive_skb_core', `VLAN ${vid} tag and no VLAN device on ${skb.dev?.name}: PACKET_OTHERHOST`, { dev: skb.dev?.name });
  } else if (eth_type_vlan(skb.protocol)) {
    skb.vlan_present = false; skb.vlan_tci = 0; skb.vlan_proto = 0;
    if (!skb_vlan_untag(skb)) { ctx.drop('skb_vlan_untag', 'NOT_SPECIFIED', { dev: skb.dev?.name }); return false; }
    if (vlan_do_receive(net, skb, ctx)) return true;
    if (ctx.fate !== null) return false;
    return vlan_no_dev(net, skb, ctx);
  }
  // "just ignore Priority Code Point"
  skb.vlan_present = false; skb.vlan_tci = 0; skb.vlan_proto = 0;
  return false;
}

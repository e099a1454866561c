// Receive and transmit at the device layer: net/core/dev.c __netif_receive_skb_core (netdev
// ingress hook, VLAN untag + vlan_do_receive, rx_handler = bridge, ptype dispatch) and
// net/ethernet/eth.c eth_type_trans (pkt_type); dev_queue_xmit records where a frame left.

import { dev_is_loopback } from './netdevice.js';
import type { NetDevice } from '../../host/types.js';
import type { FrameCtx } from '../ctx.js';
import type { TimelineEvent } from '../fate.js';
import { NF_HOOK, type Net } from '../net.js';
import { NFPROTO_NETDEV, NF_NETDEV_INGRESS, NF_NETDEV_EGRESS } from '../netfilter/hook.js';
import { SkBuff, PACKET_HOST, PACKET_OUTGOING, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST, PKT_TYPE_NAMES } from '../skbuff.js';
import { vlan_do_receive, skb_vlan_untag } from './vlan.js';
import { br_handle_frame } from '../bridge/br_input.js';
import { arp_rcv } from '../ipv4/arp.js';
import { ip_rcv } from '../ipv4/ip_input.js';
import { ipv6_rcv } from '../ipv6/ip6_input.js';
import { gro_note } from './gro.js';
import { br_dev_queue_xmit } from '../bridge/br_device.js';
import { ip_local_out_captured } from '../ipv4/ip_output.js';
import { ip6_local_out_captured } from '../ipv6/ip6_output.js';
import { sharedEvent } from '../fate.js';
import { recordXmit } from './xmit_copies.js';
import { tcHooks, sch_handle_ingress, sch_handle_egress } from '../sched/sch_handle.js';
import { bpf_prog_run_xdp } from './xdp.js';

export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;

/** A packet the kernel itself built (reply): its transmit is recorded as a reply, not as the frame's egress. */
export class ReplySkb extends SkBuff {
  readonly isReply = true;
}

/** A frame the neighbour layer built (ARP, NS/NA: l2_skb): sent by l2_xmit, so it is a reply too
 *  where a bridge port's egress hooks meet it, but it keeps its own path through the neighbour queue */
export class NeighSkb extends SkBuff {}

/** a packet the kernel built (either kind): what the egress hooks drop is a reply's, not the frame's */
export function kernelBuilt(skb: SkBuff): boolean {
  return skb instanceof ReplySkb || skb instanceof NeighSkb;
}

/**
 * eth_type_trans: set mac/network header, skb.protocol and pkt_type from the destination MAC
 * (broadcast / multicast / not ours = PACKET_OTHERHOST). `off` is where the Ethernet header starts.
 */
export function eth_type_trans(skb: SkBuff, dev: NetDevice, off = 0): void {
  const b = skb.data;
  skb.mac_header = off;
  skb.dev = dev;
  if (b[off] & 1) {
    let bc = true;
    for (let i = 0; i < 6; i++) if (b[off + i] !== 0xff) bc = false;
    skb.pkt_type = bc ? PACKET_BROADCAST : PACKET_MULTICAST;
  } else {
    const m = dev.mac;
    let ours = m !== null;
    if (m) for (let i = 0; i < 6; i++) if (b[off + i] !== m[i]) { ours = false; break; }
    skb.pkt_type = ours ? PACKET_HOST : PACKET_OTHERHOST;
  }
  const proto = (b[off + 12] << 8) | b[off + 13];
  // ethertypes below 0x600 are 802.3 lengths (ETH_P_802_3 / 802_2): no handler in the model
  skb.protocol = proto >= 0x600 ? proto : 0x0004;
  skb.network_header = off + 14;
}

const HEX = new Map<number, string>();
function protoHex(p: number): string {
  let s = HEX.get(p);
  if (s === undefined) HEX.set(p, (s = '0x' + p.toString(16).padStart(4, '0')));
  return s;
}

// Steps that depend only on the device and a few numbers, made once each (events are never
// changed once made): most frames of a capture repeat them
const rcvEvents = new WeakMap<NetDevice, Map<number, TimelineEvent>>();
function rcvEvent(dev: NetDevice, pktType: number, protocol: number): TimelineEvent {
  let m = rcvEvents.get(dev);
  if (!m) rcvEvents.set(dev, (m = new Map()));
  const k = pktType * 0x10000 + protocol;
  let e = m.get(k);
  if (!e) m.set(k, (e = sharedEvent({ fn: '__netif_receive_skb_core', what: PKT_TYPE_NAMES[pktType] ?? String(pktType), dev: dev.name, detail: { protocol: protoHex(protocol) } })));
  return e;
}
const xmitEvents = new WeakMap<NetDevice, TimelineEvent>();
function xmitEvent(dev: NetDevice): TimelineEvent {
  let e = xmitEvents.get(dev);
  if (!e) xmitEvents.set(dev, (e = sharedEvent({ fn: 'dev_queue_xmit', what: 'transmitted', dev: dev.name })));
  return e;
}

function isBridgeMaster(net: Net, dev: NetDevice): boolean {
  if (!dev.master) return false;
  const m = net.host.byName.get(dev.master);
  return !!m && m.kind === 'bridge';
}

/** netif_receive_skb -> __netif_receive_skb_core */
export function netif_receive_skb(net: Net, skb: SkBuff, ctx: FrameCtx, redirected = false): void {
  // a frame a tc mirred redirect hands to this device's receive path was GRO'd and XDP'd already
  let rounds = redirected ? 1 : 0;
  for (;;) {
    const dev = skb.dev!;
    if (rounds === 0) gro_note(net, skb, ctx);
    // XDP runs before the stack sees the frame (driver, or do_xdp_generic first thing here)
    if (rounds === 0 && dev.xdp && !bpf_prog_run_xdp(net, dev, ctx)) return;
    if (ctx.tracing) ctx.events.push(rcvEvent(dev, skb.pkt_type, skb.protocol));
    if (!dev.up) {
      ctx.drop('__netif_receive_skb_core', 'DEV_READY', { dev: dev.name });
      return;
    }
    if ((skb.protocol === ETH_P_8021Q || skb.protocol === ETH_P_8021AD) && !skb.vlan_present) {
      if (!skb_vlan_untag(skb)) {
        ctx.drop('skb_vlan_untag', 'PKT_TOO_SMALL', { dev: dev.name });
        return;
      }
    }
    // tc ingress (sch_handle_ingress), before the netdev-family ingress chains
    const tc = net.host.tc ? tcHooks(net) : null;
    if (tc) {
      const block = tc.ingress[dev.ifindex];
      if (block && !sch_handle_ingress(net, skb, ctx, tc, block)) return;
    }
    // netdev family ingress hook (nf_ingress), only when a netdev chain exists
    if (net.nf.active(NFPROTO_NETDEV, NF_NETDEV_INGRESS)) {
      if (!NF_HOOK(net, NFPROTO_NETDEV, NF_NETDEV_INGRESS, skb, dev, null, ctx)) return;
    }
    if (skb.vlan_present) {
      if (vlan_do_receive(net, skb, ctx)) {
        if (++rounds > 8) {
          ctx.drop('__netif_receive_skb_core', 'NOT_SPECIFIED');
          return;
        }
        continue; // another_round on the VLAN device
      }
      if (ctx.fate !== null) return;
    }
    if (isBridgeMaster(net, skb.dev!)) {
      const r = br_handle_frame(net, skb, ctx);
      if (r === 'consumed') return;
    } else if (skb.dev!.master) {
      const m = net.host.byName.get(skb.dev!.master);
      ctx.unsupported.push(`rx_handler of ${m?.kind ?? 'unknown'} master ${skb.dev!.master} not modelled`);
    }
    if (skb.vlan_present) {
      // a tag no VLAN device took: non-zero VID -> PACKET_OTHERHOST (check_vlan_id)
      if (skb.vlan_tci & 0xfff) {
        skb.pkt_type = PACKET_OTHERHOST;
        ctx.tracing && ctx.ev('__netif_receive_skb_core', `VLAN ${skb.vlan_tci & 0xfff} has no device: PACKET_OTHERHOST`);
      }
      skb.vlan_present = false;
      skb.vlan_tci = 0;
    }
    break;
  }
  // deliver_ptype_list_skb: the protocol handlers registered with dev_add_pack
  switch (skb.protocol) {
    case ETH_P_IP:
      ip_rcv(net, skb, ctx);
      return;
    case ETH_P_IPV6:
      ipv6_rcv(net, skb, ctx);
      return;
    case ETH_P_ARP:
      arp_rcv(net, skb, ctx);
      return;
    default:
      ctx.drop('__netif_receive_skb_core', 'UNHANDLED_PROTO', { detail: { protocol: protoHex(skb.protocol) } });
  }
}

/**
 * The egress steps of __dev_queue_xmit before the qdisc (CONFIG_NET_EGRESS): nf_hook_egress (netdev
 * egress chains), then sch_handle_egress (tc). False when the frame does not go on to the device.
 * `reply`: a packet the kernel built (its drop is the reply's, not the frame's fate).
 */
export function dev_egress_hooks(net: Net, skb: SkBuff, ctx: FrameCtx, dev: NetDevice, reply: boolean): boolean {
  if (net.nf.active(NFPROTO_NETDEV, NF_NETDEV_EGRESS)) {
    if (skb.nf_skip_egress) ctx.tracing && ctx.ev('nf_hook_egress', 'skipped: sent by a tc action at ingress (nf_skip_egress)', { dev: dev.name });
    else if (!NF_HOOK(net, NFPROTO_NETDEV, NF_NETDEV_EGRESS, skb, null, dev, ctx, reply)) return false;
  }
  // tc egress (sch_handle_egress) after the netdev egress chains
  if (net.host.tc) {
    const tc = tcHooks(net);
    const block = tc?.egress[dev.ifindex];
    if (block && !sch_handle_egress(net, skb, ctx, tc!, block, reply)) return false;
  }
  return true;
}

/**
 * dev_queue_xmit: the frame leaves through `dev`. A reply the kernel built is recorded as a reply
 * with its tcpdump-style summary; the captured frame itself as its egress.
 */
export function dev_queue_xmit(net: Net, skb: SkBuff, ctx: FrameCtx, dev: NetDevice): void {
  const reply = skb instanceof ReplySkb;
  if (!dev_egress_hooks(net, skb, ctx, dev, reply)) return;
  if (!dev.up) {
    if (reply) ctx.tracing && ctx.ev('dev_queue_xmit', `reply not sent: ${dev.name} is down`);
    else ctx.drop('__dev_queue_xmit', 'DEV_READY', { dev: dev.name });
    return;
  }
  if (dev_is_loopback(dev)) {
    // loopback_xmit: the packet comes back in to this host, it never reaches the wire
    ctx.tracing && ctx.ev('loopback_xmit', reply ? 'reply to a local address: looped back, not on the wire' : 'looped back', { dev: dev.name });
    if (!reply) ctx.forward(dev.name);
    return;
  }
  let summary: string | null = null;
  if (reply) {
    const off = skb.mac_header >= 0 ? skb.mac_header : skb.start;
    summary = net.summarize(off ? skb.data.subarray(off, skb.tail) : skb.data, skb.tail - off);
  }
  // dev_queue_xmit_nit: a tap on every device (tcpdump -i any) sees the frame leave here (a frame
  // the host sent was captured leaving its capture device already: only later devices count)
  if (!reply && !(ctx.localOut && dev === skb.indev)) recordXmit(net.copies, skb, dev, skb.frameNo || ctx.frame, net.nowSec + net.nowNsec / 1e9);
  if (dev.kind === 'bridge') {
    // br_dev_xmit: the bridge sends by its ports (fdb or flood)
    ctx.tracing && ctx.ev('dev_queue_xmit', reply ? `reply via bridge: ${summary}` : 'to the bridge device', { dev: dev.name });
    br_dev_queue_xmit(net, skb, ctx, dev, summary);
    return;
  }
  if (reply) {
    ctx.tracing && ctx.ev('dev_queue_xmit', `reply: ${summary}`, { dev: dev.name });
    ctx.reply(dev.name, summary!);
    return;
  }
  if (ctx.tracing) ctx.events.push(xmitEvent(dev));
  ctx.forward(dev.name);
}

/**
 * A frame the host itself sent, captured on its way out of `dev`: the local output path of its
 * family (ip_local_out_captured / ip6_local_out_captured: LOCAL_OUT, route, POST_ROUTING), then
 * dev_queue_xmit. A VLAN tag in the captured frame is stepped over as the VLAN device's header.
 */
export function local_out_captured(net: Net, skb: SkBuff, ctx: FrameCtx, dev: NetDevice): void {
  skb.pkt_type = PACKET_OUTGOING;
  let proto = skb.protocol;
  let nh = skb.network_header;
  if (proto === 0x8100 || proto === 0x88a8) {
    proto = (skb.data[nh + 2] << 8) | skb.data[nh + 3];
    nh += 4;
    skb.network_header = nh;
    skb.protocol = proto;
  }
  ctx.tracing && ctx.ev('ip_local_out', `sent by the host on ${dev.name}`, { dev: dev.name });
  if (proto === 0x0800 && skb.tail - nh >= 20) {
    if (!ip_local_out_captured(net, skb, ctx, dev)) return;
  } else if (proto === 0x86dd && skb.tail - nh >= 40) {
    if (!ip6_local_out_captured(net, skb, ctx, dev)) return;
  }
  dev_queue_xmit(net, skb, ctx, dev);
}

// Bridge receive (net/bridge/br_input.c, Linux 6.x with the 6.14 drop reasons): the rx_handler
// netif_receive_skb calls for a frame on a bridge port.
// br_handle_frame: source MAC check, link-local 01:80:c2:00:00:0X, port STP state, PRE_ROUTING
// -> br_handle_frame_finish: VLAN ingress filter, learning, fdb lookup; br_forward / br_flood for
// other ports and br_pass_frame_up (NF_BR_LOCAL_IN, then netif_receive_skb on the bridge device)
// for the host.

import type { NetDevice } from '../../host/types.js';
import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import { PACKET_HOST, PACKET_LOOPBACK, type SkBuff } from '../skbuff.js';
import { NFPROTO_BRIDGE, NF_INET_LOCAL_IN, NF_INET_PRE_ROUTING } from '../netfilter/hook.js';
import { netif_receive_skb } from '../core/dev.js';
import { macAt, macStr } from './br_fdb.js';
import {
  BR_STATE_FORWARDING, BR_STATE_LEARNING, STATE_NAMES, bridgeOf, eth_is_broadcast, eth_is_multicast, ether_addr_equal,
  is_valid_ether_addr, newCb, portState, setCb, type BridgeRt, type BrInputCb,
} from './br_private.js';
import { br_allowed_egress, br_allowed_ingress, br_handle_vlan } from './br_vlan.js';
import { BR_PKT_BROADCAST, BR_PKT_MULTICAST, BR_PKT_UNICAST, br_flood, br_forward } from './br_forward.js';
import { br_nf_pre_routing } from './br_netfilter_hooks.js';
import { brHook } from './br_hook.js';

function nowNs(net: Net): number {
  return net.nowSec * 1e9 + net.nowNsec;
}

/** br_handle_frame(&skb): 'consumed' (RX_HANDLER_CONSUMED, ctx settled or settling) or 'pass' (RX_HANDLER_PASS) */
export function br_handle_frame(net: Net, skb: SkBuff, ctx: FrameCtx): 'consumed' | 'pass' {
  const port = skb.dev!;
  const brdev = port.master ? net.host.byName.get(port.master) : undefined;
  if (!brdev || !port.bridgePort) return 'pass';
  if (skb.pkt_type === PACKET_LOOPBACK) return 'pass';
  const br = bridgeOf(net.host, brdev);
  const d = skb.data;
  const mh = skb.mac_header >= 0 ? skb.mac_header : skb.start;
  if (!is_valid_ether_addr(d, mh + 6)) {
    ctx.drop('br_handle_frame', 'MAC_INVALID_SOURCE', { dev: port.name, detail: { src: macStr(macAt(d, mh + 6)) } });
    return 'consumed';
  }
  const cb: BrInputCb = newCb(brdev);
  setCb(skb, cb);

  // is_link_local_ether_addr(dest): 01:80:c2:00:00:0X (IEEE 802.1D table 7-10 reserved addresses)
  if (d[mh] === 0x01 && d[mh + 1] === 0x80 && d[mh + 2] === 0xc2 && d[mh + 3] === 0 && d[mh + 4] === 0 && (d[mh + 5] & 0xf0) === 0) {
    // group_fwd_mask (bridge and port) is not in `ip -d link` JSON as the model reads it: 0 assumed
    const low = d[mh + 5];
    let forward = false;
    if (low === 0x00) {
      // Bridge Group Address (STP BPDU): forwarded only when STP is off
      if ((brdev.bridge?.stpState ?? 0) === 0) forward = true;
      else { __br_handle_local_finish(net, br, port, skb, cb, ctx); ctx.tracing && ctx.ev('br_handle_frame', 'STP BPDU: passed to the port device (RX_HANDLER_PASS)', { dev: port.name }); return 'pass'; }
    } else if (low === 0x01) {
      ctx.drop('br_handle_frame', 'MAC_IEEE_MAC_CONTROL', { dev: port.name });
      return 'consumed';
    } else if (low === 0x0e) {
      __br_handle_local_finish(net, br, port, skb, cb, ctx);
      ctx.tracing && ctx.ev('br_handle_frame', 'LLDP: passed to the port device (RX_HANDLER_PASS)', { dev: port.name });
      return 'pass';
    }
    if (!forward) {
      // NF_HOOK(NFPROTO_BRIDGE, NF_BR_LOCAL_IN, ..., br_handle_local_finish) == 1 -> RX_HANDLER_PASS
      const r = brHook(net, NFPROTO_BRIDGE, NF_INET_LOCAL_IN, skb, port, null, ctx);
      if (r) {
        if (r === 'STOLEN') ctx.consume('nf_hook_slow', 'NF_STOLEN');
        else ctx.drop('nf_hook_slow', r, { dev: port.name });
        return 'consumed';
      }
      __br_handle_local_finish(net, br, port, skb, cb, ctx);
      ctx.tracing && ctx.ev('br_handle_frame', `link-local ${macStr(macAt(d, mh))}: passed to the port device`, { dev: port.name });
      return 'pass';
    }
  }

  const state = portState(port);
  if (state !== BR_STATE_FORWARDING && state !== BR_STATE_LEARNING) {
    ctx.drop('br_handle_frame', 'BRIDGE_INGRESS_STP_STATE', { dev: port.name, detail: { state: STATE_NAMES[state] } });
    return 'consumed';
  }
  if (ether_addr_equal(d, mh, brdev.mac)) skb.pkt_type = PACKET_HOST;
  ctx.tracing && ctx.ev('br_handle_frame', br.portText.get(port) ?? `port ${port.name} of ${brdev.name}, state ${STATE_NAMES[state]}`, { dev: port.name });

  // nf_hook_bridge_pre: bridge-family prerouting chains, then br_netfilter's ip/ip6 prerouting
  let r = brHook(net, NFPROTO_BRIDGE, NF_INET_PRE_ROUTING, skb, port, null, ctx);
  if (!r) r = br_nf_pre_routing(net, br, skb, cb, ctx);
  if (r) {
    if (r === 'STOLEN') ctx.consume('nf_hook_slow', 'NF_STOLEN');
    else ctx.drop('nf_hook_slow', r, { dev: port.name });
    return 'consumed';
  }
  br_handle_frame_finish(net, br, port, skb, cb, ctx);
  return 'consumed';
}

/** __br_handle_local_finish: learn the source of a link-local frame (vlan allowed, learning on) */
function __br_handle_local_finish(net: Net, br: BridgeRt, port: NetDevice, skb: SkBuff, cb: BrInputCb, ctx: FrameCtx): void {
  const st = portState(port);
  if (!port.bridgePort!.learning || (st !== BR_STATE_LEARNING && st !== BR_STATE_FORWARDING)) return;
  if (br.vlanEnabled) {
    // br_should_learn: the VLAN must be on the port
    const vg = br.portVg.get(port.name)!;
    const vid = skb.vlan_present && skb.vlan_proto === br.vlanProto ? skb.vlan_tci & 0xfff : vg.pvid;
    if (!vid || !vg.vids.has(vid)) return;
    cb.vid = vid;
  }
  learn(net, br, port, skb, cb, ctx);
}

function learn(net: Net, br: BridgeRt, port: NetDevice, skb: SkBuff, cb: BrInputCb, ctx: FrameCtx): void {
  const mh = skb.mac_header >= 0 ? skb.mac_header : skb.start;
  const mac = macAt(skb.data, mh + 6);
  const what = net.fdb.br_fdb_update(br.dev, port, mac, cb.vid, nowNs(net));
  // a refresh of a known station changes nothing worth a timeline line
  if (what !== 'refreshed') ctx.tracing && ctx.ev('br_fdb_update', `${macStr(mac)}${cb.vid ? ' vlan ' + cb.vid : ''} on ${port.name}: ${what}`, { dev: port.name });
}

/** br_handle_frame_finish(net, sk, skb) */
export function br_handle_frame_finish(net: Net, br: BridgeRt, port: NetDevice, skb: SkBuff, cb: BrInputCb, ctx: FrameCtx): void {
  const state = portState(port);
  if (!br_allowed_ingress(br, br.portVg.get(port.name)!, skb, cb, ctx, 'br_handle_frame_finish')) return;
  // "insert into forwarding database after filtering to avoid spoofing"
  if (port.bridgePort!.learning) learn(net, br, port, skb, cb, ctx);
  const d = skb.data;
  const mh = skb.mac_header >= 0 ? skb.mac_header : skb.start;
  let localRcv = br.dev.flags.has('PROMISC');
  let pktType = BR_PKT_UNICAST;
  if (eth_is_multicast(d, mh)) {
    if (eth_is_broadcast(d, mh)) { pktType = BR_PKT_BROADCAST; localRcv = true; }
    else {
      pktType = BR_PKT_MULTICAST;
      // multicast snooping (br_multicast_rcv, br_mdb_get) has no querier in a snapshot: without
      // one br_multicast_querier_exists() is false and the frame is flooded and passed up
      localRcv = true;
      if (isMcastQuery(skb)) ctx.unsupported.push('bridge multicast snooping: a querier is on the segment; the kernel then forwards multicast by group membership, which is not modelled (flooded here)');
    }
  }
  if (state === BR_STATE_LEARNING) {
    ctx.drop('br_handle_frame_finish', 'BRIDGE_INGRESS_STP_STATE', { dev: port.name, detail: { state: 'learning' } });
    return;
  }
  cb.srcPortIsolated = port.bridgePort!.isolated;
  if (skb.protocol === 0x0806 || skb.protocol === 0x8035) {
    // br_do_proxy_suppress_arp: only with neigh_suppress / proxy_arp port flags, not in the snapshot model
  }
  if (pktType === BR_PKT_UNICAST) {
    const dst = net.fdb.find(br.dev, macAt(d, mh), cb.vid, nowNs(net));
    if (dst) {
      if (dst.local) {
        ctx.tracing && ctx.ev('br_handle_frame_finish', `fdb: ${macStr(dst.mac)} is local: br_pass_frame_up`, { dev: port.name });
        br_pass_frame_up(net, br, skb, cb, ctx);
        return;
      }
      dst.text ??= `fdb: ${macStr(dst.mac)}${dst.vid ? ' vlan ' + dst.vid : ''} -> ${dst.port!.name}`;
      ctx.tracing && ctx.ev('br_handle_frame_finish', dst.text, { dev: port.name });
      br_forward(net, br, dst.port!, skb, cb, ctx, localRcv, false);
    } else {
      ctx.tracing && ctx.ev('br_handle_frame_finish', `fdb: ${macStr(macAt(d, mh))} unknown: flood`, { dev: port.name });
      br_flood(net, br, skb, cb, pktType, ctx, localRcv, false);
    }
  } else {
    br_flood(net, br, skb, cb, pktType, ctx, localRcv, false);
  }
  if (localRcv) br_pass_frame_up(net, br, skb, cb, ctx);
}

/** br_pass_frame_up: the bridge device receives the frame (NF_BR_LOCAL_IN, then netif_receive_skb) */
export function br_pass_frame_up(net: Net, br: BridgeRt, skb: SkBuff, cb: BrInputCb, ctx: FrameCtx): void {
  const indev = skb.dev!;
  // "Bridge is just like any other port. Make sure the packet is allowed except in promisc mode"
  if (!br.dev.flags.has('PROMISC') && !br_allowed_egress(br.vg, cb)) {
    ctx.drop('br_pass_frame_up', 'NOT_SPECIFIED', { dev: br.dev.name, detail: { why: `VLAN ${cb.vid} not configured on the bridge device` } });
    return;
  }
  skb.dev = br.dev;
  const vlan = br_handle_vlan(br.vg, cb);
  if (cb.vlanFiltered) {
    // br_handle_vlan towards the bridge device: an untagged VLAN loses its tag, else it stays (and
    // the bridge device then needs a VLAN device on top, see __netif_receive_skb_core)
    if (br.vg.vids.get(cb.vid)?.untagged) { skb.vlan_present = false; skb.vlan_tci = 0; skb.vlan_proto = 0; }
  }
  ctx.tracing && ctx.ev('br_pass_frame_up', `to ${br.dev.name}${vlan ? ', ' + vlan : ''}`, { dev: indev.name });
  const r = brHook(net, NFPROTO_BRIDGE, NF_INET_LOCAL_IN, skb, indev, null, ctx);
  if (r) {
    if (r === 'STOLEN') ctx.consume('nf_hook_slow', 'NF_STOLEN');
    else ctx.drop('nf_hook_slow', r, { dev: br.dev.name });
    return;
  }
  netif_receive_skb(net, skb, ctx);
}

/** an IGMP membership query or an MLD query: a querier exists, so snooping takes effect */
function isMcastQuery(skb: SkBuff): boolean {
  const d = skb.data;
  const o = skb.network_header;
  if (skb.protocol === 0x0800 && skb.tail >= o + 21 && d[o + 9] === 2) {
    const ihl = (d[o] & 0x0f) << 2;
    return skb.tail > o + ihl && d[o + ihl] === 0x11;
  }
  if (skb.protocol === 0x86dd && skb.tail >= o + 41) {
    if (d[o + 6] === 58) return d[o + 40] === 130;
    if (d[o + 6] === 0 && skb.tail >= o + 41) {
      const hl = (d[o + 41] + 1) << 3;
      return d[o + 40] === 58 && skb.tail > o + 40 + hl && d[o + 40 + hl] === 130;
    }
  }
  return false;
}

// Transmit on a bridge device (net/bridge/br_device.c br_dev_xmit): the host sends through br0;
// the bridge picks the port(s) from the fdb, or floods. Copies cross NF_BR_LOCAL_OUT and
// NF_BR_POST_ROUTING (br_forward with local_orig).

import type { NetDevice } from '../../host/types.js';
import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import type { SkBuff } from '../skbuff.js';
import { macAt, macStr } from './br_fdb.js';
import { BR_INPUT_SKB_CB, bridgeOf, eth_is_broadcast, eth_is_multicast, newCb, setCb, type BrInputCb } from './br_private.js';
import { br_allowed_ingress } from './br_vlan.js';
import { BR_PKT_BROADCAST, BR_PKT_MULTICAST, BR_PKT_UNICAST, br_flood, br_forward } from './br_forward.js';

/**
 * br_dev_xmit(skb, dev): the ports the frame leaves by (empty when none). Never settles the
 * frame's fate: the caller records replies or egress for the returned ports.
 */
export function br_dev_xmit(net: Net, skb: SkBuff, brdev: NetDevice, ctx: FrameCtx, fail?: { reason: string }): NetDevice[] {
  const br = bridgeOf(net.host, brdev);
  const cb: BrInputCb = BR_INPUT_SKB_CB(skb) ?? newCb(brdev);
  cb.srcPortIsolated = false;
  setCb(skb, cb);
  const out: NetDevice[] = [];
  const saveDev = skb.dev;
  skb.dev = brdev;
  if (!br_allowed_ingress(br, br.vg, skb, cb, ctx, 'br_dev_xmit', false)) {
    ctx.tracing && ctx.ev('br_dev_xmit', `not sent: VLAN filtering on ${brdev.name}`, { dev: brdev.name });
    skb.dev = saveDev;
    if (fail) fail.reason = 'NOT_SPECIFIED';
    return out;
  }
  if (fail) fail.reason = 'NO_TX_TARGET';
  const mh = skb.mac_header >= 0 ? skb.mac_header : skb.start;
  const d = skb.data;
  if (eth_is_broadcast(d, mh)) br_flood(net, br, skb, cb, BR_PKT_BROADCAST, ctx, false, true, out, fail);
  else if (eth_is_multicast(d, mh)) br_flood(net, br, skb, cb, BR_PKT_MULTICAST, ctx, false, true, out, fail);
  else {
    const dst = net.fdb.find(brdev, macAt(d, mh), cb.vid, net.nowSec * 1e9 + net.nowNsec);
    if (dst && dst.port) {
      ctx.tracing && ctx.ev('br_dev_xmit', `fdb: ${macStr(dst.mac)} -> ${dst.port.name}`, { dev: brdev.name });
      if (fail) fail.reason = 'NOT_SPECIFIED';
      br_forward(net, br, dst.port, skb, cb, ctx, false, true, out, fail);
    } else if (dst) {
      ctx.tracing && ctx.ev('br_dev_xmit', `fdb: ${macStr(dst.mac)} is the bridge itself: not sent`, { dev: brdev.name });
      if (fail) fail.reason = 'NOT_SPECIFIED';
    } else {
      br_flood(net, br, skb, cb, BR_PKT_UNICAST, ctx, false, true, out, fail);
    }
  }
  skb.dev = saveDev;
  return out;
}

/**
 * dev_queue_xmit(skb) when skb.dev is a bridge device, for the device layer to call: the
 * bridge picks the ports. `replySummary`: the packet is one the kernel built (recorded as a reply
 * on each port); null: it is the captured frame itself (egress on each port, fate forwarded; with
 * no port to send to, the kernel frees it: NO_TX_TARGET from br_flood, NOT_SPECIFIED from br_forward).
 */
export function br_dev_queue_xmit(net: Net, skb: SkBuff, ctx: FrameCtx, brdev: NetDevice, replySummary: string | null): void {
  const fail = { reason: 'NO_TX_TARGET' };
  const ports = br_dev_xmit(net, skb, brdev, ctx, fail);
  if (replySummary !== null) {
    for (const p of ports) ctx.reply(p.name, replySummary);
    if (!ports.length) ctx.tracing && ctx.ev('br_dev_xmit', `reply not sent: ${fail.reason}`, { dev: brdev.name });
    return;
  }
  for (const p of ports) ctx.forward(p.name);
  if (!ports.length) ctx.drop('br_dev_xmit', fail.reason, { dev: brdev.name });
}

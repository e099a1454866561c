// Sending the frames the neighbour layer builds itself (ARP replies and requests, NS/NA):
// the netfilter hooks they cross, then the device, and through a bridge device br_dev_xmit.
// Each frame that leaves lands in ctx.replies as {iface, summary}.

import type { NetDevice } from '../../host/types.js';
import type { FrameCtx } from '../ctx.js';
import { NF_HOOK, type Net } from '../net.js';
import { SkBuff } from '../skbuff.js';
import { br_dev_xmit } from '../bridge/br_device.js';
import { NeighSkb, dev_egress_hooks } from '../core/dev.js';

/** NF_HOOK for a frame the kernel itself sends; false when netfilter did not accept it (an event, not the frame's fate) */
export function nf_hook_out(net: Net, pf: number, hook: number, indev: NetDevice | null, outdev: NetDevice | null, skb: SkBuff, ctx: FrameCtx): boolean {
  return NF_HOOK(net, pf, hook, skb, indev, outdev, ctx, true);
}

/** an SkBuff for an Ethernet frame the model built (mac header at 0, network header at 14) */
export function l2_skb(frame: Uint8Array, dev: NetDevice, proto: number, sec: number, nsec: number): SkBuff {
  const skb = new NeighSkb(frame, frame.length);
  skb.writable = true;
  skb.mac_header = 0;
  skb.network_header = 14;
  skb.protocol = proto;
  skb.dev = dev;
  skb.tstampSec = sec;
  skb.tstampNsec = nsec;
  return skb;
}

/**
 * dev_queue_xmit of a kernel-built frame: the device's egress hooks (netdev egress chains, tc
 * egress: arp_xmit_finish and neigh output both end in dev_queue_xmit), then record it as a reply on
 * each interface it leaves by
 */
export function l2_xmit(net: Net, skb: SkBuff, dev: NetDevice, ctx: FrameCtx, summary: string): void {
  if (!dev_egress_hooks(net, skb, ctx, dev, true)) return;
  if (!dev.up) { ctx.tracing && ctx.ev('dev_queue_xmit', `reply not sent: ${dev.name} is down`); return; }
  if (dev.kind === 'bridge') {
    for (const port of br_dev_xmit(net, skb, dev, ctx)) ctx.reply(port.name, summary);
    return;
  }
  ctx.tracing && ctx.ev('dev_queue_xmit', `reply: ${summary}`, { dev: dev.name });
  ctx.reply(dev.name, summary);
}

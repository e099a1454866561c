// GRO as seen in a capture: a receiving host's tap sees napi_gro_receive's output, so inbound
// TCP may arrive merged beyond the device MTU. The model does not re-segment; it notes the merge
// (skb_shinfo->gso_segs estimate) so later MTU checks treat the frame as GRO output.

import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import type { SkBuff } from '../skbuff.js';

export function gro_note(_net: Net, skb: SkBuff, ctx: FrameCtx): void {
  const dev = skb.dev;
  if (!dev) return;
  const l3len = skb.wireEnd - (skb.network_header >= 0 ? skb.network_header : skb.start);
  if (l3len > dev.mtu) {
    if (dev.gro) {
      skb.gso_segs = Math.ceil(l3len / Math.max(dev.mtu - 40, 1));
      ctx.tracing && ctx.ev('napi_gro_receive', `GRO-merged (${l3len} bytes > mtu ${dev.mtu}, ~${skb.gso_segs} segments)`, { dev: dev.name });
    } else {
      ctx.tracing && ctx.ev('napi_gro_receive', `frame of ${l3len} bytes exceeds mtu ${dev.mtu} with GRO off`, { dev: dev.name });
    }
  }
}

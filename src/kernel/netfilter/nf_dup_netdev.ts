// net/netfilter/nf_dup_netdev.c nf_fwd_netdev_egress / nf_dup_netdev_egress, called by the netdev
// family's `fwd to DEV` (nft_fwd_netdev.c nft_fwd_netdev_eval) and `dup to DEV`
// (nft_dup_netdev.c nft_dup_netdev_eval): nf_do_netdev_egress pushes the MAC header back and
// hands the packet to dev_queue_xmit on DEV, so it meets DEV's netdev egress chains and tc egress
// filters (nf_skip_egress is clear by the time nf_ingress runs). fwd sends the packet itself
// (verdict NF_STOLEN, set by the rule); dup sends a clone and the packet goes on where it was.
import type { NetDevice } from '../../host/types.js';
import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import type { SkBuff } from '../skbuff.js';
import { dev_queue_xmit } from '../core/dev.js';
import { restoreFate, saveFate } from '../sched/act_mirred.js';

/** a rule set that forwards in a circle (fwd to a device whose egress chain forwards back) would
 *  recurse until __dev_queue_xmit's XMIT_RECURSION_LIMIT (8) on a lockless device */
const XMIT_RECURSION_LIMIT = 8;
let depth = 0;

export function nf_netdev_egress(net: Net, skb: SkBuff, ctx: FrameCtx, dev: NetDevice, dup: boolean, fromIngress: boolean): void {
  const fn = dup ? 'nf_dup_netdev_egress' : 'nf_fwd_netdev_egress';
  if (depth >= XMIT_RECURSION_LIMIT) {
    ctx.unsupported.push(`${fn} to ${dev.name}: nested ${XMIT_RECURSION_LIMIT} deep (dead loop on virtual device not modelled)`);
    if (!dup) ctx.drop(fn, 'NOT_SPECIFIED', { dev: dev.name });
    return;
  }
  ctx.tracing && ctx.ev(fn, `${dup ? 'clone' : 'packet'} to ${dev.name}${fromIngress ? ' (from ingress)' : ''}`, { dev: dev.name });
  // skb_clone: the clone's fate (dropped on its way, say) is not the packet's; the packet keeps its
  // device and pkt_type (the model sends the same buffer, as act_mirred's mirror does)
  const saved = dup ? saveFate(ctx) : null;
  const savedDev = skb.dev, savedPkt = skb.pkt_type, savedSkip = skb.nf_skip_egress;
  depth++;
  try {
    // nf_do_netdev_egress: skb->dev = dev; dev_queue_xmit
    skb.dev = dev;
    dev_queue_xmit(net, skb, ctx, dev);
  } finally {
    depth--;
    if (saved) {
      skb.dev = savedDev;
      skb.pkt_type = savedPkt;
      skb.nf_skip_egress = savedSkip;
    }
  }
  if (saved) restoreFate(ctx, saved);
}

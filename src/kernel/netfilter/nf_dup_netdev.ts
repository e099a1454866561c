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
import { ip_finish_output2 } from '../ipv4/ip_output.js';
import { ip6_finish_output2 } from '../ipv6/ip6_output.js';
import { csumReplace2 } from '../../packet/checksum.js';

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

/**
 * nft_fwd_neigh_eval for a packet of the rule's protocol (the rule checked skb->protocol): the
 * TTL (ip_decrease_ttl, incremental checksum) or hop limit is decremented, then neigh_xmit sends it
 * to `nexthop` on `dev` (neighbour lookup or resolution, Ethernet header, dev_queue_xmit).
 */
export function nft_fwd_neigh_xmit(net: Net, skb: SkBuff, ctx: FrameCtx, dev: NetDevice, nexthop: number | Uint8Array): void {
  const nh = skb.network_header;
  const v4 = typeof nexthop === 'number';
  skb.skb_ensure_writable(nh + (v4 ? 12 : 8));
  const d = skb.data;
  if (v4) {
    const ttl = d[nh + 8]!;
    const old = (ttl << 8) | d[nh + 9]!;
    d[nh + 8] = (ttl - 1) & 0xff;
    csumReplace2(d, nh + 10, old, (d[nh + 8]! << 8) | d[nh + 9]!);
    ctx.tracing && ctx.ev('nft_fwd_neigh_eval', `ttl ${ttl} -> ${d[nh + 8]}, to ${dev.name}`, { dev: dev.name, diff: { ttl: [ttl, d[nh + 8]!] } });
  } else {
    const hl = d[nh + 7]!;
    d[nh + 7] = (hl - 1) & 0xff;
    ctx.tracing && ctx.ev('nft_fwd_neigh_eval', `hop limit ${hl} -> ${d[nh + 7]}, to ${dev.name}`, { dev: dev.name, diff: { hop_limit: [hl, d[nh + 7]!] } });
  }
  if (depth >= XMIT_RECURSION_LIMIT) {
    ctx.unsupported.push(`nft_fwd_neigh_eval to ${dev.name}: nested ${XMIT_RECURSION_LIMIT} deep`);
    ctx.drop('nft_fwd_neigh_eval', 'NOT_SPECIFIED', { dev: dev.name });
    return;
  }
  depth++;
  try {
    skb.dev = dev;
    if (v4) ip_finish_output2(net, skb, ctx, dev, nexthop);
    else ip6_finish_output2(net, skb, ctx, dev, nexthop);
  } finally {
    depth--;
  }
}

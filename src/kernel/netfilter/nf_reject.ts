// The answers of a REJECT rule (net/ipv4/netfilter/nf_reject_ipv4.c nf_send_reset /
// nf_send_unreach, net/ipv6/netfilter/nf_reject_ipv6.c nf_send_reset6 / nf_send_unreach6):
// built from the rejected skb and sent through the output path like any packet the kernel makes.

import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import type { SkBuff } from '../skbuff.js';
import type { NfHookState, NfKernelOps } from './hook.js';
import { icmp_send } from '../ipv4/icmp.js';
import { icmpv6_send } from '../ipv6/icmp.js';
import { tcp_send_reset_skb } from '../transport/tcp_ipv4.js';
import { nf_netdev_egress, nft_fwd_neigh_xmit } from './nf_dup_netdev.js';
import { nf_flow_neigh_xmit, nf_flow_route_other } from './nf_flow_table_path.js';

type RejectHow = Parameters<NfKernelOps['sendReject']>[2];

/** nf_send_reset / nf_send_reset6 (tcp reset) or nf_send_unreach / nf_send_unreach6 (ICMP error) */
export function nf_send_reject(net: Net, skb: SkBuff, ctx: FrameCtx, _state: NfHookState, how: RejectHow): void {
  if (how.type === 'tcp-reset') tcp_send_reset_skb(net, skb, ctx);
  else if (how.type === 'icmp') icmp_send(net, skb, ctx, how.icmpType, how.code, 0);
  else icmpv6_send(net, skb, ctx, how.icmpType, how.code, 0);
}

/** The kernel operations netfilter calls back into, bound to the namespace and the frame being replayed
 *  (both set once the namespace exists: the hooks are built before it). */
export function nfKernelOps(ref: { net: Net | null; ctx: FrameCtx | null }): NfKernelOps {
  return {
    sendReject(skb, state, how) {
      if (ref.net && ref.ctx) nf_send_reject(ref.net, skb, ref.ctx, state, how);
    },
    netdevXmit(skb, dev, dup, fromIngress) {
      if (ref.net && ref.ctx) nf_netdev_egress(ref.net, skb, ref.ctx, dev, dup, fromIngress);
    },
    neighXmit(skb, dev, nexthop) {
      if (ref.net && ref.ctx) nft_fwd_neigh_xmit(ref.net, skb, ref.ctx, dev, nexthop);
    },
    flowRoute(v6, daddr, oif, mark) {
      return ref.net ? nf_flow_route_other(ref.net, v6, daddr, oif, mark) : null;
    },
    flowXmit(skb, route) {
      if (ref.net && ref.ctx) nf_flow_neigh_xmit(ref.net, skb, ref.ctx, route);
    },
  };
}

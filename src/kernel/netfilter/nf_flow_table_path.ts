// What the flowtable needs from the routing and neighbour code of the namespace:
// nft_flow_route's nf_route for the other direction (ip_route_output_key / ip6_route_output with
// flowi_oif = the packet's in device, FLOWI_FLAG_ANYSRC), and the fast path's transmit
// (nf_flow_offload_ip_hook: skb->dev = the cached route's device, neigh_xmit to rt_nexthop).

import type { NetDevice } from '../../host/types.js';
import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import type { SkBuff } from '../skbuff.js';
import { newFlow, type FibResult } from '../route/fib.js';
import { ip_finish_output2 } from '../ipv4/ip_output.js';
import { ip6_finish_output2 } from '../ipv6/ip6_output.js';
import type { FlowRoute } from './nf_flow_table.js';

/**
 * nf_route(net, &dst, &fl, false, pf) for `daddr` with the oif set: a route whose nexthop is on
 * `oif`; with none, ip_route_output_key_hash_rcu takes the destination as on-link on the oif device
 * (`if (fl4->flowi4_oif) ... res->type = RTN_UNICAST; goto make_route`).
 */
export function nf_flow_route_other(net: Net, v6: boolean, daddr: number | string, oif: NetDevice, mark: number): FlowRoute | null {
  const f = newFlow();
  if (v6) {
    const a = new Uint8Array(16);
    for (let i = 0; i < 16; i++) a[i] = (daddr as string).charCodeAt(i);
    f.daddr = a;
    f.saddr = new Uint8Array(16);
  } else f.daddr = daddr as number;
  f.oif = oif.ifindex;
  f.iif = 1;
  f.mark = mark;
  f.uid = 0;
  const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
  const err = (v6 ? net.fib6 : net.fib4).lookup(f, r);
  if (err === 0 && r.nh?.dev === oif && r.alias && (r.alias.type === 'unicast' || r.alias.type === 'local')) {
    const gw = r.nh.gw !== null ? r.nh.gw : null;
    return { dev: oif, gw: gw as number | Uint8Array | null, mtu: (r.alias.route.mtu as number | undefined) ?? oif.mtu };
  }
  if (err === 0 && r.alias && r.alias.type !== 'unicast' && r.alias.type !== 'local') return null;
  return { dev: oif, gw: null, mtu: oif.mtu };
}

/** the fast path's neigh_xmit: the Ethernet header for the nexthop's neighbour, then dev_queue_xmit */
export function nf_flow_neigh_xmit(net: Net, skb: SkBuff, ctx: FrameCtx, route: FlowRoute): void {
  const dev = route.dev;
  skb.dev = dev;
  ctx.tracing && ctx.ev('neigh_xmit', `to ${dev.name}${route.gw ? ' via the route\'s gateway' : ''} (cached route of the flow)`, { dev: dev.name });
  // rt_nexthop / rt6_nexthop: the gateway, else the packet's (translated) destination
  if (skb.protocol === 0x0800) ip_finish_output2(net, skb, ctx, dev, typeof route.gw === 'number' ? route.gw : 0);
  else ip6_finish_output2(net, skb, ctx, dev, route.gw instanceof Uint8Array ? route.gw : null);
}

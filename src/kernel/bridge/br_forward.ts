// Forwarding out of bridge ports (net/bridge/br_forward.c): br_forward for a known destination,
// br_flood for unknown unicast, broadcast and multicast. Each copy crosses NF_BR_FORWARD (or
// NF_BR_LOCAL_OUT for frames the bridge device itself sends) and NF_BR_POST_ROUTING, then
// br_dev_queue_push_xmit, whose dev_queue_xmit runs the port's netdev egress chains and tc egress.
// A copy netfilter or tc drops is only that copy: the frame's fate is 'bridged' when at least one
// port sent it.

import type { NetDevice } from '../../host/types.js';
import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import type { SkBuff } from '../skbuff.js';
import { NFPROTO_BRIDGE, NFPROTO_NETDEV, NF_INET_FORWARD, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING, NF_NETDEV_EGRESS } from '../netfilter/hook.js';
import { BR_STATE_FORWARDING, portState, type BridgeRt, type BrInputCb } from './br_private.js';
import { br_allowed_egress, br_handle_vlan } from './br_vlan.js';
import { br_nf_forward, br_nf_post_routing } from './br_netfilter_hooks.js';
import { brHook } from './br_hook.js';
import { recordXmit } from '../core/xmit_copies.js';
import { dev_egress_hooks, kernelBuilt } from '../core/dev.js';

export const BR_PKT_UNICAST = 0;
export const BR_PKT_MULTICAST = 1;
export const BR_PKT_BROADCAST = 2;

/** should_deliver(p, skb): hairpin or another port, forwarding state, VLAN member, not isolated from an isolated source */
export function should_deliver(br: BridgeRt, to: NetDevice, skb: SkBuff, cb: BrInputCb): boolean {
  const bp = to.bridgePort!;
  return (bp.hairpin || skb.dev !== to) && portState(to) === BR_STATE_FORWARDING &&
    br_allowed_egress(br.portVg.get(to.name)!, cb) && !(cb.srcPortIsolated && bp.isolated);
}

/** the result of sending one copy out of one port; `settled`: the port's egress hooks already
 *  decided the frame itself (a drop recorded with its event, or a tc redirect that sent it elsewhere) */
export type XmitResult = { ok: true } | { ok: false; reason: string; settled?: boolean };

const SENT: XmitResult = { ok: true };

/**
 * __br_forward + br_forward_finish + br_dev_queue_push_xmit for one port. Returns whether the
 * copy left; the caller settles the fate. indev: the port it came in by (null when local_orig).
 */
export function __br_forward(net: Net, br: BridgeRt, to: NetDevice, skb: SkBuff, cb: BrInputCb, ctx: FrameCtx, localOrig: boolean, whole = false): XmitResult {
  const indev = skb.dev;
  const vlan = br_handle_vlan(br.portVg.get(to.name)!, cb);
  ctx.tracing && ctx.ev('__br_forward', vlan ? `to ${to.name}, ${vlan}` : (br.toText.get(to) ?? `to ${to.name}`), { dev: indev?.name });
  const hook = localOrig ? NF_INET_LOCAL_OUT : NF_INET_FORWARD;
  let r = brHook(net, NFPROTO_BRIDGE, hook, skb, localOrig ? null : indev, to, ctx);
  if (r) return { ok: false, reason: r };
  if (!localOrig) {
    r = br_nf_forward(net, br, skb, indev!, to, ctx);
    if (r) return { ok: false, reason: r };
  }
  r = brHook(net, NFPROTO_BRIDGE, NF_INET_POST_ROUTING, skb, null, to, ctx);
  if (r) return { ok: false, reason: r };
  r = br_nf_post_routing(net, br, skb, to, ctx);
  if (r) return { ok: false, reason: r };
  // br_dev_queue_push_xmit: is_skb_forwardable (device up, length <= mtu + ETH_HLEN + VLAN_HLEN unless GSO)
  if (!to.up) {
    ctx.tracing && ctx.ev('br_dev_queue_push_xmit', `${to.name} is down: kfree_skb`, { dev: to.name });
    return { ok: false, reason: 'NOT_SPECIFIED' };
  }
  // skb->len here counts the Ethernet header but not a tag held in skb->vlan_tci; our bytes still
  // hold a tag that came in the frame (network header 18 bytes in), so leave it out
  const mh = skb.mac_header >= 0 ? skb.mac_header : skb.start;
  const len = skb.wireEnd - mh - (skb.network_header - mh >= 18 ? 4 : 0);
  if (len > to.mtu + 14 + 4 && skb.gso_segs <= 1) {
    ctx.tracing && ctx.ev('br_dev_queue_push_xmit', `${len} bytes > mtu ${to.mtu} of ${to.name} (+ header and tag): kfree_skb`, { dev: to.name });
    return { ok: false, reason: 'NOT_SPECIFIED' };
  }
  ctx.tracing && ctx.ev('br_dev_queue_push_xmit', 'dev_queue_xmit', { dev: to.name });
  const r2 = port_egress_hooks(net, skb, ctx, to, whole);
  if (r2) return r2;
  // dev_queue_xmit_nit on the port: tcpdump -i any sees this copy leave
  if (!kernelBuilt(skb)) recordXmit(net.copies, skb, to, skb.frameNo || ctx.frame, net.nowSec + net.nowNsec / 1e9);
  return SENT;
}

/**
 * The egress steps of the port's dev_queue_xmit (__dev_queue_xmit: nf_hook_egress, then
 * sch_handle_egress): null when the copy goes on to the device. `whole`: this copy is the frame
 * itself and nothing else of it is sent or passed up (br_forward of a known destination without
 * local_rcv): what the hooks decided is the frame's fate. Otherwise a drop or consume there is
 * this copy's only and the fate is put back; a tc redirect that sent the frame out of another
 * device (fate forwarded) stands, as the recorder sees the frame leave there.
 */
function port_egress_hooks(net: Net, skb: SkBuff, ctx: FrameCtx, to: NetDevice, whole: boolean): XmitResult | null {
  if (!net.host.tc && !net.nf.active(NFPROTO_NETDEV, NF_NETDEV_EGRESS)) return null;
  const reply = kernelBuilt(skb);
  const fate = ctx.fate;
  const reason = ctx.reason;
  if (dev_egress_hooks(net, skb, ctx, to, reply)) return null;
  // a reply the kernel built: dev_egress_hooks listed it as dropped (or consumed) already
  if (reply || ctx.fate === fate) return { ok: false, reason: 'NOT_SPECIFIED' };
  if (ctx.fate === 'forwarded' || ctx.fate === 'bridged') return { ok: false, reason: 'NOT_SPECIFIED', settled: true };
  const why = ctx.fate === 'consumed' ? 'STOLEN' : ctx.reason ?? 'NOT_SPECIFIED';
  if (whole) return { ok: false, reason: why, settled: true };
  ctx.fate = fate;
  ctx.reason = reason;
  return { ok: false, reason: why };
}

/**
 * br_forward(to, skb, local_rcv, local_orig). Records the egress; when the copy is not sent and
 * the frame is not also passed up (local_rcv), the frame is dropped: kfree_skb NOT_SPECIFIED
 * for should_deliver() failing, else the hook's reason.
 */
export function br_forward(net: Net, br: BridgeRt, to: NetDevice, skb: SkBuff, cb: BrInputCb, ctx: FrameCtx, localRcv: boolean, localOrig: boolean, out?: NetDevice[], fail?: { reason: string }): void {
  if (should_deliver(br, to, skb, cb)) {
    const r = __br_forward(net, br, to, skb, cb, ctx, localOrig, !localRcv && !out);
    if (r.ok) { if (out) out.push(to); else ctx.bridge(to.name); return; }
    if (fail) fail.reason = r.reason;
    if (!localRcv && !out && !r.settled) {
      if (r.reason === 'STOLEN') ctx.consume('nf_hook_slow', 'NF_STOLEN');
      else ctx.drop('br_forward', r.reason, { dev: to.name });
    }
    return;
  }
  const why = to === skb.dev ? `destination is on the ingress port ${to.name} (no hairpin)` : `${to.name} may not receive it (state ${to.bridgePort?.state}, VLAN or isolation)`;
  if (!localRcv && !out) ctx.drop('br_forward', 'NOT_SPECIFIED', { dev: to.name, detail: { why } });
  else ctx.tracing && ctx.ev('br_forward', `not delivered: ${why}`, { dev: to.name });
}

/**
 * br_flood(br, skb, pkt_type, local_rcv, local_orig, vid): a copy to every port that should get
 * it. Unicast floods only to ports with flood on; multicast/broadcast to ports with mcast_flood/
 * bcast_flood on unless the bridge itself sent it. With no port to send to and no local copy the
 * frame is freed with NO_TX_TARGET.
 */
export function br_flood(net: Net, br: BridgeRt, skb: SkBuff, cb: BrInputCb, pktType: number, ctx: FrameCtx, localRcv: boolean, localOrig: boolean, out?: NetDevice[], fail?: { reason: string }): void {
  const sent: NetDevice[] = out ?? [];
  // maybe_deliver clones for every port but the last, which gets the frame's own skb (unless
  // local_rcv): the frame's drop reason is the last port's
  let lastFail: string | null = null;
  let candidates = 0;
  for (const p of br.ports) {
    const bp = p.bridgePort!;
    if (pktType === BR_PKT_UNICAST && !bp.flood) continue;
    if (pktType === BR_PKT_MULTICAST && !bp.mcastFlood && skb.dev !== br.dev) continue;
    if (pktType === BR_PKT_BROADCAST && !bp.bcastFlood && skb.dev !== br.dev) continue;
    if (!should_deliver(br, p, skb, cb)) continue;
    candidates++;
    const r = __br_forward(net, br, p, skb, cb, ctx, localOrig);
    if (r.ok) sent.push(p);
    else lastFail = r.reason;
  }
  if (fail && lastFail && !sent.length) fail.reason = lastFail;
  const kind = pktType === BR_PKT_UNICAST ? 'unknown unicast' : pktType === BR_PKT_BROADCAST ? 'broadcast' : 'multicast';
  ctx.tracing && ctx.ev('br_flood', `${kind}: ${sent.length ? 'sent to ' + sent.map((p) => p.name).join(', ') : candidates ? `no copy sent (${lastFail})` : 'no port to send to'}`, { dev: skb.dev?.name });
  if (out) return;
  for (const p of sent) ctx.bridge(p.name);
  if (!sent.length && !localRcv) {
    if (lastFail === 'STOLEN') ctx.consume('nf_hook_slow', 'NF_STOLEN');
    else if (candidates && lastFail) ctx.drop('br_flood', lastFail, { dev: skb.dev?.name });
    else ctx.drop('br_flood', 'NO_TX_TARGET', { dev: skb.dev?.name });
  }
}

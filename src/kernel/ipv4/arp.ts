// ARP input and the ARP side of the neighbour layer (net/ipv4/arp.c, Linux 6.x).
// arp_rcv -> NF_HOOK(NFPROTO_ARP, NF_ARP_IN) -> arp_process: header checks, DAD probes, replies
// for local addresses (arp_ignore / arp_filter), proxy ARP, neighbour updates (arp_accept).
// Fate, as the kernel frees the skb: arp_process ends in consume_skb for every frame it
// understood (answered or not: a request for another host is consumed, not dropped); header
// problems end in kfree_skb_reason(NOT_SPECIFIED); a short frame PKT_TOO_SMALL (arp_rcv).

import type { NetDevice } from '../../host/types.js';
import { nfEvents, type FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import type { SkBuff } from '../skbuff.js';
import { PACKET_HOST, PACKET_LOOPBACK, PACKET_OTHERHOST } from '../skbuff.js';
import { NFPROTO_ARP } from '../netfilter/hook.js';
import { ipv4ToString, macToString } from '../../packet/addr.js';
import { writeArp, writeEthHdr } from '../../packet/build.js';
import { newFlow, type FibResult } from '../route/fib.js';
import { ip_route_input_noref } from './route.js';
import {
  NEIGH_PARMS, NEIGH_UPDATE_F_OVERRIDE, NUD_REACHABLE, NUD_STALE, describeUpdate, neigh_update, type Neigh,
} from '../neigh/neighbour.js';
import { l2_skb, l2_xmit, nf_hook_out } from '../neigh/output.js';

export const NF_ARP_IN = 0;
export const NF_ARP_OUT = 1;
export const NF_ARP_FORWARD = 2;
const ARPOP_REQUEST = 1;
const ARPOP_REPLY = 2;
const ETH_P_ARP = 0x0806;
const ETH_P_IP = 0x0800;

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** arp_rcv(skb, dev, pt, orig_dev) */
export function arp_rcv(net: Net, skb: SkBuff, ctx: FrameCtx): void {
  const dev = skb.dev!;
  // "do not tweak dropwatch on an ARP we will ignore"
  if (dev.flags.has('NOARP') || skb.pkt_type === PACKET_OTHERHOST || skb.pkt_type === PACKET_LOOPBACK) {
    ctx.consume('arp_rcv', dev.flags.has('NOARP') ? 'device is NOARP: consume_skb' : 'not for this host (PACKET_OTHERHOST): consume_skb');
    return;
  }
  const off = skb.network_header;
  // pskb_may_pull_reason(skb, arp_hdr_len(dev)): 8 + 2 * (6 + 4) for Ethernet
  if (skb.tail - off < 28) {
    ctx.drop('arp_rcv', 'PKT_TOO_SMALL', { dev: dev.name, detail: { have: skb.tail - off, need: 28 } });
    return;
  }
  const d = skb.data;
  if (d[off + 4] !== 6 || d[off + 5] !== 4) {
    ctx.drop('arp_rcv', 'NOT_SPECIFIED', { dev: dev.name, detail: { ar_hln: d[off + 4], ar_pln: d[off + 5] } });
    return;
  }
  const r = net.nf.nf_hook({ pf: NFPROTO_ARP, hook: NF_ARP_IN, in: dev, out: null }, skb, nfEvents(ctx));
  if (r.verdicts.length) ctx.verdicts.push(...r.verdicts);
  if (r.unsupported) ctx.unsupported.push(...r.unsupported);
  if (r.verdict === 'drop') { ctx.drop('nf_hook_slow', r.reason ?? 'NETFILTER_DROP', { dev: dev.name }); return; }
  if (r.verdict !== 'accept') { ctx.consume('nf_hook_slow', `arp input: ${r.verdict}`); return; }
  arp_process(net, skb, ctx);
}

/** arp_process(net, sk, skb) */
export function arp_process(net: Net, skb: SkBuff, ctx: FrameCtx): void {
  const dev = skb.dev!;
  const d = skb.data;
  const off = skb.network_header;
  const conf = (knob: string) => net.host.sysctls.conf(4, dev.name, knob);
  const hrd = (d[off] << 8) | d[off + 1];
  const pro = (d[off + 2] << 8) | d[off + 3];
  const op = (d[off + 6] << 8) | d[off + 7];
  // ARPHRD_ETHER device: ar_hrd must be ETHER or IEEE802, ar_pro IP
  if ((hrd !== 1 && hrd !== 6) || pro !== ETH_P_IP) {
    ctx.drop('arp_process', 'NOT_SPECIFIED', { dev: dev.name, detail: { ar_hrd: hrd, ar_pro: pro } });
    return;
  }
  // "Understand only these message types"
  if (op !== ARPOP_REPLY && op !== ARPOP_REQUEST) {
    ctx.drop('arp_process', 'NOT_SPECIFIED', { dev: dev.name, detail: { ar_op: op } });
    return;
  }
  const sha = d.subarray(off + 8, off + 14);
  const sip = u32(d, off + 14);
  const tha = d.subarray(off + 18, off + 24);
  const tip = u32(d, off + 24);
  const what = `${op === ARPOP_REQUEST ? 'request who-has' : 'reply'} ${ipv4ToString(tip)} ${op === ARPOP_REQUEST ? 'tell' : 'from'} ${ipv4ToString(sip)}`;
  // "Check for bad requests for 127.x.x.x and requests for multicast addresses"
  if (((tip & 0xf0000000) >>> 0) === 0xe0000000 || (!conf('route_localnet') && (tip & 0xff000000) === 0x7f000000)) {
    ctx.drop('arp_process', 'NOT_SPECIFIED', { dev: dev.name, detail: { tip: ipv4ToString(tip), why: 'multicast or loopback target' } });
    return;
  }
  if (sip === tip && conf('drop_gratuitous_arp')) {
    ctx.drop('arp_process', 'NOT_SPECIFIED', { dev: dev.name, detail: { why: 'gratuitous ARP and drop_gratuitous_arp' } });
    return;
  }
  const now = net.nowSec * 1e9 + net.nowNsec;

  // RFC 2131 duplicate address detection probe (sender 0.0.0.0)
  if (sip === 0) {
    if (op === ARPOP_REQUEST && localAddrType(net, dev, tip) && !arp_ignore(net, dev, sip, tip)) {
      arp_send(net, ARPOP_REPLY, sip, dev, tip, sha, dev.mac!, sha, ctx, 'arp_process (DAD probe for a local address)');
    }
    ctx.consume('arp_process', `${what} (DAD probe): consume_skb`);
    return;
  }

  if (op === ARPOP_REQUEST) {
    // ip_route_input_noref(skb, tip, sip, 0, dev): martian sources, rp_filter and the policy rules apply
    const r = ip_route_input_noref(net, tip, sip, 0, dev, skb.mark, 0, 0, 0, ctx);
    const rt = typeof r === 'string' ? 'error' : r.type;
    if (typeof r === 'string') ctx.tracing && ctx.ev('arp_process', `no route for the request (${r}): tables only`, { dev: dev.name });
    if (rt === 'local') {
      let dont = arp_ignore(net, dev, sip, tip);
      let why = dont ? `arp_ignore=${conf('arp_ignore')}` : '';
      if (!dont && conf('arp_filter')) {
        dont = arp_filter(net, sip, tip, dev);
        if (dont) why = 'arp_filter: route to sender leaves by another device';
      }
      if (!dont) {
        const { n, r } = net.neigh.neigh_event_ns(4, sha, sip, dev, now);
        ctx.tracing && ctx.ev('neigh_event_ns', describeUpdate(n, r), { dev: dev.name });
        arp_send(net, ARPOP_REPLY, sip, dev, tip, sha, dev.mac!, sha, ctx, 'arp_process');
      } else {
        ctx.tracing && ctx.ev('arp_process', `no reply: ${why}`, { dev: dev.name });
      }
      ctx.consume('arp_process', `${what}: target is local: consume_skb`);
      return;
    }
    if (rt === 'unicast' && conf('forwarding')) {
      const proxied = arp_fwd_proxy(net, dev, tip, typeof r === 'string' ? null : r.dev);
      if (proxied) {
        const { n, r } = net.neigh.neigh_event_ns(4, sha, sip, dev, now);
        ctx.tracing && ctx.ev('neigh_event_ns', describeUpdate(n, r), { dev: dev.name });
        // proxy_delay (default 80 jiffies) delays replies to frames not addressed to us (pneigh_enqueue)
        if (skb.pkt_type === PACKET_HOST) {
          arp_send(net, ARPOP_REPLY, sip, dev, tip, sha, dev.mac!, sha, ctx, `arp_process (proxy ARP: ${proxied})`);
        } else {
          ctx.tracing && ctx.ev('pneigh_enqueue', 'proxy reply delayed by proxy_delay (up to 0.8 s), then sent', { dev: dev.name });
          arp_send(net, ARPOP_REPLY, sip, dev, tip, sha, dev.mac!, sha, ctx, `arp_process (proxy ARP: ${proxied}, delayed)`);
        }
        ctx.consume('arp_process', `${what}: proxied: consume_skb`);
        return;
      }
    }
  }

  // "Update our ARP tables"
  let n = net.neigh.lookup(4, sip, dev, now);
  const accept = arp_accept(net, dev, sip);
  let isGarp = false;
  if (n || accept) isGarp = arp_is_garp(net, dev, op, sip, tip, sha, tha);
  if (accept && !n) {
    // Unsolicited ARP is not accepted by default
    if (isGarp || (op === ARPOP_REPLY && routeType(net, sip, 0, dev) === 'unicast')) n = net.neigh.create(4, sip, dev);
  }
  if (n) {
    // "If several different ARP replies follows back-to-back, use the FIRST one" (locktime)
    const override = now > n.updated + NEIGH_PARMS.locktime || Number.isNaN(n.updated) || isGarp;
    // "Broadcast replies and request packets do not assert neighbour reachability."
    const state = op !== ARPOP_REPLY || skb.pkt_type !== PACKET_HOST ? NUD_STALE : NUD_REACHABLE;
    const r = neigh_update(n, sha, state, override ? NEIGH_UPDATE_F_OVERRIDE : 0, now);
    ctx.tracing && ctx.ev('neigh_update', describeUpdate(n, r), { dev: dev.name });
  } else {
    ctx.tracing && ctx.ev('arp_process', `no neighbour entry for ${ipv4ToString(sip)} and arp_accept=${conf('arp_accept')}: table not updated`, { dev: dev.name });
  }
  ctx.consume('arp_process', `${what}: consume_skb`);
}

/** arp_ignore(in_dev, sip, tip): 1 = do not reply */
export function arp_ignore(net: Net, dev: NetDevice, sip: number, tip: number): boolean {
  const mode = net.host.sysctls.conf(4, dev.name, 'arp_ignore');
  switch (mode) {
    case 0: return false;
    case 1: return !confirmAddr(net, dev, 0, tip, false); // tip configured on the incoming interface
    case 2: return !confirmAddr(net, dev, sip, tip, false); // ... and sip in that address's subnet
    case 3: return !confirmAddr(net, null, 0, tip, true); // do not reply for scope host addresses
    case 8: return true;
    default: return false;
  }
}

/** inet_confirm_addr(net, in_dev, dst, local, scope): `local` on dev (any dev when null) with dst in its subnet */
function confirmAddr(net: Net, dev: NetDevice | null, dst: number, local: number, linkScope: boolean): boolean {
  const devs = dev ? [dev] : net.host.devices;
  for (const d of devs) {
    for (const a of d.addrs) {
      if (a.family !== 4 || a.local !== local) continue;
      if (linkScope && a.scope === 'host') continue;
      if (dst) {
        const m = a.prefixlen === 0 ? 0 : (0xffffffff << (32 - a.prefixlen)) >>> 0;
        if ((((a.local as number) ^ dst) & m) >>> 0 !== 0) continue;
      }
      return true;
    }
  }
  return false;
}

/** arp_accept(in_dev, sip): 0 never create, 1 always, 2 only when sip is in a subnet of the device */
function arp_accept(net: Net, dev: NetDevice, sip: number): boolean {
  const v = net.host.sysctls.conf(4, dev.name, 'arp_accept');
  if (v === 1) return true;
  if (v === 2) {
    for (const a of dev.addrs) {
      if (a.family !== 4) continue;
      const m = a.prefixlen === 0 ? 0 : (0xffffffff << (32 - a.prefixlen)) >>> 0;
      if ((((a.local as number) ^ sip) & m) >>> 0 === 0) return true;
    }
  }
  return false;
}

/** arp_is_garp: a request or reply whose sender and target address are the same and unicast */
function arp_is_garp(net: Net, dev: NetDevice, op: number, sip: number, tip: number, sha: Uint8Array, tha: Uint8Array): boolean {
  let garp = sip === tip;
  // Gratuitous ARP _replies_ also require target hwaddr to be the same as source
  if (garp && op === ARPOP_REPLY) for (let i = 0; i < 6; i++) if (sha[i] !== tha[i]) garp = false;
  return garp && routeType(net, sip, 0, dev) === 'unicast';
}

/** arp_filter(sip, tip, dev): 1 when the route back to the sender does not leave by `dev` */
function arp_filter(net: Net, sip: number, tip: number, dev: NetDevice): boolean {
  const fl = newFlow();
  fl.daddr = sip; fl.saddr = tip;
  const out = {} as FibResult;
  if (net.fib4.lookup(fl, out) !== 0) return true;
  return out.nh?.dev !== dev;
}

/** arp_fwd_proxy (proxy_arp on the device, route leaves by another device), arp_fwd_pvlan, or a pneigh (ip neigh add proxy) entry */
function arp_fwd_proxy(net: Net, dev: NetDevice, tip: number, outDev: NetDevice | null): string | null {
  if (outDev === dev) {
    // arp_fwd_pvlan: the same device only with proxy_arp_pvlan
    return net.host.sysctls.conf(4, dev.name, 'proxy_arp_pvlan') ? 'proxy_arp_pvlan' : null;
  }
  // arp_fwd_proxy: medium_id is 0 by default (not in a snapshot), so proxy_arp alone decides
  if (net.host.sysctls.conf(4, dev.name, 'proxy_arp')) return 'proxy_arp';
  for (const nb of net.host.neigh) if (nb.family === 4 && nb.dst === tip && nb.state.includes('PROXY') && (!nb.dev || nb.dev === dev.name)) return 'pneigh entry';
  return null;
}

/** inet_addr_type_dev_table(net, dev, addr) == RTN_LOCAL */
function localAddrType(net: Net, dev: NetDevice, a: number): boolean {
  return routeType(net, a, 0, dev) === 'local';
}

/** the route type a lookup of `daddr` gives (fib lookup; 'none' when there is no route) */
function routeType(net: Net, daddr: number, saddr: number, dev: NetDevice): string {
  const fl = newFlow();
  fl.daddr = daddr; fl.saddr = saddr; fl.iif = dev.ifindex;
  const out = {} as FibResult;
  if (net.fib4.lookup(fl, out) !== 0) return 'none';
  return out.alias.type;
}

/** arp_send_dst -> arp_create + arp_xmit (NF_ARP_OUT) -> dev_queue_xmit */
export function arp_send(net: Net, type: number, destIp: number, dev: NetDevice, srcIp: number, destHw: Uint8Array | null,
  srcHw: Uint8Array, targetHw: Uint8Array | null, ctx: FrameCtx, by: string): void {
  const frame = new Uint8Array(42);
  const bcast = new Uint8Array([255, 255, 255, 255, 255, 255]);
  const zero = new Uint8Array(6);
  writeEthHdr(frame, 0, destHw ?? bcast, 0, srcHw, 0, ETH_P_ARP);
  writeArp(frame, 14, type, srcHw, 0, srcIp, targetHw ?? zero, 0, destIp);
  const skb = l2_skb(frame, dev, ETH_P_ARP, net.nowSec, net.nowNsec);
  const summary = arpSummary(frame, 14, 28);
  // another skb than the frame: its steps are the reply's (ctx.beginReply)
  ctx.beginReply();
  ctx.tracing && ctx.ev('arp_send_dst', `${by}: ${summary}`, { dev: dev.name });
  if (nf_hook_out(net, NFPROTO_ARP, NF_ARP_OUT, null, dev, skb, ctx)) l2_xmit(net, skb, dev, ctx, summary);
  ctx.endReply();
}

/** tcpdump -nn one-line summary of an Ethernet/IPv4 ARP body at off */
export function arpSummary(d: Uint8Array, off: number, len: number): string {
  const op = (d[off + 6] << 8) | d[off + 7];
  const spa = ipv4ToString(u32(d, off + 14));
  const tpa = ipv4ToString(u32(d, off + 24));
  if (op === ARPOP_REQUEST) {
    let thaZero = true;
    for (let i = 0; i < 6; i++) if (d[off + 18 + i]) thaZero = false;
    return `ARP, Request who-has ${tpa}${thaZero ? '' : ` (${macToString(d, off + 18)})`} tell ${spa}, length ${len}`;
  }
  if (op === ARPOP_REPLY) return `ARP, Reply ${spa} is-at ${macToString(d, off + 8)}, length ${len}`;
  return `ARP, op ${op}, length ${len}`;
}

/**
 * arp_solicit(neigh, skb): the request neigh_probe sends for an unresolved entry. Source address
 * per arp_announce: 0 = the packet's source when it is local, else inet_select_addr(dev, target,
 * RT_SCOPE_LINK); 1 = the packet's source only when on-link with the target; 2 = always select.
 * Broadcast while INCOMPLETE; unicast to the cached address while PROBE (ucast_probes).
 */
export function arp_solicit(net: Net, n: Neigh, skb: SkBuff | null, ctx: FrameCtx): void {
  const dev = n.dev;
  const target = n.key as number;
  let saddr = 0;
  const announce = net.host.sysctls.conf(4, dev.name, 'arp_announce');
  if (skb && skb.network_header >= 0 && announce !== 2) {
    const s = u32(skb.data, skb.network_header + 12);
    if (localAddrType(net, dev, s)) {
      if (announce === 0) saddr = s;
      else if (onlink(dev, target, s)) saddr = s;
    }
  }
  if (!saddr) saddr = net.inet_select_addr(dev, target);
  const unicast = (n.state & 0x10) !== 0 && n.ha; // NUD_PROBE
  arp_send(net, ARPOP_REQUEST, target, dev, saddr, unicast ? n.ha : null, dev.mac!, unicast ? n.ha : null, ctx, 'arp_solicit');
}

function onlink(dev: NetDevice, a: number, b: number): boolean {
  for (const ad of dev.addrs) {
    if (ad.family !== 4) continue;
    const m = ad.prefixlen === 0 ? 0 : (0xffffffff << (32 - ad.prefixlen)) >>> 0;
    if ((((ad.local as number) ^ a) & m) >>> 0 === 0 && (((ad.local as number) ^ b) & m) >>> 0 === 0) return true;
  }
  return false;
}

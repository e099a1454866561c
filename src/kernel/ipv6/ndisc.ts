// IPv6 neighbour discovery input and the ND side of the neighbour layer (net/ipv6/ndisc.c, 6.x).
// icmpv6_rcv calls ndisc_rcv for types 133-137; ndisc_rcv returns a drop reason and icmpv6_rcv
// does `if (reason) kfree_skb_reason(skb, reason); else consume_skb(skb)`. Each handler starts
// from SKB_DR(reason) = NOT_SPECIFIED and sets SKB_CONSUMED only on its success path, so e.g.
// an NA nobody asked for, or an RS to a host that is not a router, is a NOT_SPECIFIED drop.

import type { IfAddr, NetDevice } from '../../host/types.js';
import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import type { SkBuff } from '../skbuff.js';
import { PACKET_HOST } from '../skbuff.js';
import { NFPROTO_IPV6, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING } from '../netfilter/hook.js';
import { ipv6ToString } from '../../packet/addr.js';
import { writeEthHdr, writeIpv6Hdr, writeNdOptLladdr, fillL4ChecksumV6 } from '../../packet/build.js';
import {
  NEIGH_UPDATE_F_ISROUTER, NEIGH_UPDATE_F_OVERRIDE, NEIGH_UPDATE_F_OVERRIDE_ISROUTER, NEIGH_UPDATE_F_WEAK_OVERRIDE,
  NUD_FAILED, NUD_REACHABLE, NUD_STALE, describeUpdate, neigh_resolve, neigh_update, type Neigh,
} from '../neigh/neighbour.js';
import { l2_skb, l2_xmit, nf_hook_out } from '../neigh/output.js';

export const NDISC_ROUTER_SOLICITATION = 133;
export const NDISC_ROUTER_ADVERTISEMENT = 134;
export const NDISC_NEIGHBOUR_SOLICITATION = 135;
export const NDISC_NEIGHBOUR_ADVERTISEMENT = 136;
export const NDISC_REDIRECT = 137;
const ND_OPT_SOURCE_LL_ADDR = 1;
const ND_OPT_TARGET_LL_ADDR = 2;
const ND_OPT_NONCE = 14;
const ETH_P_IPV6 = 0x86dd;
const ALL_NODES = new Uint8Array([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

interface NdOpts { src: number; tgt: number; nonce: number }

/** ndisc_parse_options: offsets of the options the model uses (-1 absent), or null when malformed */
function ndisc_parse_options(d: Uint8Array, off: number, end: number): NdOpts | null {
  const o: NdOpts = { src: -1, tgt: -1, nonce: -1 };
  while (off < end) {
    if (end - off < 2) return null;
    const l = d[off + 1] << 3;
    if (end - off < l || l === 0) return null;
    const t = d[off];
    // a duplicated option only warns; the first one counts
    if (t === ND_OPT_SOURCE_LL_ADDR && o.src < 0) o.src = off;
    else if (t === ND_OPT_TARGET_LL_ADDR && o.tgt < 0) o.tgt = off;
    else if (t === ND_OPT_NONCE && o.nonce < 0) o.nonce = off;
    off += l;
  }
  return o;
}

/** ndisc_opt_addr_data: the 6-byte address, or null when the option length is not 8 bytes */
function optAddr(d: Uint8Array, opt: number): Uint8Array | null {
  if (opt < 0) return null;
  if (d[opt + 1] !== 1) return null;
  return d.subarray(opt + 2, opt + 8);
}

function isAny(a: Uint8Array, o: number): boolean {
  for (let i = 0; i < 16; i++) if (a[o + i]) return false;
  return true;
}

/** ipv6_get_ifaddr(net, addr, dev, strict=1): is addr configured on dev */
function devHasAddr(dev: NetDevice, a: Uint8Array, o: number): boolean {
  return devAddr(dev, a, o) !== null;
}

/** the inet6_ifaddr for addr on dev (tentative ones included, as ipv6_get_ifaddr finds them) */
function devAddr(dev: NetDevice, a: Uint8Array, o: number): IfAddr | null {
  outer: for (const ad of dev.addrs) {
    if (ad.family !== 6) continue;
    const l = ad.local as Uint8Array;
    for (let i = 0; i < 16; i++) if (l[i] !== a[o + i]) continue outer;
    return ad;
  }
  return null;
}

/** ndisc_rcv(skb), with icmpv6_rcv's consume/kfree tail */
export function ndisc_rcv(net: Net, skb: SkBuff, ctx: FrameCtx): void {
  const dev = skb.dev!;
  const d = skb.data;
  const nh = skb.network_header;
  const th = skb.transport_header >= 0 ? skb.transport_header : nh + 40;
  const end = Math.min(skb.tail, nh + 40 + ((d[nh + 4] << 8) | d[nh + 5]));
  const type = d[th];
  const fin = (fn: string, reason: string | null, what: string) => {
    if (reason) ctx.drop(fn, reason, { dev: dev.name, detail: { why: what } });
    else ctx.consume(fn, what);
  };
  if (d[nh + 7] !== 255) return fin('ndisc_rcv', 'IPV6_NDISC_HOP_LIMIT', `invalid hop-limit: ${d[nh + 7]}`);
  if (d[th + 1] !== 0) return fin('ndisc_rcv', 'IPV6_NDISC_BAD_CODE', `invalid ICMPv6 code: ${d[th + 1]}`);
  switch (type) {
    case NDISC_NEIGHBOUR_SOLICITATION: return ndisc_recv_ns(net, skb, ctx, th, end, fin);
    case NDISC_NEIGHBOUR_ADVERTISEMENT: return ndisc_recv_na(net, skb, ctx, th, end, fin);
    case NDISC_ROUTER_SOLICITATION: return ndisc_recv_rs(net, skb, ctx, th, end, fin);
    case NDISC_ROUTER_ADVERTISEMENT: return ndisc_router_discovery(net, skb, ctx, th, end, fin);
    case NDISC_REDIRECT:
      ctx.unsupported.push('ndisc_redirect_rcv: ICMPv6 redirects are not modelled');
      return fin('ndisc_redirect_rcv', null, 'redirect (not modelled)');
    default: return fin('ndisc_rcv', 'NOT_SPECIFIED', `type ${type}`);
  }
}

type Fin = (fn: string, reason: string | null, what: string) => void;

/** ndisc_recv_ns */
function ndisc_recv_ns(net: Net, skb: SkBuff, ctx: FrameCtx, th: number, end: number, fin: Fin): void {
  const dev = skb.dev!;
  const d = skb.data;
  const nh = skb.network_header;
  if (end - th < 24) return fin('ndisc_recv_ns', 'PKT_TOO_SMALL', 'shorter than struct nd_msg');
  const tgt = th + 8;
  const target = d.slice(tgt, tgt + 16);
  const saddr = d.slice(nh + 8, nh + 24);
  const dad = isAny(d, nh + 8);
  const daddrMcast = d[nh + 24] === 0xff;
  if (d[tgt] === 0xff) return fin('ndisc_recv_ns', 'NOT_SPECIFIED', 'NS: multicast target address');
  // RFC 2461 7.1.1: DAD has to be destined for solicited node multicast address
  // ipv6_addr_is_solict_mult: ff02::1:ffXX:XXXX
  let solictMult = d[nh + 24] === 0xff && d[nh + 25] === 0x02 && d[nh + 35] === 1 && d[nh + 36] === 0xff;
  for (let i = 26; i <= 34 && solictMult; i++) if (d[nh + i] !== 0) solictMult = false;
  if (dad && !solictMult) return fin('ndisc_recv_ns', 'NOT_SPECIFIED', 'NS: bad DAD packet (wrong destination)');
  const opts = ndisc_parse_options(d, th + 24, end);
  if (!opts) return fin('ndisc_recv_ns', 'IPV6_NDISC_BAD_OPTIONS', 'malformed ND options');
  let lladdr: Uint8Array | null = null;
  if (opts.src >= 0) {
    lladdr = optAddr(d, opts.src);
    if (!lladdr) return fin('ndisc_recv_ns', 'NOT_SPECIFIED', 'NS: invalid link-layer address length');
    if (dad) return fin('ndisc_recv_ns', 'NOT_SPECIFIED', 'NS: bad DAD packet (link-layer address option)');
  }
  const inc = daddrMcast;
  const ifa = devAddr(dev, target, 0);
  const ifp = ifa !== null;
  if (ifa && (ifa.tentative || ifa.dadfailed)) {
    // ndisc_recv_ns: IFA_F_TENTATIVE (a failed address keeps it): a DAD NS is a collision
    // (addrconf_dad_failure), any other NS is ignored; no NA either way, reason NOT_SPECIFIED
    if (dad) ctx.unsupported.push('addrconf_dad_failure: DAD collision on a tentative address (address state change not modelled)');
    return fin('ndisc_recv_ns', 'NOT_SPECIFIED', `NS for tentative ${ipv6ToString(target, 0)}: ${dad ? 'DAD collision' : 'ignored'}`);
  }
  const forwarding = idevForwarding(net, dev);
  let isRouter = -1;
  if (!ifp) {
    const proxy = forwarding && (net.host.sysctls.conf(6, 'all', 'proxy_ndp') || net.host.sysctls.conf(6, dev.name, 'proxy_ndp'));
    // pneigh_lookup(&nd_tbl, net, &msg->target, dev, 0): the target on this device (or on none)
    const pneigh = proxy ? net.host.neigh.find((n) => n.family === 6 && n.state.includes('PROXY') && eq16(n.dst as Uint8Array, target) && (!n.dev || n.dev === dev.name)) : undefined;
    if (pneigh) {
      isRouter = pneigh.router ? 1 : 0;
      if (skb.pkt_type !== PACKET_HOST && inc) ctx.tracing && ctx.ev('pneigh_enqueue', 'proxy NA delayed by proxy_delay (random up to 0.8 s)', { dev: dev.name });
    } else {
      // anycast addresses (ipv6_chk_acast_addr) are not in a snapshot: a model limitation
      return fin('ndisc_recv_ns', 'IPV6_NDISC_NS_OTHERHOST', `NS for ${ipv6ToString(target, 0)}, not an address of ${dev.name}`);
    }
  }
  if (isRouter < 0) isRouter = forwarding ? 1 : 0;
  const now = net.nowSec * 1e9 + net.nowNsec;
  if (dad) {
    ndisc_send_na(net, dev, ALL_NODES, target, !!isRouter, false, ifp, true, ctx, 'ndisc_recv_ns (DAD)');
    // `goto out` with the reason still SKB_DR(NOT_SPECIFIED): the NS is freed by kfree_skb after
    // the NA to ff02::1 went out (recorded on 6.18, fixtures/kernel/ipv6-exthdr)
    return fin('ndisc_recv_ns', 'NOT_SPECIFIED', `DAD NS for our ${ipv6ToString(target, 0)}: answered to ff02::1`);
  }
  // update / create the cache entry for the source address
  let n: Neigh | null = net.neigh.lookup(6, saddr, dev, now);
  if (!n && (!inc || lladdr)) n = net.neigh.create(6, saddr, dev);
  if (n) {
    const r = neigh_update(n, lladdr, NUD_STALE, NEIGH_UPDATE_F_WEAK_OVERRIDE | NEIGH_UPDATE_F_OVERRIDE, now);
    ctx.tracing && ctx.ev('ndisc_update', describeUpdate(n, r), { dev: dev.name });
    ndisc_send_na(net, dev, saddr, target, !!isRouter, true, ifp && inc, inc, ctx, 'ndisc_recv_ns');
    return fin('ndisc_recv_ns', null, `NS who has ${ipv6ToString(target, 0)}: answered`);
  }
  return fin('ndisc_recv_ns', 'NOT_SPECIFIED', 'multicast NS without source link-layer address option: no neighbour entry, no answer');
}

/**
 * idev->cnf.forwarding: the device's own knob (not ip6_forward's all.forwarding || force_forwarding).
 * Writing all.forwarding sets every device's (addrconf_fixup_forwarding); a device set back to 0
 * is no router for ND (recorded: fixtures/kernel/ipv6-ndisc, an NA on eth1 with forwarding 0 learns nothing)
 */
function idevForwarding(net: Net, dev: NetDevice): number {
  return net.host.sysctls.confValue(6, dev.name, 'forwarding');
}

function eq16(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** ndisc_recv_na */
function ndisc_recv_na(net: Net, skb: SkBuff, ctx: FrameCtx, th: number, end: number, fin: Fin): void {
  const dev = skb.dev!;
  const d = skb.data;
  const nh = skb.network_header;
  if (end - th < 24) return fin('ndisc_recv_na', 'PKT_TOO_SMALL', 'shorter than struct nd_msg');
  const flags = d[th + 4];
  const router = (flags & 0x80) !== 0, solicited = (flags & 0x40) !== 0, override = (flags & 0x20) !== 0;
  const target = d.slice(th + 8, th + 24);
  const tstr = ipv6ToString(target, 0);
  if (target[0] === 0xff) return fin('ndisc_recv_na', 'NOT_SPECIFIED', 'NA: target address is multicast');
  if (d[nh + 24] === 0xff && solicited) return fin('ndisc_recv_na', 'NOT_SPECIFIED', 'NA: solicited NA is multicasted');
  if (!solicited && net.host.sysctls.conf(6, dev.name, 'drop_unsolicited_na')) return fin('ndisc_recv_na', 'NOT_SPECIFIED', 'unsolicited NA and drop_unsolicited_na');
  const opts = ndisc_parse_options(d, th + 24, end);
  if (!opts) return fin('ndisc_recv_na', 'IPV6_NDISC_BAD_OPTIONS', 'malformed ND options');
  let lladdr: Uint8Array | null = null;
  if (opts.tgt >= 0) {
    lladdr = optAddr(d, opts.tgt);
    if (!lladdr) return fin('ndisc_recv_na', 'NOT_SPECIFIED', 'NA: invalid link-layer address length');
  }
  if (devHasAddr(dev, target, 0)) return fin('ndisc_recv_na', 'NOT_SPECIFIED', `NA: someone advertised our address ${tstr}`);
  const now = net.nowSec * 1e9 + net.nowNsec;
  let n = net.neigh.lookup(6, target, dev, now);
  let newState = solicited ? NUD_REACHABLE : NUD_STALE;
  // RFC 9131: routers may create a STALE entry from an NA with a target link-layer address
  if (!n && lladdr && idevForwarding(net, dev) && accept_untracked_na(net, dev, d, nh + 8)) {
    n = net.neigh.create(6, target, dev);
    newState = NUD_STALE;
  }
  if (!n) return fin('ndisc_recv_na', 'NOT_SPECIFIED', `NA for ${tstr}: no neighbour entry (not asked for)`);
  if (n.state & NUD_FAILED) return fin('ndisc_recv_na', 'NOT_SPECIFIED', `NA for ${tstr}: entry is FAILED`);
  const r = neigh_update(n, lladdr, newState, NEIGH_UPDATE_F_WEAK_OVERRIDE | (override ? NEIGH_UPDATE_F_OVERRIDE : 0)
    | NEIGH_UPDATE_F_OVERRIDE_ISROUTER | (router ? NEIGH_UPDATE_F_ISROUTER : 0), now);
  ctx.tracing && ctx.ev('ndisc_update', describeUpdate(n, r), { dev: dev.name });
  return fin('ndisc_recv_na', null, `NA tgt is ${tstr}`);
}

/** accept_untracked_na: 0 never, 1 always, 2 when the source is in a subnet of the device */
function accept_untracked_na(net: Net, dev: NetDevice, d: Uint8Array, so: number): boolean {
  // per-device knob (idev->cnf.accept_untracked_na), default 0
  const raw = net.host.sysctls.raw.get(`net.ipv6.conf.${dev.name}.accept_untracked_na`) ?? net.host.sysctls.raw.get('net.ipv6.conf.default.accept_untracked_na');
  const v = raw === undefined ? 0 : Number(raw.trim());
  if (v === 1) return true;
  if (v !== 2) return false;
  for (const a of dev.addrs) {
    if (a.family !== 6) continue;
    const l = a.local as Uint8Array;
    let len = a.prefixlen, i = 0, ok = true;
    for (; len >= 8 && ok; len -= 8, i++) ok = l[i] === d[so + i];
    if (ok && len > 0) { const m = (0xff << (8 - len)) & 0xff; ok = (l[i] & m) === (d[so + i] & m); }
    if (ok) return true;
  }
  return false;
}

/** ndisc_recv_rs: only a router (forwarding) learns the soliciting host; the kernel sends no RA itself */
function ndisc_recv_rs(net: Net, skb: SkBuff, ctx: FrameCtx, th: number, end: number, fin: Fin): void {
  const dev = skb.dev!;
  const d = skb.data;
  const nh = skb.network_header;
  if (end - th < 8) return fin('ndisc_recv_rs', 'PKT_TOO_SMALL', 'shorter than struct rs_msg');
  if (!idevForwarding(net, dev)) return fin('ndisc_recv_rs', 'NOT_SPECIFIED', "RS ignored: not a router (forwarding=0)");
  if (isAny(d, nh + 8)) return fin('ndisc_recv_rs', 'NOT_SPECIFIED', 'RS from :: : no entry');
  const opts = ndisc_parse_options(d, th + 8, end);
  if (!opts) return fin('ndisc_recv_rs', 'IPV6_NDISC_BAD_OPTIONS', 'malformed ND options');
  let lladdr: Uint8Array | null = null;
  if (opts.src >= 0) {
    lladdr = optAddr(d, opts.src);
    if (!lladdr) return fin('ndisc_recv_rs', 'NOT_SPECIFIED', 'RS: invalid link-layer address length');
  }
  const now = net.nowSec * 1e9 + net.nowNsec;
  const saddr = d.slice(nh + 8, nh + 24);
  const n = net.neigh.lookup(6, saddr, dev, now) ?? net.neigh.create(6, saddr, dev);
  const r = neigh_update(n, lladdr, NUD_STALE, NEIGH_UPDATE_F_WEAK_OVERRIDE | NEIGH_UPDATE_F_OVERRIDE | NEIGH_UPDATE_F_OVERRIDE_ISROUTER, now);
  ctx.tracing && ctx.ev('ndisc_update', describeUpdate(n, r), { dev: dev.name });
  return fin('ndisc_recv_rs', null, 'RS: soliciting host learnt');
}

/**
 * ndisc_router_discovery: the checks that decide drop vs accept; what an accepted RA changes
 * (default route, prefixes, MTU, hop limit) is not modelled and is reported as unsupported.
 * Measured on 6.18 (test/kernel/bridge-kernel-measure.py): an RA from a link-local router with
 * accept_ra=1 on a non-forwarding host ends in consume_skb at icmpv6_rcv.
 */
function ndisc_router_discovery(net: Net, skb: SkBuff, ctx: FrameCtx, th: number, end: number, fin: Fin): void {
  const dev = skb.dev!;
  const d = skb.data;
  const nh = skb.network_header;
  if (!(d[nh + 8] === 0xfe && (d[nh + 9] & 0xc0) === 0x80)) return fin('ndisc_router_discovery', 'NOT_SPECIFIED', 'RA: source address is not link-local');
  if (end - th < 16) return fin('ndisc_router_discovery', 'PKT_TOO_SMALL', 'RA: packet too short');
  const opts = ndisc_parse_options(d, th + 16, end);
  if (!opts) return fin('ndisc_router_discovery', 'IPV6_NDISC_BAD_OPTIONS', 'malformed ND options');
  const acceptRa = net.host.sysctls.conf(6, dev.name, 'accept_ra');
  const fwd = idevForwarding(net, dev);
  // ipv6_accept_ra: accept_ra 1 when not forwarding, 2 always
  if (!(acceptRa === 2 || (acceptRa === 1 && !fwd))) {
    ctx.tracing && ctx.ev('ndisc_router_discovery', `accept_ra=${acceptRa} forwarding=${fwd}: RA not used for configuration`, { dev: dev.name });
  } else {
    ctx.unsupported.push('ndisc_router_discovery: RA effects (default route, prefixes, MTU) are not modelled');
  }
  const lladdr = optAddr(d, opts.src);
  if (lladdr) {
    const now = net.nowSec * 1e9 + net.nowNsec;
    const saddr = d.slice(nh + 8, nh + 24);
    const n = net.neigh.lookup(6, saddr, dev, now) ?? net.neigh.create(6, saddr, dev);
    const r = neigh_update(n, lladdr, NUD_STALE, NEIGH_UPDATE_F_WEAK_OVERRIDE | NEIGH_UPDATE_F_OVERRIDE | NEIGH_UPDATE_F_OVERRIDE_ISROUTER | NEIGH_UPDATE_F_ISROUTER, now);
    ctx.tracing && ctx.ev('ndisc_update', describeUpdate(n, r), { dev: dev.name });
  }
  return fin('ndisc_router_discovery', null, 'RA processed');
}

/** ndisc_send_na(dev, daddr, solicited_addr, router, solicited, override, inc_opt) */
export function ndisc_send_na(net: Net, dev: NetDevice, daddr: Uint8Array, target: Uint8Array, router: boolean, solicited: boolean,
  override: boolean, incOpt: boolean, ctx: FrameCtx, by: string): void {
  let src: Uint8Array | null = devHasAddr(dev, target, 0) ? target : net.ipv6_get_saddr(dev, daddr);
  if (!src) { ctx.tracing && ctx.ev('ndisc_send_na', 'no source address: not sent', { dev: dev.name }); return; }
  if (!dev.mac) incOpt = false;
  const icmpLen = 24 + (incOpt ? 8 : 0);
  const frame = new Uint8Array(14 + 40 + icmpLen);
  const flags = (router ? 0x80 : 0) | (solicited ? 0x40 : 0) | (override ? 0x20 : 0);
  const o = writeIpv6Hdr(frame, 14, 0, 0, icmpLen, 58, 255, src, 0, daddr, 0);
  frame[o] = NDISC_NEIGHBOUR_ADVERTISEMENT; frame[o + 4] = flags;
  frame.set(target.subarray(0, 16), o + 8);
  if (incOpt) writeNdOptLladdr(frame, o + 24, ND_OPT_TARGET_LL_ADDR, dev.mac!, 0);
  fillL4ChecksumV6(frame, 14, o, icmpLen, 58);
  const summary = `IP6 ${ipv6ToString(src, 0)} > ${ipv6ToString(daddr, 0)}: ICMP6, neighbor advertisement, tgt is ${ipv6ToString(target, 0)}, length ${icmpLen}`;
  ctx.tracing && ctx.ev('ndisc_send_na', `${by}: ${summary} [flags ${[router && 'router', solicited && 'solicited', override && 'override'].filter(Boolean).join(', ') || 'none'}]`, { dev: dev.name });
  ndisc_send_skb(net, frame, dev, daddr, ctx, summary);
}

/** ndisc_send_ns(dev, solicit, daddr, saddr, nonce) */
export function ndisc_send_ns(net: Net, dev: NetDevice, solicit: Uint8Array, daddr: Uint8Array, saddr: Uint8Array | null, ctx: FrameCtx, by: string): void {
  if (!saddr) {
    // ipv6_get_lladdr(dev): the link-local address of dev
    for (const a of dev.addrs) if (a.family === 6 && a.scope === 'link') { saddr = a.local as Uint8Array; break; }
    if (!saddr) { ctx.tracing && ctx.ev('ndisc_send_ns', `${dev.name} has no link-local address: no solicitation`, { dev: dev.name }); return; }
  }
  const incOpt = !isAny(saddr, 0) && !!dev.mac;
  const icmpLen = 24 + (incOpt ? 8 : 0);
  const frame = new Uint8Array(14 + 40 + icmpLen);
  const o = writeIpv6Hdr(frame, 14, 0, 0, icmpLen, 58, 255, saddr, 0, daddr, 0);
  frame[o] = NDISC_NEIGHBOUR_SOLICITATION;
  frame.set(solicit.subarray(0, 16), o + 8);
  if (incOpt) writeNdOptLladdr(frame, o + 24, ND_OPT_SOURCE_LL_ADDR, dev.mac!, 0);
  fillL4ChecksumV6(frame, 14, o, icmpLen, 58);
  const summary = `IP6 ${ipv6ToString(saddr, 0)} > ${ipv6ToString(daddr, 0)}: ICMP6, neighbor solicitation, who has ${ipv6ToString(solicit, 0)}, length ${icmpLen}`;
  ctx.tracing && ctx.ev('ndisc_send_ns', `${by}: ${summary}`, { dev: dev.name });
  ndisc_send_skb(net, frame, dev, daddr, ctx, summary);
}

/** ndisc_send_skb: NF LOCAL_OUT, ip6_output (NF POST_ROUTING), ip6_finish_output2 (neighbour), xmit */
function ndisc_send_skb(net: Net, frame: Uint8Array, dev: NetDevice, daddr: Uint8Array, ctx: FrameCtx, summary: string): void {
  // another skb than the frame: its steps are the reply's
  ctx.beginReply();
  ndisc_send_skb_out(net, frame, dev, daddr, ctx, summary);
  ctx.endReply();
}

function ndisc_send_skb_out(net: Net, frame: Uint8Array, dev: NetDevice, daddr: Uint8Array, ctx: FrameCtx, summary: string): void {
  const skb = l2_skb(frame, dev, ETH_P_IPV6, net.nowSec, net.nowNsec);
  skb.transport_header = 54;
  if (!nf_hook_out(net, NFPROTO_IPV6, NF_INET_LOCAL_OUT, null, dev, skb, ctx)) return;
  if (!nf_hook_out(net, NFPROTO_IPV6, NF_INET_POST_ROUTING, null, dev, skb, ctx)) return;
  const ha = neigh_resolve(net, 6, daddr, dev, ctx, skb, true);
  if (!ha) return;
  writeEthHdr(frame, 0, ha, 0, dev.mac ?? ha, 0, ETH_P_IPV6);
  l2_xmit(net, skb, dev, ctx, summary);
}

/** ndisc_solicit(neigh, skb): multicast NS to the solicited-node group while INCOMPLETE, unicast while PROBE */
export function ndisc_solicit(net: Net, n: Neigh, skb: SkBuff | null, ctx: FrameCtx): void {
  const dev = n.dev;
  const target = n.key as Uint8Array;
  let saddr: Uint8Array | null = null;
  if (skb && skb.network_header >= 0 && devHasAddr(dev, skb.data, skb.network_header + 8)) saddr = skb.data.slice(skb.network_header + 8, skb.network_header + 24);
  const unicast = (n.state & 0x10) !== 0 && n.ha; // NUD_PROBE: probes < ucast_probes
  let daddr = target;
  if (!unicast) {
    daddr = new Uint8Array([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, target[13], target[14], target[15]]);
  }
  ndisc_send_ns(net, dev, target, daddr, saddr, ctx, 'ndisc_solicit');
}

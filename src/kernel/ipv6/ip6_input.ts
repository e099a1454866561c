// IPv6 receive: net/ipv6/ip6_input.c ipv6_rcv / ip6_rcv_core (header checks) -> NF
// PRE_ROUTING -> ip6_rcv_finish (ip6_route_input) -> ip6_input (NF LOCAL_IN, extension
// headers, protocol handlers), ip6_mc_input, ip6_forward (net/ipv6/ip6_output.c) or
// ip6_pkt_discard (net/ipv6/route.c ip6_pkt_drop).

import { dev_is_loopback } from '../core/netdevice.js';
import type { NetDevice } from '../../host/types.js';
import type { FrameCtx } from '../ctx.js';
import type { TimelineEvent } from '../fate.js';
import { NF_HOOK, key6, type Net } from '../net.js';
import { NFPROTO_IPV6, NF_INET_FORWARD, NF_INET_LOCAL_IN, NF_INET_PRE_ROUTING } from '../netfilter/hook.js';
import { PACKET_BROADCAST, PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST, type SkBuff } from '../skbuff.js';
import { fibNoteMultipath, fibNoteUnsupported, newFlow, tableName, type FibResult } from '../route/fib.js';
import { ipv6ToString } from '../../packet/addr.js';
import { routeMemoHit, routeMemoMiss } from '../route/dst_cache.js';
import { icmpv6_rcv, icmpv6_send } from './icmp.js';
import { tcp_v6_rcv } from '../transport/tcp_ipv4.js';
import { udpv6_rcv } from '../transport/udp.js';
import { ip6_output } from './ip6_output.js';
import { ipv6_frag_rcv, nf_ct_frag6_gather } from './reassembly.js';
import { ip_sabotage_in } from '../bridge/br_netfilter_hooks.js';
import { ICMPV6_DEST_UNREACH, ICMPV6_NOROUTE, ICMPV6_ADM_PROHIBITED, ICMPV6_TIME_EXCEED, ICMPV6_EXC_HOPLIMIT, ICMPV6_PKT_TOOBIG, ICMPV6_PARAMPROB, ICMPV6_UNK_NEXTHDR, ICMPV6_HDR_FIELD, ICMPV6_NOT_NEIGHBOUR } from '../../packet/icmpv6.js';
import { sharedEvent } from '../fate.js';

/** the hop-limit step of ip6_forward for each value, made once (events are never changed once made) */
const hlimEvents: (TimelineEvent | undefined)[] = [];

/** the IPv6 input route (struct rt6_info, the parts used) */
export interface Rt6 {
  kind: 'local' | 'multicast' | 'forward' | 'discard' | 'prohibit' | 'blackhole';
  dev: NetDevice | null;
  gw: Uint8Array | null;
  mtu: number;
  /** an anycast route (RTF_ANYCAST: ipv6_anycast_destination): the echo reply and errors pick their source by it */
  acast?: boolean;
}

const flow6 = (() => {
  const f = newFlow();
  f.daddr = new Uint8Array(16);
  f.saddr = new Uint8Array(16);
  return f;
})();
const res6 = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
const evCache6 = new WeakMap<object, TimelineEvent>();

function conf6(net: Net, dev: NetDevice, knob: string): number {
  return net.conf(6, dev.name, knob);
}

function isLoopback6(b: Uint8Array, o: number): boolean {
  for (let i = 0; i < 15; i++) if (b[o + i] !== 0) return false;
  return b[o + 15] === 1;
}

/** find_prev_fhdr (nf_conntrack_reasm.c): [offset of the byte naming it, offset] of the fragment header, or null */
function find_prev_fhdr(skb: SkBuff): [number, number] | null {
  const b = skb.data;
  const nh = skb.network_header;
  let prev = nh + 6;
  let nexthdr = b[prev];
  let off = nh + 40;
  while (nexthdr !== 44) {
    // ipv6_ext_hdr: hop-by-hop, routing, destination options, AH; anything else: not fragmented
    if (nexthdr !== 0 && nexthdr !== 43 && nexthdr !== 60 && nexthdr !== 51) return null;
    if (off + 2 > skb.tail) return null;
    const len = nexthdr === 51 ? (b[off + 1] + 2) << 2 : (b[off + 1] + 1) << 3;
    prev = off;
    nexthdr = b[off];
    off += len;
  }
  return [prev, off];
}

export function ipv6_rcv(net: Net, skb: SkBuff, ctx: FrameCtx): void {
  if (!ip6_rcv_core(net, skb, ctx)) return;
  // ipv6_defrag (nf_defrag_ipv6, PRE_ROUTING -400, before every rule): with conntrack in use the
  // fragments are gathered here (nf_ct_frag6_gather); a held one is NF_STOLEN (consumed)
  if (net.nf.defrag?.(NFPROTO_IPV6)) {
    const fh = find_prev_fhdr(skb);
    if (fh) {
      const r = nf_ct_frag6_gather(net, skb, ctx, fh[1], fh[0]);
      if (!r) return;
      skb = r.skb;
    }
  }
  // ip_sabotage_in is registered for NFPROTO_IPV6 too (br_nf_ops): no second PRE_ROUTING
  if (ip_sabotage_in(skb)) ctx.tracing && ctx.ev('ip_sabotage_in', 'PRE_ROUTING already run by br_netfilter: okfn directly');
  else if (!NF_HOOK(net, NFPROTO_IPV6, NF_INET_PRE_ROUTING, skb, skb.dev, null, ctx)) return;
  ip6_rcv_finish(net, skb, ctx);
}

/** ip6_rcv_core: checks in the kernel's order; failures under `err` are IP_INHDR */
export function ip6_rcv_core(net: Net, skb: SkBuff, ctx: FrameCtx): boolean {
  const fn = 'ip6_rcv_core';
  const dev = skb.dev!;
  if (skb.pkt_type === PACKET_OTHERHOST) return void ctx.drop(fn, 'OTHERHOST', { dev: dev.name }), false;
  if (conf6(net, dev, 'disable_ipv6')) return void ctx.drop(fn, 'IPV6DISABLED', { dev: dev.name }), false;
  // IP6CB(skb)->iif: skb->dev will be the output device when the packet is queued
  skb.ip6_iif = dev;
  const nh = skb.network_header;
  const b = skb.data;
  if (skb.tail - nh < 40) return void ctx.drop(fn, 'IP_INHDR', { detail: { why: 'shorter than an IPv6 header' } }), false;
  if (b[nh] >>> 4 !== 6) return void ctx.drop(fn, 'UNHANDLED_PROTO', { detail: { version: b[nh] >>> 4 } }), false;
  const loopDev = dev_is_loopback(dev);
  if ((isLoopback6(b, nh + 8) || isLoopback6(b, nh + 24)) && !loopDev) return void ctx.drop(fn, 'IP_INHDR', { detail: { why: 'loopback address on the wire' } }), false;
  const dmc = b[nh + 24] === 0xff;
  if (dmc && (b[nh + 25] & 0x0f) === 0) return void ctx.drop(fn, 'IP_INHDR', { detail: { why: 'multicast scope 0' } }), false;
  if (!dmc && (skb.pkt_type === PACKET_BROADCAST || skb.pkt_type === PACKET_MULTICAST) && conf6(net, dev, 'drop_unicast_in_l2_multicast')) return void ctx.drop(fn, 'UNICAST_IN_L2_MULTICAST'), false;
  if (b[nh + 8] === 0xff) return void ctx.drop(fn, 'IP_INHDR', { detail: { why: 'multicast source' } }), false;
  const plen = (b[nh + 4] << 8) | b[nh + 5];
  const nexthdr = b[nh + 6];
  if (plen || nexthdr !== 0) {
    if (plen + 40 > skb.wireEnd - nh) return void ctx.drop(fn, 'PKT_TOO_SMALL', { detail: { payload_len: plen, bytes: skb.wireEnd - nh - 40 } }), false;
    if (skb.tail > nh + 40 + plen) skb.tail = nh + 40 + plen;
    skb.wireEnd = nh + 40 + plen;
  } else {
    ctx.unsupported.push('IPv6 jumbogram');
  }
  skb.transport_header = nh + 40;
  ctx.tracing && ctx.ev(fn, `${ipv6ToString(b, nh + 8)} > ${ipv6ToString(b, nh + 24)} hlim ${b[nh + 7]} next ${nexthdr} len ${plen}`);
  // ipv6_parse_hopopts runs here, before routing, for forwarded packets too
  if (nexthdr === 0) {
    // pskb_may_pull of 8 bytes, then of the whole header: fail_and_free, kfree_skb (recorded)
    if (skb.tail < nh + 48 || skb.tail < nh + 40 + ((b[nh + 41] + 1) << 3)) return void ctx.drop('ipv6_parse_hopopts', 'NOT_SPECIFIED', { detail: { why: 'hop-by-hop header beyond the packet' } }), false;
    if (!ip6_parse_tlv(net, skb, ctx, nh + 40, true)) return false;
  }
  return true;
}

/** ip6_rcv_finish -> ip6_route_input -> dst_input */
export function ip6_rcv_finish(net: Net, skb: SkBuff, ctx: FrameCtx): void {
  const rt = ip6_route_input(net, skb, ctx);
  skb.dst = rt;
  switch (rt.kind) {
    case 'local':
      return ip6_input(net, skb, ctx, false);
    case 'multicast':
      return ip6_mc_input(net, skb, ctx);
    case 'forward':
      return ip6_forward(net, skb, ctx);
    case 'blackhole':
      return void ctx.drop('dst_discard', 'NOT_SPECIFIED');
    case 'prohibit':
      return ip6_pkt_drop(net, skb, ctx, ICMPV6_ADM_PROHIBITED);
    case 'discard':
      return ip6_pkt_drop(net, skb, ctx, ICMPV6_NOROUTE);
  }
}

/** ip6_route_input: local addresses, multicast, else the FIB (rules + tables) */
export function ip6_route_input(net: Net, skb: SkBuff, ctx: FrameCtx): Rt6 {
  // the same flow key has the same answer for the whole replay (dst_cache.ts)
  const b = skb.data;
  const nh = skb.network_header;
  const memo = ctx.tracing ? net.rtInput6Traced : net.rtInput6;
  const k = memo.k;
  for (let i = 0; i < 8; i++) k[i] = (b[nh + 8 + 4 * i] << 24) | (b[nh + 9 + 4 * i] << 16) | (b[nh + 10 + 4 * i] << 8) | b[nh + 11 + 4 * i];
  k[8] = skb.dev!.ifindex;
  k[9] = skb.mark;
  if (net.fib6.rulesUseL4) k[10] = b[nh + 6];
  const hit = memo.get();
  if (hit !== undefined) return routeMemoHit(hit, ctx);
  return routeMemoMiss(memo, ctx, () => ip6_route_input_slow(net, skb, ctx));
}

function ip6_route_input_slow(net: Net, skb: SkBuff, ctx: FrameCtx): Rt6 {
  const b = skb.data;
  const nh = skb.network_header;
  const dev = skb.dev!;
  if (b[nh + 24] === 0xff) return { kind: 'multicast', dev, gw: null, mtu: dev.mtu };
  // one flow and result per module: the lookup keeps neither
  const f = flow6;
  const fd = f.daddr as Uint8Array;
  const fs = f.saddr as Uint8Array;
  for (let i = 0; i < 16; i++) {
    fd[i] = b[nh + 24 + i];
    fs[i] = b[nh + 8 + i];
  }
  f.iif = dev.ifindex;
  f.mark = skb.mark;
  f.uid = 0; // ip6_route_input: flowi6_uid = sock_net_uid(net, NULL)
  f.proto = b[nh + 6];
  const r = res6;
  r.rule = null as FibResult["rule"];
  const trace: string[] | undefined = net.fib6.customRules ? [] : undefined;
  const err = net.fib6.lookup(f, r, trace);
  fibNoteUnsupported(ctx, r);
  const rule = r.rule ? ` by rule "${r.rule.text.trim()}"` : '';
  if (err !== 0) {
    if (r.alias && (r.alias.type === 'blackhole' || r.alias.type === 'prohibit')) {
      ctx.tracing && ctx.ev('ip6_route_input', `${r.alias.type} route ${r.alias.route.dstStr} table ${tableName(r.table)}${rule}`);
      return { kind: r.alias.type, dev: null, gw: null, mtu: 0 };
    }
    // the local address of another device is still local (the local table holds it)
    if (net.isLocal6(b, nh + 24)) return { kind: 'local', dev, gw: null, mtu: 0 };
    ctx.tracing && ctx.ev('ip6_route_input', `no route to ${ipv6ToString(b, nh + 24)}${r.alias ? ' (' + r.alias.type + ')' : ''}`);
    return { kind: 'discard', dev: null, gw: null, mtu: 0 };
  }
  const a = r.alias;
  if (r.rule) ctx.tracing && ctx.ev('ip6_route_input', `${a.type} ${a.route.dstStr} table ${tableName(r.table)}${rule}`, { detail: { table: tableName(r.table), route: a.route.dstStr + (a.route.gatewayStr ? ' via ' + a.route.gatewayStr : '') + (a.route.dev ? ' dev ' + a.route.dev : '') } });
  else {
    let e = evCache6.get(a);
    if (!e) evCache6.set(a, (e = sharedEvent({ fn: 'ip6_route_input', what: `${a.type} ${a.route.dstStr} table ${tableName(r.table)}`, detail: { table: tableName(r.table), route: a.route.dstStr + (a.route.gatewayStr ? ' via ' + a.route.gatewayStr : '') + (a.route.dev ? ' dev ' + a.route.dev : '') } })));
    if (ctx.tracing) ctx.events.push(e);
  }
  if (a.type === 'local' || a.type === 'anycast') return { kind: 'local', dev, gw: null, mtu: 0, acast: a.type === 'anycast' };
  if (a.type !== 'unicast') return { kind: 'discard', dev: null, gw: null, mtu: 0 };
  fibNoteMultipath(ctx, r, 'rt6_multipath_select');
  const out = r.nh.dev;
  return { kind: 'forward', dev: out, gw: r.nh.gw ? (r.nh.gw as Uint8Array) : null, mtu: a.route.mtu ?? out?.mtu ?? 1500 };
}

/** ip6_pkt_drop (ip6_pkt_discard / ip6_pkt_prohibit): ICMPv6 unreachable, IP_INNOROUTES */
function ip6_pkt_drop(net: Net, skb: SkBuff, ctx: FrameCtx, code: number): void {
  const b = skb.data;
  const nh = skb.network_header;
  let any = true;
  for (let i = 0; i < 16; i++) if (b[nh + 24 + i]) any = false;
  const reason = any ? 'IP_INADDRERRORS' : 'IP_INNOROUTES';
  icmpv6_send(net, skb, ctx, ICMPV6_DEST_UNREACH, code, 0);
  ctx.drop('ip6_pkt_drop', reason);
}

/**
 * ip6_mc_input: deliver only for groups the device joined (ipv6_chk_mcast_addr over the
 * snapshot's ip-maddr.json; without it the kernel's own: all-nodes, solicited-node of its
 * addresses, all-routers when forwarding, and a miss says it does not know)
 */
function ip6_mc_input(net: Net, skb: SkBuff, ctx: FrameCtx): void {
  const b = skb.data;
  const nh = skb.network_header;
  const dev = skb.dev!;
  const d = nh + 24;
  const mc = dev.mcast;
  if (mc) {
    if (!mc.v6.has(key6(b, d))) {
      ctx.tracing && ctx.ev('ip6_mc_input', `group ${ipv6ToString(b, d)} not joined on ${dev.name}`);
      ctx.drop('ip6_mc_input', 'NOT_SPECIFIED');
      return;
    }
    ip6_input(net, skb, ctx, true);
    return;
  }
  let joined = false;
  const ff02 = b[d + 1] === 0x02 && b[d] === 0xff;
  let zeros = true;
  for (let i = 2; i < 15; i++) if (b[d + i] !== 0) zeros = false;
  if (ff02 && zeros && b[d + 15] === 1) joined = true;
  // all-routers is joined per device while its own forwarding is on (dev_forward_change)
  else if (ff02 && zeros && b[d + 15] === 2 && net.host.sysctls.confValue(6, dev.name, 'forwarding')) joined = true;
  else if (ff02 && b[d + 11] === 1 && b[d + 12] === 0xff) {
    for (const a of dev.addrs) {
      if (a.family !== 6) continue;
      const l = a.local as Uint8Array;
      if (l[13] === b[d + 13] && l[14] === b[d + 14] && l[15] === b[d + 15]) joined = true;
    }
  }
  if (!joined) {
    // groups only the kernel joins (solicited-node, all-routers, MLDv2 reports for multicast
    // routers): known without the file; any other one an application may have joined
    const kernelOnly = ff02 && ((b[d + 11] === 1 && b[d + 12] === 0xff) || (zeros && (b[d + 15] === 2 || b[d + 15] === 0x16)));
    if (!kernelOnly) ctx.unsupported.push('multicast group memberships: the snapshot has no ip-maddr.json (only the kernel\'s own groups assumed joined)');
    ctx.tracing && ctx.ev('ip6_mc_input', `group ${ipv6ToString(b, d)} not joined on ${dev.name}${kernelOnly ? '' : ' (memberships not in the snapshot)'}`);
    ctx.drop('ip6_mc_input', 'NOT_SPECIFIED');
    return;
  }
  ip6_input(net, skb, ctx, true);
}

/** ip6_input: NF LOCAL_IN, then ip6_protocol_deliver_rcu walking extension headers */
export function ip6_input(net: Net, skb: SkBuff, ctx: FrameCtx, mcast: boolean): void {
  if (!NF_HOOK(net, NFPROTO_IPV6, NF_INET_LOCAL_IN, skb, skb.dev, null, ctx)) return;
  let b = skb.data;
  const nh = skb.network_header;
  let nexthdr = b[nh + 6];
  let off = nh + 40;
  let nhoff = nh + 6;
  let end = nh + 40 + ((b[nh + 4] << 8) | b[nh + 5]);
  // nf_ct_frag6_reasm ends with skb_reset_transport_header: the transport header is the reassembled
  // payload's start (what followed the fragment header), while IP6CB(skb)->nhoff still names the
  // header after the IPv6 (or hop-by-hop) header. ip6_protocol_deliver_rcu gives that header's
  // handler the bytes at the transport header: a destination options or routing header before the
  // fragment header is read from the upper-layer header (recorded on 6.18, fixtures/kernel/ipv6-paths
  // frames 2, 4, 6: UDP behind them freed NOT_SPECIFIED in ipv6_destopt_rcv / ipv6_rthdr_rcv)
  let ctReasmAt = skb.frag_max_size ? skb.transport_header : -1;
  for (let guard = 0; guard < 16; guard++) {
    switch (nexthdr) {
      case 0: // hop-by-hop (ipv6_parse_hopopts) only right after the header
      case 60: // destination options (ipv6_destopt_rcv)
      case 43: { // routing header (ipv6_rthdr_rcv)
        if (ctReasmAt >= 0 && nexthdr !== 0) {
          off = ctReasmAt;
          ctReasmAt = -1;
        }
        if (nexthdr === 0 && off !== nh + 40) {
          icmpv6_send(net, skb, ctx, ICMPV6_PARAMPROB, ICMPV6_UNK_NEXTHDR, nhoff - nh);
          return void ctx.drop('ip6_protocol_deliver_rcu', 'IP_NOPROTO');
        }
        // ipv6_destopt_rcv / ipv6_rthdr_rcv: pskb_may_pull of 8 bytes, then of the whole header,
        // else kfree_skb (recorded: a destination options header cut at 6 bytes, NOT_SPECIFIED)
        if (off + 8 > skb.tail || off + ((b[off + 1] + 1) << 3) > skb.tail) return void ctx.drop(nexthdr === 43 ? 'ipv6_rthdr_rcv' : 'ipv6_destopt_rcv', 'NOT_SPECIFIED', { detail: { why: 'extension header beyond the packet' } });
        if (nexthdr === 43 && b[off + 3] !== 0) {
          const rtype = b[off + 2];
          if (rtype === 2 || rtype === 3 || rtype === 4) {
            ctx.unsupported.push(`IPv6 routing header type ${rtype} with segments left`);
            return void ctx.drop('ipv6_rthdr_rcv', 'NOT_SPECIFIED');
          }
          // unknown_rh (type 0 is deprecated, RFC 5095): parameter problem, erroneous header
          // field at the type byte (recorded: type 0 with segments left 1, octet 42)
          icmpv6_send(net, skb, ctx, ICMPV6_PARAMPROB, ICMPV6_HDR_FIELD, off + 2 - nh);
          return void ctx.drop('ipv6_rthdr_rcv', 'NOT_SPECIFIED', { detail: { why: `routing header type ${rtype} with segments left` } });
        }
        if (nexthdr !== 43) {
          // hop-by-hop options were parsed in ip6_rcv_core
          if (nexthdr !== 0 && !ip6_parse_tlv(net, skb, ctx, off, false)) return;
        }
        nhoff = off;
        nexthdr = b[off];
        off += (b[off + 1] + 1) << 3;
        continue;
      }
      case 44: {
        const r = ipv6_frag_rcv(net, skb, ctx, off, nhoff);
        if (!r) return;
        skb = r.skb;
        b = skb.data;
        off = r.off;
        nhoff = r.nhoff;
        nexthdr = r.nexthdr;
        end = nh + 40 + ((b[nh + 4] << 8) | b[nh + 5]);
        continue;
      }
      case 6:
        skb.transport_header = off;
        if (mcast) return void ctx.drop('tcp_v6_rcv', 'NOT_SPECIFIED');
        return tcp_v6_rcv(net, skb, ctx, end - off);
      case 17:
        skb.transport_header = off;
        return udpv6_rcv(net, skb, ctx, end - off, mcast);
      case 58:
        skb.transport_header = off;
        return icmpv6_rcv(net, skb, ctx, end - off, mcast);
      case 59:
        return void ctx.drop('dst_discard', 'NOT_SPECIFIED', { detail: { why: 'no next header' } });
      default:
        icmpv6_send(net, skb, ctx, ICMPV6_PARAMPROB, ICMPV6_UNK_NEXTHDR, nhoff - nh);
        return void ctx.drop('ip6_protocol_deliver_rcu', 'IP_NOPROTO', { detail: { nexthdr } });
    }
  }
  ctx.drop('ip6_protocol_deliver_rcu', 'NOT_SPECIFIED');
}

/**
 * ip6_parse_tlv (net/ipv6/exthdrs.c): walk the options of a hop-by-hop or destination options
 * header. Known options pass (Pad1, PadN; hop-by-hop: router alert, jumbo, CALIPSO, IOAM;
 * destination: home address); an unknown one acts by its two high bits (ip6_tlvopt_unknown):
 * 00 skip, 01 drop, 10 drop with a parameter problem, 11 the same unless sent to multicast.
 */
function ip6_parse_tlv(net: Net, skb: SkBuff, ctx: FrameCtx, off: number, hopbyhop: boolean): boolean {
  const b = skb.data;
  const nh = skb.network_header;
  const end = off + ((b[off + 1] + 1) << 3);
  // padding: at most 7 bytes in a row, PadN all zeros; options other than padding: at most
  // net.ipv6.max_hbh_opts_number / max_dst_opts_number (a negative value: as many, and unknown
  // options dropped whatever their action). Each violation is `goto bad`: kfree_skb IP_INHDR
  // (recorded on 6.18: fixtures/kernel/ipv6-tlv)
  const maxCount = net.sysctlInt(hopbyhop ? 'net.ipv6.max_hbh_opts_number' : 'net.ipv6.max_dst_opts_number');
  let padlen = 0;
  let tlvCount = 0;
  for (let p = off + 2; p < end; ) {
    const t = b[p];
    if (t === 0) {
      if (++padlen > 7) return tlvBad(ctx, 'more than 7 bytes of padding in a row');
      p++;
      continue;
    }
    if (p + 2 > end || p + 2 + b[p + 1] > end) return tlvBad(ctx, 'option runs past its header');
    if (t === 1) {
      padlen += 2 + b[p + 1];
      if (padlen > 7) return tlvBad(ctx, 'more than 7 bytes of padding in a row');
      for (let i = p + 2; i < p + 2 + b[p + 1]; i++) if (b[i] !== 0) return tlvBad(ctx, 'PadN with non-zero contents');
      p += 2 + b[p + 1];
      continue;
    }
    if (++tlvCount > Math.abs(maxCount)) return tlvBad(ctx, `more than ${Math.abs(maxCount)} options`);
    padlen = 0;
    const known = hopbyhop ? t === 5 || t === 0xc2 || t === 7 || t === 0x31 : t === 0xc9;
    if (!known) {
      const action = t >> 6;
      ctx.tracing && ctx.ev('ip6_tlvopt_unknown', `unknown option type ${t} at octet ${p - nh}: action ${action}`);
      if (maxCount < 0) {
        // disallow_unknowns: always a silent drop
        ctx.drop('ip6_tlvopt_unknown', 'UNHANDLED_PROTO');
        return false;
      }
      if (action === 0) {
        p += 2 + b[p + 1];
        continue;
      }
      if (action === 2 || (action === 3 && b[nh + 24] !== 0xff)) icmpv6_send(net, skb, ctx, ICMPV6_PARAMPROB, 2, p - nh);
      ctx.drop('ip6_tlvopt_unknown', 'UNHANDLED_PROTO');
      return false;
    }
    if (t === 0xc2 || t === 7 || t === 0xc9) ctx.unsupported.push(`IPv6 option type ${t} not interpreted`);
    p += 2 + b[p + 1];
  }
  return true;
}

/** ip6_parse_tlv's `goto bad`: kfree_skb IP_INHDR */
function tlvBad(ctx: FrameCtx, why: string): false {
  ctx.drop('ip6_parse_tlv', 'IP_INHDR', { detail: { why } });
  return false;
}

/** ip6_forward: forwarding sysctl, hop limit, source checks, MTU, NF FORWARD */
export function ip6_forward(net: Net, skb: SkBuff, ctx: FrameCtx): void {
  const fn = 'ip6_forward';
  const rt = skb.dst as Rt6;
  const b = skb.data;
  const nh = skb.network_header;
  // devconf_all->forwarding, or the ingress idev's force_forwarding (6.17+): the 'forwarding6' combination
  if (!net.conf(6, skb.dev!.name, 'forwarding')) return void ctx.drop(fn, 'IP_INADDRERRORS', { detail: { why: 'net.ipv6.conf.all.forwarding=0' } });
  if (skb.pkt_type !== PACKET_HOST) return void ctx.drop(fn, 'NOT_SPECIFIED');
  const hlim = b[nh + 7];
  if (hlim <= 1) {
    icmpv6_send(net, skb, ctx, ICMPV6_TIME_EXCEED, ICMPV6_EXC_HOPLIMIT, 0);
    return void ctx.drop(fn, 'IP_INHDR', { detail: { hop_limit: hlim } });
  }
  const out = rt.dev;
  if (!out) return void ctx.drop(fn, 'NOT_SPECIFIED');
  if (out !== skb.dev) {
    const s0 = b[nh + 8];
    let any = true;
    for (let i = 0; i < 16; i++) if (b[nh + 8 + i]) any = false;
    if (any || s0 === 0xff || isLoopback6(b, nh + 8)) return void ctx.drop(fn, 'IP_INADDRERRORS');
    if (s0 === 0xfe && (b[nh + 9] & 0xc0) === 0x80) {
      icmpv6_send(net, skb, ctx, ICMPV6_DEST_UNREACH, ICMPV6_NOT_NEIGHBOUR, 0);
      return void ctx.drop(fn, 'IP_INADDRERRORS');
    }
  } else {
    ctx.tracing && ctx.ev(fn, 'forwarded back out the ingress device (ndisc_send_redirect not modelled)');
  }
  const mtu = Math.max(rt.mtu, 1280);
  const len = skb.tail - nh;
  // ip6_pkt_too_big: a datagram conntrack reassembled is too big only if a fragment of it was
  if (skb.frag_max_size ? skb.frag_max_size > mtu : len > mtu && skb.gso_segs <= 1) {
    icmpv6_send(net, skb, ctx, ICMPV6_PKT_TOOBIG, 0, mtu);
    return void ctx.drop(fn, 'PKT_TOO_BIG', { detail: { len, mtu } });
  }
  skb.skb_ensure_writable(nh + 8);
  skb.data[nh + 7] = hlim - 1;
  if (ctx.tracing) ctx.events.push((hlimEvents[hlim] ??= sharedEvent({ fn: 'ip6_forward', what: `hop limit ${hlim} -> ${hlim - 1}`, diff: { hop_limit: [hlim, hlim - 1] } })));
  if (!NF_HOOK(net, NFPROTO_IPV6, NF_INET_FORWARD, skb, skb.dev, out, ctx)) return;
  ip6_output(net, skb, ctx, out, rt.gw);
}

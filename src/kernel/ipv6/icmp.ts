// ICMPv6: net/ipv6/icmp.c icmpv6_rcv (checksum, echo -> icmpv6_echo_reply, echo reply ->
// ping_rcv, errors -> icmpv6_notify, NDP -> ndisc_rcv) and icmp6_send (eligibility, source
// address, icmpv6_xrlim_allow scaled by the route's prefix length, quote up to the minimum MTU).

import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import type { NetDevice } from '../../host/types.js';
import { PACKET_HOST, CHECKSUM_UNNECESSARY, type SkBuff } from '../skbuff.js';
import { ip6_local_out, newReplySkb6 } from './ip6_output.js';
import { ndisc_rcv } from './ndisc.js';
import { nf_ct_attach } from '../netfilter/nf_ct_attach.js';
import { l4CsumV6 } from '../../packet/checksum.js';
import { writeIpv6Hdr, writeIcmpv6Hdr, fillL4ChecksumV6, icmp6QuoteLen } from '../../packet/build.js';
import { ipv6ToString } from '../../packet/addr.js';
import type { Rt6 } from './ip6_input.js';

/** ip6_dst_hoplimit: idev->cnf.hop_limit of the route's device (the reply goes back by the ingress one) */
function hopLimit(net: Net, dev: NetDevice | null): number {
  return (dev ? net.host.sysctls.conf(6, dev.name, 'hop_limit') : net.sysctlInt('net.ipv6.conf.all.hop_limit')) || 64;
}

export function icmpv6_rcv(net: Net, skb: SkBuff, ctx: FrameCtx, l4len: number, mcast: boolean): void {
  const fn = 'icmpv6_rcv';
  const b = skb.data;
  const th = skb.transport_header;
  const trusted = net.opts.checksums === 'trust' || skb.ip_summed === CHECKSUM_UNNECESSARY || skb.tail < skb.wireEnd;
  if (!trusted && l4CsumV6(b, skb.network_header, th, l4len, 58) !== 0) return void ctx.drop(fn, 'ICMP_CSUM');
  // pskb_pull(skb, sizeof(struct icmp6hdr)): 8 bytes, after the checksum (recorded: a 6-byte echo dies here)
  if (l4len < 8) return void ctx.drop(fn, 'NOT_SPECIFIED', { detail: { why: 'shorter than struct icmp6hdr' } });
  const type = b[th];
  switch (type) {
    case 128: {
      if (net.sysctlInt('net.ipv6.icmp.echo_ignore_all')) return void ctx.drop(fn, 'NOT_SPECIFIED', { detail: { why: 'icmpv6 echo_ignore_all' } });
      // icmpv6_echo_reply returns its reason unchanged: icmpv6_rcv frees the request
      if (mcast && net.sysctlInt('net.ipv6.icmp.echo_ignore_multicast')) return void ctx.drop(fn, 'NOT_SPECIFIED', { detail: { why: 'echo_ignore_multicast' } });
      if (anycastDst(skb) && net.sysctlInt('net.ipv6.icmp.echo_ignore_anycast')) return void ctx.drop(fn, 'NOT_SPECIFIED', { detail: { why: 'echo_ignore_anycast' } });
      // icmpv6_echo_reply returns SKB_CONSUMED once the reply is pushed; without a route (or a
      // source) back its reason stays NOT_SPECIFIED and icmpv6_rcv frees the request with it
      // (recorded: fixtures/kernel/ipv6-ctfrag, an echo from an off-link source, no default route)
      if (!icmpv6_echo_reply(net, skb, ctx, l4len, mcast)) return void ctx.drop(fn, 'NOT_SPECIFIED', { detail: { why: 'echo reply not sent: no route back' } });
      return void ctx.consume('icmpv6_echo_reply', 'echo request answered');
    }
    case 129:
      return void ctx.drop('ping_rcv', 'NO_SOCKET');
    case 1:
    case 2:
    case 3:
    case 4:
      return void ctx.consume('icmpv6_notify', `ICMPv6 type ${type} passed to the quoted socket's error handler`);
    case 133:
    case 134:
    case 135:
    case 136:
    case 137:
      return ndisc_rcv(net, skb, ctx);
    case 130:
    case 131:
      return void ctx.consume(type === 130 ? 'igmp6_event_query' : 'igmp6_event_report', 'MLD message processed');
    default:
      if (type & 0x80) return void ctx.drop(fn, 'NOT_SPECIFIED', { detail: { why: `informational type ${type} not handled` } });
      return void ctx.consume('icmpv6_notify', `unknown error type ${type} passed up`);
  }
}

/** ipv6_anycast_destination: the input route is an anycast one (the snapshot's local table) */
function anycastDst(skb: SkBuff): boolean {
  return (skb.dst as Rt6 | null)?.acast === true;
}

/** true when the reply was routed (the kernel's SKB_CONSUMED) */
function icmpv6_echo_reply(net: Net, skb: SkBuff, ctx: FrameCtx, l4len: number, mcast: boolean): boolean {
  const b = skb.data;
  const nh = skb.network_header;
  const th = skb.transport_header;
  const peer = b.slice(nh + 8, nh + 24);
  // source: the address asked when it is a local (RTF_LOCAL) one; for multicast, or anycast unless
  // anycast_src_echo_reply, none: the route lookup picks it (ipv6_dev_get_saddr). Recorded on 6.18:
  // an echo to the subnet-router anycast fd00:1:: is answered from fd00:1::1 (fixtures/kernel/ipv6-paths)
  const src = mcast || (anycastDst(skb) && !net.sysctlInt('net.ipv6.anycast_src_echo_reply')) ? net.ipv6_get_saddr(skb.dev, peer) : b.slice(nh + 24, nh + 40);
  if (!src) return void (ctx.tracing && ctx.ev('icmpv6_echo_reply', 'no source address: not answered')), false;
  const r = newReplySkb6(net, 40 + l4len);
  const o = r.data;
  writeIpv6Hdr(o, 14, 0, 0, l4len, 58, hopLimit(net, skb.dev), src, 0, peer, 0);
  o.set(b.subarray(th, th + l4len), 54);
  o[54] = 129;
  fillL4ChecksumV6(o, 14, 54, l4len, 58);
  r.transport_header = 54;
  ctx.tracing && ctx.ev('icmpv6_echo_reply', `echo reply ${ipv6ToString(src, 0)} > ${ipv6ToString(peer, 0)}`);
  return ip6_local_out(net, r, ctx, skb.dev);
}

/**
 * is_ineligible (net/ipv6/icmp.c): no error about an ICMPv6 error. ipv6_skip_exthdr walks the
 * extension headers (hop-by-hop, routing, destination options, AH, ESP, a first fragment) to the
 * upper protocol; a later fragment or a header cut short stops the walk (eligible); an ICMPv6
 * header without its type byte is ineligible unless it is in a fragment.
 */
function is_ineligible(skb: SkBuff): boolean {
  const b = skb.data;
  const nh = skb.network_header;
  let p = nh + 40;
  if (skb.tail < p) return true;
  let nexthdr = b[nh + 6];
  let fragOff = 0;
  while (nexthdr === 0 || nexthdr === 43 || nexthdr === 44 || nexthdr === 50 || nexthdr === 51 || nexthdr === 60) {
    if (p + 2 > skb.tail) return false;
    let len: number;
    if (nexthdr === 44) {
      if (p + 4 > skb.tail) return false;
      fragOff = (b[p + 2] << 8) | b[p + 3];
      if (fragOff & ~7) break;
      len = 8;
    } else len = nexthdr === 51 ? (b[p + 1] + 2) << 2 : (b[p + 1] + 1) << 3;
    nexthdr = b[p];
    p += len;
  }
  if (nexthdr !== 58) return false;
  if (p >= skb.tail) return fragOff === 0;
  return b[p] < 128;
}

/** icmp6_send: an ICMPv6 error about skb */
export function icmpv6_send(net: Net, skb: SkBuff, ctx: FrameCtx, type: number, code: number, info: number): void {
  const fn = 'icmp6_send';
  const b = skb.data;
  const nh = skb.network_header;
  const dmc = b[nh + 24] === 0xff;
  if (dmc || skb.pkt_type !== PACKET_HOST) {
    if (type !== 2 && !(type === 4 && code === 2)) return void (ctx.tracing && ctx.ev(fn, 'no ICMPv6 error about a multicast/non-host packet'));
  }
  let sAny = true;
  for (let i = 0; i < 16; i++) if (b[nh + 8 + i]) sAny = false;
  if (sAny || b[nh + 8] === 0xff) return void (ctx.tracing && ctx.ev(fn, 'no ICMPv6 error to an unspecified/multicast source'));
  if (is_ineligible(skb)) return void (ctx.tracing && ctx.ev(fn, 'no ICMPv6 error about an ICMPv6 error'));
  const peer = b.slice(nh + 8, nh + 24);
  const odst = b.subarray(nh + 24, nh + 40);
  // __icmpv6_send: the original destination when it is ours (ipv6_chk_addr) or one of our anycast
  // addresses (ipv6_chk_acast_addr_src; recorded on 6.18: a port unreachable about UDP to the
  // subnet-router anycast fd00:1:: comes from fd00:1::, fixtures/kernel/ipv6-paths), else
  // ipv6_dev_get_saddr on the input device (parm->iif: a forwarded packet whose next hop failed is
  // on its output device by now)
  const src = !dmc && (net.isLocal6(b, nh + 24) || anycastDst(skb)) ? odst.slice() : net.ipv6_get_saddr(skb.ip6_iif ?? skb.dev, peer);
  if (!src) return void (ctx.tracing && ctx.ev(fn, 'no source address for the error'));
  // icmpv6_xrlim_allow (ratemask 0-1,3-127: errors other than PKT_TOOBIG): the peer's token bucket
  // costs net.ipv6.icmp.ratelimit per error, whatever the prefix length of the route to the peer.
  // Measured on 6.18 (fixtures/kernel/ipv6-exthdr; 40 packets 50 ms apart at ratelimit 1000 drew 9
  // errors from a /64 peer and from one behind a /0 default route alike): the old "more bandwidth to
  // wider prefixes" scaling (tmo >>= (128 - plen) >> 5) is not applied.
  if (type < 128 && type !== 2) {
    const tmo = net.host.sysctls.raw.has('net.ipv6.icmp.ratelimit') ? net.sysctlInt('net.ipv6.icmp.ratelimit') : 1000;
    if (!net.peers.allow('6:' + ipv6ToString(peer, 0), net.nowMs(), tmo)) return void (ctx.tracing && ctx.ev(fn, `ICMPv6 type ${type} rate-limited`));
  }
  const olen = skb.tail - nh;
  const qlen = icmp6QuoteLen(olen);
  const r = newReplySkb6(net, 40 + 8 + qlen);
  const o = r.data;
  writeIpv6Hdr(o, 14, 0, 0, 8 + qlen, 58, hopLimit(net, skb.dev), src, 0, peer, 0);
  writeIcmpv6Hdr(o, 54, type, code, info >>> 0);
  o.set(b.subarray(nh, nh + qlen), 62);
  fillL4ChecksumV6(o, 14, 54, 8 + qlen, 58);
  r.transport_header = 54;
  // icmpv6_getfrag: an error (type < 128) carries the conntrack entry of the packet it is about
  if (type < 128) nf_ct_attach(r, skb);
  ctx.tracing && ctx.ev('icmp6_send', `ICMPv6 type ${type} code ${code} ${ipv6ToString(src, 0)} > ${ipv6ToString(peer, 0)}`);
  ip6_local_out(net, r, ctx, skb.dev);
}

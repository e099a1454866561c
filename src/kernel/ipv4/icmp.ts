// ICMP: net/ipv4/icmp.c icmp_rcv (checksum, broadcast rules, per-type handlers: echo ->
// icmp_reply, echo reply -> ping_rcv, errors -> icmp_unreach) and __icmp_send (which errors
// may be sent, source address, TOS, quote length, icmpv4_xrlim_allow rate limit). Replies are
// built as real packets and sent through ip_local_out.

import type { Net } from '../net.js';
import { PACKET_HOST, type SkBuff } from '../skbuff.js';
import type { Rtable } from './route.js';
import { ip_local_out, newReplySkb } from './ip_output.js';
import { csumPartial, csumFold } from '../../packet/checksum.js';
import { writeIpv4Hdr, writeIcmpHdr, fillIcmpChecksum, icmpQuoteLen } from '../../packet/build.js';
import { ipv4ToString } from '../../packet/addr.js';
import { csumTrusted } from './ip_input.js';
import { ip_route_output } from './route.js';
import { FrameCtx } from '../ctx.js';
import { nf_ct_attach } from '../netfilter/nf_ct_attach.js';

/** a context for lookups whose events are not part of the frame's timeline */
const quietCtx = new FrameCtx();
quietCtx.tracing = false;

const NR_ICMP_TYPES = 18;
const ICMP_EXT_ECHO = 42;
const ICMP_EXT_ECHOREPLY = 43;
/** icmp_pointers[type].error */
const IS_ERROR = new Set([3, 4, 5, 11, 12]);

function ttlDefault(net: Net): number {
  return net.sysctlInt('net.ipv4.ip_default_ttl') || 64;
}

export function icmp_rcv(net: Net, skb: SkBuff, ctx: FrameCtx): void {
  const fn = 'icmp_rcv';
  const b = skb.data;
  const th = skb.transport_header;
  const len = skb.tail - th;
  const rt = skb.dst as Rtable;
  // skb_checksum_simple_validate
  if (!csumTrusted(net, skb) && csumFold(csumPartial(b, th, len, 0)) !== 0) {
    ctx.drop(fn, 'ICMP_CSUM');
    return;
  }
  // pskb_pull(skb, sizeof(*icmph)) fails: `goto error` with the reason still NOT_SPECIFIED
  if (len < 8) {
    ctx.drop(fn, 'NOT_SPECIFIED', { detail: { len } });
    return;
  }
  const type = b[th];
  // ICMP_EXT_ECHO (PROBE, RFC 8335) goes to icmp_echo before the broadcast and type checks; with
  // icmp_echo_enable_probe 0 (the default) it is consumed unanswered. Answering it is not modelled.
  if (type === ICMP_EXT_ECHO) {
    if (net.sysctlInt('net.ipv4.icmp_echo_enable_probe')) ctx.unsupported.push('ICMP extended echo (PROBE) replies not modelled');
    ctx.consume('icmp_echo', 'extended echo (PROBE): icmp_echo_enable_probe off, not answered');
    return;
  }
  // the broadcast/multicast rules come before the type range check (recorded on 6.18: type 30 to a
  // subnet broadcast is INVALID_PROTO, to a unicast address UNHANDLED_PROTO)
  if (rt.type === 'broadcast' || rt.type === 'multicast') {
    if ((type === 8 || type === 13) && net.sysctlInt('net.ipv4.icmp_echo_ignore_broadcasts')) {
      ctx.drop(fn, 'INVALID_PROTO', { detail: { why: 'icmp_echo_ignore_broadcasts' } });
      return;
    }
    if (type !== 8 && type !== 13 && type !== 17 && type !== 18) {
      ctx.drop(fn, 'INVALID_PROTO', { detail: { why: 'ICMP type not accepted to broadcast' } });
      return;
    }
  }
  if (type === 0 || type === ICMP_EXT_ECHOREPLY) {
    // ping_rcv: an echo reply needs a ping socket (ss does not list them)
    ctx.drop('ping_rcv', 'NO_SOCKET');
    return;
  }
  if (type > NR_ICMP_TYPES) {
    ctx.drop(fn, 'UNHANDLED_PROTO', { detail: { type } });
    return;
  }
  switch (type) {
    case 8: // icmp_echo
      if (net.sysctlInt('net.ipv4.icmp_echo_ignore_all')) {
        ctx.consume('icmp_echo', 'icmp_echo_ignore_all: not answered');
        return;
      }
      icmp_reply_echo(net, skb, ctx, 0);
      ctx.consume('icmp_echo', 'echo request answered');
      return;
    case 13: // icmp_timestamp
      icmp_reply_echo(net, skb, ctx, 14);
      ctx.consume('icmp_timestamp', 'timestamp request answered');
      return;
    case 3:
    case 4:
    case 11:
    case 12: {
      // icmp_unreach: pskb_may_pull(skb, sizeof(struct iphdr)) fails -> out_err (NOT_SPECIFIED);
      // a quoted header with ihl < 5 -> IP_INHDR
      if (len < 8 + 20) {
        ctx.drop('icmp_unreach', 'NOT_SPECIFIED', { detail: { quoted: len - 8 } });
        return;
      }
      if ((b[th + 8] & 0x0f) < 5) {
        ctx.drop('icmp_unreach', 'IP_INHDR', { detail: { ihl: b[th + 8] & 0x0f } });
        return;
      }
      ctx.consume('icmp_unreach', `ICMP type ${type} code ${b[th + 1]} passed to the quoted socket's error handler`);
      return;
    }
    case 5:
      // icmp_redirect: skb->len < sizeof(struct iphdr) after the ICMP header -> PKT_TOO_SMALL
      if (len < 8 + 20) {
        ctx.drop('icmp_redirect', 'PKT_TOO_SMALL', { detail: { quoted: len - 8 } });
        return;
      }
      ctx.consume('icmp_redirect', 'redirect processed');
      return;
    default:
      ctx.consume('icmp_discard', `ICMP type ${type} ignored`);
  }
}

/** icmp_reply for echo (type 0) or timestamp (14): same payload back, source = the address asked */
function icmp_reply_echo(net: Net, skb: SkBuff, ctx: FrameCtx, replyType: number): void {
  const b = skb.data;
  const nh = skb.network_header;
  const th = skb.transport_header;
  const len = skb.tail - th;
  const saddr = rd32(b, nh + 12);
  const daddr = rd32(b, nh + 16);
  const rt = skb.dst as Rtable;
  // fib_compute_spec_dst: the local address that was asked, or for broadcast the device's address
  const src = rt.type === 'local' ? daddr : net.inet_select_addr(skb.dev, saddr);
  const r = newReplySkb(net, 20 + len);
  const o = r.data;
  writeIpv4Hdr(o, 14, b[nh + 1], 20 + len, nextId(net), 0, ttlDefault(net), 1, src, saddr);
  o.set(b.subarray(th, th + len), 34);
  o[34] = replyType;
  o[35] = 0;
  if (replyType === 14 && len >= 20) {
    // originate stays, receive/transmit = ms since midnight UT of the capture time
    const ms = (net.nowSec % 86400) * 1000 + Math.floor(net.nowNsec / 1e6);
    wr32(o, 34 + 12, ms);
    wr32(o, 34 + 16, ms);
  }
  fillIcmpChecksum(o, 34, len);
  r.transport_header = 34;
  ctx.tracing && ctx.ev('icmp_reply', `${replyType === 0 ? 'echo reply' : 'timestamp reply'} ${ipv4ToString(src)} > ${ipv4ToString(saddr)}`);
  ip_local_out(net, r, ctx);
}

function nextId(net: Net): number {
  net.ipId = (net.ipId + 1) & 0xffff;
  return net.ipId;
}

function rd32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
function wr32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/**
 * __icmp_send(skb_in, type, code, info): an ICMP error about skb_in, sent when the kernel would:
 * not about broadcast/multicast routes or non-PACKET_HOST frames, not about non-first fragments,
 * not about ICMP errors; rate-limited per destination for types in icmp_ratemask.
 */
export function icmp_send(net: Net, skb: SkBuff, ctx: FrameCtx, type: number, code: number, info: number): void {
  const fn = '__icmp_send';
  const b = skb.data;
  const nh = skb.network_header;
  const rt = skb.dst as Rtable | null;
  if (rt && (rt.type === 'broadcast' || rt.type === 'multicast')) {
    ctx.tracing && ctx.ev(fn, 'no ICMP error about a broadcast/multicast packet');
    return;
  }
  if (skb.pkt_type !== PACKET_HOST) {
    ctx.tracing && ctx.ev(fn, 'no ICMP error: frame was not PACKET_HOST');
    return;
  }
  if (((b[nh + 6] << 8) | b[nh + 7]) & 0x1fff) {
    ctx.tracing && ctx.ev(fn, 'no ICMP error about a non-first fragment');
    return;
  }
  const ihl = (b[nh] & 0x0f) << 2;
  if (b[nh + 9] === 1) {
    const t = b[nh + ihl];
    if (t > NR_ICMP_TYPES || IS_ERROR.has(t)) {
      ctx.tracing && ctx.ev(fn, 'no ICMP error about an ICMP error');
      return;
    }
  }
  const osaddr = rd32(b, nh + 12);
  const odaddr = rd32(b, nh + 16);
  // source: the address the packet was sent to when it was ours, else the output device's
  let saddr = rt && rt.type === 'local' ? odaddr : 0;
  // icmpv4_xrlim_allow: types in icmp_ratemask (default 0x1818), not frag-needed, not via loopback
  const ratemask = net.host.sysctls.raw.has('net.ipv4.icmp_ratemask') ? net.sysctlInt('net.ipv4.icmp_ratemask') : 0x1818;
  const limited = type <= NR_ICMP_TYPES && !(type === 3 && code === 4) && ((1 << type) & ratemask) !== 0;
  if (limited) {
    const ratelimit = net.host.sysctls.raw.has('net.ipv4.icmp_ratelimit') ? net.sysctlInt('net.ipv4.icmp_ratelimit') : 1000;
    if (!net.peers.allow(ipv4ToString(osaddr), net.nowMs(), ratelimit)) {
      ctx.tracing && ctx.ev(fn, `ICMP type ${type} to ${ipv4ToString(osaddr)} rate-limited (icmp_ratelimit)`);
      return;
    }
  }
  const totLen = skb.tail - nh;
  const qlen = Math.min(icmpQuoteLen(Math.min(totLen, (b[nh + 2] << 8) | b[nh + 3])), totLen);
  const r = newReplySkb(net, 20 + 8 + qlen);
  const o = r.data;
  if (!saddr) {
    // icmp_route_lookup -> ip_route_output_key_hash: the route back's prefsrc, else an address of its device
    quietCtx.reset(0);
    const back = ip_route_output(net, osaddr, 0, 0, quietCtx, 0); // icmp_route_lookup: sock_net_uid(net, NULL)
    saddr = typeof back !== 'number' ? back.prefsrc || net.inet_select_addr(back.dev, osaddr) : net.inet_select_addr(skb.dev, osaddr);
  }
  // errors get IPTOS_PREC_INTERNETCONTROL (0xc0) over the original TOS
  const tos = ((b[nh + 1] & 0x1e) | 0xc0) & 0xff;
  writeIpv4Hdr(o, 14, tos, 20 + 8 + qlen, nextId(net), 0, ttlDefault(net), 1, saddr, osaddr);
  writeIcmpHdr(o, 34, type, code, info >>> 0);
  o.set(b.subarray(nh, nh + qlen), 42);
  fillIcmpChecksum(o, 34, 8 + qlen);
  r.transport_header = 34;
  // icmp_glue_bits: an error carries the conntrack entry of the packet it is about
  nf_ct_attach(r, skb);
  ctx.tracing && ctx.ev('icmp_send', `ICMP type ${type} code ${code} ${ipv4ToString(saddr)} > ${ipv4ToString(osaddr)}`);
  ip_local_out(net, r, ctx);
}

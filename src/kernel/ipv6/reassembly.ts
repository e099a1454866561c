// IPv6 reassembly: net/ipv6/reassembly.c ipv6_frag_rcv / ip6_frag_queue / ip6_frag_reasm,
// sharing inet_frag_queue_insert's overlap/duplicate rules with IPv4 (ipv4/ip_fragment.ts).
// Atomic fragments (offset 0, no M) pass straight through; a non-last fragment whose length is
// not a multiple of 8 gets an ICMPv6 parameter problem pointing at payload_len.

import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import { SkBuff } from '../skbuff.js';
import { icmpv6_send } from './icmp.js';

export interface FragOut {
  skb: SkBuff;
  /** offset of the header after the fragment header in the new skb, and its type */
  off: number;
  nexthdr: number;
  /** offset of the next-header byte that named the fragment header */
  nhoff: number;
}

/**
 * ipv6_frag_rcv for the fragment header at `fo` (named by the byte at `nhoff`). Returns how to
 * continue (the same skb for an atomic fragment, the reassembled one for the last piece), or
 * null when the frame was queued (consumed) or dropped.
 */
export function ipv6_frag_rcv(net: Net, skb: SkBuff, ctx: FrameCtx, fo: number, nhoff: number): FragOut | null {
  return frag6(net, skb, ctx, fo, nhoff, false);
}

/**
 * nf_ct_frag6_gather (net/ipv6/netfilter/nf_conntrack_reasm.c, ipv6_defrag at PRE_ROUTING -400)
 * for the fragment header at `fo`: its own queues (user IP6_DEFRAG_CONNTRACK_IN), no ICMP. Returns
 * the reassembled packet, the same skb when conntrack lets it through untouched (atomic fragment,
 * a length not a multiple of 8: -EPROTO), or null when held (NF_STOLEN) or dropped (NF_DROP).
 */
export function nf_ct_frag6_gather(net: Net, skb: SkBuff, ctx: FrameCtx, fo: number, nhoff: number): FragOut | null {
  return frag6(net, skb, ctx, fo, nhoff, true);
}

function frag6(net: Net, skb: SkBuff, ctx: FrameCtx, fo: number, nhoff: number, ct: boolean): FragOut | null {
  const fn = ct ? 'nf_ct_frag6_gather' : 'ipv6_frag_rcv';
  const b = skb.data;
  const nh = skb.network_header;
  if (ct && fo + 8 > skb.tail) return { skb, off: fo, nexthdr: 44, nhoff };
  if (fo + 8 > skb.tail) {
    icmpv6_send(net, skb, ctx, 4, 0, fo - nh);
    ctx.drop(fn, 'NOT_SPECIFIED', { detail: { why: 'fragment header beyond the packet' } });
    return null;
  }
  const fragOff = (b[fo + 2] << 8) | b[fo + 3];
  const nexthdr = b[fo];
  if (!(fragOff & 0xfff9) && !ct) {
    ctx.tracing && ctx.ev(fn, 'atomic fragment: not fragmented');
    return { skb, off: fo + 8, nexthdr, nhoff: fo };
  }
  if (skb.tail < skb.wireEnd) {
    ctx.unsupported.push('IPv6 fragment truncated by the capture snaplen: reassembly not possible');
    ctx.drop(fn, 'NOT_SPECIFIED');
    return null;
  }
  const offset = fragOff & 0xfff8;
  const mf = (fragOff & 1) === 1;
  const plen = (b[nh + 4] << 8) | b[nh + 5];
  const end = offset + plen - (fo + 8 - (nh + 40));
  if (ct && end > 65535) return void ctx.drop('nf_hook_slow', 'NETFILTER_DROP', { detail: { why: 'nf_ct_frag6_queue: offset too large (-EINVAL, NF_DROP)' } }), null;
  if (ct && mf && end & 7) {
    ctx.tracing && ctx.ev(fn, 'end of fragment not rounded to 8 bytes (-EPROTO): passed on unchanged');
    return { skb, off: fo, nexthdr: 44, nhoff };
  }
  if (end > 65535) {
    // ip6_frag_queue sets prob_offset; ipv6_frag_rcv sends the parameter problem and frees the skb
    // there (recorded location: ipv6_frag_rcv)
    icmpv6_send(net, skb, ctx, 4, 0, fo + 2 - nh);
    ctx.drop('ipv6_frag_rcv', 'NOT_SPECIFIED', { detail: { why: 'fragment ends beyond 65535' } });
    return null;
  }
  if (mf && end & 7) {
    // RFC 2460: a non-last fragment not a multiple of 8 bytes: parameter problem at payload_len
    icmpv6_send(net, skb, ctx, 4, 0, 4);
    ctx.drop('ipv6_frag_rcv', 'NOT_SPECIFIED', { detail: { why: 'fragment length not a multiple of 8' } });
    return null;
  }
  // fq_find key: identification, saddr, daddr, iif
  let key = (ct ? 'ct6:' : '6:') + (((b[fo + 4] << 24) | (b[fo + 5] << 16) | (b[fo + 6] << 8) | b[fo + 7]) >>> 0) + ':' + (skb.dev ? skb.dev.ifindex : 0) + ':';
  for (let i = 8; i < 40; i++) key += String.fromCharCode(b[nh + i]);
  const payload = b.subarray(fo + 8, nh + 40 + plen);
  // the unfragmentable part (IPv6 header and headers before the fragment header) of the first piece
  const hdr = offset === 0 ? b.subarray(skb.start, fo) : null;
  const r = net.ipq.queue(key, net.nowMs(), offset, mf, payload, hdr, skb.frameNo);
  // q.max_size: the largest payload_len (nf_ct_frag6_queue), for IP6CB frag_max_size
  if (r.kind !== 'drop' && plen > (r.q.maxSize ?? 0)) r.q.maxSize = plen;
  if (r.kind === 'drop') {
    ctx.tracing && ctx.ev('ip6_frag_queue', r.why);
    // conntrack: a duplicate is DUP_FRAG, any other insert error kills the queue and NF_DROPs
    ctx.drop(ct ? (r.reason === 'DUP_FRAG' ? fn : 'nf_hook_slow') : 'ip6_frag_queue', ct && r.reason !== 'DUP_FRAG' ? 'NETFILTER_DROP' : r.reason);
    return null;
  }
  if (r.kind === 'queued') {
    if (ct) return void ctx.consume(fn, `fragment offset ${offset}${mf ? ' M' : ''} held by conntrack defrag (NF_STOLEN)`), null;
    ctx.consume('ipv6_frag_rcv', `fragment offset ${offset}${mf ? ' M' : ''} queued (${r.q.meat} of ${r.q.lastIn ? r.q.len : '?'} bytes)`);
    return null;
  }
  // ip6_frag_reasm: unfragmentable part + data; the byte that named the fragment header now names what it carried
  const first = r.q.firstHdr!;
  const unfrag = first.length;
  const buf = new Uint8Array(unfrag + r.payload.length);
  buf.set(first, 0);
  buf.set(r.payload, unfrag);
  // the whole datagram's buffer starts at the frame's first byte: offsets relative to skb.start
  const rnh = nh - skb.start;
  const newPlen = unfrag - (rnh + 40) + r.payload.length;
  buf[rnh + 4] = newPlen >>> 8;
  buf[rnh + 5] = newPlen & 0xff;
  // the first fragment's header chain ends at its own fragment header: the named byte is at the same place
  const firstNhoff = nhoff - skb.start < unfrag ? nhoff - skb.start : rnh + 6;
  buf[firstNhoff] = nexthdr;
  const whole = new SkBuff(buf, buf.length);
  whole.writable = true;
  whole.copy_skb_header(skb);
  whole.network_header = rnh;
  whole.transport_header = unfrag;
  // nf_ct_frag6_reasm: IP6CB(skb)->frag_max_size = sizeof(struct ipv6hdr) + q.max_size
  if (ct) whole.frag_max_size = 40 + (r.q.maxSize ?? plen);
  ctx.tracing && ctx.ev(ct ? 'nf_ct_frag6_reasm' : 'ip6_frag_reasm', `reassembled ${newPlen} payload bytes from frames ${r.q.frames.join(',')}`);
  return { skb: whole, off: unfrag, nexthdr, nhoff: firstNhoff };
}

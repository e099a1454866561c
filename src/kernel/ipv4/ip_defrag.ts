// ip_defrag (net/ipv4/ip_fragment.c) for ip_local_deliver (IP_DEFRAG_LOCAL_DELIVER) and for
// nf_defrag_ipv4 at PRE_ROUTING (IP_DEFRAG_CONNTRACK_IN, its own queues): queue the fragment; the
// one that completes the datagram continues as the reassembled packet, the others are held
// (consumed) or dropped with the kernel's reason.

import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import { SkBuff } from '../skbuff.js';
import { ipSendCheck } from '../../packet/build.js';

/** enum ip_defrag_users, as a key prefix: each user has its own queues (ipq key includes user) */
export type IpDefragUser = 'local' | 'conntrack_in';

export function ip_defrag(net: Net, skb: SkBuff, ctx: FrameCtx, user: IpDefragUser = 'local'): SkBuff | null {
  const b = skb.data;
  const nh = skb.network_header;
  const ihl = (b[nh] & 0x0f) << 2;
  const totLen = (b[nh + 2] << 8) | b[nh + 3];
  const fo = (b[nh + 6] << 8) | b[nh + 7];
  const offset = (fo & 0x1fff) << 3;
  const mf = (fo & 0x2000) !== 0;
  if (skb.tail < nh + totLen) {
    ctx.unsupported.push('fragment truncated by the capture snaplen: reassembly not possible');
    ctx.drop('ip_defrag', 'NOT_SPECIFIED');
    return null;
  }
  // ipqhashfn key: saddr, daddr, id, protocol (user = IP_DEFRAG_LOCAL_DELIVER, vif)
  const key = `${user === 'local' ? '' : user + ' '}${b[nh + 12]}.${b[nh + 13]}.${b[nh + 14]}.${b[nh + 15]}>${b[nh + 16]}.${b[nh + 17]}.${b[nh + 18]}.${b[nh + 19]}#${(b[nh + 4] << 8) | b[nh + 5]}/${b[nh + 9]}`;
  const payload = b.subarray(nh + ihl, nh + totLen);
  // the first fragment's bytes up to its payload, from the frame's first byte
  const hdr = offset === 0 ? b.subarray(skb.start, nh + ihl) : null;
  const r = net.ipq.queue(key, net.nowMs(), offset, mf, payload, hdr, skb.frameNo);
  // ip_frag_queue: fragsize = skb->len + ihl after the trim to end - offset (a non-last fragment
  // is cut to a multiple of 8), the largest kept as q.max_size
  const fragsize = mf ? ihl + ((totLen - ihl) & ~7) : totLen;
  if (r.kind !== 'drop' && fragsize > (r.q.maxSize ?? 0)) r.q.maxSize = fragsize;
  if (r.kind === 'drop') {
    ctx.tracing && ctx.ev(r.refused ? 'ip_defrag' : 'ip_frag_queue', r.why);
    // no queue (ip_find NULL): ip_defrag's own kfree_skb
    ctx.drop(r.refused ? 'ip_defrag' : 'ip_frag_queue', r.reason);
    return null;
  }
  if (r.kind === 'queued') {
    ctx.consume('ip_defrag', `fragment offset ${offset}${mf ? ' MF' : ''} queued (${r.q.meat} of ${r.q.lastIn ? r.q.len : '?'} bytes)`);
    return null;
  }
  // ip_frag_reasm: header of the first fragment, MF/offset cleared, tot_len of the whole
  const first = r.q.firstHdr!;
  const fnh = nh - skb.start; // link header length of the first fragment is assumed equal to this one's
  const fihl = (first[fnh] & 0x0f) << 2;
  const total = fihl + r.payload.length;
  const buf = new Uint8Array(fnh + total);
  buf.set(first.subarray(0, fnh + fihl), 0);
  buf.set(r.payload, fnh + fihl);
  buf[fnh + 2] = total >>> 8;
  buf[fnh + 3] = total & 0xff;
  buf[fnh + 6] &= 0x40; // keep DF only
  buf[fnh + 7] = 0;
  ipSendCheck(buf, fnh);
  const whole = new SkBuff(buf, buf.length);
  whole.writable = true;
  whole.copy_skb_header(skb);
  whole.network_header = fnh;
  whole.transport_header = fnh + fihl;
  // ip_frag_reasm: IPCB(head)->frag_max_size = max(max_df_size, max_size)
  whole.frag_max_size = r.q.maxSize!;
  ctx.tracing && ctx.ev('ip_frag_reasm', `reassembled ${total} bytes from frames ${r.q.frames.join(',')}`);
  return whole;
}

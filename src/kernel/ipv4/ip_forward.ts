// ip_forward (net/ipv4/ip_forward.c): TTL, MTU/DF, ICMP redirect, NF FORWARD, then
// ip_forward_finish -> dst_output (ip_output).

import type { FrameCtx } from '../ctx.js';
import type { TimelineEvent } from '../fate.js';
import { NF_HOOK, type Net } from '../net.js';
import { NFPROTO_IPV4, NF_INET_FORWARD } from '../netfilter/hook.js';
import { PACKET_HOST, type SkBuff } from '../skbuff.js';
import type { Rtable } from './route.js';
import { icmp_send } from './icmp.js';
import { ip_output } from './ip_output.js';
import { csumReplace2 } from '../../packet/checksum.js';
import { ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, ICMP_REDIRECT, ICMP_REDIR_HOST } from '../../packet/icmp.js';
import { newFlow, type FibResult } from '../route/fib.js';
import { ipv4ToString } from '../../packet/addr.js';
import { ipv4Saddr, ipv4Daddr } from '../../packet/ipv4.js';
import { sharedEvent } from '../fate.js';

export function ip_forward(net: Net, skb: SkBuff, ctx: FrameCtx): void {
  const fn = 'ip_forward';
  const rt = skb.dst as Rtable;
  if (skb.pkt_type !== PACKET_HOST) {
    ctx.drop(fn, 'NOT_SPECIFIED', { detail: { why: 'pkt_type not PACKET_HOST' } });
    return;
  }
  const b = skb.data;
  const nh = skb.network_header;
  const ttl = b[nh + 8];
  if (ttl <= 1) {
    // too_many_hops
    icmp_send(net, skb, ctx, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0);
    ctx.drop(fn, 'IP_INHDR', { detail: { ttl } });
    return;
  }
  const out = rt.dev!;
  const mtu = rt.mtu || out.mtu;
  const totLen = (b[nh + 2] << 8) | b[nh + 3];
  const df = (b[nh + 6] & 0x40) !== 0;
  if (totLen > mtu) {
    // ip_exceeds_mtu: GRO output passes when each segment fits (skb_gso_validate_network_len:
    // gso_size + headers <= mtu). The capture does not carry gso_size; gro_note estimates the
    // segments as full frames of the ingress device, so they fit when its MTU is not larger.
    const gso = skb.gso_segs > 1 && skb.dev!.mtu <= mtu;
    if (df && !gso) {
      icmp_send(net, skb, ctx, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu);
      ctx.drop(fn, 'PKT_TOO_BIG', { detail: { len: totLen, mtu } });
      return;
    }
    ctx.tracing && ctx.ev(fn, gso ? `GRO packet of ${totLen} bytes: segmented on transmit (mtu ${mtu})` : `${totLen} bytes > mtu ${mtu}, no DF: ip_fragment on output`);
  }
  // skb_cow + ip_decrease_ttl (incremental checksum update): TTL and header checksum
  skb.skb_ensure_writable(nh + 12);
  const d = skb.data;
  const old = (d[nh + 8] << 8) | d[nh + 9];
  d[nh + 8] = ttl - 1;
  csumReplace2(d, nh + 10, old, ((ttl - 1) << 8) | d[nh + 9]);
  if (ctx.tracing) ctx.events.push(ttlEvent(ttl));
  if (rt.sameDev) ip_rt_send_redirect(net, skb, ctx, rt);
  if (!NF_HOOK(net, NFPROTO_IPV4, NF_INET_FORWARD, skb, skb.dev, out, ctx)) return;
  // ip_forward_finish -> dst_output; re-read: FORWARD rules cannot NAT, but mangle may mark
  ip_output(net, skb, ctx, out, rt.gw, mtu);
}

/** the ip_decrease_ttl step for each TTL, made once: events are never changed once made */
const ttlEvents: (TimelineEvent | undefined)[] = [];
function ttlEvent(ttl: number): TimelineEvent {
  return (ttlEvents[ttl] ??= sharedEvent({ fn: 'ip_decrease_ttl', what: `ttl ${ttl} -> ${ttl - 1}`, diff: { ttl: [ttl, ttl - 1] } }));
}

/**
 * ip_rt_send_redirect: forwarding back out the ingress device to a directly connected source
 * (IPSKB_DOREDIRECT, send_redirects on) tells the source about the better next hop.
 * Rate: inet_peer n_redirects with ip_rt_redirect_load (HZ/50) << n, at most ip_rt_redirect_number (9),
 * reset after ip_rt_redirect_silence.
 */
const redirects = new WeakMap<Net, Map<number, { n: number; last: number }>>();
function ip_rt_send_redirect(net: Net, skb: SkBuff, ctx: FrameCtx, rt: Rtable): void {
  const dev = skb.dev!;
  if (!net.conf(4, dev.name, 'send_redirects')) return;
  const b = skb.data;
  const nh = skb.network_header;
  const saddr = ipv4Saddr(b, nh);
  // the source must be on-link on dev (fib_validate_source returned 1: nexthop scope host)
  const f = newFlow();
  f.daddr = saddr;
  f.iif = 1;
  const r = { alias: null, nh: null, table: 0, rule: null } as unknown as FibResult;
  if (net.fib4.lookup(f, r) !== 0 || r.alias.type !== 'unicast' || r.nh.gw !== null || r.nh.dev !== dev) return;
  let m = redirects.get(net);
  if (!m) redirects.set(net, (m = new Map()));
  const now = net.nowMs();
  let p = m.get(saddr);
  if (!p) m.set(saddr, (p = { n: 0, last: now }));
  // ip_rt_redirect_silence ((HZ / 50) << 10 = 20480 ms) without a redirected packet resets the count
  if (now - p.last > 20480) p.n = 0;
  // ip_rt_redirect_number (9) ignored redirects: send nothing, but the packet restarts the silence
  if (p.n >= 9) {
    p.last = now;
    return;
  }
  if (p.n === 0 || now - p.last > 20 * 2 ** p.n) {
    const daddr = ipv4Daddr(b, nh);
    const gw = rt.gw || daddr;
    ctx.tracing && ctx.ev('ip_rt_send_redirect', `source ${ipv4ToString(saddr)} on-link: redirect to ${ipv4ToString(gw)}`);
    icmp_send(net, skb, ctx, ICMP_REDIRECT, ICMP_REDIR_HOST, gw);
    p.n++;
    p.last = now;
  }
}

// UDP receive: net/ipv4/udp.c __udp4_lib_rcv (length checks, udp4_csum_init, broadcast and
// multicast to every bound socket, unicast lookup, no socket -> checksum then ICMP port
// unreachable and NO_SOCKET) and net/ipv6/udp.c __udp6_lib_rcv alike.

import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import type { SkBuff } from '../skbuff.js';
import type { Rtable } from '../ipv4/route.js';
import { l4_csum_ok } from './csum.js';
import { icmp_send } from '../ipv4/icmp.js';
import { icmpv6_send } from '../ipv6/icmp.js';
import { ICMP_DEST_UNREACH, ICMP_PORT_UNREACH } from '../../packet/icmp.js';
import { ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH } from '../../packet/icmpv6.js';
import { ipv4Saddr, ipv4Daddr } from '../../packet/ipv4.js';

export function udp_rcv(net: Net, skb: SkBuff, ctx: FrameCtx): void {
  const b = skb.data;
  const nh = skb.network_header;
  const th = skb.transport_header;
  const totLen = (b[nh + 2] << 8) | b[nh + 3];
  const saddr = ipv4Saddr(b, nh);
  const daddr = ipv4Daddr(b, nh);
  const rt = skb.dst as Rtable;
  udp_common(net, skb, ctx, 4, saddr, daddr, totLen - (th - nh), rt.type === 'broadcast' || rt.type === 'multicast', '__udp4_lib_rcv');
}

export function udpv6_rcv(net: Net, skb: SkBuff, ctx: FrameCtx, l4len: number, mcast: boolean): void {
  const b = skb.data;
  const nh = skb.network_header;
  udp_common(net, skb, ctx, 6, b.slice(nh + 8, nh + 24), b.slice(nh + 24, nh + 40), l4len, mcast, '__udp6_lib_rcv');
}

function udp_common(net: Net, skb: SkBuff, ctx: FrameCtx, fam: 4 | 6, saddr: number | Uint8Array, daddr: number | Uint8Array, l4len: number, mcast: boolean, fn: string): void {
  const b = skb.data;
  const th = skb.transport_header;
  if (l4len < 8 || skb.tail - th < 8) {
    ctx.drop(fn, 'PKT_TOO_SMALL', { detail: { why: 'no room for a UDP header' } });
    return;
  }
  const sport = (b[th] << 8) | b[th + 1];
  const dport = (b[th + 2] << 8) | b[th + 3];
  const ulen = (b[th + 4] << 8) | b[th + 5];
  const check = (b[th + 6] << 8) | b[th + 7];
  // IPv6 jumbograms aside, the UDP length must fit the IP payload and hold the header
  if (ulen > l4len || ulen < 8) {
    ctx.drop(fn, 'PKT_TOO_SMALL', { detail: { ulen, payload: l4len } });
    return;
  }
  // udp4_csum_init: a zero checksum over IPv4 means none; over IPv6 it is invalid (udp6_csum_init)
  let csumBad = false;
  if (check === 0 && fam === 6) {
    ctx.drop(fn, 'UDP_CSUM', { detail: { why: 'zero checksum over IPv6' } });
    return;
  }
  if (check !== 0) csumBad = !l4_csum_ok(net, skb, ctx, fam, 17, ulen, fam === 4 ? (saddr as number) : 0, fam === 4 ? (daddr as number) : 0, 6);
  const dif = skb.dev ? skb.dev.ifindex : 0;
  if (mcast) {
    // __udp4_lib_mcast_deliver / __udp6_lib_mcast_deliver: a copy to every matching socket, else kfree_skb
    const socks = net.sockets.udpMcastSocks(fam, daddr, dport, dif);
    if (!socks.length) {
      ctx.drop(fam === 6 ? '__udp6_lib_mcast_deliver' : '__udp4_lib_mcast_deliver', 'NOT_SPECIFIED', { detail: { why: `no socket bound to port ${dport}` } });
      return;
    }
    if (csumBad) return void ctx.drop(fn, 'UDP_CSUM');
    for (let i = 1; i < socks.length; i++) ctx.tracing && ctx.ev('udp_queue_rcv_skb', `copy queued to ${socks[i].name}`);
    ctx.deliver('udp_queue_rcv_skb', socks[0].name);
    return;
  }
  const sk = net.sockets.lookupUdp(fam, saddr, sport, daddr, dport, dif);
  if (sk) {
    if (csumBad) {
      // the checksum of a queued datagram is verified when it is read (udp_recvmsg): it never reaches the application
      ctx.tracing && ctx.ev('udp_queue_rcv_skb', 'bad checksum: discarded by udp_recvmsg');
      ctx.drop('udp_recvmsg', 'UDP_CSUM');
      return;
    }
    ctx.deliver('udp_queue_rcv_skb', sk.name);
    return;
  }
  // no socket: drop silently if the checksum is wrong, else port unreachable
  if (csumBad) return void ctx.drop(fn, 'UDP_CSUM');
  ctx.tracing && ctx.ev('__udp4_lib_lookup', `no socket for port ${dport}`);
  if (fam === 4) icmp_send(net, skb, ctx, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
  else icmpv6_send(net, skb, ctx, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0);
  ctx.drop(fn, 'NO_SOCKET');
}

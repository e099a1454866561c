// IPv4 output: net/ipv4/ip_output.c ip_local_out -> NF LOCAL_OUT -> dst_output -> ip_output
// -> NF POST_ROUTING -> ip_finish_output (fragmentation check) -> ip_finish_output2
// (neighbour lookup, link header) -> dev_queue_xmit. Used for forwarded frames (from
// ip_forward_finish), for the replies the kernel builds, and for frames the host itself sent.

import { dev_is_loopback, dev_noarp } from '../core/netdevice.js';
import type { NetDevice } from '../../host/types.js';
import type { FrameCtx } from '../ctx.js';
import type { TimelineEvent } from '../fate.js';
import { NF_HOOK, type Net } from '../net.js';
import { NFPROTO_IPV4, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING } from '../netfilter/hook.js';
import { SkBuff } from '../skbuff.js';
import { dev_queue_xmit, ReplySkb } from '../core/dev.js';
import { neigh_resolve } from '../neigh/neighbour.js';
import { ip_route_output } from './route.js';
import { tcp_outbound } from '../transport/tcp_ipv4.js';
import { ipv4ToString } from '../../packet/addr.js';
import { ipv4Daddr, ipv4Saddr } from '../../packet/ipv4.js';
import { ipSendCheck } from '../../packet/build.js';
import { sharedEvent } from '../fate.js';

/**
 * ip_local_out for a packet the kernel built: it is routed first (the reply's route), then
 * __ip_local_out runs NF LOCAL_OUT with the route's device as `out`; when the hook changed the
 * destination (DNAT in OUTPUT) or the mark, ip_route_me_harder routes it again; then dst_output.
 */
export function ip_local_out(net: Net, skb: SkBuff, ctx: FrameCtx, fixedDev: NetDevice | null = null): void {
  if (!(skb instanceof ReplySkb)) return __ip_local_out(net, skb, ctx, fixedDev);
  // a packet the kernel built is another skb than the captured frame: its steps are the reply's
  ctx.beginReply();
  __ip_local_out(net, skb, ctx, fixedDev);
  ctx.endReply();
}

function __ip_local_out(net: Net, skb: SkBuff, ctx: FrameCtx, fixedDev: NetDevice | null): void {
  const reply = skb instanceof ReplySkb;
  const nh = skb.network_header;
  let daddr = ipv4Daddr(skb.data, nh);
  let mark = skb.mark;
  let dev = fixedDev;
  let gw = 0;
  const route = (): boolean => {
    const rt = ip_route_output(net, daddr, ipv4Saddr(skb.data, nh), skb.mark, ctx, reply ? 0 : -1);
    if (typeof rt === 'number') {
      if (reply) ctx.tracing && ctx.ev('ip_route_output_key', 'reply not sent: no route');
      else ctx.drop('ip_route_output_key', 'IP_OUTNOROUTES');
      return false;
    }
    dev = rt.dev;
    gw = rt.gw;
    return true;
  };
  if (!fixedDev && !route()) return;
  if (!NF_HOOK(net, NFPROTO_IPV4, NF_INET_LOCAL_OUT, skb, null, dev, ctx, reply)) return;
  const nd = ipv4Daddr(skb.data, nh);
  if (!fixedDev && (nd !== daddr || skb.mark !== mark)) {
    // ip_route_me_harder
    daddr = nd;
    mark = skb.mark;
    ctx.tracing && ctx.ev('ip_route_me_harder', 'LOCAL_OUT changed the destination or mark: routed again');
    if (!route()) return;
  }
  ip_output(net, skb, ctx, dev!, gw);
}

/**
 * A packet the host itself sent, captured on its way out of `dev` (the link header is already
 * there, so no neighbour lookup): __ip_local_out's LOCAL_OUT, the output route (noted when it
 * names another device than the capture's), POST_ROUTING; TCP then updates the socket's send state.
 * Returns false when a hook took the packet.
 */
export function ip_local_out_captured(net: Net, skb: SkBuff, ctx: FrameCtx, dev: NetDevice): boolean {
  const nh = skb.network_header;
  skb.transport_header = nh + ((skb.data[nh] & 0x0f) << 2);
  if (!NF_HOOK(net, NFPROTO_IPV4, NF_INET_LOCAL_OUT, skb, null, dev, ctx)) return false;
  const b = skb.data;
  const rt = ip_route_output(net, ipv4Daddr(b, nh), ipv4Saddr(b, nh), skb.mark, ctx);
  if (typeof rt !== 'number' && rt.dev !== dev && rt.type === 'unicast') ctx.tracing && ctx.ev('ip_route_output_key', `route says ${rt.dev.name}, captured on ${dev.name}`);
  if (!NF_HOOK(net, NFPROTO_IPV4, NF_INET_POST_ROUTING, skb, null, dev, ctx)) return false;
  if (b[nh + 9] === 6) tcp_outbound(net, skb, ctx);
  return true;
}

/** ip_output: POST_ROUTING then ip_finish_output */
export function ip_output(net: Net, skb: SkBuff, ctx: FrameCtx, dev: NetDevice, gw: number, mtu = 0): void {
  const reply = skb instanceof ReplySkb;
  // POST_ROUTING's input device is the one the skb came in on (a forwarded packet's), none for the host's own
  const indev = skb.dev;
  skb.dev = dev;
  if (!NF_HOOK(net, NFPROTO_IPV4, NF_INET_POST_ROUTING, skb, indev, dev, ctx, reply)) return;
  ip_finish_output(net, skb, ctx, dev, gw, mtu);
}

/**
 * ip_finish_output -> __ip_finish_output: a packet over the MTU without DF (and not GSO) is cut
 * by ip_fragment into fragments of (mtu - ihl) & ~7 data bytes, each sent by ip_finish_output2.
 */
function ip_finish_output(net: Net, skb: SkBuff, ctx: FrameCtx, dev: NetDevice, gw: number, mtu: number): void {
  const b = skb.data;
  const nh = skb.network_header;
  const totLen = (b[nh + 2] << 8) | b[nh + 3];
  let m = mtu || dev.mtu;
  // __ip_finish_output: a datagram conntrack reassembled (IPCB frag_max_size) is cut again, to at
  // most its largest original fragment (ip_do_fragment), even when it fits the MTU
  const fms = skb.frag_max_size;
  if ((totLen <= m && !fms) || skb.gso_segs > 1 || (b[nh + 6] & 0x40) !== 0) {
    ip_finish_output2(net, skb, ctx, dev, gw);
    return;
  }
  if (fms && fms < m) m = fms;
  if (totLen <= m) {
    ip_finish_output2(net, skb, ctx, dev, gw);
    return;
  }
  const ihl = (b[nh] & 0x0f) << 2;
  const per = (m - ihl) & ~7;
  const n = Math.ceil((totLen - ihl) / per);
  ctx.tracing && ctx.ev('ip_fragment', `${totLen} bytes > mtu ${m}: ${n} fragments of up to ${per} data bytes`, { dev: dev.name });
  if (skb instanceof ReplySkb) {
    // a packet the kernel built (e.g. an echo reply to a large request): ip_do_fragment's slow
    // path writes each fragment (header copy, offset/MF, tot_len, checksum) and sends it, so every
    // fragment is a reply of its own on the wire
    const data = totLen - ihl;
    for (let off = 0; off < data; off += per) {
      const len = Math.min(per, data - off);
      const f = newReplySkb(net, ihl + len);
      f.data.set(b.subarray(nh, nh + ihl), 14);
      f.data.set(b.subarray(nh + ihl + off, nh + ihl + off + len), 14 + ihl);
      f.data[16] = (ihl + len) >>> 8;
      f.data[17] = (ihl + len) & 0xff;
      const fo = (((b[nh + 6] << 8) | b[nh + 7]) & 0xe000) | (off >>> 3) | (off + len < data ? 0x2000 : 0);
      f.data[20] = fo >>> 8;
      f.data[21] = fo & 0xff;
      ipSendCheck(f.data, 14);
      f.dev = skb.dev;
      f.mark = skb.mark;
      ip_finish_output2(net, f, ctx, dev, gw);
    }
    return;
  }
  // the fragments share the route and neighbour: the first resolves, the rest follow it
  const before = ctx.egress.length;
  ip_finish_output2(net, skb, ctx, dev, gw);
  if (ctx.egress.length === before) return;
  for (let i = 1; i < n; i++) dev_queue_xmit(net, skb, ctx, dev);
}

/**
 * ip_finish_output2: resolve the nexthop's link address (rt_nexthop: the gateway, or the
 * destination itself when on-link) and write the Ethernet header, then dev_queue_xmit.
 */
export function ip_finish_output2(net: Net, skb: SkBuff, ctx: FrameCtx, dev: NetDevice, gw: number): void {
  const reply = skb instanceof ReplySkb;
  const nh = skb.network_header;
  const nexthop = gw || ipv4Daddr(skb.data, nh);
  if (dev_is_loopback(dev)) {
    dev_queue_xmit(net, skb, ctx, dev);
    return;
  }
  if (!dev.mac || dev_noarp(dev) && dev.kind !== 'ether' && dev.kind !== 'veth' && dev.kind !== 'bridge') {
    // no link-layer header to build (tun, wireguard, ...)
    dev_queue_xmit(net, skb, ctx, dev);
    return;
  }
  const mac = neigh_resolve(net, 4, nexthop, dev, ctx, skb, reply);
  if (!mac) {
    // neigh_resolve recorded what the kernel does (queued behind an ARP request, or failed)
    if (reply) ctx.tracing && ctx.ev('ip_finish_output2', `reply waits for neighbour ${ipv4ToString(nexthop)}`);
    else if (ctx.fate === null) ctx.drop('ip_finish_output2', 'NEIGH_FAILED');
    return;
  }
  writeEthHeader(skb, mac, dev.mac, 0x0800, ctx, reply);
  dev_queue_xmit(net, skb, ctx, dev);
}

/** neigh_hh_output / eth_header: put dst/src MACs in front of the network header, diff in the timeline. */
export function writeEthHeader(skb: SkBuff, dst: Uint8Array, src: Uint8Array, proto: number, ctx: FrameCtx, quiet: boolean): void {
  const nh = skb.network_header;
  // the link header in front of the network header
  skb.skb_ensure_writable(nh);
  // the MAC diff is timeline text only
  if (!ctx.tracing) quiet = true;
  let mh = nh - 14;
  let oldDst = '';
  let oldSrc = '';
  let ev: TimelineEvent | null = null;
  if (mh >= 0 && skb.mac_header === mh && !quiet) {
    // the same rewrite as the last frame's (same old MACs, same neighbour and device): its step again
    const kd = mac48(skb.data, mh);
    const ks = mac48(skb.data, mh + 6);
    const last = lastHh;
    if (last.kd === kd && last.ks === ks && last.dst === dst && last.src === src && last.ev !== null) ev = last.ev;
    else {
      oldDst = macText(skb.data, mh);
      oldSrc = macText(skb.data, mh + 6);
      last.kd = kd;
      last.ks = ks;
      last.dst = dst;
      last.src = src;
      last.ev = null;
    }
  } else if (mh < skb.start) {
    // no room (captured without an Ethernet header; the bytes before `start` are not the
    // frame's): build a new buffer with one
    const buf = new Uint8Array(14 + skb.tail - nh);
    buf.set(skb.data.subarray(nh, skb.tail), 14);
    skb.data = buf;
    skb.wireEnd = 14 + skb.wireEnd - nh;
    skb.start = 0;
    skb.tail = buf.length;
    skb.writable = true;
    skb.network_header = 14;
    if (skb.transport_header >= 0) skb.transport_header += 14 - nh;
    mh = 0;
  }
  const b = skb.data;
  for (let i = 0; i < 6; i++) {
    b[mh + i] = dst[i];
    b[mh + 6 + i] = src[i];
  }
  b[mh + 12] = proto >>> 8;
  b[mh + 13] = proto & 0xff;
  skb.mac_header = mh;
  if (quiet) return;
  if (ev === null) {
    ev = hhEvent(oldDst, oldSrc, macText(dst, 0), macText(src, 0));
    // kept for the next frame only when it was made from the captured MACs (keys above)
    if (lastHh.dst === dst && lastHh.src === src && oldDst !== '') lastHh.ev = ev;
  }
  ctx.events.push(ev);
}

/** the last neigh_hh_output step with the old MACs (48-bit numbers) and new MAC arrays it was made for
 *  (a neighbour's address array is replaced, never written in place, when it changes) */
const lastHh: { kd: number; ks: number; dst: Uint8Array | null; src: Uint8Array | null; ev: TimelineEvent | null } = { kd: -1, ks: -1, dst: null, src: null, ev: null };

/** The neigh_hh_output step for old -> new MACs. A forwarding capture repeats a few MAC pairs,
 *  so the step is made once per pair (the texts are macText's, compared by identity; events are
 *  never changed once made). */
const hhEvents = new Map<string, Map<string, { od: string; ns: string; ev: TimelineEvent }[]>>();
let hhCount = 0;
function hhEvent(oldDst: string, oldSrc: string, nd: string, ns: string): TimelineEvent {
  // by new destination, then old source (a router's inside interface sees one per client host),
  // then a short list; at most 16384 steps kept, all forgotten at once past that
  let bySrc = hhEvents.get(nd);
  if (bySrc === undefined) hhEvents.set(nd, (bySrc = new Map()));
  let l = bySrc.get(oldSrc);
  if (l === undefined) bySrc.set(oldSrc, (l = []));
  for (const c of l) if (c.od === oldDst && c.ns === ns) return c.ev;
  const diff: Record<string, [string, string]> = {};
  if (oldDst !== nd) diff['eth.dst'] = [oldDst || '-', nd];
  if (oldSrc !== ns) diff['eth.src'] = [oldSrc || '-', ns];
  const ev: TimelineEvent = sharedEvent({ fn: 'neigh_hh_output', what: `eth ${ns} > ${nd}`, diff });
  if (++hhCount > 16384) {
    hhEvents.clear();
    hhCount = 1;
    hhEvents.set(nd, (bySrc = new Map()));
    bySrc.set(oldSrc, (l = []));
  }
  if (l.length >= 16) l.shift();
  l.push({ od: oldDst, ns, ev });
  return ev;
}

const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** MAC texts by their 48-bit value: a forwarding capture repeats a handful of MACs */
const macTexts = new Map<number, string>();
/** a MAC as one number (48 bits fit a double exactly) */
function mac48(b: Uint8Array, o: number): number {
  return (b[o] * 0x10000 + ((b[o + 1] << 8) | b[o + 2])) * 0x1000000 + ((b[o + 3] << 16) | (b[o + 4] << 8) | b[o + 5]);
}

/** MAC as text (runs four times for every forwarded frame with the timeline on) */
function macText(b: Uint8Array, o: number): string {
  const k = mac48(b, o);
  let t = macTexts.get(k);
  if (t === undefined) {
    t = HEX2[b[o]] + ':' + HEX2[b[o + 1]] + ':' + HEX2[b[o + 2]] + ':' + HEX2[b[o + 3]] + ':' + HEX2[b[o + 4]] + ':' + HEX2[b[o + 5]];
    if (macTexts.size >= 65536) macTexts.clear();
    macTexts.set(k, t);
  }
  return t;
}

/** a fresh skb for a packet the kernel builds: Ethernet room + an IPv4 (or IPv6) packet */
export function newReplySkb(net: Net, ipLen: number, protocol = 0x0800): ReplySkb {
  const buf = new Uint8Array(14 + ipLen);
  const skb = new ReplySkb(buf, buf.length);
  skb.writable = true;
  skb.mac_header = 0;
  skb.network_header = 14;
  skb.protocol = protocol;
  skb.tstampSec = net.nowSec;
  skb.tstampNsec = net.nowNsec;
  return skb;
}

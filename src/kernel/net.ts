// struct net: one network namespace being replayed, built from a Host snapshot.
// Holds what the kernel keeps at run time (routing tables, neighbours, FDB, sockets, fragment
// queues, ICMP rate-limit peers) so a second replay is a second object, never a global.

import type { Host, NetDevice } from '../host/types.js';
import { nfEvents, type FrameCtx, type NetState, type ReplayOptions } from './ctx.js';
import type { SkBuff } from './skbuff.js';
import { NullNfHooks, hookName, pfName, type NfHooks, type NfHookState } from './netfilter/hook.js';
import type { TimelineEvent } from './fate.js';
import { Fib } from './route/fib.js';
import { Fdb } from './bridge/br_fdb.js';
import { NeighTable } from './neigh/neighbour.js';
import { SockTable } from './transport/sock.js';
import { IpFragQueues } from './ipv4/ip_fragment.js';
import { InetPeers } from './ipv4/inetpeer.js';
import { RouteMemo, type RouteMemoEntry } from './route/dst_cache.js';
import type { Rtable } from './ipv4/route.js';
import type { Rt6 } from './ipv6/ip6_input.js';
import { sharedEvent } from './fate.js';
import { XmitCopies } from './core/xmit_copies.js';

export class Net implements NetState {
  nf: NfHooks;
  readonly fib4: Fib;
  readonly fib6: Fib;
  /** alias kept for the brief's name: the IPv4 FIB */
  get fib(): Fib {
    return this.fib4;
  }
  readonly fdb: Fdb;
  readonly neigh: NeighTable;
  readonly sockets: SockTable;
  readonly ipq: IpFragQueues;
  readonly peers: InetPeers;
  /** every local IPv4 address (inet_lookup_ifaddr_rcu) -> its device */
  readonly local4 = new Map<number, NetDevice>();
  /** local IPv6 addresses, keyed by their 16 bytes as a latin1 string */
  readonly local6 = new Map<string, NetDevice>();
  readonly loopback: NetDevice | null;
  /** input-route results by flow key, used with the timeline off (route/dst_cache.ts) */
  // keys: IPv4 daddr saddr iif tos mark [proto ports]; IPv6 daddr(4) saddr(4) iif mark [proto].
  // Hashed on the addresses (IPv6: the low word of each half) and the device: what differs between flows.
  // IPv4 without the timeline: 8,192 sets (16,384 keys, 460 KB once a frame is routed): a capture of
  // a few thousand live flows thrashed 2,048 sets (the TUM bench: 0.27 misses per frame, now 0.06)
  readonly rtInput4 = new RouteMemo<RouteMemoEntry<Rtable | string>>(7, [0, 1, 2], 13);
  readonly rtInput6 = new RouteMemo<RouteMemoEntry<Rt6>>(11, [1, 3, 5, 7, 8]);
  /** the same with the timeline on: the lookup's steps are kept with each result */
  readonly rtInput4Traced = new RouteMemo<RouteMemoEntry<Rtable | string>>(7, [0, 1, 2]);
  readonly rtInput6Traced = new RouteMemo<RouteMemoEntry<Rt6>>(11, [1, 3, 5, 7, 8]);
  /** arp_constructor's broadcast decision per device and nexthop, and the last one asked (neighbour.ts) */
  readonly bcast4 = new Map<NetDevice, Map<number, boolean>>();
  readonly bcast4Last: { dev: NetDevice | null; a: number; r: boolean } = { dev: null, a: 0, r: false };
  /** the last frames' egress bytes, to recognise their outbound copies in the capture (tcpdump -i any) */
  readonly copies = new XmitCopies();
  /** capture time of the frame being replayed: seconds + nanoseconds */
  nowSec = 0;
  nowNsec = 0;
  /** IPv4 identification counter for packets the model builds (the kernel's is per-socket/random) */
  ipId = 0;
  /** tcpdump-style one-line summary of a frame, Ethernet unless `raw` (an IP packet without link
   *  header) (set by the replay driver from src/packet/summary.ts) */
  summarize: (frame: Uint8Array, len: number, raw?: boolean) => string = (_f, len) => `frame, length ${len}`;

  /** the summary of a packet the kernel built, wherever it is on its way out: an IP packet may
   *  have no link header yet (LOCAL_OUT), an ARP frame has its Ethernet header from the start */
  summarizeSkb(skb: SkBuff): string {
    if ((skb.protocol === 0x0800 || skb.protocol === 0x86dd) && skb.network_header >= 0) return this.summarize(skb.data.subarray(skb.network_header, skb.tail), skb.tail - skb.network_header, true);
    const off = skb.mac_header >= 0 ? skb.mac_header : skb.start;
    return this.summarize(skb.data.subarray(off, skb.tail), skb.tail - off);
  }

  constructor(readonly host: Host, readonly opts: ReplayOptions, nf?: NfHooks) {
    this.nf = nf ?? new NullNfHooks();
    this.fib4 = new Fib(host, 4);
    this.fib6 = new Fib(host, 6);
    this.fdb = new Fdb(host);
    this.neigh = new NeighTable(host);
    this.neigh.net = this;
    this.sockets = new SockTable(host);
    this.ipq = new IpFragQueues(host);
    this.peers = new InetPeers();
    let lo: NetDevice | null = null;
    for (const d of host.devices) {
      if (d.kind === 'loopback' || d.flags.has('LOOPBACK')) lo ??= d;
      for (const a of d.addrs) {
        if (a.family === 4) this.local4.set(a.local as number, d);
        // ipv6_chk_addr bans IFA_F_TENTATIVE (dadfailed addresses keep it): not local yet
        else if (!a.tentative && !a.dadfailed) this.local6.set(key6(a.local as Uint8Array, 0), d);
      }
    }
    this.loopback = lo;
  }

  private readonly confCache: [Map<string, Map<string, number>>, Map<string, Map<string, number>>] = [new Map(), new Map()];
  private readonly intCache = new Map<string, number>();

  /** Sysctls.conf (all/default/device combined per knob), cached: the snapshot does not change during a replay */
  conf(family: 4 | 6, dev: string, knob: string): number {
    const byDev = this.confCache[family === 4 ? 0 : 1];
    let m = byDev.get(dev);
    if (!m) byDev.set(dev, (m = new Map()));
    let v = m.get(knob);
    if (v === undefined) m.set(knob, (v = this.host.sysctls.conf(family, dev, knob)));
    return v;
  }

  /** Sysctls.getInt, cached */
  sysctlInt(key: string): number {
    let v = this.intCache.get(key);
    if (v === undefined) this.intCache.set(key, (v = this.host.sysctls.getInt(key)));
    return v;
  }

  /** now in milliseconds (for timers modelled in jiffies-like units) */
  nowMs(): number {
    return this.nowSec * 1000 + Math.floor(this.nowNsec / 1e6);
  }

  /** inet_select_addr(dev, dst, scope): the primary address of dev for dst (first in its subnet, else first global) */
  inet_select_addr(dev: NetDevice | null, dst: number): number {
    if (dev) {
      let first = 0;
      for (const a of dev.addrs) {
        if (a.family !== 4 || a.scope === 'host') continue;
        const m = a.prefixlen === 0 ? 0 : (0xffffffff << (32 - a.prefixlen)) >>> 0;
        if (dst && ((((a.local as number) ^ dst) & m) >>> 0) === 0) return a.local as number;
        if (!first) first = a.local as number;
      }
      if (first) return first;
    }
    // fall back to any global address of the host, as inet_select_addr does across devices
    for (const d of this.host.devices) for (const a of d.addrs) if (a.family === 4 && a.scope === 'global') return a.local as number;
    return 0;
  }

  /** ipv6_dev_get_saddr, simplified: a global address on dev, else any global, else link-local of dev */
  ipv6_get_saddr(dev: NetDevice | null, dst: Uint8Array): Uint8Array | null {
    const linkLocalDst = dst[0] === 0xfe && (dst[1] & 0xc0) === 0x80;
    const pick = (d: NetDevice, ll: boolean): Uint8Array | null => {
      for (const a of d.addrs) {
        // __ipv6_dev_get_saddr: a tentative address is not "assigned" (RFC 4862 5.4), never a source
        if (a.family !== 6 || a.tentative || a.dadfailed) continue;
        const isLL = a.scope === 'link';
        if (isLL === ll) return a.local as Uint8Array;
      }
      return null;
    };
    if (dev) {
      const a = pick(dev, linkLocalDst);
      if (a) return a;
    }
    for (const d of this.host.devices) {
      if (d.kind === 'loopback') continue;
      const a = pick(d, false);
      if (a) return a;
    }
    return dev ? pick(dev, true) : null;
  }

  isLocal6(buf: Uint8Array, off: number): NetDevice | undefined {
    return this.local6.get(key6(buf, off));
  }
}

export function key6(buf: Uint8Array, off: number): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += String.fromCharCode(buf[off + i]);
  return s;
}

export function createNet(host: Host, opts: ReplayOptions, nf?: NfHooks): Net {
  return new Net(host, opts, nf);
}

/**
 * NF_HOOK(pf, hook, skb, in, out, okfn): run netfilter at this seam. Returns true when okfn
 * should run (NF_ACCEPT). On drop the frame's fate is set (for a reply the kernel built, only
 * the event is recorded: the captured frame's own fate is decided elsewhere). Callers re-read
 * headers afterwards: NAT may have rewritten them.
 */
export function NF_HOOK(net: Net, pf: number, hook: number, skb: SkBuff, indev: NetDevice | null, outdev: NetDevice | null, ctx: FrameCtx, isReply = false): boolean {
  if (!net.nf.active(pf, hook)) {
    // nothing registered on this hook: the timeline still shows it passed (one shared event per hook)
    if (ctx.tracing) ctx.events.push(passEvent(pf, hook));
    return true;
  }
  const st = hookState;
  st.pf = pf;
  st.hook = hook;
  st.in = indev;
  st.out = outdev;
  st.trace = ctx.tracing;
  const r = net.nf.nf_hook(st, skb, nfEvents(ctx));
  // a packet the kernel built carries no nftrace of the frame: its chains are not the frame's verdicts
  if (r.verdicts.length && !isReply) for (const v of r.verdicts) ctx.verdicts.push(v);
  if (r.unsupported) for (const u of r.unsupported) if (!ctx.unsupported.includes(u)) ctx.unsupported.push(u);
  switch (r.verdict) {
    case 'accept':
      return true;
    case 'drop': {
      const reason = r.reason ?? 'NETFILTER_DROP';
      if (isReply) {
        ctx.tracing && ctx.ev('nf_hook_slow', `reply dropped ${reason}`);
        ctx.replyDropped((outdev ?? indev)?.name ?? '', net.summarizeSkb(skb), reason);
      } else ctx.drop('nf_hook_slow', reason);
      return false;
    }
    case 'stolen':
      if (isReply) ctx.tracing && ctx.ev('nf_hook_slow', 'reply NF_STOLEN');
      else ctx.consume('nf_hook_slow', 'NF_STOLEN');
      return false;
    case 'queue':
      // nf_queue with no userspace listener: the packet is dropped (no queue bypass modelled)
      ctx.unsupported.push('NF_QUEUE verdict: userspace queue not modelled');
      if (isReply) ctx.tracing && ctx.ev('nf_hook_slow', 'reply NF_QUEUE');
      else ctx.drop('nf_queue', 'NETFILTER_DROP');
      return false;
  }
}

const hookState: NfHookState = { pf: 0, hook: 0, in: null, out: null, trace: true, reuse: true };

const passEvents = new Map<number, TimelineEvent>();
function passEvent(pf: number, hook: number): TimelineEvent {
  const k = pf * 16 + hook;
  let e = passEvents.get(k);
  if (!e) passEvents.set(k, (e = sharedEvent({ fn: 'nf_hook_slow', what: `${pfName(pf)} ${hookName(pf, hook)}: no rules, NF_ACCEPT` })));
  return e;
}

// Neighbour tables (net/core/neighbour.c with net/ipv4/arp.c and net/ipv6/ndisc.c as the ops).
// Entries come from the snapshot (`ip -j neigh show`) with their NUD states and change as the
// kernel changes them: ARP/NDP input (neigh_update, neigh_event_ns) and output (neigh_resolve:
// __neigh_event_send). Timers run on capture time, applied lazily when an entry is looked at.
//
// What happens to a packet whose next hop is unresolved (__neigh_event_send): the entry goes
// NUD_INCOMPLETE, the kernel sends a solicitation at once (neigh_probe -> arp_solicit /
// ndisc_solicit) and queues the skb on neigh->arp_queue (bounded by unres_qlen_bytes; overflow
// frees the oldest with NEIGH_QUEUEFULL). If no answer comes within mcast_solicit (3) x
// retrans_time (1 s) the entry goes NUD_FAILED and neigh_invalidate frees every queued skb with
// NEIGH_FAILED after arp_error_report/ndisc_error_report sent ICMP host/address unreachable.
// A replay cannot keep a frame's fate open until a later frame answers, so the model records the
// outcome the kernel reaches when no answer arrives: dropped NEIGH_FAILED, the solicitation in
// `replies`, and an event saying the skb was queued. If a later frame of the capture does resolve
// the entry, that frame's timeline says how many queued packets the kernel then transmitted.

import { dev_is_loopback, dev_noarp } from '../core/netdevice.js';
import type { Host, NetDevice } from '../../host/types.js';
import type { FrameCtx } from '../ctx.js';
import type { TimelineEvent } from '../fate.js';
import type { Net } from '../net.js';
import type { SkBuff } from '../skbuff.js';
import { ipv4ToString, ipv6ToString, macToString } from '../../packet/addr.js';
import { arp_solicit } from '../ipv4/arp.js';
import { newFlow, type FibResult } from '../route/fib.js';
import { icmp_send } from '../ipv4/icmp.js';
import { icmpv6_send } from '../ipv6/icmp.js';
import { ndisc_solicit } from '../ipv6/ndisc.js';
import { sharedEvent } from '../fate.js';

/** include/uapi/linux/neighbour.h */
export const NUD_NONE = 0x00;
export const NUD_INCOMPLETE = 0x01;
export const NUD_REACHABLE = 0x02;
export const NUD_STALE = 0x04;
export const NUD_DELAY = 0x08;
export const NUD_PROBE = 0x10;
export const NUD_FAILED = 0x20;
export const NUD_NOARP = 0x40;
export const NUD_PERMANENT = 0x80;
export const NUD_CONNECTED = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE;
export const NUD_VALID = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY;

/** neigh_update flags (include/net/neighbour.h) */
export const NEIGH_UPDATE_F_OVERRIDE = 1 << 0;
export const NEIGH_UPDATE_F_WEAK_OVERRIDE = 1 << 1;
export const NEIGH_UPDATE_F_OVERRIDE_ISROUTER = 1 << 2;
export const NEIGH_UPDATE_F_ISROUTER = 1 << 6;
export const NEIGH_UPDATE_F_ADMIN = 1 << 7;

const NUD_NAMES: [number, string][] = [[NUD_INCOMPLETE, 'INCOMPLETE'], [NUD_REACHABLE, 'REACHABLE'], [NUD_STALE, 'STALE'],
  [NUD_DELAY, 'DELAY'], [NUD_PROBE, 'PROBE'], [NUD_FAILED, 'FAILED'], [NUD_NOARP, 'NOARP'], [NUD_PERMANENT, 'PERMANENT']];

const nudNames: string[] = [];
export function nudName(state: number): string {
  // states are 8-bit masks: each name is built once
  let t = nudNames[state & 0xff];
  if (t === undefined || state > 0xff) {
    if (state === NUD_NONE) t = 'NONE';
    else {
      const out: string[] = [];
      for (const [b, n] of NUD_NAMES) if (state & b) out.push(n);
      t = out.join('|');
    }
    if (state <= 0xff && state >= 0) nudNames[state] = t;
  }
  return t;
}

function nudFromStrings(states: string[]): number {
  let s = 0;
  for (const st of states) for (const [b, n] of NUD_NAMES) if (st.toUpperCase() === n) s |= b;
  return s;
}

/** default neigh_parms (net/ipv4/arp.c arp_tbl, net/ipv6/ndisc.c nd_tbl), in ns */
export const NEIGH_PARMS = {
  base_reachable_time: 30e9,
  delay_first_probe_time: 5e9,
  retrans_time: 1e9,
  ucast_probes: 3,
  mcast_probes: 3,
  app_probes: 0,
  mcast_reprobes: 0,
  locktime: 1e9, // arp_tbl LOCKTIME = 1 s (nd_tbl: 0)
  unres_qlen_bytes: 212992, // SK_WMEM_MAX
};

/** struct neighbour */
export interface Neigh {
  family: 4 | 6;
  /** IPv4 u32 or IPv6 16 bytes */
  key: number | Uint8Array;
  keyStr: string;
  dev: NetDevice;
  ha: Uint8Array | null;
  state: number;
  /** capture-time ns of the last state/lladdr change, last confirmation, last transmit use */
  updated: number;
  confirmed: number;
  used: number;
  isRouter: boolean;
  /** skbs held on arp_queue waiting for resolution (their sizes) */
  queue: number[];
  queueBytes: number;
  probes: number;
  /** the neigh_output timeline step made for (outEvState, outEvHa), reused while they hold */
  outEv?: TimelineEvent;
  outEvState?: number;
  outEvHa?: Uint8Array | null;
}

export type NeighUpdateResult = { changed: boolean; from: number; to: number; lladdrChanged: boolean; flushed: number };

export class NeighTable {
  /** keyed by ifindex * 2^32 + address (a number: no string built per lookup) */
  private readonly v4 = new Map<string | number, Neigh>();
  private readonly v6 = new Map<string | number, Neigh>();

  constructor(host: Host) {
    for (const n of host.neigh) {
      const dev = host.byName.get(n.dev);
      if (!dev) continue; // the loader reports neighbours on unknown devices
      const state = nudFromStrings(n.state);
      const e = this.create(n.family, n.dst, dev);
      e.ha = n.lladdr;
      e.state = state;
      e.isRouter = !!n.router;
      // Snapshot time is not capture time: treat timers as started at the first frame (NaN = unset).
      e.updated = e.confirmed = e.used = NaN;
    }
  }

  private map(family: 4 | 6): Map<string | number, Neigh> {
    return family === 4 ? this.v4 : this.v6;
  }

  /** __neigh_lookup(tbl, key, dev, creat=0) with the entry's timers advanced to `now` */
  lookup(family: 4 | 6, key: number | Uint8Array, dev: NetDevice, now: number): Neigh | null {
    let n: Neigh | null;
    if (family === 6) {
      // the last IPv6 entry found, checked first: building the string key costs more than 16
      // byte compares, and entries are never removed, so a hit is the entry the map holds
      const l = this.last6;
      if (l !== null && l.dev === dev && same16(l.key as Uint8Array, key as Uint8Array)) n = l;
      else if ((n = this.v6.get(keyOf(6, key, dev)) ?? null)) this.last6 = n;
    } else {
      // likewise the last IPv4 entry found
      const l = this.last4;
      if (l !== null && l.dev === dev && l.key === key) n = l;
      else if ((n = this.v4.get(keyOf(4, key, dev)) ?? null)) this.last4 = n;
    }
    if (n) neigh_timer(n, now);
    return n;
  }
  private last6: Neigh | null = null;
  private last4: Neigh | null = null;

  /** neigh_create: a new NUD_NONE entry */
  create(family: 4 | 6, key: number | Uint8Array, dev: NetDevice): Neigh {
    const k = keyOf(family, key, dev);
    let n = this.map(family).get(k);
    if (n) return n;
    n = {
      family, key: typeof key === 'number' ? key : key.slice(0, 16), keyStr: typeof key === 'number' ? ipv4ToString(key) : ipv6ToString(key, 0),
      dev, ha: null, state: NUD_NONE, updated: 0, confirmed: 0, used: 0, isRouter: false, queue: [], queueBytes: 0, probes: 0,
    };
    this.map(family).set(k, n);
    return n;
  }

  entries(family?: 4 | 6): Neigh[] {
    if (family) return [...this.map(family).values()];
    return [...this.v4.values(), ...this.v6.values()];
  }

  /** neigh_event_ns(): the sender of a solicitation for us is a neighbour: create, lladdr STALE, override */
  neigh_event_ns(family: 4 | 6, lladdr: Uint8Array, key: number | Uint8Array, dev: NetDevice, now: number): { n: Neigh; r: NeighUpdateResult } {
    const n = this.lookup(family, key, dev, now) ?? this.create(family, key, dev);
    return { n, r: neigh_update(n, lladdr, NUD_STALE, NEIGH_UPDATE_F_OVERRIDE, now) };
  }
}

function keyOf(family: 4 | 6, key: number | Uint8Array, dev: NetDevice): string | number {
  if (family === 4) return dev.ifindex * 4294967296 + ((key as number) >>> 0);
  const b = key as Uint8Array;
  let s = `${dev.ifindex}/`;
  for (let i = 0; i < 16; i++) s += String.fromCharCode(b[i]);
  return s;
}

function same16(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameHa(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (!a || !b) return a === b;
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The neighbour timer (neigh_timer_handler), run lazily: advance the state as the kernel's timer
 * would have by `now`. reachable_time is randomised in [base/2, 3*base/2]; the model uses base.
 */
export function neigh_timer(n: Neigh, now: number): void {
  if (Number.isNaN(n.updated)) { n.updated = n.confirmed = n.used = now; return; }
  const P = NEIGH_PARMS;
  for (let guard = 0; guard < 4; guard++) {
    const s = n.state;
    if (s & NUD_REACHABLE) {
      if (now <= n.confirmed + P.base_reachable_time) return;
      // neigh_timer_handler: used recently -> DELAY, else STALE
      if (now <= n.used + P.delay_first_probe_time) { n.state = NUD_DELAY; n.updated = n.confirmed + P.base_reachable_time; }
      else { n.state = NUD_STALE; n.updated = n.confirmed + P.base_reachable_time; return; }
    } else if (s & NUD_DELAY) {
      if (now <= n.updated + P.delay_first_probe_time) return;
      if (n.confirmed >= n.updated) { n.state = NUD_REACHABLE; continue; }
      n.state = NUD_PROBE; n.updated += P.delay_first_probe_time; n.probes = 0;
    } else if (s & (NUD_PROBE | NUD_INCOMPLETE)) {
      const max = (s & NUD_INCOMPLETE ? P.mcast_probes : P.ucast_probes) + P.app_probes;
      if (now <= n.updated + max * P.retrans_time) return;
      n.state = NUD_FAILED; n.updated += max * P.retrans_time;
      // neigh_invalidate: queued skbs freed with NEIGH_FAILED (reported when they were queued)
      n.queue.length = 0; n.queueBytes = 0;
      return;
    } else return;
  }
}

/** __neigh_update(neigh, lladdr, new, flags): returns what changed, for the timeline */
export function neigh_update(n: Neigh, lladdr: Uint8Array | null, nstate: number, flags: number, now: number): NeighUpdateResult {
  const old = n.state;
  const res: NeighUpdateResult = { changed: false, from: old, to: old, lladdrChanged: false, flushed: 0 };
  if (!(flags & NEIGH_UPDATE_F_ADMIN) && (old & (NUD_NOARP | NUD_PERMANENT))) return res;
  if (!(nstate & NUD_VALID)) {
    if (old !== nstate) { n.state = nstate; n.updated = now; res.changed = true; res.to = nstate; }
    return res;
  }
  let ha: Uint8Array | null;
  if (lladdr) {
    ha = (old & NUD_VALID) && sameHa(lladdr, n.ha) ? n.ha : lladdr;
  } else {
    if (!(old & NUD_VALID)) return res; // no address supplied and none known: -EINVAL
    ha = n.ha;
  }
  if (nstate & NUD_CONNECTED) n.confirmed = now;
  if (old & NUD_VALID) {
    if (ha !== n.ha && !(flags & NEIGH_UPDATE_F_OVERRIDE)) {
      if ((flags & NEIGH_UPDATE_F_WEAK_OVERRIDE) && (old & NUD_CONNECTED)) { ha = n.ha; nstate = NUD_STALE; }
      else return res;
    } else if (ha === n.ha && nstate === NUD_STALE && !(flags & NEIGH_UPDATE_F_ADMIN)) {
      nstate = old;
    }
  }
  if (nstate !== old || ha !== n.ha) n.updated = now;
  if (nstate !== old) { n.state = nstate; n.probes = 0; res.changed = true; res.to = nstate; }
  if (ha !== n.ha) {
    n.ha = ha ? ha.slice(0, 6) : null;
    res.lladdrChanged = true; res.changed = true;
    if (!(nstate & NUD_CONNECTED)) n.confirmed = now - 2 * NEIGH_PARMS.base_reachable_time;
  }
  if (flags & NEIGH_UPDATE_F_OVERRIDE_ISROUTER) n.isRouter = !!(flags & NEIGH_UPDATE_F_ISROUTER);
  if (!(old & NUD_VALID) && (nstate & NUD_VALID)) {
    // the queued skbs are transmitted now (neigh_update: "Again: avoid dead loop if something went wrong")
    res.flushed = n.queue.length;
    n.queue.length = 0; n.queueBytes = 0;
  }
  return res;
}

export function describeUpdate(n: Neigh, r: NeighUpdateResult): string {
  const ha = n.ha ? macToString(n.ha, 0) : 'none';
  let s = `${n.keyStr} dev ${n.dev.name} lladdr ${ha} ${nudName(r.from)} -> ${nudName(r.to)}`;
  if (!r.changed) s += ' (unchanged)';
  if (r.flushed) s += `, ${r.flushed} queued skb(s) transmitted`;
  return s;
}

const ZERO_MAC = new Uint8Array(6);
const BCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** arp_mc_map / ndisc_mc_map for multicast next hops (no neighbour lookup: NUD_NOARP) */
function mcMap(family: 4 | 6, nexthop: number | Uint8Array): Uint8Array {
  if (family === 4) {
    const a = nexthop as number;
    return new Uint8Array([0x01, 0x00, 0x5e, (a >>> 16) & 0x7f, (a >>> 8) & 0xff, a & 0xff]);
  }
  const b = nexthop as Uint8Array;
  return new Uint8Array([0x33, 0x33, b[12], b[13], b[14], b[15]]);
}

/** arp_constructor: inet_addr_type_dev_table(net, dev, addr) == RTN_BROADCAST -> dev->broadcast */
/** per device: nexthop -> is broadcast, kept on the namespace. The FIB does not change during a
 *  replay, and the kernel too decides the type once per neighbour (arp_constructor), not per packet. */
const BCAST_CACHE_MAX = 65536;

function isBroadcast4(net: Net, a: number, dev: NetDevice): boolean {
  if (a === 0xffffffff) return true;
  // the last answer first: a forwarded stream asks about the same nexthop again and again
  const last = net.bcast4Last;
  if (last.dev === dev && last.a === a) return last.r;
  let m = net.bcast4.get(dev);
  if (!m) net.bcast4.set(dev, (m = new Map()));
  let r = m.get(a | 0);
  if (r === undefined) {
    if (m.size >= BCAST_CACHE_MAX) m.clear();
    r = isBroadcast4Slow(net, a, dev);
    m.set(a | 0, r);
  }
  last.dev = dev;
  last.a = a;
  last.r = r;
  return r;
}

function isBroadcast4Slow(net: Net, a: number, dev: NetDevice): boolean {
  for (const ad of dev.addrs) if (ad.family === 4 && ad.broadcast !== undefined && ad.broadcast === a) return true;
  const fl = newFlow();
  fl.daddr = a;
  fl.oif = dev.ifindex;
  const out = {} as FibResult;
  return net.fib4.lookup(fl, out) === 0 && out.alias.type === 'broadcast';
}

/**
 * ip_finish_output2 / ip6_finish_output2 -> neigh_output: the link-layer destination of `nexthop`
 * on `dev`, or null when the kernel cannot send now. On null the outcome is already recorded on
 * ctx (see the header comment): the caller stops. `skb` (optional) is the packet being sent; its
 * source address is what arp_solicit announces (arp_announce 0). `isReply`: the packet is one the
 * kernel built in answer (NA, RST, ICMP): its loss is an event, not the captured frame's fate.
 */
export function neigh_resolve(net: Net, family: 4 | 6, nexthop: number | Uint8Array, dev: NetDevice, ctx: FrameCtx, skb?: SkBuff, isReply = false): Uint8Array | null {
  // arp_constructor / ndisc_constructor: devices without ARP/ND resolve to their own address
  if (dev_noarp(dev) || dev_is_loopback(dev) || !dev.mac) {
    return dev.mac ?? ZERO_MAC;
  }
  if (family === 4) {
    const a = nexthop as number;
    if (((a & 0xf0000000) >>> 0) === 0xe0000000) return mcMap(4, a);
    if (isBroadcast4(net, a, dev)) return BCAST_MAC;
  } else if ((nexthop as Uint8Array)[0] === 0xff) {
    return mcMap(6, nexthop);
  }
  const now = net.nowSec * 1e9 + net.nowNsec;
  const tbl = net.neigh;
  let n = tbl.lookup(family, nexthop, dev, now);
  const fn = 'neigh_resolve_output';
  if (!n) n = tbl.create(family, nexthop, dev);
  const s = n.state;
  n.used = now;
  if (s & (NUD_CONNECTED | NUD_DELAY | NUD_PROBE)) {
    if (ctx.tracing) {
      // the step's text depends on the entry's state and address only: made again when either changed
      // (n.ha is replaced, never written in place, when the address changes)
      let e = n.outEv;
      if (e === undefined || n.outEvState !== s || n.outEvHa !== n.ha) {
        e = n.outEv = sharedEvent({ fn: 'neigh_output', what: `${n.keyStr} ${nudName(s)} lladdr ${macToString(n.ha!, 0)}`, dev: dev.name });
        n.outEvState = s;
        n.outEvHa = n.ha;
      }
      ctx.events.push(e);
    }
    return n.ha;
  }
  if (s & NUD_STALE) {
    // __neigh_event_send: STALE -> DELAY, packet goes out with the cached address
    n.state = NUD_DELAY; n.updated = now;
    ctx.tracing && ctx.ev('__neigh_event_send', `${n.keyStr} STALE -> DELAY, sent with lladdr ${macToString(n.ha!, 0)}`, { dev: dev.name });
    return n.ha;
  }
  // NONE / FAILED / INCOMPLETE
  const P = NEIGH_PARMS;
  if (!(s & NUD_INCOMPLETE)) {
    if (P.mcast_probes + P.app_probes) {
      n.state = NUD_INCOMPLETE; n.updated = now; n.probes = 0;
      // neigh_probe with immediate_ok: the first solicitation goes out at once
      // neigh_probe with immediate_ok sends the first solicitation at once; neigh_timer_handler
      // sends the others every retrans_time until mcast_probes are used up (measured on 6.18:
      // three broadcast requests at 0, 1 and 2 s, test/kernel/bridge-kernel-measure.py's neighbour case)
      for (let i = 0; i < P.mcast_probes + P.app_probes; i++) {
        n.probes++;
        if (i) ctx.tracing && ctx.ev('neigh_timer_handler', `${n.keyStr} still INCOMPLETE after ${i} x retrans_time: probe again`, { dev: dev.name });
        if (family === 4) arp_solicit(net, n, skb ?? null, ctx);
        else ndisc_solicit(net, n, skb ?? null, ctx);
      }
    } else {
      n.state = NUD_FAILED; n.updated = now;
      if (isReply) ctx.tracing && ctx.ev('__neigh_event_send', `${n.keyStr}: NEIGH_FAILED, reply not sent`, { dev: dev.name });
      else ctx.drop('__neigh_event_send', 'NEIGH_FAILED', { dev: dev.name, detail: { neighbour: n.keyStr } });
      return null;
    }
  }
  const len = skb ? skb.tail - skb.start : 0;
  // arp_queue bounded by unres_qlen_bytes: drop the oldest with NEIGH_QUEUEFULL
  while (n.queueBytes + len > P.unres_qlen_bytes && n.queue.length) n.queueBytes -= n.queue.shift()!;
  n.queue.push(len); n.queueBytes += len;
  ctx.tracing && ctx.ev(fn, `${n.keyStr} ${nudName(s)} -> INCOMPLETE: skb queued on arp_queue awaiting ${family === 4 ? 'ARP reply' : 'neighbour advertisement'}`, { dev: dev.name });
  if (isReply) {
    ctx.tracing && ctx.ev('neigh_invalidate', `reply queued for ${n.keyStr}; freed with NEIGH_FAILED unless an answer arrives`, { dev: dev.name });
    return null;
  }
  if (skb) {
    // neigh_invalidate, for every queued skb: arp_error_report / ndisc_error_report -> dst_link_failure: ICMP host
    // unreachable (ICMPv6 address unreachable) to the sender, then kfree_skb_reason(NEIGH_FAILED)
    ctx.tracing && ctx.ev(family === 4 ? 'arp_error_report' : 'ndisc_error_report', `${n.keyStr} FAILED: dst_link_failure`, { dev: dev.name });
    if (family === 4) icmp_send(net, skb, ctx, 3, 1, 0);
    else icmpv6_send(net, skb, ctx, 1, 3, 0);
  }
  ctx.drop('neigh_invalidate', 'NEIGH_FAILED', {
    dev: dev.name,
    detail: { neighbour: n.keyStr, note: `no reply within ${P.mcast_probes} x retrans_time: queued skb freed` },
  });
  return null;
}

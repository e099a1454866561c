// Neighbour tables (net/core/neighbour.c with net/ipv4/arp.c and net/ipv6/ndisc.c as the ops).
// Entries come from the snapshot (`ip -j neigh show`) with their NUD states and change as the
// kernel changes them: ARP/NDP input (neigh_update, neigh_event_ns) and output (neigh_resolve:
// __neigh_event_send). Timers run on capture time, applied lazily when an entry is looked at.
//
// What happens to a packet whose next hop is unresolved (__neigh_event_send): the entry goes
// NUD_INCOMPLETE, the kernel sends a solicitation at once (neigh_probe -> arp_solicit /
// ndisc_solicit) and queues the skb on neigh->arp_queue (bounded by unres_qlen_bytes; overflow
// frees the oldest with NEIGH_QUEUEFULL). The timer probes again every retrans_time; when
// mcast_solicit probes had no answer the entry goes NUD_FAILED and neigh_invalidate hands every
// queued skb to arp_error_report/ndisc_error_report, which send ICMP host/address unreachable and
// free it (NEIGH_FAILED; IPv6: a plain kfree_skb, NOT_SPECIFIED). An answer (neigh_update to a valid state) sends the queue. All on capture time:
// the frame's record is held until its packet's outcome is known (queue.ts, src/replay-hold.ts);
// the timer's steps run when a later frame's timestamp passes them (NeighTable.tick).

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
import { NeighHold, dropReply, mergeInto, scratchCtx, skb_copy_for_queue, type QueuedSkb } from './queue.js';
import { dev_queue_xmit } from '../core/dev.js';
import { l2_xmit } from './output.js';
import { writeEthHdr } from '../../packet/build.js';

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

export type NeighParms = typeof NEIGH_PARMS;

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

/**
 * skb->truesize of a received frame of `len` bytes, what it counts against unres_qlen_bytes: an skb
 * allocated for the frame alone (__alloc_skb: 16 bytes of LL_RESERVED_SPACE + the frame, aligned,
 * plus skb_shared_info (320), rounded up to the kmalloc size, plus the sk_buff (256)). Measured on
 * 6.18 through veth (fixtures/kernel/neigh-queuefull): 44-byte frames count 768, 1442-byte frames
 * 2304. NIC drivers that receive into page buffers charge more (their buffer size); not modelled.
 */
export function skbTruesize(len: number): number {
  const data = ((16 + len + 63) & ~63) + 320;
  let k = 8;
  if (data > 192) while (k < data) k *= 2;
  else k = data <= 8 ? 8 : data <= 16 ? 16 : data <= 32 ? 32 : data <= 64 ? 64 : data <= 96 ? 96 : data <= 128 ? 128 : 192;
  return k + 256;
}

/** the device's neigh parms from the snapshot's sysctls (net.ipv4.neigh.DEV.*), defaults otherwise */
function parmsFrom(host: Host, family: 4 | 6, dev: string): NeighParms {
  const raw = host.sysctls?.raw;
  const num = (knob: string): number | undefined => {
    const v = raw?.get(`net.ipv${family}.neigh.${dev}.${knob}`) ?? raw?.get(`net.ipv${family}.neigh.default.${knob}`);
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const d = NEIGH_PARMS;
  const bytes = num('unres_qlen_bytes') ?? d.unres_qlen_bytes;
  return {
    base_reachable_time: (num('base_reachable_time_ms') ?? d.base_reachable_time / 1e6) * 1e6,
    delay_first_probe_time: (num('delay_first_probe_time') ?? d.delay_first_probe_time / 1e9) * 1e9,
    retrans_time: (num('retrans_time_ms') ?? d.retrans_time / 1e6) * 1e6,
    ucast_probes: num('ucast_solicit') ?? d.ucast_probes,
    mcast_probes: num('mcast_solicit') ?? d.mcast_probes,
    app_probes: num('app_solicit') ?? d.app_probes,
    mcast_reprobes: num('mcast_resolicit') ?? d.mcast_reprobes,
    // locktime is in USER_HZ (100 per second)
    locktime: family === 6 ? (num('locktime') ?? 0) * 1e7 : (num('locktime') ?? d.locktime / 1e7) * 1e7,
    unres_qlen_bytes: bytes,
  };
}

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
  /** skbs held on arp_queue waiting for resolution */
  queue: QueuedSkb[];
  queueBytes: number;
  /** solicitations sent since the entry went INCOMPLETE */
  probes: number;
  parms: NeighParms;
  tbl: NeighTable;
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
  /** the namespace (set once it exists): the timer's probes and errors run the output path */
  net: Net | null = null;
  /** the frame being replayed and whether it records a timeline (set by tick) */
  frameNo = 0;
  tracing = true;
  /** entries with packets on their arp_queue: their timers run on capture time in tick() */
  private readonly waiting = new Set<Neigh>();
  private readonly parmsCache = new Map<string, NeighParms>();

  constructor(private readonly host: Host) {
    for (const n of host.neigh) {
      const dev = host.byName.get(n.dev);
      if (!dev) continue; // the loader reports neighbours on unknown devices
      // a proxy entry lives in the pneigh table (arp.ts, ndisc.ts ask for it), not the neighbours
      if (n.state.includes('PROXY')) continue;
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
      parms: this.parmsOf(family, dev), tbl: this,
    };
    this.map(family).set(k, n);
    return n;
  }

  private parmsOf(family: 4 | 6, dev: NetDevice): NeighParms {
    const k = `${family}/${dev.name}`;
    let p = this.parmsCache.get(k);
    if (!p) this.parmsCache.set(k, (p = parmsFrom(this.host, family, dev.name)));
    return p;
  }

  /**
   * Capture time moved to `now` (ns; Infinity at the end of the capture): the timers of entries
   * with queued packets run the steps due by then, in order: the next probe every retrans_time,
   * and after the last one NUD_FAILED with its queue freed (neigh_timer_handler -> neigh_invalidate).
   */
  tick(now: number, frameNo: number, tracing: boolean): void {
    this.frameNo = frameNo;
    this.tracing = tracing;
    if (this.waiting.size === 0) return;
    for (const n of [...this.waiting]) this.expire(n, now);
  }

  /** a packet was queued on `n` */
  wait(n: Neigh): void {
    this.waiting.add(n);
  }

  /** neigh_timer_handler for an INCOMPLETE entry with a queue, up to `now` */
  expire(n: Neigh, now: number): void {
    const net = this.net;
    if (!(n.state & NUD_INCOMPLETE) || !n.queue.length || !net) {
      if (!n.queue.length) this.waiting.delete(n);
      return;
    }
    const P = n.parms;
    const max = P.mcast_probes + P.app_probes;
    for (; n.probes < max; n.probes++) {
      const at = n.updated + n.probes * P.retrans_time;
      if (at > now) return;
      // the probe goes to the packet at the head of the queue: its source address (arp_solicit's
      // skb_peek(&neigh->arp_queue)), its record shows it
      const head = n.queue[0]!;
      const sc = scratchCtx(head.frame, this.tracing);
      sc.tracing && sc.ev('neigh_timer_handler', `${n.keyStr} still INCOMPLETE after ${n.probes} x retrans_time (+${msSince(at, head.at)} ms): probe again`, { dev: n.dev.name });
      if (n.family === 4) arp_solicit(net, n, head.skb, sc);
      else ndisc_solicit(net, n, head.skb, sc);
      mergeInto(head.hold, sc, false);
    }
    const deadline = n.updated + max * P.retrans_time;
    if (deadline > now) return;
    n.state = NUD_FAILED;
    n.updated = deadline;
    const q = n.queue;
    n.queue = [];
    n.queueBytes = 0;
    this.waiting.delete(n);
    const ended = now === Infinity;
    for (const s of q) {
      const why = `${n.keyStr}: no answer to ${max} solicitations within ${(max * P.retrans_time) / 1e6} ms: NUD_FAILED, neigh_invalidate frees the queued skb` +
        (ended ? ' (the capture ends before that time: the outcome assumes no answer came)' : '');
      if (s.kind === 'reply') {
        dropReply(s.hold, s, 'NEIGH_FAILED', 'neigh_invalidate', why, n.dev.name);
      } else {
        // arp_error_report / ndisc_error_report -> dst_link_failure: ICMP host unreachable (ICMPv6
        // address unreachable) to the sender, then arp_error_report frees the skb with
        // kfree_skb_reason(NEIGH_FAILED), ndisc_error_report with a plain kfree_skb (NOT_SPECIFIED,
        // measured: fixtures/kernel/tc-ndp)
        const sc = scratchCtx(s.frame, this.tracing);
        sc.tracing && sc.ev('neigh_timer_handler', why, { dev: n.dev.name });
        sc.tracing && sc.ev(n.family === 4 ? 'arp_error_report' : 'ndisc_error_report', `${n.keyStr} FAILED: dst_link_failure`, { dev: n.dev.name });
        if (n.family === 4) icmp_send(net, s.skb, sc, 3, 1, 0);
        else icmpv6_send(net, s.skb, sc, 1, 3, 0);
        sc.drop('neigh_invalidate', n.family === 4 ? 'NEIGH_FAILED' : 'NOT_SPECIFIED', { dev: n.dev.name, detail: { neighbour: n.keyStr } });
        mergeInto(s.hold, sc, true);
      }
      s.hold.pending--;
    }
  }

  /** neigh_update made `n` valid: every queued skb leaves now (n->output for each, in order) */
  transmitQueue(n: Neigh, now: number): void {
    const q = n.queue;
    n.queue = [];
    n.queueBytes = 0;
    this.waiting.delete(n);
    const net = this.net;
    for (const s of q) {
      s.hold.pending--;
      if (!net) continue;
      const sc = scratchCtx(s.frame, this.tracing);
      const skb = s.skb;
      const lead = `${n.keyStr} resolved by frame ${this.frameNo} after ${msSince(now, s.at)} ms: the queued skb leaves with lladdr ${macToString(n.ha!, 0)}`;
      if (s.kind === 'reply') sc.beginReply();
      sc.tracing && sc.ev('neigh_update', lead, { dev: n.dev.name });
      // neigh_resolve_output: the link header with the now known address, then dev_queue_xmit
      if (skb.mac_header >= 0) writeEthHdr(skb.data, skb.mac_header, n.ha!, 0, n.dev.mac ?? n.ha!, 0, skb.protocol);
      // a packet the kernel built at layer 2 (NS/NA) is sent as the neighbour layer sends its own frames
      if (s.kind === 'reply' && !(skb as { isReply?: boolean }).isReply) l2_xmit(net, skb, n.dev, sc, s.summary);
      else dev_queue_xmit(net, skb, sc, n.dev);
      // its copy on an outbound tap (tcpdump -i any) is one of the queued frame's fate, not the
      // answering frame's (XmitCopies settles what was recorded since with the fate given)
      if (s.kind === 'frame' && sc.fate) net.copies.settle(sc.fate);
      if (s.kind === 'reply') sc.endReply();
      mergeInto(s.hold, sc, s.kind === 'frame');
    }
  }

  /**
   * __neigh_event_send queueing: the skb joins arp_queue; the oldest are freed with
   * NEIGH_QUEUEFULL while the queue would exceed unres_qlen_bytes.
   */
  enqueue(n: Neigh, skb: SkBuff, ctx: FrameCtx, kind: 'frame' | 'reply', now: number, summary: string): void {
    const hold = (ctx.hold ??= new NeighHold());
    const P = n.parms;
    const truesize = skbTruesize(skb.wireEnd - skb.start);
    while (n.queueBytes + truesize > P.unres_qlen_bytes && n.queue.length) {
      const old = n.queue.shift()!;
      n.queueBytes -= old.truesize;
      const what = `${n.keyStr}: arp_queue over unres_qlen_bytes ${P.unres_qlen_bytes} (frame ${ctx.frame} queued): the oldest skb is freed`;
      if (old.kind === 'reply') dropReply(old.hold, old, 'NEIGH_QUEUEFULL', '__neigh_event_send', what, n.dev.name);
      else {
        const sc = scratchCtx(old.frame, this.tracing);
        sc.drop('__neigh_event_send', 'NEIGH_QUEUEFULL', { dev: n.dev.name, detail: { neighbour: n.keyStr, note: what } });
        mergeInto(old.hold, sc, true);
      }
      old.hold.pending--;
    }
    if (truesize > P.unres_qlen_bytes) {
      // a queue that cannot hold even one skb: freed at once
      if (kind === 'reply') ctx.tracing && ctx.ev('__neigh_event_send', `reply not sent: NEIGH_QUEUEFULL (unres_qlen_bytes ${P.unres_qlen_bytes})`, { dev: n.dev.name });
      else ctx.drop('__neigh_event_send', 'NEIGH_QUEUEFULL', { dev: n.dev.name });
      return;
    }
    n.queue.push({ hold, kind, frame: ctx.frame, at: now, truesize, skb: skb_copy_for_queue(skb), summary });
    n.queueBytes += truesize;
    hold.pending++;
    this.wait(n);
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
  // an entry with queued packets: its probes and failure are steps with outcomes (NeighTable.expire)
  if (n.queue.length && (n.state & NUD_INCOMPLETE) && n.tbl.net) { n.tbl.expire(n, now); return; }
  const P = n.parms;
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
    if (!(nstate & NUD_CONNECTED)) n.confirmed = now - 2 * n.parms.base_reachable_time;
  }
  if (flags & NEIGH_UPDATE_F_OVERRIDE_ISROUTER) n.isRouter = !!(flags & NEIGH_UPDATE_F_ISROUTER);
  if (!(old & NUD_VALID) && (nstate & NUD_VALID) && n.queue.length) {
    // the queued skbs are transmitted now (neigh_update: "Again: avoid dead loop if something went wrong")
    res.flushed = n.queue.length;
    n.tbl.transmitQueue(n, now);
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

/** ms between two capture times in ns, for the timeline */
function msSince(t: number, from: number): number {
  return Math.round((t - from) / 1e5) / 10;
}

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
  const P = n.parms;
  if (!(s & NUD_INCOMPLETE)) {
    if (P.mcast_probes + P.app_probes) {
      // neigh_probe with immediate_ok: the first solicitation goes out at once; the timer sends
      // the others every retrans_time (NeighTable.expire, on capture time)
      n.state = NUD_INCOMPLETE; n.updated = now; n.probes = 0;
      if (family === 4) arp_solicit(net, n, skb ?? null, ctx);
      else ndisc_solicit(net, n, skb ?? null, ctx);
      n.probes = 1;
    } else {
      n.state = NUD_FAILED; n.updated = now;
      if (isReply) ctx.tracing && ctx.ev('__neigh_event_send', `${n.keyStr}: NEIGH_FAILED, reply not sent`, { dev: dev.name });
      else ctx.drop('__neigh_event_send', 'NEIGH_FAILED', { dev: dev.name, detail: { neighbour: n.keyStr } });
      return null;
    }
  }
  if (!skb) return null;
  const wait = `${n.keyStr} ${nudName(s)} -> INCOMPLETE: skb queued on arp_queue awaiting ${family === 4 ? 'ARP reply' : 'neighbour advertisement'} (${P.mcast_probes} solicitations, ${P.retrans_time / 1e6} ms apart)`;
  if (isReply) {
    ctx.tracing && ctx.ev(fn, `reply ${wait}`, { dev: dev.name });
    tbl.enqueue(n, skb, ctx, 'reply', now, net.summarizeSkb(skb));
    return null;
  }
  ctx.queued(fn, wait, { dev: dev.name, detail: { neighbour: n.keyStr } });
  tbl.enqueue(n, skb, ctx, 'frame', now, '');
  return null;
}

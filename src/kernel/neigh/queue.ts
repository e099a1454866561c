// Packets waiting on an unresolved neighbour (neigh->arp_queue) over capture time.
//
// __neigh_event_send queues an skb whose next hop is NUD_INCOMPLETE; it leaves when neigh_update
// makes the entry valid (an ARP reply / NA in a later frame of the capture), is freed with
// NEIGH_QUEUEFULL when the queue is over unres_qlen_bytes, or with NEIGH_FAILED (after
// arp_error_report / ndisc_error_report sent ICMP host / address unreachable) when the timer has
// sent its probes without an answer. The outcome is known only frames later, so the frame's
// record is held (NeighHold): every outcome is a patch applied to the record before the replay
// driver hands it out, and the driver keeps later records back until then (src/replay-hold.ts).
//
// The continuation (the transmit, the ICMP error, a timer's probe) runs on a scratch FrameCtx and
// is merged into the held record: its events and replies are appended, a reply's events keep
// their skb/reply tags with the indices moved to where the replies land.

import { FrameCtx } from '../ctx.js';
import type { FateRecord, Reply, TimelineEvent } from '../fate.js';
import { SkBuff } from '../skbuff.js';

/** a held frame's pending outcomes */
export class NeighHold {
  /** queued packets of this frame not yet settled */
  pending = 0;
  /** given out before every outcome was known (the driver's hold limit): later outcomes are dropped */
  released = false;
  private patches: ((r: FateRecord) => void)[] = [];

  patch(p: (r: FateRecord) => void): void {
    if (!this.released) this.patches.push(p);
  }

  apply(r: FateRecord): void {
    for (const p of this.patches) p(r);
    this.patches = [];
  }
}

/** one skb on a neighbour's arp_queue */
export interface QueuedSkb {
  hold: NeighHold;
  /** the captured frame itself, or a packet the kernel built in answer to it */
  kind: 'frame' | 'reply';
  frame: number;
  /** capture time it was queued, ns */
  at: number;
  /** what it counts against unres_qlen_bytes (skb->truesize) */
  truesize: number;
  /** a private copy (the captured frame's buffer is reused), as it was when queued */
  skb: SkBuff;
  /** a reply's summary (the frame's own is in its item) */
  summary: string;
}

/** a private copy of an skb at the neighbour layer: bytes from its first header, offsets and metadata */
export function skb_copy_for_queue(skb: SkBuff): SkBuff {
  if ((skb as { isReply?: boolean }).isReply) return skb; // a packet the model built is never reused
  const o = skb.mac_header >= 0 && skb.mac_header < skb.start ? skb.mac_header : skb.start;
  const c = new SkBuff(skb.data.slice(o, skb.tail), skb.tail - o);
  c.writable = true;
  const rel = (x: number) => (x >= 0 ? x - o : -1);
  c.mac_header = rel(skb.mac_header);
  c.network_header = rel(skb.network_header);
  c.transport_header = rel(skb.transport_header);
  c.protocol = skb.protocol;
  c.dev = skb.dev;
  c.indev = skb.indev;
  c.ip6_iif = skb.ip6_iif;
  c.pkt_type = skb.pkt_type;
  c.mark = skb.mark;
  c.ip_summed = skb.ip_summed;
  c.frameNo = skb.frameNo;
  c.tstampSec = skb.tstampSec;
  c.tstampNsec = skb.tstampNsec;
  return c;
}

/** a scratch context for a continuation that belongs to `frame`'s record */
export function scratchCtx(frame: number, tracing: boolean): FrameCtx {
  const c = new FrameCtx();
  c.tracing = tracing;
  c.reset(frame);
  return c;
}

/**
 * Merge what a continuation recorded on `sc` into the held record: events (reply indices moved
 * past the record's replies), replies, and for the frame itself its fate, reason and egress when
 * the continuation settled them.
 */
export function mergeInto(hold: NeighHold, sc: FrameCtx, frameFate: boolean, lead: TimelineEvent[] = []): void {
  const part = sc.part();
  hold.patch((r) => {
    const base = r.replies?.length ?? 0;
    const evs = part.events.map((e) => (e.reply !== undefined ? { ...e, reply: e.reply + base } : e));
    if (lead.length || evs.length) r.events = [...r.events, ...lead, ...evs];
    if (part.replies.length) r.replies = [...(r.replies ?? []), ...part.replies];
    if (part.unsupported.length) r.unsupported = [...(r.unsupported ?? []), ...part.unsupported.filter((u) => !r.unsupported?.includes(u))];
    if (frameFate && part.fate) {
      r.fate = part.fate;
      if (part.reason !== undefined) r.reason = part.reason;
      else delete r.reason;
      if (part.egress.length) r.egress = [...part.egress];
      else delete r.egress;
    }
  });
}

/** a reply that never left: listed with the frame's replies as dropped, with the step that freed it */
export function dropReply(hold: NeighHold, q: QueuedSkb, reason: string, fn: string, what: string, iface: string): void {
  hold.patch((r) => {
    const rep: Reply = { iface, summary: q.summary, dropped: reason };
    const idx = r.replies?.length ?? 0;
    r.replies = [...(r.replies ?? []), rep];
    r.events = [...r.events, { fn, what, dev: iface, skb: 'reply', reply: idx }];
  });
}

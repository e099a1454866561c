// Per-frame trace context and the per-replay namespace state handed to every stage.
//
// Every stage returns normally after recording what it decided on `ctx`; nothing throws for
// a packet-level outcome. Exactly one of drop()/consume()/deliver()/forward()/bridge() settles
// the frame's fate; later calls (e.g. a flooded copy) add egress devices only.

import type { FateKind, Reply, TimelineEvent, Verdict, FateRecord } from './fate.js';
import type { Host } from '../host/types.js';
import type { NfHooks } from './netfilter/hook.js';
import type { NeighHold } from './neigh/queue.js';

export type ChecksumMode = 'verify' | 'trust' | 'auto';

export interface ReplayOptions {
  checksums: ChecksumMode;
  /** ingress interface name when the capture does not say (pcap, or pcapng without if_name) */
  iface?: string;
  /** build the per-frame timeline (default true); fate, reason, egress, replies, verdicts and
   *  socket are the same without it, only `events` stays empty (much faster) */
  events?: boolean;
  /** what eBPF programs return, declared by the user: "DEV:xdp=pass|drop|tx|aborted|redirect:DEV2",
   *  "DEV:tc-ingress=ok|shot|redirect:DEV2" (src/kernel/sched/bpf_decl.ts) */
  bpf?: string[];
}

export class FrameCtx {
  frame = 0;
  fate: FateKind | null = null;
  reason: string | undefined;
  /** where the frame left; an empty or one-device list is shared between records (frozen) and
   *  replaced by an own list when a second device is added (`egressOwn`) */
  egress: string[] = NO_EGRESS;
  private egressOwn = false;
  replies: Reply[] = [];
  verdicts: Verdict[] = [];
  socket: string | undefined;
  /** the frame is one the host sent (captured leaving it): its transmission settles `sent` */
  localOut = false;
  /** the frame is the outbound copy of this earlier frame (set with its fate by the replay driver) */
  copyOf: number | undefined;
  unsupported: string[] = [];
  events: TimelineEvent[] = [];
  /** build timeline events; call sites test it first (`ctx.tracing && ctx.ev(...)`) so the
   *  event text is not even formatted when the timeline is off */
  tracing = true;

  /** events that belong to a packet the kernel built in answer (another skb): per span
   *  [first event, end, index in replies or -1], in the order the spans opened */
  private replySpans: number[] = [];
  /** spans still open (a reply built while another is on its way, e.g. its ARP request): bases into replySpans */
  private openReplies: number[] = [];

  /** packets of this frame wait on a neighbour queue: their outcomes are patched in later */
  hold: NeighHold | null = null;

  reset(frame: number): void {
    this.frame = frame;
    this.hold = null;
    if (this.replySpans.length) this.replySpans = [];
    if (this.openReplies.length) this.openReplies = [];
    this.fate = null;
    this.reason = undefined;
    // a list handed out with the last record is replaced; an empty one is kept (one allocation
    // fewer per frame each). Without the timeline `events` stays the same empty list.
    if (this.egress.length) {
      this.egress = NO_EGRESS;
      this.egressOwn = false;
    }
    if (this.replies.length) this.replies = [];
    if (this.verdicts.length) this.verdicts = [];
    this.socket = undefined;
    this.localOut = false;
    this.copyOf = undefined;
    if (this.unsupported.length) this.unsupported = [];
    if (this.tracing || this.events.length) this.events = [];
  }

  ev(fn: string, what: string, extra?: Omit<TimelineEvent, 'fn' | 'what'>): void {
    if (!this.tracing) return;
    this.events.push(extra ? withExtra(fn, what, extra) : { fn, what });
  }

  /** kfree_skb_reason(skb, reason) at `fn` */
  drop(fn: string, reason: string, extra?: Omit<TimelineEvent, 'fn' | 'what'>): void {
    if (this.tracing) this.ev(fn, `drop ${reason}`, extra);
    if (this.fate === null) {
      this.fate = 'dropped';
      this.reason = reason;
    }
  }

  /**
   * The frame waits on a neighbour's arp_queue (__neigh_event_send): its fate is settled later
   * (src/kernel/neigh/queue.ts). Until then the record says what happens without an answer.
   */
  queued(fn: string, what: string, extra?: Omit<TimelineEvent, 'fn' | 'what'>): void {
    if (this.tracing) this.ev(fn, what, extra);
    if (this.fate === null) {
      this.fate = 'dropped';
      this.reason = 'NEIGH_FAILED';
    }
  }

  /** what a continuation on a scratch context recorded (queue.ts mergeInto): reply events tagged */
  part(): { events: TimelineEvent[]; replies: Reply[]; unsupported: string[]; fate: FateKind | null; reason: string | undefined; egress: string[] } {
    const events = this.replySpans.length && this.events.length ? this.tagReplyEvents(this.events) : this.events;
    return { events, replies: this.replies, unsupported: this.unsupported, fate: this.fate, reason: this.reason, egress: this.egress };
  }

  /** consume_skb: used by the kernel without a drop and without reaching a socket */
  consume(fn: string, what: string): void {
    if (this.tracing) this.ev(fn, what);
    if (this.fate === null) this.fate = 'consumed';
  }

  deliver(fn: string, socket: string): void {
    if (this.tracing) this.ev(fn, `queued to ${socket}`);
    if (this.fate === null) {
      this.fate = 'delivered';
      this.socket = socket;
    }
  }

  /** the frame itself left through `dev` (dev_queue_xmit): forwarded after routing, or sent
   *  when the host originated it */
  forward(dev: string): void {
    this.addEgress(dev);
    if (this.fate === null) this.fate = this.localOut ? 'sent' : 'forwarded';
  }

  /** the outbound copy of frame `n`, which had `fate`, leaving by `dev` */
  copy(n: number, fate: FateKind, dev: string): void {
    this.addEgress(dev);
    this.copyOf = n;
    this.fate ??= fate;
  }

  /** the frame left through a bridge port */
  bridge(dev: string): void {
    this.addEgress(dev);
    if (this.fate === null) this.fate = 'bridged';
  }

  /** most frames leave through one device: its list is made once per name, not per frame */
  private addEgress(dev: string): void {
    const e = this.egress;
    if (e.length === 0) this.egress = oneEgress(dev);
    else if (this.egressOwn) e.push(dev);
    else {
      this.egress = [...e, dev];
      this.egressOwn = true;
    }
  }

  /** a packet the kernel builds starts its own trip (ip_local_out of a reply, an ARP/ND frame):
   *  the events until endReply() are that skb's, not the frame's */
  beginReply(): void {
    this.openReplies.push(this.replySpans.length);
    this.replySpans.push(this.events.length, -1, -1);
  }

  endReply(): void {
    const b = this.openReplies.pop();
    if (b !== undefined) this.replySpans[b + 1] = this.events.length;
  }

  reply(iface: string, summary: string): void {
    this.replies.push({ iface, summary });
    this.claimReply();
  }

  /** the packet the kernel built was dropped on its way out (a rule in OUTPUT, POSTROUTING...):
   *  listed with the replies, marked, so the frame's record says what became of it */
  replyDropped(iface: string, summary: string, reason: string): void {
    this.replies.push({ iface, summary, dropped: reason });
    this.claimReply();
  }

  /** the open reply span gets the index of the first replies entry it produced */
  private claimReply(): void {
    const o = this.openReplies;
    if (o.length && this.replySpans[o[o.length - 1] + 2] < 0) this.replySpans[o[o.length - 1] + 2] = this.replies.length - 1;
  }

  /** events of the replies' spans as copies carrying skb: 'reply' (and the reply's index); an
   *  inner span (opened later) wins over the one around it */
  private tagReplyEvents(events: TimelineEvent[]): TimelineEvent[] {
    const sp = this.replySpans;
    const out = events.slice();
    for (let k = 0; k < sp.length; k += 3) {
      const end = sp[k + 1] < 0 ? events.length : sp[k + 1];
      for (let i = sp[k]; i < end; i++) {
        const e: TimelineEvent = { ...events[i], skb: 'reply' };
        if (sp[k + 2] >= 0) e.reply = sp[k + 2];
        else delete e.reply;
        out[i] = e;
      }
    }
    return out;
  }

  toRecord(): FateRecord {
    if (this.replySpans.length && this.events.length) this.events = this.tagReplyEvents(this.events);
    const r: FateRecord = { frame: this.frame, fate: this.fate ?? 'dropped', events: this.events };
    if (this.fate === null) {
      // A path that ends without a decision is a model bug; say so instead of guessing.
      r.reason = 'NOT_SPECIFIED';
      // a new list: without the timeline the empty one is shared by earlier records
      r.events = this.events = [...this.events, { fn: 'pktlife', what: 'model ended without a fate (bug)' }];
    }
    if (this.copyOf !== undefined) r.copy_of = this.copyOf;
    if (this.reason !== undefined) r.reason = this.reason;
    if (this.egress.length) r.egress = this.egress;
    if (this.replies.length) r.replies = this.replies;
    if (this.verdicts.length) r.verdicts = this.verdicts;
    if (this.socket !== undefined) r.socket = this.socket;
    if (this.unsupported.length) r.unsupported = this.unsupported;
    return r;
  }
}

const NO_EGRESS: string[] = Object.freeze([]) as unknown as string[];
const oneEgressLists = new Map<string, string[]>();
/** the frozen one-device egress list for `dev` (device names are few: bounded by the host) */
function oneEgress(dev: string): string[] {
  let l = oneEgressLists.get(dev);
  if (l === undefined) {
    if (oneEgressLists.size >= 4096) oneEgressLists.clear();
    oneEgressLists.set(dev, (l = Object.freeze([dev]) as unknown as string[]));
  }
  return l;
}

/** an event with its optional fields, in the schema's order (fn, what, dev, diff, detail); no
 *  object spread: this runs for most steps of every frame with the timeline on */
function withExtra(fn: string, what: string, x: Omit<TimelineEvent, 'fn' | 'what'>): TimelineEvent {
  const e: TimelineEvent = { fn, what };
  if (x.dev !== undefined) e.dev = x.dev;
  if (x.diff !== undefined) e.diff = x.diff;
  if (x.detail !== undefined) e.detail = x.detail;
  return e;
}

/** where netfilter writes its trace: the frame's timeline, or a scratch list when tracing is off */
const scratchEvents: TimelineEvent[] = [];
export function nfEvents(ctx: FrameCtx): TimelineEvent[] {
  if (ctx.tracing) return ctx.events;
  scratchEvents.length = 0;
  return scratchEvents;
}

/**
 * struct net: one network namespace being replayed. Created per replay from a Host; holds the
 * state the kernel keeps at run time. Kernel-path helpers extend it (src/kernel/net.ts builds it).
 */
export interface NetState {
  host: Host;
  nf: NfHooks;
  opts: ReplayOptions;
}

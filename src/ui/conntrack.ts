// The conntrack view of one frame, read from the events the netfilter model records
// (src/kernel/netfilter/index.ts: nf_conntrack_in, __nf_conntrack_confirm, nf_nat_setup_info,
// nf_nat_packet), and the "before" state taken from the previous frame of the same connection.
//
// The model records the entry's state AFTER nf_conntrack_in ("ESTABLISHED_REPLY src=.. dst=..
// sport=.. dport=.. SYN_RECV") but not the state it found, nor whether it found or created the
// entry. So "before" is derived: the state after the last earlier frame whose conntrack event
// names the same original-direction tuple. That is the kernel's state unless the entry timed
// out (or was never confirmed) in between; the view says which frame it comes from.
import type { TimelineEvent } from '../kernel/fate.js';
import type { RowStore } from './store.js';

export interface CtState {
  /** ctinfo as the kernel names it: NEW, ESTABLISHED, RELATED, ESTABLISHED_REPLY, RELATED_REPLY, UNTRACKED, INVALID */
  ctinfo: string;
  /** original-direction tuple (conntrack -L form), when the event names it */
  tuple: string | null;
  /** TCP conntrack state after the packet (tcp_conntracks), TCP only */
  tcpState: string | null;
  /** the rest of the event text when it is not a tracked state (why invalid, already tracked ...) */
  note: string | null;
}

export interface CtView {
  /** the frame's own nf_conntrack_in result (the first one outside the kernel's replies) */
  state: CtState | null;
  /** the event it was read from */
  stateEvent: TimelineEvent | null;
  /** the entry's state when the frame's trip ended: the frame's own, or a later one when a packet
   *  the kernel sent in answer (an RST) moved the same entry on */
  endState: CtState | null;
  /** __nf_conntrack_confirm inserted the entry while this frame went through */
  confirmed: boolean;
  /** nf_nat_setup_info: the NAT binding this frame made (first packet of a connection) */
  bindings: string[];
  /** nf_nat_packet: this frame's header rewrites */
  rewrites: TimelineEvent[];
  /** conntrack/NAT events of the packets the kernel sent in answer (RST, ICMP errors) */
  replyEvents: TimelineEvent[];
  /** other conntrack events (table full ...) */
  other: TimelineEvent[];
}

const CT_EV = /^(nf_conntrack_in|__nf_conntrack_confirm|nf_nat_setup_info|nf_nat_packet|nf_ct_\w+|nf_conntrack_\w+)$/;
/** events that start a packet the kernel builds in answer (its own trip through LOCAL_OUT) */
const REPLY_START = /^(tcp_(v[46]_)?send_\w+|icmp6?_send|icmp_reply|icmpv6_echo_reply|nf_send_\w+)$/;
const RELATED_NOTE = 'icmp error of this connection';
const CTINFO = /^(NEW|ESTABLISHED_REPLY|ESTABLISHED|RELATED_REPLY|RELATED)\b\s*/;

export function parseCtState(what: string): CtState {
  const m = CTINFO.exec(what);
  if (!m) {
    if (what.startsWith('invalid') || what.endsWith(': invalid')) return { ctinfo: 'INVALID', tuple: null, tcpState: null, note: what };
    if (what.startsWith('untracked') || what.endsWith(': untracked')) return { ctinfo: 'UNTRACKED', tuple: null, tcpState: null, note: what };
    return { ctinfo: '?', tuple: null, tcpState: null, note: what };
  }
  const rest = what.slice(m[0].length);
  // "(icmp error for src=...)": a RELATED packet names the connection it belongs to
  const rel = /^\(icmp error for (src=.*)\)$/.exec(rest);
  if (rel) return { ctinfo: m[1], tuple: rel[1], tcpState: null, note: RELATED_NOTE };
  const t = /^(src=\S+ dst=\S+(?: (?:sport|dport|type|code|id)=\S+)*)(?: ([A-Z][A-Z_0-9]*))?$/.exec(rest);
  if (!t) return { ctinfo: m[1], tuple: null, tcpState: null, note: rest || null };
  return { ctinfo: m[1], tuple: t[1], tcpState: t[2] ?? null, note: null };
}

/** the frame's conntrack facts from its events; null when no conntrack event was recorded */
export function ctView(events: TimelineEvent[]): CtView | null {
  let v: CtView | null = null;
  let inReply = false;
  // the model tags a reply's own steps (skb "reply"); records without the tag (ndjson written
  // before it) are read by the steps that start and end a reply's trip
  const tagged = events.some((e) => e.skb !== undefined);
  for (const e of events) {
    if (tagged) inReply = e.skb === 'reply';
    else if (REPLY_START.test(e.fn)) inReply = true;
    else if (inReply && e.fn === 'dev_queue_xmit') inReply = false;
    if (!CT_EV.test(e.fn)) continue;
    v ??= { state: null, stateEvent: null, endState: null, confirmed: false, bindings: [], rewrites: [], replyEvents: [], other: [] };
    if (inReply) {
      v.replyEvents.push(e);
      if (e.fn === 'nf_conntrack_in' && v.state?.tuple) {
        const r = parseCtState(e.what);
        if (r.tuple === v.state.tuple && r.note !== RELATED_NOTE) v.endState = r;
      }
    }
    else if (e.fn === 'nf_conntrack_in' && !v.state) {
      v.state = v.endState = parseCtState(e.what);
      v.stateEvent = e;
    }
    else if (e.fn === '__nf_conntrack_confirm' && e.what.startsWith('confirmed')) v.confirmed = true;
    else if (e.fn === 'nf_nat_setup_info') v.bindings.push(e.what);
    else if (e.fn === 'nf_nat_packet') v.rewrites.push(e);
    else v.other.push(e);
  }
  return v;
}

/**
 * Per row: the previous row naming the same conntrack entry (-1: none), built incrementally
 * (rows only ever append), so the detail pane finds "before" without scanning the capture.
 */
export class CtIndex {
  indexed = 0;
  prev = new Int32Array(1024);
  /** the entry had been confirmed (inserted in the table) by the end of this row */
  confirmed = new Uint8Array(1024);
  private last = new Map<string, number>();

  /** index rows up to `upTo` (exclusive) or until `budget` rows are done; true when caught up */
  advance(s: RowStore, budget = Infinity, upTo = s.count): boolean {
    const end = Math.min(upTo, this.indexed + budget);
    if (end > this.prev.length) {
      let n = this.prev.length;
      while (n < end) n *= 2;
      const p = new Int32Array(n);
      p.set(this.prev);
      this.prev = p;
      const c = new Uint8Array(n);
      c.set(this.confirmed);
      this.confirmed = c;
    }
    for (let i = this.indexed; i < end; i++) {
      const v = s.hasCt[i] ? ctView(s.events(i)) : null;
      const t = v?.state?.tuple;
      if (!t) {
        this.prev[i] = -1;
        continue;
      }
      const p = this.last.get(t) ?? -1;
      this.prev[i] = p;
      this.confirmed[i] = v.confirmed || (p >= 0 && this.confirmed[p] === 1) ? 1 : 0;
      // an ICMP error RELATED to the connection leaves its state as it was (nf_conntrack_icmpv4_error)
      if (v.state!.note !== RELATED_NOTE) this.last.set(t, i);
    }
    this.indexed = end;
    return end >= s.count;
  }
}

/** status after the packet for a protocol without TCP states: NEW means !IPS_SEEN_REPLY (resolve_normal_ct) */
export function stateText(c: CtState): string {
  const seen = c.ctinfo === 'NEW' ? 'UNREPLIED' : c.ctinfo === 'RELATED' || c.ctinfo === 'RELATED_REPLY' ? '' : 'SEEN_REPLY';
  return [c.tcpState, seen && `[${seen}]`].filter(Boolean).join(' ');
}

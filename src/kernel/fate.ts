// The fate record: what the kernel did with one captured frame.
// Schema shared by `pktlife replay`, the kernel-recorded fixtures (fixtures/kernel/*/expected.ndjson),
// the golden-file tests and the UI. Field order in JSON output is the order declared here.

export type FateKind = 'delivered' | 'forwarded' | 'bridged' | 'dropped' | 'consumed';

/** A packet the kernel itself sent in answer (RST, SYN-ACK, ICMP error, echo reply, ARP reply, NA). */
export interface Reply {
  iface: string;
  /** tcpdump -nn style one-line summary of the reply, e.g. "IP 10.0.0.1.22 > 10.0.0.2.40000: Flags [R.], seq 0, ack 1, win 0, length 0" */
  summary: string;
}

/** One base chain's decision, as `nft monitor trace` would show it. */
export interface Verdict {
  hook: string; // prerouting | input | forward | output | postrouting | ingress | egress
  family: string; // ip | ip6 | inet | bridge | arp | netdev
  table: string;
  chain: string;
  verdict: string; // accept | drop | queue | stolen | continue ... (lower case, as nft prints)
  /** rule handle or iptables-save line that decided; absent when the policy decided */
  rule?: string;
  /** file:line in the user's rule set of that rule */
  source?: string;
}

/** One step of the timeline. `fn` is the kernel function (as pwru prints it) or stage name. */
export interface TimelineEvent {
  fn: string;
  /** what it decided, short: "PACKET_HOST", "route local table local", "NF_ACCEPT", "drop IP_CSUM" ... */
  what: string;
  /** device the skb was on at this step */
  dev?: string;
  /** before/after of fields this stage changed, e.g. { ttl: [64, 63], 'eth.dst': ['..','..'] } */
  diff?: Record<string, [string | number, string | number]>;
  /** free-form key facts (rule matched, table, next hop ...) */
  detail?: Record<string, string | number | boolean>;
}

export interface FateRecord {
  frame: number;
  fate: FateKind;
  /** kernel drop reason without SKB_DROP_REASON_ prefix; only for dropped */
  reason?: string;
  /** every interface the frame itself left through (forwarded, bridged, flooded) */
  egress?: string[];
  replies?: Reply[];
  verdicts?: Verdict[];
  /** only for delivered: "tcp 0.0.0.0:22" (ss Local Address:Port form) */
  socket?: string;
  /** set when the result depends on something the model does not support (rule, protocol ...) */
  unsupported?: string[];
  events: TimelineEvent[];
}

/** Canonical JSON key order, so outputs are byte-identical across runs. */
export function fateToJSON(r: FateRecord): string {
  const o: Record<string, unknown> = { frame: r.frame, fate: r.fate };
  if (r.reason !== undefined) o.reason = r.reason;
  if (r.egress && r.egress.length) o.egress = r.egress;
  if (r.replies && r.replies.length) o.replies = r.replies;
  if (r.verdicts && r.verdicts.length) o.verdicts = r.verdicts;
  if (r.socket !== undefined) o.socket = r.socket;
  if (r.unsupported && r.unsupported.length) o.unsupported = r.unsupported;
  o.events = r.events;
  return JSON.stringify(o);
}

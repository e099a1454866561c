// The seam between the kernel path and netfilter: NF_HOOK(pf, hook, skb, in, out, okfn).
// The path (src/kernel/ipv4, ipv6, bridge, core) calls nf_hook() at every place Linux does;
// netfilter (rules, conntrack, NAT) implements NfHooks. With no rule set loaded the null
// implementation accepts and the timeline still shows each hook passed.

import type { NetDevice } from '../../host/types.js';
import type { SkBuff } from '../skbuff.js';
import type { TimelineEvent, Verdict } from '../fate.js';
import type { FlowRoute } from './nf_flow_table.js';

/** include/uapi/linux/netfilter.h: protocol families as netfilter numbers them */
export const NFPROTO_INET = 1;
export const NFPROTO_IPV4 = 2;
export const NFPROTO_ARP = 3;
export const NFPROTO_NETDEV = 5;
export const NFPROTO_BRIDGE = 7;
export const NFPROTO_IPV6 = 10;

/** enum nf_inet_hooks */
export const NF_INET_PRE_ROUTING = 0;
export const NF_INET_LOCAL_IN = 1;
export const NF_INET_FORWARD = 2;
export const NF_INET_LOCAL_OUT = 3;
export const NF_INET_POST_ROUTING = 4;
export const NF_NETDEV_INGRESS = 0;
export const NF_NETDEV_EGRESS = 1;
/** bridge hooks use the same numbers (NF_BR_PRE_ROUTING = 0 ... NF_BR_POST_ROUTING = 4) */

export const HOOK_NAMES = ['prerouting', 'input', 'forward', 'output', 'postrouting'];
export const NETDEV_HOOK_NAMES = ['ingress', 'egress'];

export type NfVerdictKind = 'accept' | 'drop' | 'stolen' | 'queue';

export interface NfHookState {
  pf: number;
  hook: number;
  in: NetDevice | null;
  out: NetDevice | null;
  /** the frame's timeline is being built (FrameCtx.tracing): texts only the timeline shows are
   *  made only then. Absent = true */
  trace?: boolean;
  /** the caller copies the result out before it calls nf_hook again (NF_HOOK, brHook): the
   *  implementation may hand back one reused result object */
  reuse?: boolean;
}

export interface NfResult {
  verdict: NfVerdictKind;
  /** drop reason when verdict is drop (NETFILTER_DROP unless a rule says otherwise) */
  reason?: string;
  /** base chains that ran, as nft monitor trace shows them */
  verdicts: Verdict[];
  /** the result depends on something not modelled (rule, match); named by file:line */
  unsupported?: string[];
}

/** What netfilter may ask of the kernel path (reject sends its answer through the output path). */
export interface NfKernelOps {
  /** nf_send_reset / nf_send_unreach: build and send the answer to `skb` as the kernel would */
  sendReject(skb: SkBuff, state: NfHookState, how: { type: 'tcp-reset' } | { type: 'icmp'; icmpType: number; code: number } | { type: 'icmpv6'; icmpType: number; code: number }): void;
  /** nf_fwd_netdev_egress / nf_dup_netdev_egress: the frame (dup: a clone of it) leaves `dev` by dev_queue_xmit */
  netdevXmit?(skb: SkBuff, dev: NetDevice, dup: boolean, fromIngress: boolean): void;
  /** nft_fwd_neigh_eval: TTL / hop limit decremented, then neigh_xmit to `nexthop` on `dev` */
  neighXmit?(skb: SkBuff, dev: NetDevice, nexthop: number | Uint8Array): void;
  /** nft_flow_route's nf_route for a flow's other direction: to `daddr` out of `oif` */
  flowRoute?(v6: boolean, daddr: number | string, oif: NetDevice, mark: number): FlowRoute | null;
  /** the flowtable fast path's neigh_xmit on the flow's cached route */
  flowXmit?(skb: SkBuff, route: FlowRoute): void;
}

export interface NfHooks {
  /** run every base chain registered on (pf, hook) in priority order, plus conntrack/NAT at their priorities */
  nf_hook(state: NfHookState, skb: SkBuff, events: TimelineEvent[]): NfResult;
  /** true when any rule, conntrack or NAT would act on this (pf, hook); lets the path skip work */
  active(pf: number, hook: number): boolean;
  /** nf_defrag_ipv4 / nf_defrag_ipv6 registered (conntrack in use for pf): the kernel reassembles
   *  fragments at PRE_ROUTING and LOCAL_OUT priority -400 (NF_IP_PRI_CONNTRACK_DEFRAG), before
   *  any rule sees them. Optional: absent means no conntrack. */
  defrag?(pf: number): boolean;
}

/** No rule set: every hook accepts; the timeline still records the hook. */
export class NullNfHooks implements NfHooks {
  private static readonly ACCEPT: NfResult = { verdict: 'accept', verdicts: [] };
  nf_hook(state: NfHookState, _skb: SkBuff, events: TimelineEvent[]): NfResult {
    events.push({ fn: 'nf_hook_slow', what: `${pfName(state.pf)} ${hookName(state.pf, state.hook)}: no rules, NF_ACCEPT` });
    return NullNfHooks.ACCEPT;
  }
  active(): boolean {
    return false;
  }
}

export function pfName(pf: number): string {
  switch (pf) {
    case NFPROTO_IPV4: return 'ip';
    case NFPROTO_IPV6: return 'ip6';
    case NFPROTO_INET: return 'inet';
    case NFPROTO_ARP: return 'arp';
    case NFPROTO_BRIDGE: return 'bridge';
    case NFPROTO_NETDEV: return 'netdev';
    default: return `pf${pf}`;
  }
}

export function hookName(pf: number, hook: number): string {
  if (pf === NFPROTO_NETDEV) return NETDEV_HOOK_NAMES[hook] ?? `hook${hook}`;
  if (pf === NFPROTO_ARP) return ['input', 'output', 'forward'][hook] ?? `hook${hook}`;
  return HOOK_NAMES[hook] ?? `hook${hook}`;
}

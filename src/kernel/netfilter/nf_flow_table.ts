// Flowtables: net/netfilter/nf_flow_table_core.c (flow_offload_alloc, flow_offload_add, lookup,
// refresh, teardown, the gc step) and net/netfilter/nft_flow_offload.c (nft_flow_offload_eval, the
// `flow add @ft` statement). A flow holds its conntrack entry (IPS_OFFLOAD set, timeout pushed a day
// out) and both directions' tuples with the route each leaves by; the packets it forwards are
// handled by nf_flow_table_ip.ts at the ingress hook of the flowtable's devices.
//
// State is bounded like the kernel's: a flow exists only for a confirmed conntrack entry (at most
// nf_conntrack_max), and the gc step (once per second of capture time, nf_flow_offload_work_gc)
// tears down flows that expired or whose entry left the conntrack table.

import type { NetDevice } from '../../host/types.js';
import type { TimelineEvent } from '../fate.js';
import type { FlowtableDef, IrTable } from './ir.js';
import { NFPROTO_IPV4, NFPROTO_IPV6, NF_INET_FORWARD } from './hook.js';
import type { Pkt } from './pkt.js';
import {
  CL, ES, FW, CW, LA, TW, IPS_ASSURED, IPS_CONFIRMED, IPS_DST_NAT, IPS_OFFLOAD, IPS_SEEN_REPLY, IPS_SRC_NAT, TCP_FLAG_BE_LIBERAL, TCP_FLAG_CLOSE_INIT,
  TCP_STATE_NAMES, showTuple, type CtTimeouts, type NfConn, type Tuple,
} from './nf_conntrack.js';

/** NF_CT_DAY: the conntrack timeout of an offloaded entry (flow_offload_add -> nf_ct_refresh) */
export const NF_CT_DAY = 86400;
/** NF_FLOW_TIMEOUT: net.netfilter.nf_flowtable_{tcp,udp}_timeout default (tn->offload_timeout) */
export const NF_FLOW_TIMEOUT = 30;

/** enum nf_flow_flags (the ones the software path uses) */
export const NF_FLOW_SNAT = 1, NF_FLOW_DNAT = 2, NF_FLOW_TEARDOWN = 4, NF_FLOW_CLOSING = 8;

/** the cached route of one direction (flow_offload_tuple: dst_cache, mtu; xmit type NEIGH) */
export interface FlowRoute {
  dev: NetDevice;
  /** the route's gateway (rt_nexthop), or null when the destination is on-link */
  gw: number | Uint8Array | null;
  mtu: number;
}

export interface FlowOffloadTuple {
  dir: 0 | 1;
  /** the lookup key: l4proto, addresses, ports, iifidx (flow_offload_hash over the tuple) */
  key: string;
  /** where packets of this direction come in (route->tuple[dir].in.ifindex) */
  iif: NetDevice;
  /** where they leave */
  out: FlowRoute;
}

export interface FlowOffload {
  ct: NfConn;
  tuple: [FlowOffloadTuple, FlowOffloadTuple];
  flags: number;
  /** capture seconds (nf_flowtable_time_stamp + offload timeout) */
  timeout: number;
  ft: NfFlowtable;
}

/** What the flowtable asks of the kernel path (src/kernel/netfilter/nf_flow_table_path.ts). */
export interface FlowPathOps {
  /** nf_route for the other direction: to `daddr`, out of `oif` (flowi_oif = the packet's in device) */
  route(v6: boolean, daddr: number | string, oif: NetDevice, mark: number): FlowRoute | null;
}

/** a flowtable object of a table: its devices and its flows by tuple key */
export class NfFlowtable {
  readonly flows = new Map<string, { flow: FlowOffload; dir: 0 | 1 }>();
  readonly label: string;
  readonly devices: Set<string>;
  constructor(readonly def: FlowtableDef, readonly table: IrTable) {
    this.label = `${table.family} ${table.name} @${def.name}`;
    this.devices = new Set(def.devices);
  }
}

/** the lookup key of a tuple arriving on `iif` (flow_offload_tuple without the __hash part) */
export function flowKey(proto: number, src: number | string, dst: number | string, sport: number, dport: number, iif: number): string {
  return `${proto}|${src}|${dst}|${sport}|${dport}|${iif}`;
}

export interface FlowTimeouts {
  /** net.netfilter.nf_flowtable_tcp_timeout / nf_flowtable_udp_timeout */
  tcp: number;
  udp: number;
  ct: CtTimeouts;
}

/** All flowtables of a rule set, with the gc clock. */
export class NfFlowtables {
  readonly all: NfFlowtable[] = [];
  private nextGc = -Infinity;
  /** total flows in every flowtable: the ingress hook does nothing while it is 0 */
  count = 0;

  constructor(private readonly path: FlowPathOps, readonly timeouts: FlowTimeouts) {}

  create(def: FlowtableDef, tb: IrTable): NfFlowtable {
    const ft = new NfFlowtable(def, tb);
    this.all.push(ft);
    return ft;
  }

  /** flow_offload_get_timeout */
  offloadTimeout(ct: NfConn): number {
    const p = ct.tuple[0].proto;
    return p === 6 ? this.timeouts.tcp : p === 17 ? this.timeouts.udp : NF_FLOW_TIMEOUT;
  }

  /**
   * nft_flow_offload_eval: true when the flow was added (the rule goes on), false for NFT_BREAK
   * (the rule ends unmatched). `events` gets the reason either way.
   */
  offload(ft: NfFlowtable, p: Pkt, events: TimelineEvent[] | null): boolean {
    const brk = (why: string): false => {
      if (events) events.push({ fn: 'nft_flow_offload_eval', what: `${ft.label}: ${why}: NFT_BREAK` });
      return false;
    };
    if (p.hook !== NF_INET_FORWARD) {
      // nft_flow_offload_validate: the kernel refuses the rule outside the forward hook
      (p.unsupported ??= []).push(`${ft.label}: flow add outside a forward chain (the kernel refuses it at load)`);
      return false;
    }
    const d = p.d, nh = p.nh;
    // nft_flow_offload_skip: IPv4 options (IPCB(skb)->opt.optlen)
    if (p.nfproto === NFPROTO_IPV4 && nh >= 0 && (d[nh]! & 15) > 5) return brk('IP options (nft_flow_offload_skip)');
    const ct = p.ct;
    if (!ct) return brk('no conntrack entry');
    const proto = ct.tuple[0].proto;
    if (proto === 6) {
      const th = p.th;
      if (th < 0 || th + 20 > p.end) return brk('no TCP header');
      if (d[th + 13]! & 5) return brk('TCP FIN/RST');
      // nf_conntrack_tcp_established: ESTABLISHED and ASSURED
      if (ct.tcpState !== ES || !(ct.status & IPS_ASSURED)) return brk(`TCP ${TCP_STATE_NAMES[ct.tcpState]}${ct.status & IPS_ASSURED ? '' : ', not assured'} (nf_conntrack_tcp_established)`);
    } else if (proto === 47) {
      (p.unsupported ??= []).push(`${ft.label}: GRE flow offload not modelled`);
      return brk('GRE (not modelled)');
    } else if (proto !== 17) return brk(`protocol ${proto} is not offloaded (TCP and UDP only)`);
    if (!(ct.status & IPS_CONFIRMED)) return brk('conntrack entry not confirmed yet');
    // test_and_set_bit(IPS_OFFLOAD_BIT)
    if (ct.status & IPS_OFFLOAD) return brk('already offloaded');
    const dir: 0 | 1 = p.ctinfo >= 3 ? 1 : 0;
    // nft_flow_route: this direction's dst, the other one by nf_route out of the in device
    const dst = p.skb.dst as { dev?: NetDevice | null; gw?: number | Uint8Array | null; mtu?: number } | null;
    if (!dst?.dev || !p.in) return brk('no route');
    const v6 = p.nfproto === NFPROTO_IPV6;
    const thisRoute: FlowRoute = { dev: dst.dev, gw: dst.gw ? dst.gw : null, mtu: dst.mtu || dst.dev.mtu };
    const other = this.path.route(v6, ct.tuple[dir].src, p.in, p.skb.mark >>> 0);
    if (!other) return brk('no route for the other direction (nf_route)');
    for (const dev of [thisRoute.dev, other.dev]) {
      // nft_dev_forward_path: a bridge, VLAN or PPPoE device makes the flow FLOW_OFFLOAD_XMIT_DIRECT
      if (dev.kind === 'bridge' || dev.kind === 'vlan' || dev.kind === 'pppoe') {
        (p.unsupported ??= []).push(`${ft.label}: flow through ${dev.kind} ${dev.name} (direct xmit path) not modelled`);
        return brk(`${dev.kind} device ${dev.name}`);
      }
    }
    if (ct.dying) return brk('conntrack entry dying');
    // flow_offload_alloc + flow_offload_route_init
    const tupleOf = (dr: 0 | 1, iif: NetDevice, out: FlowRoute): FlowOffloadTuple => {
      const t: Tuple = ct.tuple[dr];
      return { dir: dr, key: flowKey(t.proto, t.src, t.dst, t.sport, t.dport, iif.ifindex), iif, out };
    };
    const t0 = dir === 0 ? tupleOf(0, other.dev, thisRoute) : tupleOf(0, thisRoute.dev, other);
    const t1 = dir === 0 ? tupleOf(1, thisRoute.dev, other) : tupleOf(1, other.dev, thisRoute);
    let flags = 0;
    if (ct.status & IPS_SRC_NAT) flags |= NF_FLOW_SNAT;
    if (ct.status & IPS_DST_NAT) flags |= NF_FLOW_DNAT;
    const flow: FlowOffload = { ct, tuple: [t0, t1], flags, timeout: p.now + this.offloadTimeout(ct), ft };
    // flow_offload_add: both tuples into the rhashtable (-EEXIST when a tuple is there already)
    if (ft.flows.has(t0.key) || ft.flows.has(t1.key)) return brk('tuple already in the flowtable (flow_offload_add: -EEXIST)');
    if (proto === 6) {
      ct.seen[0].flags |= TCP_FLAG_BE_LIBERAL;
      ct.seen[1].flags |= TCP_FLAG_BE_LIBERAL;
    }
    ct.status |= IPS_OFFLOAD;
    ft.flows.set(t0.key, { flow, dir: 0 });
    ft.flows.set(t1.key, { flow, dir: 1 });
    this.count++;
    // nf_ct_refresh(flow->ct, NF_CT_DAY): the fast path bypasses conntrack from now on
    ct.timeout = p.now + NF_CT_DAY;
    if (events) {
      const via = (r: FlowRoute) => `${r.dev.name}${r.gw ? ' via gateway' : ''}`;
      events.push({
        fn: 'flow_offload_add',
        what: `${showTuple(ct.tuple[0])} offloaded to ${ft.label}: original in ${t0.iif.name} out ${via(t0.out)}, reply in ${t1.iif.name} out ${via(t1.out)}${flags & NF_FLOW_SNAT ? ', SNAT' : ''}${flags & NF_FLOW_DNAT ? ', DNAT' : ''}; conntrack [OFFLOAD], timeout ${NF_CT_DAY} s`,
      });
    }
    return true;
  }

  /** flow_offload_lookup: the flow and direction for a key (torn-down flows are gone already) */
  lookup(ft: NfFlowtable, key: string): { flow: FlowOffload; dir: 0 | 1 } | undefined {
    const h = ft.flows.get(key);
    if (h === undefined || h.flow.flags & NF_FLOW_TEARDOWN || h.flow.ct.dying) return undefined;
    return h;
  }

  /** flow_offload_refresh: the flow's timeout moves when it gained more than a second (HZ) */
  refresh(flow: FlowOffload, now: number): void {
    const t = now + this.offloadTimeout(flow.ct);
    if (t - flow.timeout > 1) flow.timeout = t;
  }

  /**
   * flow_offload_teardown: IPS_OFFLOAD cleared, the conntrack entry fixed up to pick the connection
   * up again (flow_offload_fixup_ct), the flow removed (the gc step frees it within a second; no
   * lookup finds a torn-down flow meanwhile). Returns what was done, for the timeline.
   */
  teardown(flow: FlowOffload, now: number, expired: boolean): string {
    if (flow.flags & NF_FLOW_TEARDOWN) return '';
    flow.flags |= NF_FLOW_TEARDOWN;
    const ct = flow.ct;
    ct.status &= ~IPS_OFFLOAD;
    const fixed = this.fixupCt(flow, now, expired);
    const ft = flow.ft;
    for (const t of flow.tuple) if (ft.flows.get(t.key)?.flow === flow) ft.flows.delete(t.key);
    this.count--;
    return fixed;
  }

  /** flow_offload_fixup_ct (6.14+): the state conntrack resumes from and its timeout */
  private fixupCt(flow: FlowOffload, now: number, expired: boolean): string {
    const ct = flow.ct;
    const proto = ct.tuple[0].proto;
    const T = this.timeouts.ct;
    let timeout: number;
    const closing = (flow.flags & NF_FLOW_CLOSING) !== 0;
    if (proto === 6) {
      // flow_offload_fixup_tcp: a FIN/RST seen on the fast path makes it CLOSE (a SYN may reopen it);
      // the windows are forgotten (td_maxwin = 0) so tcp_in_window learns them again
      if (closing) {
        ct.tcpState = CL;
        expired = false;
      }
      // "syn packet triggers the TCP reopen case from conntrack"
      if (ct.tcpState === CL) ct.seen[0].flags |= TCP_FLAG_CLOSE_INIT;
      timeout = T.tcp[ct.tcpState]!;
      ct.seen[0].maxwin = 0;
      ct.seen[1].maxwin = 0;
    } else if (proto === 17) {
      timeout = ct.status & IPS_SEEN_REPLY ? T.udpStream : T.udp;
    } else return '';
    if (expired) timeout -= this.offloadTimeout(ct);
    if (timeout < 0) timeout = 0;
    if (closing || ct.timeout - now > timeout) ct.timeout = now + timeout;
    return `conntrack resumes${proto === 6 ? ` in ${TCP_STATE_NAMES[ct.tcpState]}` : ''}, timeout ${Math.round(ct.timeout - now)} s`;
  }

  /**
   * nf_flow_offload_work_gc -> nf_flow_offload_gc_step, every second: flows that expired or whose
   * conntrack entry died are torn down; live ones keep their entry's timeout long
   * (nf_flow_table_extend_ct_timeout).
   */
  gc(now: number, events: TimelineEvent[] | null): void {
    if (now < this.nextGc) return;
    this.nextGc = now + 1;
    if (this.count === 0) return;
    for (const ft of this.all) {
      for (const h of ft.flows.values()) {
        if (h.dir !== 0) continue;
        const flow = h.flow;
        const expired = flow.timeout <= now;
        if (expired || flow.ct.dying) {
          const what = this.teardown(flow, now, expired);
          if (events) events.push({ fn: 'nf_flow_offload_gc_step', what: `${showTuple(flow.ct.tuple[0])} ${expired ? `idle ${this.offloadTimeout(flow.ct)} s: flow expired` : 'conntrack entry gone'}, torn down from ${ft.label}${what ? `; ${what}` : ''}` });
        } else extendCtTimeout(flow.ct, now);
      }
    }
  }
}

/** nf_flow_table_extend_ct_timeout: an offloaded entry whose timeout is under 5 minutes gets a new one */
function extendCtTimeout(ct: NfConn, now: number): void {
  if (ct.timeout - now >= 300 || !(ct.status & IPS_CONFIRMED) || !(ct.status & IPS_OFFLOAD)) return;
  let t = 0;
  if (ct.tuple[0].proto === 17) t = NF_CT_DAY;
  else if (ct.tuple[0].proto === 6) {
    // nf_flow_table_tcp_timeout
    const s = ct.tcpState;
    t = s === ES ? NF_CT_DAY : s === FW || s === CW || s === LA || s === TW ? 300 : 0;
  }
  if (t) ct.timeout = now + t;
}

/** the flowtables a rule set declares, by table and name (the `flow add @ft` statements resolve through it) */
export function flowtablesOf(tables: IrTable[], fts: NfFlowtables): Map<IrTable, Map<string, NfFlowtable>> {
  const m = new Map<IrTable, Map<string, NfFlowtable>>();
  for (const tb of tables) {
    if (!tb.flowtables?.size) continue;
    const byName = new Map<string, NfFlowtable>();
    for (const def of tb.flowtables.values()) byName.set(def.name, fts.create(def, tb));
    m.set(tb, byName);
  }
  return m;
}


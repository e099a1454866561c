// The flowtable core on its own (src/kernel/netfilter/nf_flow_table.ts), each expected value from
// the kernel function named in the test:
// - nft_flow_offload_eval (net/netfilter/nft_flow_offload.c): the checks that end the rule with
//   NFT_BREAK, in the kernel's order, and what flow_offload_alloc/flow_offload_add leave behind
//   (both tuples hashed, IPS_OFFLOAD, NF_FLOW_SNAT/DNAT, be_liberal on both TCP sides, the entry's
//   timeout pushed to NF_CT_DAY, the flow's to nf_flowtable_*_timeout);
// - flow_offload_refresh (nf_flow_table_core.c): the flow's timeout moves when it gains more than HZ;
// - flow_offload_teardown / flow_offload_fixup_ct (6.14+): the state conntrack resumes from and its timeout;
// - nf_flow_offload_gc_step / nf_flow_table_extend_ct_timeout / nf_flow_table_tcp_timeout.
// The end-to-end path (the ingress fast path, NAT, bytes) is in flowtable.test.ts and the nft-flowtable recording.
import { describe, expect, it } from 'vitest';
import { NfFlowtables, NF_CT_DAY, NF_FLOW_CLOSING, NF_FLOW_DNAT, NF_FLOW_SNAT, NF_FLOW_TEARDOWN, flowKey, type FlowRoute, type NfFlowtable } from '../../src/kernel/netfilter/nf_flow_table.js';
import { CL, CW, DEFAULT_TIMEOUTS, ES, FW, IPS_ASSURED, IPS_CONFIRMED, IPS_DST_NAT, IPS_OFFLOAD, IPS_SEEN_REPLY, IPS_SRC_NAT, LA, SR, SS, TCP_FLAG_BE_LIBERAL, TCP_FLAG_CLOSE_INIT, TW, type NfConn, type Tuple } from '../../src/kernel/netfilter/nf_conntrack.js';
import { NFPROTO_IPV4, NF_INET_FORWARD, NF_INET_PRE_ROUTING } from '../../src/kernel/netfilter/hook.js';
import { Pkt } from '../../src/kernel/netfilter/pkt.js';
import type { TimelineEvent } from '../../src/kernel/fate.js';
import type { IrTable } from '../../src/kernel/netfilter/ir.js';
import { dev, skb4, type Pk } from './helpers.js';

const LAN = dev(2, 'eth0'), WAN = dev(3, 'eth1'), BR = dev(4, 'br0', [], 'bridge');
const T0 = 1_800_000_000;
const C = 0x0a000102, S = 0xcb007132; // 10.0.1.2 -> 203.0.113.50

function setup(other: FlowRoute | null = { dev: LAN, gw: null, mtu: 1500 }) {
  const routed: string[] = [];
  const fts = new NfFlowtables({ route: (v6, daddr, oif, mark) => (routed.push(`${v6} ${daddr} ${oif.name} ${mark}`), other) }, { tcp: 30, udp: 40, ct: DEFAULT_TIMEOUTS });
  const ft = fts.create({ name: 'ft', hook: 'ingress', priority: 0, devices: ['eth0', 'eth1'], flags: [] }, { family: 'inet', name: 'filter' } as IrTable);
  return { fts, ft, routed };
}
function conn(proto: number, status = IPS_CONFIRMED | IPS_ASSURED | IPS_SEEN_REPLY, tcpState = ES): NfConn {
  const t: Tuple = { l3: 2, proto, src: C, dst: S, sport: 41000, dport: 80 };
  const r: Tuple = { l3: 2, proto, src: S, dst: C, sport: 80, dport: 41000 };
  return { tuple: [t, r], status, mark: 0, zone: 0, timeout: T0 + 100, tcpState, seen: [{ flags: 0, maxwin: 500 } as never, { flags: 0, maxwin: 600 } as never], id: 1 };
}
/** the packet in the forward hook, original direction unless ctinfo says reply (>= 3) */
function pkt(ct: NfConn | null, over: Partial<Pk> = {}, ctinfo = 0, hook = NF_INET_FORWARD): Pkt {
  const p = new Pkt();
  const proto = ct?.tuple[0].proto === 17 ? 'udp' : ct?.tuple[0].proto === 1 ? 'icmp' : 'tcp';
  const skb = skb4({ src: '10.0.1.2', dst: '203.0.113.50', proto, sport: 41000, dport: 80, flags: 'A', t: T0, ...over });
  skb.dst = { dev: WAN, gw: 0xcb007101, mtu: 1400 };
  p.set(skb, NFPROTO_IPV4, hook, LAN, WAN);
  p.ct = ct;
  p.ctinfo = ctinfo;
  return p;
}
function offload(fts: NfFlowtables, ft: NfFlowtable, p: Pkt): { ok: boolean; what: string[]; unsupported: string[] | null } {
  const ev: TimelineEvent[] = [];
  const ok = fts.offload(ft, p, ev);
  return { ok, what: ev.map((e) => `${e.fn}: ${e.what}`), unsupported: p.unsupported };
}

describe('nft_flow_offload_eval', () => {
  it('an established, assured TCP connection is offloaded: both tuples by their in device, IPS_OFFLOAD, be_liberal, a day on the entry', () => {
    const { fts, ft, routed } = setup();
    const ct = conn(6);
    const r = offload(fts, ft, pkt(ct));
    expect(r.ok).toBe(true);
    // nft_flow_route: the other direction routed to its source, out of the packet's in device (flowi_oif), with the mark
    expect(routed).toEqual([`false ${C} eth0 0`]);
    expect(r.what).toEqual(['flow_offload_add: src=10.0.1.2 dst=203.0.113.50 sport=41000 dport=80 offloaded to inet filter @ft: original in eth0 out eth1 via gateway, reply in eth1 out eth0; conntrack [OFFLOAD], timeout 86400 s']);
    expect([...ft.flows.keys()]).toEqual([flowKey(6, C, S, 41000, 80, LAN.ifindex), flowKey(6, S, C, 80, 41000, WAN.ifindex)]);
    const flow = ft.flows.get(flowKey(6, C, S, 41000, 80, 2))!.flow;
    expect(flow.tuple[0].out).toEqual({ dev: WAN, gw: 0xcb007101, mtu: 1400 });
    expect(flow.tuple[1].out).toEqual({ dev: LAN, gw: null, mtu: 1500 });
    expect([flow.flags, flow.timeout, ct.timeout, ct.status & IPS_OFFLOAD, fts.count]).toEqual([0, T0 + 30, T0 + NF_CT_DAY, IPS_OFFLOAD, 1]);
    expect([ct.seen[0].flags, ct.seen[1].flags]).toEqual([TCP_FLAG_BE_LIBERAL, TCP_FLAG_BE_LIBERAL]);
    // a second packet: IPS_OFFLOAD is set already (test_and_set_bit)
    expect(offload(fts, ft, pkt(ct)).what).toEqual(['nft_flow_offload_eval: inet filter @ft: already offloaded: NFT_BREAK']);
  });

  it('a reply-direction packet offloads with the tuples the other way round; NAT flags come from the entry, UDP uses the UDP timeout', () => {
    const { fts, ft } = setup({ dev: WAN, gw: 0xcb007101, mtu: 1400 });
    const ct = conn(17, IPS_CONFIRMED | IPS_SEEN_REPLY | IPS_SRC_NAT | IPS_DST_NAT);
    const p = pkt(ct, { src: '203.0.113.50', dst: '10.0.1.2', sport: 80, dport: 41000 }, 3);
    p.skb.dst = { dev: LAN, gw: null };
    p.in = WAN;
    const r = offload(fts, ft, p);
    expect(r.ok).toBe(true);
    expect(r.what[0]).toBe('flow_offload_add: src=10.0.1.2 dst=203.0.113.50 sport=41000 dport=80 offloaded to inet filter @ft: original in eth0 out eth1 via gateway, reply in eth1 out eth0, SNAT, DNAT; conntrack [OFFLOAD], timeout 86400 s');
    const flow = ft.flows.get(flowKey(17, C, S, 41000, 80, 2))!.flow;
    // the reply's own route: the packet's dst (mtu from the device when the route has none)
    expect(flow.tuple[1].out).toEqual({ dev: LAN, gw: null, mtu: 1500 });
    expect([flow.flags, flow.timeout]).toEqual([NF_FLOW_SNAT | NF_FLOW_DNAT, T0 + 40]);
    expect([ct.seen[0].flags, ct.seen[1].flags]).toEqual([0, 0]);
  });

  it('NFT_BREAK: IPv4 options, no entry, a FIN or RST, TCP not established or not assured, another protocol, unconfirmed UDP', () => {
    const { fts, ft } = setup();
    const why = (p: Pkt) => offload(fts, ft, p).what[0]!.replace('nft_flow_offload_eval: inet filter @ft: ', '');
    const opts = pkt(conn(6));
    opts.d[opts.nh] = 0x46;
    expect(why(opts)).toBe('IP options (nft_flow_offload_skip): NFT_BREAK');
    expect(why(pkt(null))).toBe('no conntrack entry: NFT_BREAK');
    expect(why(pkt(conn(6), { flags: 'FA' }))).toBe('TCP FIN/RST: NFT_BREAK');
    expect(why(pkt(conn(6), { flags: 'R' }))).toBe('TCP FIN/RST: NFT_BREAK');
    expect(why(pkt(conn(6, IPS_CONFIRMED | IPS_SEEN_REPLY, SR)))).toBe('TCP SYN_RECV, not assured (nf_conntrack_tcp_established): NFT_BREAK');
    expect(why(pkt(conn(6, IPS_CONFIRMED | IPS_SEEN_REPLY, ES)))).toBe('TCP ESTABLISHED, not assured (nf_conntrack_tcp_established): NFT_BREAK');
    expect(why(pkt(conn(6, IPS_CONFIRMED | IPS_ASSURED, FW)))).toBe('TCP FIN_WAIT (nf_conntrack_tcp_established): NFT_BREAK');
    expect(why(pkt(conn(1)))).toBe('protocol 1 is not offloaded (TCP and UDP only): NFT_BREAK');
    expect(why(pkt(conn(17, IPS_SEEN_REPLY)))).toBe('conntrack entry not confirmed yet: NFT_BREAK');
    expect(fts.count).toBe(0);
    // GRE: offloadable in the kernel (nf_flow_tuple_gre), not modelled: unsupported
    const gre = offload(fts, ft, pkt(conn(47), { proto: 'udp' }));
    expect([gre.ok, gre.what[0], gre.unsupported]).toEqual([false, 'nft_flow_offload_eval: inet filter @ft: GRE (not modelled): NFT_BREAK', ['inet filter @ft: GRE flow offload not modelled']]);
  });

  it('NFT_BREAK: no route, no route for the other direction, a bridge/VLAN path, a dying entry, a tuple already in the table', () => {
    const ct = conn(6);
    const { fts, ft } = setup();
    const noDst = pkt(ct);
    noDst.skb.dst = null;
    expect(offload(fts, ft, noDst).what).toEqual(['nft_flow_offload_eval: inet filter @ft: no route: NFT_BREAK']);
    const a = setup(null);
    expect(offload(a.fts, a.ft, pkt(conn(6))).what).toEqual(['nft_flow_offload_eval: inet filter @ft: no route for the other direction (nf_route): NFT_BREAK']);
    const b = setup({ dev: BR, gw: null, mtu: 1500 });
    const br = offload(b.fts, b.ft, pkt(conn(6)));
    expect([br.what, br.unsupported]).toEqual([['nft_flow_offload_eval: inet filter @ft: bridge device br0: NFT_BREAK'], ['inet filter @ft: flow through bridge br0 (direct xmit path) not modelled']]);
    const dying = conn(6);
    dying.dying = true;
    expect(offload(fts, ft, pkt(dying)).what).toEqual(['nft_flow_offload_eval: inet filter @ft: conntrack entry dying: NFT_BREAK']);
    // flow_offload_add: rhashtable_insert_fast -EEXIST for another entry with the same tuple
    expect(offload(fts, ft, pkt(conn(6))).ok).toBe(true);
    const twin = conn(6);
    expect(offload(fts, ft, pkt(twin)).what).toEqual(['nft_flow_offload_eval: inet filter @ft: tuple already in the flowtable (flow_offload_add: -EEXIST): NFT_BREAK']);
    expect([twin.status & IPS_OFFLOAD, twin.timeout, fts.count]).toEqual([0, T0 + 100, 1]);
  });

  it('outside the forward hook the kernel refuses the rule (nft_flow_offload_validate): unsupported, no flow', () => {
    const { fts, ft } = setup();
    const r = offload(fts, ft, pkt(conn(6), {}, 0, NF_INET_PRE_ROUTING));
    expect([r.ok, r.what, r.unsupported]).toEqual([false, [], ['inet filter @ft: flow add outside a forward chain (the kernel refuses it at load)']]);
  });
});

describe('lookup, refresh, teardown, gc', () => {
  function offloaded(proto = 6, status?: number) {
    const s = setup();
    const ct = conn(proto, status);
    expect(s.fts.offload(s.ft, pkt(ct), null)).toBe(true);
    const key = flowKey(proto, C, S, 41000, 80, 2);
    return { ...s, ct, key, flow: s.ft.flows.get(key)!.flow };
  }

  it('flow_offload_lookup finds a live flow by either tuple, not a torn-down one or one whose entry is dying', () => {
    const { fts, ft, ct, key, flow } = offloaded();
    expect(fts.lookup(ft, flowKey(6, S, C, 80, 41000, 3))).toEqual({ flow, dir: 1 });
    expect(fts.lookup(ft, key)?.dir).toBe(0);
    ct.dying = true;
    expect(fts.lookup(ft, key)).toBeUndefined();
    ct.dying = false;
    flow.flags |= NF_FLOW_TEARDOWN;
    expect(fts.lookup(ft, key)).toBeUndefined();
  });

  it('flow_offload_refresh moves the timeout only when it gains more than a second', () => {
    const { fts, flow } = offloaded();
    fts.refresh(flow, T0 + 1);
    expect(flow.timeout).toBe(T0 + 30);
    fts.refresh(flow, T0 + 1.5);
    expect(flow.timeout).toBe(T0 + 31.5);
  });

  it('flow_offload_fixup_ct: ESTABLISHED resumes with its timeout (less the offload timeout when expired), windows forgotten; a closing flow resumes in CLOSE with CLOSE_INIT', () => {
    const a = offloaded();
    // not expired: ESTABLISHED's 432000 s is more than the day left on the entry, so the day stays
    expect(a.fts.teardown(a.flow, T0 + 10, false)).toBe('conntrack resumes in ESTABLISHED, timeout 86390 s');
    expect([a.ct.status & IPS_OFFLOAD, a.ct.seen[0].maxwin, a.ct.seen[1].maxwin, a.ft.flows.size, a.fts.count]).toEqual([0, 0, 0, 0, 0]);
    // torn down already: nothing more
    expect(a.fts.teardown(a.flow, T0 + 11, false)).toBe('');
    expect(a.fts.count).toBe(0);
    const b = offloaded();
    b.ct.tcpState = CW;
    // CLOSE_WAIT 60 s, expired: 60 - 30 = 30 s
    expect(b.fts.teardown(b.flow, T0 + 50, true)).toBe('conntrack resumes in CLOSE_WAIT, timeout 30 s');
    const c = offloaded();
    c.flow.flags |= NF_FLOW_CLOSING;
    // closing: CLOSE's 10 s, never less the offload timeout, refreshed whatever the old timeout
    expect(c.fts.teardown(c.flow, T0 + 50, true)).toBe('conntrack resumes in CLOSE, timeout 10 s');
    expect([c.ct.tcpState, c.ct.seen[0].flags & TCP_FLAG_CLOSE_INIT]).toEqual([CL, TCP_FLAG_CLOSE_INIT]);
    const d = offloaded();
    d.ct.tcpState = LA;
    // LAST_ACK 30 s, expired: 30 - 30 = 0
    expect(d.fts.teardown(d.flow, T0 + 50, true)).toBe('conntrack resumes in LAST_ACK, timeout 0 s');
    const e = offloaded();
    e.ct.tcpState = TW;
    // TIME_WAIT 120 - 30 = 90 is not under 0; CLOSE_INIT only for CLOSE
    expect(e.fts.teardown(e.flow, T0 + 50, true)).toBe('conntrack resumes in TIME_WAIT, timeout 90 s');
    expect(e.ct.seen[0].flags & TCP_FLAG_CLOSE_INIT).toBe(0);
  });

  it('UDP resumes with the replied (stream) or unreplied timeout; an entry left with less time keeps it', () => {
    const a = offloaded(17);
    expect(a.fts.teardown(a.flow, T0 + 5, false)).toBe('conntrack resumes, timeout 120 s');
    const b = offloaded(17, IPS_CONFIRMED);
    b.ct.timeout = T0 + 5 + 12;
    expect(b.fts.teardown(b.flow, T0 + 5, false)).toBe('conntrack resumes, timeout 12 s');
    const c = offloaded(17, IPS_CONFIRMED);
    expect(c.fts.teardown(c.flow, T0 + 5, true)).toBe('conntrack resumes, timeout 0 s');
  });

  it('the gc step, once a second: an expired flow is torn down (and says so); a live one has its entry\'s timeout extended when under 5 minutes', () => {
    const a = offloaded();
    const ev: TimelineEvent[] = [];
    a.ct.timeout = T0 + 200;
    a.ct.tcpState = FW;
    a.fts.gc(T0 + 1, ev);
    // nf_flow_table_tcp_timeout: FIN_WAIT 5 minutes
    expect([ev, a.ct.timeout]).toEqual([[], T0 + 1 + 300]);
    // the next gc is a second later: at T0 + 1.5 nothing runs
    a.ct.timeout = T0 + 10;
    a.fts.gc(T0 + 1.5, ev);
    expect(a.ct.timeout).toBe(T0 + 10);
    a.ct.tcpState = ES;
    a.fts.gc(T0 + 2, ev);
    expect(a.ct.timeout).toBe(T0 + 2 + NF_CT_DAY);
    for (const [st, want] of [[SS, 0], [SR, 0], [CW, 300], [LA, 300], [TW, 300], [CL, 0]] as const) {
      a.ct.tcpState = st;
      a.ct.timeout = T0 + 100;
      a.fts.gc(T0 + 3 + st, ev);
      expect(a.ct.timeout, `state ${st}`).toBe(want ? T0 + 3 + st + want : T0 + 100);
    }
    // exactly 300 s left is enough
    a.ct.tcpState = ES;
    a.ct.timeout = T0 + 20 + 300;
    a.fts.gc(T0 + 20, ev);
    expect(a.ct.timeout).toBe(T0 + 320);
    // the flow's own timeout (refreshed at T0 by the offload: T0 + 30) runs out
    a.fts.gc(T0 + 30, ev);
    expect(ev.map((e) => `${e.fn}: ${e.what}`)).toEqual(['nf_flow_offload_gc_step: src=10.0.1.2 dst=203.0.113.50 sport=41000 dport=80 idle 30 s: flow expired, torn down from inet filter @ft; conntrack resumes in ESTABLISHED, timeout 290 s']);
    expect(a.fts.count).toBe(0);
    const u = offloaded(17);
    u.ct.timeout = T0 + 5;
    u.fts.gc(T0 + 1, null);
    expect(u.ct.timeout).toBe(T0 + 1 + NF_CT_DAY);
    // an entry conntrack let go of (dying): torn down at the next gc
    const d = offloaded();
    d.ct.dying = true;
    const dv: TimelineEvent[] = [];
    d.fts.gc(T0 + 1, dv);
    expect(dv.map((e) => e.what)).toEqual(['src=10.0.1.2 dst=203.0.113.50 sport=41000 dport=80 conntrack entry gone, torn down from inet filter @ft; conntrack resumes in ESTABLISHED, timeout 86399 s']);
  });

  it('extend_ct_timeout needs the entry confirmed and still IPS_OFFLOAD', () => {
    const a = offloaded();
    a.ct.timeout = T0 + 100;
    a.ct.status &= ~IPS_CONFIRMED;
    a.fts.gc(T0 + 1, null);
    expect(a.ct.timeout).toBe(T0 + 100);
    const b = offloaded();
    b.ct.timeout = T0 + 100;
    b.ct.status &= ~IPS_OFFLOAD;
    b.fts.gc(T0 + 1, null);
    expect(b.ct.timeout).toBe(T0 + 100);
  });
});

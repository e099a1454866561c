// Connection tracking (net/netfilter/nf_conntrack_core.c, nf_conntrack_proto_{tcp,udp,icmp,icmpv6}.c).
// nf_conntrack_in attaches an entry to the skb (new ones unconfirmed), __nf_conntrack_confirm
// inserts it into the table at the last hook (input / postrouting), so a packet dropped before
// that leaves no entry, like the kernel. Time comes from capture timestamps only.

import { NFPROTO_IPV4, NFPROTO_IPV6 } from './hook.js';
import type { Pkt } from './pkt.js';
import { l4CsumV4, l4CsumV6, csumFold, csumPartial } from '../../packet/checksum.js';
import { CHECKSUM_PARTIAL, CHECKSUM_UNNECESSARY } from '../skbuff.js';
import { NF_INET_PRE_ROUTING } from './hook.js';
import { CtHashTable } from './nf_conntrack_hash.js';
import { NfExpectTable, nfCtHelp } from './nf_conntrack_helper.js';
import type { HelpVerdict } from './nf_conntrack_ftp.js';
import { formatIPv6 } from './ir.js';
import { ipv6ExtHdr } from '../../packet/ipv6.js';

/** enum ip_conntrack_info */
export const IP_CT_ESTABLISHED = 0, IP_CT_RELATED = 1, IP_CT_NEW = 2, IP_CT_IS_REPLY = 3, IP_CT_ESTABLISHED_REPLY = 3, IP_CT_RELATED_REPLY = 4, IP_CT_UNTRACKED = 7;
export const CT_STATE_BIT_INVALID = 1, CT_STATE_BIT_UNTRACKED = 64;
/** NF_CT_STATE_BIT(ctinfo) */
export function ctStateBit(ctinfo: number): number {
  return 1 << ((ctinfo % IP_CT_IS_REPLY) + 1);
}
/** enum ip_conntrack_status bits */
export const IPS_EXPECTED = 1, IPS_SEEN_REPLY = 2, IPS_ASSURED = 4, IPS_CONFIRMED = 8, IPS_SRC_NAT = 16, IPS_DST_NAT = 32, IPS_SRC_NAT_DONE = 128, IPS_DST_NAT_DONE = 256;
/** IPS_OFFLOAD_BIT (14): the connection is in a flowtable (nf_flow_table.ts) */
export const IPS_OFFLOAD = 1 << 14;

/** enum tcp_conntrack */
export const TCP_CONNTRACK_NONE = 0, SS = 1, SR = 2, ES = 3, FW = 4, CW = 5, LA = 6, TW = 7, CL = 8, S2 = 9, TCP_CONNTRACK_MAX = 10, IV = 10, IG = 11;
export const TCP_STATE_NAMES = ['NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2'];
const NO = 0;

/** tcp_conntracks[dir][index][state] (nf_conntrack_proto_tcp.c); index: syn, synack, fin, ack, rst, none */
export const TCP_CONNTRACKS: number[][][] = [
  [
    /* syn    */ [SS, SS, IG, IG, IG, IG, IG, SS, SS, S2],
    /* synack */ [IV, IV, IG, IG, IG, IG, IG, IG, IG, SR],
    /* fin    */ [IV, IV, FW, FW, LA, LA, LA, TW, CL, IV],
    /* ack    */ [ES, IV, ES, ES, CW, CW, TW, TW, CL, IV],
    /* rst    */ [IV, CL, CL, CL, CL, CL, CL, CL, CL, CL],
    /* none   */ [IV, IV, IV, IV, IV, IV, IV, IV, IV, IV],
  ],
  [
    /* syn    */ [IV, S2, IV, IV, IV, IV, IV, SS, IV, S2],
    /* synack */ [IV, SR, IG, IG, IG, IG, IG, IG, IG, SR],
    /* fin    */ [IV, IV, FW, FW, LA, LA, LA, TW, CL, IV],
    /* ack    */ [IV, IG, SR, ES, CW, CW, TW, TW, CL, IG],
    /* rst    */ [IV, CL, CL, CL, CL, CL, CL, CL, CL, CL],
    /* none   */ [IV, IV, IV, IV, IV, IV, IV, IV, IV, IV],
  ],
];
void NO;

/** tcp_timeouts (seconds) */
/** tcp_timeouts (seconds) by state, and the others: the kernel defaults, overridden by sysctls */
export interface CtTimeouts {
  tcp: number[];
  tcpUnack: number;
  udp: number;
  udpStream: number;
  icmp: number;
  /** nf_conntrack_icmpv6_timeout: ICMPv6 has its own (nf_conntrack_proto_icmpv6.c) */
  icmpv6: number;
  generic: number;
}
/** gre_timeouts[] (nf_conntrack_proto_gre.c): GRE_CT_UNREPLIED, GRE_CT_REPLIED, in seconds */
const GRE_TIMEOUT_UNREPLIED = 30, GRE_TIMEOUT_REPLIED = 180;
export const DEFAULT_TIMEOUTS: CtTimeouts = { tcp: [0, 120, 60, 432000, 120, 60, 30, 120, 10, 120], tcpUnack: 300, udp: 30, udpStream: 120, icmp: 30, icmpv6: 30, generic: 600 };

/** net.netfilter.nf_conntrack_*_timeout* from the snapshot's sysctls */
export function timeoutsFromSysctl(get: (k: string) => string | undefined): CtTimeouts {
  const n = (k: string, d: number) => {
    const v = get(`net.netfilter.nf_conntrack_${k}`);
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : d;
  };
  const d = DEFAULT_TIMEOUTS;
  const names = ['', 'syn_sent', 'syn_recv', 'established', 'fin_wait', 'close_wait', 'last_ack', 'time_wait', 'close', 'syn_sent2'];
  return {
    tcp: d.tcp.map((x, i) => (i === 0 ? 0 : i === 9 ? n('tcp_timeout_syn_sent', x) : n(`tcp_timeout_${names[i]}`, x))),
    tcpUnack: n('tcp_timeout_unacknowledged', d.tcpUnack),
    udp: n('udp_timeout', d.udp),
    udpStream: n('udp_timeout_stream', d.udpStream),
    icmp: n('icmp_timeout', d.icmp),
    icmpv6: n('icmpv6_timeout', d.icmpv6),
    generic: n('generic_timeout', d.generic),
  };
}
/** IP_CT_TCP_FLAG_* */
const TCP_FLAG_WINDOW_SCALE = 1, TCP_FLAG_SACK_PERM = 2;
/** IP_CT_TCP_FLAG_CLOSE_INIT: this side sent the first FIN (set on entering FIN_WAIT) */
export const TCP_FLAG_CLOSE_INIT = 4;
/** IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED: this side sent data the other has not acknowledged yet */
const TCP_FLAG_DATA_UNACKNOWLEDGED = 0x10;
export const TCP_FLAG_BE_LIBERAL = 8;
/**
 * pktlife's own marks on a direction's window data (not kernel flags). MODEL_SEQ: its sequence
 * numbers come from a segment the model built (its SYN-ACK, RST...), not the host's real one.
 * INFERRED: the host's segments of this connection are not in the capture (one-directional
 * capture): its sequence space is learnt from what the peer acknowledges, as conntrack's mid-stream
 * pickup learns it (td_end from the ACK), bounded by what the peer's window let the host send
 * (td_maxend). A real segment of that side in the capture clears both.
 */
const TCP_FLAG_MODEL_SEQ = 0x100, TCP_FLAG_INFERRED = 0x200;
void TCP_FLAG_WINDOW_SCALE;

export interface Tuple {
  l3: number; // 2 | 10
  proto: number;
  src: number | string;
  dst: number | string;
  /** ports, or for ICMP: id in sport, type<<8|code in dport */
  sport: number;
  dport: number;
}

interface TcpSeen {
  end: number;
  maxend: number;
  maxwin: number;
  scale: number;
  flags: number;
}

export interface NfConn {
  /** [IP_CT_DIR_ORIGINAL, IP_CT_DIR_REPLY] */
  tuple: [Tuple, Tuple];
  status: number;
  mark: number;
  zone: number;
  /** expiry in capture seconds */
  timeout: number;
  /** UDP: ct->proto.udp.stream_ts, 2 s after the first packet (capture seconds) */
  udpStreamTs?: number;
  tcpState: number;
  seen: [TcpSeen, TcpSeen];
  /** NAT bindings: original-direction rewrite of source and destination */
  nat?: { src?: { addr: number | string; port: number }; dst?: { addr: number | string; port: number } };
  /** what the model could not reproduce about this connection's NAT; every rewritten frame carries it */
  natNotes?: string[];
  id: number;
  /** removed from the table (nf_ct_is_dying): a flowtable entry holding it lets go */
  dying?: boolean;
  /** the conntrack helper's name (nfct_help(ct)->helper; `conntrack -L` shows helper=NAME) */
  helper?: string;
  /** ct->master: the connection whose helper expected this one (IPS_EXPECTED) */
  master?: NfConn;
  /** nf_ct_ftp_master.seq_aft_nl per direction: sequence numbers just after a '\n' (up to 2) */
  ftpNl?: [number[], number[]];
  /** TCP: ct->proto.tcp.last_index / last_dir (the last in-window or ignored segment), and what an
   *  ignored segment left for a later re-sync: last_end, last_win, last_wscale, last_flags */
  tcpLast?: { index: number; dir: number; end: number; win: number; scale: number; flags: number };
}

export function invertTuple(t: Tuple): Tuple {
  let { sport, dport } = t;
  if (t.proto === 1 || t.proto === 58) {
    // echo request <-> reply keeps the id; the type is inverted (icmp_invert_tuple)
    const inv = icmpInverse(t.proto, dport >> 8);
    dport = (inv << 8) | (dport & 255);
  } else [sport, dport] = [dport, sport];
  return { l3: t.l3, proto: t.proto, src: t.dst, dst: t.src, sport, dport };
}

function icmpInverse(proto: number, type: number): number {
  if (proto === 1) return ({ 8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17 } as Record<number, number>)[type] ?? 255;
  return ({ 128: 129, 129: 128, 139: 140, 140: 139 } as Record<number, number>)[type] ?? 255;
}

export function showTuple(t: Tuple): string {
  const a = (x: number | string) => (typeof x === 'number' ? `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}` : formatIPv6(x));
  const ports = t.proto === 6 || t.proto === 17 ? ` sport=${t.sport} dport=${t.dport}` : t.proto === 1 || t.proto === 58 ? ` type=${t.dport >> 8} code=${t.dport & 255} id=${t.sport}` : '';
  return `src=${a(t.src)} dst=${a(t.dst)}${ports}`;
}

export interface CtResult {
  /** NF_ACCEPT / NF_DROP */
  drop: boolean;
  what: string;
  /** the entry's state before and after this packet (`no entry` before a new one), as
   *  `conntrack -L` shows it: the TCP state, then [UNREPLIED] or [ASSURED] */
  before?: string;
  after?: string;
}

/** NF_ACCEPT without texts (the timeline is off) */
const CT_ACCEPT: CtResult = { drop: false, what: '' };

/** an entry's state as `conntrack -L` prints it */
export function ctStateText(ct: NfConn): string {
  // ct_seq_show: [OFFLOAD] in place of [ASSURED] while a flowtable forwards the connection
  const flag = !(ct.status & IPS_SEEN_REPLY) ? '[UNREPLIED]' : ct.status & IPS_OFFLOAD ? '[OFFLOAD]' : ct.status & IPS_ASSURED ? '[ASSURED]' : '';
  const tcp = ct.tuple[0].proto === 6 ? TCP_STATE_NAMES[ct.tcpState] : '';
  return tcp && flag ? `${tcp} ${flag}` : tcp || flag || 'tracked';
}

export class NfConntrack {
  private table = new CtHashTable();
  private count = 0;
  private nextId = 1;
  /** the expectations conntrack helpers created (nf_conntrack_expect.c) */
  readonly expects = new NfExpectTable();

  constructor(
    public max: number,
    public tcpLoose: boolean,
    public tcpBeLiberal: boolean,
    /** net.netfilter.nf_conntrack_checksum */
    public checksum = true,
    public timeouts: CtTimeouts = DEFAULT_TIMEOUTS,
  ) {}

  get size(): number {
    return this.count;
  }

  /** nf_conntrack_in */
  /** `text`: build the result's texts (the timeline shows them); without, the verdict alone */
  in(p: Pkt, zone = 0, text = true): CtResult {
    const skb = p.skb;
    if (skb.ct || skb.ctinfo === IP_CT_UNTRACKED) return { drop: false, what: skb.ct ? 'already tracked' : 'untracked (notrack)' };
    const t = pktTuple(p, p.th);
    if (!t) {
      skb.ctinfo = 0;
      return { drop: false, what: 'no tuple: invalid' };
    }
    // tcp_error / udp_error / icmp_error: nf_checksum at PRE_ROUTING unless the NIC vouched for it;
    // nf_ip_checksum only sums CHECKSUM_NONE/COMPLETE skbs (a CHECKSUM_PARTIAL one, e.g. from a veth peer, passes)
    if (this.checksum && p.hook === NF_INET_PRE_ROUTING && skb.ip_summed !== CHECKSUM_UNNECESSARY && skb.ip_summed !== CHECKSUM_PARTIAL && !l4ChecksumOk(p, t.proto)) {
      skb.ctinfo = 0;
      return { drop: false, what: `bad ${t.proto === 6 ? 'tcp' : t.proto === 17 ? 'udp' : 'icmp'} checksum: invalid` };
    }
    // ICMP(v6): errors are RELATED to the connection of the quoted packet; ND/MLD are untracked
    if (t.proto === 1 || t.proto === 58) {
      const type = t.dport >> 8;
      if (t.proto === 58 && [130, 131, 132, 133, 134, 135, 136, 143].includes(type)) {
        skb.ctinfo = p.ctinfo = IP_CT_UNTRACKED;
        return { drop: false, what: 'icmpv6 nd/mld: untracked' };
      }
      if ((t.proto === 1 && [3, 4, 5, 11, 12].includes(type)) || (t.proto === 58 && type >= 1 && type <= 4)) return this.icmpError(p, t, zone);
    }
    let h = this.lookup(t, zone, p.now);
    let ct: NfConn;
    let dir: number;
    const before = !text ? '' : h ? ctStateText(h.ct) : this.expired ? `no entry (the one in ${ctStateText(this.expired)} timed out)` : 'no entry';
    if (!h) {
      const made = this.initConntrack(p, t, zone);
      if (!made) {
        skb.ctinfo = 0;
        return { drop: false, what: 'no new connection for this packet: invalid' };
      }
      if (made === 'full') return { drop: true, what: 'nf_conntrack: table full, dropping packet' };
      ct = made;
      dir = 0;
      // init_conntrack: an expected connection takes its master; else the template's helper
      // (-j CT --helper in the raw table) is assigned (__nf_ct_try_assign_helper)
      const exp = this.expects.size ? this.expects.find(t, zone, p.now) : undefined;
      if (exp) {
        ct.status |= IPS_EXPECTED;
        ct.master = exp.master;
        // e.g. the data connection of a NATed FTP session (nf_nat_follow_master): not modelled
        if (exp.note) ((p.unsupported ??= []).push(exp.note), (ct.natNotes ??= []).push(exp.note));
      } else if (p.ctTmplHelper) ct.helper = p.ctTmplHelper;
    } else {
      ct = h.ct;
      dir = h.dir;
    }
    let ctinfo: number;
    if (dir === 1) ctinfo = IP_CT_ESTABLISHED_REPLY;
    else if (ct.status & IPS_SEEN_REPLY) ctinfo = IP_CT_ESTABLISHED;
    else if (ct.status & IPS_EXPECTED) ctinfo = IP_CT_RELATED;
    else ctinfo = IP_CT_NEW;
    this.seqNote = null;
    this.reopenedAsReply = false;
    const res = this.packet(p, ct, dir, ctinfo);
    if (res !== true) {
      // -NF_ACCEPT: the packet goes on without an entry (ct state invalid)
      skb.ct = null;
      skb.ctinfo = 0;
      p.ct = null;
      if (!text) return CT_ACCEPT;
      // the entry it was checked against (left as it was) is named: the packet is INVALID, not the entry
      return { drop: false, what: `invalid: ${res} (entry ${showTuple(ct.tuple[0])}${ct.tuple[0].proto === 6 ? ` ${TCP_STATE_NAMES[ct.tcpState]}` : ''})` };
    }
    // a SYN of the reply side reopened the entry the other way round (tcpPacket): NEW, original direction
    if (this.reopenedAsReply) {
      this.reopenedAsReply = false;
      dir = 0;
      ctinfo = IP_CT_NEW;
    } else if (dir === 1 && !(ct.status & IPS_SEEN_REPLY)) ct.status |= IPS_SEEN_REPLY;
    // a SYN reopening a TIME_WAIT/CLOSE entry (the handler cleared SEEN_REPLY): the kernel killed
    // the old entry and looked up again (-NF_REPEAT), so the packet is NEW on a new entry
    else if (ctinfo === IP_CT_ESTABLISHED && !(ct.status & IPS_SEEN_REPLY)) ctinfo = IP_CT_NEW;
    skb.ct = p.ct = ct;
    skb.ctinfo = p.ctinfo = ctinfo;
    if (!text) return CT_ACCEPT;
    const note = this.seqNote ? ` (${this.seqNote})` : '';
    // an expected connection names its master and the master's helper (conntrack -L shows the
    // master's tuple in the expectation, `conntrack -E expect` the helper)
    const master = ct.master ? ` master=[${showTuple(ct.master.tuple[0])}${ct.master.helper ? ` helper=${ct.master.helper}` : ''}]` : '';
    return { drop: false, what: `${ctinfoName(ctinfo)} ${showTuple(ct.tuple[0])}${ct.tuple[0].proto === 6 ? ` ${TCP_STATE_NAMES[ct.tcpState]}` : ''}${master}${note}`, before, after: ctStateText(ct) };
  }

  /** __nf_conntrack_confirm: insert a new entry in both directions */
  /** `text`: name the entry in the result (the timeline shows it); without, '' once confirmed */
  confirm(p: Pkt, text = true): string | null {
    const ct = p.skb.ct as NfConn | null;
    if (!ct || ct.status & IPS_CONFIRMED) return null;
    // an error attached to the entry in the other direction (nf_ct_attach) does not confirm it
    if (p.skb.ctinfo >= IP_CT_IS_REPLY) return null;
    if (this.count >= this.max && !this.earlyDrop(p.now)) return 'table full';
    ct.status |= IPS_CONFIRMED;
    this.table.set(ct, 0);
    this.table.set(ct, 1);
    this.count++;
    return text ? `confirmed ${showTuple(ct.tuple[0])}${ct.helper ? ` helper=${ct.helper}` : ''}` : '';
  }

  /** nf_confirm's helper call, before __nf_conntrack_confirm: the timeline text ('' for none) and NF_DROP */
  help(p: Pkt): HelpVerdict | null {
    const ct = p.skb.ct as NfConn | null;
    return ct?.helper ? nfCtHelp(p, ct, p.skb.ctinfo, this.expects) : null;
  }

  /** the entry a tuple (either direction) belongs to, or undefined (expired entries are gone) */
  get(t: Tuple, zone: number, now: number): NfConn | undefined {
    return this.lookup(t, zone, now)?.ct;
  }

  /** rehash after NAT changed the reply tuple (only before confirmation, so nothing to move) */
  private lookup(t: Tuple, zone: number, now: number): { ct: NfConn; dir: number } | undefined {
    this.expired = null;
    const h = this.table.get(t, zone);
    if (!h) return undefined;
    if (h.ct.timeout <= now) {
      this.expired = h.ct;
      this.remove(h.ct);
      return undefined;
    }
    return h;
  }

  /** the entry the last lookup found timed out (and removed): nf_conntrack_in says so */
  private expired: NfConn | null = null;
  /** what tcp_in_window inferred for the packet being tracked (shown in nf_conntrack_in's step) */
  private seqNote: string | null = null;
  /** tcpPacket reopened the entry for a SYN of the reply side: the packet is now its original direction */
  private reopenedAsReply = false;

  private remove(ct: NfConn): void {
    ct.dying = true;
    this.expects.dropMaster(ct);
    if (this.table.delete(ct.tuple[0], ct.zone)) this.count--;
    this.table.delete(ct.tuple[1], ct.zone);
  }

  /** early_drop: evict one entry that is not assured (or expired), oldest first */
  private earlyDrop(now: number): boolean {
    const h = this.table.find((n) => n.dir === 0 && (n.ct.timeout <= now || !(n.ct.status & IPS_ASSURED)));
    if (!h) return false;
    this.remove(h.ct);
    return true;
  }

  private initConntrack(p: Pkt, t: Tuple, zone: number): NfConn | 'full' | null {
    if (this.count >= this.max && !this.earlyDrop(p.now)) return 'full';
    const ct: NfConn = {
      tuple: [t, invertTuple(t)], status: 0, mark: 0, zone, timeout: p.now + this.timeouts.generic, tcpState: TCP_CONNTRACK_NONE,
      seen: [{ end: 0, maxend: 0, maxwin: 0, scale: 0, flags: 0 }, { end: 0, maxend: 0, maxwin: 0, scale: 0, flags: 0 }], id: this.nextId++,
    };
    if (t.proto === 6 && !this.tcpNew(p, ct)) return null;
    // icmp_new / icmpv6_new: only requests (echo, timestamp, info, address mask / echo, node info) start a connection
    if (t.proto === 1 && ![8, 13, 15, 17].includes(t.dport >> 8)) return null;
    if (t.proto === 58 && ![128, 139].includes(t.dport >> 8)) return null;
    return ct;
  }

  /** tcp_new */
  private tcpNew(p: Pkt, ct: NfConn): boolean {
    const th = p.th, d = p.d;
    const flags = d[th + 13]!;
    const idx = tcpIndex(flags);
    const ns = TCP_CONNTRACKS[0]![idx]![TCP_CONNTRACK_NONE]!;
    if (ns >= TCP_CONNTRACK_MAX) return false;
    const s = ct.seen[0];
    const seq = u32(d, th + 4), win = (d[th + 14]! << 8) | d[th + 15]!;
    const end = segEnd(p, seq, flags);
    if (ns === SS) {
      s.end = s.maxend = end;
      s.maxwin = win === 0 ? 1 : win;
      tcpOptions(p, s);
    } else {
      if (!this.tcpLoose) return false;
      // mid-stream pickup (nf_conntrack_tcp_loose): trust the packet's view of the window
      s.end = end;
      s.maxwin = win === 0 ? 1 : win;
      s.maxend = (end + s.maxwin) >>> 0;
      // "We assume SACK and liberal window checking to handle window scaling"
      ct.seen[0].flags = ct.seen[1].flags = TCP_FLAG_SACK_PERM | TCP_FLAG_BE_LIBERAL;
    }
    ct.tcpState = TCP_CONNTRACK_NONE;
    return true;
  }

  /** per-protocol packet handler; true = NF_ACCEPT with the entry, string = why invalid */
  private packet(p: Pkt, ct: NfConn, dir: number, ctinfo: number): true | string {
    const proto = ct.tuple[0].proto;
    if (proto === 6) return this.tcpPacket(p, ct, dir);
    if (proto === 17 || proto === 136) {
      // nf_conntrack_udp_packet (6.18, measured: fixtures/rulesets/evidence/ct-udp-stream.*):
      // IPS_SEEN_REPLY is set by nf_conntrack_in only after this handler, so the first reply
      // still gets the unreplied timeout. Later packets get the stream timeout, and the entry
      // becomes ASSURED, only once the connection is older than 2 s (stream_ts).
      if (!(ct.status & IPS_CONFIRMED)) ct.udpStreamTs = p.now + 2;
      if (ct.status & IPS_SEEN_REPLY) {
        let extra = this.timeouts.udp;
        let stream = false;
        if (proto === 136 || p.now > (ct.udpStreamTs ?? 0)) {
          extra = this.timeouts.udpStream;
          stream = !(ct.status & IPS_ASSURED);
        }
        ct.timeout = p.now + extra;
        if (stream) ct.status |= IPS_ASSURED;
      } else ct.timeout = p.now + this.timeouts.udp;
      return true;
    }
    if (proto === 1 || proto === 58) {
      // nf_conntrack_icmp_packet / nf_conntrack_icmpv6_packet, each with its own sysctl
      ct.timeout = p.now + (proto === 1 ? this.timeouts.icmp : this.timeouts.icmpv6);
      return true;
    }
    if (proto === 47) {
      // nf_conntrack_gre_packet (IPv4 and IPv6; 6.18, measured: fixtures/rulesets/evidence/ct-gre.*):
      // GRE_CT_UNREPLIED (30 s) until a reply was seen, then GRE_CT_REPLIED (180 s) and ASSURED;
      // IPS_SEEN_REPLY is set after this handler, so the reply itself keeps 30 s. No sysctl sets them.
      if (ct.status & IPS_SEEN_REPLY) {
        ct.timeout = p.now + GRE_TIMEOUT_REPLIED;
        ct.status |= IPS_ASSURED;
      } else ct.timeout = p.now + GRE_TIMEOUT_UNREPLIED;
      return true;
    }
    ct.timeout = p.now + this.timeouts.generic;
    void ctinfo;
    return true;
  }

  private tcpPacket(p: Pkt, ct: NfConn, dir: number): true | string {
    const th = p.th, d = p.d;
    const flags = d[th + 13]!;
    if (!tcpValidFlags(flags)) return 'invalid tcp flag combination';
    const idx = tcpIndex(flags);
    const old = ct.tcpState;
    let ns = TCP_CONNTRACKS[dir]![idx]![old]!;
    let old2 = old;
    const last = ct.tcpLast;
    if (ns === SS && old >= TW) {
      // tcp_packet, TCP_CONNTRACK_SYN_SENT from TIME_WAIT/CLOSE: a side sent a FIN (CLOSE_INIT) or
      // the last segment was this side's RST -> "Attempt to reopen a closed/aborted connection":
      // nf_ct_kill and -NF_REPEAT, the packet gets a new entry (it is its original direction, even
      // from the reply side). Else the SYN is ignored (fallthrough to TCP_CONNTRACK_IGNORE).
      // Recorded on 6.18: ct-tcp.json timewait-reopen, timewait-reply-syn, client-rst-then-syn, rst-then-syn.
      if ((ct.seen[0].flags | ct.seen[1].flags) & TCP_FLAG_CLOSE_INIT || (last && last.dir === dir && last.index === 4)) {
        ct.seen[0] = { end: 0, maxend: 0, maxwin: 0, scale: 0, flags: 0 };
        ct.seen[1] = { end: 0, maxend: 0, maxwin: 0, scale: 0, flags: 0 };
        ct.status &= ~(IPS_SEEN_REPLY | IPS_ASSURED);
        ct.tcpLast = undefined;
        if (ct.status & IPS_CONFIRMED) {
          // nf_ct_kill + -NF_REPEAT: the packet gets a new, unconfirmed entry without NAT, so the nat
          // chains are consulted again and __nf_conntrack_confirm inserts it anew (with its own reply tuple)
          this.remove(ct);
          ct.dying = false;
          ct.status &= ~(IPS_CONFIRMED | IPS_SRC_NAT | IPS_DST_NAT | IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE);
          ct.nat = undefined;
          ct.natNotes = undefined;
          ct.mark = 0;
          if (dir === 1) {
            // the new entry's original direction is this packet's
            ct.tuple[0] = ct.tuple[1];
            this.reopenedAsReply = true;
            dir = 0;
          }
          ct.tuple[1] = invertTuple(ct.tuple[0]);
          ct.id = this.nextId++;
        }
      } else ns = IG;
    }
    if (ns === IG) {
      const ackSeq = u32(d, th + 8);
      if (idx === 1 && last && last.index === 0 && last.dir !== dir && ackSeq === last.end) {
        // "b) This SYN/ACK acknowledges a SYN that we earlier ignored as invalid": the firewall gets
        // in sync from the annotated values (SYN_SENT -> SYN_RECV)
        old2 = SS;
        ns = SR;
        ct.seen[last.dir] = { end: last.end, maxend: last.end, maxwin: last.win === 0 ? 1 : last.win, scale: last.scale, flags: last.flags };
        ct.seen[dir] = { end: 0, maxend: 0, maxwin: 0, scale: 0, flags: 0 };
      } else {
        const seq = u32(d, th + 4);
        const opts: TcpSeen = { end: 0, maxend: 0, maxwin: 0, scale: 0, flags: 0 };
        // "a) This is a SYN in ORIGINAL": its options are annotated for a later re-sync
        if (idx === 0 && dir === 0) tcpOptions(p, opts);
        ct.tcpLast = { index: idx, dir, end: segEnd(p, seq, flags), win: (d[th + 14]! << 8) | d[th + 15]!, scale: opts.flags & TCP_FLAG_WINDOW_SCALE ? opts.scale : 0, flags: opts.flags & (TCP_FLAG_WINDOW_SCALE | TCP_FLAG_SACK_PERM) };
      }
    }
    const side = ct.seen[dir]!;
    if (side.flags & (TCP_FLAG_MODEL_SEQ | TCP_FLAG_INFERRED) && side.maxwin !== 0 && !(p.skb as { isReply?: boolean }).isReply) {
      // a real segment of the side whose numbers were the model's or inferred (e.g. the host's
      // SYN-ACK after the one the model built): the capture has it after all, its numbers replace them
      side.flags &= ~(TCP_FLAG_MODEL_SEQ | TCP_FLAG_INFERRED);
      const end = segEnd(p, u32(d, th + 4), flags);
      side.end = end;
      side.maxend = flags & 2 ? end : (end + side.maxwin) >>> 0;
    }
    if (ns === IG) return true; // tcp_packet: ignored, the entry keeps its state

    if (ns === IV) return `tcp state ${TCP_STATE_NAMES[old]} does not accept ${['SYN', 'SYN/ACK', 'FIN', 'ACK', 'RST', 'no flags'][idx]} in dir ${dir ? 'reply' : 'original'}`;
    const w = this.tcpInWindow(p, ct, dir, flags);
    if (w === 'ignore') return true; // NFCT_TCP_IGNORE: part of the connection, no state change
    if (w !== 'accept') return `tcp_in_window: ${w}`;
    // "From now on we have got in-window packets"
    ct.tcpLast = { index: idx, dir, end: 0, win: 0, scale: 0, flags: 0 };
    if (old2 !== ns && ns === FW) ct.seen[dir]!.flags |= TCP_FLAG_CLOSE_INIT;
    ct.tcpState = ns;
    if (idx === 4 && !(ct.status & IPS_SEEN_REPLY)) {
      // "If only reply is a RST, we can consider ourselves not to have an established connection":
      // tcp_packet kills the entry at once; the RST itself passes with it
      this.remove(ct);
      ct.timeout = p.now;
      return true;
    }
    // nf_conntrack_tcp_packet: ASSURED for a valid ACK in ESTABLISHED after SYN_RECV, or a valid
    // answer for a picked-up connection, once a reply was seen (IPS_SEEN_REPLY is set by
    // nf_conntrack_in after this handler, so the first reply itself does not make it)
    if (ct.status & IPS_SEEN_REPLY && (old2 === SR || old2 === ES) && ns === ES) ct.status |= IPS_ASSURED;
    // tcp_packet's timeout: nf_conntrack_tcp_timeout_unacknowledged while a side has data not yet
    // acknowledged (IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED) and the state's own is longer (recorded on
    // 6.18: ct-tcp.json's `left`); a picked-up connection not yet answered likewise
    const unack = ((ct.seen[0].flags | ct.seen[1].flags) & TCP_FLAG_DATA_UNACKNOWLEDGED) !== 0 || (!(ct.status & IPS_SEEN_REPLY) && dir === 0 && ns === ES);
    ct.timeout = p.now + Math.min(this.timeouts.tcp[ns]!, unack ? this.timeouts.tcpUnack : Infinity);
    return true;
  }

  /**
   * tcp_in_window (the tristate version of Linux >= 6.0): INVALID when SEQ is over the receiver's
   * window or the ACK acknowledges data not seen; IGNORE (tracked, no state change) for old data
   * or overly delayed ACKs; liberal tracking (mid-stream pickup, tcp_be_liberal) accepts all.
   */
  private tcpInWindow(p: Pkt, ct: NfConn, dir: number, flags: number): 'accept' | 'ignore' | string {
    const d = p.d, th = p.th;
    const sender = ct.seen[dir]!, receiver = ct.seen[1 - dir]!;
    let seq = u32(d, th + 4), ack = u32(d, th + 8);
    let sack = ack;
    let win = (d[th + 14]! << 8) | d[th + 15]!;
    let end = segEnd(p, seq, flags);
    const syn = (flags & 2) !== 0, ackf = (flags & 16) !== 0, rst = (flags & 4) !== 0;
    const liberal = (sender.flags & TCP_FLAG_BE_LIBERAL) !== 0 || this.tcpBeLiberal;
    const modelBuilt = (p.skb as { isReply?: boolean }).isReply === true;
    // a segment the model built (an ACK, a RST) once the host's side is known: its sequence numbers
    // are the model's guess (relative to an ISN it does not know), they teach nothing about the
    // host's real ones; the state machine still takes its flags
    if (modelBuilt && sender.maxwin !== 0) return 'accept';
    if (ackf && !rst && receiver.flags & TCP_FLAG_MODEL_SEQ && (ct.tcpState === SR || after(sack, receiver.end))) {
      // the peer acknowledges the host's segment, which the capture does not hold: the one the model
      // built has the model's numbers; the ACK tells the real ones (td_end, td_maxend from it)
      receiver.flags = (receiver.flags & ~TCP_FLAG_MODEL_SEQ) | TCP_FLAG_INFERRED;
      if (sack !== receiver.end) this.seqNote = `the host's sequence space inferred from this ACK (${sack}): its own segment is not in the capture, the model's had ${receiver.end}`;
      receiver.end = receiver.maxend = sack;
    } else if (ackf && !rst && receiver.flags & TCP_FLAG_INFERRED && after(sack, receiver.end)) {
      // the host's data the peer acknowledges was not captured: inferred, as far as the peer's
      // window let the host send (td_maxend); beyond that the ACK contradicts and is checked as is
      if (!after(sack, receiver.maxend)) {
        this.seqNote = `the host's data up to ${sack} inferred from this ACK (not in the capture)`;
        receiver.end = sack;
      }
    }
    if (sender.maxwin === 0) {
      if (syn) {
        sender.end = sender.maxend = end;
        sender.maxwin = win === 0 ? 1 : win;
        tcpOptions(p, sender);
        if (!(sender.flags & 1 && receiver.flags & 1)) sender.scale = receiver.scale = 0;
        if (!ackf) return 'accept'; // simultaneous open
      } else {
        sender.end = end;
        const swin = win << sender.scale;
        sender.maxwin = swin === 0 ? 1 : swin;
        sender.maxend = (end + sender.maxwin) >>> 0;
        if (receiver.maxwin === 0) receiver.end = receiver.maxend = sack;
      }
    } else if (((ct.tcpState === SS && dir === 0) || (ct.tcpState === SR && dir === 1)) && after(end, sender.end)) {
      sender.end = sender.maxend = end;
      sender.maxwin = win === 0 ? 1 : win;
      tcpOptions(p, sender);
    }
    if (!ackf) ack = sack = receiver.end;
    else if (rst && ack === 0) ack = sack = receiver.end;
    if (rst && seq === 0 && ct.tcpState === SS) seq = end = sender.end; // RST answering a SYN
    if (!before(seq, (sender.maxend + 1) >>> 0)) return liberal ? 'accept' : `SEQ is over upper bound ${(sender.maxend + 1) >>> 0} (over the window of the receiver)`;
    if (!before(sack, (receiver.end + 1) >>> 0)) {
      if (liberal) return 'accept';
      return receiver.flags & TCP_FLAG_INFERRED
        ? `ACK is over upper bound ${(receiver.end + 1) >>> 0}: it acknowledges data the host could not have sent (its window from the peer ended at ${receiver.maxend}; the host's segments are not in the capture, their numbers were inferred)`
        : `ACK is over upper bound ${(receiver.end + 1) >>> 0} (ACKed data not seen yet)`;
    }
    const inRecvWin = receiver.maxwin === 0 || after(end, (sender.end - receiver.maxwin - 1) >>> 0);
    if (!inRecvWin) return liberal ? 'accept' : 'ignore';
    const maxAckWin = Math.max(sender.maxwin, 66000);
    if (!after(sack, (receiver.end - maxAckWin - 1) >>> 0)) return liberal ? 'accept' : 'ignore';
    if (modelBuilt) sender.flags |= TCP_FLAG_MODEL_SEQ;
    // update the window data
    if (!syn) win = (win << sender.scale) >>> 0;
    const swin = (win + ((sack - ack) >>> 0)) >>> 0;
    if (sender.maxwin < swin) sender.maxwin = swin;
    if (after(end, sender.end)) {
      sender.end = end;
      sender.flags |= TCP_FLAG_DATA_UNACKNOWLEDGED;
    }
    if (receiver.maxwin !== 0 && after(end, sender.maxend)) receiver.maxwin += (end - sender.maxend) >>> 0;
    if (after((sack + win) >>> 0, (receiver.maxend - 1) >>> 0)) {
      receiver.maxend = (sack + win) >>> 0;
      if (win === 0) receiver.maxend = (receiver.maxend + 1) >>> 0;
    }
    if (ack === receiver.end) receiver.flags &= ~TCP_FLAG_DATA_UNACKNOWLEDGED;
    return 'accept';
  }

  /** nf_conntrack_inet_error / icmp_error_message: find the connection the error quotes */
  private icmpError(p: Pkt, t: Tuple, zone: number): CtResult {
    const skb = p.skb;
    const inner = p.th + 8;
    const q = quotedTuple(p, inner, t.l3);
    if (!q) {
      skb.ctinfo = 0;
      return { drop: false, what: 'icmp error without a valid quoted header: invalid' };
    }
    // nf_conntrack_inet_error: the quoted packet went the other way; its tuple inverted is the
    // error's own direction (with SNAT the quoted source is the NATed one: the reply tuple)
    const h = this.lookup(invertTuple(q), zone, p.now);
    if (!h) {
      skb.ctinfo = 0;
      return { drop: false, what: `icmp error for an unknown connection (${showTuple(q)}): invalid` };
    }
    // "In both cases, conntrack[dir].dst == inner.dst": an error sent to another address than the
    // connection's is not RELATED to it ("outer daddr != inner", -NF_ACCEPT)
    const outer = t.l3 === 2 ? u32(p.d, p.nh + 16) : bin(p.d, p.nh + 24, 16);
    const ctDaddr = h.ct.tuple[h.dir]!.dst;
    if (outer !== ctDaddr) {
      skb.ctinfo = 0;
      const at = (x: number | string) => showTuple({ l3: t.l3, proto: 0, src: x, dst: x, sport: 0, dport: 0 }).split(' ')[0]!.slice(4);
      return { drop: false, what: `icmp error: outer daddr ${at(outer)} != inner ${at(ctDaddr)}: invalid` };
    }
    // the direction of the tuple found is the error's: IP_CT_RELATED_REPLY in the reply direction
    const ctinfo = h.dir === 1 ? IP_CT_RELATED_REPLY : IP_CT_RELATED;
    skb.ct = p.ct = h.ct;
    skb.ctinfo = p.ctinfo = ctinfo;
    return { drop: false, what: `${ctinfoName(ctinfo)} (icmp error for ${showTuple(h.ct.tuple[0])})` };
  }
}

export function ctinfoName(ctinfo: number): string {
  return ['ESTABLISHED', 'RELATED', 'NEW', 'ESTABLISHED_REPLY', 'RELATED_REPLY', '', '', 'UNTRACKED'][ctinfo] ?? String(ctinfo);
}

function u32(d: Uint8Array, o: number): number {
  return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
}
function before(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
function after(a: number, b: number): boolean {
  return before(b, a);
}

/** get_conntrack_index */
function tcpIndex(flags: number): number {
  if (flags & 4) return 4;
  if (flags & 2) return flags & 16 ? 1 : 0;
  if (flags & 1) return 2;
  if (flags & 16) return 3;
  return 5;
}

/** tcp_valid_flags, indexed by flags without ECE/CWR/PSH */
function tcpValidFlags(flags: number): boolean {
  const f = flags & ~(0x40 | 0x80 | 0x08);
  return [0x02, 0x22, 0x12, 0x04, 0x14, 0x11, 0x31, 0x10, 0x30].includes(f);
}

function segEnd(p: Pkt, seq: number, flags: number): number {
  const doff = (p.d[p.th + 12]! >> 4) * 4;
  const len = p.end - p.th - doff;
  return (seq + Math.max(0, len) + (flags & 2 ? 1 : 0) + (flags & 1 ? 1 : 0)) >>> 0;
}

/** tcp_options: window scale (flag 1) and SACK permitted (flag 2) */
function tcpOptions(p: Pkt, s: TcpSeen): void {
  const d = p.d;
  const doff = (d[p.th + 12]! >> 4) * 4;
  let o = p.th + 20;
  const end = Math.min(p.th + doff, p.end);
  s.scale = 0;
  s.flags &= TCP_FLAG_BE_LIBERAL;
  while (o < end) {
    const kind = d[o]!;
    if (kind === 0) return;
    if (kind === 1) { o++; continue; }
    const size = d[o + 1]!;
    if (size < 2 || o + size > end) return;
    if (kind === 4 && size === 2) s.flags |= 2;
    else if (kind === 3 && size === 3) {
      s.scale = Math.min(d[o + 2]!, 14);
      s.flags |= 1;
    }
    o += size;
  }
}

/** nf_ct_get_tuple for the packet at (nh, th) */
export function pktTuple(p: Pkt, th: number): Tuple | null {
  const d = p.d, nh = p.nh;
  if (nh < 0) return null;
  let l3: number, src: number | string, dst: number | string;
  if (p.nfproto === NFPROTO_IPV4) {
    l3 = 2;
    src = u32(d, nh + 12);
    dst = u32(d, nh + 16);
  } else if (p.nfproto === NFPROTO_IPV6) {
    l3 = 10;
    src = bin(d, nh + 8, 16);
    dst = bin(d, nh + 24, 16);
  } else return null;
  const proto = p.l4proto;
  if (proto < 0) return null;
  let sport = 0, dport = 0;
  if (proto === 6 || proto === 17 || proto === 136 || proto === 132 || proto === 33) {
    if (th < 0 || th + 4 > p.end || p.fragoff) return null;
    sport = (d[th]! << 8) | d[th + 1]!;
    dport = (d[th + 2]! << 8) | d[th + 3]!;
    if (proto === 6 && th + 20 > p.end) return null;
  } else if (proto === 1 || proto === 58) {
    if (th < 0 || th + 8 > p.end) return null;
    dport = (d[th]! << 8) | d[th + 1]!; // type, code
    sport = (d[th + 4]! << 8) | d[th + 5]!; // id
  }
  return { l3, proto, src, dst, sport, dport };
}

function bin(d: Uint8Array, o: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(d[o + i]!);
  return s;
}

/** the tuple of the packet quoted in an ICMP error (starts at `o`) */
function quotedTuple(p: Pkt, o: number, l3: number): Tuple | null {
  const d = p.d;
  if (l3 === 2) {
    // ipv4_get_l4proto: the header whole, no later fragment (IP_OFFSET), the version not looked at
    if (o + 20 > p.end || (((d[o + 6]! << 8) | d[o + 7]!) & 0x1fff) !== 0) return null;
    const ihl = (d[o]! & 15) * 4;
    const proto = d[o + 9]!;
    const th = o + ihl;
    let sport = 0, dport = 0;
    if (proto === 6 || proto === 17) {
      if (th + 4 > p.end) return null;
      sport = (d[th]! << 8) | d[th + 1]!;
      dport = (d[th + 2]! << 8) | d[th + 3]!;
    } else if (proto === 1) {
      if (th + 8 > p.end) return null;
      dport = (d[th]! << 8) | d[th + 1]!;
      sport = (d[th + 4]! << 8) | d[th + 5]!;
    }
    return { l3, proto, src: u32(d, o + 12), dst: u32(d, o + 16), sport, dport };
  }
  // ipv6_get_l4proto: ipv6_skip_exthdr to the upper header; a later fragment has no tuple
  if (o + 40 > p.end) return null;
  let proto = d[o + 6]!;
  let th = o + 40;
  while (ipv6ExtHdr(proto)) {
    if (proto === 59 || th + 2 > p.end) return null;
    if (proto === 44) {
      if (th + 4 > p.end || (((d[th + 2]! << 8) | d[th + 3]!) & ~7) !== 0) return null;
      proto = d[th]!;
      th += 8;
    } else {
      const len = proto === 51 ? (d[th + 1]! + 2) << 2 : (d[th + 1]! + 1) << 3;
      proto = d[th]!;
      th += len;
    }
  }
  let sport = 0, dport = 0;
  if (proto === 6 || proto === 17) {
    if (th + 4 > p.end) return null;
    sport = (d[th]! << 8) | d[th + 1]!;
    dport = (d[th + 2]! << 8) | d[th + 3]!;
  } else if (proto === 58) {
    if (th + 8 > p.end) return null;
    dport = (d[th]! << 8) | d[th + 1]!;
    sport = (d[th + 4]! << 8) | d[th + 5]!;
  }
  return { l3, proto, src: bin(d, o + 8, 16), dst: bin(d, o + 24, 16), sport, dport };
}

/** nf_checksum over the transport segment; protocols without a checked checksum pass */
function l4ChecksumOk(p: Pkt, proto: number): boolean {
  const th = p.th, len = p.end - th;
  if (th < 0 || p.fragoff) return true;
  if (p.nfproto === NFPROTO_IPV4) {
    if (proto === 17 && p.d[th + 6] === 0 && p.d[th + 7] === 0) return true; // no UDP checksum
    if (proto === 6 || proto === 17) return l4CsumV4(p.d, th, len, proto, u32(p.d, p.nh + 12), u32(p.d, p.nh + 16)) === 0;
    if (proto === 1) return csumFold(csumPartial(p.d, th, len, 0)) === 0;
    return true;
  }
  if (proto === 6 || proto === 17 || proto === 58) return l4CsumV6(p.d, p.nh, th, len, proto) === 0;
  return true;
}

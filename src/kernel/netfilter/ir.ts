// The rule representation every parser produces (nft text, nft JSON, iptables-save, ipset save).
// Modelled on the nftables VM as the kernel runs it and as iptables-nft translates into it:
// a rule is a list of expressions; loads (payload/meta/ct/fib, optionally through bitwise or a
// concatenation) feed comparisons (cmp, range, lookup), statements act, a verdict ends the rule.
// The register file is made explicit as expression trees: `{k:'cmp', left: payload, ...}` is
// the VM's `payload load -> reg1; cmp eq reg1 value`.
//
// Values: loads up to 4 bytes evaluate to an unsigned number (payload fields in network byte
// order read as big-endian integers, meta/ct values as the kernel stores them); wider loads
// (IPv6 addresses, MACs, concatenations) to a binary string, one char per byte, so equality,
// hashing and lexicographic (= big-endian) comparison work unchanged; interface names to
// their text.

import { parseIpv4, parseIpv6, parseMac as parseMacBytes } from '../../packet/addr.js';

/** NFT_PAYLOAD_*_HEADER */
export type PayloadBase = 'll' | 'nh' | 'th' | 'ih';

export type Load =
  | { k: 'payload'; base: PayloadBase; offset: number; len: number; /** bit-field: mask and shift after load */ mask?: number; shift?: number; proto: string; field: string }
  | { k: 'meta'; key: string }
  | { k: 'ct'; key: string; dir?: 'original' | 'reply' }
  | { k: 'fib'; flags: string[]; result: 'type' | 'oif' | 'oifname' }
  | { k: 'bitwise'; src: Load; mask: number; xor: number; /** values wider than 4 bytes (IPv6, MAC): binary strings */ wmask?: string; wxor?: string }
  /** NFT_BITWISE_LSHIFT / RSHIFT on a u32 register */
  | { k: 'shift'; src: Load; op: 'lshift' | 'rshift'; n: number }
  | { k: 'concat'; parts: Load[] }
  /** nft_ng: inc is a per-rule counter (deterministic), random is not reproducible */
  | { k: 'numgen'; mod: number; mode?: 'inc' | 'random'; offset?: number }
  /** nft_hash: jhash over a loaded key with a seed, symhash over the flow dissector's symmetric hash */
  | { k: 'hash'; type: 'jhash' | 'symhash'; src?: Load; mod: number; seed?: number; offset?: number }
  /** a value taken from a map: `ip saddr map { 10.0.0.1 : 0x2a }` */
  | { k: 'map'; src: Load; map: string | SetDef }
  /** nft_exthdr: an IPv6 extension header field (ipv6_find_hdr) or a TCP option field; `present`: 1/0 whether it exists */
  | { k: 'exthdr'; op: 'ipv6' | 'tcpopt'; type: number; offset: number; len: number; present?: boolean; mask?: number; shift?: number; what: string }
  /** loads the model parses but does not evaluate (rt, exthdr, osf, socket, ipsec, tunnel, meta time...): evaluated as unsupported */
  | { k: 'opaque'; what: string };

/** right-hand side of a comparison */
export type Val = number | string;

export interface SetElem {
  /** exact key, or interval [lo, hi] inclusive (prefixes are stored as intervals) */
  key: Val | [Val, Val];
  /** for concatenations with intervals: per-part ranges */
  parts?: [Val, Val][];
  /** map data: a value or a verdict */
  data?: Val | VerdictExpr;
  /** the catch-all element `*`: matches when no other element does */
  catchall?: boolean;
  /** ipset `timeout N`: seconds the element had left when the save was taken (then it expires) */
  ttl?: number;
}

export interface SetDef {
  name: string;
  /** key types as nft names them (ipv4_addr, inet_service, ...), concatenation parts in order */
  keyTypes: string[];
  /** bytes per key part (4 for ipv4_addr, 2 for inet_service, 16 for ipv6_addr ...) */
  keyLens: number[];
  dataType?: string;
  interval: boolean;
  elems: SetElem[];
  src?: SrcRef;
  /** the set's default element timeout in ms (`timeout 1m`): elements added from the packet path expire */
  timeout?: number;
  /** `size N`: at most N elements; an add from the packet path fails when the set is full (nft_dynset_new) */
  size?: number;
}

export type Expr =
  | { k: 'cmp'; left: Load; op: 'eq' | 'neq' | 'lt' | 'gt' | 'lte' | 'gte'; value: Val }
  /** interface-name wildcard "eth*": nft compares only the prefix */
  | { k: 'prefixcmp'; left: Load; neg: boolean; value: string }
  | { k: 'range'; left: Load; neg: boolean; lo: Val; hi: Val }
  | { k: 'lookup'; left: Load; neg: boolean; set: string | SetDef }
  | { k: 'vmap'; left: Load; map: string | SetDef }
  | { k: 'counter' }
  | { k: 'limit'; rate: number; unit: 'second' | 'minute' | 'hour' | 'day' | 'week'; burst: number; bytes: boolean; over: boolean }
  | { k: 'log'; prefix?: string; level?: string }
  | { k: 'meta_set'; key: string; value: Load | Val; /** iptables MARK --set-xmark: mark = (mark & ~mask) ^ value */ mask?: number }
  | { k: 'ct_set'; key: string; value: Load | Val; mask?: number }
  | { k: 'notrack' }
  | { k: 'nat'; type: 'snat' | 'dnat' | 'masquerade' | 'redirect'; family?: 4 | 6; addrLo?: Val; addrHi?: Val; portLo?: number; portHi?: number; random?: boolean; persistent?: boolean }
  | { k: 'reject'; type: 'tcp-reset' | 'icmp' | 'icmpv6' | 'icmpx'; code: number }
  /** netdev `fwd to DEV` (nft_fwd_netdev_eval: out DEV, NF_STOLEN) / `dup to DEV` (nft_dup_netdev_eval: a clone out DEV) */
  | { k: 'fwd'; dev: string; dup: boolean; /** `fwd ip|ip6 to ADDR device DEV` (nft_fwd_neigh_eval) */ neigh?: { family: 4 | 6; addr: string } }
  /** nft_quota: bytes consumed by the packets that reached it, on capture order */
  | { k: 'quota'; bytes: number; over: boolean; used: number }
  /** nft_flow_offload: `flow add @ft` (also written `flow offload @ft`): offload the packet's connection to a flowtable */
  | { k: 'flow_offload'; flowtable: string }
  /** nft_dynset: add/update/delete the packet's key in a set from the packet path (meters are dynsets) */
  | { k: 'dynset'; op: 'add' | 'update' | 'delete'; set: string; key: Load; timeout?: number; stmts: Expr[] }
  | VerdictExpr
  /** something the model does not evaluate; the rule is evaluated up to here and any frame it would decide is marked unsupported */
  | { k: 'unsupported'; what: string }
  /** an xtables match or target evaluated by its own code (xt_*.ts, after net/netfilter/xt_*.c): `mk` builds the
   *  per-rule evaluator once at compile time (state such as counters or token buckets lives in its closure) */
  | { k: 'xt'; name: string; /** needs conntrack (loads nf_conntrack like a ct expression) */ ct?: boolean; mk: (cx: import('./compile.js').CompileCtx, r: IrRule) => (p: import('./pkt.js').Pkt) => boolean };

/** bypass: `queue flags bypass` (NFT_QUEUE_FLAG_BYPASS -> NF_VERDICT_FLAG_QUEUE_BYPASS) */
export type VerdictExpr = { k: 'verdict'; v: 'accept' | 'drop' | 'continue' | 'return' | 'jump' | 'goto' | 'queue'; chain?: string; bypass?: true };

export interface SrcRef {
  file: string;
  line: number;
  /** the rule as written (nft rule text or the iptables-save line) */
  text: string;
}

export interface IrRule {
  /** nft handle when known (nft -a / -j output), else the 1-based position in the chain */
  handle: number;
  exprs: Expr[];
  src: SrcRef;
  comment?: string;
  /** iptables-save source: the rule is identified by its line, not by an nft handle */
  iptables?: boolean;
}

export interface BaseChainDef {
  type: 'filter' | 'nat' | 'route';
  hook: string; // prerouting input forward output postrouting ingress egress
  priority: number;
  policy: 'accept' | 'drop';
  devices?: string[];
}

export interface IrChain {
  name: string;
  base?: BaseChainDef;
  rules: IrRule[];
  src?: SrcRef;
}

/** a flowtable (nf_tables_api.c nft_flowtable): its ingress hook on each device, flags as listed */
export interface FlowtableDef {
  name: string;
  hook: string;
  priority: number;
  devices: string[];
  /** `flags offload` (hardware offload: the software fast path is the same), `counter` */
  flags: string[];
  src?: SrcRef;
}

export type TableFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

export interface IrTable {
  family: TableFamily;
  name: string;
  chains: IrChain[];
  sets: Map<string, SetDef>;
  /** `flowtable NAME { hook ingress priority P; devices = { ... } }` declarations */
  flowtables?: Map<string, FlowtableDef>;
  /** which input it came from, for tracing and de-duplication of iptables-nft tables */
  origin: 'nft' | 'nft-json' | 'iptables' | 'ip6tables';
}

export interface IrRuleset {
  /** registration order = file order, as `nft list ruleset` prints it */
  tables: IrTable[];
  /** ipset sets, referenced by iptables `-m set --match-set NAME` */
  ipsets: Map<string, SetDef>;
  /** nfnetlink_acct objects (`nfacct list`), by name: whether it has a quota; absent without nfacct.txt */
  nfacct?: Map<string, { quota: boolean }>;
  /** notes the loader wants the user to see (e.g. which source was preferred) */
  notes: string[];
}

// ---- priorities (nft's named priorities, per family: src/rule.c std_prios / bridge_std_prios) ----

const STD_PRIOS: Record<string, number> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };
const BRIDGE_PRIOS: Record<string, number> = { dstnat: -300, filter: -200, out: 100, srcnat: 300 };

export function namedPriority(family: TableFamily, name: string): number | undefined {
  return family === 'bridge' ? BRIDGE_PRIOS[name] : STD_PRIOS[name];
}

/** Name nft prints for a numeric priority (for traces and docs). */
export function priorityName(family: TableFamily, prio: number): string {
  const t = family === 'bridge' ? BRIDGE_PRIOS : STD_PRIOS;
  for (const [n, v] of Object.entries(t)) {
    if (v === prio) return n;
    if (prio - v > 0 && prio - v <= 10) return `${n} + ${prio - v}`;
    if (v - prio > 0 && v - prio <= 10) return `${n} - ${v - prio}`;
  }
  return String(prio);
}

// ---- symbolic constants (nft's datatype tables) ----

export const L4PROTO: Record<string, number> = {
  ip: 0, icmp: 1, igmp: 2, ggp: 3, ipencap: 4, st: 5, tcp: 6, egp: 8, igp: 9, pup: 12, udp: 17, hmp: 20, 'xns-idp': 22, rdp: 27, 'iso-tp4': 29,
  dccp: 33, xtp: 36, ddp: 37, 'idpr-cmtp': 38, ipv6: 41, comp: 108, 'ipv6-route': 43, 'ipv6-frag': 44, idrp: 45, rsvp: 46, gre: 47, esp: 50, ah: 51, skip: 57,
  'ipv6-icmp': 58, icmpv6: 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60, rspf: 73, vmtp: 81, eigrp: 88, ospf: 89, 'ax.25': 93, ipip: 94, etherip: 97,
  encap: 98, pim: 103, ipcomp: 108, vrrp: 112, l2tp: 115, isis: 124, sctp: 132, fc: 133, 'mobility-header': 135, udplite: 136, 'mpls-in-ip': 137,
  manet: 138, hip: 139, shim6: 140, wesp: 141, rohc: 142, ethernet: 143, mptcp: 262,
};

export const ETHERTYPE: Record<string, number> = { ip: 0x0800, arp: 0x0806, ip6: 0x86dd, vlan: 0x8100, '8021q': 0x8100, '8021ad': 0x88a8 };

export const ICMP_TYPE: Record<string, number> = {
  'echo-reply': 0, 'destination-unreachable': 3, 'source-quench': 4, redirect: 5, 'echo-request': 8, 'router-advertisement': 9, 'router-solicitation': 10,
  'time-exceeded': 11, 'parameter-problem': 12, 'timestamp-request': 13, 'timestamp-reply': 14, 'info-request': 15, 'info-reply': 16,
  'address-mask-request': 17, 'address-mask-reply': 18,
};

export const ICMPV6_TYPE: Record<string, number> = {
  'destination-unreachable': 1, 'packet-too-big': 2, 'time-exceeded': 3, 'parameter-problem': 4, 'echo-request': 128, 'echo-reply': 129,
  'mld-listener-query': 130, 'mld-listener-report': 131, 'mld-listener-done': 132, 'mld-listener-reduction': 132, 'nd-router-solicit': 133,
  'nd-router-advert': 134, 'nd-neighbor-solicit': 135, 'nd-neighbor-advert': 136, 'nd-redirect': 137, 'router-renumbering': 138,
  'ind-neighbor-solicit': 141, 'ind-neighbor-advert': 142, 'mld2-listener-report': 143,
};

/** icmp_code_type / icmpv6_code_type / icmpx_code_type (reject with ...) */
export const ICMP_CODE: Record<string, number> = {
  'net-unreachable': 0, 'host-unreachable': 1, 'prot-unreachable': 2, 'port-unreachable': 3, 'frag-needed': 4, 'net-prohibited': 9, 'host-prohibited': 10, 'admin-prohibited': 13,
};
export const ICMPV6_CODE: Record<string, number> = { 'no-route': 0, 'admin-prohibited': 1, 'addr-unreachable': 3, 'port-unreachable': 4, 'policy-fail': 5, 'reject-route': 6 };
/** NFT_REJECT_ICMPX_*: no-route 0, port-unreachable 1, host-unreachable 2, admin-prohibited 3 */
export const ICMPX_CODE: Record<string, number> = { 'no-route': 0, 'port-unreachable': 1, 'host-unreachable': 2, 'admin-prohibited': 3 };
/** nft_reject_icmp_code / nft_reject_icmpv6_code: icmpx -> per family code */
export const ICMPX_TO_V4 = [0 /* net-unreach */, 3, 1, 13];
export const ICMPX_TO_V6 = [0, 4, 3, 1];

export const TCP_FLAGS: Record<string, number> = { fin: 1, syn: 2, rst: 4, psh: 8, ack: 16, urg: 32, ecn: 64, cwr: 128 };

/** ct state bits: NF_CT_STATE_INVALID_BIT=1, NF_CT_STATE_BIT(ctinfo)=1<<(ctinfo%3+1), UNTRACKED=64 */
export const CT_STATE: Record<string, number> = { invalid: 1, established: 2, related: 4, new: 8, untracked: 64 };
/** enum ip_conntrack_status bits */
export const CT_STATUS: Record<string, number> = { expected: 1, 'seen-reply': 2, assured: 4, confirmed: 8, snat: 16, dnat: 32, dying: 512 };
export const CT_DIR: Record<string, number> = { original: 0, reply: 1 };
export const PKTTYPE: Record<string, number> = { host: 0, unicast: 0, broadcast: 1, multicast: 2, other: 3 };
export const NFPROTO: Record<string, number> = { ipv4: 2, ipv6: 10, arp: 3, bridge: 7, netdev: 5, inet: 1 };
export const ARP_OP: Record<string, number> = { request: 1, reply: 2, rrequest: 3, rreply: 4, inrequest: 8, inreply: 9, nak: 10 };
/** fib ... type: RTN_* */
export const RTN_TYPE: Record<string, number> = {
  unspec: 0, unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8, throw: 9, nat: 10, xresolve: 11,
};

/** dscp_type / ecn_type (src/proto.c) */
export const DSCP: Record<string, number> = {
  cs0: 0, cs1: 8, cs2: 16, cs3: 24, cs4: 32, cs5: 40, cs6: 48, cs7: 56, df: 0, be: 0, lephb: 1, af11: 10, af12: 12, af13: 14, af21: 18, af22: 20, af23: 22,
  af31: 26, af32: 28, af33: 30, af41: 34, af42: 36, af43: 38, va: 44, ef: 46,
};
export const ECN: Record<string, number> = { 'not-ect': 0, ect1: 1, ect0: 2, ce: 3 };
/** ARPHRD_* names (nft's arphrd_tbl) */
export const ARPHRD: Record<string, number> = { ether: 1, ppp: 512, ipip: 768, ipip6: 769, loopback: 772, sit: 776, ipgre: 778, void: 65535, ip6gre: 823 };
export const IGMP_TYPE: Record<string, number> = { 'membership-query': 0x11, 'membership-report-v1': 0x12, 'membership-report-v2': 0x16, 'membership-report-v3': 0x22, 'leave-group': 0x17 };
export const DCCP_TYPE: Record<string, number> = { request: 0, response: 1, data: 2, ack: 3, dataack: 4, closereq: 5, close: 6, reset: 7, sync: 8, syncack: 9 };
/** user and group names nft resolves on the host that loads the rules (Debian's base passwd/group) */
export const UIDS: Record<string, number> = { root: 0, daemon: 1, bin: 2, sys: 3 };
export const DEVGROUP: Record<string, number> = { default: 0 };
export const CT_EVENT: Record<string, number> = { new: 1, related: 2, destroy: 4, reply: 8, assured: 16, protoinfo: 32, helper: 64, mark: 128, seqadj: 256, secmark: 512, label: 1024 };

/** symbol tables by the field they apply to */
export function symbolTable(proto: string, field: string): Record<string, number> | undefined {
  const f = `${proto} ${field}`;
  switch (f) {
    case 'ip protocol': case 'ip6 nexthdr': case 'meta l4proto': case 'ct protocol': case 'meta protocol_l4': return L4PROTO;
    case 'ether type': case 'vlan type': case 'meta protocol': case 'arp ptype': return ETHERTYPE;
    case 'icmp type': return ICMP_TYPE;
    case 'icmpv6 type': return ICMPV6_TYPE;
    case 'tcp flags': return TCP_FLAGS;
    case 'ct state': return CT_STATE;
    case 'ct status': return CT_STATUS;
    case 'ct direction': return CT_DIR;
    case 'meta pkttype': return PKTTYPE;
    case 'meta nfproto': return NFPROTO;
    case 'arp operation': return ARP_OP;
    case 'fib type': return RTN_TYPE;
    case 'ip dscp': case 'ip6 dscp': return DSCP;
    case 'ip ecn': case 'ip6 ecn': return ECN;
    case 'meta iiftype': case 'meta oiftype': return ARPHRD;
    case 'meta skuid': case 'meta skgid': return UIDS;
    case 'meta iifgroup': case 'meta oifgroup': return DEVGROUP;
    case 'igmp type': return IGMP_TYPE;
    case 'dccp type': return DCCP_TYPE;
    case 'ct l3proto': return NFPROTO;
    case 'ct event': return CT_EVENT;
    case 'comp nexthdr': case 'ah nexthdr': return L4PROTO;
    case 'icmp code': return ICMP_CODE;
    case 'icmpv6 code': return ICMPV6_CODE;
    default: return undefined;
  }
}

/** fields whose symbolic values combine with ',' into a bit mask (nft's bitmask types) */
export function isBitmask(proto: string, field: string): boolean {
  return (proto === 'tcp' && field === 'flags') || (proto === 'ct' && (field === 'state' || field === 'status' || field === 'event'));
}

// ---- payload fields (nft's proto_* templates) ----

export interface FieldDef {
  base: PayloadBase;
  offset: number;
  len: number;
  mask?: number;
  shift?: number;
  /** nft datatype of the value, for parsing constants */
  type: 'int' | 'ipv4' | 'ipv6' | 'mac' | 'str';
}

const F = (base: PayloadBase, offset: number, len: number, type: FieldDef['type'] = 'int', mask?: number, shift?: number): FieldDef => ({ base, offset, len, type, mask, shift });

export const FIELDS: Record<string, Record<string, FieldDef>> = {
  ether: { daddr: F('ll', 0, 6, 'mac'), saddr: F('ll', 6, 6, 'mac'), type: F('ll', 12, 2) },
  vlan: { id: F('ll', 14, 2, 'int', 0x0fff, 0), pcp: F('ll', 14, 1, 'int', 0xe0, 5), dei: F('ll', 14, 1, 'int', 0x10, 4), type: F('ll', 16, 2) },
  arp: {
    htype: F('nh', 0, 2), ptype: F('nh', 2, 2), hlen: F('nh', 4, 1), plen: F('nh', 5, 1), operation: F('nh', 6, 2),
    'saddr ether': F('nh', 8, 6, 'mac'), 'saddr ip': F('nh', 14, 4, 'ipv4'), 'daddr ether': F('nh', 18, 6, 'mac'), 'daddr ip': F('nh', 24, 4, 'ipv4'),
  },
  ip: {
    version: F('nh', 0, 1, 'int', 0xf0, 4), hdrlength: F('nh', 0, 1, 'int', 0x0f, 0), dscp: F('nh', 1, 1, 'int', 0xfc, 2), ecn: F('nh', 1, 1, 'int', 0x03, 0),
    length: F('nh', 2, 2), id: F('nh', 4, 2), 'frag-off': F('nh', 6, 2), ttl: F('nh', 8, 1), protocol: F('nh', 9, 1), checksum: F('nh', 10, 2),
    saddr: F('nh', 12, 4, 'ipv4'), daddr: F('nh', 16, 4, 'ipv4'),
  },
  ip6: {
    version: F('nh', 0, 1, 'int', 0xf0, 4), dscp: F('nh', 0, 2, 'int', 0x0fc0, 6), ecn: F('nh', 1, 1, 'int', 0x30, 4), flowlabel: F('nh', 1, 3, 'int', 0x0fffff, 0),
    length: F('nh', 4, 2), nexthdr: F('nh', 6, 1), hoplimit: F('nh', 7, 1), saddr: F('nh', 8, 16, 'ipv6'), daddr: F('nh', 24, 16, 'ipv6'),
  },
  tcp: {
    sport: F('th', 0, 2), dport: F('th', 2, 2), sequence: F('th', 4, 4), ackseq: F('th', 8, 4), doff: F('th', 12, 1, 'int', 0xf0, 4), flags: F('th', 13, 1),
    window: F('th', 14, 2), checksum: F('th', 16, 2), urgptr: F('th', 18, 2),
  },
  udp: { sport: F('th', 0, 2), dport: F('th', 2, 2), length: F('th', 4, 2), checksum: F('th', 6, 2) },
  udplite: { sport: F('th', 0, 2), dport: F('th', 2, 2), checksum: F('th', 6, 2) },
  sctp: { sport: F('th', 0, 2), dport: F('th', 2, 2), vtag: F('th', 4, 4), checksum: F('th', 8, 4) },
  dccp: { sport: F('th', 0, 2), dport: F('th', 2, 2) },
  th: { sport: F('th', 0, 2), dport: F('th', 2, 2) },
  icmp: { type: F('th', 0, 1), code: F('th', 1, 1), checksum: F('th', 2, 2), id: F('th', 4, 2), sequence: F('th', 6, 2), gateway: F('th', 4, 4, 'ipv4'), mtu: F('th', 6, 2) },
  icmpv6: { type: F('th', 0, 1), code: F('th', 1, 1), checksum: F('th', 2, 2), id: F('th', 4, 2), sequence: F('th', 6, 2), mtu: F('th', 4, 4), 'max-delay': F('th', 4, 2) },
  esp: { spi: F('th', 0, 4), sequence: F('th', 4, 4) },
  ah: { nexthdr: F('th', 0, 1), hdrlength: F('th', 1, 1), spi: F('th', 4, 4), sequence: F('th', 8, 4) },
  gre: { flags: F('th', 0, 2, 'int', 0xfff8, 3), version: F('th', 0, 2, 'int', 0x0007, 0), protocol: F('th', 2, 2) },
  // nft's proto_comp, proto_igmp (src/proto.c)
  comp: { nexthdr: F('th', 0, 1), flags: F('th', 1, 1), cpi: F('th', 2, 2) },
  igmp: { type: F('th', 0, 1), mrt: F('th', 1, 1), checksum: F('th', 2, 2), group: F('th', 4, 4, 'ipv4') },
};
FIELDS.dccp!.type = F('th', 8, 1, 'int', 0x1e, 1);
FIELDS.ah!.reserved = F('th', 2, 2);
FIELDS.vlan!.cfi = FIELDS.vlan!.dei!;
FIELDS.icmpv6!['param-problem'] = F('th', 4, 4);
FIELDS.icmpv6!['taddr'] = F('th', 8, 16, 'ipv6');
FIELDS.icmpv6!['daddr'] = F('th', 24, 16, 'ipv6');

/** the l4 protocol a transport-header field implies (nft's dependency: meta l4proto X) */
export const TH_PROTO: Record<string, number> = { comp: 108, igmp: 2, tcp: 6, udp: 17, udplite: 136, sctp: 132, dccp: 33, icmp: 1, icmpv6: 58, esp: 50, ah: 51, gre: 47 };

/** meta keys the model evaluates and their value kind */
export const META_KEYS: Record<string, 'num' | 'str'> = {
  iifname: 'str', oifname: 'str', iif: 'num', oif: 'num', mark: 'num', l4proto: 'num', nfproto: 'num', protocol: 'num', pkttype: 'num',
  length: 'num', iiftype: 'num', oiftype: 'num', ibrname: 'str', obrname: 'str', ibridgename: 'str', obridgename: 'str', priority: 'num',
  skuid: 'num', skgid: 'num', cpu: 'num', nftrace: 'num', iifgroup: 'num', oifgroup: 'num', cgroup: 'num', random: 'num', secmark: 'num',
  iifkind: 'str', oifkind: 'str', rtclassid: 'num', sdif: 'num', sdifname: 'str', ibrvproto: 'num', ibrpvid: 'num', ipsec: 'num', secpath: 'num',
  broute: 'num',
};
/** meta keys whose value depends on state the model does not have */
export const META_UNSUPPORTED = new Set(['skuid', 'skgid', 'cpu', 'cgroup', 'random', 'secmark', 'priority', 'iifgroup', 'oifgroup', 'rtclassid', 'sdif', 'ibrvproto', 'ibrpvid', 'ipsec', 'secpath', 'broute']);

/** ct keys */
export const CT_KEYS = new Set(['state', 'status', 'mark', 'direction', 'zone', 'l3proto', 'protocol', 'saddr', 'daddr', 'proto-src', 'proto-dst', 'expiration', 'helper', 'label', 'count', 'id', 'bytes', 'packets', 'avgpkt', 'event', 'secmark']);

/** nft key types -> byte length */
export const TYPE_LEN: Record<string, number> = {
  ipv4_addr: 4, ipv6_addr: 16, ether_addr: 6, inet_proto: 1, inet_service: 2, mark: 4, ifname: 16, iface_index: 4, ether_type: 2,
  icmp_type: 1, icmpv6_type: 1, ct_state: 4, ct_status: 4, pkt_type: 1, nf_proto: 1, tcp_flag: 1, arp_op: 2, verdict: 4, integer: 4,
  dscp: 1, ecn: 1, mark_t: 4, ipv4: 4, ipv6: 16, counter: 8, quota: 8, time: 8, day: 1, hour: 4,
};

/** the kind of value a set key type holds, for parsing elements */
export function typeKind(t: string): FieldDef['type'] {
  if (t === 'ipv4_addr') return 'ipv4';
  if (t === 'ipv6_addr') return 'ipv6';
  if (t === 'ether_addr') return 'mac';
  if (t === 'ifname' || t === 'iface_index' || t === 'string') return 'str';
  return 'int';
}

/** symbol table for a set key type */
export function typeSymbols(t: string): Record<string, number> | undefined {
  switch (t) {
    case 'inet_proto': return L4PROTO;
    case 'ether_type': return ETHERTYPE;
    case 'icmp_type': return ICMP_TYPE;
    case 'icmpv6_type': return ICMPV6_TYPE;
    case 'ct_state': return CT_STATE;
    case 'ct_status': return CT_STATUS;
    case 'pkt_type': return PKTTYPE;
    case 'nf_proto': return NFPROTO;
    case 'tcp_flag': return TCP_FLAGS;
    case 'arp_op': return ARP_OP;
    default: return undefined;
  }
}

// ---- value encoding helpers ----

/** IPv4 dotted quad -> u32, or undefined (src/packet/addr.ts) */
export function parseIPv4(s: string): number | undefined {
  return parseIpv4(s) ?? undefined;
}

/** IPv6 text -> 16-byte binary string, or undefined */
export function parseIPv6(s: string): string | undefined {
  const b = parseIpv6(s);
  return b ? String.fromCharCode(...b) : undefined;
}

/** "aa:bb:cc:dd:ee:ff" -> 6-byte binary string, or undefined */
export function parseMac(s: string): string | undefined {
  if (s.includes('-')) return undefined; // nft writes MACs with ':' only
  const b = parseMacBytes(s);
  return b ? String.fromCharCode(...b) : undefined;
}

/** interval covering a prefix: for numbers (u32 of `bits` width) or binary strings */
export function prefixRange(v: Val, plen: number, bits: number): [Val, Val] {
  if (typeof v === 'number') {
    const hostBits = bits - plen;
    const size = 2 ** hostBits;
    const lo = Math.floor(v / size) * size;
    return [lo, lo + size - 1];
  }
  let lo = '', hi = '';
  for (let i = 0; i < v.length; i++) {
    const keep = Math.max(0, Math.min(8, plen - i * 8));
    const m = keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
    const c = v.charCodeAt(i);
    lo += String.fromCharCode(c & m);
    hi += String.fromCharCode((c & m) | (~m & 0xff));
  }
  return [lo, hi];
}

export function formatIPv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export function formatIPv6(s: string): string {
  const w: string[] = [];
  for (let i = 0; i < 16; i += 2) w.push(((s.charCodeAt(i) << 8) | s.charCodeAt(i + 1)).toString(16));
  // collapse the longest run of zeros (RFC 5952)
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return w.join(':');
  return `${w.slice(0, best).join(':')}::${w.slice(best + bestLen).join(':')}`;
}

/** a parse error as nft reports it: file:line:col: Error: message */
export class RulesetError extends Error {
  constructor(public file: string, public line: number, public col: number, public problem: string) {
    super(`${file}:${line}:${col}: Error: ${problem}`);
    this.name = 'RulesetError';
  }
}

export function newTable(family: TableFamily, name: string, origin: IrTable['origin']): IrTable {
  return { family, name, chains: [], sets: new Map(), origin };
}

// The semantic checks nft's src/evaluate.c makes before a rule reaches the kernel (and the few
// the kernel itself refuses), so a rule set `nft -f` would refuse is refused here too, with
// nft's wording: values out of the field's range, strings too long, conflicting protocols
// in one rule (the protocol context, struct proto_ctx), statements after a terminal one,
// statement options that exclude each other. The parser calls these as it reads a rule.

import type { Expr, Load, TableFamily, Val } from './ir.js';
import { parseIPv4, parseIPv6 } from './ir.js';

/** a source position (the lexer's token) errors point at */
export interface At { file: string; line: number; col: number }

export type Refuse = (at: At, problem: string) => never;

/** the IANA numbers of the protocols nft has payload headers for (proto_tcp ... in src/proto.c) */
const L4_OF_PAYLOAD: Record<string, number> = { tcp: 6, udp: 17, udplite: 136, sctp: 132, dccp: 33, icmp: 1, icmpv6: 58, esp: 50, ah: 51, comp: 108, igmp: 2, gre: 47 };
const L4_NAME: Record<number, string> = Object.fromEntries(Object.entries(L4_OF_PAYLOAD).map(([k, v]) => [v, k]));
/** icmp_dep_to_type: the message type an icmp / icmpv6 field belongs to (proto.c's icmp_dep) */
const ICMP_FIELD_TYPE: Record<string, number> = { mtu: 3, gateway: 5 };
const ICMP6_FIELD_TYPE: Record<string, number> = { mtu: 2, 'max-delay': 130, 'param-problem': 4 };
/** ether types and nfproto values that select a network header */
const L3_OF_ETHERTYPE: Record<number, string> = { 0x0800: 'ip', 0x86dd: 'ip6', 0x0806: 'arp', 0x8100: 'vlan', 0x88a8: 'vlan' };
const L3_OF_NFPROTO: Record<number, string> = { 2: 'ip', 10: 'ip6' };

/**
 * What earlier matches of a rule say about the packet's headers (nft's proto_ctx): a payload
 * match of another protocol than the one already selected is refused as nft does
 * ("conflicting protocols specified: udp vs. tcp").
 */
export class ProtoCtx {
  l3: string | undefined;
  l4: number | undefined;
  /** the value an `ether type` match selected (a vlan header needs 8021q/8021ad there) */
  etherType: number | undefined;
  /** the first statement after which nothing runs (verdicts, reject, nat, queue, fwd) */
  terminal: At | undefined;
  /** the icmp/icmpv6 type earlier matches or dependencies fixed (proto_ctx th_dep.icmp.type; 0: none) */
  icmpType = 0;

  constructor(readonly family: TableFamily) {
    this.l3 = family === 'ip' || family === 'ip6' ? family : undefined;
  }

  /** a payload expression of `proto` is used (payload_gen_dependency / resolve_protocol_conflict) */
  need(proto: string, at: At, refuse: Refuse): void {
    if (proto === 'vlan') {
      if (this.etherType !== undefined && L3_OF_ETHERTYPE[this.etherType] !== 'vlan') refuse(at, 'conflicting protocols specified: ether vs. vlan');
      return;
    }
    if (proto === 'ip' || proto === 'ip6' || proto === 'arp') {
      if (this.family === 'arp') return;
      if (this.l3 !== undefined && this.l3 !== 'vlan' && this.l3 !== proto) refuse(at, `conflicting protocols specified: ${this.l3} vs. ${proto}`);
      this.l3 = proto;
      return;
    }
    const n = L4_OF_PAYLOAD[proto];
    if (n === undefined) return;
    if (this.l4 !== undefined && this.l4 !== n) refuse(at, `conflicting protocols specified: ${L4_NAME[this.l4] ?? this.l4} vs. ${proto}`);
    this.l4 = n;
  }

  /**
   * payload_gen_icmp_dependency: a field that exists only in some icmp/icmpv6 types (id and
   * sequence in echo messages, mtu, gateway, max-delay, param-problem) needs that type; another type
   * fixed before is refused ("incompatible icmp match: rule has 2, need 3"), else the dependency
   * fixes it for what follows.
   */
  icmpField(proto: string, field: string, at: At, refuse: Refuse): void {
    if (proto !== 'icmp' && proto !== 'icmpv6') return;
    const echo = field === 'id' || field === 'sequence';
    const need = proto === 'icmp' ? (echo ? 8 : ICMP_FIELD_TYPE[field]) : echo ? 128 : ICMP6_FIELD_TYPE[field];
    if (need === undefined) return;
    const have = this.icmpType;
    // PROTO_ICMP_ECHO / PROTO_ICMP6_ECHO: a request or a reply (icmpv6 129) both carry them
    if (have === need || (echo && proto === 'icmpv6' && have === 129)) return;
    if (have !== 0) refuse(at, `incompatible icmp match: rule has ${have}, need ${need}`);
    this.icmpType = need;
  }

  /** a match that selects a protocol for what follows (meta nfproto/protocol/l4proto, ether type, ip protocol, ip6 nexthdr) */
  learn(e: Expr): void {
    let left: Load, vals: Val[];
    if (e.k === 'cmp' && e.op === 'eq') { left = e.left; vals = [e.value]; }
    else if (e.k === 'lookup' && !e.neg && typeof e.set !== 'string') {
      // nft updates the context element by element: the last element of an anonymous set wins
      left = e.left;
      vals = e.set.elems.map((x) => (Array.isArray(x.key) ? x.key[0] : x.key));
      if (vals.length === 0) return;
      vals = [vals[vals.length - 1]!];
    } else return;
    const v = vals[0];
    if (typeof v !== 'number') return;
    // an `icmp type` / `icmpv6 type` value: echo-reply (0) is kept as echo-request, 0 meaning none
    // (measured: `icmp type 0 icmp mtu 5` says "rule has 8")
    if (left.k === 'payload' && left.field === 'type' && (left.proto === 'icmp' || left.proto === 'icmpv6')) {
      this.icmpType = left.proto === 'icmp' && v === 0 ? 8 : v;
      return;
    }
    const isL4 = (left.k === 'meta' && left.key === 'l4proto') || (left.k === 'payload' && ((left.proto === 'ip' && left.field === 'protocol') || (left.proto === 'ip6' && left.field === 'nexthdr')));
    if (isL4) { this.l4 = v; return; }
    if (e.k !== 'cmp') return;
    if (left.k === 'meta' && left.key === 'nfproto') this.l3 = L3_OF_NFPROTO[v] ?? this.l3;
    else if (left.k === 'meta' && left.key === 'protocol') this.l3 = L3_OF_ETHERTYPE[v] ?? this.l3;
    else if (left.k === 'payload' && left.proto === 'ether' && left.field === 'type') { this.etherType = v; this.l3 = L3_OF_ETHERTYPE[v] ?? this.l3; }
    else if (left.k === 'payload' && left.proto === 'vlan' && left.field === 'type') this.l3 = L3_OF_ETHERTYPE[v] ?? this.l3;
  }

  /** the network protocol a statement works on, known from the family or from earlier matches */
  get network(): 'ip' | 'ip6' | undefined {
    return this.l3 === 'ip' || this.l3 === 'ip6' ? this.l3 : undefined;
  }
}

/** integer_type_parse / constant range check: "Value N exceeds valid range 0-M" */
export function checkIntRange(v: number, bits: number, types: string[], at: At, refuse: Refuse): void {
  if (bits <= 0 || bits > 64) return;
  const max = 2 ** bits - 1;
  if (v <= max) return;
  if (types[0] === 'inet_proto') refuse(at, 'Protocol out of range');
  refuse(at, `Value ${v} exceeds valid range 0-${max}`);
}

/** string_type_parse: "" and names that do not fit the key (IFNAMSIZ, NF_CT_HELPER_NAME_LEN... with the NUL) */
export function checkString(s: string, maxBytes: number, at: At, refuse: Refuse): void {
  if (s === '') refuse(at, 'Empty string is not allowed');
  if (Buffer.byteLength(s) >= maxBytes) refuse(at, `String exceeds maximum length of ${maxBytes}`);
}

/** an address of the other family where one of this family is needed (getaddrinfo's EAI_ADDRFAMILY) */
export function wrongFamilyAddr(kind: 'ipv4' | 'ipv6', text: string): boolean {
  const t = text.replace(/^\[|\]$/g, '').replace(/\/\d+$/, '');
  return kind === 'ipv4' ? parseIPv4(t) === undefined && parseIPv6(t) !== undefined : parseIPv6(t) === undefined && parseIPv4(t) !== undefined;
}
export const EAI_ADDRFAMILY = 'Could not resolve hostname: Address family for hostname not supported';

/** meta day: the day_type symbols (src/meta.c) */
export const DAYS: Record<string, number> = { Sunday: 0, Monday: 1, Tuesday: 2, Wednesday: 3, Thursday: 4, Friday: 5, Saturday: 6 };

/** meta hour "HH:MM[:SS]" (hour_type_parse): seconds of the day, or undefined ("wrong time format") */
export function parseHour(s: string): number | undefined {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  if (!m) return undefined;
  const h = Number(m[1]), mi = Number(m[2]), se = Number(m[3] ?? 0);
  if (h > 23 || mi > 59 || se > 59) return undefined;
  return h * 3600 + mi * 60 + se;
}

/** meta time "YYYY-MM-DD HH:MM[:SS]" or seconds since the epoch (date_type_parse) */
export function validDate(s: string): boolean {
  if (/^\d+$/.test(s)) return true;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(s);
  return !!m && Number(m[2]) >= 1 && Number(m[2]) <= 12 && Number(m[3]) >= 1 && Number(m[3]) <= 31 && Number(m[4] ?? 0) < 24 && Number(m[5] ?? 0) < 60 && Number(m[6] ?? 0) < 60;
}

/** ct event set: the ct_event symbols (src/ct.c) */
export const CT_EVENTS = new Set(['new', 'related', 'destroy', 'reply', 'assured', 'protoinfo', 'helper', 'mark', 'seqadjust', 'secmark', 'label']);

/** ct keys that take a direction (ct_key_dir and ct_key_dir_optional in src/parser_bison.y) */
export const CT_DIR_KEYS = new Set(['saddr', 'daddr', 'l3proto', 'protocol', 'proto-src', 'proto-dst', 'bytes', 'packets', 'avgpkt', 'zone']);

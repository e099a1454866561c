// Evaluators of the xtables matches that nft's comparisons cannot express, each after its kernel
// function (net/netfilter/xt_*.c, net/ipv6/netfilter/ip6t_*.c), cited by name. Each factory
// returns `mk(cx, rule)` for an IR `xt` expression: the per-rule state (counters, buckets, lists)
// lives in the closure it builds; tables shared by name across rules (recent, hashlimit) live per
// compiled rule set. Time is the capture's (p.now); the kernel counts jiffies, the model seconds.

import type { CompileCtx } from './compile.js';
import type { IrRule, SetDef } from './ir.js';
import { V_DROP } from './compile.js';
import type { Pkt } from './pkt.js';
import { NFPROTO_IPV4, NFPROTO_IPV6 } from './hook.js';
import { RTN_TYPE, RulesetError } from './ir.js';
import type { XtExt } from './xt_parse.js';
import { xtRangeLoose, xtUint } from './xt_parse.js';
import { IP6_HDR_NAMES, parseRate } from './xt_spec.js';
import { ctStateBit, CT_STATE_BIT_INVALID, CT_STATE_BIT_UNTRACKED, IP_CT_UNTRACKED, IP_CT_IS_REPLY, TW, CL, type NfConn } from './nf_conntrack.js';

type Mk = (cx: CompileCtx, r: IrRule) => (p: Pkt) => boolean;
type PredP = (p: Pkt) => boolean;

const opt = (x: XtExt, k: string) => x.opts.get(k);
const val = (x: XtExt, k: string) => x.opts.get(k)?.v[0];

/** the rule's outcome depends on something not modelled: mark the frame and do not match */
function unsupportedHere(cx: CompileCtx, r: IrRule, what: string): (p: Pkt) => false {
  cx.report(r.src, what);
  const s = `${r.src.file}:${r.src.line}: ${what}`;
  return (p) => { (p.unsupported ??= []).push(s); return false; };
}

export const constant = (v: boolean): Mk => () => () => v;

/** par->hotdrop: the match cannot read what it needs; nft_compat turns that into NF_DROP for the
 *  rule (the walk reads p.fwdVerdict even when the rule did not match) */
function hotdrop(p: Pkt): false {
  p.fwdVerdict = V_DROP;
  return false;
}

const u32at = (d: Uint8Array, o: number) => ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
const u16at = (d: Uint8Array, o: number) => (d[o]! << 8) | d[o + 1]!;

/** skb->len at the IP hooks: from the network header to the end */
const ipLen = (p: Pkt) => p.end - p.nh;

// ---------------- generic ----------------

/** xt_tcpudp.c tcp_find_option */
export function tcpOption(option: number, invert: boolean): Mk {
  return () => (p) => {
    if (p.l4proto !== 6 || p.th < 0) return false;
    // tcp_mt: a fragment never matches; an IPv4 one at offset 1 (8 bytes) is dropped
    if (p.fragoff !== 0) return p.nfproto === NFPROTO_IPV4 && p.fragoff === 8 ? hotdrop(p) : false;
    // skb_header_pointer of the header, then of the options: what is missing is dropped
    if (p.th + 20 > p.end) return hotdrop(p);
    const d = p.d, th = p.th;
    const doff = (d[th + 12]! >> 4) * 4;
    if (doff < 20) return hotdrop(p);
    const optlen = doff - 20;
    if (optlen === 0) return invert;
    if (th + doff > p.end) return hotdrop(p);
    for (let i = 0; i < optlen;) {
      const k = d[th + 20 + i]!;
      if (k === option) return !invert;
      i += k < 2 ? 1 : d[th + 21 + i]! || 1;
    }
    return invert;
  };
}

/** ip_tables.c icmp_match (ip6_tables.c icmp6_match) with `!`: (type == t && code in [lo, hi]) ^ invert, no match on fragments */
export function icmpNotType(type: number, lo: number, hi: number): Mk {
  return () => (p) => {
    if (p.th < 0 || p.fragoff !== 0 || (p.l4proto !== 1 && p.l4proto !== 58)) return false;
    // icmp_match / icmp6_match: the 8-byte header is read with skb_header_pointer, else hotdrop
    if (p.th + 8 > p.end) return hotdrop(p);
    const t = p.d[p.th]!, c = p.d[p.th + 1]!;
    return !(type === 0xff || (t === type && c >= lo && c <= hi));
  };
}

/** xt_multiport.c ports_match_v1 with --ports: the source or the destination port in the list */
export function multiportEither(ranges: [number, number][], invert: boolean): Mk {
  return () => (p) => {
    if (p.th < 0 || p.fragoff !== 0) return false;
    if (p.th + 4 > p.end) return hotdrop(p); // multiport_mt: "Dropping evil offset=0 tinygram"
    const s = u16at(p.d, p.th), dp = u16at(p.d, p.th + 2);
    for (const [a, b] of ranges) if ((s >= a && s <= b) || (dp >= a && dp <= b)) return !invert;
    return invert;
  };
}

/** xt_length.c length_mt / length_mt6: IPv4 tot_len, IPv6 payload_len + 40 */
export function length(lo: number, hi: number, invert: boolean): Mk {
  return () => (p) => {
    if (p.nh < 0) return false;
    const n = p.nfproto === NFPROTO_IPV4 ? u16at(p.d, p.nh + 2) : p.nfproto === NFPROTO_IPV6 ? u16at(p.d, p.nh + 4) + 40 : -1;
    if (n < 0) return false;
    return (n >= lo && n <= hi) !== invert;
  };
}

/** the DS field (IPv4 tos, IPv6 traffic class: ipv6_get_dsfield) */
export function dsfield(p: Pkt): number {
  if (p.nfproto === NFPROTO_IPV4) return p.d[p.nh + 1]!;
  return (u16at(p.d, p.nh) >> 4) & 0xff;
}

/** xt_dscp.c tos_mt (and dscp_mt: mask 0xfc, value dscp << 2): ((ds & mask) == value) ^ invert */
export function tos(value: number, mask: number, invert: boolean): Mk {
  return () => (p) => {
    if (p.nh < 0 || (p.nfproto !== NFPROTO_IPV4 && p.nfproto !== NFPROTO_IPV6)) return false;
    return ((dsfield(p) & mask) === value) !== invert;
  };
}

/** xt_ecn.c ecn_mt4 / ecn_mt6: IP ECT codepoint, TCP ECE/CWR bits, each with its own `!` */
export function ecn(x: XtExt): Mk {
  const ect = opt(x, 'ecn-ip-ect'), ece = opt(x, 'ecn-tcp-ece'), cwr = opt(x, 'ecn-tcp-cwr');
  return () => (p) => {
    if (p.nh < 0) return false;
    if (ect && ((dsfield(p) & 3) === Number(ect.v[0])) === ect.neg) return false;
    if (ece || cwr) {
      if (p.th < 0 || p.th + 20 > p.end) return false; // match_tcp: the whole struct tcphdr
      const f = p.d[p.th + 13]!;
      if (ece && ((f & 0x40) !== 0) === ece.neg) return false;
      if (cwr && ((f & 0x80) !== 0) === cwr.neg) return false;
    }
    return true;
  };
}

/** xt_mac.c mac_mt: an Ethernet device and a MAC header before the data, source == addr, ^ invert */
export function mac(addr: string, invert: boolean): Mk {
  return () => (p) => {
    const dev = p.in;
    if (!dev || dev.kind === 'loopback' || dev.kind === 'tun' || dev.kind === 'wireguard' || p.ll < 0 || p.ll + 14 > p.nh) return false;
    for (let i = 0; i < 6; i++) if (p.d[p.ll + 6 + i] !== addr.charCodeAt(i)) return invert;
    return !invert;
  };
}

/** xt_tcpmss.c tcpmss_mt: the MSS option's value in [lo, hi] ^ invert; no option: invert */
export function tcpmss(lo: number, hi: number, invert: boolean): Mk {
  return () => (p) => {
    if (p.th < 0) return false;
    // tcpmss_mt: the header and then the options are read with skb_header_pointer; a short
    // header, th->doff * 4 < sizeof(*th) or options past the end go to dropit (hotdrop)
    if (p.th + 20 > p.end) return hotdrop(p);
    const d = p.d, th = p.th;
    const doff = (d[th + 12]! >> 4) * 4;
    if (doff < 20 || th + doff > p.end) return hotdrop(p);
    const optlen = doff - 20;
    for (let i = 0; i < optlen;) {
      const o = th + 20 + i;
      if (d[o] === 2 && optlen - i >= 4 && d[o + 1] === 4) {
        const mss = u16at(d, o + 2);
        return (mss >= lo && mss <= hi) !== invert;
      }
      i += d[o]! < 2 ? 1 : d[o + 1]! || 1;
    }
    return invert;
  };
}

/** xt_quota.c quota_mt: a byte budget per rule; a packet larger than what is left empties it */
export function quota(bytes: bigint, invert: boolean): Mk {
  return () => {
    let left = bytes;
    return (p) => {
      const len = BigInt(ipLen(p));
      if (left >= len) { left -= len; return !invert; }
      left = 0n;
      return invert;
    };
  };
}

/** xt_statistic.c statistic_mt, --mode nth: count starts at every-1-packet, the packet that brings it back to 0 matches */
export function statisticNth(every: number, packet: number, invert: boolean): Mk {
  return () => {
    const e = every - 1;
    let count = e - packet;
    return () => {
      count = count === e ? 0 : count + 1;
      return (count === 0) !== invert;
    };
  };
}

// ---------------- conntrack / state ----------------

export interface CtMatch {
  state?: number; stateNeg?: boolean;
  status?: number; statusNeg?: boolean;
  proto?: number; protoNeg?: boolean;
  addrs?: { dir: 0 | 1; field: 'src' | 'dst'; range: [number | string, number | string]; neg: boolean }[];
  ports?: { dir: 0 | 1; field: 'sport' | 'dport'; range: [number, number]; neg: boolean }[];
  dir?: 0 | 1;
  expire?: [number, number]; expireNeg?: boolean;
}

const IPS_SRC_NAT = 16, IPS_DST_NAT = 32;

/** xt_conntrack.c conntrack_mt (and xt_state.c state_mt: a state mask alone) */
export function conntrack(c: CtMatch): Mk {
  return () => (p) => {
    const ct = p.ct as NfConn | null;
    let statebit = ct ? ctStateBit(p.ctinfo) : p.ctinfo === IP_CT_UNTRACKED ? CT_STATE_BIT_UNTRACKED : CT_STATE_BIT_INVALID;
    if (c.state !== undefined) {
      if (ct) {
        if (ct.status & IPS_SRC_NAT) statebit |= 0x100; // XT_CONNTRACK_STATE_SNAT
        if (ct.status & IPS_DST_NAT) statebit |= 0x200; // XT_CONNTRACK_STATE_DNAT
      }
      if (((c.state & statebit) !== 0) === !!c.stateNeg) return false;
    }
    // conntrack_mt: `if (ct == NULL) return info->match_flags & XT_CONNTRACK_STATE;` (the other
    // criteria are not looked at: --ctstate UNTRACKED --ctproto tcp matches an untracked UDP packet)
    if (!ct) return c.state !== undefined;
    if (c.dir !== undefined && (p.ctinfo >= IP_CT_IS_REPLY ? 1 : 0) !== c.dir) return false;
    if (c.addrs) for (const a of c.addrs) {
      const v = ct.tuple[a.dir][a.field];
      if ((v >= a.range[0] && v <= a.range[1]) === a.neg) return false;
    }
    if (c.proto !== undefined && (ct.tuple[0].proto === c.proto) === !!c.protoNeg) return false;
    if (c.ports) for (const q of c.ports) {
      // ct_proto_port_check: the protocol must be set... the kernel compares the tuple's port
      const v = ct.tuple[q.dir][q.field];
      if ((v >= q.range[0] && v <= q.range[1]) === q.neg) return false;
    }
    if (c.status !== undefined && ((c.status & ct.status) !== 0) === !!c.statusNeg) return false;
    if (c.expire) {
      const left = Math.max(0, Math.floor(ct.timeout - p.now));
      if ((left >= c.expire[0] && left <= c.expire[1]) === !!c.expireNeg) return false;
    }
    return true;
  };
}

// ---------------- addrtype ----------------

/**
 * xt_addrtype.c addrtype_mt_v1. IPv4: inet_dev_addr_type on the local table the kernel builds from
 * the addresses (fib_add_ifaddr: LOCAL for each address and the loopback prefix, BROADCAST for the
 * `brd` address and, for a primary address with prefix < 31, the subnet-directed broadcast),
 * 0.0.0.0/8 and 255.255.255.255 BROADCAST, 224/4 MULTICAST, else UNICAST; with
 * --limit-iface-in/out an entry of another device leaves UNICAST. IPv6: match_type6.
 */
export function addrtype(x: XtExt, v6: boolean): Mk {
  const mask = (k: string) => { const s = val(x, k); return s === undefined ? 0 : s.split(',').reduce((a, t) => a | (1 << RTN_TYPE[t.toLowerCase()]!), 0); };
  const src = mask('src-type'), dst = mask('dst-type');
  const srcInv = !!opt(x, 'src-type')?.neg, dstInv = !!opt(x, 'dst-type')?.neg;
  const limIn = x.opts.has('limit-iface-in'), limOut = x.opts.has('limit-iface-out');
  return (cx, r) => {
    // local table: address -> [type, device]
    const local4 = new Map<number, [number, string]>();
    const local6 = new Map<string, string>();
    const loopPrefixes: [number, number, string][] = [];
    for (const dev of cx.host.devices) {
      const prim: [number, number][] = [];
      for (const a of dev.addrs) {
        if (a.family === 6) { local6.set(String.fromCharCode(...(a.local as Uint8Array)), dev.name); continue; }
        const addr = a.local as number;
        const m = a.prefixlen === 0 ? 0 : (0xffffffff << (32 - a.prefixlen)) >>> 0;
        const prefix = (addr & m) >>> 0;
        local4.set(addr, [2, dev.name]);
        const isLo = dev.kind === 'loopback' || dev.flags.has('LOOPBACK');
        if (a.broadcast !== undefined && a.broadcast !== 0xffffffff && !local4.has(a.broadcast)) local4.set(a.broadcast, [3, dev.name]);
        const secondary = prim.some(([pp, pl]) => pl === a.prefixlen && pp === prefix);
        if (!secondary) prim.push([prefix, a.prefixlen]);
        if (isLo && a.prefixlen < 32) { loopPrefixes.push([prefix, m, dev.name]); }
        if (!secondary && prefix >>> 24 !== 0 && (prefix !== addr || a.prefixlen < 32) && a.prefixlen < 31) {
          const b = (prefix | ~m) >>> 0;
          if (!local4.has(b)) local4.set(b, [3, dev.name]);
        }
      }
    }
    const typeOf4 = (a: number, dev: string | null): number => {
      if (a >>> 24 === 0 || a === 0xffffffff) return 3;
      if (a >>> 28 === 14) return 5;
      const e = local4.get(a);
      if (e) return !dev || dev === e[1] ? e[0] : 1;
      for (const [pfx, m, dn] of loopPrefixes) if (((a & m) >>> 0) === pfx) return !dev || dev === dn ? 2 : 1;
      return 1;
    };
    const needsRoute6 = ((src | dst) & ((1 << 4) | (1 << 6) | (1 << 7))) !== 0; // ANYCAST, BLACKHOLE, UNREACHABLE
    if (v6 && needsRoute6) return unsupportedHere(cx, r, `-m addrtype ${[...x.opts.keys()].map((k) => `--${k} ${val(x, k) ?? ''}`).join(' ')} (IPv6 route types)`);
    const match6 = (a: string, dev: string | null, m: number): boolean => {
      const any = a === '\0'.repeat(16);
      const multicast = a.charCodeAt(0) === 0xff;
      if (m & (1 << 5) && !multicast) return false;
      if (m & (1 << 1) && (multicast || any)) return false;
      if (m & 1 && !any) return false;
      if (m & (1 << 2)) {
        // match_lookup_rt6: with a device, ipv6_chk_addr(addr, dev, strict) (an address of that
        // device); without one, the route's RTF_LOCAL (an address of any device, ::1)
        return dev ? local6.get(a) === dev : local6.has(a) || a === '\0'.repeat(15) + '\x01';
      }
      return true;
    };
    return (p) => {
      if (p.nh < 0) return false;
      const dev = limIn ? p.in?.name ?? null : limOut ? p.out?.name ?? null : null;
      if (p.nfproto === NFPROTO_IPV4) {
        if (src && ((src & (1 << typeOf4(u32at(p.d, p.nh + 12), dev))) !== 0) === srcInv) return false;
        if (dst && ((dst & (1 << typeOf4(u32at(p.d, p.nh + 16), dev))) !== 0) === dstInv) return false;
        return true;
      }
      if (p.nfproto === NFPROTO_IPV6) {
        const rd = (o: number) => { let s = ''; for (let i = 0; i < 16; i++) s += String.fromCharCode(p.d[o + i]!); return s; };
        if (src && match6(rd(p.nh + 8), dev, src) === srcInv) return false;
        if (dst && match6(rd(p.nh + 24), dev, dst) === dstInv) return false;
        return true;
      }
      return false;
    };
  };
}

// ---------------- IPv6 extension headers ----------------

const isExt6 = (h: number) => h === 0 || h === 43 || h === 44 || h === 51 || h === 59 || h === 60;

/**
 * ipv6_find_hdr(skb, &off, target, NULL, NULL): offset of the first header `target`; -1 when it
 * is absent (-ENOENT: the chain ends, or a later fragment hides the rest), -2 when a header on the
 * way cannot be read (-EBADMSG: its first two bytes, a fragment header's first four). The rt, frag,
 * hbh/dst and ah matches hotdrop on -EBADMSG and on a found header too short for their struct.
 */
export function findHdr6(p: Pkt, target: number): number {
  if (p.nfproto !== NFPROTO_IPV6 || p.nh < 0 || p.nh + 40 > p.end) return -1;
  const d = p.d;
  let nexthdr = d[p.nh + 6]!, off = p.nh + 40;
  // each header moves `off` on by at least 8 bytes, so the walk ends at the packet's end: a
  // 64 KiB packet holds fewer than 8192 headers
  for (let n = 0; n < 8192; n++) {
    const found = nexthdr === target;
    if (!isExt6(nexthdr) || nexthdr === 59) return found ? off : -1;
    if (off + 2 > p.end) return -2;
    let hdrlen: number;
    if (nexthdr === 44) {
      if (off + 4 > p.end) return -2;
      // a later fragment: what follows its fragment header is not a header
      if ((u16at(d, off + 2) & 0xfff8) !== 0) return found ? off : -1;
      hdrlen = 8;
    } else hdrlen = nexthdr === 51 ? (d[off + 1]! + 2) * 4 : (d[off + 1]! + 1) * 8;
    if (found) return off;
    nexthdr = d[off]!;
    off += hdrlen;
  }
  return -2;
}

/** the header of `-m xt` found and `size` bytes of it readable, or the kernel's answer when not */
function extAt(p: Pkt, target: number, size: number): number {
  const o = findHdr6(p, target);
  if (o === -1) return -1;
  if (o < 0 || o + size > p.end) { hotdrop(p); return -1; }
  return o;
}

/** ip6t_ah.c ah_mt6 without options: an AH header (struct ip_auth_hdr, 12 bytes) is there */
export function exthdr6(h: number): Mk {
  return () => (p) => extAt(p, h, 12) >= 0;
}

/** ip6t_rt.c rt_mt6: routing header's segments left in range, length, type, reserved field (type 0) */
export function rt(x: XtExt): Mk {
  const sl = opt(x, 'rt-segsleft'), len = opt(x, 'rt-len'), type = opt(x, 'rt-type');
  const [slLo, slHi] = sl ? xtRangeLoose(sl.v[0]!, 0xffffffff)! : [0, 0xffffffff];
  const res = x.opts.has('rt-0-res');
  return (cx, r) => {
    if (x.opts.has('rt-0-addrs')) return unsupportedHere(cx, r, `-m rt --rt-0-addrs ${val(x, 'rt-0-addrs')}`);
    return (p) => {
      const o = extAt(p, 43, 4); // struct ipv6_rt_hdr
      if (o < 0) return false;
      const hdrlen = (p.d[o + 1]! + 1) * 8;
      if (p.end - o < hdrlen) return false;
      const segs = p.d[o + 3]!;
      if ((segs >= slLo && segs <= slHi) === !!sl?.neg) return false;
      if (len && (Number(len.v[0]) === hdrlen) === len.neg) return false;
      if (type && (Number(type.v[0]) === p.d[o + 2]) === type.neg) return false;
      if (res && (o + 8 > p.end || u32at(p.d, o + 4) !== 0)) return false;
      return true;
    };
  };
}

/** ip6t_frag.c frag_mt6: fragment header's identification in range, reserved bits, first/more/last */
export function frag(x: XtExt): Mk {
  const id = opt(x, 'fragid');
  const [lo, hi] = id ? xtRangeLoose(id.v[0]!, 0xffffffff)! : [0, 0xffffffff];
  const res = x.opts.has('fragres'), first = x.opts.has('fragfirst'), more = x.opts.has('fragmore'), last = x.opts.has('fraglast');
  // --fraglen sets IP6T_FRAG_LEN, which frag_mt6 never reads (the fragment header has no length)
  return () => (p) => {
    // the fragment header itself is found even in a later fragment
    const o = extAt(p, 44, 8); // struct frag_hdr
    if (o < 0) return false;
    const ident = u32at(p.d, o + 4), fo = u16at(p.d, o + 2);
    if ((ident >= lo && ident <= hi) === !!id?.neg) return false;
    if (res && (p.d[o + 1] !== 0 || (fo & 0x6) !== 0)) return false;
    if (first && (fo & ~0x7) !== 0) return false;
    if (more && !(fo & 1)) return false;
    if (last && (fo & 1)) return false;
    return true;
  };
}

/** ip6t_hbh.c hbh_mt6 (hbh and dst): header length and, strictly in order, the options type[:len] */
export function opts6(x: XtExt): Mk {
  const isHbh = x.name === 'hbh';
  const len = opt(x, isHbh ? 'hbh-len' : 'dst-len');
  const list = val(x, isHbh ? 'hbh-opts' : 'dst-opts')?.split(',').map((s) => {
    const [t, l] = s.split(':');
    return [Number(t), l === undefined ? 0xff : Number(l)] as [number, number];
  });
  return () => (p) => {
    let o = extAt(p, isHbh ? 0 : 60, 2); // struct ipv6_opt_hdr
    if (o < 0) return false;
    let hdrlen = (p.d[o + 1]! + 1) * 8;
    if (p.end - o < hdrlen) return false;
    if (len && (Number(len.v[0]) === hdrlen) === len.neg) return false;
    if (!list) return true;
    o += 2; hdrlen -= 2;
    let i = 0;
    for (; i < list.length; i++) {
      if (hdrlen < 1 || o >= p.end) break;
      const t = p.d[o]!;
      if (t !== list[i]![0]) return false;
      let optlen: number;
      if (t) {
        if (hdrlen < 2 || o + 1 >= p.end) break;
        const l = p.d[o + 1]!;
        if (list[i]![1] !== 0xff && list[i]![1] !== l) return false;
        optlen = l + 2;
      } else optlen = 1;
      if ((o > p.end - optlen || hdrlen < optlen) && i < list.length - 1) break;
      o += optlen; hdrlen -= optlen;
    }
    return i === list.length;
  };
}

/** ip6t_ipv6header.c ipv6header_mt6: the set of headers present (MASK_*), exactly or (--soft) at least */
export function ipv6header(x: XtExt): Mk {
  const o = opt(x, 'header')!;
  const match = o.v[0]!.split(',').reduce((a, h) => a | (IP6_HDR_NAMES[h.toLowerCase()] ?? xtUint(h, 255) ?? 0), 0);
  const inv = o.neg ? 0xff : 0;
  const soft = x.opts.has('soft');
  return () => (p) => {
    if (p.nfproto !== NFPROTO_IPV6 || p.nh < 0 || p.nh + 40 > p.end) return false;
    const d = p.d;
    let nexthdr = d[p.nh + 6]!, ptr = p.nh + 40, len = p.end - ptr, temp = 0;
    // ip6t_ext_hdr: ipv6_ext_hdr's headers and ESP; NONE ends the walk before the length check
    while (isExt6(nexthdr) || nexthdr === 50) {
      if (nexthdr === 59) { temp |= 2; break; }
      if (len < 2) return false;
      if (nexthdr === 50) { temp |= 4; break; }
      const hdrlen = nexthdr === 44 ? 8 : nexthdr === 51 ? (d[ptr + 1]! + 2) * 4 : (d[ptr + 1]! + 1) * 8;
      temp |= nexthdr === 0 ? 128 : nexthdr === 43 ? 32 : nexthdr === 44 ? 16 : nexthdr === 51 ? 8 : 64;
      nexthdr = d[ptr]!;
      len -= hdrlen;
      ptr += hdrlen;
      if (ptr > p.end) break;
    }
    if (nexthdr !== 59 && nexthdr !== 50) temp |= 1;
    if (soft) return !((temp ^ match ^ inv) & match);
    return inv ? temp !== match : temp === match;
  };
}

// ---------------- state across packets ----------------

const shared = new WeakMap<CompileCtx, Map<string, unknown>>();
function sharedTable<T>(cx: CompileCtx, key: string, make: () => T): T {
  let m = shared.get(cx);
  if (!m) shared.set(cx, (m = new Map()));
  let t = m.get(key) as T | undefined;
  if (t === undefined) m.set(key, (t = make()));
  return t;
}

/** the (masked) address as a map key: a number for IPv4 (no allocation per packet), a string for IPv6 */
function addrKey(p: Pkt, src: boolean, maskBits: number): number | string | null {
  if (p.nh < 0) return null;
  const d = p.d;
  if (p.nfproto === NFPROTO_IPV4) {
    const a = u32at(d, p.nh + (src ? 12 : 16));
    const m = maskBits === 0 ? 0 : (0xffffffff << (32 - maskBits)) >>> 0;
    return (a & m) >>> 0;
  }
  if (p.nfproto === NFPROTO_IPV6) {
    let s = '6:';
    const o = p.nh + (src ? 8 : 24);
    for (let i = 0; i < 16; i++) {
      const keep = Math.max(0, Math.min(8, maskBits - i * 8));
      s += String.fromCharCode(d[o + i]! & (keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff));
    }
    return s;
  }
  return null;
}

interface RecentEntry { stamps: number[]; ttl: number }
const IP_LIST_TOT = 100, IP_PKT_LIST_TOT = 20;

/**
 * xt_recent.c recent_mt: per-name lists (shared by every rule naming them, at most ip_list_tot = 100
 * addresses, least recently updated first out) of the times each address was seen. --set adds or
 * refreshes, --rcheck/--update count the times within --seconds against --hitcount (--update also
 * refreshes when it matches), --remove deletes; --rttl also compares the TTL.
 */
export function recent(x: XtExt, v6: boolean): Mk {
  const name = val(x, 'name') ?? 'DEFAULT';
  const set = opt(x, 'set'), check = opt(x, 'rcheck'), update = opt(x, 'update'), remove = opt(x, 'remove');
  const invert = !!(set ?? check ?? update ?? remove)!.neg;
  const seconds = Number(val(x, 'seconds') ?? 0), hitcount = Number(val(x, 'hitcount') ?? 0);
  const rdest = x.opts.has('rdest'), rttl = x.opts.has('rttl'), reap = x.opts.has('reap');
  const maskText = val(x, 'mask');
  let maskBits = v6 ? 128 : 32;
  if (maskText) maskBits = v6 ? maskText.split(':').reduce((a, g) => a + (g === '' ? 0 : [...parseInt(g, 16).toString(2)].filter((c) => c === '1').length), 0) : [...((Number(maskText.split('.').reduce((a, o) => a * 256 + Number(o), 0)) >>> 0).toString(2))].filter((c) => c === '1').length;
  const nstamps = Math.max(hitcount, IP_PKT_LIST_TOT);
  return (cx) => {
    const table = sharedTable(cx, `recent:${name}`, () => new Map<number | string, RecentEntry>());
    return (p) => {
      let ret = invert;
      const key = addrKey(p, !rdest, maskBits);
      if (key === null) return ret;
      let ttl = p.nfproto === NFPROTO_IPV4 ? p.d[p.nh + 8]! : p.d[p.nh + 7]!;
      // "use TTL as seen before forwarding"
      if (p.out && p.in) ttl++; // forwarded: no socket
      ttl &= 0xff;
      const now = p.now;
      let e = table.get(key);
      if (e && rttl && e.ttl !== ttl) e = undefined;
      if (!e) {
        if (!set) return ret;
        if (table.size >= IP_LIST_TOT) table.delete(table.keys().next().value!);
        table.set(key, { stamps: [now], ttl });
        return !ret;
      }
      if (set) ret = !ret;
      else if (remove) { table.delete(key); return !ret; }
      else {
        const since = now - seconds;
        let hits = 0;
        for (const s of e.stamps) {
          if (seconds && since > s) continue;
          if (!hitcount || ++hits >= hitcount) { ret = !ret; break; }
        }
        if (reap && seconds) e.stamps = e.stamps.filter((s) => !(since > s));
      }
      if (set || (update && ret !== invert)) {
        e.stamps.push(now);
        if (e.stamps.length > nstamps) e.stamps.shift();
        e.ttl = ttl;
        // recent_entry_update: list_move_tail on the LRU list
        table.delete(key);
        table.set(key, e);
      }
      return ret;
    };
  };
}

/**
 * xt_hashlimit.c hashlimit_mt (revision 2): per-name tables of token buckets keyed by the --hashlimit-mode
 * fields (masked by --hashlimit-srcmask/dstmask); a new bucket starts full (burst), refills at
 * the rate, each packet costs one token; --hashlimit-upto matches while tokens last, -above when
 * they do not. Entries unused for --hashlimit-htable-expire ms (default 10 s) start anew.
 */
export function hashlimit(x: XtExt, v6: boolean): Mk {
  const above = x.opts.has('hashlimit-above');
  const rateText = (val(x, 'hashlimit-upto') ?? val(x, 'hashlimit-above') ?? val(x, 'hashlimit'))!;
  const rate = parseRate(rateText)!;
  const burst = Number(val(x, 'hashlimit-burst') ?? 5);
  const mode = (val(x, 'hashlimit-mode') ?? '').split(',').filter(Boolean);
  const srcmask = Number(val(x, 'hashlimit-srcmask') ?? (v6 ? 128 : 32)), dstmask = Number(val(x, 'hashlimit-dstmask') ?? (v6 ? 128 : 32));
  const expire = Number(val(x, 'hashlimit-htable-expire') ?? 10000) / 1000;
  const name = val(x, 'hashlimit-name')!;
  const cost = rate.perSec / rate.n; // seconds of credit per packet
  const cap = cost * burst;
  return (cx, r) => {
    if (rate.bytes || x.opts.has('hashlimit-rate-match')) return unsupportedHere(cx, r, `-m hashlimit ${rate.bytes ? `${rateText} (byte rates)` : '--hashlimit-rate-match'}`);
    if (/^\d+[bkm]/.test(val(x, 'hashlimit-burst') ?? '')) return unsupportedHere(cx, r, `-m hashlimit --hashlimit-burst ${val(x, 'hashlimit-burst')} (bytes)`);
    const table = sharedTable(cx, `hashlimit:${v6 ? 6 : 4}:${name}`, () => new Map<string, { credit: number; prev: number; expires: number }>());
    return (p) => {
      let key = '';
      if (mode.includes('srcip')) key += addrKey(p, true, srcmask);
      if (mode.includes('dstip')) key += '|' + addrKey(p, false, dstmask);
      if (mode.includes('srcport') || mode.includes('dstport')) {
        // hashlimit_init_dst: proto_ports_offset (TCP, UDP, DCCP, ESP, SCTP, UDPLITE at 0, AH at 4,
        // others no ports); IPv4 reads them even from a later fragment, IPv6 stops at its fragment
        // header (ipv6_skip_exthdr); ports it cannot read are a hotdrop
        const l4 = p.nfproto === NFPROTO_IPV6 && p.fragoff !== 0 ? 44 : p.l4proto;
        const poff = l4 === 6 || l4 === 17 || l4 === 33 || l4 === 50 || l4 === 132 || l4 === 136 ? 0 : l4 === 51 ? 4 : -1;
        if (poff >= 0 && (p.th < 0 || p.th + poff + 4 > p.end)) return hotdrop(p);
        if (mode.includes('srcport')) key += `|${poff >= 0 ? u16at(p.d, p.th + poff) : 0}`;
        if (mode.includes('dstport')) key += `|${poff >= 0 ? u16at(p.d, p.th + poff + 2) : 0}`;
      }
      const now = p.now;
      let e = table.get(key);
      if (e && now >= e.expires) { table.delete(key); e = undefined; }
      if (!e) { e = { credit: cap, prev: now, expires: now + expire }; table.set(key, e); }
      else {
        e.expires = now + expire;
        e.credit = Math.min(cap, e.credit + (now - e.prev));
        e.prev = now;
      }
      // a tiny tolerance for the float sums of refills (the kernel counts integer credits)
      if (e.credit >= cost - 1e-12) { e.credit -= cost; return !above; }
      return above;
    };
  };
}

/**
 * xt_connlimit.c connlimit_mt with nf_conncount: the connections this rule has seen from the same
 * (masked) source or destination address that still exist (not expired, TCP not in TIME_WAIT or
 * CLOSE), the packet's own included; matches when that count is above the limit, ^ invert
 * (--connlimit-upto is the inverse of --connlimit-above).
 */
export function connlimit(x: XtExt, v6: boolean): Mk {
  const upto = opt(x, 'connlimit-upto'), above = opt(x, 'connlimit-above');
  const limit = Number((upto ?? above)!.v[0]);
  const invert = upto ? !upto.neg : !!above!.neg;
  const maskBits = Number(val(x, 'connlimit-mask') ?? (v6 ? 128 : 32));
  const byDst = x.opts.has('connlimit-daddr');
  return () => {
    const lists = new Map<number | string, Set<NfConn>>();
    return (p) => {
      const key = addrKey(p, !byDst, maskBits);
      if (key === null) return false;
      let l = lists.get(key);
      if (!l) lists.set(key, (l = new Set()));
      for (const c of l) if (c.timeout <= p.now || (c.tuple[0].proto === 6 && (c.tcpState === TW || c.tcpState === CL))) l.delete(c);
      const ct = p.ct as NfConn | null;
      let n = l.size;
      if (ct) { l.add(ct); n = l.size; } else n++;
      return (n > limit) !== invert;
    };
  };
}

// ---------------- ipset ----------------

/**
 * `-m set --match-set NAME src|dst` on a set keyed by port alone (bitmap:port): ip_set_get_ip_port
 * gives the TCP or UDP port (not of a later fragment); any other packet fails the test (kadt
 * -EINVAL: no match, so `!` matches it).
 */
export function setPort(def: SetDef, src: boolean, invert: boolean): Mk {
  const ports = new Uint8Array(65536);
  for (const e of def.elems) {
    const [lo, hi] = Array.isArray(e.key) ? e.key as [number, number] : [e.key as number, e.key as number];
    ports.fill(1, lo, hi + 1);
  }
  return () => (p) => {
    if ((p.l4proto !== 6 && p.l4proto !== 17) || p.fragoff !== 0 || p.th < 0 || p.th + 4 > p.end) return invert;
    return (ports[u16at(p.d, src ? p.th : p.th + 2)] === 1) !== invert;
  };
}

// ---------------- time ----------------

const DAY = 86400;

function parseDate(s: string): number {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2}))?)?)?)?)?$/.exec(s)!;
  return Date.UTC(Number(m[1]), Number(m[2] ?? 1) - 1, Number(m[3] ?? 1), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)) / 1000;
}

const dayTime = (s: string) => { const [h, m, sec] = s.split(':').map(Number); return h! * 3600 + m! * 60 + (sec ?? 0); };

/**
 * xt_time.c time_mt on the capture timestamp (in UTC: iptables' default; --kerneltz would use the
 * kernel's sys_tz, which the snapshot does not record). Date range, time of day (a range past
 * midnight wraps; --contiguous moves the weekday check to the day it started), weekdays, monthdays.
 */
export function time(x: XtExt): Mk {
  const dateStart = x.opts.has('datestart') ? parseDate(val(x, 'datestart')!) : 0;
  const dateStop = x.opts.has('datestop') ? parseDate(val(x, 'datestop')!) : 0x7fffffff;
  const dStart = x.opts.has('timestart') ? dayTime(val(x, 'timestart')!) : 0;
  const dStop = x.opts.has('timestop') ? dayTime(val(x, 'timestop')!) : DAY - 1;
  const names = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  let weekdays = 0xfe;
  const wd = opt(x, 'weekdays') ?? opt(x, 'days');
  if (wd) {
    weekdays = wd.v[0]!.split(',').reduce((a, d) => a | (1 << (/^[1-7]$/.test(d) ? Number(d) : names.indexOf(d.toLowerCase().slice(0, 3)) + 1)), 0);
    if (wd.neg) weekdays ^= 0xfe;
  }
  let monthdays = 0xfffffffe;
  const md = opt(x, 'monthdays');
  if (md) {
    monthdays = md.v[0]!.split(',').reduce((a, d) => (a | (2 ** Number(d))) >>> 0, 0) >>> 0;
    if (md.neg) monthdays = (monthdays ^ 0xfffffffe) >>> 0;
  }
  const contiguous = x.opts.has('contiguous');
  return () => (p) => {
    let stamp = Math.floor(p.now);
    if (stamp < dateStart || stamp > dateStop) return false;
    const t = ((stamp % DAY) + DAY) % DAY;
    if (dStart < dStop) {
      if (t < dStart || t > dStop) return false;
    } else {
      if (t < dStart && t > dStop) return false;
      if (contiguous && t <= dStop) stamp -= DAY;
    }
    const dse = Math.floor(stamp / DAY);
    const weekday = ((4 + dse - 1) % 7 + 7) % 7 + 1; // localtime_2: 1970-01-01 was a Thursday (4), Monday 1
    if (!(weekdays & (1 << weekday))) return false;
    if (monthdays !== 0xfffffffe) {
      const day = new Date(stamp * 1000).getUTCDate();
      if (!((monthdays >>> day) & 1)) return false;
    }
    return true;
  };
}

// ---------------- payload ----------------

/** "|0a 0d|text" (libxt_string parse_hex_string): text with |hex| runs */
function hexString(s: string, err: (m: string) => never): Uint8Array {
  const out: number[] = [];
  let hex = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '|') { hex = !hex; continue; }
    if (hex) {
      if (c === ' ') continue;
      const h = s.slice(i, i + 2);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) err(`bad hex string '${s}'`);
      out.push(parseInt(h, 16));
      i++;
    } else if (c === '\\' && i + 1 < s.length) { out.push(s.charCodeAt(++i)); } else out.push(s.charCodeAt(i) & 0xff);
  }
  if (hex) err(`unterminated | in hex string '${s}'`);
  return Uint8Array.from(out);
}

/**
 * xt_string.c string_mt: skb_find_text from --from to --to (default 0..65535) of skb->data (the
 * network header at the IP hooks): the pattern must lie wholly before --to. bm and kmp find the
 * same first occurrence in a linear buffer.
 */
export function string(x: XtExt, err: (m: string) => never): Mk {
  const o = opt(x, 'string') ?? opt(x, 'hex-string')!;
  const pat = x.opts.has('string') ? Uint8Array.from(Buffer.from(o.v[0]!, 'latin1')) : hexString(o.v[0]!, err);
  const from = Number(val(x, 'from') ?? 0), to = Number(val(x, 'to') ?? 65535);
  const icase = x.opts.has('icase');
  const lower = (c: number) => (c >= 65 && c <= 90 ? c + 32 : c);
  const pl = icase ? pat.map(lower) : pat;
  return () => (p) => {
    if (p.nh < 0) return false;
    const base = p.nh;
    const endAt = Math.min(p.end, base + to);
    const d = p.d;
    let found = false;
    outer: for (let i = base + from; i + pl.length <= endAt; i++) {
      for (let j = 0; j < pl.length; j++) {
        const c = icase ? lower(d[i + j]!) : d[i + j]!;
        if (c !== pl[j]) continue outer;
      }
      found = true;
      break;
    }
    return found !== o.neg;
  };
}

interface U32Test { loc: { op: '&' | '<<' | '>>' | '@' | ''; n: number }[]; values: [number, number][] }

/** libxt_u32 u32_parse: tests joined by &&, each `location = ranges` */
export function parseU32(s: string, err: (m: string) => never): U32Test[] {
  const tests: U32Test[] = [];
  const num = (t: string): number => {
    const v = xtUint(t.trim(), 0xffffffff);
    if (v === null) err(`u32: bad number '${t.trim()}' in "${s}"`);
    return v!;
  };
  for (const part of s.split('&&')) {
    const eq = part.indexOf('=');
    if (eq < 0) err(`u32: missing '=' in "${part.trim()}"`);
    const locText = part.slice(0, eq).replace(/\s+/g, '');
    const loc: U32Test['loc'] = [];
    const re = /(<<|>>|&|@)?([^&<>@]+)/y;
    let m: RegExpExecArray | null;
    let pos = 0;
    while (pos < locText.length && (m = re.exec(locText))) {
      if (loc.length === 0 && m[1]) err(`u32: location starts with an operator in "${locText}"`);
      loc.push({ op: (m[1] ?? '') as U32Test['loc'][number]['op'], n: num(m[2]!) });
      pos = re.lastIndex;
    }
    if (pos !== locText.length || loc.length === 0 || loc.length > 10) err(`u32: bad location "${locText}"`);
    const values = part.slice(eq + 1).split(',').map((r): [number, number] => {
      const [a, b] = r.split(':');
      return [num(a!), b === undefined ? num(a!) : num(b)];
    });
    if (values.length > 10) err('u32: too many ranges');
    tests.push({ loc, values });
  }
  if (tests.length > 10) err('u32: too many tests');
  return tests;
}

/** xt_u32.c u32_match_it on skb->data = the network header, skb->len = its length */
export function u32(text: string, invert: boolean, err: (m: string) => never): Mk {
  const tests = parseU32(text, err);
  return () => (p) => {
    if (p.nh < 0) return false;
    const d = p.d, base = p.nh, len = p.end - p.nh;
    let ok = true;
    for (const t of tests) {
      let at = 0;
      let pos = t.loc[0]!.n;
      if (len < 4 || pos > len - 4) { ok = false; break; }
      let v = u32at(d, base + pos);
      let bad = false;
      for (let i = 1; i < t.loc.length; i++) {
        const { op, n } = t.loc[i]!;
        if (op === '&') v = (v & n) >>> 0;
        else if (op === '<<') v = n >= 32 ? 0 : (v << n) >>> 0;
        else if (op === '>>') v = n >= 32 ? 0 : v >>> n;
        else if (op === '@') {
          at += v;
          pos = n;
          if (at > 0xffffffff || len < at + 4 || pos > len - at - 4) { bad = true; break; }
          v = u32at(d, base + at + pos);
        }
      }
      if (bad || !t.values.some(([a, b]) => a <= v && v <= b)) { ok = false; break; }
    }
    return ok !== invert;
  };
}

void RulesetError;
export type { PredP };

// nft_exthdr: IPv6 extension header fields (ipv6_find_hdr) and TCP option fields (the option walk of
// nft_exthdr_tcp_eval), as nft's exthdr.c / tcpopt.c templates name them. Parse-time tables give
// (type, offset, len, mask); run-time finders give the field's offset in the packet or -1 (NFT_BREAK;
// `exists` reads that as 0).

import type { Pkt } from './pkt.js';

export interface ExthdrField { type: number; offset: number; len: number; mask?: number; shift?: number; kind: 'int' | 'ipv6' }

const f = (type: number, offset: number, len: number, mask?: number, shift?: number, kind: 'int' | 'ipv6' = 'int'): ExthdrField => ({ type, offset, len, mask, shift, kind });

/** IPv6 extension headers: keyword -> field -> template (nft src/exthdr.c) */
export const IPV6_EXTHDR: Record<string, { type: number; fields: Record<string, ExthdrField> }> = {
  hbh: { type: 0, fields: { nexthdr: f(0, 0, 1), hdrlength: f(0, 1, 1) } },
  rt: { type: 43, fields: { nexthdr: f(43, 0, 1), hdrlength: f(43, 1, 1), type: f(43, 2, 1), 'seg-left': f(43, 3, 1) } },
  rt0: { type: 43, fields: { reserved: f(43, 4, 4) } },
  rt2: { type: 43, fields: { reserved: f(43, 4, 4), addr: f(43, 8, 16, undefined, undefined, 'ipv6') } },
  srh: { type: 43, fields: { 'last-entry': f(43, 4, 1), flags: f(43, 5, 1), tag: f(43, 6, 2) } },
  frag: {
    type: 44,
    fields: {
      nexthdr: f(44, 0, 1), reserved: f(44, 1, 1), 'frag-off': f(44, 2, 2, 0xfff8, 3), reserved2: f(44, 3, 1, 0x06, 1), 'more-fragments': f(44, 3, 1, 0x01, 0), id: f(44, 4, 4),
    },
  },
  dst: { type: 60, fields: { nexthdr: f(60, 0, 1), hdrlength: f(60, 1, 1) } },
  mh: { type: 135, fields: { nexthdr: f(135, 0, 1), hdrlength: f(135, 1, 1), type: f(135, 2, 1), reserved: f(135, 3, 1), checksum: f(135, 4, 2) } },
};

/** rt0 addr[N] / srh sid[N]: 16-byte addresses from offset 8 */
export function indexedAddr(hdr: string, field: string): ExthdrField | undefined {
  const m = /^(addr|sid)\[(\d+)\]$/.exec(field);
  if (!m || (hdr === 'rt0' && m[1] !== 'addr') || (hdr === 'srh' && m[1] !== 'sid') || Number(m[2]) < 1) return undefined;
  return f(43, 8 + (Number(m[2]) - 1) * 16, 16, undefined, undefined, 'ipv6');
}

/** TCP options: name -> kind and fields (nft src/tcpopt.c) */
export const TCP_OPTIONS: Record<string, { kind: number; fields: Record<string, [number, number, number?, number?]> }> = {
  eol: { kind: 0, fields: { kind: [0, 1] } },
  nop: { kind: 1, fields: { kind: [0, 1] } },
  maxseg: { kind: 2, fields: { kind: [0, 1], length: [1, 1], size: [2, 2] } },
  window: { kind: 3, fields: { kind: [0, 1], length: [1, 1], count: [2, 1] } },
  'sack-perm': { kind: 4, fields: { kind: [0, 1], length: [1, 1] } },
  'sack-permitted': { kind: 4, fields: { kind: [0, 1], length: [1, 1] } },
  sack: { kind: 5, fields: { kind: [0, 1], length: [1, 1], left: [2, 4], right: [6, 4] } },
  sack0: { kind: 5, fields: { kind: [0, 1], length: [1, 1], left: [2, 4], right: [6, 4] } },
  sack1: { kind: 5, fields: { kind: [0, 1], length: [1, 1], left: [10, 4], right: [14, 4] } },
  sack2: { kind: 5, fields: { kind: [0, 1], length: [1, 1], left: [18, 4], right: [22, 4] } },
  sack3: { kind: 5, fields: { kind: [0, 1], length: [1, 1], left: [26, 4], right: [30, 4] } },
  timestamp: { kind: 8, fields: { kind: [0, 1], length: [1, 1], tsval: [2, 4], tsecr: [6, 4] } },
  md5sig: { kind: 19, fields: { kind: [0, 1], length: [1, 1] } },
  mptcp: { kind: 30, fields: { kind: [0, 1], length: [1, 1], subtype: [2, 1, 0xf0, 4] } },
  fastopen: { kind: 34, fields: { kind: [0, 1], length: [1, 1] } },
};

/** ipv6_find_hdr(skb, &offset, target, NULL, NULL): offset of the first `target` extension header, or -1 */
export function ipv6FindHdr(p: Pkt, target: number): number {
  if (p.nfproto !== 10 || p.nh < 0) return -1;
  const d = p.d, end = p.end;
  if (p.nh + 40 > end) return -1;
  let nexthdr = d[p.nh + 6]!;
  let off = p.nh + 40;
  for (let i = 0; i < 32; i++) {
    if (nexthdr === target) return off;
    // ipv6_ext_hdr(): hop-by-hop, routing, fragment, auth, none, destination options; mobility is a target only
    if (nexthdr !== 0 && nexthdr !== 43 && nexthdr !== 44 && nexthdr !== 51 && nexthdr !== 60) return -1;
    if (off + 8 > end) return -1;
    if (nexthdr === 44) {
      // a non-first fragment has no further headers to look at
      if ((((d[off + 2]! << 8) | d[off + 3]!) & 0xfff8) !== 0) return -1;
      nexthdr = d[off]!;
      off += 8;
    } else {
      const len = nexthdr === 51 ? (d[off + 1]! + 2) * 4 : (d[off + 1]! + 1) * 8;
      nexthdr = d[off]!;
      off += len;
    }
  }
  return -1;
}

/**
 * nft_exthdr_tcp_eval's walk: offset in the packet of `len` bytes at `offset` in the first option of
 * `kind`, or -1 when the packet is not TCP, the header is short, the option is absent or too short.
 */
export function tcpOptFind(p: Pkt, kind: number, offset: number, len: number): number {
  if (p.l4proto !== 6 || p.th < 0 || p.fragoff !== 0) return -1;
  const d = p.d, th = p.th;
  if (th + 20 > p.end) return -1;
  const hl = (d[th + 12]! >> 4) * 4;
  if (hl < 20 || th + hl > p.end) return -1;
  for (let i = 20; i < hl - 1; ) {
    const optl = d[th + i]! <= 1 || d[th + i + 1]! === 0 ? 1 : d[th + i + 1]!;
    if (d[th + i] === kind) {
      if (i + optl > hl || len + offset > optl) return -1;
      return th + i + offset;
    }
    i += optl;
  }
  return -1;
}

type ExthdrLoad = { op: 'ipv6' | 'tcpopt'; type: number; offset: number; len: number; present?: boolean; mask?: number; shift?: number };

/** a numeric loader for an exthdr field (<= 4 bytes, big-endian like a payload load); -1 is NFT_BREAK */
export function exthdrNum(l: ExthdrLoad): (p: Pkt) => number {
  const { op, type, offset, len, present } = l;
  const mask = l.mask, shift = l.shift ?? 0;
  const at = op === 'ipv6'
    ? (p: Pkt) => { const h = ipv6FindHdr(p, type); return h < 0 ? -1 : h + offset; }
    : (p: Pkt) => tcpOptFind(p, type, offset, len);
  if (present) return (p) => (at(p) >= 0 ? 1 : 0);
  return (p) => {
    const o = at(p);
    if (o < 0 || o + len > p.end) return -1;
    let v = 0;
    for (let i = 0; i < len; i++) v = v * 256 + p.d[o + i]!;
    return mask === undefined ? v : ((v & mask) >>> shift);
  };
}

/** a binary-string loader for wide exthdr fields (rt0 addr[N], srh sid[N]); null is NFT_BREAK */
export function exthdrStr(l: ExthdrLoad): (p: Pkt) => string | null {
  return (p) => {
    const h = ipv6FindHdr(p, l.type);
    if (h < 0 || h + l.offset + l.len > p.end) return null;
    let s = '';
    for (let i = 0; i < l.len; i++) s += String.fromCharCode(p.d[h + l.offset + i]!);
    return s;
  };
}

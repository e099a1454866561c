// DNS as `tcpdump -nn` prints it (print-domain.c of tcpdump 4.99: domain_print, ns_qprint,
// ns_rprint, fqdn_print, ns_nskip, labellen, blabel_print, eopt_print), without -v: header
// flags, the question of a query, the answers of a response, "(length)". Used for UDP and
// TCP port 53, mDNS (5353: class bits QU / cache flush) and, for the `app` record only,
// LLMNR (5355, which tcpdump 4.99 does not dissect). Also the `app` object of ndjson.

import { Out, TRUNC, hex2 } from './print.js';
import { ipv4BytesToString, ipv6ToString } from '../addr.js';

const TYPE_MASK = 0xc0, TYPE_INDIR = 0xc0, TYPE_EDNS0 = 0x40, TYPE_RESERVED = 0x80;
const EDNS0_ELT_BITLABEL = 0x01;
const MAXCDNAME = 255;
const T_A = 1, T_NS = 2, T_CNAME = 5, T_SOA = 6, T_PTR = 12, T_MX = 15, T_TXT = 16, T_AAAA = 28, T_SRV = 33, T_A6 = 38,
  T_DNAME = 39, T_OPT = 41, T_UNSPECA = 104, T_TSIG = 250, T_URI = 256;
const C_IN = 1;

const NS_OPS = ['', ' inv_q', ' stat', ' op3', ' notify', ' update', ' op6', ' op7', ' op8', ' updateA', ' updateD', ' updateDA',
  ' updateM', ' updateMA', ' zoneInit', ' zoneRef'];
const NS_RESP = ['', ' FormErr', ' ServFail', ' NXDomain', ' NotImp', ' Refused', ' YXDomain', ' YXRRSet', ' NXRRSet', ' NotAuth',
  ' NotZone', ' Resp11', ' Resp12', ' Resp13', ' Resp14', ' NoChange', ' BadVers', 'Resp17', ' Resp18', ' Resp19', ' Resp20',
  'Resp21', ' Resp22', ' BadCookie'];
const nsRcode = (r: number): string => NS_RESP[r] ?? ` Resp${r & 0xfff}`;

/** ns_type2str */
export const DNS_TYPES: Record<number, string> = {
  1: 'A', 2: 'NS', 3: 'MD', 4: 'MF', 5: 'CNAME', 6: 'SOA', 7: 'MB', 8: 'MG', 9: 'MR', 10: 'NULL', 11: 'WKS', 12: 'PTR', 13: 'HINFO',
  14: 'MINFO', 15: 'MX', 16: 'TXT', 17: 'RP', 18: 'AFSDB', 19: 'X25', 20: 'ISDN', 21: 'RT', 22: 'NSAP', 23: 'NSAP_PTR', 24: 'SIG',
  25: 'KEY', 26: 'PX', 27: 'GPOS', 28: 'AAAA', 29: 'LOC', 30: 'NXT', 31: 'EID', 32: 'NIMLOC', 33: 'SRV', 34: 'ATMA', 35: 'NAPTR',
  36: 'KX', 37: 'CERT', 38: 'A6', 39: 'DNAME', 40: 'SINK', 41: 'OPT', 42: 'APL', 43: 'DS', 44: 'SSHFP', 45: 'IPSECKEY', 46: 'RRSIG',
  47: 'NSEC', 48: 'DNSKEY', 99: 'SPF', 100: 'UINFO', 101: 'UID', 102: 'GID', 103: 'UNSPEC', 104: 'UNSPECA', 249: 'TKEY', 250: 'TSIG',
  251: 'IXFR', 252: 'AXFR', 253: 'MAILB', 254: 'MAILA', 255: 'ANY', 256: 'URI',
};
const typeName = (t: number): string => DNS_TYPES[t] ?? `Type${t}`;
const CLASSES: Record<number, string> = { 1: 'IN', 3: 'CHAOS', 4: 'HS', 255: 'ANY' };
const className = (c: number): string => CLASSES[c] ?? `(Class ${c})`;
const EDNS_OPTS: Record<number, string> = { 1: 'LLQ', 2: 'UL', 3: 'NSID', 5: 'DAU', 6: 'DHU', 7: 'N3U', 8: 'ECS', 9: 'EXPIRE', 10: 'COOKIE',
  11: 'KEEPALIVE', 12: 'PADDING', 13: 'CHAIN', 14: 'KEY-TAG', 16: 'CLIENT-TAG', 17: 'SERVER-TAG' };
const DAU: Record<number, string> = { 0: 'DELETE', 1: 'RSAMD5', 2: 'DH', 3: 'DS', 5: 'RSASHA1', 6: 'DSA-NSEC3-SHA1', 7: 'RSASHA1-NSEC3-SHA1',
  8: 'RSASHA256', 10: 'RSASHA512', 12: 'ECC-GOST', 13: 'ECDSAP256SHA256', 14: 'ECDSAP384SHA384', 15: 'ED25519', 16: 'ED448',
  252: 'INDIRECT', 253: 'PRIVATEDNS', 254: 'PRIVATEOID' };
const DHU: Record<number, string> = { 1: 'SHA-1', 2: 'SHA-256', 3: 'GOST_R_34.11-94', 4: 'SHA-384' };
const N3U: Record<number, string> = { 1: 'SHA-1' };

/** ns_nskip: the offset after a name, or -1 */
function nsNskip(p: Out, cp: number): number {
  if (!p.has(cp, 1)) return -1;
  let i = p.b[cp++];
  while (i) {
    switch (i & TYPE_MASK) {
      case TYPE_INDIR: return cp + 1;
      case TYPE_EDNS0: {
        if ((i & ~TYPE_MASK) !== EDNS0_ELT_BITLABEL) return -1;
        if (!p.has(cp, 1)) return -1;
        let bitlen = p.b[cp];
        if (bitlen === 0) bitlen = 256;
        cp++;
        cp += (bitlen + 7) >> 3;
        break;
      }
      case TYPE_RESERVED: return -1;
      default: cp += i;
    }
    if (!p.has(cp, 1)) return -1;
    i = p.b[cp++];
  }
  return cp;
}

/** blabel_print */
function blabelPrint(p: Out, cp: number): number {
  if (!p.has(cp, 1)) return -1;
  let bitlen = p.b[cp];
  if (bitlen === 0) bitlen = 256;
  const slen = (bitlen + 3) >> 2;
  const lim = cp + 1 + slen;
  p.s += '\\[x';
  let bitp = cp + 1, b = bitlen;
  for (; bitp < lim && b > 7; b -= 8, bitp++) p.s += hex2(p.u8(bitp));
  if (b > 4) p.s += hex2(p.u8(bitp++) & (0xff << (8 - b)) & 0xff);
  else if (b > 0) p.s += (((p.u8(bitp++) >> 4) & 0x0f) & (0x0f << (4 - b))).toString(16);
  p.s += `/${bitlen}]`;
  return lim;
}

/** labellen: -1 on a bad label (printed) */
function labellen(p: Out, cp: number): number {
  if (!p.has(cp, 1)) return -1;
  const i = p.b[cp];
  switch (i & TYPE_MASK) {
    case TYPE_EDNS0: {
      const elt = i & ~TYPE_MASK;
      if (elt !== EDNS0_ELT_BITLABEL) { p.s += `<ELT ${elt}>`; return -1; }
      if (!p.has(cp + 1, 1)) return -1;
      let bitlen = p.b[cp + 1];
      if (bitlen === 0) bitlen = 256;
      return ((bitlen + 7) >> 3) + 1;
    }
    case TYPE_INDIR: case 0: return i;
    default: p.s += '<BAD LABEL TYPE>'; return -1;
  }
}

/** fqdn_print: prints the name at cp (compression pointers relative to bp); the offset after
 *  the name where it was (before any pointer), or -1 */
export function fqdnPrint(p: Out, cp: number, bp: number): number {
  let l = labellen(p, cp);
  if (l === -1) return -1;
  if (!p.has(cp, 1)) return -1;
  let maxOffset = cp - bp;
  let i = p.b[cp++];
  let rp = -1, compress = false, nameChars = 0;
  if ((i & TYPE_MASK) !== TYPE_INDIR) rp = cp + l;
  if (i !== 0) {
    while (i && cp < p.end) {
      switch (i & TYPE_MASK) {
        case TYPE_INDIR: {
          if (!compress) { rp = cp + 1; compress = true; }
          if (!p.has(cp, 1)) return -1;
          const offset = ((i << 8) | p.b[cp]) & 0x3fff;
          if (offset >= maxOffset) { p.s += '<BAD PTR>'; return -1; }
          maxOffset = offset;
          cp = bp + offset;
          if (!p.has(cp, 1)) return -1;
          i = p.b[cp];
          if ((l = labellen(p, cp)) === -1) return -1;
          cp++;
          continue;
        }
        case TYPE_EDNS0: {
          const elt = i & ~TYPE_MASK;
          if (elt === EDNS0_ELT_BITLABEL) { if (blabelPrint(p, cp) === -1) return -1; }
          else { p.s += `<ELT ${elt}>`; return -1; }
          break;
        }
        case TYPE_RESERVED: p.s += '<BAD LABEL TYPE>'; return -1;
        default:
          if (nameChars + l <= MAXCDNAME) { if (p.printn(cp, l, p.end)) return -1; }
          else if (nameChars < MAXCDNAME) { if (p.printn(cp, MAXCDNAME - nameChars, p.end)) return -1; }
          nameChars += l;
      }
      cp += l;
      if (nameChars <= MAXCDNAME) p.s += '.';
      nameChars++;
      if (!p.has(cp, 1)) return -1;
      i = p.b[cp];
      if ((l = labellen(p, cp)) === -1) return -1;
      cp++;
      if (!compress) rp += l + 1;
    }
    if (nameChars > MAXCDNAME) p.s += '<DOMAIN NAME TOO LONG>';
  } else p.s += '.';
  return rp;
}

/** ns_cprint */
function nsCprint(p: Out, cp: number): number {
  if (!p.has(cp, 1)) return -1;
  const i = p.b[cp++];
  if (p.printn(cp, i, p.end)) return -1;
  return cp + i;
}

/** ns_qprint */
function nsQprint(p: Out, cp: number, bp: number, mdns: boolean): number {
  const np = cp;
  cp = nsNskip(p, cp);
  if (cp === -1 || !p.has(cp, 4)) return -1;
  p.s += ' ' + typeName(p.u16(cp));
  const i = p.u16(cp + 2);
  const cls = mdns ? i & 0x7fff : i;
  if (cls !== C_IN) p.s += ' ' + className(cls);
  if (mdns) p.s += i & 0x8000 ? ' (QU)' : ' (QM)';
  p.s += '? ';
  const r = fqdnPrint(p, np, bp);
  return r === -1 ? -1 : r + 4;
}

/** print_eopt_ecs */
function eoptEcs(p: Out, cp: number, len: number): void {
  if (len < 4) { p.s += ' (invalid)'; return; }
  const family = p.u16(cp), src = p.u8(cp + 2), scope = p.u8(cp + 3);
  const bits = family === 1 ? 32 : family === 2 ? 128 : 0;
  if (bits === 0 || len - 4 > bits / 8 || src > bits || scope > bits || ((src + 7) >> 3) !== len - 4) { p.s += ' (invalid)'; return; }
  const a = new Uint8Array(16);
  for (let k = 0; k < len - 4; k++) a[k] = p.u8(cp + 4 + k);
  p.s += `${family === 1 ? ipv4BytesToString(a, 0) : ipv6ToString(a, 0)}/${src}/${scope}`;
}

/** eopt_print */
function eoptPrint(p: Out, cp: number): number {
  if (!p.has(cp, 2)) return -1;
  const opt = p.u16(cp);
  cp += 2;
  p.s += EDNS_OPTS[opt] ?? `Opt${opt}`;
  if (!p.has(cp, 2)) return -1;
  const len = p.u16(cp);
  cp += 2;
  if (!p.has(cp, len)) return -1;
  if (len > 0) {
    p.s += ' ';
    const list = (names: Record<number, string>): void => {
      for (let k = 0; k < len; k++) { if (k) p.s += ' '; const v = p.u8(cp + k); p.s += names[v] ?? `Alg_${v}`; }
    };
    switch (opt) {
      case 8: eoptEcs(p, cp, len); break;
      case 10:
        if (len < 8 || (len > 8 && len < 16) || len > 40) p.s += ' (invalid)';
        else for (let k = 0; k < len; k++) { if (k === 8) p.s += ' '; p.s += hex2(p.u8(cp + k)); }
        break;
      case 11: p.s += len !== 2 ? ' (invalid)' : `${(p.u16(cp) / 10).toFixed(1)} sec`; break;
      case 9: p.s += len !== 4 ? ' (invalid)' : `${p.u32(cp)} sec`; break;
      case 12: p.s += `(${len})`; break;
      case 14:
        if (len % 2 !== 0) p.s += ' (invalid)';
        else for (let k = 0; k < len; k += 2) { if (k) p.s += ' '; p.s += p.u16(cp + k); }
        break;
      case 5: list(DAU); break;
      case 6: list(DHU); break;
      case 7: list(N3U); break;
      case 13: fqdnPrint(p, cp, cp + len); break;
      default: for (let k = 0; k < len; k++) p.s += hex2(p.u8(cp + k));
    }
  }
  return cp + len;
}

/** ns_rprint without -v */
function nsRprint(p: Out, cp: number, bp: number, mdns: boolean): number {
  cp = nsNskip(p, cp);
  if (cp === -1 || !p.has(cp, 10)) return p.end;
  const typ = p.u16(cp);
  const i = p.u16(cp + 2);
  const cls = mdns ? i & 0x7fff : i;
  if (cls !== C_IN && typ !== T_OPT) p.s += ' ' + className(cls);
  if (mdns && (i & 0x8000)) p.s += ' (Cache flush)';
  let optFlags = 0;
  if (typ === T_OPT) optFlags = p.u16(cp + 6);
  cp += 8;
  const len = p.u16(cp);
  cp += 2;
  const rp = cp + len;
  p.s += ' ' + typeName(typ);
  if (rp > p.end) return -1;
  switch (typ) {
    case T_A:
      if (!p.has(cp, 4)) return -1;
      p.s += ' ' + ipv4BytesToString(p.b, cp);
      break;
    case T_NS: case T_CNAME: case T_PTR: case T_DNAME:
      p.s += ' ';
      if (fqdnPrint(p, cp, bp) === -1) return -1;
      break;
    case T_SOA: break; // printed only with -v
    case T_MX:
      p.s += ' ';
      if (!p.has(cp, 2)) return -1;
      if (fqdnPrint(p, cp + 2, bp) === -1) return -1;
      p.s += ' ' + p.u16(cp);
      break;
    case T_TXT:
      while (cp < rp) {
        p.s += ' "';
        cp = nsCprint(p, cp);
        if (cp === -1) return -1;
        p.s += '"';
      }
      break;
    case T_SRV:
      p.s += ' ';
      if (!p.has(cp, 6)) return -1;
      if (fqdnPrint(p, cp + 6, bp) === -1) return -1;
      p.s += `:${p.u16(cp + 4)} ${p.u16(cp)} ${p.u16(cp + 2)}`;
      break;
    case T_AAAA:
      if (!p.has(cp, 16)) return -1;
      p.s += ' ' + ipv6ToString(p.b, cp);
      break;
    case T_A6: {
      if (!p.has(cp, 1)) return -1;
      const pbit = p.b[cp], pbyte = (pbit & ~7) >> 3;
      if (pbit > 128) { p.s += ` ${pbit}(bad plen)`; break; }
      if (pbit < 128) {
        const a = new Uint8Array(16);
        for (let k = pbyte; k < 16; k++) a[k] = p.u8(cp + 1 + k - pbyte);
        p.s += ` ${pbit} ${ipv6ToString(a, 0)}`;
      }
      if (pbit > 0) {
        p.s += ' ';
        if (fqdnPrint(p, cp + 1 + 16 - pbyte, bp) === -1) return -1;
      }
      break;
    }
    case T_URI:
      if (!p.has(cp, len)) return -1;
      p.s += ` ${p.u16(cp)} ${p.u16(cp + 2)} `;
      if (p.printn(cp + 4, len - 4, p.end)) return -1;
      break;
    case T_OPT:
      p.s += ` UDPsize=${cls}`;
      if (optFlags & 0x8000) p.s += ' DO';
      if (cp < rp) {
        p.s += ' [';
        while (cp < rp) {
          cp = eoptPrint(p, cp);
          if (cp === -1) return -1;
          if (cp < rp) p.s += ',';
        }
        p.s += ']';
      }
      break;
    case T_UNSPECA:
      if (!p.has(cp, len)) return -1;
      if (p.printn(cp, len, p.end)) return -1;
      break;
    case T_TSIG:
      if (cp + len > p.end) return -1;
      break;
  }
  return rp;
}

/**
 * domain_print: the DNS message at `bp` (for TCP: at the two-byte length prefix), `length`
 * bytes (UDP: min(UDP length, IP payload) - 8; TCP: the segment's payload).
 */
export function domainPrint(p: Out, bp: number, length: number, overTcp: boolean, mdns: boolean): void {
  p.proto = 'domain';
  if (overTcp) {
    if (length < 2) { p.s += ` [DNS over TCP: length ${length} < 2] (invalid)`; return; }
    length -= 2;
    const pre = p.u16(bp);
    if (pre !== length) { p.s += ` [prefix length(${pre}) != length(${length})] (invalid)`; return; }
    bp += 2;
    p.s += ' ';
  }
  if (length < 12) { p.s += `domain [length ${length} < 12] (invalid)`; return; }
  p.check(bp, 12);
  const flags = p.u16(bp + 2);
  let qd = p.u16(bp + 4), an = p.u16(bp + 6), ns = p.u16(bp + 8);
  const ar = p.u16(bp + 10);
  // the OPT record's extended rcode
  let rcode = flags & 0xf;
  let cp = bp + 12;
  scan: {
    for (let i = 0; i < qd; i++) {
      if ((cp = nsNskip(p, cp)) === -1) break scan;
      cp += 4;
      if (cp >= p.end) break scan;
    }
    for (let i = 0; i < an + ns; i++) {
      if ((cp = nsNskip(p, cp)) === -1) break scan;
      cp += 8;
      if (cp + 2 > p.end) break scan;
      cp += 2 + p.u16(cp);
      if (cp >= p.end) break scan;
    }
    for (let i = 0; i < ar; i++) {
      if ((cp = nsNskip(p, cp)) === -1) break scan;
      if (cp + 2 > p.end) break scan;
      const type = p.u16(cp);
      cp += 4;
      if (cp + 1 > p.end) break scan;
      if (type === T_OPT) { rcode |= p.u8(cp) << 4; break scan; }
      cp += 4;
      if (cp + 2 > p.end) break scan;
      cp += 2 + p.u16(cp);
      if (cp >= p.end) break scan;
    }
  }
  const id = p.u16(bp);
  const op = NS_OPS[(flags >> 11) & 0xf];
  if (flags & 0x8000) {
    p.s += `${id}${op}${nsRcode(rcode)}${flags & 0x0400 ? '*' : ''}${flags & 0x0080 ? '' : '-'}${flags & 0x0200 ? '|' : ''}${flags & 0x0020 ? '$' : ''}`;
    if (qd !== 1) p.s += ` [${qd}q]`;
    cp = bp + 12;
    for (let i = 0; i < qd; i++) {
      if (i !== 0) p.s += ',';
      if ((cp = nsNskip(p, cp)) === -1) throw TRUNC;
      cp += 4;
    }
    p.s += ` ${an}/${ns}/${ar}`;
    if (an) {
      if ((cp = nsRprint(p, cp, bp, mdns)) === -1) throw TRUNC;
      an--;
      while (cp < p.end && an) {
        p.s += ',';
        if ((cp = nsRprint(p, cp, bp, mdns)) === -1) throw TRUNC;
        an--;
      }
    }
    if (an) throw TRUNC;
  } else {
    p.s += `${id}${op}${flags & 0x0100 ? '+' : ''}${flags & 0x0010 ? '%' : ''}`;
    if (flags & 0x6cf) p.s += ` [b2&3=0x${flags.toString(16)}]`;
    if (((flags >> 11) & 0xf) === 1) {
      if (qd) p.s += ` [${qd}q]`;
      if (an !== 1) p.s += ` [${an}a]`;
    } else {
      if (an) p.s += ` [${an}a]`;
      if (qd !== 1) p.s += ` [${qd}q]`;
    }
    if (ns) p.s += ` [${ns}n]`;
    if (ar) p.s += ` [${ar}au]`;
    cp = bp + 12;
    if (qd) {
      if ((cp = nsQprint(p, cp, bp, mdns)) === -1) throw TRUNC;
      qd--;
      while (cp < p.end && qd) {
        if ((cp = nsQprint(p, cp, bp, mdns)) === -1) throw TRUNC;
        qd--;
      }
    }
    if (qd) throw TRUNC;
  }
  void ns;
  p.s += ` (${length})`;
}

// ---- the `app` object ----

/** a name as plain text (no tcpdump escaping beyond its own; no trailing dot), or null */
function nameText(b: Uint8Array, cp: number, bp: number, end: number): string | null {
  let s = '', hops = 0;
  for (;;) {
    if (cp >= end) return null;
    const l = b[cp];
    if (l === 0) return s === '' ? '.' : s;
    if ((l & 0xc0) === 0xc0) {
      if (cp + 1 >= end || ++hops > 64) return null;
      cp = bp + (((l & 0x3f) << 8) | b[cp + 1]);
      continue;
    }
    if (l & 0xc0 || cp + 1 + l > end) return null;
    if (s !== '') s += '.';
    for (let k = cp + 1; k <= cp + l; k++) { const c = b[k]; s += c >= 0x21 && c <= 0x7e && c !== 0x2e && c !== 0x5c ? String.fromCharCode(c) : `\\${String(c).padStart(3, '0')}`; }
    cp += 1 + l;
  }
}

export interface DnsApp {
  proto: 'dns' | 'mdns' | 'llmnr';
  id: number;
  qr: 'query' | 'response';
  opcode?: number;
  rcode?: number;
  qname?: string;
  qtype?: string;
  answers?: number;
}

/** the first question and header facts; null when the header is not all there */
export function dnsApp(b: Uint8Array, bp: number, length: number, end: number, proto: DnsApp['proto'], overTcp: boolean): DnsApp | null {
  if (overTcp) { bp += 2; length -= 2; }
  if (length < 12 || bp + 12 > end) return null;
  const flags = (b[bp + 2] << 8) | b[bp + 3];
  const r: DnsApp = { proto, id: (b[bp] << 8) | b[bp + 1], qr: flags & 0x8000 ? 'response' : 'query' };
  const opcode = (flags >> 11) & 0xf;
  if (opcode !== 0) r.opcode = opcode;
  if (flags & 0x8000) r.rcode = flags & 0xf;
  const qd = (b[bp + 4] << 8) | b[bp + 5];
  if (qd > 0) {
    const q = nameText(b, bp + 12, bp, end);
    if (q !== null) {
      r.qname = q === '.' ? q : q;
      // the type after the name as it stands in the question
      const p = new Out(b, end);
      const after = nsNskip(p, bp + 12);
      if (after !== -1 && after + 2 <= end) r.qtype = typeName((b[after] << 8) | b[after + 1]);
    }
  }
  if (flags & 0x8000) r.answers = (b[bp + 6] << 8) | b[bp + 7];
  return r;
}

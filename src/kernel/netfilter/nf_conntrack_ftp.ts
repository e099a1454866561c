// The FTP conntrack helper (net/netfilter/nf_conntrack_ftp.c help()): it reads the control
// connection's commands, PORT/EPRT from the client and 227 (PASV)/229 (EPSV) replies from the
// server, and expects the data connection they announce (nf_ct_expect_init, nf_ct_expect_related).
// Only data that starts just after a '\n' the helper saw in that direction is read (seq_aft_nl);
// a command cut short ("partial matching") drops the packet. When the control connection is
// NATed, nf_nat_ftp rewrites the address in the command and adjusts the TCP sequence numbers
// afterwards (nf_ct_seqadj): not modelled, the packets concerned are reported unsupported.

import type { Pkt } from './pkt.js';
import type { NfConn, Tuple } from './nf_conntrack.js';
import { IP_CT_ESTABLISHED, IP_CT_ESTABLISHED_REPLY, IPS_DST_NAT, IPS_SRC_NAT, showTuple } from './nf_conntrack.js';
import type { NfExpectTable } from './nf_conntrack_helper.js';
import { parseIPv6 } from './ir.js';

/** ftp_exp_policy: .max_expected = 1, .timeout = 5 * 60 */
export const FTP_EXPECT_MAX = 1, FTP_EXPECT_TIMEOUT = 300;

/** what help() did: the timeline text and NF_DROP */
export interface HelpVerdict {
  what: string;
  drop: boolean;
}

/** the command's address (IPv4 u32 or 16-byte string) and port: struct nf_conntrack_man */
export interface FtpCmd {
  addr: number | string;
  port: number;
}

const enum Found { None = 0, Match = 1, Partial = -1 }

const CR = 0x0d, LF = 0x0a, SP = 0x20, LPAR = 0x28, RPAR = 0x29;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/**
 * try_number: up to `n` decimal numbers separated by `sep`, ended by `term` (any other character
 * when term is 0) after the last one; u32 arithmetic as the kernel's. Returns the length read, or 0.
 */
function tryNumber(d: Uint8Array, o: number, dlen: number, out: number[], n: number, sep: number, term: number): number {
  for (let k = 0; k < n; k++) out[k] = 0;
  let i = 0;
  for (let len = 0; len < dlen && i < n; len++) {
    const c = d[o + len]!;
    if (isDigit(c)) out[i] = (out[i]! * 10 + c - 0x30) >>> 0;
    else if (c === sep) i++;
    else return (c === term || !term) && i === n - 1 ? len : 0;
  }
  return 0;
}

const nums = [0, 0, 0, 0, 0, 0];

/** try_rfc959: h1,h2,h3,h4,p1,p2 */
function tryRfc959(d: Uint8Array, o: number, dlen: number, cmd: FtpCmd, term: number): number {
  const len = tryNumber(d, o, dlen, nums, 6, 0x2c, term);
  if (!len) return 0;
  cmd.addr = ((nums[0]! << 24) | (nums[1]! << 16) | (nums[2]! << 8) | nums[3]!) >>> 0;
  cmd.port = ((nums[4]! << 8) | nums[5]!) & 0xffff; // htons of a u16
  return len;
}

/** try_rfc1123: a 227 reply need not have the parentheses; scan for the first digit */
function tryRfc1123(d: Uint8Array, o: number, dlen: number, cmd: FtpCmd): number {
  let i = 0;
  while (i < dlen && !isDigit(d[o + i]!)) i++;
  if (i === dlen) return 0;
  return tryRfc959(d, o + i, dlen - i, cmd, 0);
}

/** get_port: a u16 number up to the delimiter, not 0 */
function getPort(d: Uint8Array, o: number, start: number, dlen: number, delim: number, cmd: FtpCmd): number {
  let port = 0;
  for (let i = start; i < dlen; i++) {
    const c = d[o + i]!;
    if (c === delim) {
      if (port === 0) break;
      cmd.port = port;
      return i + 1;
    } else if (isDigit(c)) port = (port * 10 + c - 0x30) & 0xffff;
    else break;
  }
  return 0;
}

/** the delimiter EPRT and EPSV use: printable, not a digit (a signed char: bytes >= 0x80 fail too) */
const badDelim = (c: number) => isDigit(c) || c < 33 || c > 126;

/** try_eprt: |1|132.235.1.2|6275| or |2|3ffe::1|6275| (the protocol must be the connection's) */
function tryEprt(d: Uint8Array, o: number, dlen: number, cmd: FtpCmd, l3: number): number {
  if (dlen <= 3) return 0;
  const delim = d[o]!;
  if (badDelim(delim) || d[o + 2] !== delim) return 0;
  const af = d[o + 1]!;
  if ((l3 === 2 && af !== 0x31) || (l3 === 10 && af !== 0x32)) return 0;
  let length: number;
  if (af === 0x31) {
    length = tryNumber(d, o + 3, dlen - 3, nums, 4, 0x2e, delim);
    if (length) cmd.addr = ((nums[0]! << 24) | (nums[1]! << 16) | (nums[2]! << 8) | nums[3]!) >>> 0;
  } else {
    // get_ipv6_addr: in6_pton up to the delimiter
    let e = 3;
    while (e < dlen && d[o + e] !== delim) e++;
    const a = e < dlen ? parseIPv6(String.fromCharCode(...d.subarray(o + 3, o + e))) : undefined;
    length = a === undefined ? 0 : e - 3;
    if (a !== undefined) cmd.addr = a;
  }
  if (!length) return 0;
  return getPort(d, o, 3 + length + 1, dlen, delim, cmd);
}

/** try_epsv_response: |||6446| (the address is the server's own) */
function tryEpsv(d: Uint8Array, o: number, dlen: number, cmd: FtpCmd): number {
  if (dlen <= 3) return 0;
  const delim = d[o]!;
  if (badDelim(delim) || d[o + 1] !== delim || d[o + 2] !== delim) return 0;
  return getPort(d, o, 3, dlen, delim, cmd);
}

interface Search {
  pattern: string;
  skip: number;
  term: number;
  getnum: (d: Uint8Array, o: number, dlen: number, cmd: FtpCmd, term: number, l3: number) => number;
}

/** search[IP_CT_DIR_MAX][2] */
const SEARCH: [Search[], Search[]] = [
  [
    { pattern: 'PORT', skip: SP, term: CR, getnum: tryRfc959 },
    { pattern: 'EPRT', skip: SP, term: CR, getnum: (d, o, n, c, _t, l3) => tryEprt(d, o, n, c, l3) },
  ],
  [
    { pattern: '227 ', skip: 0, term: 0, getnum: (d, o, n, c) => tryRfc1123(d, o, n, c) },
    { pattern: '229 ', skip: LPAR, term: RPAR, getnum: (d, o, n, c) => tryEpsv(d, o, n, c) },
  ],
];

/** strncasecmp over n bytes against an ASCII pattern */
function caseEq(d: Uint8Array, o: number, pattern: string, n: number): boolean {
  for (let i = 0; i < n; i++) {
    let c = d[o + i]!;
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    let q = pattern.charCodeAt(i);
    if (q >= 0x41 && q <= 0x5a) q += 0x20;
    if (c !== q) return false;
  }
  return true;
}

/** find_pattern: 1 match, 0 none, -1 partial (the packet is dropped) */
function findPattern(d: Uint8Array, o: number, dlen: number, s: Search, cmd: FtpCmd, l3: number): Found {
  const plen = s.pattern.length;
  if (dlen <= plen) return caseEq(d, o, s.pattern, dlen) ? Found.Partial : Found.None;
  if (!caseEq(d, o, s.pattern, plen)) return Found.None;
  let i = plen;
  if (s.skip) {
    for (; d[o + i] !== s.skip; i++) if (i === dlen - 1) return Found.Partial;
    i++;
  }
  return s.getnum(d, o + i, dlen - i, cmd, s.term, l3) ? Found.Match : Found.Partial;
}

/**
 * help()'s search loop: find_pattern with search[dir][0], then [1], over the `dlen` bytes at `o`;
 * found 1 (cmd holds the address and port), 0 (no command), -1 (partial: NF_DROP). `cmd.addr`
 * starts as the sender's address (an EPSV reply names none).
 */
export function ftpSearch(d: Uint8Array, o: number, dlen: number, dir: number, l3: number, cmd: FtpCmd): { found: number; pattern: string } {
  let found = Found.None, s: Search | undefined;
  for (s of SEARCH[dir]!) if ((found = findPattern(d, o, dlen, s, cmd, l3)) !== Found.None) break;
  return { found, pattern: s!.pattern };
}

const NONE: HelpVerdict = { what: '', drop: false };

/** help() of nf_conntrack_ftp.c for one packet of the control connection */
export function ftpHelp(p: Pkt, ct: NfConn, ctinfo: number, expects: NfExpectTable): HelpVerdict {
  // "Until there's been traffic both ways, don't look in packets."
  if (ctinfo !== IP_CT_ESTABLISHED && ctinfo !== IP_CT_ESTABLISHED_REPLY) return NONE;
  const d = p.d, th = p.th;
  if (th + 20 > p.end) return NONE;
  const dataoff = th + ((d[th + 12]! >> 4) << 2);
  if (dataoff >= p.end) return NONE;
  const datalen = p.end - dataoff;
  const dir = ctinfo === IP_CT_ESTABLISHED ? 0 : 1;
  const thSeq = ((d[th + 4]! << 24) | (d[th + 5]! << 16) | (d[th + 6]! << 8) | d[th + 7]!) >>> 0;
  const endsInNl = d[p.end - 1] === LF;
  const seq = (thSeq + datalen) >>> 0;
  const nl = (ct.ftpNl ??= [[], []])[dir];
  const name = ct.helper!;
  let res = NONE;
  // find_nl_seq: only data that starts just after a newline seen in this direction is read
  if (nl.includes(thSeq)) {
    const l3 = ct.tuple[0].l3;
    const cmd: FtpCmd = { addr: ct.tuple[dir].src, port: 0 };
    const { found, pattern } = ftpSearch(d, dataoff, datalen, dir, l3, cmd);
    if (found === Found.Partial) {
      // nf_ct_helper_log "partial matching of `%s'": NF_DROP, seq_aft_nl left as it was
      return { what: `nf_conntrack_ftp: partial matching of \`${pattern}': NF_DROP`, drop: true };
    }
    if (found === Found.Match) res = ftpExpect(p, ct, dir, pattern.trim(), cmd, expects, name);
  }
  // out_update_nl: a segment ending in '\n' makes its end a place to read from
  if (endsInNl) ftpUpdateNlSeq(nl, seq);
  return res;
}

/** the expectation a parsed command announces (help() after find_pattern) */
function ftpExpect(p: Pkt, ct: NfConn, dir: number, what: string, cmd: FtpCmd, expects: NfExpectTable, name: string): HelpVerdict {
  const own = ct.tuple[dir], other = ct.tuple[1 - dir]!;
  // an address other than the sender's own is not recorded unless the module's `loose` is set
  // (default off): "DMZ machines opening holes to internal networks"
  if (cmd.addr !== own.src) return { what: `${name}: ${what} names ${addrText(cmd.addr)}, not the sender ${addrText(own.src)}: NOT RECORDING (loose=0)`, drop: false };
  // nf_ct_expect_init(exp, CLASS_DEFAULT, l3, &tuplehash[!dir].src.u3, &tuplehash[!dir].dst.u3, TCP, NULL, &port)
  const tuple: Tuple = { l3: own.l3, proto: 6, src: other.src, dst: other.dst, sport: 0, dport: cmd.port };
  const shown = showTuple(tuple).replace(' sport=0', ' sport=any');
  let note: string | undefined;
  if (ct.status & (IPS_SRC_NAT | IPS_DST_NAT)) {
    // nf_nat_ftp: the command's address is rewritten to the NATed one (nf_nat_mangle_tcp_packet),
    // the later segments' sequence numbers adjusted (nf_ct_seqadj) and the data connection NATed
    // like its master (nf_nat_follow_master)
    note = `conntrack helper ${name}: the NAT of the FTP ${what} (nf_nat_ftp: address rewrite, sequence adjustment, the data connection's NAT) is not modelled`;
    (p.unsupported ??= []).push(note);
    (ct.natNotes ??= []).includes(note) || ct.natNotes.push(note);
  }
  if (!expects.add({ tuple, sportExact: false, master: ct, zone: ct.zone, timeout: p.now + FTP_EXPECT_TIMEOUT, note }, FTP_EXPECT_MAX, p.now)) {
    // __nf_ct_expect_check: another master expects the same tuple (expect_clash, -EBUSY)
    return { what: `${name}: ${what}, expectation ${shown} clashes with another connection's: cannot add expectation, NF_DROP`, drop: true };
  }
  return { what: `${name}: ${what}, expecting ${shown}${note ? ' (NAT not modelled: unsupported)' : ''}`, drop: false };
}

function addrText(a: number | string): string {
  return showTuple({ l3: typeof a === 'number' ? 2 : 10, proto: 0, src: a, dst: a, sport: 0, dport: 0 }).split(' ')[0]!.slice(4);
}

/** update_nl_seq: remember up to NUM_SEQ_TO_REMEMBER (2), replacing the oldest by a later one */
export function ftpUpdateNlSeq(nl: number[], seq: number): void {
  if (nl.includes(seq)) return;
  if (nl.length < 2) {
    nl.push(seq);
    return;
  }
  const oldest = ((nl[0]! - nl[1]!) | 0) < 0 ? 0 : 1; // before(a, b): (s32)(a - b) < 0
  if (((seq - nl[oldest]!) | 0) > 0) nl[oldest] = seq;
}

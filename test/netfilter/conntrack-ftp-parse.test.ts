// The FTP helper's command parser on its own (nf_conntrack_ftp.c help()'s search loop: find_pattern
// with search[dir][], try_number, try_rfc959, try_rfc1123, try_eprt, try_epsv_response, get_port).
// Each expected value is worked out by hand from those functions, as the comment of each case says;
// the whole helper (expectations, drops, newline tracking) is in conntrack-ftp.test.ts.
import { describe, expect, it } from 'vitest';
import { ftpSearch, type FtpCmd } from '../../src/kernel/netfilter/nf_conntrack_ftp.js';
import { parseIPv6 } from '../../src/kernel/netfilter/ir.js';

const SENDER4 = 0x0a000009; // 10.0.0.9: what cmd.u3 starts as (ct->tuplehash[dir].tuple.src.u3)
const SENDER6 = parseIPv6('fd00::9')!;
const ascii = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));

/** ftpSearch over exactly the bytes of `line` (a buffer no longer than the data: nothing past dlen to read) */
function parse(line: string, dir: 0 | 1, l3 = 2): string {
  const d = ascii(line);
  const cmd: FtpCmd = { addr: l3 === 2 ? SENDER4 : SENDER6, port: 0 };
  const { found, pattern } = ftpSearch(d, 0, d.length, dir, l3, cmd);
  if (found === 0) return 'none';
  if (found < 0) return `partial ${pattern.trim()}`;
  const a = typeof cmd.addr === 'number' ? [cmd.addr >>> 24, (cmd.addr >> 16) & 255, (cmd.addr >> 8) & 255, cmd.addr & 255].join('.') : cmd.addr === SENDER6 ? 'sender6' : cmd.addr === parseIPv6('fd00::2') ? 'fd00::2' : 'other6';
  return `${pattern.trim()} ${a} ${cmd.port}`;
}

describe('PORT / EPRT from the client (search[IP_CT_DIR_ORIGINAL])', () => {
  it('PORT h1,h2,h3,h4,p1,p2 ended by \\r (try_rfc959, term \'\\r\'); the pattern is matched case-insensitively (strncasecmp)', () => {
    expect(parse('PORT 10,0,0,2,156,65\r\n', 0)).toBe('PORT 10.0.0.2 40001');
    expect(parse('port 192,168,1,20,0,21\r\n', 0)).toBe('PORT 192.168.1.20 21');
    // the \r is what ends it: the \n after it is never read
    expect(parse('PORT 1,2,3,4,5,6\r', 0)).toBe('PORT 1.2.3.4 1286');
  });

  it('try_number wants exactly 6 numbers then the terminator: 5 numbers, 7 numbers, another terminator or none are partial', () => {
    expect(parse('PORT 1,2,3,4,5\r\n', 0)).toBe('partial PORT'); // '\r' with i = 4, not array_size - 1
    expect(parse('PORT 1,2,3,4,5,6,7\r\n', 0)).toBe('partial PORT'); // the 6th ',' ends the loop (i == array_size): return 0
    expect(parse('PORT 1,2,3,4,5,6 \r\n', 0)).toBe('partial PORT'); // ' ' is not the term
    expect(parse('PORT 1,2,3,4,5,6', 0)).toBe('partial PORT'); // the data ends inside the numbers: "Failed to fill"
    // find_pattern skips to the first ' ' only: a second space is an unexpected character
    expect(parse('PORT  1,2,3,4,5,6\r\n', 0)).toBe('partial PORT');
    // no ' ' after the pattern before the last byte: partial
    expect(parse('PORTX1,2,3,4,5,6\r\n', 0)).toBe('partial PORT');
  });

  it('the pattern: a shorter line that is its start is partial, another word is no command (the search goes on to EPRT)', () => {
    expect(parse('POR', 0)).toBe('partial PORT');
    expect(parse('EPR', 0)).toBe('partial EPRT');
    expect(parse('LIST\r\n', 0)).toBe('none');
    expect(parse('PASV\r\n', 0)).toBe('none');
  });

  it('EPRT |1|addr|port| (try_eprt: delimiter, protocol 1 on IPv4, try_number with \'.\' up to the delimiter, get_port)', () => {
    expect(parse('EPRT |1|132.235.1.2|6275|\r\n', 0)).toBe('EPRT 132.235.1.2 6275');
    // any printable non-digit delimiter (33..126): '!' and '~' are the ends of the range
    expect(parse('EPRT !1!10.0.0.2!40200!\r\n', 0)).toBe('EPRT 10.0.0.2 40200');
    expect(parse('EPRT ~1~10.0.0.2~40200~\r\n', 0)).toBe('EPRT 10.0.0.2 40200');
    // the delimiter not repeated after the protocol number
    expect(parse('EPRT |1x10.0.0.2|40200|\r\n', 0)).toBe('partial EPRT');
    // protocol 1 on an IPv6 connection (cmd->l3num == PF_INET6 && data[1] != '2')
    expect(parse('EPRT |1|10.0.0.2|40200|\r\n', 0, 10)).toBe('partial EPRT');
    // three address numbers, then the delimiter: try_number's i is 2, not 3
    expect(parse('EPRT |1|10.0.2|40200|\r\n', 0)).toBe('partial EPRT');
  });

  it('EPRT |2|addr|port| on IPv6 (get_ipv6_addr: in6_pton up to the delimiter); an address in6_pton refuses is partial', () => {
    expect(parse('EPRT |2|fd00::2|40300|\r\n', 0, 10)).toBe('EPRT fd00::2 40300');
    expect(parse('EPRT |2|fd00::9|40300|\r\n', 0, 10)).toBe('EPRT sender6 40300');
    expect(parse('EPRT |2|zz::q|40300|\r\n', 0, 10)).toBe('partial EPRT');
    expect(parse('EPRT |2|fd00::2|0|\r\n', 0, 10)).toBe('partial EPRT'); // get_port: port 0 breaks
  });

  it('get_port: digits up to the delimiter, u16 arithmetic; another character or port 0 fails', () => {
    // u_int16_t tmp_port: 65537 wraps to 1
    expect(parse('EPRT |1|10.0.0.2|65537|\r\n', 0)).toBe('EPRT 10.0.0.2 1');
    expect(parse('EPRT |1|10.0.0.2|12a|\r\n', 0)).toBe('partial EPRT');
    expect(parse('EPRT |1|10.0.0.2|0|\r\n', 0)).toBe('partial EPRT');
  });
});

describe('only the data length is read (the helper copies datalen bytes: skb_header_pointer(skb, dataoff, datalen))', () => {
  /** ftpSearch over the first `dlen` bytes of a longer buffer */
  function cut(line: string, dlen: number, dir: 0 | 1, l3 = 2): string {
    const d = ascii(line);
    const cmd: FtpCmd = { addr: l3 === 2 ? SENDER4 : SENDER6, port: 0 };
    const { found, pattern } = ftpSearch(d, 0, dlen, dir, l3, cmd);
    return found === 0 ? 'none' : found < 0 ? `partial ${pattern.trim()}` : `${pattern.trim()} ${cmd.port}`;
  }
  it('a port whose closing delimiter lies past the data is partial (get_port stops at dlen)', () => {
    const line = '229 x (|||6446|)';
    expect(cut(line, line.length, 1)).toBe('229 6446');
    expect(cut(line, line.lastIndexOf('|'), 1)).toBe('partial 229');
  });
  it('"PORT" as the whole data is partial (dlen <= plen: strnicmp over dlen)', () => {
    expect(parse('PORT', 0)).toBe('partial PORT');
    expect(parse('229 ', 1)).toBe('partial 229');
  });
  it('an EPRT whose address fails is partial even when a port could be read after it (try_eprt returns 0 before get_port)', () => {
    expect(parse('EPRT |1|!5|\r\n', 0)).toBe('partial EPRT');
    // in6_pton meets no delimiter before the end: no address
    expect(parse('EPRT |2|fd00::2\r\n', 0, 10)).toBe('partial EPRT');
  });
});

describe('227 / 229 from the server (search[IP_CT_DIR_REPLY])', () => {
  it('227: try_rfc1123 scans to the first digit (parentheses optional) and reads six numbers ended by anything', () => {
    expect(parse('227 Entering Passive Mode (10,0,0,1,195,80)\r\n', 1)).toBe('227 10.0.0.1 50000');
    expect(parse('227 Entering Passive Mode 10,0,0,1,195,81.\r\n', 1)).toBe('227 10.0.0.1 50001');
    // no digit at all: try_rfc1123 returns 0, find_pattern -1
    expect(parse('227 Entering Passive Mode\r\n', 1)).toBe('partial 227');
    // the line stops right after the last number: no character ends it, try_number fails
    expect(parse('227 Entering Passive Mode (10,0,0,1,195,80', 1)).toBe('partial 227');
    expect(parse('227 =10,0,0,1,195,80', 1)).toBe('partial 227');
    // a 227 is never read from the client, a PORT never from the server
    expect(parse('227 Entering Passive Mode (10,0,0,1,195,80)\r\n', 0)).toBe('none');
    expect(parse('PORT 10,0,0,2,156,65\r\n', 1)).toBe('none');
  });

  it('229: |||port| inside the parentheses (try_epsv_response), the address stays the sender\'s', () => {
    expect(parse('229 Entering Extended Passive Mode (|||50100|)\r\n', 1)).toBe('229 10.0.0.9 50100');
    expect(parse('229 x (!!!6446!)\r\n', 1)).toBe('229 10.0.0.9 6446');
    expect(parse('229 x (~~~6446~)\r\n', 1)).toBe('229 10.0.0.9 6446');
    // a digit, a space or DEL is no delimiter (isdigit(delim) || delim < 33 || delim > 126)
    expect(parse('229 x (5556465)\r\n', 1)).toBe('partial 229');
    expect(parse('229 x (   6446 )\r\n', 1)).toBe('partial 229');
    expect(parse('229 x (\x7f\x7f\x7f6446\x7f)\r\n', 1)).toBe('partial 229');
    // the three delimiters must be the same
    expect(parse('229 x (||!6446|)\r\n', 1)).toBe('partial 229');
    expect(parse('229 x (|!|6446|)\r\n', 1)).toBe('partial 229');
    // no '(' before the last byte
    expect(parse('229 Extended Passive Mode |||6446|\r\n', 1)).toBe('partial 229');
  });
});

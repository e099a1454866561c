// The nft tokenizer, token by token. Positions are 1-based line:column as nft prints them in its
// errors (`nft -c -f` of nft 1.0.6 on this machine: an unterminated "eth0 on column 11 of
// `  iifname "eth0 accept` is reported at 4:11, a stray ` in `  tcp dport 22 ` accept` at 4:16);
// the other expected tokens are the input itself, split by hand as the comments say.
import { describe, expect, it } from 'vitest';
import { tokenize, type Tok } from '../../src/kernel/netfilter/nft-lexer.js';
import { RulesetError } from '../../src/kernel/netfilter/ir.js';
import { parseNftText } from '../../src/kernel/netfilter/nft-parse.js';

const toks = (s: string) => tokenize(s, 'f.nft').map((t: Tok) => [t.t, t.v, t.line, t.col]);
const fails = (s: string): string => {
  try {
    tokenize(s, 'f.nft');
  } catch (e) {
    expect(e).toBeInstanceOf(RulesetError);
    return (e as Error).message;
  }
  throw new Error(`no error for ${JSON.stringify(s)}`);
};

describe('nft tokenizer', () => {
  it('splits words, punctuation, newlines and the end, with their line and column', () => {
    expect(toks('ip saddr 10.0.0.0/8 accept\n\tct state { established,related }')).toEqual([
      ['word', 'ip', 1, 1], ['word', 'saddr', 1, 4], ['word', '10.0.0.0/8', 1, 10], ['word', 'accept', 1, 21], ['nl', '\n', 1, 27],
      // a tab is one column, as in nft's own positions
      ['word', 'ct', 2, 2], ['word', 'state', 2, 5], ['punct', '{', 2, 11], ['word', 'established', 2, 13], ['punct', ',', 2, 24],
      ['word', 'related', 2, 25], ['punct', '}', 2, 33], ['eof', '', 2, 34],
    ]);
  });

  it('reads every word character nft lists in one word', () => {
    // addresses, ranges, prefixes, variables, raw payloads, wildcards, priorities and flag masks
    for (const w of ['$lan_v4', '@ll', 'ab:cd:ef:01:02:03', 'fe80::1/64', '1-1024', 'eth*', 'filter+10', 'rt0', 'addr[1]', '~x', '5%', 'a_b']) {
      expect(toks(w)).toEqual([['word', w, 1, 1], ['eof', '', 1, w.length + 1]]);
    }
  });

  it('makes a lone . - / : punctuation and splits a key glued to its map colon ("22:")', () => {
    expect(toks('a . b - c / d : e')).toEqual([
      ['word', 'a', 1, 1], ['punct', '.', 1, 3], ['word', 'b', 1, 5], ['punct', '-', 1, 7], ['word', 'c', 1, 9], ['punct', '/', 1, 11],
      ['word', 'd', 1, 13], ['punct', ':', 1, 15], ['word', 'e', 1, 17], ['eof', '', 1, 18],
    ]);
    expect(toks('22: accept')).toEqual([['word', '22', 1, 1], ['punct', ':', 1, 3], ['word', 'accept', 1, 5], ['eof', '', 1, 11]]);
    // an IPv6 address or a MAC ending in ':' is not a glued key, nor is a word with another character
    expect(toks('::')).toEqual([['word', '::', 1, 1], ['eof', '', 1, 3]]);
    expect(toks('a::')).toEqual([['word', 'a::', 1, 1], ['eof', '', 1, 4]]);
    expect(toks('1.2:')).toEqual([['word', '1.2:', 1, 1], ['eof', '', 1, 5]]);
    expect(toks('x-y:')).toEqual([['word', 'x-y:', 1, 1], ['eof', '', 1, 5]]);
    expect(toks('a:b:')).toEqual([['word', 'a:b:', 1, 1], ['eof', '', 1, 5]]);
  });

  it('reads one- and two-character operators', () => {
    expect(toks('== != <= >= << >> < > = ! & | ^ ( ) ;').map((t) => t[1])).toEqual(
      ['==', '!=', '<=', '>=', '<<', '>>', '<', '>', '=', '!', '&', '|', '^', '(', ')', ';', ''],
    );
    expect(toks('1<<2')).toEqual([['word', '1', 1, 1], ['punct', '<<', 1, 2], ['word', '2', 1, 4], ['eof', '', 1, 5]]);
    expect(toks('a>=b')).toEqual([['word', 'a', 1, 1], ['punct', '>=', 1, 2], ['word', 'b', 1, 4], ['eof', '', 1, 5]]);
    expect(toks('!x')).toEqual([['punct', '!', 1, 1], ['word', 'x', 1, 2], ['eof', '', 1, 3]]);
    expect(toks('<>')).toEqual([['punct', '<', 1, 1], ['punct', '>', 1, 2], ['eof', '', 1, 3]]);
    expect(toks('><')).toEqual([['punct', '>', 1, 1], ['punct', '<', 1, 2], ['eof', '', 1, 3]]);
  });

  it('reads strings with escapes: an escaped star stays escaped (a literal star), any other escaped character is itself', () => {
    expect(toks('iifname "eth\\*" "a\\"b" "x y"')).toEqual([
      ['word', 'iifname', 1, 1], ['str', 'eth\\*', 1, 9], ['str', 'a"b', 1, 17], ['str', 'x y', 1, 24], ['eof', '', 1, 29],
    ]);
    expect(toks('"" x')).toEqual([['str', '', 1, 1], ['word', 'x', 1, 4], ['eof', '', 1, 5]]);
  });

  it('reads the device names nft 1.0.x lists between escaped quotes as strings', () => {
    expect(toks('devices = { \\"lo\\", \\"eth0\\" }')).toEqual([
      ['word', 'devices', 1, 1], ['punct', '=', 1, 9], ['punct', '{', 1, 11], ['str', 'lo', 1, 13], ['punct', ',', 1, 19],
      ['str', 'eth0', 1, 21], ['punct', '}', 1, 30], ['eof', '', 1, 31],
    ]);
    expect(fails('dev \\"lo')).toBe('f.nft:1:5: Error: unterminated string');
    // the closing \" on a later line does not close it
    expect(fails('dev \\"lo\nx \\"')).toBe('f.nft:1:5: Error: unterminated string');
    // a newline after the closing \" is no matter; on a later line the column is the line's own
    expect(toks('\\"lo\\"\n')).toEqual([['str', 'lo', 1, 1], ['nl', '\n', 1, 7], ['eof', '', 2, 1]]);
    expect(fails('x\ndev \\"lo')).toBe('f.nft:2:5: Error: unterminated string');
  });

  it('refuses an unterminated string at its opening quote, as nft -c does', () => {
    expect(fails('  iifname "eth0 accept\n}')).toBe('f.nft:1:11: Error: unterminated string');
    expect(fails('x\n  iifname "eth0')).toBe('f.nft:2:11: Error: unterminated string');
    // a string never spans lines, even when a quote follows on a later one (nft: unexpected junk)
    expect(fails('"a\nb"')).toBe('f.nft:1:1: Error: unterminated string');
    expect(fails('x\n "a\nb"')).toBe('f.nft:2:2: Error: unterminated string');
    // a backslash as the last character does not escape past the end
    expect(fails('"ab\\')).toBe('f.nft:1:1: Error: unterminated string');
  });

  it('refuses a character nft calls junk, at its column', () => {
    expect(fails('x\n  tcp dport 22 ` accept')).toBe("f.nft:2:16: Error: syntax error, unexpected character '`'");
    expect(fails('a \\ b')).toBe("f.nft:1:3: Error: syntax error, unexpected character '\\'");
    // a backslash continues a line only right before its end (LF or CR LF)
    expect(fails('a \\x\nb')).toBe("f.nft:1:3: Error: syntax error, unexpected character '\\'");
    expect(fails('a \\\rb')).toBe("f.nft:1:3: Error: syntax error, unexpected character '\\'");
  });

  it('drops comments but keeps `# handle N` (nft -a) as a handle token', () => {
    expect(toks('accept # handle 12\ndrop # a comment\n#handle 7')).toEqual([
      ['word', 'accept', 1, 1], ['handle', '12', 1, 8], ['nl', '\n', 1, 19],
      ['word', 'drop', 2, 1], ['nl', '\n', 2, 17],
      ['handle', '7', 3, 1], ['eof', '', 3, 10],
    ]);
    // only a comment that is a handle and nothing else: nft -c accepts `# handle 3 x` as a comment
    expect(toks('# handle 3 x').map((t) => t[0])).toEqual(['eof']);
    expect(toks('# note # handle 3').map((t) => t[0])).toEqual(['eof']);
    expect(toks('# handle x').map((t) => t[0])).toEqual(['eof']);
    expect(toks('#  handle   42  \n')).toEqual([['handle', '42', 1, 1], ['nl', '\n', 1, 17], ['eof', '', 2, 1]]);
  });

  it('joins a line continued by a backslash (nft -c accepts it at the end of `tcp dport 22`, then `accept`)', () => {
    expect(toks('tcp dport 22 \\\n accept')).toEqual([
      ['word', 'tcp', 1, 1], ['word', 'dport', 1, 5], ['word', '22', 1, 11], ['word', 'accept', 2, 2], ['eof', '', 2, 8],
    ]);
    // CR LF line ends (nft itself refuses a CR as junk; pktlife reads such a file as if it had LF)
    expect(toks('a \\\r\n b\r\nc')).toEqual([['word', 'a', 1, 1], ['word', 'b', 2, 2], ['nl', '\n', 2, 4], ['word', 'c', 3, 1], ['eof', '', 3, 2]]);
  });
});

describe('nft -a listings (handles)', () => {
  // `nft -a list ruleset` of nft 1.0.6 (fixtures/rulesets/nft-json-stmts/list.txt) puts the table's,
  // the chain's and the set's handle after their opening brace: `table inet t { # handle 9`
  const listing = 'table ip t { # handle 3\n\tset s { # handle 4\n\t\ttype ipv4_addr\n\t}\n\n\tchain c { # handle 1\n\t\ttype filter hook input priority filter; policy accept;\n\t\tip saddr @s accept # handle 5\n\t\tdrop # handle 6\n\t}\n}\n';
  it('reads them, the rules keeping their handles and the other handles making no rule', () => {
    const rs = parseNftText(listing, 'l.nft');
    const c = rs.tables[0]!.chains[0]!;
    expect(c.rules.map((r) => [r.handle, r.exprs.map((e) => e.k)])).toEqual([[5, ['lookup', 'verdict']], [6, ['verdict']]]);
    expect(c.base?.hook).toBe('input');
    expect([...rs.tables[0]!.sets.keys()]).toEqual(['s']);
  });
});

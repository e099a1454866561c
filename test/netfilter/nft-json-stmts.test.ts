// Every statement shape nft-json-text.ts writes, checked against nft 1.0.6 itself: the rule set
// fixtures/rulesets/nft-json-stmts/rules.nft was loaded with `nft -f` into a private network
// namespace of this machine (kernel 6.18) and listed back both ways, `nft -a list ruleset`
// (list.txt) and `nft -j list ruleset` (list.json): one kernel rule set, two listings
// (record.sh). The JSON of each rule, written as text, must read to the IR the text reader gives
// for nft's own text of that rule, and must be nft's text up to the spellings listed below.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNftJson } from '../../src/kernel/netfilter/nft-json.js';
import { parseNftText } from '../../src/kernel/netfilter/nft-parse.js';
import { ruleText } from '../../src/kernel/netfilter/nft-json-text.js';

const DIR = path.resolve(__dirname, '..', '..', 'fixtures', 'rulesets', 'nft-json-stmts');
const listText = fs.readFileSync(path.join(DIR, 'list.txt'), 'utf8');
const listJson = fs.readFileSync(path.join(DIR, 'list.json'), 'utf8');
type JRule = { family: string; table: string; chain: string; handle: number; expr: unknown[] };
const jsonRules: JRule[] = (JSON.parse(listJson).nftables as { rule?: JRule }[]).flatMap((x) => (x.rule ? [x.rule] : []));
/** nft's text of each rule by handle, its counters' values left out */
const textRules = new Map<string, string>();
{
  let table = '';
  for (const l of listText.split('\n')) {
    const t = /^table (\w+) (\w+) /.exec(l);
    if (t) table = `${t[1]} ${t[2]}`;
    const m = /^\t\t(.*) # handle (\d+)$/.exec(l);
    if (m) textRules.set(`${table} ${m[2]}`, m[1]!.replace(/ packets \d+ bytes \d+/g, ''));
  }
}

/**
 * Spellings where the text written from the JSON differs from nft's listing and means the same:
 * nft lists an equality without `==`, constants of integer types in hex (`0x00000001`), names
 * in quotes and the unqualified meta keys (meta_key_is_unqualified: iifname, oif...) without `meta`; the JSON keeps the default limit burst (5 packets) the text leaves out and the
 * default reject type (icmpx port-unreachable in inet), a flag mask as `& (a | b) == v` where the
 * text prints `v / a,b` (nft's two forms of one expression), and 0x12 as 18.
 */
function spelling(s: string): string {
  return s.replace(/\bmeta (iifname|oifname|iif|oif|iifgroup|oifgroup)\b/g, '$1').replace(/ == /g, ' ').replace(/0x[0-9a-f]+/g, (h) => String(parseInt(h, 16))).replace(/"/g, '');
}
/** nft's text (spelled as above) -> the text written from its JSON */
const DIFFERENT: Record<string, string> = {
  'tcp flags syn / fin,syn,rst,ack':
    'tcp flags & (fin | syn | rst | ack) syn',
  // nft 1.0.6 -j: "flags": ["tcp sequence", "tcp options"], each flag with its protocol
  'log prefix in:  flags tcp sequence,options':
    'log prefix in:  flags tcp sequence tcp options',
  'limit rate 10/minute':
    'limit rate 10/minute burst 5 packets',
  'meter m1 size 128 { ip saddr limit rate 10/second }':
    'meter m1 size 128 { ip saddr limit rate 10/second burst 5 packets }',
  'reject':
    'reject with icmpx port-unreachable',
};

describe('nft -j statements written as text (nft 1.0.6 listing of one rule set both ways)', () => {
  it('writes each rule as nft lists it, up to the spellings nft has two of', () => {
    expect(jsonRules.length).toBe(115);
    const used = new Set<string>();
    for (const r of jsonRules) {
      const want = textRules.get(`${r.family} ${r.table} ${r.handle}`);
      expect(want, `handle ${r.handle}`).toBeDefined();
      const got = spelling(ruleText(r.expr));
      expect(got, `handle ${r.handle}`).toBe(DIFFERENT[spelling(want!)] ?? spelling(want!));
      used.add(spelling(want!));
    }
    expect(Object.keys(DIFFERENT).filter((k) => !used.has(k))).toEqual([]);
  });

  it('reads both listings to the same IR, rule by rule', () => {
    const j = parseNftJson(listJson, 'list.json');
    const t = parseNftText(listText, 'list.txt');
    expect(j.tables.map((x) => `${x.family} ${x.name}`)).toEqual(t.tables.map((x) => `${x.family} ${x.name}`));
    let n = 0;
    for (const [ti, tj] of j.tables.entries()) {
      const tt = t.tables[ti]!;
      expect([...tj.sets.keys()]).toEqual([...tt.sets.keys()]);
      for (const [name, s] of tj.sets) expect({ ...s, src: undefined }, name).toEqual({ ...tt.sets.get(name)!, src: undefined });
      for (const cj of tj.chains) {
        const ct = tt.chains.find((c) => c.name === cj.name)!;
        expect(cj.rules.map((r) => r.handle), cj.name).toEqual(ct.rules.map((r) => r.handle));
        for (const [k, rj] of cj.rules.entries()) {
          n++;
          // the text of an unsupported statement may differ in its quotes (ct timeout set "to1")
          const ir = (x: unknown) => JSON.stringify(x).replace(/\\"/g, '');
          expect(ir(rj.exprs), `${cj.name} handle ${rj.handle}`).toBe(ir(ct.rules[k]!.exprs));
        }
      }
    }
    expect(n).toBe(115);
  });
});

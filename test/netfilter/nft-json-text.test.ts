// nft -j rules are written back in nft's text syntax and read by the text reader: same IR, same
// checks, same errors. The shapes below are what nft 1.0.6 printed on this machine
// (fixtures/rulesets/nft-json-dumps, recorded by its record.sh).
import { describe, expect, it } from 'vitest';
import { parseNftJson } from '../../src/kernel/netfilter/nft-json.js';
import { parseNftText } from '../../src/kernel/netfilter/nft-parse.js';
import { stmtText } from '../../src/kernel/netfilter/nft-json-text.js';

const doc = (family: string, expr: unknown[]) => JSON.stringify({ nftables: [
  { table: { family, name: 't' } },
  { chain: { family, table: 't', name: 'c', type: 'filter', hook: 'input', prio: 0, policy: 'accept' } },
  { rule: { family, table: 't', chain: 'c', handle: 7, expr } },
] });

describe('nft -j rules read through their text form', () => {
  it('writes each statement as nft lists it', () => {
    expect(stmtText({ match: { op: 'in', left: { payload: { protocol: 'tcp', field: 'flags' } }, right: ['syn', 'ack'] } })).toBe('tcp flags syn,ack');
    expect(stmtText({ match: { op: '==', left: { '&': [{ payload: { protocol: 'tcp', field: 'flags' } }, { '|': ['fin', { '|': ['syn', 'ack'] }] }] }, right: 'syn' } })).toBe('tcp flags & (fin | syn | ack) == syn');
    expect(stmtText({ match: { op: '==', left: { 'tcp option': { base: 255, offset: 0, len: 8 } }, right: false } })).toBe('tcp option 255 missing');
    expect(stmtText({ dnat: { addr: { range: ['2001:838:35f:1::', '2001:838:35f:2::'] }, port: 80 } })).toBe('dnat to [2001:838:35f:1::]-[2001:838:35f:2::]:80');
    expect(stmtText({ set: { op: 'add', elem: { elem: { val: { payload: { protocol: 'ip', field: 'saddr' } }, timeout: 60 } }, set: '@s' } })).toBe('add @s { ip saddr timeout 60s }');
  });

  it('reads a chain binding nft 1.0.6 prints as a text string inside the JSON, rule by rule', () => {
    // chains/dumps/0041chain_binding_0 as `nft -j list ruleset` printed it ("stmt ops chain have no json callback")
    const rs = parseNftJson(doc('inet', [{ match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'ipv6-icmp' } }, 'jump {\n\t\t\tip6 saddr ::1 counter packets 0 bytes 0 accept\n\t\t\tcounter packets 0 bytes 0 drop\n\t\t}']), 'b.json');
    const t = rs.tables[0]!;
    const rule = t.chains[0]!.rules[0]!;
    expect(rule.handle).toBe(7);
    const target = (rule.exprs[1] as { chain: string }).chain;
    expect(t.chains.find((c) => c.name === target)!.rules.map((r) => r.exprs.map((e) => e.k))).toEqual([['cmp', 'counter', 'verdict'], ['counter', 'verdict']]);
  });

  it('gives the text reader\'s IR and refuses what nft refuses, naming the object', () => {
    const json = parseNftJson(doc('bridge', [{ match: { op: '==', left: { payload: { protocol: 'vlan', field: 'id' } }, right: 4094 } }, { counter: null }, { drop: null }]), 'v.json');
    const text = parseNftText('table bridge t {\n chain c {\n  type filter hook input priority 0;\n  vlan id 4094 counter drop\n }\n}\n', 'v.nft');
    expect(json.tables[0]!.chains[0]!.rules[0]!.exprs).toEqual(text.tables[0]!.chains[0]!.rules[0]!.exprs);
    expect(() => parseNftJson(doc('bridge', [{ match: { op: '==', left: { payload: { protocol: 'vlan', field: 'id' } }, right: 4096 } }]), 'v.json'))
      .toThrow('v.json:1:1: Error: object 2 (rule handle 7 in chain c): Value 4096 exceeds valid range 0-4095 [as text: vlan id == 4096]');
  });
});

// Bad rule files give a RulesetError naming file, line and column — never another exception or a
// hang. Deterministic mutations of the real fixtures (short here; the parsers are linear).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNftText } from '../../src/kernel/netfilter/nft-parse.js';
import { parseNftJson } from '../../src/kernel/netfilter/nft-json.js';
import { parseIptablesSave } from '../../src/kernel/netfilter/iptables.js';
import { RulesetError, type IrRuleset } from '../../src/kernel/netfilter/ir.js';
import { createNfHooks } from '../../src/kernel/netfilter/index.js';
import { host } from './helpers.js';

function rng(seed: number) {
  let x = seed;
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 2 ** 32; };
}
const PIECES = ['{', '}', ';', '\n', '"', '-', '/', ':', '.', ',', '@', '$x', ' ', 'tcp', 'dport', '!', '-j', '*', '999999999999', '::', '#'];

function mutate(text: string, r: () => number): string {
  let s = text;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * s.length);
    const k = r();
    if (k < 0.4) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 8));
    else if (k < 0.8) s = s.slice(0, at) + PIECES[Math.floor(r() * PIECES.length)] + s.slice(at);
    else s = s.slice(0, at) + s.slice(at).replace(/\d/, String(Math.floor(r() * 10)));
  }
  return s;
}

const empty = (): IrRuleset => ({ tables: [], ipsets: new Map(), notes: [] });
const cases: [string, string, (t: string) => unknown][] = [
  ['nft text', readFileSync('fixtures/rulesets/nft-native.txt', 'utf8'), (t) => parseNftText(t, 'm.nft')],
  ['firewall.nft', readFileSync('fixtures/rulesets/src/firewall.nft', 'utf8'), (t) => parseNftText(t, 'm.nft')],
  ['iptables-save', readFileSync('fixtures/rulesets/iptables-nft.rules', 'utf8'), (t) => parseIptablesSave(t, 'm.rules', 'ip', empty(), true)],
  ['nft -j', readFileSync('fixtures/rulesets/nft-native.json', 'utf8'), (t) => parseNftJson(t, 'm.json')],
];

describe('mutated rule files', () => {
  for (const [name, text, parse] of cases) {
    it(`${name}: parse or a positioned RulesetError, 150 mutations`, () => {
      const r = rng(name.length * 7919);
      let errors = 0;
      for (let i = 0; i < 150; i++) {
        const m = mutate(text, r);
        try {
          parse(m);
          // what parses must also compile (or name the rule that cannot)
          if (name !== 'nft -j') {
            try {
              createNfHooks(name === 'iptables-save' ? host({ iptables: m }) : host({ nft: m }), { sendReject() {} });
            } catch (e) {
              if (!/^(nft\.txt|iptables\.rules):\d+(:\d+)?: Error: /.test(String((e as Error).message))) throw new Error(`mutation ${i} of ${name}: compile threw ${String(e)}\n--- input ---\n${m}`);
            }
          }
        } catch (e) {
          if (String(e).includes('compile threw')) throw e;
          if (!(e instanceof RulesetError)) throw new Error(`mutation ${i} of ${name} threw ${String(e)}\n--- input ---\n${m}`);
          expect(e.message).toMatch(/^m\.(nft|rules|json):\d+:\d+: Error: /);
          errors++;
        }
      }
      expect(errors).toBeGreaterThan(10); // the mutations do break things
    });
  }

  it('a rule set that parses but is inconsistent (jump to a missing chain) is an error, not a crash', () => {
    const h = host({ nft: 'table ip t {\n\tchain c {\n\t\ttype filter hook input priority 0;\n\t\tjump nowhere\n\t}\n}\n' });
    expect(() => createNfHooks(h, { sendReject() {} })).toThrow(/^nft\.txt:4: Error: .*chain 'nowhere' does not exist/);
  });
});

// nft -j: every rule of nftables' tests/py in its JSON form (`NAME.t.json`, the `nft -j` form of
// each rule) read by pktlife's nft JSON reader in the first family its .t file lists, and compiled;
// and the real `nft -j list ruleset` of every shell-test dump (recorded on this machine's nft
// 1.0.6: fixtures/rulesets/nft-json-dumps/record.sh). Parity with the text reader is measured by
// comparing the IR both readers give for the same rule / the same dump. The counts are printed
// (docs/rulesets.md); the floors are what this commit reaches.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PY_DIR, SHELL_DIR, declJson, listPyFiles, readPyFile, tryPyRule } from './nft-py-corpus.js';
import { parseNftJson } from '../../src/kernel/netfilter/nft-json.js';
import { parseNftText } from '../../src/kernel/netfilter/nft-parse.js';
import type { IrRuleset } from '../../src/kernel/netfilter/ir.js';
import { createNfHooks } from '../../src/kernel/netfilter/index.js';
import { host, dev } from '../netfilter/helpers.js';

const have = fs.existsSync(PY_DIR);

/** "# rule" followed by its JSON expression array, as the .t.json files hold them */
function readJsonEntries(file: string): { rule: string; json: string }[] {
  const out: { rule: string; json: string }[] = [];
  let cur: { rule: string; lines: string[] } | null = null;
  const flush = () => { if (cur && cur.lines.length) out.push({ rule: cur.rule, json: cur.lines.join('\n') }); };
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('# ')) { flush(); cur = { rule: line.slice(2).trim(), lines: [] }; continue; }
    if (cur && line.trim() !== '') cur.lines.push(line);
  }
  flush();
  return out;
}

describe.skipIf(!have)('nft -j corpus (tests/py .t.json)', () => {
  it('reads the JSON form of the py rules, to the IR the text reader gives', () => {
    let total = 0, ok = 0, same = 0;
    const differ: string[] = [];
    const errors = new Map<string, number>();
    for (const f of listPyFiles()) {
      if (!fs.existsSync(`${f}.json`)) continue;
      const pf = readPyFile(f);
      const t = pf.tables[0];
      if (!t) continue;
      const spec = pf.chains.get(t.chains[0]!)?.spec ?? '';
      const m = /type (\w+) hook (\w+)(?: device (\w+))? priority (-?\d+)/.exec(spec);
      if (!m) continue;
      const okRules = new Map(pf.rules.filter((r) => r.ok).map((r) => [r.text.trim(), r]));
      for (const e of readJsonEntries(`${f}.json`)) {
        const rule = okRules.get(e.rule);
        if (!rule) continue;
        total++;
        try {
          const expr = JSON.parse(e.json);
          const chain: Record<string, unknown> = { family: t.family, table: t.name, name: t.chains[0], type: m[1], hook: m[2], prio: Number(m[4]), policy: 'accept' };
          if (m[3]) chain.dev = m[3];
          // the test's sets and named objects, declared as nft -j lists them
          const doc = { nftables: [{ table: { family: t.family, name: t.name } }, ...declJson(t.family, t.name, rule.decls), { chain }, { rule: { family: t.family, table: t.name, chain: t.chains[0], expr } }] };
          const rs = parseNftJson(JSON.stringify(doc), `${pf.rel}.json`);
          createNfHooks(host({}, [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['10.0.0.1/24'])]), { sendReject: () => undefined }, rs);
          ok++;
          const text = tryPyRule(pf, t.family, t.name, t.chains, rule).rs?.tables[0]?.chains.find((c) => c.name === t.chains[0])?.rules[0]?.exprs;
          const json = rs.tables[0]!.chains.find((c) => c.name === t.chains[0])?.rules[0]?.exprs;
          if (JSON.stringify(comparable(text)) === JSON.stringify(comparable(json))) same++;
          else differ.push(`${pf.rel}:${rule.line} ${rule.text}`);
        } catch (err) {
          const k = (err as Error).message.replace(/^.*?Error: /, '').replace(/'[^']*'|"[^"]*"|\d+/g, 'X').slice(0, 90);
          errors.set(k, (errors.get(k) ?? 0) + 1);
        }
      }
    }
    console.log(`nft -j py rules: ${ok}/${total} ';ok' rules (first family of each file) read and compiled from their JSON form; ${same}/${total} give the text reader's IR\n  not read, by error: ${[...errors.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${v} ${k}`).join('\n    ')}\n  other IR than the text (${differ.length}; the .t.json files are nft 1.0.2's listing: dependencies it adds or drops, vlan cfi/dei, merged intervals, limit bytes burst 5):\n    ${differ.join('\n    ')}`);
    expect(total).toBeGreaterThan(1000);
    expect(ok).toBeGreaterThanOrEqual(JSON_OK_FLOOR);
    expect(same).toBeGreaterThanOrEqual(JSON_SAME_FLOOR);
  });
});

const DUMPS_JSON = path.resolve(__dirname, '..', '..', 'fixtures', 'rulesets', 'nft-json-dumps');

describe.skipIf(!fs.existsSync(SHELL_DIR))('nft -j list ruleset of the shell-test dumps (recorded with nft 1.0.6)', () => {
  it('reads each recorded JSON listing to the IR the text reader gives for the dump', () => {
    const files = fs.readdirSync(DUMPS_JSON).filter((f) => f.endsWith('.json')).sort();
    let loaded = 0, same = 0;
    const differ: string[] = [];
    for (const f of files) {
      const [group, name] = f.replace(/\.json$/, '').split('__') as [string, string];
      const json = parseNftJson(fs.readFileSync(path.join(DUMPS_JSON, f), 'utf8'), f);
      createNfHooks(host({}, [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['10.0.0.1/24'])]), { sendReject: () => undefined }, json);
      loaded++;
      const text = parseNftText(fs.readFileSync(path.join(SHELL_DIR, group, 'dumps', `${name}.nft`), 'utf8'), `${group}/${name}.nft`);
      if (JSON.stringify(rulesetShape(text)) === JSON.stringify(rulesetShape(json))) same++;
      else differ.push(`${group}/${name}`);
    }
    console.log(`nft -j dumps: ${loaded}/${files.length} recorded listings load; ${same}/${files.length} give the text dump's IR; other: ${differ.join(', ')}`);
    expect(files.length).toBe(139); // 143 dumps, 4 this kernel or nft 1.0.6 does not load (record.sh)
    expect(loaded).toBe(files.length);
    expect(same).toBeGreaterThanOrEqual(DUMPS_SAME_FLOOR);
  });
});

/**
 * What decides evaluation, without what the JSON cannot carry: positions, the text of an
 * unsupported construct, set type names (nft 1.0.6 -j prints `typeof` sets by their base type,
 * "integer" for `typeof vlan id`) and a base chain's single device (nft 1.0.6 -j omits it).
 */
function comparable(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(comparable);
  if (x && typeof x === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (k === 'src' || k === 'handle' || k === 'what' || k === 'keyTypes' || k === 'keyLens' || k === 'dataType' || k === 'devices') continue;
      o[k] = k === 'elems' ? (v as unknown[]).map(comparable).map((e) => JSON.stringify(e)).sort() : comparable(v);
    }
    return o;
  }
  return x;
}

function rulesetShape(rs: IrRuleset): unknown {
  return rs.tables.map((t) => ({ family: t.family, name: t.name, sets: comparable([...t.sets.values()]), chains: t.chains.map((c) => comparable({ name: c.name, base: c.base, rules: c.rules.map((r) => r.exprs) })) }));
}

const JSON_OK_FLOOR = 1606;
const JSON_SAME_FLOOR = 1570;
const DUMPS_SAME_FLOOR = 138; // sets/0061anonymous_automerge: nft 1.0.6 lists the anonymous set merged, the 1.0.2 dump does not

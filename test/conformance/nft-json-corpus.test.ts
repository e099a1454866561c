// nft -j: every rule of nftables' tests/py in its JSON form (`NAME.t.json`, the `nft -j` form of
// each rule) read by pktlife's nft JSON reader in the first family its .t file lists, and compiled.
// The count is printed (docs/rulesets.md); the floor is what this commit reaches.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PY_DIR, listPyFiles, readPyFile } from './nft-py-corpus.js';
import { parseNftJson } from '../../src/kernel/netfilter/nft-json.js';
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
  it('reads the JSON form of the py rules', () => {
    let total = 0, ok = 0;
    const errors = new Map<string, number>();
    for (const f of listPyFiles()) {
      if (!fs.existsSync(`${f}.json`)) continue;
      const pf = readPyFile(f);
      const t = pf.tables[0];
      if (!t) continue;
      const spec = pf.chains.get(t.chains[0]!)?.spec ?? '';
      const m = /type (\w+) hook (\w+)(?: device (\w+))? priority (-?\d+)/.exec(spec);
      if (!m) continue;
      const okRules = new Set(pf.rules.filter((r) => r.ok).map((r) => r.text.trim()));
      for (const e of readJsonEntries(`${f}.json`)) {
        if (!okRules.has(e.rule)) continue;
        total++;
        try {
          const expr = JSON.parse(e.json);
          const chain: Record<string, unknown> = { family: t.family, table: t.name, name: t.chains[0], type: m[1], hook: m[2], prio: Number(m[4]), policy: 'accept' };
          if (m[3]) chain.dev = m[3];
          const doc = { nftables: [{ table: { family: t.family, name: t.name } }, { chain }, { rule: { family: t.family, table: t.name, chain: t.chains[0], expr } }] };
          const rs = parseNftJson(JSON.stringify(doc), `${pf.rel}.json`);
          createNfHooks(host({}, [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['10.0.0.1/24'])]), { sendReject: () => undefined }, rs);
          ok++;
        } catch (err) {
          const k = (err as Error).message.replace(/^.*?Error: /, '').replace(/'[^']*'|"[^"]*"|\d+/g, 'X').slice(0, 90);
          errors.set(k, (errors.get(k) ?? 0) + 1);
        }
      }
    }
    console.log(`nft -j py rules: ${ok}/${total} ';ok' rules (first family of each file) read and compiled from their JSON form\n  not read, by error: ${[...errors.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${v} ${k}`).join('\n    ')}`);
    expect(total).toBeGreaterThan(1000);
    expect(ok).toBeGreaterThanOrEqual(JSON_OK_FLOOR);
  });
});

const JSON_OK_FLOOR = 1591;

// Reads iptables' own extension tests (../shared/rulesets-corpus/iptables/extensions/*.t) and the
// real-world iptables-save dumps, and runs each through pktlife's iptables-save reader.
// The .t format (iptables-test.py): `:CHAIN,CHAIN` and `*table` headers, then
// `rule;saved form or =;OK|FAIL|NOMATCH[;variant...]`. iptables-test.py runs every line in every
// chain of its header with `iptables -t TABLE -A CHAIN rule`: OK must load in all of them, FAIL
// must be refused in all of them. libipt_* run with iptables, libip6t_* with ip6tables, libxt_*
// and iptables.t with iptables; libebt_* / libarpt_* are ebtables / arptables (not read here).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseIptablesSave } from '../../src/kernel/netfilter/iptables.js';
import type { IrRuleset } from '../../src/kernel/netfilter/ir.js';

const repoRoot = path.resolve(__dirname, '..', '..');
const candidates = [process.env.PKTLIFE_RULESETS, path.join(repoRoot, '..', 'shared', 'rulesets-corpus'), '/work/shared/rulesets-corpus'].filter(
  (p): p is string => typeof p === 'string' && p !== '',
);
export const RULESETS: string = candidates.find((p) => existsSync(path.join(p, 'iptables', 'extensions'))) ?? candidates[0]!;
export const haveRulesets = existsSync(path.join(RULESETS, 'iptables', 'extensions'));

export interface XtCase {
  file: string;
  line: number;
  family: 'ip' | 'ip6';
  table: string;
  chains: string[];
  rule: string;
  expect: 'OK' | 'FAIL';
}

/** every iptables/ip6tables line of the extension tests (NOMATCH lines: the kernel accepts them, the listing differs: OK) */
export function extensionCases(): XtCase[] {
  const dir = path.join(RULESETS, 'iptables', 'extensions');
  const out: XtCase[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.t') || f.startsWith('libebt_') || f.startsWith('libarpt_')) continue;
    const family = f.startsWith('libip6t_') ? 'ip6' : 'ip';
    let table = 'filter';
    let chains: string[] = [];
    const lines = readFileSync(path.join(dir, f), 'utf8').split('\n');
    lines.forEach((l, i) => {
      if (!l || l.startsWith('#') || l.startsWith('%') || l.startsWith('@')) return;
      if (l.startsWith('*')) { table = l.slice(1).trim(); return; }
      if (l.startsWith(':')) { chains = l.slice(1).trim().split(','); return; }
      const parts = l.split(';');
      if (parts.length < 3) return;
      const res = parts[2]!.trim();
      out.push({ file: f, line: i + 1, family, table, chains, rule: parts[0]!, expect: res === 'FAIL' ? 'FAIL' : 'OK' });
    });
  }
  return out;
}

const POLICY_CHAINS: Record<string, string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'], nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'], raw: ['PREROUTING', 'OUTPUT'], security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** the rule as an iptables-save file with one rule in CHAIN, read as iptables-restore would (strict); null when it loads, else the error */
export function tryRule(c: XtCase, chain: string, strict = true): string | null {
  const builtin = POLICY_CHAINS[c.table] ?? [];
  const decl = [...builtin.map((n) => `:${n} ACCEPT [0:0]`), ...(builtin.includes(chain) ? [] : [`:${chain} - [0:0]`])];
  const text = [`*${c.table}`, ...decl, `-A ${chain} ${c.rule}`, 'COMMIT', ''].join('\n');
  const rs: IrRuleset = { tables: [], ipsets: new Map(), notes: [] };
  try {
    parseIptablesSave(text, `${c.file}:${c.line}`, c.family, rs, false, strict);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** does pktlife treat the case as iptables does (loads in every chain / refused in every chain) */
export function judge(c: XtCase): { agree: boolean; error: string | null } {
  let err: string | null = null;
  let loaded = 0;
  for (const ch of c.chains) {
    const e = tryRule(c, ch);
    if (e === null) loaded++;
    else err ??= e;
  }
  const agree = c.expect === 'OK' ? loaded === c.chains.length : loaded === 0;
  return { agree, error: err };
}

export function realWorldDumps(): { name: string; text: string; family: 'ip' | 'ip6' }[] {
  const dir = path.join(RULESETS, 'real-world');
  return readdirSync(dir).filter((f) => f !== 'LICENSE').sort().map((name) => ({
    name, text: readFileSync(path.join(dir, name), 'utf8'), family: /ip6tables/.test(name) ? 'ip6' as const : 'ip' as const,
  }));
}

// Reader for nftables' own rule tests (tests/py/FAMILY/NAME.t, see the corpus' py/README):
// `:chain;type ... hook ...` chain headers, `*family;table;chains` tables, `!set type ...` and
// `%obj type ...` declarations, `?set elements` additions, and `rule;ok[;listed form]` /
// `rule;fail` lines. Lines starting with '-' are rules nft itself does not pass yet: skipped,
// as nft-test.py does without -e. Also where the corpus lives ($PKTLIFE_RULESETS, else
// ../shared/rulesets-corpus beside the repository, else /work/shared/rulesets-corpus).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { host, dev } from '../netfilter/helpers.js';
import { createNfHooks } from '../../src/kernel/netfilter/index.js';
import { parseNftText } from '../../src/kernel/netfilter/nft-parse.js';
import { RulesetError, type IrRuleset } from '../../src/kernel/netfilter/ir.js';
import { parseTimeMs } from '../../src/kernel/netfilter/nft-values.js';

const repoRoot = path.resolve(__dirname, '..', '..');
const candidates = [process.env.PKTLIFE_RULESETS, path.join(repoRoot, '..', 'shared', 'rulesets-corpus'), '/work/shared/rulesets-corpus'].filter(
  (p): p is string => typeof p === 'string' && p !== '',
);
export const RULESETS: string = candidates.find((p) => fs.existsSync(path.join(p, 'README.md'))) ?? candidates[0]!;
export const PY_DIR = path.join(RULESETS, 'nftables', 'py');
export const SHELL_DIR = path.join(RULESETS, 'nftables', 'shell', 'testcases');

export interface PyChain { name: string; spec: string }
export interface PyTable { family: string; name: string; chains: string[] }
export interface PyDecl { kind: 'set' | 'obj' | 'elem'; name: string; body: string; ok: boolean; line: number }
export interface PyRule { text: string; ok: boolean; listed?: string; line: number; col: number; decls: PyDecl[] }
export interface PyFile { file: string; rel: string; chains: Map<string, PyChain>; tables: PyTable[]; rules: PyRule[] }

export function listPyFiles(): string[] {
  if (!fs.existsSync(PY_DIR)) return [];
  const out: string[] = [];
  for (const fam of fs.readdirSync(PY_DIR).sort()) {
    const d = path.join(PY_DIR, fam);
    if (!fs.statSync(d).isDirectory()) continue;
    for (const f of fs.readdirSync(d).sort()) if (f.endsWith('.t')) out.push(path.join(d, f));
  }
  return out;
}

export function readPyFile(file: string): PyFile {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const pf: PyFile = { file, rel: path.relative(PY_DIR, file), chains: new Map(), tables: [], rules: [] };
  // declarations in effect for the rules that follow them (nft-test.py adds them as it reads)
  const decls: PyDecl[] = [];
  lines.forEach((raw, i) => {
    const line = raw.replace(/\s+$/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('-')) return;
    const n = i + 1;
    if (line.startsWith(':')) {
      const [name, spec] = line.slice(1).split(';');
      pf.chains.set(name!, { name: name!, spec: spec ?? '' });
    } else if (line.startsWith('*')) {
      const [family, name, chains] = line.slice(1).split(';');
      pf.tables.push({ family: family!, name: name!, chains: (chains ?? '').split(',').filter(Boolean) });
    } else if (line[0] === '!' || line[0] === '%' || line[0] === '?') {
      const semi = line.lastIndexOf(';');
      const body = line.slice(1, semi);
      const sp = body.indexOf(' ');
      decls.push({ kind: line[0] === '!' ? 'set' : line[0] === '%' ? 'obj' : 'elem', name: body.slice(0, sp), body: body.slice(sp + 1), ok: line.slice(semi + 1) === 'ok', line: n });
    } else {
      // rule;ok | rule;fail | rule;ok;listed form (the rule itself may hold ';' only inside quotes: never in this corpus)
      const parts = line.split(';');
      const verdict = parts[1]?.trim();
      if (verdict !== 'ok' && verdict !== 'fail') return;
      pf.rules.push({ text: parts[0]!, ok: verdict === 'ok', listed: parts[2] || undefined, line: n, col: 1, decls: [...decls] });
    }
  });
  return pf;
}

/** `add set|element|<object>` commands for the declarations marked ok (fail ones are refused by nft and never exist) */
export function declCommands(family: string, table: string, decls: PyDecl[]): string[] {
  const out: string[] = [];
  for (const d of decls) {
    if (!d.ok) continue;
    if (d.kind === 'set') {
      const body = d.body.replace(/^type /, '').replace(/\s+(flags|timeout|size|policy|gc-interval)\s/g, '; $1 ');
      out.push(`add set ${family} ${table} ${d.name} { type ${body}; }`);
    } else if (d.kind === 'elem') out.push(`add element ${family} ${table} ${d.name} { ${d.body} }`);
    else {
      // %name type counter | type quota 25 mbytes | type ct helper { ... } | type limit rate ... | type synproxy ...
      const m = /^type\s+(ct helper|ct timeout|ct expectation|counter|quota|limit|synproxy|secmark)\s*(.*)$/.exec(d.body);
      if (!m) continue;
      const rest = m[2]!.trim();
      out.push(`add ${m[1]} ${family} ${table} ${d.name} ${rest.startsWith('{') ? rest : `{ ${rest} }`}`);
    }
  }
  return out;
}

/** the same declarations as `nft -j` objects (sets with type/flags/timeout, named objects by name) */
export function declJson(family: string, table: string, decls: PyDecl[]): unknown[] {
  const out: unknown[] = [];
  for (const d of decls) {
    if (!d.ok) continue;
    if (d.kind === 'set') {
      const m = /^type (.+?)(?: flags (\S+))?(?: timeout (\S+))?$/.exec(d.body);
      if (!m) continue;
      const types = m[1]!.split(/\s*\.\s*/);
      const set: Record<string, unknown> = { family, table, name: d.name, type: types.length === 1 ? types[0] : types };
      if (m[2]) set.flags = m[2].split(',');
      if (m[3]) set.timeout = (parseTimeMs(m[3]) ?? 0) / 1000;
      out.push({ set });
    } else if (d.kind === 'obj') {
      const m = /^type\s+(ct helper|ct timeout|ct expectation|counter|quota|limit|synproxy|secmark)\b/.exec(d.body);
      if (!m) continue;
      // nft -j lists a ct helper with its body: {"type": "ftp", "protocol": "tcp", "l3proto": "ip"}
      const h = m[1] === 'ct helper' ? /type\s+"([^"]+)"\s+protocol\s+(\w+)(?:;\s*l3proto\s+(\w+))?/.exec(d.body) : null;
      out.push({ [m[1]!]: { family, table, name: d.name, ...(h ? { type: h[1], protocol: h[2], ...(h[3] ? { l3proto: h[3] } : {}) } : {}) } });
    }
  }
  return out;
}

/** the chain header nft-test.py creates: `add chain FAMILY TABLE NAME { SPEC; }` */
export function chainCommand(family: string, table: string, ch: PyChain): string {
  return `add chain ${family} ${table} ${ch.name} { ${ch.spec}; }`;
}

function devices() {
  return [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['10.0.0.1/24']), dev(3, 'eth1', ['192.0.2.1/24'])];
}

export interface PyOutcome { file: string; family: string; rule: PyRule; error: string | null; unsupported: number; what: string[] }

/** parse + compile one py rule in one family's table; the rule is the last line of the text so errors point at it
 * (`hooks` false: parse only, for a caller that compiles the table itself) */
export function tryPyRule(pf: PyFile, family: string, table: string, chains: string[], rule: PyRule, hooks = true): { error: string | null; rs?: IrRuleset; unsupported?: string[] } {
  const head = [`add table ${family} ${table}`];
  for (const c of chains) {
    const ch = pf.chains.get(c);
    if (ch) head.push(chainCommand(family, table, ch));
  }
  head.push(...declCommands(family, table, rule.decls));
  const chain = chains[0]!;
  const prefix = `add rule ${family} ${table} ${chain} `;
  const text = `${head.join('\n')}\n${prefix}${rule.text}\n`;
  const ruleLine = head.length + 1;
  const rel = pf.rel;
  try {
    const rs = parseNftText(text, rel);
    if (!hooks) return { error: null, rs };
    const h = host({}, devices());
    const nf = createNfHooks(h, { sendReject: () => undefined }, rs) as { unsupported?: string[] };
    return { error: null, rs, unsupported: nf.unsupported ?? [] };
  } catch (e) {
    if (e instanceof RulesetError) {
      // map the synthetic text back to the .t file: the rule's own line and column
      if (e.line === ruleLine) return { error: `${rel}:${rule.line}:${Math.max(1, e.col - prefix.length)}: Error: ${e.problem}` };
      return { error: `${rel}:${rule.line}:1: Error: (in the test's declarations) ${e.problem}` };
    }
    return { error: `${rel}:${rule.line}:1: ${(e as Error).message}` };
  }
}

export function runPyCorpus(): PyOutcome[] {
  const out: PyOutcome[] = [];
  for (const f of listPyFiles()) {
    const pf = readPyFile(f);
    for (const t of pf.tables) {
      for (const rule of pf.rules) {
        const r = tryPyRule(pf, t.family, t.name, t.chains, rule);
        out.push({ file: pf.rel, family: t.family, rule, error: r.error, unsupported: r.unsupported?.length ?? 0, what: r.unsupported ?? [] });
      }
    }
  }
  return out;
}


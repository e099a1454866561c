// `iptables-save` / `ip6tables-save` -> IR, translated the way iptables-nft does (xlate):
// tables raw/mangle/nat/filter/security become `ip|ip6 <table>` with base chains at the
// iptables priorities, each rule keeps its iptables-save line as identity and source.
// Each rule is parsed and checked as iptables and the kernel would (xt_parse.ts: a rule they
// refuse is refused here, with file:line:col) and translated by xt_ir.ts. A match or target the
// model does not evaluate becomes {k:'unsupported'}: reported once, and frames whose result
// depends on it are marked.

import { RulesetError, newTable, type BaseChainDef, type IrRule, type IrRuleset, type IrTable } from './ir.js';
import { parseXtRule, XtUnknown, type XtWord } from './xt_parse.js';
import { xtToIr } from './xt_ir.js';

const HOOKS: Record<string, string> = { PREROUTING: 'prerouting', INPUT: 'input', FORWARD: 'forward', OUTPUT: 'output', POSTROUTING: 'postrouting' };

/** priorities of the x_tables tables (NF_IP_PRI_*); iptables-nft registers security at 150 (measured, see fixtures/rulesets) */
function tablePrio(table: string, chain: string, nftBackend: boolean): number {
  switch (table) {
    case 'raw': return -300;
    case 'mangle': return -150;
    case 'nat': return chain === 'PREROUTING' || chain === 'OUTPUT' ? -100 : 100;
    case 'filter': return 0;
    case 'security': return nftBackend ? 150 : 50;
    default: return 0;
  }
}

/**
 * `strict`: refuse what iptables-restore refuses (an unknown extension or option, a set or nfacct
 * object the snapshot does not have); without it a dump's unknown extension makes its rule
 * `unsupported` instead of failing the load.
 */
export function parseIptablesSave(text: string, file: string, family: 'ip' | 'ip6', rs: IrRuleset, nftBackend = false, strict = false): void {
  const lines = text.split('\n');
  let tb: IrTable | null = null;
  const origin = family === 'ip' ? 'iptables' : 'ip6tables';
  // iptables-nft-save prints a table nft created natively as an empty stub after this comment:
  // its chains are not the kernel's (measured: fixtures/kernel/*/host/iptables.rules)
  const foreign = new Set<string>();
  let skipping = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.trim();
    const ln = i + 1;
    const inc = /^# Table `(\w+)' contains incompatible base-chains/.exec(line);
    if (inc) {
      foreign.add(inc[1]!);
      rs.notes.push(`${file}:${ln}: table ${family} ${inc[1]} was created by nft, not iptables: read from the nft rule set instead`);
      continue;
    }
    if (!line || line.startsWith('#')) continue;
    if (skipping) {
      if (line === 'COMMIT') skipping = false;
      continue;
    }
    if (line.startsWith('*')) {
      const name = line.slice(1).trim();
      if (foreign.has(name)) { skipping = true; continue; }
      if (!['raw', 'mangle', 'nat', 'filter', 'security'].includes(name)) throw new RulesetError(file, ln, 1, `unknown table '${name}'`);
      tb = rs.tables.find((t) => t.family === family && t.name === name && t.origin === origin) ?? null;
      if (!tb) {
        tb = newTable(family, name, origin);
        rs.tables.push(tb);
      }
      continue;
    }
    if (line === 'COMMIT') { tb = null; continue; }
    if (!tb) throw new RulesetError(file, ln, 1, 'rule or chain outside a table (missing *table line)');
    if (line.startsWith(':')) {
      const m = /^:(\S+)\s+(\S+)/.exec(line);
      if (!m) throw new RulesetError(file, ln, 1, 'bad chain line');
      const [, name, pol] = m as unknown as [string, string, string];
      const hook = HOOKS[name];
      const ch = { name, rules: [] as IrRule[], src: { file, line: ln, text: line } } as IrTable['chains'][number];
      if (hook && pol !== '-') {
        const base: BaseChainDef = {
          type: tb.name === 'nat' ? 'nat' : tb.name === 'mangle' && name === 'OUTPUT' ? 'route' : 'filter',
          hook, priority: tablePrio(tb.name, name, nftBackend), policy: pol === 'DROP' ? 'drop' : 'accept',
        };
        ch.base = base;
      }
      tb.chains.push(ch);
      continue;
    }
    const body = line.replace(/^\[\d+:\d+\]\s*/, '');
    if (!body.startsWith('-A ')) throw new RulesetError(file, ln, 1, `unexpected line '${line.slice(0, 40)}'`);
    const words = splitWords(body, file, ln);
    const chainName = words[1]?.w;
    if (chainName === undefined) throw new RulesetError(file, ln, 4, '-A needs a chain');
    const ch = tb.chains.find((c) => c.name === chainName);
    if (!ch) throw new RulesetError(file, ln, 4, `chain '${chainName}' not declared`);
    const rule: IrRule = { handle: ch.rules.length + 1, exprs: [], src: { file, line: ln, text: body }, iptables: true };
    const colBase = raw.indexOf(body) + 1 + body.indexOf(chainName) + chainName.length + 1;
    let xr;
    try {
      xr = parseXtRule(words.slice(2), { file, line: ln, family, table: tb.name, chain: chainName, chains: new Set(tb.chains.map((c) => c.name)), strict, nftBackend }, colBase);
    } catch (e) {
      if (!(e instanceof XtUnknown)) throw e;
      rule.exprs.push({ k: 'unsupported', what: e.message });
      ch.rules.push(rule);
      continue;
    }
    // the kernel refuses a rule naming a set (ip_set_nfnl_get_byname) or an nfacct object that does not exist
    const sets = [...xr.matches.map((m) => m.name === 'set' ? (m.opts.get('match-set') ?? m.opts.get('set'))?.v[0] : undefined),
      ...['add-set', 'del-set', 'map-set'].map((k) => xr.target?.name === 'SET' ? xr.target.opts.get(k)?.v[0] : undefined)];
    for (const name of sets) if (name !== undefined && (strict || rs.ipsets.size > 0) && !rs.ipsets.has(name)) throw new RulesetError(file, ln, colBase, `Set ${name} doesn't exist (not in the ipset save)`);
    for (const m of xr.matches) {
      if (m.name !== 'nfacct') continue;
      const name = m.opts.get('nfacct-name')?.v[0] ?? '';
      // nfacct_mt_checkentry: nfnl_acct_find_get fails -> -ENOENT, iptables-restore refuses the rule
      if ((strict || rs.nfacct) && !rs.nfacct?.has(name)) throw new RulesetError(file, ln, colBase, `nfacct: the accounting object ${name} does not exist (${rs.nfacct ? 'not in nfacct.txt' : 'not in the snapshot'})`);
    }
    xtToIr(xr, rule, { file, line: ln, family, table: tb, notes: rs.notes, ipsets: rs.ipsets, nfacct: rs.nfacct });
    ch.rules.push(rule);
  }
}

function splitWords(s: string, file: string, ln: number): XtWord[] {
  const out: XtWord[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === ' ' || s[i] === '\t') { i++; continue; }
    if (s[i] === '"') {
      let j = i + 1, w = '';
      while (j < s.length && s[j] !== '"') { if (s[j] === '\\') j++; w += s[j]; j++; }
      if (j >= s.length) throw new RulesetError(file, ln, i + 1, 'unterminated quote');
      out.push({ w, quoted: true });
      i = j + 1;
    } else {
      let j = i;
      while (j < s.length && s[j] !== ' ' && s[j] !== '\t') j++;
      out.push({ w: s.slice(i, j) });
      i = j;
    }
  }
  return out;
}


/**
 * iptables-nft registers a built-in chain only once it has a rule or a policy was set, yet
 * iptables-save prints every built-in chain of a table (measured: fixtures/rulesets/evidence/
 * iptables-nft-chains). With the nf_tables backend the nft listing (`nft`, nft's table of the same
 * family and name, or null when the listing has no such table) says which base chains exist and at
 * which hook and priority; the rules stay the ones read from iptables-save.
 */
export function alignWithNft(t: IrTable, nft: IrTable | null, file: string, notes: string[]): void {
  const gone: string[] = [];
  for (const c of t.chains) {
    if (!c.base) continue;
    const n = nft?.chains.find((x) => x.name === c.name && x.base);
    if (!n) { gone.push(c.name); delete c.base; continue; }
    c.base = { ...c.base, type: n.base!.type, hook: n.base!.hook, priority: n.base!.priority, policy: n.base!.policy };
  }
  if (gone.length) notes.push(`${file}: ${t.family} ${t.name} ${gone.join(', ')}: not in the nft rule set (iptables-nft registers a built-in chain only with a rule or a policy): not attached to a hook`);
}

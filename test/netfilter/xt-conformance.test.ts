// Conformance of the iptables-save reader with iptables itself, on iptables' own extension tests
// (every `;OK` line must load in every chain of its header, every `;FAIL` line must be refused
// with an error naming file:line) and on the real-world dumps of ../shared/rulesets-corpus.
// The lines where pktlife still disagrees with iptables are listed in xt-known-disagreements.txt:
// the test fails when a line leaves or joins that list, so the counts only move on purpose.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extensionCases, haveRulesets, judge, realWorldDumps, tryRule } from './xt-corpus.js';
import { host, hooks } from './helpers.js';

const KNOWN = new URL('./xt-known-disagreements.txt', import.meta.url);

describe.skipIf(!haveRulesets)('iptables extensions/*.t', () => {
  it('loads the OK lines and refuses the FAIL lines as iptables does', () => {
    const cases = extensionCases();
    const bad: string[] = [];
    let okN = 0, okAgree = 0, failN = 0, failAgree = 0;
    for (const c of cases) {
      const j = judge(c);
      if (c.expect === 'OK') { okN++; if (j.agree) okAgree++; }
      else {
        failN++;
        if (j.agree) {
          failAgree++;
          // a refusal names the rule's place and the problem
          expect(j.error).toMatch(new RegExp(`^${c.file.replace(/\./g, '\\.')}:${c.line}:\\d+:\\d+: Error: \\S`));
        }
      }
      if (!j.agree) bad.push(`${c.file}:${c.line} ${c.expect} ${c.rule}`);
    }
    console.log(`iptables extensions: ${okAgree}/${okN} OK lines load, ${failAgree}/${failN} FAIL lines refused (${okAgree + failAgree}/${okN + failN} as iptables does)`);
    // XT_UPDATE_KNOWN=1 rewrites the list (review its diff before committing)
    if (process.env.XT_UPDATE_KNOWN) writeFileSync(KNOWN, `# extension test lines where pktlife does not yet do what iptables does (file:line expected rule)\n${bad.join('\n')}\n`);
    const known = readFileSync(KNOWN, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(bad).toEqual(known);
  });
});

describe.skipIf(!haveRulesets)('what the real iptables accepted loads from a dump', () => {
  // fixtures/rulesets/evidence/xt-extensions-real-iptables.txt: iptables 1.8.9 (nf_tables) on kernel
  // 6.18 ran every line; it accepts reversed ranges 1.8.11 refuses (--dport 4:3), which a kernel
  // then holds and iptables-save prints: the dump reading must load every line it accepted
  it('every line the machine\'s iptables accepted in all chains loads in the dump reading', () => {
    const real = new Map(readFileSync('fixtures/rulesets/evidence/xt-extensions-real-iptables.txt', 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
      const [f, line, , lc] = l.split(' ');
      const [a, b] = lc!.split('/');
      return [`${f}:${line}`, a === b];
    }));
    let n = 0;
    const bad: string[] = [];
    for (const c of extensionCases()) {
      if (!real.get(`${c.file}:${c.line}`)) continue;
      n++;
      for (const ch of c.chains) { const e = tryRule(c, ch, false); if (e) bad.push(e); }
    }
    console.log(`lines the real iptables 1.8.9 accepted: ${n}, all load in the dump reading`);
    expect(n).toBe(742); // of 1054: the FAIL lines it refused, the 43 OK lines it lacks modules or names for
    expect(bad).toEqual([]);
  });
});

describe.skipIf(!haveRulesets)('real-world iptables-save dumps', () => {
  it('every dump loads and compiles; what is not evaluated is named', () => {
    const dumps = realWorldDumps();
    const errors: string[] = [];
    const unsupported: string[] = [];
    for (const d of dumps) {
      try {
        const h = host(d.family === 'ip' ? { iptables: d.text } : { ip6tables: d.text });
        const nf = hooks(h) as unknown as { unsupported?: string[] };
        for (const u of nf.unsupported ?? []) unsupported.push(`${d.name}: ${u}`);
      } catch (e) { errors.push(`${d.name}: ${(e as Error).message}`); }
    }
    const kinds = new Map<string, number>();
    for (const u of unsupported) { const k = u.replace(/^.*?:\d+: /, '').replace(/ \(at column \d+\)/, '').split(' (')[0]!.split(' ').slice(0, 2).join(' '); kinds.set(k, (kinds.get(k) ?? 0) + 1); }
    console.log(`real-world dumps: ${dumps.length - errors.length}/${dumps.length} load; rules with a construct not evaluated: ${unsupported.length} (${[...kinds].map(([k, n]) => `${k} x${n}`).join(', ')})`);
    expect(errors).toEqual([]);
    // every unsupported construct is named with its file:line
    for (const u of unsupported) expect(u).toMatch(/^\S+: iptables\.rules:\d+: \S|^\S+: ip6tables\.rules:\d+: \S/);
  });
});

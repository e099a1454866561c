// node scripts/mutate-score.mjs [MODULE...] [--survivors]: the mutation scores kept in the repository,
// per module and file, from every Stryker incremental file (stryker/*.json, one per module or
// MUTATE_PART) and the judged equivalent mutants (stryker/equivalent/*.jsonl). Prints mutants,
// killed (+ timeout), survived, no coverage, equivalent, the score and the share of non-equivalent
// mutants killed (issue 17's measure), and names what the figures do not cover: files of a module
// with no results, files whose source changed since they were measured, lines never mutated, and
// equivalent entries that no longer match a survivor (their line moved or the mutant was killed).
import * as fs from 'node:fs';
import * as path from 'node:path';

const MODULES = ['kernel/netfilter', 'kernel/ipv4', 'kernel/ipv6', 'kernel/route', 'kernel/bridge', 'kernel/core',
  'kernel/neigh', 'kernel/transport', 'capture', 'packet', 'report', 'ui/filter.ts'];
const args = process.argv.slice(2);
const listSurvivors = args.includes('--survivors');
const wanted = args.filter((a) => !a.startsWith('--')).map((a) => a.replace(/^src\//, ''));
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const rel = (f) => (path.isAbsolute(f) ? path.relative(root, f) : f).split(path.sep).join('/');
const moduleOf = (file) => MODULES.find((m) => file === `src/${m}` || file.startsWith(`src/${m}/`));
const key = (file, line, column, mutator, replacement) => `${file}\t${line}:${column}\t${mutator}\t${replacement}`;

// results per source file. Parts may each have measured some lines of one file: the results of
// every incremental file whose stored source is today's are merged (one result per mutant); when
// none is today's, the results of one file are shown (flagged), and stale ones beside current
// ones are named in the notes.
const perFile = new Map();
const incDir = path.join(root, 'stryker');
const mkey = (m) => `${m.location.start.line}:${m.location.start.column}-${m.location.end.line}:${m.location.end.column}\t${m.mutatorName}\t${m.replacement ?? ''}`;
for (const name of fs.readdirSync(incDir).filter((n) => n.endsWith('.json')).sort()) {
  let j;
  try {
    j = JSON.parse(fs.readFileSync(path.join(incDir, name), 'utf8'));
  } catch (e) {
    console.error(`mutate-score: stryker/${name}: not JSON (${e.message})`);
    process.exitCode = 1;
    continue;
  }
  for (const [f, body] of Object.entries(j.files ?? {})) {
    const file = rel(f);
    const now = fs.existsSync(path.join(root, file)) ? fs.readFileSync(path.join(root, file), 'utf8') : null;
    const current = now !== null && now === body.source;
    const prev = perFile.get(file);
    const mutants = body.mutants ?? [];
    if (!prev) {
      perFile.set(file, { from: [name], current, gone: now === null, mutants: new Map(mutants.map((m) => [mkey(m), m])), stale: [] });
    } else if (current && prev.current) {
      prev.from.push(name);
      for (const m of mutants) {
        const old = prev.mutants.get(mkey(m));
        // a result beats no result; a kill (from another part's tests) beats a survivor
        if (!old || (old.status !== 'Killed' && old.status !== 'Timeout')) prev.mutants.set(mkey(m), m);
      }
    } else if (current && !prev.current) {
      perFile.set(file, { from: [name], current, gone: false, mutants: new Map(mutants.map((m) => [mkey(m), m])), stale: [...prev.stale, ...prev.from] });
    } else {
      prev.stale.push(name);
    }
  }
}
for (const r of perFile.values()) r.mutants = [...r.mutants.values()];

const equivalents = new Map();
const eqDir = path.join(incDir, 'equivalent');
if (fs.existsSync(eqDir)) {
  for (const name of fs.readdirSync(eqDir).filter((n) => n.endsWith('.jsonl')).sort()) {
    fs.readFileSync(path.join(eqDir, name), 'utf8').split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      let e;
      try {
        e = JSON.parse(line);
      } catch (err) {
        console.error(`mutate-score: stryker/equivalent/${name}:${i + 1}: not JSON (${err.message})`);
        process.exitCode = 1;
        return;
      }
      for (const k of ['file', 'line', 'column', 'mutator', 'replacement', 'reason']) {
        if (e[k] === undefined || e[k] === '') {
          console.error(`mutate-score: stryker/equivalent/${name}:${i + 1}: no "${k}"`);
          process.exitCode = 1;
          return;
        }
      }
      equivalents.set(key(rel(e.file), e.line, e.column, e.mutator, e.replacement), { where: `${name}:${i + 1}`, used: false });
    });
  }
}

const pct = (x, y) => (y ? `${((100 * x) / y).toFixed(2)} %` : '-');
const srcFiles = (m) => {
  const p = path.join(root, 'src', m);
  if (!fs.existsSync(p)) return [];
  if (fs.statSync(p).isFile()) return [`src/${m}`];
  const out = [];
  const walk = (d) => {
    for (const n of fs.readdirSync(d).sort()) {
      const q = path.join(d, n);
      if (fs.statSync(q).isDirectory()) walk(q);
      else if (n.endsWith('.ts') && !n.endsWith('.d.ts') && !n.endsWith('.test.ts')) out.push(rel(q));
    }
  };
  walk(p);
  return out;
};

const rows = [];
const survivorLines = [];
for (const m of MODULES) {
  if (wanted.length && !wanted.includes(m)) continue;
  const files = srcFiles(m);
  const tot = { n: 0, k: 0, s: 0, nc: 0, eq: 0 };
  const notes = [];
  let measured = 0;
  for (const file of files) {
    const r = perFile.get(file);
    if (!r) continue;
    measured++;
    const c = { n: 0, k: 0, s: 0, nc: 0, eq: 0 };
    let lo = Infinity;
    let hi = 0;
    for (const mu of r.mutants) {
      if (!['Killed', 'Timeout', 'Survived', 'NoCoverage'].includes(mu.status)) continue;
      c.n++;
      lo = Math.min(lo, mu.location.start.line);
      hi = Math.max(hi, mu.location.end.line);
      if (mu.status === 'Killed' || mu.status === 'Timeout') c.k++;
      else {
        const e = equivalents.get(key(file, mu.location.start.line, mu.location.start.column, mu.mutatorName, mu.replacement ?? ''));
        if (e) {
          e.used = true;
          c.eq++;
        } else {
          if (mu.status === 'Survived') c.s++;
          else c.nc++;
          if (listSurvivors) survivorLines.push(`${mu.status} ${file}:${mu.location.start.line}:${mu.location.start.column} ${mu.mutatorName}: ${JSON.stringify(mu.replacement ?? '')}`);
        }
      }
    }
    const lines = fs.existsSync(path.join(root, file)) ? fs.readFileSync(path.join(root, file), 'utf8').split('\n').length : 0;
    const flags = [r.current ? '' : r.gone ? 'file gone' : 'source changed since measured', c.n && (lo > 40 || hi < lines - 40) ? `mutants only on lines ${lo}-${hi} of ${lines}` : '', `from ${r.from.map((n) => `stryker/${n}`).join(' + ')}`, r.stale.length ? `older results not counted in ${r.stale.map((n) => `stryker/${n}`).join(', ')}` : ''].filter(Boolean).join('; ');
    rows.push([`  ${file}`, c.n, c.k, c.s, c.nc, c.eq, pct(c.k, c.n), pct(c.k, c.n - c.eq), flags]);
    for (const k of Object.keys(tot)) tot[k] += c[k];
  }
  // a file of types and constants only (no function) has no mutants worth a run
  const hasCode = (f) => /\b(function|class)\b|=>/.test(fs.readFileSync(path.join(root, f), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''));
  const missing = files.filter((f) => !perFile.has(f) && hasCode(f));
  if (!measured && !wanted.length) continue;
  if (missing.length) notes.push(`no results: ${missing.join(' ')}`);
  rows.push([m, tot.n, tot.k, tot.s, tot.nc, tot.eq, pct(tot.k, tot.n), pct(tot.k, tot.n - tot.eq), notes.join('; ')]);
}

const head = ['module / file', 'mutants', 'killed', 'survived', 'no cov.', 'equiv.', 'score', 'non-eq. killed', 'notes'];
const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const fmt = (r) => r.map((v, i) => (i === 0 || i === r.length - 1 ? String(v).padEnd(width[i]) : String(v).padStart(width[i]))).join('  ').trimEnd();
console.log(fmt(head));
for (const r of rows) console.log(fmt(r));
const shown = (k) => !wanted.length || wanted.includes(moduleOf(k.split('\t')[0]) ?? '');
const stale = [...equivalents.entries()].filter(([k, e]) => !e.used && shown(k));
if (stale.length) {
  console.log(`\n${stale.length} equivalent entries match no surviving mutant (moved line, changed source, or killed since):`);
  for (const [k, e] of stale) console.log(`  ${e.where}  ${k.replace(/\t/g, ' ')}`);
}
if (listSurvivors && survivorLines.length) console.log(`\nsurvivors not judged equivalent:\n${survivorLines.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).join('\n')}`);

// After a `npm run mutate` run of one module: rewrite reports/mutation/<module>.survivors.txt from
// the whole report (the live reporter only sees the mutants this run tested, not those reused from
// the incremental file), and replace the incremental file's projectRoot (Stryker writes
// process.cwd() there and never reads it back: the file names inside are relative) by "." so the
// committed file names no checkout.
import * as fs from 'node:fs';

const mod = process.argv[2];
const name = mod.replace(/\.ts$/, '').replace(/\//g, '-') + (process.env.MUTATE_PART ? `.${process.env.MUTATE_PART}` : '');
const inc = `stryker/${name}.json`;
if (fs.existsSync(inc)) {
  const j = JSON.parse(fs.readFileSync(inc, 'utf8'));
  if (j.projectRoot !== '.') {
    j.projectRoot = '.';
    fs.writeFileSync(inc, JSON.stringify(j, null, 2));
  }
}
const rep = `reports/mutation/${name}.json`;
if (fs.existsSync(rep)) {
  const j = JSON.parse(fs.readFileSync(rep, 'utf8'));
  const lines = [];
  const n = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, other: 0 };
  for (const [file, f] of Object.entries(j.files)) {
    for (const m of f.mutants) {
      n[m.status in n ? m.status : 'other']++;
      if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
      lines.push(`${m.status} ${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName}: ${JSON.stringify(m.replacement ?? '')}`);
    }
  }
  fs.writeFileSync(`reports/mutation/${name}.survivors.txt`, lines.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).join('\n') + '\n');
  const all = n.Killed + n.Timeout + n.Survived + n.NoCoverage;
  const pct = (x, y) => (y ? ((100 * x) / y).toFixed(2) : '-');
  console.log(`mutate ${mod}: ${all} mutants, killed ${n.Killed} + timeout ${n.Timeout}, survived ${n.Survived}, no coverage ${n.NoCoverage}` +
    ` (errors/ignored ${n.other}): score ${pct(n.Killed + n.Timeout, all)} %, covered ${pct(n.Killed + n.Timeout, all - n.NoCoverage)} %`);
}

// node scripts/mutate-merge.mjs OUT IN...: one Stryker incremental file from the files of line-range runs
// of a part (e.g. MUTATE_PART=v6a, v6b ... into stryker/kernel-ipv6.v6.json), so a later incremental
// run of the whole part reuses them all (mutate-score.mjs merges parts itself for its table): the
// union of the mutants of each source file (the same source in each input), test ids prefixed per
// input so killedBy / coveredBy still point at their own tests.
import * as fs from 'node:fs';
const [out, ...ins] = process.argv.slice(2);
let res = null;
for (const [n, f] of ins.entries()) {
  const j = JSON.parse(fs.readFileSync(f, 'utf8'));
  const p = `r${n}-`;
  if (!res) res = { ...j, files: {}, testFiles: {} };
  for (const [tf, body] of Object.entries(j.testFiles ?? {})) {
    const t = (res.testFiles[tf] ??= { ...body, tests: [] });
    if (t.source !== body.source) t.source = body.source; // a later run saw a newer test file
    for (const x of body.tests) t.tests.push({ ...x, id: p + x.id });
  }
  for (const [sf, body] of Object.entries(j.files)) {
    const s = (res.files[sf] ??= { ...body, mutants: [] });
    if (s.source !== body.source) throw new Error(`${f}: ${sf} differs from an earlier input`);
    const seen = new Set(s.mutants.map((m) => `${m.location.start.line}:${m.location.start.column}:${m.mutatorName}:${m.replacement}`));
    for (const m of body.mutants) {
      const k = `${m.location.start.line}:${m.location.start.column}:${m.mutatorName}:${m.replacement}`;
      if (seen.has(k)) continue;
      s.mutants.push({ ...m, id: p + m.id, killedBy: m.killedBy?.map((x) => p + x), coveredBy: m.coveredBy?.map((x) => p + x) });
    }
  }
}
fs.writeFileSync(out, JSON.stringify(res, null, 2));
console.log(Object.entries(res.files).map(([f, b]) => `${f}: ${b.mutants.length}`).join('\n'));

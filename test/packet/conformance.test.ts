// Decoder conformance against tshark's per-frame facts in the public corpus
// (../shared/corpus/ref/*.tsv; see its README). Prints a summary table; fails on any
// disagreement not listed with its reason in known-disagreements.ts.
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import { CORPUS, compareFile, manifest, type Disagreement } from './corpus-compare.js';
import { KNOWN } from './known-disagreements.js';

const have = fs.existsSync(CORPUS + '/manifest.jsonl');
if (!have) console.warn(`decoder conformance skipped: corpus not found at ${CORPUS}`);

function known(d: Disagreement): boolean {
  return KNOWN.some((k) => k.file === d.file && k.fields.includes(d.field) && (k.kind === 'differs' || d.ours === ''));
}

describe.skipIf(!have)('decoder conformance with tshark (corpus)', () => {
  it('agrees on addresses, protocol, ports, TTL, TCP flags and checksum verdicts', () => {
    let files = 0, frames = 0, fields = 0, agree = 0, knownN = 0;
    const unlisted: Disagreement[] = [];
    const usedKnown = new Set<string>();
    for (const m of manifest()) {
      const r = compareFile(m.file);
      files++;
      frames += r.compared;
      fields += r.fields;
      agree += r.agree;
      for (const d of r.disagreements) {
        if (known(d)) { knownN++; usedKnown.add(d.file); } else unlisted.push(d);
      }
    }
    const stale = KNOWN.filter((k) => !usedKnown.has(k.file)).map((k) => k.file);
    console.log([
      'decoder vs tshark 4.0.17',
      `  files                 ${files}`,
      `  frames compared       ${frames}`,
      `  fields compared       ${fields}`,
      `  fields agreeing       ${agree}`,
      `  known disagreements   ${knownN} (fields, in ${usedKnown.size} files; see test/packet/known-disagreements.ts)`,
      `  unlisted              ${unlisted.length}`,
    ].join('\n'));
    for (const d of unlisted.slice(0, 30)) console.log(`  UNLISTED ${d.file} #${d.frame} ${d.field}: ours=${d.ours} tshark=${d.theirs}`);
    expect(unlisted).toEqual([]);
    // a listed disagreement that no longer happens must be removed from the list
    expect(stale).toEqual([]);
    expect(frames).toBeGreaterThan(5000);
  });

  it('decodes every frame of the deliberately malformed tcpdump files without throwing', () => {
    const bad = manifest().filter((m) => m.file.startsWith('tcpdump/') && /oobr|overflow|asan|invalid/.test(m.file));
    expect(bad.length).toBeGreaterThan(20);
    let n = 0;
    for (const m of bad) n += compareFile(m.file).frames;
    expect(n).toBeGreaterThan(0);
  });
});

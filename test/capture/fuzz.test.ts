// Short mutation fuzz run (a few hundred mutants); the long one is test/fuzz/capture.fuzz.test.ts.
import { describe, expect, it } from 'vitest';
import { CORPUS, corpusPresent } from './corpus-util.js';
import { runFuzz } from './fuzz-core.js';

if (!corpusPresent) console.log(`capture fuzz SKIPPED: ${CORPUS} not found`);

describe.skipIf(!corpusPresent)('capture reader under mutation', () => {
  it('returns frames or throws CaptureError, never anything else; stops; bounded buffer', () => {
    const stats = runFuzz(CORPUS, 600, 20261123, 10);
    console.log(`capture fuzz (short): ${JSON.stringify(stats)}`);
    expect(stats.runs).toBe(600);
    // both outcomes must actually occur, or the mutations are not reaching the parser
    expect(stats.captureErrors).toBeGreaterThan(50);
    expect(stats.clean).toBeGreaterThan(50);
  });
  it('same through files inflated past the 1 MiB read chunk (refills, skips across chunks)', () => {
    const stats = runFuzz(CORPUS, 20, 77, 1, 3 << 20);
    console.log(`capture fuzz (short, inflated files): ${JSON.stringify(stats)}`);
    expect(stats.runs).toBe(20);
    expect(stats.frames).toBeGreaterThan(1000);
  });
});

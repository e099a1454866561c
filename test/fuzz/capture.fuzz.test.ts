// Long mutation fuzz of the capture reader: `npm run fuzz` (CAP_FUZZ_ITER, CAP_FUZZ_SEED to vary).
import { describe, expect, it } from 'vitest';
import { CORPUS, corpusPresent } from '../capture/corpus-util.js';
import { runFuzz } from '../capture/fuzz-core.js';

const ITER = Number(process.env.CAP_FUZZ_ITER ?? 50_000);
const SEED = Number(process.env.CAP_FUZZ_SEED ?? Date.now() % 1e9);

if (!corpusPresent) console.log(`capture fuzz SKIPPED: ${CORPUS} not found`);

describe.skipIf(!corpusPresent)('capture reader under mutation (long)', () => {
  it(`${ITER} mutants, seed ${SEED}`, () => {
    const stats = runFuzz(CORPUS, ITER, SEED, 20);
    console.log(`capture fuzz (long, seed ${SEED}): ${JSON.stringify(stats)}`);
    expect(stats.runs).toBe(ITER);
  });
});

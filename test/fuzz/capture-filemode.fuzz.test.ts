// Long mutation fuzz through files only (exercises the chunked file source: refills, growth,
// skips past the buffer): `npm run fuzz`.
import { describe, expect, it } from 'vitest';
import { CORPUS, corpusPresent } from '../capture/corpus-util.js';
import { runFuzz } from '../capture/fuzz-core.js';

const ITER = Number(process.env.CAP_FUZZ_FILE_ITER ?? 20_000);
const BIG = Number(process.env.CAP_FUZZ_BIG_ITER ?? 300);
const SEED = Number(process.env.CAP_FUZZ_SEED ?? Date.now() % 1e9);

if (!corpusPresent) console.log(`capture fuzz (file mode) SKIPPED: ${CORPUS} not found`);
describe.skipIf(!corpusPresent)('capture reader under mutation, file mode', () => {
  it(`${ITER} mutants via files, seed ${SEED}`, () => {
    const stats = runFuzz(CORPUS, ITER, SEED, 1);
    console.log(`capture fuzz (file mode, seed ${SEED}): ${JSON.stringify(stats)}`);
    expect(stats.runs).toBe(ITER);
  });
  it(`${BIG} mutants of inflated (> 3 MiB) files, seed ${SEED}`, () => {
    const stats = runFuzz(CORPUS, BIG, SEED, 1, 3 << 20);
    console.log(`capture fuzz (file mode, inflated, seed ${SEED}): ${JSON.stringify(stats)}`);
    expect(stats.runs).toBe(BIG);
    expect(stats.frames).toBeGreaterThan(BIG);
  });
});

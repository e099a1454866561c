// Long run of the decoder mutation property (npm run fuzz): PKTLIFE_FUZZ_SECONDS (default 60)
// of fresh seeds over every readable corpus file's first frames.
import { describe, it, expect } from 'vitest';
import { frameSamples, mutateAll } from '../packet/mutate.js';

describe('packet decoder fuzz', () => {
  it('never throws and keeps offsets inside the capture under random mutations', () => {
    const budget = Number(process.env.PKTLIFE_FUZZ_SECONDS ?? 60) * 1000;
    const samples = frameSamples(50);
    const t0 = Date.now();
    let seed = Number(process.env.PKTLIFE_SEED ?? 1), runs = 0;
    while (Date.now() - t0 < budget) runs += mutateAll(samples, seed++, 4);
    console.log(`packet decoder fuzz: ${runs} decodes, seeds ${Number(process.env.PKTLIFE_SEED ?? 1)}..${seed - 1}`);
    expect(runs).toBeGreaterThan(0);
  });
});

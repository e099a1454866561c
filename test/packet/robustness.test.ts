// Damaged input is data: random mutations and truncations of real frames never make
// decodeFrame or summarize throw, and every offset stays inside the captured bytes.
// The long version of this property runs under `npm run fuzz` (test/fuzz/packet-decode.fuzz.test.ts).
import { describe, it, expect } from 'vitest';
import { Decoded, decodeFrame } from '../../src/packet/decode.js';
import { summarize } from '../../src/packet/summary.js';
import { frameSamples, mutateAll } from './mutate.js';

describe('decoder robustness', () => {
  it('survives random byte mutations and truncations of real frames', () => {
    const samples = frameSamples();
    expect(samples.length).toBeGreaterThan(500);
    const runs = mutateAll(samples, Number(process.env.PKTLIFE_SEED ?? 20261123), 6);
    expect(runs).toBeGreaterThan(3000);
  });

  it('gives an empty or zero-length frame a problem, not a crash', () => {
    const d = new Decoded();
    for (const lt of [1, 113, 276, 101, 228, 229, 0, 108, 999]) {
      decodeFrame(new Uint8Array(0), 0, lt, d);
      expect(d.flags).not.toBe(0);
      expect(summarize(d).length).toBeGreaterThan(0);
    }
  });
});

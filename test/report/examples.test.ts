// The README's walk-through case is kept as a real golden case: if the model changes what
// happens to the bundled capture, this fails with the per-frame diff (then review it and run
// `pktlife test examples --update`).
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCases, formatResults, runCase } from '../../src/report/golden.js';

const ROOT = path.resolve(__dirname, '../..');

describe('golden cases in examples/', () => {
  const cases = findCases([path.join(ROOT, 'examples')]);
  it('finds the walk-through case', () => expect(cases.map((c) => path.basename(c))).toContain('firewall-review'));
  for (const dir of cases) {
    it(`${path.basename(dir)} still matches its golden file`, () => {
      const r = runCase(dir);
      expect(r.error).toBeUndefined();
      expect(r.diffs, formatResults([r], false)).toEqual([]);
      expect(r.frames).toBeGreaterThan(0);
    });
  }
});

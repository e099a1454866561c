// Helpers for keeping pktlife cases in a project's own test suite (vitest, jest ...):
//
//   import { goldenOf, runGoldenCase } from 'pktlife/testing';
//   test('web tier rules', async () => {
//     await expect(goldenOf('cases/web/web.pcapng', 'cases/host')).toMatchFileSnapshot('cases/web/expected.ndjson');
//   });
//   test('every case still passes', () => {
//     const r = runGoldenCase('cases/web');
//     expect(r.diffs, formatCaseResult(r)).toEqual([]);
//   });
//
// goldenOf gives the exact text `pktlife test --update` writes, so both stay interchangeable.
import { loadHostArg } from './host/load.js';
import type { Host } from './host/types.js';
import type { ReplayOptions } from './kernel/ctx.js';
import { formatResults, goldenText, replayAll, runCase, type CaseResult } from './report/golden.js';
import { withRules } from './report/rules-override.js';

export interface GoldenOptions extends Partial<ReplayOptions> {
  /** rule files replacing the host's rule set */
  rules?: string[];
  /** keep each record's timeline in the golden text */
  events?: boolean;
}

/** The golden-file text (ndjson, one fate record per frame) of a capture replayed against a host. */
export function goldenOf(capture: string, host: string | Host, opts: GoldenOptions = {}): string {
  let h = typeof host === 'string' ? loadHostArg(host) : host;
  if (opts.rules?.length) h = withRules(h, opts.rules);
  const ro: ReplayOptions = opts.iface ? { checksums: opts.checksums ?? 'auto', iface: opts.iface } : { checksums: opts.checksums ?? 'auto' };
  return goldenText(replayAll(capture, h, { ...ro, events: opts.events === true }), opts.events === true);
}

/** Run one case folder as `pktlife test` does; `diffs` is empty and `error` unset when it passes. */
export function runGoldenCase(dir: string): CaseResult {
  return runCase(dir, false);
}

/** The runner-style text of one result (for an assertion message). */
export function formatCaseResult(r: CaseResult): string {
  return formatResults([r], false);
}

export type { CaseResult, FrameDiff } from './report/golden.js';
export { compareRecords, parseGolden } from './report/compare.js';

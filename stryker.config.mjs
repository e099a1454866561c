// StrykerJS: mutation testing (`npm run mutate`, docs/testing.md). Not part of `npm test`.
// scripts/mutate.sh runs it one module at a time, each with its own incremental file under
// stryker/ (committed), so a run after a small change only retests the mutants it touches.
// MUTATE_MODULE (set by scripts/mutate.sh: kernel/route, capture, ui/filter.ts, ...) narrows the run
// to one module, with its own incremental file and report.
const mod = process.env.MUTATE_MODULE;
// MUTATE_PART (optional, e.g. `ct`) gives a big module one incremental file and report per part
// (stryker/kernel-netfilter.ct.json), so parts can be measured in parallel without sharing a file.
const part = process.env.MUTATE_PART ? `.${process.env.MUTATE_PART}` : '';
const name = (mod ? mod.replace(/\.ts$/, '').replace(/\//g, '-') : 'all') + part;
const only = mod ? [mod.endsWith('.ts') ? `src/${mod}` : `src/${mod}/**/*.ts`] : null;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts' },
  // each mutant runs only the tests that reached its code in the dry run
  coverageAnalysis: 'perTest',
  // static mutants (code run while test files load, e.g. a host built at describe level) would
  // each run every test of the module; they are left out of the score unless MUTATE_STATIC=1
  ignoreStatic: process.env.MUTATE_STATIC !== '1',
  mutate: [
    ...(only ?? ['src/kernel/**/*.ts',
    'src/capture/**/*.ts',
    'src/packet/**/*.ts',
    'src/report/**/*.ts',
    'src/ui/filter.ts']),
    '!src/**/*.test.ts',
    '!src/**/*.d.ts',
  ],
  incremental: true,
  incrementalFile: `stryker/${name}.json`,
  // a shared 2-core machine: one test runner by default (--concurrency N to change)
  concurrency: 1,
  timeoutMS: 5000,
  timeoutFactor: 1.5,
  reporters: ['clear-text', 'progress', 'json', 'survivors'],
  appendPlugins: ['./scripts/stryker-survivors.mjs'],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['reports', '.stryker-tmp', 'stryker'],
};

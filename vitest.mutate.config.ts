// The tests `npm run mutate` runs against a module's mutants (stryker.config.mjs): the module's own
// test folders and the kernel conformance, without the corpus-wide and UI runs that reach the
// code but check other things (they made each surviving kernel mutant cost a near-full suite on
// the shared 2-core machine). MUTATE_MODULE picks the set; the full suite stays `npm test`.
import * as os from 'node:os';
import * as path from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** the conformance files (corpus-wide, seconds each) after the unit tests: a mutant stops at its first
 * failing test (Stryker's bail), so one a quick test kills never waits for a corpus run */
class QuickFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const slow = (f: TestSpecification) => f.moduleId.includes('/test/conformance/');
    return [...sorted.filter((f) => !slow(f)), ...sorted.filter(slow)];
  }
}

const mod = process.env.MUTATE_MODULE ?? '';
const KERNEL = ['test/kernel/**/*.test.ts', 'test/netfilter/**/*.test.ts', 'test/conformance/kernel-fixtures.test.ts', 'test/conformance/normalise.test.ts', 'test/host/**/*.test.ts'];
const SETS: Record<string, string[]> = {
  capture: ['test/capture/reader.test.ts', 'test/capture/reader-fields.test.ts', 'test/capture/reader-sources.test.ts', 'test/capture/pcapng-writer.test.ts', 'test/capture/pcapng-writer-edges.test.ts', 'test/capture/corpus.test.ts', 'test/capture/tshark-compare.test.ts', 'test/capture/pcap-parser.test.ts', 'test/cli/bad-input.test.ts', 'test/report/export.test.ts'],
  packet: ['test/packet/**/*.test.ts'],
  report: ['test/report/**/*.test.ts'],
  'ui/filter.ts': ['test/ui/store-filter.test.ts'],
};
// MUTATE_TESTS (comma-separated globs) narrows a run to the tests that pin the mutated files, so a
// part of a big module is measured in minutes instead of hours; the score is then a floor (a mutant
// only a test outside the set would catch counts as survived) and docs/testing.md names the set.
const narrowed = process.env.MUTATE_TESTS?.split(',').map((g) => g.trim()).filter(Boolean);
const include = narrowed?.length ? narrowed : mod.startsWith('kernel/') ? KERNEL : SETS[mod] ?? ['test/**/*.test.ts', 'test/**/*.test.tsx'];

export default defineConfig({
  test: {
    include,
    exclude: ['test/fuzz/**', 'node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    // MUTATE_ISOLATE=0: one module graph for all test files of a mutant run (and across runs), instead
    // of importing src/ again for each test file: several times faster for a part whose tests replay
    // recordings. Mutants switch at run time, so cached modules still run the active one; what a
    // module-level cache kept from an earlier mutant's run is not rebuilt (docs/testing.md names
    // such caches where a part used it).
    isolate: process.env.MUTATE_ISOLATE !== '0',
    reporters: ['default'],
    sequence: { sequencer: QuickFirst },
    // tshark's answers kept by the hash of the bytes it read (test/capture/tshark-util.ts tsharkRun):
    // a capture mutant that leaves a file's bytes alone does not start tshark again
    env: { PKTLIFE_TSHARK_CACHE: path.join(os.tmpdir(), 'pktlife-tshark-cache') },
  },
});

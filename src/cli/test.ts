// `pktlife test [DIR...] [--update]`: golden-file regression cases.
import type { Command } from 'commander';
import { findCases, formatResults, runCase } from '../report/golden.js';

export function register(program: Command): void {
  program
    .command('test')
    .description('replay golden-file cases (capture + host snapshot + expected.ndjson) and report what changed')
    .addHelpText('after', `
Examples:
  pktlife test examples                  # every case folder under examples/
  pktlife test cases/web --update        # accept the new results (review with git diff)`)
    .argument('[dirs...]', 'case folders, or folders holding cases', ['.'])
    .option('--update', 'rewrite the golden files from the current model')
    .action((dirs: string[], o: { update?: boolean }) => {
      let cases: string[];
      try {
        cases = findCases(dirs);
      } catch (e) {
        process.stderr.write(`pktlife test: ${(e as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      if (!cases.length) {
        process.stderr.write(`pktlife test: no cases under ${dirs.join(' ')} (a case folder holds case.json or expected.ndjson, or one capture file)\n`);
        process.exitCode = 2;
        return;
      }
      const results = cases.map((d) => runCase(d, o.update === true));
      process.stdout.write(formatResults(results, o.update === true));
      if (results.some((r) => r.error || r.diffs.length)) process.exitCode = 1;
    });
}

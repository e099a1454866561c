// `pktlife snapshot [--netns NAME] OUTDIR`: record a host snapshot directory (src/host/snapshot.ts).
import type { Command } from 'commander';
import { SnapshotError, takeSnapshot } from '../host/snapshot.js';

export function register(program: Command): void {
  program
    .command('snapshot')
    .description('record this host (or a network namespace) as a snapshot directory for replay --host')
    .option('--netns <name>', 'snapshot the named network namespace (ip netns exec NAME ...)')
    .argument('<outdir>', 'directory to write (created if missing)')
    .action((outdir: string, opts: { netns?: string }) => {
      try {
        const r = takeSnapshot(outdir, { netns: opts.netns ?? null, warn: (m) => process.stderr.write(`pktlife snapshot: ${m}\n`) });
        process.stderr.write(`pktlife snapshot: wrote ${r.written.length} files to ${outdir}\n`);
      } catch (e) {
        if (e instanceof SnapshotError) {
          process.stderr.write(`pktlife snapshot: ${e.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw e;
      }
    });
}

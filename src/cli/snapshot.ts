// `pktlife snapshot [--netns NAME] OUTDIR`: record a host snapshot directory (src/host/snapshot.ts);
// `pktlife snapshot --script`: print the same as a POSIX sh script for hosts without Node.
import type { Command } from 'commander';
import { SnapshotError, takeSnapshot } from '../host/snapshot.js';
import { snapshotScript } from '../host/snapshot-script.js';

export function register(program: Command): void {
  program
    .command('snapshot')
    .description('record this host (or a network namespace) as a snapshot directory for replay --host')
    .option('--netns <name>', 'snapshot the named network namespace (ip netns exec NAME ...)')
    .option('--script', 'print a POSIX sh script that takes the same snapshot on a host without Node (iproute2, nft, iptables-save, ipset, ss, sysctl, tc) and writes NAME.tar.gz, which --host reads as it is')
    .argument('[outdir]', 'directory to write (created if missing)')
    .addHelpText('after', `
Examples:
  pktlife snapshot myhost                       # this machine (as root) -> myhost/
  pktlife snapshot --netns router router-host   # a network namespace
  pktlife snapshot --script > snap.sh           # then on the server: sudo sh snap.sh web1 -> web1.tar.gz
                                                #   and here: pktlife replay cap.pcap --host web1.tar.gz`)
    .action((outdir: string | undefined, opts: { netns?: string; script?: boolean }) => {
      if (opts.script) {
        if (outdir !== undefined || opts.netns !== undefined) {
          process.stderr.write('pktlife snapshot: --script prints the script only (run it on the host: sh snap.sh [NAME]); it takes no OUTDIR or --netns\n');
          process.exitCode = 1;
          return;
        }
        process.stdout.write(snapshotScript());
        return;
      }
      if (outdir === undefined) {
        process.stderr.write('pktlife snapshot: missing OUTDIR (or --script)\n');
        process.exitCode = 1;
        return;
      }
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

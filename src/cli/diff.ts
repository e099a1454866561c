// `pktlife diff CAPTURE --host DIR --rules A --rules B` (or --host A --host B): the review of
// a firewall change before it ships. Exit status 1 when anything differs.
import type { Command } from 'commander';
import { loadHostArg as loadHost } from '../host/load.js';
import type { ChecksumMode, ReplayOptions } from '../kernel/ctx.js';
import { diffReplays, formatDiff } from '../report/diff.js';
import { replayAll } from '../report/golden.js';
import { withRules } from '../report/rules-override.js';

const collect = (v: string, acc: string[]): string[] => [...acc, v];

export function register(program: Command): void {
  program
    .command('diff')
    .description('replay a capture against two hosts or two rule sets and list the frames whose fate, reason, rule or egress differ')
    .addHelpText('after', `
Examples:
  pktlife diff cap.pcapng --host web1 --rules web1/nft.txt --rules new-rules.nft   # before / after a rule change
  pktlife diff cap.pcapng --host old-host --host new-host                          # two snapshots of the host
  pktlife diff cap.pcap --host web1 --rules a.nft --rules b.nft --iface eth0       # a pcap without interface names`)
    .argument('<capture>', 'pcap or pcapng file')
    .option('--host <dir>', 'host snapshot (once, or twice to compare two hosts)', collect, [])
    .option('--rules <path>', 'rule file or folder replacing the host rule set (twice: A then B)', collect, [])
    .option('--iface <name>', 'ingress interface when the capture does not name it')
    .option('--checksums <mode>', 'verify | trust | auto', 'auto')
    .action((capture: string, o: { host: string[]; rules: string[]; iface?: string; checksums: string }) => {
      try {
        if (!['verify', 'trust', 'auto'].includes(o.checksums)) throw new Error(`--checksums must be verify, trust or auto`);
        const opts: ReplayOptions = o.iface ? { checksums: o.checksums as ChecksumMode, iface: o.iface } : { checksums: o.checksums as ChecksumMode };
        let sides: [string, ReturnType<typeof loadHost>][];
        if (o.host.length === 2 && o.rules.length === 0) {
          sides = o.host.map((h) => [`--host ${h}`, loadHost(h)] as [string, ReturnType<typeof loadHost>]);
        } else if (o.host.length === 1 && o.rules.length === 2) {
          const base = loadHost(o.host[0]!);
          sides = o.rules.map((r) => [`--host ${o.host[0]} --rules ${r}`, withRules(base, [r])] as [string, ReturnType<typeof loadHost>]);
        } else {
          throw new Error('give --host DIR with --rules A --rules B, or --host A --host B');
        }
        const a = replayAll(capture, sides[0]![1], opts);
        const b = replayAll(capture, sides[1]![1], opts);
        const d = diffReplays(a, b);
        process.stdout.write(formatDiff(d, [sides[0]![0], sides[1]![0]]));
        process.exitCode = d.differing ? 1 : 0;
      } catch (e) {
        process.stderr.write(`pktlife diff: ${(e as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}

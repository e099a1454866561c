#!/usr/bin/env node
// pktlife command line. Each subcommand lives in its own module and registers itself here.
import { Command } from 'commander';
import { commandModule } from './bundle-load.js';

const program = new Command();
program
  .name('pktlife')
  .description('Replay packet captures through a model of the Linux kernel network path')
  .addHelpText('after', `
Examples:
  pktlife snapshot --netns router router-host                      # record a host (or: snapshot --script)
  pktlife replay router.pcap --host router-host                     # what the kernel did with each frame
  pktlife diff router.pcap --host router-host --rules new-rules.nft # what a rule change would change`)
  .version('0.1.0');

// Subcommand registrations (one line each; modules in src/cli/). Only the module of the command
// being run is loaded when the first argument names one (inspect does not need the kernel model:
// ~60 ms of start-up); help, --version and unknown commands load them all.
// `inspect` and `replay` come from dist/cli-bundle when it may be used (bundle-load.ts).
const load = (c: string) => (): Promise<{ register: (p: Command) => void }> =>
  import(commandModule(c, process.argv.slice(3), () => process.stdout.isTTY === true).href) as Promise<{ register: (p: Command) => void }>;
const commands: Record<string, () => Promise<{ register: (p: Command) => void }>> = {
  snapshot: () => import('./snapshot.js'),
  replay: load('replay'),
  test: () => import('./test.js'),
  diff: () => import('./diff.js'),
  inspect: load('inspect'),
};
const named = Object.hasOwn(commands, process.argv[2] ?? '') ? [process.argv[2]!] : Object.keys(commands);
for (const c of named) (await commands[c]!()).register(program);

await program.parseAsync(process.argv);

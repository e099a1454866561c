#!/usr/bin/env node
// pktlife command line. Each subcommand lives in its own module and registers itself here.
import { Command } from 'commander';

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

// Subcommand registrations (one line each; modules in src/cli/).
(await import('./snapshot.js')).register(program);
(await import('./replay.js')).register(program);
(await import('./test.js')).register(program);
(await import('./diff.js')).register(program);
(await import('./inspect.js')).register(program);

await program.parseAsync(process.argv);

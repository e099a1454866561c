#!/usr/bin/env node
// node dist/ui/demo.js FILE.ndjson | --synth N — the timeline over recorded fate records,
// for trying the UI without a capture and a host snapshot.
import { runTimelineUI } from './index.js';
import { ndjsonSource } from './sources.js';
import { synthSource } from './synth.js';

const [arg, n] = process.argv.slice(2);
if (!arg) {
  process.stderr.write('usage: node dist/ui/demo.js FILE.ndjson | --synth N\n');
  process.exit(2);
}
try {
  await runTimelineUI(arg === '--synth' ? synthSource(Number(n ?? 1000)) : ndjsonSource(arg));
} catch (e) {
  process.stderr.write(`pktlife: ${(e as Error).message}\n`);
  process.exit(1);
}

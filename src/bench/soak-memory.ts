#!/usr/bin/env node
// `npm run soak`: memory stays bounded while a capture of over 1 GB is replayed to ndjson (issue 3:
// "replaying a 1 GB capture to ndjson runs in bounded memory, kernel state tables aside").
// The generated bench capture (1.6 M frames, ~1.09 GB, written once to bench-out/) goes through
// the router snapshot with the timeline on, each record serialised as `--format ndjson` does and
// written to /dev/null. The live heap (after a full GC) is sampled every tenth of the capture;
// the run fails when the last sample exceeds the first by more than SLACK_MB: state that grows
// with the capture. Long: its own script, not part of npm test.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { openReplay } from '../replay.js';
import { loadHostFromFiles } from '../host/load.js';
import { fateToJSON } from '../kernel/fate.js';
import { benchHostFiles, prepareCapture } from './replay-bench.js';

const FRAMES = Number(process.env.PKTLIFE_SOAK_FRAMES ?? 1_600_000);
const SLACK_MB = 8;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const outDir = path.resolve(process.env.PKTLIFE_BENCH_DIR ?? 'bench-out');
fs.mkdirSync(outDir, { recursive: true });
const cap = prepareCapture({ outDir }, FRAMES);
const size = fs.statSync(cap).size;
const host = loadHostFromFiles(benchHostFiles(), '(bench router)');
const src = openReplay(cap, host, { checksums: 'verify', iface: 'eth0', events: true, summaries: false });
const out = fs.openSync('/dev/null', 'w');
const step = Math.max(1, Math.floor(FRAMES / 10));
const samples: { frames: number; heapMB: number; rssMB: number }[] = [];
let n = 0;
let json = 0;
let chunk = '';
const t0 = process.hrtime.bigint();
for (let it = src.next(); it; it = src.next()) {
  chunk += fateToJSON(it.record) + '\n';
  if (chunk.length > 1 << 20) {
    json += chunk.length;
    fs.writeSync(out, chunk);
    chunk = '';
  }
  if (++n % step === 0) {
    gc();
    const m = process.memoryUsage();
    samples.push({ frames: n, heapMB: m.heapUsed / 1e6, rssMB: m.rss / 1e6 });
  }
}
json += chunk.length;
fs.writeSync(out, chunk);
src.close();
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`soak: ${cap} (${(size / 1e9).toFixed(2)} GB, ${n.toLocaleString('en-US')} frames) to ndjson (${(json / 1e9).toFixed(2)} GB) in ${secs.toFixed(1)} s`);
for (const s of samples) console.log(`  after ${s.frames.toLocaleString('en-US').padStart(10)} frames: live heap ${s.heapMB.toFixed(1).padStart(6)} MB, rss ${s.rssMB.toFixed(0).padStart(4)} MB`);
const grew = samples.length > 1 ? samples[samples.length - 1].heapMB - samples[0].heapMB : 0;
const peak = Math.max(...samples.map((s) => s.rssMB));
if (grew > SLACK_MB) {
  console.log(`FAIL: the live heap grew by ${grew.toFixed(1)} MB between the first and the last tenth (limit ${SLACK_MB} MB)`);
  process.exit(1);
}
console.log(`ok: live heap grew by ${grew.toFixed(1)} MB from the first to the last tenth (limit ${SLACK_MB} MB); peak rss sampled ${peak.toFixed(0)} MB`);

// `npm run bench -- cli`: the speed users see (issue 13). The real `pktlife` binary run on two
// captures next to `tcpdump -nn -r FILE > /dev/null` in the same run, CPU time (user + sys of the
// child, start-up included), median of three; each row with its ratio to tcpdump and MET / NOT MET:
//
// - ordinary traffic (gen-ordinary.ts: 300k frames, 64 long TCP flows + UDP + IPv6, all forwarded
//   by the replay bench's router snapshot): the capture that decides;
// - the replay bench's capture, first 300k frames (every frame a new TCP conversation, which makes
//   tcpdump's relative-sequence table slow: a flattering ratio).
//
// The timeline UI on a pseudo-terminal (ui-pty.ts) on 1 M frames of ordinary traffic: first screen,
// replay complete, key-to-screen p95 while replaying and after, peak RSS.
//
// Rows can be chosen: PKTLIFE_BENCH_ROWS=inspect-text,replay-ndjson,ui (comma-separated; a row
// runs when its name contains one of them), PKTLIFE_BENCH_CAPTURES=ordinary|newconn,
// PKTLIFE_BENCH_RUNS (default 3).
import * as fs from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCtx } from './run.js';
import { generateOrdinaryPcap } from './gen-ordinary.js';
import { benchHostFiles, prepareCapture } from './replay-bench.js';
import { timeTool } from './report.js';
import { ptySession } from './ui-pty.js';

const FRAMES = Number(process.env.PKTLIFE_BENCH_CLI_FRAMES ?? 300_000);
const UI_FRAMES = Number(process.env.PKTLIFE_BENCH_UI_FRAMES ?? 1_000_000);
const RUNS = Number(process.env.PKTLIFE_BENCH_RUNS ?? 3);
const ISSUE = 'issue 13';

interface Row {
  name: string;
  args: (file: string, host: string) => string[];
  /** times faster than tcpdump (CPU) it must be */
  target: number;
}

const ROWS: Row[] = [
  { name: 'inspect-text', args: (f) => ['inspect', f], target: 3 },
  { name: 'inspect-ndjson', args: (f) => ['inspect', f, '--format', 'ndjson'], target: 2 },
  { name: 'replay-text', args: (f, h) => ['replay', f, '--host', h, '--iface', 'eth0', '--format', 'text'], target: 2 },
  { name: 'replay-ndjson', args: (f, h) => ['replay', f, '--host', h, '--iface', 'eth0', '--format', 'ndjson'], target: 1.5 },
];

/** --jobs 2 against --jobs 1 by wall time (the CPU of all threads adds up; what parallel work buys
 *  is time), on the large capture: the timeline's 1 M frames of ordinary traffic (start-up, ~0.1 s
 *  of one thread either way, is not what --jobs is for) */
const JOBS_FRAMES = Number(process.env.PKTLIFE_BENCH_JOBS_FRAMES ?? UI_FRAMES);
const JOBS_ROWS: { name: string; args: (file: string, host: string) => string[] }[] = [
  { name: 'jobs-inspect-text', args: (f) => ['inspect', f] },
  { name: 'jobs-replay-text', args: (f, h) => ['replay', f, '--host', h, '--iface', 'eth0', '--format', 'text'] },
];

const selected = (name: string): boolean => {
  const want = process.env.PKTLIFE_BENCH_ROWS;
  if (!want) return true;
  return want.split(',').some((w) => w && name.includes(w.trim()));
};

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** median CPU (and the runs) of `cmd args` with stdout to /dev/null; null when it failed */
function timed(cmd: string, args: string[]): { cpu: number; wall: number; runs: number[] } | null {
  const runs: number[] = [];
  const walls: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = timeTool(cmd, args);
    if (!t) return null;
    runs.push(t.cpu);
    walls.push(t.wall);
  }
  return { cpu: median(runs), wall: median(walls), runs };
}

/** timed() of two commands run in turn (a, b, a, b...) */
function timedAlternately(cmd: string, a: string[], b: string[]): [ReturnType<typeof timed>, ReturnType<typeof timed>] {
  const runs: { cpu: number; wall: number }[][] = [[], []];
  for (let i = 0; i < RUNS; i++) {
    for (const [k, args] of [a, b].entries()) {
      const t = timeTool(cmd, args);
      if (!t) return [null, null];
      runs[k]!.push(t);
    }
  }
  const of = (r: { cpu: number; wall: number }[]) => ({ cpu: median(r.map((x) => x.cpu)), wall: median(r.map((x) => x.wall)), runs: r.map((x) => x.cpu) });
  return [of(runs[0]!), of(runs[1]!)];
}

const verdict = (ok: boolean): string => (ok ? 'MET' : 'NOT MET');

export function ordinaryCapture(outDir: string, frames: number): string {
  const f = path.join(outDir, `ordinary-${frames}.pcap`);
  if (!fs.existsSync(f)) generateOrdinaryPcap(f, frames);
  return f;
}

export function benchHostDir(outDir: string): string {
  const host = path.join(outDir, 'bench-router-host');
  fs.mkdirSync(host, { recursive: true });
  for (const [f, t] of Object.entries(benchHostFiles())) fs.writeFileSync(path.join(host, f), t);
  return host;
}

export async function run(ctx: BenchCtx): Promise<void> {
  const main = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  const host = benchHostDir(ctx.outDir);
  const which = process.env.PKTLIFE_BENCH_CAPTURES;
  const caps: [string, string][] = [];
  if (!which || which.includes('ordinary')) caps.push(['ordinary traffic (64 long TCP flows + UDP + IPv6)', ordinaryCapture(ctx.outDir, FRAMES)]);
  if (!which || which.includes('newconn')) caps.push(['bench capture (every frame a new TCP conversation)', prepareCapture(ctx, FRAMES)]);
  ctx.log(`node ${process.version}; ${cpus().length} CPUs, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}; CPU = user+sys of the command, median of ${RUNS}; ratio = tcpdump CPU / pktlife CPU`);
  for (const [label, file] of caps) {
    const wantRows = ROWS.filter((r) => selected(r.name));
    if (!wantRows.length) continue;
    ctx.log(`${label}: ${file}, ${FRAMES.toLocaleString('en-US')} frames, ${(fs.statSync(file).size / 1e6).toFixed(0)} MB`);
    const td = timed('tcpdump', ['-nn', '-r', file]);
    if (td) ctx.log(`  ${'tcpdump -nn -r FILE'.padEnd(44)} CPU ${td.cpu.toFixed(2)} s (runs ${td.runs.map((x) => x.toFixed(2)).join(' / ')}), wall ${td.wall.toFixed(2)} s`);
    else ctx.log('  tcpdump: not installed or failed: no ratios');
    for (const r of wantRows) {
      const args = r.args(file, host);
      const t = timed(process.execPath, [main, ...args]);
      const shown = `pktlife ${args.join(' ').replace(file, 'FILE').replace(host, 'H')}`;
      if (!t) {
        ctx.log(`  ${shown}: FAILED`);
        continue;
      }
      const ratio = td ? td.cpu / t.cpu : NaN;
      ctx.log(`  ${shown.padEnd(44)} CPU ${t.cpu.toFixed(2)} s (runs ${t.runs.map((x) => x.toFixed(2)).join(' / ')}), wall ${t.wall.toFixed(2)} s | ${td ? ratio.toFixed(2) + 'x tcpdump' : 'no tcpdump'} | target [${ISSUE}] >= ${r.target}x: ${td ? verdict(ratio >= r.target) : 'NOT MEASURED'}`);
    }
  }
  for (const r of JOBS_ROWS.filter((x) => selected(x.name))) {
    const file = ordinaryCapture(ctx.outDir, JOBS_FRAMES);
    const load = loadavg()[0]!;
    const args = r.args(file, host);
    // alternately, so a change of the machine's load falls on both alike
    const [one, two] = timedAlternately(process.execPath, [main, ...args, '--jobs', '1'], [main, ...args, '--jobs', '2']);
    if (!one || !two) {
      ctx.log(`  ${r.name}: FAILED`);
      continue;
    }
    const speedup = one.wall / two.wall;
    ctx.log(`  pktlife ${args.join(' ').replace(file, 'FILE').replace(host, 'H')} --jobs 2 vs --jobs 1 (ordinary traffic, ${JOBS_FRAMES.toLocaleString('en-US')} frames): wall ${two.wall.toFixed(2)} s vs ${one.wall.toFixed(2)} s = ${speedup.toFixed(2)}x (CPU all threads ${two.cpu.toFixed(2)} s vs ${one.cpu.toFixed(2)} s; load average ${load.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs) | target [${ISSUE}] >= 1.7x: ${verdict(speedup >= 1.7)}`);
  }
  if (selected('ui')) await uiRows(ctx, main, host);
}

async function uiRows(ctx: BenchCtx, main: string, host: string): Promise<void> {
  const cap = ordinaryCapture(ctx.outDir, UI_FRAMES);
  const load = loadavg()[0]!;
  const p = await ptySession([process.execPath, main, 'replay', cap, '--host', host, '--iface', 'eth0'], 120, 40, 40);
  const p95 = Math.max(p.loading.p95, p.idle.p95);
  ctx.log(`timeline UI on a pty (120x40), ${p.frames.toLocaleString('en-US')} frames of ordinary traffic (${cap}), load average ${load.toFixed(1)}:`);
  ctx.log(`  first screen               ${(p.firstScreenMs / 1000).toFixed(2)} s from process start | target [${ISSUE}] <= 1.0 s: ${verdict(p.firstScreenMs <= 1000)}`);
  ctx.log(`  full replay                ${(p.loadMs / 1000).toFixed(2)} s until "replay complete" (${Math.round(p.frames / (p.loadMs / 1000)).toLocaleString('en-US')} frames/s wall; the app's CPU meanwhile ${(p.loadCpuMs / 1000).toFixed(2)} s, keys included) | target [${ISSUE}] <= 5 s for 1 M frames: ${p.frames >= 1e6 ? verdict(p.loadMs <= 5000) : 'NOT MEASURED (fewer than 1 M frames)'}`);
  ctx.log(`  key -> screen p95          ${p95.toFixed(1)} ms (while replaying p50 ${p.loading.p50.toFixed(1)} p95 ${p.loading.p95.toFixed(1)} ms, ${p.loading.n} keys; after p50 ${p.idle.p50.toFixed(1)} p95 ${p.idle.p95.toFixed(1)} ms, ${p.idle.n} keys) | target [${ISSUE}] <= 50 ms: ${verdict(p95 <= 50)}`);
  ctx.log(`  peak RSS                   ${p.rssMB.toFixed(0)} MB | target [${ISSUE}] <= 500 MB: ${verdict(p.rssMB <= 500)}`);
}

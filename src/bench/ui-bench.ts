// `npm run bench -- ui`: the timeline on 1 M-frame sources.
//
// 1. In a child process over a recording fake terminal (synthesised records, src/ui/synth.ts):
//    time to first screen, ink's own layout+draw time per frame, the filter, peak RSS, and
//    key-to-write latency measured inside the process (from the key handed to ink's stdin).
// 2. On a real pseudo-terminal (src/bench/ui-pty.ts): the real binary, keys written to the
//    terminal and the clock stopped when the bytes showing the result came out of it, so the time
//    the app spends finishing its current replay slice is counted. Synthesised records at 120x40
//    and 80x24, and the real replay path (`pktlife replay` of the replay bench's capture through
//    its router snapshot) when bench-out/replay-1000000.pcap exists (`npm run bench -- replay`
//    writes it).
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCtx } from './run.js';
import { ReplayPump } from '../ui/pump.js';
import { RowStore } from '../ui/store.js';
import { synthSource } from '../ui/synth.js';
import { ptySession, type PtyRun, type PtyStats } from './ui-pty.js';

const FRAMES = 1_000_000;
const TARGET = { firstScreenMs: 1500, redrawMs: 50, rssMB: 500 };

export async function run(ctx: BenchCtx): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [self, '--child', String(FRAMES)], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`ui bench child failed (${r.status ?? r.signal}): ${r.stderr}`);
  const m = JSON.parse(r.stdout.trim().split('\n').pop()!) as Result;
  const ok = (v: number, t: number) => (v <= t ? 'ok' : 'OVER TARGET');
  const st = (s: Stats | PtyStats) => `p50 ${s.p50.toFixed(1)} ms  p95 ${s.p95.toFixed(1)} ms  max ${s.max.toFixed(1)} ms`;
  ctx.log(`ui: ${m.frames.toLocaleString('en-US')} synthesised frames, fake terminal ${m.cols}x${m.rows} in a child process`);
  ctx.log(`  machine load average ${m.load.toFixed(1)} on ${m.cpus} CPUs (wall times include waiting for a CPU; CPU times do not)`);
  ctx.log(`  first screen            ${m.firstScreenMs.toFixed(0)} ms from render start   (target <= ${TARGET.firstScreenMs} ms: ${ok(m.firstScreenMs, TARGET.firstScreenMs)})`);
  ctx.log(`                          ${m.firstScreenFromStartMs.toFixed(0)} ms from process start (node + loading react/ink included)`);
  ctx.log(`  full replay into store  ${(m.loadMs / 1000).toFixed(2)} s  (${Math.round(m.frames / (m.loadMs / 1000)).toLocaleString('en-US')} frames/s)`);
  ctx.log(`  ink layout+draw per frame ${st(m.inkRender)}  (${m.inkRender.n} frames; ink's floor for a ${m.cols}x${m.rows} screen)`);
  ctx.log(`  in-process key -> write, while replaying ${st(m.loading)}  CPU p50 ${m.loadingCpu.p50.toFixed(1)} p95 ${m.loadingCpu.p95.toFixed(1)}  (${m.loading.n} keys)`);
  ctx.log(`  in-process key -> write, after replay    ${st(m.idle)}  CPU p50 ${m.idleCpu.p50.toFixed(1)} p95 ${m.idleCpu.p95.toFixed(1)}  (${m.idle.n} keys)`);
  ctx.log(`  filter "fate=dropped port=3306" over all frames: ${m.filterMs.toFixed(0)} ms to the first screen of matches`);
  ctx.log(`  peak RSS                ${m.rssMB.toFixed(0)} MB   (target <= ${TARGET.rssMB} MB: ${ok(m.rssMB, TARGET.rssMB)})`);

  // the real binary on a pty
  const dist = fileURLToPath(new URL('..', import.meta.url));
  const rows: [string, string[], number, number][] = [
    ['synthesised, 120x40', [process.execPath, join(dist, 'ui/demo.js'), '--synth', String(FRAMES)], 120, 40],
    ['synthesised, 80x24', [process.execPath, join(dist, 'ui/demo.js'), '--synth', String(FRAMES)], 80, 24],
  ];
  const cap = join(ctx.outDir, `replay-${FRAMES}.pcap`);
  if (existsSync(cap)) {
    const host = join(ctx.outDir, 'ui-bench-host');
    mkdirSync(host, { recursive: true });
    // imported here, so the child measuring RSS does not load the replay engine
    const { benchHostFiles } = await import('./replay-bench.js');
    for (const [f, t] of Object.entries(benchHostFiles())) writeFileSync(join(host, f), t);
    rows.push([`real replay of ${cap.replace(/.*\//, '')}, 120x40`, [process.execPath, join(dist, 'cli/main.js'), 'replay', cap, '--host', host, '--iface', 'eth0'], 120, 40]);
  } else ctx.log(`  (no ${cap}: the real-replay row needs \`npm run bench -- replay\` first)`);
  let worst = 0;
  for (const [label, argv, cols, nrows] of rows) {
    const load = loadavg()[0];
    const p: PtyRun = await ptySession(argv, cols, nrows, 100);
    worst = Math.max(worst, p.loading.p95, p.idle.p95);
    ctx.log(`ui on a pty, ${label}: ${p.frames.toLocaleString('en-US')} frames, load average ${load.toFixed(1)} on ${cpus().length} CPUs`);
    ctx.log(`  first screen            ${p.firstScreenMs.toFixed(0)} ms from process start; replay done after ${(p.loadMs / 1000).toFixed(1)} s; peak RSS ${p.rssMB.toFixed(0)} MB`);
    ctx.log(`  key -> screen while replaying  ${st(p.loading)}  (${p.loading.n} keys)`);
    ctx.log(`    CPU per key                  p50 ${p.loadingCpu.p50.toFixed(1)} ms  p95 ${p.loadingCpu.p95.toFixed(1)} ms  (app process, all threads)`);
    ctx.log(`  key -> screen after replay     ${st(p.idle)}  (${p.idle.n} keys: j k PgDn PgUp G g Enter Esc n)`);
    ctx.log(`    CPU per key                  p50 ${p.idleCpu.p50.toFixed(1)} ms  p95 ${p.idleCpu.p95.toFixed(1)} ms`);
  }
  ctx.log(`  worst key -> screen p95 on a pty vs target ${TARGET.redrawMs} ms: ${ok(worst, TARGET.redrawMs)}`);
}

interface Stats {
  n: number;
  p50: number;
  p95: number;
  max: number;
}
interface Result {
  frames: number;
  cols: number;
  rows: number;
  firstScreenMs: number;
  firstScreenFromStartMs: number;
  loadMs: number;
  loading: Stats;
  idle: Stats;
  filterMs: number;
  rssMB: number;
  loadingCpu: Stats;
  inkRender: Stats;
  idleCpu: Stats;
  load: number;
  cpus: number;
}

const stats = (a: number[]): Stats => {
  const s = [...a].sort((x, y) => x - y);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: q(0.5), p95: q(0.95), max: s[s.length - 1] };
};

/** a terminal that records what is written, as ink sees a TTY */
class FakeOut extends EventEmitter {
  isTTY = true;
  columns = 120;
  rows = 40;
  last = '';
  writes = 0;
  write = (s: string): boolean => {
    this.last = s;
    this.writes++;
    this.emit('wrote', s);
    return true;
  };
}
class FakeIn extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  press(s: string): void {
    this.data = s;
    this.emit('readable');
  }
}

async function child(n: number): Promise<void> {
  process.env.NODE_ENV = 'production'; // as runTimelineUI does
  const [{ default: React }, { render }, { App }, { INK_OPTIONS }] = await Promise.all([import('react'), import('ink'), import('../ui/App.js'), import('../ui/index.js')]);
  const out = new FakeOut();
  const inp = new FakeIn();
  const pump = new ReplayPump(synthSource(n), new RowStore());
  const t0 = performance.now();
  let firstScreen = 0;
  let firstScreenFromStart = 0;
  /** ink's own time to lay out and draw each frame (React reconcile excluded) */
  const renders: number[] = [];
  // frame 1's summary on screen = the list is usable
  const onFirst = (s: string): void => {
    if (!firstScreen && s.includes('10.0.0.2.40001 > 10.0.0.1.22')) {
      firstScreen = performance.now() - t0;
      firstScreenFromStart = performance.now(); // performance.now() counts from process start
    }
  };
  out.on('wrote', onFirst);
  const app = render(React.createElement(App, { pump, color: true }), {
    stdout: out as unknown as NodeJS.WriteStream,
    stdin: inp as unknown as NodeJS.ReadStream,
    ...INK_OPTIONS,
    exitOnCtrlC: false,
    onRender: ({ renderTime }: { renderTime: number }) => renders.push(renderTime),
  });
  while (!firstScreen) await new Promise((r) => setTimeout(r, 1));

  /** time from a key to the write that shows `expect`; CPU time of this process alongside, as
   * the machine may be shared (wall time then includes waiting for a core) */
  const cpu: number[] = [];
  const key = (k: string, expect: RegExp): Promise<number> =>
    new Promise((resolve, reject) => {
      const t = performance.now();
      const c0 = process.cpuUsage();
      const timer = setTimeout(() => reject(new Error(`no redraw showing ${expect} after key ${JSON.stringify(k)}`)), 10_000);
      const on = (s: string): void => {
        if (expect.test(s)) {
          const c = process.cpuUsage(c0);
          cpu.push((c.user + c.system) / 1000);
          out.off('wrote', on);
          clearTimeout(timer);
          resolve(performance.now() - t);
        }
      };
      out.on('wrote', on);
      inp.press(k);
    });
  const pos = (p: number) => new RegExp(` ${p}/[\\d]+ `);

  const loading: number[] = [];
  let sel = 1;
  while (!pump.done && loading.length < 100) {
    loading.push(await key('j', pos(++sel)));
    await new Promise((r) => setTimeout(r, 20));
  }
  const loadingCpu = stats(cpu.splice(0));
  while (!pump.done) await new Promise((r) => setTimeout(r, 5));
  const loadMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 150));

  const idle: number[] = [];
  const listH = out.rows - 1 - 3 - 3;
  for (let k = 0; k < 20; k++) idle.push(await key('j', pos(++sel)));
  for (let k = 0; k < 10; k++) idle.push(await key('k', pos(--sel)));
  for (let k = 0; k < 5; k++) idle.push(await key('\x1b[6~', pos((sel += listH))));
  for (let k = 0; k < 5; k++) idle.push(await key('\x1b[5~', pos((sel -= listH))));
  idle.push(await key('G', pos((sel = n))));
  idle.push(await key('g', pos((sel = 1))));
  for (let k = 0; k < 5; k++) {
    idle.push(await key('\r', /Journey/));
    idle.push(await key('\x1b', /No\. +Time/));
    await new Promise((r) => setTimeout(r, 30));
  }
  idle.push(await key('n', / 8\/\d+ /));
  await key('/', /Enter apply/);
  const tf = performance.now();
  await key('fate=dropped port=3306\r', /match \[fate=dropped port=3306\]/);
  const filterMs = performance.now() - tf;
  const idleCpu = stats(cpu.splice(0, idle.length));
  app.unmount();
  const res: Result = {
    loadingCpu,
    idleCpu,
    inkRender: stats(renders),
    load: loadavg()[0],
    cpus: cpus().length,
    frames: n,
    cols: out.columns,
    rows: out.rows,
    firstScreenMs: firstScreen,
    firstScreenFromStartMs: firstScreenFromStart,
    loadMs,
    loading: stats(loading),
    idle: stats(idle),
    filterMs,
    rssMB: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(JSON.stringify(res) + '\n');
  process.exit(0);
}

if (process.argv[2] === '--child') await child(Number(process.argv[3]));

// `npm run bench -- ui`: the timeline on a 1 M-frame source. Runs in a child process so peak
// RSS is the UI's own. Measures time to first screen, keypress-to-redraw latency (while the
// replay is still running and after it finished) and peak RSS. Records are synthesised
// (src/ui/synth.ts) — the replay engine is not part of this figure; see docs/ui.md.
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { BenchCtx } from './run.js';
import { ReplayPump } from '../ui/pump.js';
import { RowStore } from '../ui/store.js';
import { synthSource } from '../ui/synth.js';

const FRAMES = 1_000_000;
const TARGET = { firstScreenMs: 1500, redrawMs: 50, rssMB: 500 };

export async function run(ctx: BenchCtx): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [self, '--child', String(FRAMES)], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`ui bench child failed (${r.status ?? r.signal}): ${r.stderr}`);
  const m = JSON.parse(r.stdout.trim().split('\n').pop()!) as Result;
  const ok = (v: number, t: number) => (v <= t ? 'ok' : 'OVER TARGET');
  ctx.log(`ui: ${m.frames.toLocaleString('en-US')} synthesised frames, terminal ${m.cols}x${m.rows}`);
  ctx.log(`  machine load average ${m.load.toFixed(1)} on ${m.cpus} CPUs (wall times include waiting for a CPU; CPU times do not)`);
  ctx.log(`  first screen            ${m.firstScreenMs.toFixed(0)} ms from render start   (target <= ${TARGET.firstScreenMs} ms: ${ok(m.firstScreenMs, TARGET.firstScreenMs)})`);
  ctx.log(`                          ${m.firstScreenFromStartMs.toFixed(0)} ms from process start (node + loading react/ink included)`);
  ctx.log(`  redraw while replaying  p50 ${m.loading.p50.toFixed(1)} ms  p95 ${m.loading.p95.toFixed(1)} ms  max ${m.loading.max.toFixed(1)} ms  (${m.loading.n} keys)`);
  ctx.log(`    CPU per key           p50 ${m.loadingCpu.p50.toFixed(1)} ms  p95 ${m.loadingCpu.p95.toFixed(1)} ms`);
  ctx.log(`  full replay into store  ${(m.loadMs / 1000).toFixed(2)} s  (${Math.round(m.frames / (m.loadMs / 1000)).toLocaleString('en-US')} frames/s)`);
  ctx.log(`  redraw after replay     p50 ${m.idle.p50.toFixed(1)} ms  p95 ${m.idle.p95.toFixed(1)} ms  max ${m.idle.max.toFixed(1)} ms  (${m.idle.n} keys: j k PgDn PgUp G g Enter Esc n)`);
  ctx.log(`    CPU per key           p50 ${m.idleCpu.p50.toFixed(1)} ms  p95 ${m.idleCpu.p95.toFixed(1)} ms`);
  ctx.log(`    worst redraw p95 vs target ${TARGET.redrawMs} ms: ${ok(Math.max(m.loading.p95, m.idle.p95), TARGET.redrawMs)}`);
  ctx.log(`  ink layout+draw per frame p50 ${m.inkRender.p50.toFixed(1)} ms  p95 ${m.inkRender.p95.toFixed(1)} ms  (${m.inkRender.n} frames)`);
  ctx.log(`  filter "fate=dropped port=3306" over all frames: ${m.filterMs.toFixed(0)} ms to the first screen of matches`);
  ctx.log(`  peak RSS                ${m.rssMB.toFixed(0)} MB   (target <= ${TARGET.rssMB} MB: ${ok(m.rssMB, TARGET.rssMB)})`);
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
  const [{ default: React }, { render }, { App }] = await Promise.all([import('react'), import('ink'), import('../ui/App.js')]);
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
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: 60,
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
  while (!pump.done && loading.length < 40) {
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
    load: (await import('node:os')).loadavg()[0],
    cpus: (await import('node:os')).cpus().length,
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

// Keypress-to-screen latency of the real binary on a pseudo-terminal: a key is written to the
// terminal's input and the clock stops when the bytes showing its result have come out of the
// terminal. Everything in between is counted: the app waiting for its current replay slice, React,
// ink's layout and drawing, the write. util-linux `script` provides the pty (no native module).
// CPU per key is the app process's own (all threads, /proc/PID/task/*/schedstat, ns).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface PtyStats {
  n: number;
  p50: number;
  p95: number;
  max: number;
}
export const pstats = (a: number[]): PtyStats => {
  const s = [...a].sort((x, y) => x - y);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { n: s.length, p50: q(0.5), p95: q(0.95), max: s[s.length - 1] ?? NaN };
};

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export class PtyApp {
  private proc: ChildProcessWithoutNullStreams;
  /** output since the last mark, ANSI sequences kept (the texts looked for contain none) */
  private buf = '';
  private waiters: { re: RegExp; done: () => void }[] = [];
  readonly started = performance.now();
  exited: Promise<number | null>;
  private appPid = 0;

  constructor(argv: string[], cols: number, rows: number, env: NodeJS.ProcessEnv = {}) {
    const cmd = `stty cols ${cols} rows ${rows} && exec ${argv.map(shq).join(' ')}`;
    this.proc = spawn('script', ['-qfec', cmd, '/dev/null'], { env: { ...process.env, TERM: 'xterm-256color', ...env } });
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (d: string) => {
      this.buf += d;
      if (this.buf.length > 1 << 20) this.buf = this.buf.slice(-(1 << 16));
      for (const w of [...this.waiters]) {
        if (w.re.test(this.buf)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.done();
        }
      }
    });
    this.proc.stderr.resume();
    this.exited = new Promise((r) => this.proc.on('exit', (c) => r(c)));
  }

  /** the app's pid: script's child (the shell exec'd into node) */
  private pid(): number {
    if (this.appPid) return this.appPid;
    const kids = readFileSync(`/proc/${this.proc.pid}/task/${this.proc.pid}/children`, 'utf8').trim().split(/\s+/);
    this.appPid = Number(kids[0]);
    return this.appPid;
  }

  /** CPU time of the app so far, ms, all threads */
  cpuMs(): number {
    let ns = 0;
    const pid = this.pid();
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        /* a thread that ended meanwhile */
      }
    }
    return ns / 1e6;
  }

  /** CPU time of the app so far, ms, threads that ended included (the timeline's replay worker):
   *  /proc/PID/stat utime + stime, in clock ticks (10 ms) */
  processCpuMs(): number {
    const f = readFileSync(`/proc/${this.pid()}/stat`, 'utf8');
    const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
    // fields 14 and 15 of stat(5); v[0] is field 3
    return (Number(v[11]) + Number(v[12])) * 10;
  }

  /** the app's peak RSS so far, MB (VmHWM of the node process) */
  peakRssMB(): number {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid()}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  }

  /** resolves when the output since the last mark matches */
  waitFor(re: RegExp, timeoutMs = 30_000): Promise<void> {
    if (re.test(this.buf)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${re} on the terminal within ${timeoutMs} ms; last output: ${JSON.stringify(this.buf.slice(-400))}`)), timeoutMs);
      this.waiters.push({ re, done: () => (clearTimeout(t), resolve()) });
    });
  }

  /** forget the output so far (what comes next is what a key caused) */
  mark(): void {
    this.buf = '';
  }

  /** write a key; ms until the output shows `expect`, and the app's CPU ms meanwhile */
  async key(k: string, expect: RegExp): Promise<{ ms: number; cpu: number }> {
    this.mark();
    const c0 = this.cpuMs();
    const t0 = performance.now();
    const seen = this.waitFor(expect);
    this.proc.stdin.write(k);
    await seen;
    const ms = performance.now() - t0;
    return { ms, cpu: this.cpuMs() - c0 };
  }

  /** output since the last mark */
  text(): string {
    return this.buf;
  }

  write(s: string): void {
    this.proc.stdin.write(s);
  }

  kill(): void {
    this.proc.kill('SIGKILL');
  }
}

export interface PtyRun {
  firstScreenMs: number;
  loading: PtyStats;
  loadingCpu: PtyStats;
  loadMs: number;
  idle: PtyStats;
  idleCpu: PtyStats;
  frames: number;
  /** each key while replaying: [ms, cpu ms, ms since start] */
  loadingRaw: [number, number, number][];
  rssMB: number;
  /** the app's CPU (all threads, ended ones included) from its start until "replay complete", ms */
  loadCpuMs: number;
  /** each key after the replay, in the order of the sequence: [ms, cpu ms] */
  idleRaw: [number, number][];
}

/**
 * The key sequence of the bench on the real binary: j while the replay runs (the list grows under
 * the cursor), then after it finished j/k, PgDn/PgUp, G/g, Enter/Esc, n.
 */
export async function ptySession(argv: string[], cols = 120, rows = 40, loadingKeys = 40): Promise<PtyRun> {
  const app = new PtyApp(argv, cols, rows);
  try {
    await app.waitFor(/ 1\/[1-9]\d* /, 60_000);
    const firstScreenMs = performance.now() - app.started;
    const pos = (p: number) => new RegExp(` ${p}/\\d+ `);
    const loading: number[] = [];
    const loadingCpu: number[] = [];
    const loadingRaw: [number, number, number][] = [];
    let sel = 1;
    let done = false;
    app.waitFor(/replay complete/, 600_000).then(() => (done = true), () => {});
    for (let k = 0; k < loadingKeys && !done; k++) {
      const r = await app.key('j', pos(++sel));
      if (done) break; // finished meanwhile: not a key "while replaying"
      loading.push(r.ms);
      loadingCpu.push(r.cpu);
      loadingRaw.push([r.ms, r.cpu, performance.now() - app.started]);
      await new Promise((r) => setTimeout(r, 20));
    }
    app.mark();
    await app.waitFor(/replay complete/, 600_000);
    const loadMs = performance.now() - app.started;
    const loadCpuMs = app.processCpuMs();
    // the frame count, from the footer the completion redraw wrote
    await app.waitFor(/ \d+\/\d+ /);
    await new Promise((r) => setTimeout(r, 300));
    // the last footer written: the completion redraw's
    const total = Number([...app.text().matchAll(/ \d+\/(\d+) /g)].pop()![1]);
    const listH = rows - 1 - 3 - 3;
    const idle: number[] = [];
    const idleCpu: number[] = [];
    const idleRaw: [number, number][] = [];
    const add = (r: { ms: number; cpu: number }) => (idle.push(r.ms), idleCpu.push(r.cpu), idleRaw.push([r.ms, r.cpu]));
    for (let k = 0; k < 20; k++) add(await app.key('j', pos(++sel)));
    for (let k = 0; k < 10; k++) add(await app.key('k', pos(--sel)));
    for (let k = 0; k < 5; k++) add(await app.key('\x1b[6~', pos((sel += listH))));
    for (let k = 0; k < 5; k++) add(await app.key('\x1b[5~', pos((sel -= listH))));
    add(await app.key('G', pos((sel = total))));
    add(await app.key('g', pos((sel = 1))));
    for (let k = 0; k < 5; k++) {
      add(await app.key('\r', /── Journey/));
      add(await app.key('\x1b', /No\. +Time/));
      await new Promise((r) => setTimeout(r, 30));
    }
    add(await app.key('n', /( \d+\/\d+ | no later drop)/));
    const rssMB = app.peakRssMB();
    app.write('q');
    await Promise.race([app.exited, new Promise((r) => setTimeout(r, 5000))]);
    return { firstScreenMs, loading: pstats(loading), loadingCpu: pstats(loadingCpu), loadMs, idle: pstats(idle), idleCpu: pstats(idleCpu), frames: total, loadingRaw, idleRaw, rssMB, loadCpuMs };
  } finally {
    app.kill();
  }
}

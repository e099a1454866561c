// Shared measuring and printing for the bench sections: every figure with its CPU-time and
// wall-time rate, its ratio to tcpdump and tshark timed on the same file in the same run, and the
// target it is measured against with MET / NOT MET.
//
// The machine is shared: CPU time (user + system of this process) is what one core spent and is
// the figure targets are judged on; wall time is printed beside it and counts others' work too.
import { spawnSync } from 'node:child_process';

export interface Measured {
  label: string;
  frames: number;
  /** CPU seconds (best run) */
  cpu: number;
  /** wall seconds (best run) */
  wall: number;
  /** anything else worth printing on the line (MB of output, ...) */
  note?: string;
  /** CPU seconds of every run in order (the first includes the JIT warming up) */
  runs?: number[];
}

export interface Target {
  /** frames per CPU-second the figure must reach */
  minRate?: number;
  /** times faster than tcpdump (CPU) the figure must be */
  minTcpdumpRatio?: number;
  /** where the target comes from, e.g. "issue 2: read >= 5 M frames/s on one core" */
  source: string;
}

export interface Peer {
  name: string;
  command: string;
  cpu: number;
  wall: number;
}

/** Best of `runs` by CPU time (and, separately, by wall time). */
export function measure(label: string, runs: number, fn: (run: number) => number, note?: () => string): Measured {
  let cpu = Infinity;
  let wall = Infinity;
  let frames = 0;
  const all: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    frames = fn(i);
    const w = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    const sec = (c.user + c.system) / 1e6;
    all.push(sec);
    cpu = Math.min(cpu, sec);
    wall = Math.min(wall, w);
  }
  return { label, frames, cpu, wall, note: note?.(), runs: all };
}

/** Runs a peer tool with stdout to /dev/null; its CPU seconds (bash `times`: children user+sys) and wall. */
export function timeTool(cmd: string, args: string[]): { cpu: number; wall: number } | null {
  const which = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  if (which.status !== 0) return null;
  const quoted = [cmd, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', `${quoted} > /dev/null 2>/tmp/.pktlife-bench-err-$$ || { cat /tmp/.pktlife-bench-err-$$ >&2; rm -f /tmp/.pktlife-bench-err-$$; exit 1; }; rm -f /tmp/.pktlife-bench-err-$$; times`], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) {
    console.log(`  ${cmd} failed (${r.status}): ${String(r.stderr).slice(0, 200)}`);
    return null;
  }
  // `times` prints the shell's then the children's "user sys" as e.g. "0m13.950s 0m0.412s"
  const line = r.stdout.trim().split('\n')[1] ?? '';
  const secs = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return { cpu: secs.length === 2 ? secs[0]! + secs[1]! : wall, wall };
}

/** tcpdump and tshark over `file` (skipped with PKTLIFE_BENCH_PEERS=0); the ones installed. */
export function timePeers(file: string, log: (l: string) => void): Peer[] {
  if (process.env.PKTLIFE_BENCH_PEERS === '0') {
    log('  peers skipped (PKTLIFE_BENCH_PEERS=0): no ratios');
    return [];
  }
  const out: Peer[] = [];
  const specs: [string, string, string[]][] = [
    ['tcpdump', 'tcpdump -nn -r FILE > /dev/null', ['-nn', '-r', file]],
    ['tshark', 'tshark -r FILE -T fields -e frame.number > /dev/null', ['-r', file, '-T', 'fields', '-e', 'frame.number']],
  ];
  for (const [name, command, args] of specs) {
    const t = timeTool(name, args);
    if (!t) {
      log(`  ${command}: not installed or failed`);
      continue;
    }
    out.push({ name, command, cpu: t.cpu, wall: t.wall });
  }
  return out;
}

const M = (n: number) => (n / 1e6).toFixed(2) + ' M';

/** One line per peer: what it was and its own rate. */
export function peerLines(peers: Peer[], frames: number): string[] {
  return peers.map((p) => `  peer ${p.command}: CPU ${p.cpu.toFixed(2)} s = ${M(frames / p.cpu)} frames/s, wall ${p.wall.toFixed(2)} s = ${M(frames / p.wall)} frames/s`);
}

/**
 * `label  CPU x M frames/s (s) | wall y M frames/s (s) | vs tcpdump Nx, tshark Nx | target: MET/NOT MET`.
 * Ratios are by CPU time: > 1 means pktlife spent less CPU than the peer on the same frames.
 */
export function rateLine(m: Measured, peers: Peer[], target?: Target): string {
  const rate = m.frames / m.cpu;
  const parts = [`  ${m.label.padEnd(38)} CPU ${M(rate)} frames/s (${m.cpu.toFixed(2)} s) | wall ${M(m.frames / m.wall)} frames/s (${m.wall.toFixed(2)} s)`];
  if (peers.length) parts.push(peers.map((p) => `${(p.cpu / m.cpu).toFixed(1)}x ${p.name}`).join(', '));
  if (m.note) parts.push(m.note);
  if (m.runs && m.runs.length > 1) parts.push(`best of ${m.runs.length}: ${m.runs.map((c) => c.toFixed(2)).join(' / ')} s`);
  if (target) {
    // each part of the target judged on its own: a ratio without tcpdump is not measured, not failed
    const checks: string[] = [];
    if (target.minRate !== undefined) checks.push(`>= ${M(target.minRate)} frames/s ${rate >= target.minRate ? 'MET' : 'NOT MET'}`);
    if (target.minTcpdumpRatio !== undefined) {
      const td = peers.find((p) => p.name === 'tcpdump');
      checks.push(`>= ${target.minTcpdumpRatio}x tcpdump ${!td ? 'NOT MEASURED' : td.cpu / m.cpu >= target.minTcpdumpRatio ? 'MET' : 'NOT MET'}`);
    }
    parts.push(`target [${target.source}]: ${checks.join(', ')}`);
  }
  return parts.join(' | ');
}

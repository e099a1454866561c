// Capture-layer benchmark: read-only and read+decode throughput on one core over a generated
// pcap (>= 1 M frames, >= 500 MB), with tcpdump and tshark timed on the same file as peers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { openCapture } from '../capture/reader.js';
import { PcapngWriter } from '../capture/pcapng-writer.js';
import { generateBenchPcap } from './gen-capture.js';
import type { BenchCtx } from './run.js';

const FRAMES = Number(process.env.PKTLIFE_BENCH_FRAMES ?? 1_100_000);
const GEN_VERSION = 2;

// Two cores are shared by many processes here, so rates are computed from this process's CPU
// time (user + system: what one core spent), with wall time printed beside it.
interface Result {
  label: string;
  frames: number;
  /** CPU seconds (best run) */
  seconds: number;
  wall: number;
}

function readOnly(file: string): { frames: number; bytes: number } {
  const r = openCapture(file);
  let frames = 0;
  let bytes = 0;
  for (let f = r.next(); f; f = r.next()) {
    frames++;
    bytes += f.buf[f.offset + f.caplen - 1]! + f.caplen; // touch the bytes (zero-copy: no view made) so nothing is optimised away
  }
  r.close();
  return { frames, bytes };
}

/** Same, but through the f.data view (one small allocation per frame) as most consumers read it. */
function readView(file: string): number {
  const r = openCapture(file);
  let frames = 0;
  let bytes = 0;
  for (let f = r.next(); f; f = r.next()) {
    frames++;
    const d = f.data;
    bytes += d[d.length - 1]! + d.length;
  }
  r.close();
  return frames + (bytes < 0 ? 1 : 0);
}

function toPcapng(pcap: string, out: string): number {
  const r = openCapture(pcap);
  const w = new PcapngWriter(out);
  const id = w.addInterface({ name: 'eth0', linktype: r.interfaces[0]!.linktype });
  let n = 0;
  for (let f = r.next(); f; f = r.next()) {
    w.writePacket({ iface: id, tsSec: f.tsSec, tsNsec: f.tsNsec, data: f.data, len: f.len, direction: 1 + (n & 1) });
    n++;
  }
  w.close();
  r.close();
  return n;
}

type DecodeFn = (data: Uint8Array, caplen: number, linktype: number, out: unknown, wireLen?: number) => void;

async function loadDecoder(): Promise<{ decode: DecodeFn; make: () => unknown } | null> {
  const spec = '../packet/decode.js'; // resolved at run time: the decoder is another area's module
  try {
    const m = (await import(spec)) as { decodeFrame?: DecodeFn; Decoded?: new () => unknown };
    if (typeof m.decodeFrame !== 'function' || typeof m.Decoded !== 'function') return null;
    const D = m.Decoded;
    return { decode: m.decodeFrame, make: () => new D() };
  } catch {
    return null;
  }
}

function readDecode(file: string, dec: { decode: DecodeFn; make: () => unknown }): number {
  const out = dec.make();
  const r = openCapture(file);
  let frames = 0;
  for (let f = r.next(); f; f = r.next()) {
    dec.decode(f.data, f.caplen, f.iface.linktype, out, f.len);
    frames++;
  }
  r.close();
  return frames;
}

function best(label: string, runs: number, fn: () => number): Result {
  let bestS = Infinity;
  let bestWall = Infinity;
  let frames = 0;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    frames = fn();
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    bestS = Math.min(bestS, (c.user + c.system) / 1e6);
    bestWall = Math.min(bestWall, wall);
  }
  return { label, frames, seconds: bestS, wall: bestWall };
}

/** Runs a peer tool with stdout to /dev/null; its CPU seconds (bash `times`: children user+sys) and wall. */
function timeTool(cmd: string, args: string[]): { cpu: number; wall: number } | null {
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

export async function run(ctx: BenchCtx): Promise<void> {
  const file = path.join(ctx.outDir, `capture-${FRAMES}-v${GEN_VERSION}.pcap`);
  if (!fs.existsSync(file)) {
    ctx.log(`generating ${file} (${FRAMES} frames)...`);
    const t0 = Date.now();
    generateBenchPcap(file, FRAMES);
    ctx.log(`  generated in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const size = fs.statSync(file).size;
  const MB = size / 1e6;
  readOnly(file); // warm the page cache and the JIT
  const ro = best('read only', 3, () => readOnly(file).frames);
  const results: Result[] = [ro, best('read, f.data view', 3, () => readView(file))];
  const dec = await loadDecoder();
  if (dec) {
    readDecode(file, dec);
    results.push(best('read + decode', 3, () => readDecode(file, dec)));
  }
  ctx.log(`file: ${file}: ${ro.frames} frames, ${MB.toFixed(1)} MB (node ${process.version}, one thread)`);
  for (const r of results) {
    ctx.log(`  ${r.label.padEnd(18)} ${(r.frames / r.seconds / 1e6).toFixed(2)} M frames/s  ${(MB / r.seconds).toFixed(0)} MB/s  (CPU ${r.seconds.toFixed(3)} s, wall ${r.wall.toFixed(3)} s = ${(r.frames / r.wall / 1e6).toFixed(2)} M frames/s; best of 3)`);
  }
  if (!dec) ctx.log('  read + decode    decoder not available (src/packet/decode.ts exporting decodeFrame, Decoded)');

  // The same frames as pcapng (EPB, ns timestamps, epb_flags): writer speed, then reader speed.
  const ng = file.replace(/\.pcap$/, '.pcapng');
  const wr = best('write pcapng', 1, () => toPcapng(file, ng));
  const ngMB = fs.statSync(ng).size / 1e6;
  readOnly(ng);
  const rng = best('read pcapng', 3, () => readOnly(ng).frames);
  for (const [r, mb] of [[wr, ngMB], [rng, ngMB]] as const) {
    ctx.log(`  ${r.label.padEnd(18)} ${(r.frames / r.seconds / 1e6).toFixed(2)} M frames/s  ${(mb / r.seconds).toFixed(0)} MB/s  (CPU ${r.seconds.toFixed(3)} s, wall ${r.wall.toFixed(3)} s)`);
  }
  fs.rmSync(ng);
  if (process.env.PKTLIFE_BENCH_PEERS === '0') {
    ctx.log('  peers skipped (PKTLIFE_BENCH_PEERS=0)');
    return;
  }

  const peers: [string, { cpu: number; wall: number } | null][] = [
    ['tcpdump -nn -r FILE > /dev/null', timeTool('tcpdump', ['-nn', '-r', file])],
    ['tshark -r FILE -T fields -e frame.number > /dev/null', timeTool('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number'])],
  ];
  for (const [label, t] of peers) {
    if (t === null) {
      ctx.log(`  ${label}: not installed`);
      continue;
    }
    const ratios = results.map((r) => `${r.label} ${(t.cpu / r.seconds).toFixed(1)}x faster`).join(', ');
    ctx.log(`  ${label}: CPU ${t.cpu.toFixed(2)} s, wall ${t.wall.toFixed(2)} s (${(ro.frames / t.cpu / 1e6).toFixed(2)} M frames/s); by CPU time: ${ratios}`);
  }
  ctx.log('  targets: read >= 5 M frames/s, read+decode >= 3 M frames/s, >= 10x tcpdump');
}

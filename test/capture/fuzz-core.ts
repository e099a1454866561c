// Mutation fuzzing of the capture reader over corpus files: bit flips, truncations, length
// field corruption, spliced garbage. The reader may only ever return frames or throw a
// CaptureError; it must stop (frames bounded by the input size) and keep its buffer bounded.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CaptureError, captureFromBuffer, openCapture, MAX_CAPLEN } from '../../src/capture/reader.js';
import { mulberry32 } from '../../src/bench/gen-capture.js';

export { mulberry32 };

const EXTREMES = [0, 1, 3, 4, 7, 8, 11, 12, 16, 28, 31, 32, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffc, MAX_CAPLEN, MAX_CAPLEN + 1, 0x10000, 65535];

export function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
  const r = () => Math.floor(rnd() * 0x100000000);
  const pick = (n: number) => Math.floor(rnd() * n);
  let b = Uint8Array.from(src);
  const rounds = 1 + pick(4);
  for (let k = 0; k < rounds && b.length > 0; k++) {
    switch (pick(5)) {
      case 0: {
        // bit flips
        const n = 1 + pick(8);
        for (let i = 0; i < n; i++) b[pick(b.length)]! ^= 1 << pick(8);
        break;
      }
      case 1:
        b = b.subarray(0, pick(b.length + 1));
        break;
      case 2: {
        // a 32-bit field (aligned: lengths live there) set to an extreme or random value
        if (b.length < 4) break;
        const at = pick(b.length >> 2) << 2;
        const v = rnd() < 0.6 ? EXTREMES[pick(EXTREMES.length)]! : r();
        new DataView(b.buffer, b.byteOffset).setUint32(at, v, rnd() < 0.5);
        break;
      }
      case 3: {
        // splice random bytes in
        const at = pick(b.length);
        const junk = Uint8Array.from({ length: 1 + pick(64) }, () => pick(256));
        const nb = new Uint8Array(b.length + junk.length);
        nb.set(b.subarray(0, at), 0);
        nb.set(junk, at);
        nb.set(b.subarray(at), at + junk.length);
        b = nb;
        break;
      }
      case 4: {
        // duplicate a slice (repeated blocks / sections)
        const at = pick(b.length);
        const len = pick(Math.min(512, b.length - at) + 1);
        const nb = new Uint8Array(b.length + len);
        nb.set(b.subarray(0, at + len), 0);
        nb.set(b.subarray(at), at + len);
        b = nb;
        break;
      }
    }
  }
  return b;
}

export interface FuzzStats {
  runs: number;
  frames: number;
  captureErrors: number;
  clean: number;
}

/** Reads one mutated input; throws (test failure) on anything but frames or a CaptureError. */
export function readMutant(b: Uint8Array, name: string, viaFile: string | null, stats: FuzzStats): void {
  stats.runs++;
  const maxFrames = Math.floor(b.length / 12) + 1;
  let n = 0;
  try {
    let r;
    if (viaFile) {
      fs.writeFileSync(viaFile, b);
      r = openCapture(viaFile);
    } else {
      r = captureFromBuffer(b, name);
    }
    try {
      for (let f = r.next(); f; f = r.next()) {
        n++;
        if (n > maxFrames) throw new Error(`${name}: runaway reader, ${n} frames from ${b.length} bytes`);
        if (f.data.length !== f.caplen || f.caplen > MAX_CAPLEN) throw new Error(`${name}: frame ${n} bad caplen ${f.caplen}/${f.data.length}`);
        if (viaFile && f.data.buffer.byteLength > 2 * 1024 * 1024) throw new Error(`${name}: read buffer grew to ${f.data.buffer.byteLength}`);
        if (!Number.isFinite(f.tsSec) || !(f.tsNsec >= 0 && f.tsNsec < 1e9)) throw new Error(`${name}: frame ${n} bad ts ${f.tsSec}.${f.tsNsec}`);
      }
      stats.clean++;
    } finally {
      r.close();
    }
  } catch (e) {
    if (!(e instanceof CaptureError)) throw new Error(`${name}: non-CaptureError after ${n} frames: ${(e as Error)?.stack ?? e}`);
    if (!e.message.startsWith(`${viaFile ?? name}: offset `)) throw new Error(`bad error message: ${e.message}`);
    stats.captureErrors++;
  }
  stats.frames += n;
}

export function corpusFiles(corpus: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'ref' && e.name !== 'tools') walk(p);
      } else if (/\.(pcap|pcapng|cap|dmp)$/.test(e.name)) out.push(p);
    }
  };
  walk(corpus);
  return out.sort();
}

/** Repeats a capture's body until it passes `min` bytes (a whole pcapng file repeated is more
 *  sections; a pcap's records after its 24-byte header repeat), so file reads cross chunks. */
export function inflate(b: Uint8Array, min: number): Uint8Array {
  const isNg = b.length >= 4 && b[0] === 0x0a && b[1] === 0x0d && b[2] === 0x0d && b[3] === 0x0a;
  const head = isNg ? 0 : Math.min(24, b.length);
  const body = b.subarray(head);
  if (body.length === 0) return b;
  const reps = Math.ceil((min - head) / body.length);
  const out = new Uint8Array(head + reps * body.length);
  out.set(b.subarray(0, head), 0);
  for (let i = 0; i < reps; i++) out.set(body, head + i * body.length);
  return out;
}

export function runFuzz(corpus: string, iterations: number, seed: number, fileEvery: number, inflateTo = 0): FuzzStats {
  const files = corpusFiles(corpus).map((f) => ({ f, b: new Uint8Array(fs.readFileSync(f)) }));
  const rnd = mulberry32(seed);
  const stats: FuzzStats = { runs: 0, frames: 0, captureErrors: 0, clean: 0 };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cap-fuzz-'));
  const tmp = path.join(dir, 'mutant');
  try {
    for (let i = 0; i < iterations; i++) {
      const src = files[Math.floor(rnd() * files.length)]!;
      const m = mutate(inflateTo ? inflate(src.b, inflateTo) : src.b, rnd);
      readMutant(m, `${path.basename(src.f)}#seed${seed}/${i}`, i % fileEvery === 0 ? tmp : null, stats);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return stats;
}

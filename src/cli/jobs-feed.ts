// `--jobs N`: the per-frame text that does not depend on the kernel model, made by worker threads
// (jobs-worker.ts) and handed to the main thread as bytes in transferred batches (jobs-batch.ts).
//
// - `replay --format text` is a pipeline: one worker reads the capture and makes every frame's
//   summary (the decode and the tcpdump-style text with its relative TCP sequence numbers), in
//   frame order; the main thread runs the kernel model over its own reading of the capture, in
//   frame order as with one thread, and writes each line from the frame number, the device, the
//   worker's summary bytes and the fate. Nothing of the model is split: bridge FDB learning,
//   neighbours, fragment queues, rate limits, conntrack expectations and NAT port choices span
//   flows and their order decides answers. The summaries' one state, tcpdump's conversation
//   table, sees the same frames in the same order as with one thread: the same bytes, with no
//   proof of flow independence needed.
// - `inspect` has no model: its lines are spread over N threads (the main thread and N - 1
//   workers, each reading the file) by a symmetric hash of the outermost IP address pair
//   (jobs-hash.ts), as RSS spreads flows over CPUs, so every frame of a TCP conversation (the
//   summaries' only state) is on one thread; the main thread makes its own lines and puts the
//   workers' in between, in frame order (copyBefore). (The conversation table forgets nothing up to 2^20 conversations per
//   table; past that, a conversation one thread would print with absolute numbers may still fit a
//   worker's table: the one case where the output could differ, on captures of more than a
//   million TCP conversations.)
import { receiveMessageOnPort, MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { recycled, type Batch } from './jobs-batch.js';
import type { ByteOut } from './out.js';

export type FeedMode = 'inspect-text' | 'inspect-ndjson' | 'replay-summary';

export interface FeedOptions {
  mode: FeedMode;
  /** inspect --iface: frames on other interfaces are skipped */
  iface?: string;
  link?: boolean;
  absoluteSeq?: boolean;
}

/** what a worker gets */
export interface WorkerSetup extends FeedOptions {
  file: string;
  /** owners the hash spreads conversations over (inspect: the main thread is owner 0) */
  n: number;
  /** the owner whose lines this worker makes */
  index: number;
  /** this worker's counters: counters[slot] posted, counters[workers + slot] consumed */
  slot: number;
  workers: number;
  port: MessagePort;
  /** [posted batches per worker..., consumed batches per worker...] */
  counters: SharedArrayBuffer;
  /** batches a worker may run ahead of the main thread (bounded memory) */
  ahead: number;
  /** the worker's module (BOOTSTRAP imports it) */
  url: string;
}

/** A worker starts from this script, which imports the worker's module: a module that cannot be
 *  loaded (or an exception out of it) comes back as the worker's last batch, with the error, so
 *  the main thread, which waits synchronously and never sees a Worker's 'error' event, says so
 *  instead of waiting for ever. */
const BOOTSTRAP = `
const { workerData: w } = require('node:worker_threads');
import(w.url).catch((e) => {
  w.port.postMessage({ bytes: new Uint8Array(0), ends: new Int32Array(0), frames: new Int32Array(0), count: 0, upTo: 0, end: true,
    error: { message: '--jobs: a worker thread failed: ' + (e && e.message), name: 'Error', at: 0 } });
  const c = new Int32Array(w.counters);
  Atomics.add(c, w.slot, 1);
  Atomics.notify(c, w.slot);
});`;

/** batches a worker may run ahead of the main thread: ~4096 frames each, a few MB in all */
const AHEAD = 8;

/** --jobs: 0 is one per core; the default is 1 (see docs/perf.md) */
export function parseJobs(v: string | undefined): number {
  if (v === undefined) return 1;
  if (!/^\d+$/.test(v)) throw new Error(`--jobs must be a whole number (0: one per core), got "${v}"`);
  const n = Number(v);
  return n === 0 ? availableParallelism() : Math.min(n, 64);
}

/** an error a worker met, thrown again on the main thread where one thread would have met it */
export class JobsError extends Error {
  constructor(message: string, name: string) {
    super(message);
    this.name = name;
  }
}

interface Queue {
  b: Batch | null;
  /** next line of b */
  i: number;
  ended: boolean;
}

export class JobsFeed {
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly counters: Int32Array;
  private readonly queues: Queue[] = [];
  /** the first error (in frame order) a worker stopped at */
  private stop: NonNullable<Batch['error']> | null = null;

  /** `jobs` threads in all: `replay-summary` starts one worker (it makes every frame's summary);
   *  inspect starts jobs - 1, holding the conversations of owners 1 .. jobs - 1 (jobs-hash.ts),
   *  while the main thread makes owner 0's lines itself (copyBefore puts the workers' in between) */
  constructor(file: string, jobs: number, opts: FeedOptions, worker: URL = workerFile()) {
    const replay = opts.mode === 'replay-summary';
    const n = replay ? 1 : jobs - 1;
    const sab = new SharedArrayBuffer(8 * n);
    this.counters = new Int32Array(sab);
    for (let i = 0; i < n; i++) {
      const { port1, port2 } = new MessageChannel();
      const setup: WorkerSetup = { ...opts, file, n: replay ? 1 : jobs, index: replay ? 0 : i + 1, slot: i, workers: n, port: port2, counters: sab, ahead: AHEAD, url: worker.href };
      const w = new Worker(BOOTSTRAP, { eval: true, workerData: setup, transferList: [port2] });
      w.unref();
      this.workers.push(w);
      this.ports.push(port1);
      this.queues.push({ b: null, i: 0, ended: false });
    }
  }

  get n(): number {
    return this.workers.length;
  }

  /** worker i's next batch into its queue (waiting for it); false when it has ended */
  private pull(i: number): boolean {
    const q = this.queues[i]!;
    if (q.ended) return false;
    const port = this.ports[i]!;
    for (;;) {
      // the worker bumps its posted count after each post: read it before looking, wait for a change
      const posted = Atomics.load(this.counters, i);
      const m = receiveMessageOnPort(port);
      if (m !== undefined) {
        const b = m.message as Batch;
        // the batch done with goes back to be filled again
        if (q.b !== null && !q.ended) {
          const r = recycled(q.b);
          port.postMessage(r, [r.bytes, r.ends, r.frames]);
        }
        Atomics.add(this.counters, this.n + i, 1);
        Atomics.notify(this.counters, this.n + i);
        q.b = b;
        q.i = 0;
        if (b.error && (this.stop === null || b.error.at < this.stop.at)) this.stop = b.error;
        if (b.end) q.ended = true;
        return true;
      }
      Atomics.wait(this.counters, i, posted, 200);
    }
  }

  /** replay: frame `frame`'s summary bytes at out.pos (frames are asked for in order; the
   *  worker's error is thrown where one thread would have met it) */
  summaryInto(out: ByteOut, frame: number): void {
    const q = this.queues[0]!;
    for (;;) {
      const b = q.b;
      if (b !== null && q.i < b.count) {
        const i = q.i;
        const f = b.frames[i]!;
        if (f === frame) {
          q.i++;
          copyLine(out, b, i);
          return;
        }
        if (f < frame) {
          q.i++;
          continue;
        }
      }
      if (b !== null && q.i < b.count) throw new Error(`--jobs: frame ${frame} asked for after frame ${b.frames[q.i]}`);
      if (this.stop !== null && this.stop.at <= frame) throw new JobsError(this.stop.message, this.stop.name);
      if (!this.pull(0)) throw new Error(`--jobs: no summary for frame ${frame}`);
    }
  }

  /** inspect: the workers' lines of frames before `frame` (every one left: Infinity) at out.pos,
   *  in frame order, waiting for them. A worker's exception (not the capture's error, which the
   *  main thread meets itself at the same frame) is thrown where one thread would have met it. */
  copyBefore(out: ByteOut, frame: number): void {
    const qs = this.queues;
    for (;;) {
      // the lowest frame number at the head of a queue
      let best = -1, bestFrame = Infinity;
      for (let i = 0; i < qs.length; i++) {
        const q = qs[i]!;
        if (q.b !== null && q.i < q.b.count && q.b.frames[q.i]! < bestFrame) {
          bestFrame = q.b.frames[q.i]!;
          best = i;
        }
      }
      // a worker with no line queued may still have a lower one to come: wait for its batch
      const limit = bestFrame < frame ? bestFrame : frame;
      let waited = false;
      for (let i = 0; i < qs.length; i++) {
        const q = qs[i]!;
        if ((q.b !== null && q.i < q.b.count) || q.ended) continue;
        if (q.b !== null && q.b.upTo >= limit - 1) continue;
        this.pull(i);
        waited = true;
      }
      if (waited) continue;
      const stopAt = this.stop === null ? Infinity : this.stop.at;
      if (best >= 0 && bestFrame < frame && bestFrame < stopAt) {
        const q = qs[best]!;
        copyLine(out, q.b!, q.i++);
        continue;
      }
      if (this.stop !== null && this.stop.at <= frame && this.stop.name !== 'CaptureError') throw new JobsError(this.stop.message, this.stop.name);
      return;
    }
  }

  close(): void {
    for (const w of this.workers) void w.terminate();
    for (const p of this.ports) p.close();
  }
}

/** line i of batch b at out.pos */
function copyLine(out: ByteOut, b: Batch, i: number): void {
  const from = i === 0 ? 0 : b.ends[i - 1]!;
  const n = b.ends[i]! - from;
  out.room(n);
  // natively: a view per line costs less than a byte loop over ~70 bytes (measured)
  out.buf.set(b.bytes.subarray(from, from + n), out.pos);
  out.pos += n;
}

/** the worker's module: beside this one (dist/cli, or the bundle's dist/cli-bundle); from the
 *  sources (the tests), the built one */
function workerFile(): URL {
  const here = new URL('./jobs-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL('../../dist/cli/jobs-worker.js', import.meta.url);
}

// `--jobs N`: the per-frame text that does not depend on the kernel model (the decode, the
// tcpdump-style summary with its relative TCP sequence numbers, inspect's lines) made by N worker
// threads, each reading the capture itself, and handed back in frame order.
//
// Frames are spread the way RSS spreads them over CPUs: by a symmetric hash of the outermost IP
// address pair, so both directions of every conversation (and every conversation tunnelled between
// the same two endpoints) go to one worker. The only state the summaries keep is tcpdump's table of
// TCP conversations (summary-tcpseq.ts), keyed by addresses and ports: each worker sees every
// frame of the conversations it holds, in order, so its table gives the numbers one thread would.
// (The table forgets nothing up to 2^20 conversations per table; past that, a conversation one
// thread would print with absolute numbers may still fit a worker's table: the one case where the
// output could differ, on captures of more than a million TCP conversations.)
// Worker 0 also sends which worker holds each frame, so the main thread merges without decoding.
//
// The kernel model itself stays on the main thread, in frame order: bridge FDB learning,
// neighbours, fragment queues, rate limits, conntrack and NAT span flows, and their order decides
// answers. Only the work beside it is spread.
import { receiveMessageOnPort, MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
  n: number;
  index: number;
  port: MessagePort;
  /** [posted batches per worker..., consumed batches per worker...] */
  counters: SharedArrayBuffer;
}

/** a batch from a worker: its frames' texts in order; worker 0 adds the owner of each frame read */
export interface Batch {
  lines?: string[];
  owners?: Uint8Array;
  /** the capture's error after the last good frame (message, and whether it is a CaptureError) */
  error?: { message: string; capture: boolean };
  /** no more batches */
  end?: boolean;
}

/** frames whose owner byte says "skipped" (inspect --iface on another interface) */
export const SKIPPED = 255;
/** batches a worker may run ahead of the main thread (bounded memory) */
export const AHEAD = 16;

/** --jobs: 0 is one per core; the default is 1 (see docs/perf.md) */
export function parseJobs(v: string | undefined): number {
  if (v === undefined) return 1;
  if (!/^\d+$/.test(v)) throw new Error(`--jobs must be a whole number (0: one per core), got "${v}"`);
  const n = Number(v);
  return n === 0 ? availableParallelism() : Math.min(n, 64);
}

export class JobsFeed {
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly counters: Int32Array;
  private readonly queues: { lines: string[]; at: number }[] = [];
  private owners: Uint8Array = new Uint8Array(0);
  private ownerAt = 0;
  private ownersEnded = false;
  private readonly ended: boolean[] = [];
  /** the capture error worker 0 met, once every frame before it was handed out */
  error: { message: string; capture: boolean } | null = null;
  /** some frame was on the wanted interface (inspect --iface) */
  seen = false;

  constructor(file: string, readonly n: number, opts: FeedOptions) {
    const sab = new SharedArrayBuffer(8 * n);
    this.counters = new Int32Array(sab);
    for (let i = 0; i < n; i++) {
      const { port1, port2 } = new MessageChannel();
      const setup: WorkerSetup = { ...opts, file, n, index: i, port: port2, counters: sab };
      const w = new Worker(workerFile(), { workerData: setup, transferList: [port2] });
      w.unref();
      this.workers.push(w);
      this.ports.push(port1);
      this.queues.push({ lines: [], at: 0 });
      this.ended.push(false);
    }
  }

  /** next batch of worker i, waiting for it (synchronously: the callers' loops are synchronous) */
  private receive(i: number): Batch | null {
    for (;;) {
      const m = receiveMessageOnPort(this.ports[i]!);
      if (m !== undefined) {
        Atomics.add(this.counters, this.n + i, 1);
        Atomics.notify(this.counters, this.n + i);
        return m.message as Batch;
      }
      if (this.ended[i]) return null;
      // the worker bumps its posted count after each post: wait for a change
      const posted = Atomics.load(this.counters, i);
      const again = receiveMessageOnPort(this.ports[i]!);
      if (again !== undefined) {
        Atomics.add(this.counters, this.n + i, 1);
        Atomics.notify(this.counters, this.n + i);
        return again.message as Batch;
      }
      Atomics.wait(this.counters, i, posted, 200);
    }
  }

  private take(b: Batch, i: number): void {
    if (b.lines) {
      const q = this.queues[i]!;
      q.lines = q.at < q.lines.length ? q.lines.slice(q.at).concat(b.lines) : b.lines;
      q.at = 0;
    }
    if (b.owners && i === 0) {
      this.owners = this.ownerAt < this.owners.length ? concat(this.owners.subarray(this.ownerAt), b.owners) : b.owners;
      this.ownerAt = 0;
    }
    if (b.error && i === 0) this.errorPending = b.error;
    if (b.end) this.ended[i] = true;
  }
  private errorPending: { message: string; capture: boolean } | null = null;

  /** number (1-based) of the frame whose text next() returned last */
  frame = 0;

  /** the text of frame `n` (frames before it that were not asked for are passed over), or null
   *  when the capture ends before it */
  textOf(n: number): string | null {
    for (;;) {
      const t = this.next();
      if (t === null || this.frame === n) return t;
      if (this.frame > n) throw new Error(`--jobs: frame ${n} asked for after frame ${this.frame}`);
    }
  }

  /** the next frame's text (in frame order), or null at the end (then see `error`) */
  next(): string | null {
    for (;;) {
      if (this.ownerAt < this.owners.length) {
        const o = this.owners[this.ownerAt++]!;
        this.frame++;
        if (o === SKIPPED) continue;
        this.seen = true;
        const q = this.queues[o]!;
        while (q.at >= q.lines.length) {
          const b = this.receive(o);
          if (b === null) throw new Error(`--jobs: worker ${o} ended before its frames`);
          this.take(b, o);
        }
        return q.lines[q.at++]!;
      }
      if (this.ownersEnded) {
        this.error = this.errorPending;
        return null;
      }
      const b = this.receive(0);
      if (b === null || (b.end && !b.owners?.length && !b.lines?.length && !b.error)) {
        if (b) this.take(b, 0);
        this.ownersEnded = true;
        continue;
      }
      this.take(b, 0);
      if (b.end) this.ownersEnded = true;
    }
  }

  close(): void {
    for (const w of this.workers) void w.terminate();
    for (const p of this.ports) p.close();
  }
}

/** the worker's module: beside this one in dist/; from the sources (the tests), the built one */
function workerFile(): URL {
  const here = new URL('./jobs-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL('../../dist/cli/jobs-worker.js', import.meta.url);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const c = new Uint8Array(a.length + b.length);
  c.set(a, 0);
  c.set(b, a.length);
  return c;
}

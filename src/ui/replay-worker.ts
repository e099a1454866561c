// The replay behind the timeline, in a worker thread: the model and the row encoding
// (row-encoder.ts) run here while the UI thread draws and answers keys; rows go over in batches
// of transferred buffers (worker-pump.ts appends them to the store). Only for a capture file: a
// stream on stdin stays with the UI thread's pump (its reader is fed from process.stdin there).
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { ChecksumMode } from '../kernel/ctx.js';
import { loadHostArg } from '../host/load.js';
import { openReplay } from '../replay.js';
import { batchBuffers, RowEncoder } from './row-encoder.js';
import type { ReplayWorkerData, ReplayWorkerMsg } from './worker-pump.js';

/** rows per batch at most, and the longest a row waits before it is sent */
const BATCH_ROWS = 4096;
const BATCH_MS = 30;
/** the first rows go at once: the first screen needs only a screenful */
const FIRST_BATCH_ROWS = 256;
/**
 * Once the first screen's rows are sent, this thread (only this one: on Linux setpriority of
 * "process" 0 is the calling thread) runs at a lower priority, so that on a busy machine a key's
 * render on the UI thread gets the CPU before the replay: key-to-screen p95 while replaying at
 * load 4-5: 65-146 ms at the same priority, 33-64 ms lowered (docs/perf.md).
 */
const NICE_AFTER_FIRST_BATCH = 10;

function run(spec: ReplayWorkerData): void {
  const port = parentPort!;
  const host = loadHostArg(spec.host);
  const src = openReplay(spec.capture, host, { checksums: spec.checksums as ChecksumMode, iface: spec.iface, summaries: false, events: true, ...(spec.bpf ? { bpf: spec.bpf } : {}) });
  // the summaries are made from each item's bytes with replay.ts's options
  const enc = new RowEncoder({ summariesFromBytes: { ifaceColumn: true } });
  let sent = 0;
  let last = performance.now();
  const post = (): void => {
    const rows = enc.take(true);
    sent += rows.n;
    const m: ReplayWorkerMsg = { kind: 'rows', rows, bytesRead: src.bytesRead() };
    port.postMessage(m, batchBuffers(rows));
    if (sent === rows.n) lowerPriority();
    last = performance.now();
  };
  let error: string | null = null;
  try {
    for (let it = src.next(); it; it = src.next()) {
      enc.add(it);
      const n = enc.n;
      if (n >= BATCH_ROWS || (sent === 0 && n >= FIRST_BATCH_ROWS) || ((n & 255) === 0 && performance.now() - last >= BATCH_MS)) post();
    }
  } catch (e) {
    // a damaged capture: the frames before it stay, the error is shown after them
    error = e instanceof Error ? e.message : String(e);
  }
  if (enc.n) post();
  try {
    src.close();
  } catch {
    /* closing is best effort; the frames are in */
  }
  const end: ReplayWorkerMsg = { kind: 'end', error, bytesRead: src.bytesRead() };
  port.postMessage(end);
}

function lowerPriority(): void {
  // elsewhere (macOS, Windows) it would lower the whole process, the UI thread with it
  if (process.platform !== 'linux') return;
  try {
    setPriority(0, NICE_AFTER_FIRST_BATCH);
  } catch {
    /* not allowed or not supported here: the replay runs as before */
  }
}

run(workerData as ReplayWorkerData);

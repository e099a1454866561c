// One worker thread of `--jobs N` (jobs-feed.ts). It reads the capture itself and writes, as bytes
// into batches it transfers to the main thread (jobs-batch.ts), with the same code and in the same
// order as the one-thread path:
// - `replay-summary`: every frame's summary (replay-text.ts summaryInto), for the main thread,
//   which runs the kernel model meanwhile and writes each line's other parts;
// - `inspect-text` / `inspect-ndjson`: the whole line of every frame whose conversation it holds
//   (jobs-hash.ts: each conversation on one worker, as RSS keeps a flow on one CPU).
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { openCapture, CaptureError, type CaptureReader } from '../capture/reader.js';
import { Decoded, decodeFrame } from '../packet/decode.js';
import { SummaryState } from '../packet/summary.js';
import { BATCH_FRAMES, LineBatch, type Batch, type Recycled } from './jobs-batch.js';
import type { WorkerSetup } from './jobs-feed.js';
import { inspectLine, textInto } from './inspect.js';
import { ndjsonInto } from './inspect-ndjson.js';
import { fastOwner, flowOwner } from './jobs-hash.js';
import { summaryInto } from './replay-text.js';

function run(w: WorkerSetup): void {
  const counters = new Int32Array(w.counters);
  const post = (b: Batch): void => {
    w.port.postMessage(b, [b.bytes.buffer as ArrayBuffer, b.ends.buffer as ArrayBuffer, b.frames.buffer as ArrayBuffer]);
    const posted = Atomics.add(counters, w.slot, 1) + 1;
    Atomics.notify(counters, w.slot);
    // bounded memory: at most AHEAD batches not yet taken by the main thread
    for (;;) {
      const consumed = Atomics.load(counters, w.workers + w.slot);
      if (posted - consumed <= w.ahead) break;
      Atomics.wait(counters, w.workers + w.slot, consumed, 200);
    }
  };
  const d = new Decoded();
  const st = new SummaryState();
  const sumOpts = { link: w.link, absoluteSeq: w.absoluteSeq };
  const ndjson = w.mode === 'inspect-ndjson';
  const replay = w.mode === 'replay-summary';
  // as the one-thread replay's lines (replay.ts): the device has its own column
  const REPLAY_SUMMARY = { ifaceColumn: true };
  const batch = new LineBatch();
  // buffers of a batch the main thread is done with, when it gave one back
  const reuse = (): Recycled | null => (receiveMessageOnPort(w.port)?.message as Recycled | undefined) ?? null;
  let frame = 0;
  let reader: CaptureReader | undefined;
  try {
    reader = openCapture(w.file);
    let sinceBatch = 0;
    for (let f = reader.next(); f !== null; f = reader.next()) {
      frame = f.index;
      if (replay) {
        // the same decode as TextLines (the item's captured bytes; no checksums)
        decodeFrame(new Uint8Array(f.buf.buffer, f.buf.byteOffset + f.offset, f.caplen), f.caplen, f.iface.linktype, d, f.len, false);
        summaryInto(batch, d, st, REPLAY_SUMMARY);
        batch.endLine(frame);
      } else if (w.iface === undefined || f.iface.name === w.iface) {
        // the owner from the headers where that is quick (Ethernet, IP), else from the decode
        let o = w.n === 1 ? 0 : fastOwner(f.buf, f.offset, f.caplen, f.iface.linktype, w.n);
        let decoded = false;
        if (o < 0) {
          decodeFrame(f.data, f.caplen, f.iface.linktype, d, f.len, ndjson);
          decoded = true;
          o = flowOwner(d, w.n);
        }
        if (o === w.index) {
          if (!decoded) decodeFrame(f.data, f.caplen, f.iface.linktype, d, f.len, ndjson);
          // as runInspect's one-thread loop: the byte writers, else the string line
          if (!(ndjson ? ndjsonInto(batch, f, d) : textInto(batch, f, d, st, sumOpts))) batch.write(inspectLine(f, d, ndjson, st, sumOpts));
          batch.endLine(frame);
        }
      }
      if (++sinceBatch === BATCH_FRAMES || batch.full) {
        post(batch.take(frame, reuse()));
        sinceBatch = 0;
      }
    }
    const last = batch.take(frame);
    last.end = true;
    // PKTLIFE_JOBS_STATS=1: the worker's own CPU (it ends before the process: per-thread figures for docs/perf.md)
    if (process.env.PKTLIFE_JOBS_STATS === '1') process.stderr.write(`pktlife: --jobs worker ${w.index}: ${threadCpu()} s CPU, ${frame} frames\n`);
    post(last);
  } catch (e) {
    // the frame that failed is the one after the last read (a capture error) or the one being made
    const err = e as Error;
    const at = err instanceof CaptureError ? frame + 1 : frame;
    // lines of frames before it stand; one half-made for the failing frame is not in ends
    const last = batch.take(at - 1);
    last.error = { message: err.message, name: err.name, at };
    last.end = true;
    post(last);
  } finally {
    reader?.close();
  }
}

/** this thread's CPU (user + system), seconds */
function threadCpu(): string {
  const st = readFileSync('/proc/thread-self/stat', 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) / 100).toFixed(2);
}
run(workerData as WorkerSetup);

// One worker of `--jobs N` (jobs-feed.ts): reads the whole capture, keeps the frames whose address
// pair hashes to it and makes their text exactly as the one-thread path does; worker 0 also says
// which worker holds each frame.
import { workerData } from 'node:worker_threads';
import { openCapture, CaptureError } from '../capture/reader.js';
import { Decoded, decodeFrame } from '../packet/decode.js';
import { summarize, SummaryState } from '../packet/summary.js';
import { AHEAD, SKIPPED, type Batch, type WorkerSetup } from './jobs-feed.js';
import { inspectLine } from './inspect.js';
import { flowOwner } from './jobs-hash.js';

const BATCH = 2048;

function run(w: WorkerSetup): void {
  const counters = new Int32Array(w.counters);
  const posted = (): number => Atomics.load(counters, w.index);
  const post = (b: Batch): void => {
    w.port.postMessage(b);
    Atomics.add(counters, w.index, 1);
    Atomics.notify(counters, w.index);
    // bounded memory: at most AHEAD batches not yet taken by the main thread
    for (;;) {
      const consumed = Atomics.load(counters, w.n + w.index);
      if (posted() - consumed <= AHEAD) break;
      Atomics.wait(counters, w.n + w.index, consumed, 200);
    }
  };
  const d = new Decoded();
  const st = new SummaryState();
  const sumOpts = { link: w.link, absoluteSeq: w.absoluteSeq };
  const ndjson = w.mode === 'inspect-ndjson';
  const replay = w.mode === 'replay-summary';
  // as the one-thread replay's summaries (replay.ts): the device has its own column
  const REPLAY_SUMMARY = { ifaceColumn: true };
  let lines: string[] = [];
  let owners = w.index === 0 ? new Uint8Array(BATCH) : null;
  let k = 0;
  const flush = (end: boolean, error?: Batch['error']): void => {
    const b: Batch = { lines };
    if (owners) b.owners = owners.subarray(0, k);
    if (end) b.end = true;
    if (error) b.error = error;
    post(b);
    lines = [];
    if (owners) owners = new Uint8Array(BATCH);
    k = 0;
  };
  let reader;
  try {
    reader = openCapture(w.file);
    for (let f = reader.next(); f !== null; f = reader.next()) {
      if (w.iface !== undefined && f.iface.name !== w.iface) {
        if (owners) owners[k] = SKIPPED;
      } else {
        // the same decode as the one-thread path: replay.ts (no checksums), inspect (ndjson sums them)
        decodeFrame(f.data, f.caplen, f.iface.linktype, d, f.len, ndjson);
        const o = flowOwner(d, w.n);
        if (owners) owners[k] = o;
        if (o === w.index) lines.push(replay ? summarize(d, st, REPLAY_SUMMARY) : inspectLine(f, d, ndjson, st, sumOpts));
      }
      if (++k === BATCH) flush(false);
    }
    flush(true);
  } catch (e) {
    flush(true, { message: (e as Error).message, capture: e instanceof CaptureError });
  } finally {
    reader?.close();
  }
}

run(workerData as WorkerSetup);

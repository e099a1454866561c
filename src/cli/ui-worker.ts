// Starts the timeline's replay worker (dist/ui/replay-worker.js) for a capture file and hands the
// UI its messages (src/ui/worker-pump.ts). Here, outside the UI bundle: the worker's path is
// resolved from dist/cli, and the worker loads the engine's modules, not the bundle.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BatchFeed, ReplayWorkerData, ReplayWorkerMsg } from '../ui/worker-pump.js';

const WORKER = new URL('../ui/replay-worker.js', import.meta.url);

/** the worker's script is there (a build; not when running the TypeScript sources) */
export function replayWorkerAvailable(): boolean {
  return existsSync(fileURLToPath(WORKER));
}

/** the worker started; title and size are set by the caller once it has opened the capture itself */
export function replayWorkerFeed(spec: ReplayWorkerData): BatchFeed {
  const w = new Worker(WORKER, { workerData: spec });
  let ended = false;
  let closed = false;
  let bytes = 0;
  // messages before the UI listens wait here
  const pending: ReplayWorkerMsg[] = [];
  let on: (m: ReplayWorkerMsg) => void = (m) => pending.push(m);
  const deliver = (m: ReplayWorkerMsg): void => {
    if (ended) return;
    if (m.kind === 'end') ended = true;
    bytes = m.bytesRead;
    on(m);
  };
  w.on('message', deliver);
  // a failure the worker could not report itself (its host or capture failing to load, a bug):
  // the same place on the screen as a capture error, after the frames that came
  w.on('error', (e) => deliver({ kind: 'end', error: `replay worker: ${e.message}`, bytesRead: bytes }));
  w.on('exit', (code) => {
    if (!closed) deliver({ kind: 'end', error: `replay worker: exited (code ${code}) before the end of the capture`, bytesRead: bytes });
  });
  return {
    title: spec.capture,
    totalBytes: 0,
    listen(f) {
      on = f;
      for (const m of pending.splice(0)) f(m);
    },
    close() {
      closed = true;
      void w.terminate();
    },
  };
}

// The timeline's pump when the replay runs in a worker thread (replay-worker.ts): step() appends
// the batches of rows that have arrived; the UI thread never runs the model.
import { progressOf, type Progress, type TimelinePump } from './pump.js';
import type { RowBatch } from './row-encoder.js';
import type { RowStore } from './store.js';

/** what the worker is started with (src/cli/ui-worker.ts) */
export interface ReplayWorkerData {
  capture: string;
  host: string;
  iface?: string;
  checksums: string;
  bpf?: string[];
}

export type ReplayWorkerMsg = { kind: 'rows'; rows: RowBatch; bytesRead: number } | { kind: 'end'; error: string | null; bytesRead: number };

/** the worker as the UI sees it */
export interface BatchFeed {
  title: string;
  totalBytes: number;
  /** called with each message, in order */
  listen(on: (m: ReplayWorkerMsg) => void): void;
  close(): void;
}

export class WorkerPump implements TimelinePump {
  done = false;
  waiting = false;
  error: string | null = null;
  readonly source: { title: string };
  private queue: ReplayWorkerMsg[] = [];
  private bytes = 0;
  private readonly started: number;
  private elapsed = 0;

  constructor(
    private readonly feed: BatchFeed,
    readonly store: RowStore,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.source = { title: feed.title };
    this.started = now();
    feed.listen((m) => this.queue.push(m));
  }

  /** append the batches that arrived, for about budgetMs; returns the number of rows added */
  step(budgetMs: number): number {
    if (this.done) return 0;
    const t0 = this.now();
    const before = this.store.count;
    while (this.queue.length) {
      const m = this.queue.shift()!;
      this.bytes = m.bytesRead;
      if (m.kind === 'end') {
        this.done = true;
        this.error = m.error;
        break;
      }
      try {
        this.store.appendBatch(m.rows);
      } catch (e) {
        this.done = true;
        this.error = e instanceof Error ? e.message : String(e);
        this.feed.close();
        break;
      }
      if (this.now() - t0 >= budgetMs) break;
    }
    // one column (more if the slice has time left) readied for the rows to come (store.ts growAhead)
    if (!this.done) while (this.store.growAhead() && this.now() - t0 < budgetMs);
    this.elapsed = this.now() - this.started;
    // nothing in: the App looks again shortly instead of spinning
    this.waiting = !this.done && this.queue.length === 0;
    return this.store.count - before;
  }

  progress(): Progress {
    return progressOf(this.store.count, this.bytes, this.feed.totalBytes, this.elapsed, this.done, this.error);
  }

  close(): void {
    this.feed.close();
  }
}

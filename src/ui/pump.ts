// Replays a source into the store in slices of a few ms, so the UI stays responsive and the
// list is usable as soon as its first screen is in. Wall-clock time is used only for the
// progress figures (MB/s, ETA), never for anything shown as a result.
import type { ReplaySource } from '../replay-types.js';
import type { RowStore } from './store.js';

export interface Progress {
  frames: number;
  bytes: number;
  total: number;
  /** bytes per second of wall time so far */
  rate: number;
  /** seconds left, NaN when unknown */
  eta: number;
  done: boolean;
  /** the source's error (damaged capture), shown after the last good frame */
  error: string | null;
}

/** the progress figures from what was read in how long (wall ms): rate in bytes/s, ETA in s */
export function progressOf(frames: number, bytes: number, total: number, elapsedMs: number, done: boolean, error: string | null): Progress {
  const rate = elapsedMs > 0 ? (bytes * 1000) / elapsedMs : 0;
  const eta = total > 0 && rate > 0 ? (total - bytes) / rate : NaN;
  return { frames, bytes, total, rate, eta, done, error };
}

/** what the App drives: rows into its store, in slices (this file), or from a worker (worker-pump.ts) */
export interface TimelinePump {
  readonly store: RowStore;
  readonly source: { title: string };
  done: boolean;
  /** nothing new in yet: the App looks again shortly instead of spinning */
  waiting: boolean;
  error: string | null;
  step(budgetMs: number): number;
  progress(): Progress;
  /** stop replaying (the user quit before the end) */
  close(): void;
}

export class ReplayPump implements TimelinePump {
  done = false;
  /** a live stream has no more frames in yet (the last step stopped for that) */
  waiting = false;
  error: string | null = null;
  private started = 0;
  private elapsed = 0;

  constructor(
    readonly source: ReplaySource,
    readonly store: RowStore,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** pull frames for about budgetMs; returns the number added */
  step(budgetMs: number): number {
    if (this.done) return 0;
    const t0 = this.now();
    if (!this.started) this.started = t0;
    const deadline = t0 + budgetMs;
    const s = this.store;
    const before = s.count;
    this.waiting = false;
    try {
      // the clock is checked after every frame: a real replay may spend a millisecond on one
      // frame, and now() (~50 ns) is cheap next to that
      do {
        const it = this.source.next();
        if (it === null) {
          this.finish();
          return s.count - before;
        }
        s.add(it);
      } while (this.now() < deadline);
    } catch (e) {
      if (e instanceof Error && e.name === 'CaptureWait') {
        // a live stream: the next record is not in yet; the frames so far stay, try again later
        this.waiting = true;
      } else {
        this.error = e instanceof Error ? e.message : String(e);
        this.finish();
      }
    }
    this.elapsed = this.now() - this.started;
    return s.count - before;
  }

  progress(): Progress {
    return progressOf(this.store.count, this.source.bytesRead(), this.source.totalBytes, this.elapsed, this.done, this.error);
  }

  close(): void {
    if (!this.done) this.source.close();
  }

  private finish(): void {
    this.done = true;
    this.elapsed = this.now() - this.started;
    try {
      this.source.close();
    } catch {
      /* closing is best effort; the frames are in */
    }
  }
}

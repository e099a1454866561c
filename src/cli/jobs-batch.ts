// What a `--jobs` worker (jobs-worker.ts) hands to the main thread (jobs-feed.ts): the lines (or
// summaries) of a run of frames as UTF-8 bytes in one buffer, with each line's frame number and
// end offset. The buffers are transferred, not copied: no per-frame message or string crosses.
import type { ByteOut } from './out.js';

export interface Batch {
  /** lines in frame order: line i is bytes [ends[i-1] (0 for i = 0), ends[i]) and belongs to frames[i] */
  bytes: Uint8Array;
  ends: Int32Array;
  frames: Int32Array;
  count: number;
  /** every frame up to this number (1-based) that has a line of this worker is in this batch or an earlier one */
  upTo: number;
  /** the worker stopped at frame `at` (the capture's error after the last good frame, or an exception) */
  error?: { message: string; name: string; at: number };
  /** no more batches */
  end?: boolean;
}

/** frames a worker reads between two batches (so the main thread can merge workers' lines) */
export const BATCH_FRAMES = 4096;
/** bytes after which a batch goes out early (ndjson lines are long) */
const BATCH_BYTES = 1 << 20;

/** a batch being filled: the byte line writers write into it as into Out (it grows instead of flushing) */
export class LineBatch implements ByteOut {
  buf: Buffer = Buffer.allocUnsafe(BATCH_BYTES + (64 << 10));
  pos = 0;
  count = 0;
  ends = new Int32Array(BATCH_FRAMES);
  frames = new Int32Array(BATCH_FRAMES);

  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  write(s: string): void {
    this.room(s.length * 3);
    this.pos += this.buf.write(s, this.pos);
  }

  /** the line written since the last one ends here and is frame `frame`'s */
  endLine(frame: number): void {
    if (this.count === this.ends.length) {
      const e = new Int32Array(this.count * 2), f = new Int32Array(this.count * 2);
      e.set(this.ends);
      f.set(this.frames);
      this.ends = e;
      this.frames = f;
    }
    this.ends[this.count] = this.pos;
    this.frames[this.count++] = frame;
  }

  get full(): boolean {
    return this.pos >= BATCH_BYTES;
  }

  /** the batch to post (its buffers then belong to the receiver) and a fresh one started here,
   *  in the buffers of a batch the receiver gave back (`reuse`) when there is one: no new
   *  megabyte of external memory per batch for the garbage collector to count */
  take(upTo: number, reuse: Recycled | null = null): Batch {
    const b: Batch = { bytes: new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.pos), ends: this.ends, frames: this.frames, count: this.count, upTo };
    this.buf = reuse !== null ? Buffer.from(reuse.bytes) : Buffer.allocUnsafe(BATCH_BYTES + (64 << 10));
    this.pos = 0;
    this.count = 0;
    this.ends = reuse !== null ? new Int32Array(reuse.ends) : new Int32Array(BATCH_FRAMES);
    this.frames = reuse !== null ? new Int32Array(reuse.frames) : new Int32Array(BATCH_FRAMES);
    return b;
  }
}

/** a used batch's buffers, sent back to its worker (jobs-feed.ts) */
export interface Recycled {
  bytes: ArrayBuffer;
  ends: ArrayBuffer;
  frames: ArrayBuffer;
}

/** the buffers of batch b, to send back (transferred) */
export function recycled(b: Batch): Recycled {
  return { bytes: b.bytes.buffer as ArrayBuffer, ends: b.ends.buffer as ArrayBuffer, frames: b.frames.buffer as ArrayBuffer };
}

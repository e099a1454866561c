// Buffered synchronous stdout for the commands that print one line per frame (millions of lines):
// strings are encoded straight into one 256 KiB buffer (no array of pieces joined and encoded
// again) and written with one writeSync when it is full. `sink` replaces stdout (tests): it gets
// the text in the same chunks.
import { writeSync } from 'node:fs';

/** what the byte line writers (inspect's textInto / ndjsonInto, the replay's summaries) write
 *  into: Out here, or a `--jobs` worker's batch (jobs-batch.ts) */
export interface ByteOut {
  readonly buf: Buffer;
  pos: number;
  /** room for `n` bytes at buf[pos] */
  room(n: number): void;
  write(s: string): void;
}

export class Out implements ByteOut {
  private static readonly SIZE = 1 << 18;
  /** the buffer and the end of what it holds: byte writers (summary-line.ts) write here after
   *  room(n), then move `pos` */
  readonly buf = Buffer.allocUnsafe(Out.SIZE);
  pos = 0;
  /** the reader went away (`| head`): nothing more to write, so the caller can stop */
  closed = false;
  constructor(private readonly sink: ((s: string) => void) | null = null) {}

  write(s: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit (+1: room for the newline of line())
    if (this.pos + s.length * 3 + 1 > Out.SIZE) {
      this.flush();
      if (s.length * 3 + 1 > Out.SIZE) {
        this.writeAll(Buffer.from(s));
        return;
      }
    }
    this.pos += this.buf.write(s, this.pos);
  }

  /** make room for `n` bytes at buf[pos] (n at most 64 KiB) */
  room(n: number): void {
    if (this.pos + n > Out.SIZE) this.flush();
  }

  /** bytes [0, n) of b */
  bytes(b: Uint8Array, n: number): void {
    if (this.pos + n > Out.SIZE) {
      this.flush();
      if (n > Out.SIZE) {
        this.writeAll(Buffer.from(b.buffer, b.byteOffset, n));
        return;
      }
    }
    this.buf.set(n === b.length ? b : b.subarray(0, n), this.pos);
    this.pos += n;
  }

  /** one line: the text and its newline */
  line(s: string): void {
    this.write(s);
    this.buf[this.pos++] = 10;
  }

  flush(): void {
    const b = this.buf.subarray(0, this.pos);
    this.pos = 0;
    if (!this.closed && b.length) this.writeAll(b);
  }

  private writeAll(b: Buffer): void {
    if (this.sink !== null) {
      this.sink(b.toString('utf8'));
      return;
    }
    while (b.length && !this.closed) {
      try {
        const n = writeSync(1, b);
        b = b.subarray(n);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue;
        if (code === 'EPIPE') {
          this.closed = true; // reader went away (| head)
          return;
        }
        throw e;
      }
    }
  }
}

// One ndjson record assembled as bytes (fate.ts fateToJSONInto's sink): the cached elements of
// the record are copied as bytes, fresh text encoded in place; the line then goes to the output
// buffer in one copy. A scratch buffer of its own, not the output buffer, because a record that
// leaves the fast path midway is taken back (reset) and written again whole.
import type { JsonSink } from '../kernel/fate.js';

export class JsonLine implements JsonSink {
  buf = Buffer.allocUnsafe(1 << 16);
  pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = Buffer.allocUnsafe(size);
    b.set(this.buf.subarray(0, this.pos), 0);
    this.buf = b;
  }

  text(s: string): void {
    const n = s.length;
    // UTF-8: at most 3 bytes per UTF-16 code unit
    this.room(n * 3);
    const buf = this.buf;
    if (n < 24) {
      // short ASCII text byte by byte: Buffer#write's call into the encoder costs more here;
      // longer text is mostly fresh concatenations (cons strings), which charCodeAt walks slowly
      let p = this.pos;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          this.pos += buf.write(s, this.pos);
          return;
        }
        buf[p++] = c;
      }
      this.pos = p;
      return;
    }
    this.pos += buf.write(s, this.pos);
  }

  bytes(b: Uint8Array, n: number = b.length): void {
    this.room(n);
    const buf = this.buf;
    let p = this.pos;
    // short pieces: a loop costs less than set()'s call
    if (n < 48) for (let i = 0; i < n; i++) buf[p++] = b[i];
    else { buf.set(n === b.length ? b : b.subarray(0, n), p); p += n; }
    this.pos = p;
  }

  mark(): number {
    return this.pos;
  }

  reset(m: number): void {
    this.pos = m;
  }
}

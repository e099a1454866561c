// pcapng writer (little-endian, one section): SHB, one IDB per interface, EPBs carrying
// the direction in epb_flags and an optional opt_comment. Used to export frames by fate;
// what it writes reads back identically with reader.ts and in tshark.
import * as fs from 'node:fs';

export interface WriterInterface {
  name: string;
  /** LINKTYPE_* number */
  linktype: number;
  snaplen?: number;
  /** if_tsresol byte: 6 = usec, 9 = nsec (default), 0x80|e = 2^-e */
  tsresol?: number;
  description?: string;
}

export interface WriterPacket {
  /** id returned by addInterface */
  iface: number;
  tsSec: number;
  tsNsec: number;
  data: Uint8Array;
  /** original length (defaults to data.length) */
  len?: number;
  /** DIR_* (0 unknown, 1 inbound, 2 outbound): written as epb_flags bits 0-1 */
  direction?: number;
  comment?: string | null;
}

const BUF = 1 << 20;
const enc = new TextEncoder();

export class PcapngWriter {
  private buf: Buffer = Buffer.allocUnsafe(BUF);
  private n = 0;
  private fd: number | null;
  private chunks: Buffer[] | null;
  /** per interface: ns per unit when if_tsresol is 10^-k with k <= 9 (exact Number path), else 0; and units per second */
  private units: { nsPer: number; perSec: number; big: bigint }[] = [];
  private closed = false;

  /** Writes to `path`; without a path, collects in memory (close() returns the bytes). */
  constructor(readonly path?: string) {
    this.fd = path === undefined ? null : fs.openSync(path, 'w');
    this.chunks = path === undefined ? [] : null;
    this.writeShb();
  }

  addInterface(i: WriterInterface): number {
    const tsresol = i.tsresol ?? 9;
    if (tsresol & 0x80 ? (tsresol & 0x7f) > 63 : tsresol > 19) throw new RangeError(`if_tsresol ${tsresol} out of range`);
    const opts: Uint8Array[] = [this.opt(2, enc.encode(i.name)), this.opt(9, Uint8Array.of(tsresol))];
    if (i.description !== undefined) opts.push(this.opt(3, enc.encode(i.description)));
    const body = Buffer.alloc(8);
    body.writeUInt16LE(i.linktype & 0xffff, 0);
    body.writeUInt32LE(i.snaplen ?? 262144, 4);
    this.block(1, [body, ...opts, this.endOpt()]);
    const dec = !(tsresol & 0x80) && tsresol <= 9;
    this.units.push({
      nsPer: dec ? 10 ** (9 - tsresol) : 0,
      perSec: dec ? 10 ** tsresol : 0,
      big: tsresol & 0x80 ? 1n << BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol),
    });
    return this.units.length - 1;
  }

  writePacket(p: WriterPacket): void {
    if (this.closed) throw new Error('PcapngWriter is closed');
    const u = this.units[p.iface];
    if (u === undefined) throw new RangeError(`writePacket: unknown interface ${p.iface}`);
    const data = p.data;
    const caplen = data.length;
    const padded = (caplen + 3) & ~3;
    const comment = p.comment != null ? enc.encode(p.comment) : null;
    if (comment && comment.length > 0xffff) throw new RangeError(`comment too long (${comment.length} bytes)`);
    const dir = (p.direction ?? 0) & 3;
    const optLen = (dir ? 8 : 0) + (comment ? 4 + ((comment.length + 3) & ~3) : 0);
    const total = 32 + padded + (optLen ? optLen + 4 : 0);
    this.reserve(total);
    const b = this.buf;
    let o = this.n;
    b.writeUInt32LE(6, o);
    b.writeUInt32LE(total, o + 4);
    b.writeUInt32LE(p.iface, o + 8);
    this.writeTs(b, o + 12, u, p.tsSec, p.tsNsec);
    b.writeUInt32LE(caplen, o + 20);
    b.writeUInt32LE(p.len ?? caplen, o + 24);
    b.set(data, o + 28);
    o += 28 + caplen;
    for (; o & 3; o++) b[o] = 0;
    if (dir) {
      b.writeUInt32LE(2 | (4 << 16), o); // epb_flags, length 4
      b.writeUInt32LE(dir, o + 4);
      o += 8;
    }
    if (comment) {
      b.writeUInt16LE(1, o);
      b.writeUInt16LE(comment.length, o + 2);
      b.set(comment, o + 4);
      o += 4 + comment.length;
      for (; o & 3; o++) b[o] = 0;
    }
    if (optLen) {
      b.writeUInt32LE(0, o);
      o += 4;
    }
    b.writeUInt32LE(total, o);
    this.n = o + 4;
  }

  /** 64-bit timestamp in interface units, rounded down; exact without BigInt for usual values. */
  private writeTs(b: Buffer, at: number, u: { nsPer: number; perSec: number; big: bigint }, sec: number, nsec: number): void {
    if (u.nsPer !== 0 && sec >= 0 && sec < 2 ** 34 && Number.isInteger(sec) && Number.isInteger(nsec) && nsec >= 0 && nsec < 1e9) {
      // t = sec * perSec + frac, split so every partial product stays below 2^53
      const frac = Math.floor(nsec / u.nsPer);
      const hi16 = Math.floor(sec / 65536);
      const lo16 = sec - hi16 * 65536;
      const x = lo16 * u.perSec + frac;
      const y = hi16 * u.perSec;
      const yh = Math.floor(y / 65536);
      const yl = y - yh * 65536;
      const z = yl * 65536 + x;
      const zh = Math.floor(z / 4294967296);
      b.writeUInt32LE(yh + zh, at);
      b.writeUInt32LE(z - zh * 4294967296, at + 4);
      return;
    }
    const t = BigInt(sec) * u.big + (BigInt(nsec) * u.big) / 1_000_000_000n;
    if (t < 0n || t >= 1n << 64n) throw new RangeError(`timestamp ${sec}.${nsec} does not fit 64 bits at this interface's if_tsresol`);
    b.writeUInt32LE(Number((t >> 32n) & 0xffffffffn), at);
    b.writeUInt32LE(Number(t & 0xffffffffn), at + 4);
  }

  /** Flushes and closes; in memory mode returns the whole file. */
  close(): Uint8Array {
    if (this.closed) throw new Error('PcapngWriter already closed');
    this.closed = true;
    this.flush();
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
      return new Uint8Array(0);
    }
    return Buffer.concat(this.chunks!);
  }

  private writeShb(): void {
    const body = Buffer.alloc(16);
    body.writeUInt32LE(0x1a2b3c4d, 0);
    body.writeUInt16LE(1, 4);
    body.writeUInt16LE(0, 6);
    body.writeInt32LE(-1, 8); // section length unknown (-1, 64-bit)
    body.writeInt32LE(-1, 12);
    this.block(0x0a0d0d0a, [body, this.opt(4, enc.encode('pktlife')), this.endOpt()]);
  }

  private opt(code: number, v: Uint8Array): Uint8Array {
    if (v.length > 0xffff) throw new RangeError(`option ${code} too long (${v.length} bytes)`);
    const o = Buffer.alloc(4 + ((v.length + 3) & ~3));
    o.writeUInt16LE(code, 0);
    o.writeUInt16LE(v.length, 2);
    o.set(v, 4);
    return o;
  }

  private endOpt(): Uint8Array {
    return new Uint8Array(4);
  }

  private block(type: number, parts: Uint8Array[]): void {
    if (this.closed) throw new Error('PcapngWriter is closed');
    let body = 0;
    for (const p of parts) body += p.length;
    const total = 12 + body;
    this.reserve(total);
    const b = this.buf;
    b.writeUInt32LE(type, this.n);
    b.writeUInt32LE(total, this.n + 4);
    let o = this.n + 8;
    for (const p of parts) {
      b.set(p, o);
      o += p.length;
    }
    b.writeUInt32LE(total, o);
    this.n = o + 4;
  }

  private reserve(n: number): void {
    if (this.n + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }

  private flush(): void {
    if (this.n === 0) return;
    if (this.fd !== null) {
      let off = 0;
      while (off < this.n) off += fs.writeSync(this.fd, this.buf, off, this.n - off);
    } else {
      this.chunks!.push(Buffer.from(this.buf.subarray(0, this.n)));
    }
    this.n = 0;
  }
}

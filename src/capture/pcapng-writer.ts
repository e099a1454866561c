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
  private units: bigint[] = [];
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
    this.units.push(tsresol & 0x80 ? 1n << BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol));
    return this.units.length - 1;
  }

  writePacket(p: WriterPacket): void {
    const u = this.units[p.iface];
    if (u === undefined) throw new RangeError(`writePacket: unknown interface ${p.iface}`);
    // units since the epoch, rounded down (BigInt: the value exceeds 2^53)
    const t = BigInt(p.tsSec) * u + (BigInt(p.tsNsec) * u) / 1_000_000_000n;
    const caplen = p.data.length;
    const head = Buffer.allocUnsafe(20);
    head.writeUInt32LE(p.iface, 0);
    head.writeUInt32LE(Number(t >> 32n), 4);
    head.writeUInt32LE(Number(t & 0xffffffffn), 8);
    head.writeUInt32LE(caplen, 12);
    head.writeUInt32LE(p.len ?? caplen, 16);
    const parts: Uint8Array[] = [head, p.data, new Uint8Array((4 - (caplen & 3)) & 3)];
    let hasOpt = false;
    if (p.direction) {
      const f = Buffer.alloc(4);
      f.writeUInt32LE(p.direction & 3, 0);
      parts.push(this.opt(2, f));
      hasOpt = true;
    }
    if (p.comment != null) {
      parts.push(this.opt(1, enc.encode(p.comment)));
      hasOpt = true;
    }
    if (hasOpt) parts.push(this.endOpt());
    this.block(6, parts);
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

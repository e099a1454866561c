// Streaming pcap / pcapng reader.
//
// One read buffer per reader (grown only up to the largest block allowed), filled with
// fs.readSync in chunks; a frame's `data` is a view into it and the Frame object is reused,
// so memory does not grow with the file. Any damage becomes a CaptureError naming the
// file, the absolute byte offset and the problem, thrown by next() after every good frame
// before it was delivered.
import * as fs from 'node:fs';
import * as tty from 'node:tty';
import type { CaptureInterface, Frame } from './types.js';
import { DIR_INBOUND, DIR_OUTBOUND, DIR_UNKNOWN } from './types.js';
import { linktypeName } from './linktypes.js';

/** Largest captured length accepted in one record (as the issue asks; libpcap's own limit is 256 KiB too). */
export const MAX_CAPLEN = 256 * 1024;
/** Largest pcapng block we parse (packet blocks: caplen + headers + options; SHB/IDB). */
const MAX_BLOCK = MAX_CAPLEN + 128 * 1024;
const CHUNK = 1 << 20;

export class CaptureError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly problem: string,
  ) {
    super(`${file}: offset ${offset}: ${problem}`);
    this.name = 'CaptureError';
  }
}

/** Thrown by a reader over a live stream fed asynchronously (the timeline's stdin) when the next
 *  record is not all in yet: nothing was consumed, next() may be called again once more arrived. */
export class CaptureWait extends Error {
  constructor() {
    super('waiting for more of the capture');
    this.name = 'CaptureWait';
  }
}
export const CAPTURE_WAIT = new CaptureWait();

/** Bytes of a stream arriving asynchronously: appended by the owner, taken by the reader. */
export interface ChunkFeed {
  chunks: Uint8Array[];
  /** the writer closed the stream: no more chunks will come */
  ended: boolean;
}

/** A pcapng section's header (pcap files have one, with nulls). */
export interface CaptureSection {
  /** 1-based */
  section: number;
  byteOrder: 'le' | 'be';
  hardware: string | null;
  os: string | null;
  application: string | null;
  /** opt_comment values joined by "\n" */
  comment: string | null;
}

export interface CaptureReader extends Iterable<Frame> {
  /** next frame (the same object each call, its data valid until the next call), null at the end */
  next(): Frame | null;
  /** interfaces seen so far (pcap: one; pcapng: grows as IDBs appear, across sections) */
  readonly interfaces: CaptureInterface[];
  readonly format: 'pcap' | 'pcapng';
  /** sections seen so far (pcapng SHBs; pcap: one) */
  readonly sections: CaptureSection[];
  /** bytes consumed so far (offset of the next record) */
  bytesRead(): number;
  /** total size of the input in bytes (0 for a stream: unknown) */
  readonly size: number;
  /** the input is a pipe (stdin, a FIFO) read as it arrives, not a file */
  readonly stream?: boolean;
  close(): void;
}

// ---- byte source -------------------------------------------------------------------------

/** A window [pos, end) over the input; `base` is the absolute offset of buf[0]. */
class Source {
  buf: Uint8Array;
  dv: DataView;
  pos = 0;
  end = 0;
  base = 0;
  private filePos = 0;

  /** a pipe or other stream (stdin): read in order (no positions), size unknown (0), no seeking */
  readonly stream: boolean;
  /** set for a stream fed asynchronously (no fd): fill() takes its chunks, or throws CAPTURE_WAIT */
  feed: ChunkFeed | null = null;

  constructor(
    private fd: number | null,
    readonly size: number,
    private name: string,
    initial?: Uint8Array,
    stream = false,
  ) {
    this.stream = stream;
    if (initial) {
      this.buf = initial;
      this.end = initial.length;
    } else {
      this.buf = Buffer.allocUnsafe(stream ? CHUNK : Math.min(CHUNK, Math.max(size, 64)));
    }
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  get offset(): number {
    return this.base + this.pos;
  }

  /** Make n bytes available at pos (n is bounded by the caller); false if the input ends first. */
  fill(n: number): boolean {
    if (this.end - this.pos >= n) return true;
    if (this.feed !== null) return this.fillFromFeed(n);
    if (this.fd === null) return false;
    this.makeRoom(n);
    while (this.end - this.pos < n) {
      let got: number;
      try {
        got = fs.readSync(this.fd, this.buf, this.end, this.buf.length - this.end, this.stream ? null : this.filePos);
      } catch (e) {
        // a non-blocking pipe with nothing in it yet: wait for the writer
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          waitMs(2);
          continue;
        }
        throw new CaptureError(this.name, this.filePos, `read error: ${(e as Error).message}`);
      }
      if (got <= 0) return false;
      this.end += got;
      this.filePos += got;
    }
    return true;
  }

  /** Bytes available from pos (after trying to fill up to n). */
  avail(n: number): number {
    this.fill(n);
    return this.end - this.pos;
  }

  /** Skip n bytes (may lie beyond the buffer). False if the input ends first. */
  skip(n: number): boolean {
    if (this.end - this.pos >= n) {
      this.pos += n;
      return true;
    }
    // fed asynchronously: the whole block must be in (a retry starts again at its header)
    if (this.feed !== null) {
      if (!this.fill(n)) return false;
      this.pos += n;
      return true;
    }
    if (this.stream) return this.skipStream(n);
    const abs = this.offset + n;
    if (abs > this.size) return false;
    if (this.fd === null) return false;
    this.base = abs;
    this.pos = 0;
    this.end = 0;
    this.filePos = abs;
    return true;
  }

  /** fill() from the async feed: what has arrived; CAPTURE_WAIT when it is not enough yet */
  private fillFromFeed(n: number): boolean {
    const feed = this.feed!;
    this.makeRoom(n);
    while (this.end - this.pos < n && feed.chunks.length) {
      const c = feed.chunks[0]!;
      const take = Math.min(c.length, this.buf.length - this.end);
      this.buf.set(c.subarray(0, take), this.end);
      this.end += take;
      this.filePos += take;
      if (take === c.length) feed.chunks.shift();
      else feed.chunks[0] = c.subarray(take);
    }
    if (this.end - this.pos >= n) return true;
    if (feed.ended && feed.chunks.length === 0) return false;
    throw CAPTURE_WAIT;
  }

  /** room for n bytes from pos: compacted, or a larger buffer */
  private makeRoom(n: number): void {
    if (this.buf.length - this.pos >= n) return;
    if (this.buf.length < n) {
      const nb = Buffer.allocUnsafe(Math.max(n, Math.min(this.buf.length * 2, MAX_BLOCK + 64)));
      nb.set(this.buf.subarray(this.pos, this.end), 0);
      this.buf = nb;
      this.dv = new DataView(nb.buffer, nb.byteOffset, nb.byteLength);
    } else {
      this.buf.copyWithin(0, this.pos, this.end);
    }
    this.base += this.pos;
    this.end -= this.pos;
    this.pos = 0;
  }

  /** skip on a stream: what is buffered, then read and drop the rest */
  private skipStream(n: number): boolean {
    let left = n - (this.end - this.pos);
    this.base += this.end;
    this.pos = 0;
    this.end = 0;
    while (left > 0) {
      if (!this.fill(1)) return false;
      const take = Math.min(left, this.end - this.pos);
      this.pos += take;
      left -= take;
      if (this.pos === this.end) {
        this.base += this.end;
        this.pos = 0;
        this.end = 0;
      }
    }
    return true;
  }

  close(): void {
    if (this.fd !== null) {
      // stdin is not ours to close
      if (this.fd !== 0) fs.closeSync(this.fd);
      this.fd = null;
    }
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** blocks the thread for ms (a synchronous reader waiting on an empty non-blocking pipe) */
function waitMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

// ---- timestamps --------------------------------------------------------------------------

/** Converts a pcapng 64-bit timestamp (hi, lo) in units of the IDB's if_tsresol to sec + nsec (rounded down). */
interface TsConv {
  /** units per second when a power of 10 <= 1e9 (fast exact path), else 0 */
  unitsDec: number;
  /** nanoseconds per unit in the fast path */
  nsPerUnit: number;
  /** exact units per second as BigInt (slow path) */
  unitsBig: bigint;
}

function makeTsConv(tsresol: number): TsConv | string {
  if (tsresol & 0x80) {
    const e = tsresol & 0x7f;
    if (e > 63) return `if_tsresol 2^-${e} is out of range (at most 2^-63)`;
    return { unitsDec: 0, nsPerUnit: 0, unitsBig: 1n << BigInt(e) };
  }
  if (tsresol > 19) return `if_tsresol 10^-${tsresol} is out of range (at most 10^-19)`;
  if (tsresol <= 9) {
    const u = 10 ** tsresol;
    return { unitsDec: u, nsPerUnit: 10 ** (9 - tsresol), unitsBig: BigInt(u) };
  }
  return { unitsDec: 0, nsPerUnit: 0, unitsBig: 10n ** BigInt(tsresol) };
}

// ---- interfaces --------------------------------------------------------------------------

interface IfState {
  info: CaptureInterface;
  conv: TsConv;
  tsoffset: number;
}

function newInterface(section: number, id: number, lt: number, snaplen: number): CaptureInterface {
  return {
    id,
    section,
    name: null,
    description: null,
    linktype: lt,
    linktypeName: linktypeName(lt),
    snaplen,
    tsresol: 6,
    tsoffset: 0,
    fcslen: null,
  };
}

// ---- the frame ---------------------------------------------------------------------------

/** The one Frame object a reader hands out; `data` is created lazily from buf/offset. */
class ReusedFrame implements Frame {
  index = 0;
  iface: CaptureInterface = null as unknown as CaptureInterface;
  tsSec = 0;
  tsNsec = 0;
  hasTs = true;
  buf: Uint8Array = new Uint8Array(0);
  offset = 0;
  caplen = 0;
  len = 0;
  direction = DIR_UNKNOWN;
  flags = 0;
  comment: string | null = null;
  block: string;
  private view: Uint8Array | null = null;

  constructor(block: string) {
    this.block = block;
  }

  get data(): Uint8Array {
    return (this.view ??= this.buf.subarray(this.offset, this.offset + this.caplen));
  }

  set data(v: Uint8Array) {
    // lets consumers treat Frame as a plain record (e.g. spread copies); rebinds the bytes
    this.buf = v;
    this.offset = 0;
    this.caplen = v.length;
    this.view = v;
  }

  /** points the frame at new bytes */
  at(buf: Uint8Array, offset: number, caplen: number): void {
    this.buf = buf;
    this.offset = offset;
    this.caplen = caplen;
    this.view = null;
  }
}

// ---- the reader --------------------------------------------------------------------------

const PCAP_USEC = 0xa1b2c3d4;
const PCAP_NSEC = 0xa1b23c4d;
const PCAP_MODIFIED = 0xa1b2cd34;
const PCAPNG_SHB = 0x0a0d0d0a;
const BOM = 0x1a2b3c4d;

const BT_OPB = 0x00000002;
const BT_SPB = 0x00000003;
const BT_IDB = 0x00000001;
const BT_EPB = 0x00000006;

const utf8 = new TextDecoder('utf-8');

class Reader implements CaptureReader {
  readonly interfaces: CaptureInterface[] = [];
  readonly sections: CaptureSection[] = [];
  readonly format: 'pcap' | 'pcapng';
  readonly size: number;
  private src: Source;
  private le = true;
  private frame: ReusedFrame;
  private count = 0;
  private failed: CaptureError | null = null;
  private done = false;
  // pcap
  private nsec = false;
  private recHdr = 16;
  // pcapng
  private section = 0;
  private ifs: IfState[] = [];

  constructor(
    readonly file: string,
    src: Source,
  ) {
    this.src = src;
    this.size = src.size;
    if (src.size === 0 && !src.stream) this.fail(0, 'empty file (0 bytes): not a pcap or pcapng capture');
    if (!src.fill(4)) {
      const got = src.end - src.pos;
      if (got === 0) this.fail(0, 'empty file (0 bytes): not a pcap or pcapng capture');
      this.fail(0, `file too short (${src.stream ? got : src.size} bytes) for a capture file header`);
    }
    const dv = src.dv;
    const mBE = dv.getUint32(src.pos, false);
    const mLE = dv.getUint32(src.pos, true);
    if (mBE === PCAPNG_SHB) {
      this.format = 'pcapng';
    } else if (mLE === PCAP_USEC || mLE === PCAP_NSEC || mLE === PCAP_MODIFIED) {
      this.format = 'pcap';
      this.le = true;
    } else if (mBE === PCAP_USEC || mBE === PCAP_NSEC || mBE === PCAP_MODIFIED) {
      this.format = 'pcap';
      this.le = false;
    } else {
      this.fail(0, `bad magic number 0x${mBE.toString(16).padStart(8, '0')}: not a pcap or pcapng capture`);
    }
    this.frame = new ReusedFrame(this.format === 'pcap' ? 'pcap' : 'epb');
    if (this.format === 'pcap') this.readPcapHeader(this.le ? mLE : mBE);
    else this.readShb();
  }

  private fail(offset: number, problem: string): never {
    const e = new CaptureError(this.file, offset, problem);
    this.failed = e;
    throw e;
  }

  bytesRead(): number {
    return this.src.offset;
  }

  get stream(): boolean {
    return this.src.stream;
  }

  close(): void {
    this.done = true;
    this.src.close();
  }

  [Symbol.iterator](): Iterator<Frame> {
    return {
      next: (): IteratorResult<Frame> => {
        const f = this.next();
        return f ? { value: f, done: false } : { value: undefined, done: true };
      },
    };
  }

  next(): Frame | null {
    if (this.failed) throw this.failed;
    if (this.done) return null;
    const f = this.format === 'pcap' ? this.nextPcap() : this.nextPcapng();
    if (f === null) this.done = true;
    return f;
  }

  // ---- pcap ------------------------------------------------------------------------------

  private readPcapHeader(magic: number): void {
    const s = this.src;
    if (!s.fill(24)) this.fail(s.end - s.pos, `truncated pcap file header: ${s.end - s.pos} of 24 bytes`);
    const dv = s.dv;
    const p = s.pos;
    const le = this.le;
    const major = dv.getUint16(p + 4, le);
    const minor = dv.getUint16(p + 6, le);
    if (major !== 2) this.fail(4, `unsupported pcap version ${major}.${minor} (only 2.x)`);
    const snaplen = dv.getUint32(p + 16, le);
    const ltRaw = dv.getUint32(p + 20, le);
    // Bits 16-25 are reserved and must be zero (libpcap LT_RESERVED1, Wireshark too).
    if (ltRaw & 0x03ff0000) this.fail(20, `link-type field 0x${ltRaw.toString(16)} has reserved bits set (0x${(ltRaw & 0x03ff0000).toString(16).padStart(8, '0')})`);
    this.nsec = magic === PCAP_NSEC;
    this.recHdr = magic === PCAP_MODIFIED ? 24 : 16;
    const iface = newInterface(1, 0, ltRaw & 0xffff, snaplen);
    iface.tsresol = this.nsec ? 9 : 6;
    // Upper bits of the link-type field: bit 26 says the FCS length (in 16-bit words) is in bits 28-31.
    if (ltRaw & 0x04000000) iface.fcslen = ((ltRaw >>> 28) & 0xf) * 2;
    this.interfaces.push(iface);
    this.sections.push({ section: 1, byteOrder: le ? 'le' : 'be', hardware: null, os: null, application: null, comment: null });
    this.frame.iface = iface;
    s.pos += 24;
  }

  private nextPcap(): Frame | null {
    const s = this.src;
    const h = this.recHdr;
    // Fast path: a whole plain record already in the buffer.
    const p0 = s.pos;
    if (h === 16 && s.end - p0 >= 16) {
      const dv = s.dv;
      const le = this.le;
      const caplen = dv.getUint32(p0 + 8, le);
      const q = p0 + 16;
      if (caplen <= MAX_CAPLEN && s.end - q >= caplen) {
        const sub = dv.getUint32(p0 + 4, le);
        const ns = this.nsec ? sub : sub * 1000;
        if (ns < 1e9) {
          const f = this.frame;
          f.index = ++this.count;
          f.tsSec = dv.getUint32(p0, le);
          f.tsNsec = ns;
          f.len = dv.getUint32(p0 + 12, le);
          f.at(s.buf, q, caplen);
          s.pos = q + caplen;
          return f;
        }
      }
    }
    if (!s.fill(h)) {
      const left = s.end - s.pos;
      if (left === 0) return null;
      this.fail(s.offset, `truncated record header: ${left} of ${h} bytes before end of file`);
    }
    const dv = s.dv;
    const p = s.pos;
    const le = this.le;
    const sec = dv.getUint32(p, le);
    const sub = dv.getUint32(p + 4, le);
    const caplen = dv.getUint32(p + 8, le);
    const len = dv.getUint32(p + 12, le);
    if (caplen > MAX_CAPLEN) this.fail(s.offset, `record caplen ${caplen} exceeds the ${MAX_CAPLEN}-byte limit`);
    const f = this.frame;
    if (h === 24) {
      // Kuznetzov modified pcap: ifindex(4) protocol(2) pkt_type(1) pad(1); pkt_type is the
      // kernel's skb->pkt_type, PACKET_OUTGOING (4) for sent frames.
      const pt = s.buf[p + 22]!;
      f.direction = pt === 4 ? DIR_OUTBOUND : pt <= 3 ? DIR_INBOUND : DIR_UNKNOWN;
    }
    if (!s.fill(h + caplen)) {
      this.fail(s.offset, `truncated record: caplen ${caplen} but only ${s.end - s.pos - h} bytes left in file`);
    }
    const q = s.pos + h;
    f.index = ++this.count;
    let ns = this.nsec ? sub : sub * 1000;
    let sc = sec;
    if (ns >= 1e9) {
      // out-of-range sub-second field: carry into seconds
      sc += Math.floor(ns / 1e9);
      ns %= 1e9;
    }
    f.tsSec = sc;
    f.tsNsec = ns;
    f.len = len;
    f.at(s.buf, q, caplen);
    s.pos = q + caplen;
    return f;
  }

  // ---- pcapng ----------------------------------------------------------------------------

  /** Reads an SHB at pos: sets byte order, starts a new section. */
  private readShb(): void {
    const s = this.src;
    const off = s.offset;
    if (!s.fill(12)) this.fail(off, `truncated section header block: ${s.end - s.pos} of at least 28 bytes`);
    const dv = s.dv;
    const bom = dv.getUint32(s.pos + 8, true);
    if (bom === BOM) this.le = true;
    else if (dv.getUint32(s.pos + 8, false) === BOM) this.le = false;
    else this.fail(off + 8, `section header block has bad byte-order magic 0x${bom.toString(16)}`);
    const blen = dv.getUint32(s.pos + 4, this.le);
    if (blen < 28) this.fail(off + 4, `section header block length ${blen} is less than the minimum 28`);
    if (blen % 4) this.fail(off + 4, `section header block length ${blen} is not a multiple of 4`);
    if (blen > MAX_BLOCK) this.fail(off + 4, `section header block length ${blen} is too large (limit ${MAX_BLOCK})`);
    if (!s.fill(blen)) this.fail(off, `truncated section header block: length ${blen} but only ${s.end - s.pos} bytes left`);
    const p = s.pos;
    const major = s.dv.getUint16(p + 12, this.le);
    const minor = s.dv.getUint16(p + 14, this.le);
    // libpcap and Wireshark accept 1.0 and 1.2 (written by some old tools) only.
    if (major !== 1 || (minor !== 0 && minor !== 2)) this.fail(off + 12, `unsupported pcapng version ${major}.${minor} (only 1.0 and 1.2)`);
    this.checkTrailer(p, blen, off);
    this.section++;
    this.ifs = [];
    const info: CaptureSection = { section: this.section, byteOrder: this.le ? 'le' : 'be', hardware: null, os: null, application: null, comment: null };
    this.walkOptions(p + 24, p + blen - 4, off, (code, v, len) => {
      const t = utf8.decode(s.buf.subarray(v, v + len));
      if (code === 1) info.comment = info.comment === null ? t : info.comment + '\n' + t;
      else if (code === 2) info.hardware = t;
      else if (code === 3) info.os = t;
      else if (code === 4) info.application = t;
    });
    this.sections.push(info);
    s.pos += blen;
  }

  private checkTrailer(p: number, blen: number, off: number): void {
    const t = this.src.dv.getUint32(p + blen - 4, this.le);
    if (t !== blen) this.fail(off + blen - 4, `block trailing length ${t} differs from its leading length ${blen}`);
  }

  private nextPcapng(): Frame | null {
    const s = this.src;
    for (;;) {
      const off = s.offset;
      if (!s.fill(8)) {
        const left = s.end - s.pos;
        if (left === 0) return null;
        this.fail(off, `truncated block header: ${left} of 8 bytes before end of file`);
      }
      const dv = s.dv;
      const p = s.pos;
      // The block type of an SHB reads the same in either byte order.
      if (dv.getUint32(p, true) === PCAPNG_SHB) {
        this.readShb();
        continue;
      }
      const le = this.le;
      const type = dv.getUint32(p, le);
      const blen = dv.getUint32(p + 4, le);
      if (blen < 12) this.fail(off + 4, `block of type 0x${type.toString(16)} has length ${blen}, less than the minimum 12`);
      if (blen % 4) this.fail(off + 4, `block of type 0x${type.toString(16)} has length ${blen}, not a multiple of 4`);
      if (type === BT_EPB || type === BT_SPB || type === BT_OPB || type === BT_IDB) {
        if (blen > MAX_BLOCK) this.fail(off + 4, `block of type 0x${type.toString(16)} has length ${blen}, too large (limit ${MAX_BLOCK})`);
        if (!s.fill(blen)) this.fail(off, `truncated block of type 0x${type.toString(16)}: length ${blen} but only ${s.end - s.pos} bytes left in file`);
        this.checkTrailer(s.pos, blen, off);
        if (type === BT_IDB) {
          this.readIdb(s.pos, blen, off);
          s.pos += blen;
          continue;
        }
        const f = type === BT_EPB ? this.readEpb(s.pos, blen, off) : type === BT_SPB ? this.readSpb(s.pos, blen, off) : this.readEpb(s.pos, blen, off, true);
        s.pos += blen;
        return f;
      }
      // NRB, ISB, DSB, custom and unknown blocks: skipped by their length, unread.
      // A failed skip on a pipe has read up to the end; on a feed it has buffered the rest, unread.
      if (!s.skip(blen)) this.fail(off, `truncated block of type 0x${type.toString(16)}: length ${blen} but only ${s.stream ? s.offset + (s.end - s.pos) - off : this.size - off} bytes left in file`);
    }
  }

  /** Walks options in [p, end); calls fn(code, valueOffset, len). Stops at opt_endofopt. */
  private walkOptions(p: number, end: number, blockOff: number, fn: (code: number, v: number, len: number) => void): void {
    const dv = this.src.dv;
    const le = this.le;
    const base = this.src.pos;
    while (p + 4 <= end) {
      const code = dv.getUint16(p, le);
      const len = dv.getUint16(p + 2, le);
      if (code === 0) return;
      if (p + 4 + len > end) {
        this.fail(blockOff + (p - base), `option ${code} length ${len} runs past the end of its block`);
      }
      fn(code, p + 4, len);
      p += 4 + ((len + 3) & ~3);
    }
  }

  private readIdb(p: number, blen: number, off: number): void {
    if (blen < 20) this.fail(off + 4, `interface description block length ${blen} is less than the minimum 20`);
    const s = this.src;
    const dv = s.dv;
    const le = this.le;
    const lt = dv.getUint16(p + 8, le);
    const snaplen = dv.getUint32(p + 12, le);
    const info = newInterface(this.section, this.ifs.length, lt, snaplen);
    let tsoffset = 0n;
    this.walkOptions(p + 16, p + blen - 4, off, (code, v, len) => {
      switch (code) {
        case 2:
          info.name = utf8.decode(s.buf.subarray(v, v + len));
          break;
        case 3:
          info.description = utf8.decode(s.buf.subarray(v, v + len));
          break;
        case 9:
          if (len !== 1) this.fail(off + (v - p), `if_tsresol option has length ${len}, expected 1`);
          info.tsresol = s.buf[v]!;
          break;
        case 13:
          if (len !== 1) this.fail(off + (v - p), `if_fcslen option has length ${len}, expected 1`);
          info.fcslen = s.buf[v]!;
          break;
        case 14:
          if (len !== 8) this.fail(off + (v - p), `if_tsoffset option has length ${len}, expected 8`);
          tsoffset = dv.getBigInt64(v, le);
          break;
      }
    });
    const conv = makeTsConv(info.tsresol);
    if (typeof conv === 'string') this.fail(off, `interface ${info.id}: ${conv}`);
    info.tsoffset = Number(tsoffset);
    this.ifs.push({ info, conv, tsoffset: info.tsoffset });
    this.interfaces.push(info);
  }

  private iface(id: number, off: number, what: string): IfState {
    const st = this.ifs[id];
    if (!st) {
      this.fail(off, `${what} refers to interface ${id} but section ${this.section} has ${this.ifs.length} interface description block(s) before it`);
    }
    return st;
  }

  private setTs(f: Frame, st: IfState, hi: number, lo: number): void {
    const c = st.conv;
    let sec: number;
    let ns: number;
    const u = c.unitsDec;
    if (u !== 0) {
      // Exact long division of the 64-bit value by u (< 2^30) in 16-bit digits.
      let r = 0;
      const d3 = hi >>> 16;
      const d2 = hi & 0xffff;
      const d1 = lo >>> 16;
      const d0 = lo & 0xffff;
      let x = r * 65536 + d3;
      const q3 = Math.floor(x / u);
      r = x - q3 * u;
      x = r * 65536 + d2;
      const q2 = Math.floor(x / u);
      r = x - q2 * u;
      x = r * 65536 + d1;
      const q1 = Math.floor(x / u);
      r = x - q1 * u;
      x = r * 65536 + d0;
      const q0 = Math.floor(x / u);
      r = x - q0 * u;
      sec = ((q3 * 65536 + q2) * 65536 + q1) * 65536 + q0;
      ns = r * c.nsPerUnit;
    } else {
      const t = (BigInt(hi) << 32n) | BigInt(lo);
      const U = c.unitsBig;
      sec = Number(t / U);
      ns = Number(((t % U) * 1_000_000_000n) / U);
    }
    f.tsSec = sec + st.tsoffset;
    f.tsNsec = ns;
    f.hasTs = true;
  }

  /** `lenAt`: offset of the length field the captured length comes from (EPB/OPB caplen, SPB original length) */
  private packetCommon(f: ReusedFrame, st: IfState, caplen: number, len: number, data: number, room: number, lenAt: number, what: string): void {
    if (caplen > MAX_CAPLEN) this.fail(lenAt, `${what} caplen ${caplen} exceeds the ${MAX_CAPLEN}-byte limit`);
    if (caplen > room) this.fail(lenAt, `${what} caplen ${caplen} is larger than its block allows (${room} bytes)`);
    f.index = ++this.count;
    f.iface = st.info;
    f.len = len;
    f.at(this.src.buf, data, caplen);
    f.flags = 0;
    f.direction = DIR_UNKNOWN;
    f.comment = null;
  }

  /** Packet block options (opt_comment, epb_flags); a plain loop, this runs per packet. */
  private readPacketOptions(f: Frame, p: number, end: number, off: number): void {
    const s = this.src;
    const dv = s.dv;
    const le = this.le;
    const base = s.pos;
    while (p + 4 <= end) {
      const code = dv.getUint16(p, le);
      const len = dv.getUint16(p + 2, le);
      if (code === 0) return;
      const v = p + 4;
      if (v + len > end) this.fail(off + (p - base), `option ${code} length ${len} runs past the end of its block`);
      if (code === 1) {
        const c = utf8.decode(s.buf.subarray(v, v + len));
        f.comment = f.comment === null ? c : f.comment + '\n' + c;
      } else if (code === 2 && len === 4) {
        const fl = dv.getUint32(v, le);
        f.flags = fl;
        f.direction = fl & 3;
      }
      p = v + ((len + 3) & ~3);
    }
  }

  /** EPB, or the obsolete Packet Block (OPB): same layout but a 16-bit interface id + drops count */
  private readEpb(p: number, blen: number, off: number, obsolete = false): Frame {
    const what = obsolete ? 'packet block' : 'enhanced packet block';
    if (blen < 32) this.fail(off + 4, `${what} length ${blen} is less than the minimum 32`);
    const dv = this.src.dv;
    const le = this.le;
    const st = this.iface(obsolete ? dv.getUint16(p + 8, le) : dv.getUint32(p + 8, le), off + 8, what);
    const caplen = dv.getUint32(p + 20, le);
    const len = dv.getUint32(p + 24, le);
    const f = this.frame;
    f.block = obsolete ? 'opb' : 'epb';
    this.packetCommon(f, st, caplen, len, p + 28, blen - 32, off + 20, what);
    this.setTs(f, st, dv.getUint32(p + 12, le), dv.getUint32(p + 16, le));
    // options: opt_comment, and epb_flags (OPB: pack_flags, same layout)
    this.readPacketOptions(f, p + 28 + ((caplen + 3) & ~3), p + blen - 4, off);
    return f;
  }

  private readSpb(p: number, blen: number, off: number): Frame {
    if (blen < 16) this.fail(off + 4, `simple packet block length ${blen} is less than the minimum 16`);
    const dv = this.src.dv;
    const st = this.iface(0, off, 'simple packet block');
    const len = dv.getUint32(p + 8, this.le);
    // No caplen field: the captured part is the original length cut to the snaplen and to the block.
    let caplen = Math.min(len, blen - 16);
    if (st.info.snaplen > 0 && caplen > st.info.snaplen) caplen = st.info.snaplen;
    const f = this.frame;
    f.block = 'spb';
    this.packetCommon(f, st, caplen, len, p + 12, blen - 16, off + 8, 'simple packet block');
    f.tsSec = 0;
    f.tsNsec = 0;
    f.hasTs = false;
    return f;
  }
}

/** The name a capture read from standard input (`-`) goes by in messages. */
export const STDIN_NAME = '(stdin)';

/** Opens a capture file for streaming (sync); `-` reads standard input (a pipe: `tcpdump -U -w - | ...`),
 *  as does a named pipe. Throws CaptureError when it is not a readable capture. */
export function openCapture(path: string): CaptureReader {
  if (path === '-') {
    const st = fs.fstatSync(0);
    if (st.isDirectory()) throw new CaptureError(STDIN_NAME, 0, 'standard input is a directory');
    if (tty.isatty(0)) throw new CaptureError(STDIN_NAME, 0, 'standard input is a terminal: pipe a capture into it (tcpdump -U -w - | pktlife ...)');
    return new Reader(STDIN_NAME, new Source(0, 0, STDIN_NAME, undefined, true));
  }
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    throw new CaptureError(path, 0, `cannot open: ${(e as Error).message}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isFIFO() || st.isSocket()) return new Reader(path, new Source(fd, 0, path, undefined, true));
    if (!st.isFile()) throw new CaptureError(path, 0, 'not a regular file');
    return new Reader(path, new Source(fd, st.size, path));
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/**
 * A reader over a stream fed asynchronously (`feed` grows as data arrives): next() throws
 * CAPTURE_WAIT when the next record is not all in yet (call again later); null only once the feed
 * ended. Resolves once the capture's header is in (or rejects with the CaptureError a file would
 * give). `more()` resolves when new data arrived or the feed ended.
 */
export async function openFedCapture(feed: ChunkFeed, name: string, more: () => Promise<void>): Promise<CaptureReader> {
  const src = new Source(null, 0, name, undefined, true);
  src.feed = feed;
  for (;;) {
    try {
      return new Reader(name, src);
    } catch (e) {
      if (e !== CAPTURE_WAIT) throw e;
      await more();
    }
  }
}

/** Reads a capture held in memory; frames are views into `buf`. */
export function captureFromBuffer(buf: Uint8Array, name: string): CaptureReader {
  return new Reader(name, new Source(null, buf.length, name, buf));
}

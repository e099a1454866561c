// The same bytes read from memory, a regular file, a named pipe (read as it arrives, no seeking)
// and an asynchronous feed (the timeline's stdin) give the same frames and the same error (file,
// offset, problem). Expected values are derived from the byte layouts built here (pcapng spec,
// draft-ietf-opsawg-pcapng: block type, total length, body, total length again).
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CAPTURE_WAIT, CaptureError, captureFromBuffer, openCapture, openFedCapture, type CaptureReader, type ChunkFeed } from '../../src/capture/reader.js';
import { block, cat, epb, idb, pcap, shb, u8 } from './build.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cap-src-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let seq = 0;

interface Outcome {
  frames: string[];
  error: { file: string; offset: number; problem: string; message: string; name: string } | null;
  /** after an error, next() throws the same error again (and reads nothing more) */
  sticky?: boolean;
  maxBuf: number;
  stream?: boolean;
  size?: number;
  /** bytesRead() at the end */
  bytesRead?: number;
}

/** frames as "index:iface:ts:caplen/len:first byte", then the error if any */
function drain(open: () => CaptureReader, next = (r: CaptureReader) => r.next()): Outcome {
  const frames: string[] = [];
  let maxBuf = 0;
  let r: CaptureReader | null = null;
  const kind = {};
  try {
    r = open();
    Object.assign(kind, { stream: r.stream, size: r.size });
    for (let f = next(r); f; f = next(r)) {
      frames.push(`${f.index}:${f.iface.id}:${f.tsSec}.${f.tsNsec}:${f.caplen}/${f.len}:${f.data[0]}`);
      maxBuf = Math.max(maxBuf, f.buf.byteLength);
    }
    return { frames, error: null, maxBuf, ...kind, bytesRead: r.bytesRead() };
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    let sticky = r === null;
    if (r !== null) {
      try {
        r.next();
      } catch (again) {
        sticky = again === e;
      }
    }
    return { frames, error: { file: e.file, offset: e.offset, problem: e.problem, message: e.message, name: e.name }, sticky, maxBuf, ...kind };
  } finally {
    r?.close();
  }
}

function fromFile(bytes: Uint8Array): { name: string; out: Outcome } {
  const name = path.join(dir, `f${seq++}.pcapng`);
  fs.writeFileSync(name, bytes);
  return { name, out: drain(() => openCapture(name)) };
}

/** a named pipe a child process writes the bytes into (the reader cannot seek or know the size) */
function fromFifo(bytes: Uint8Array): { name: string; out: Outcome } {
  const src = path.join(dir, `p${seq}.bin`);
  const name = path.join(dir, `p${seq++}.fifo`);
  fs.writeFileSync(src, bytes);
  expect(spawnSync('mkfifo', [name]).status).toBe(0);
  const writer = spawn('sh', ['-c', 'cat "$0" > "$1"', src, name], { stdio: 'ignore' });
  const out = drain(() => openCapture(name));
  writer.kill();
  return { name, out };
}

/** fed in `size`-byte chunks: all at once and ended (`upfront`), or one more chunk each time the reader waits */
async function fromFeed(bytes: Uint8Array, size: number, upfront: boolean): Promise<{ name: string; out: Outcome }> {
  const feed: ChunkFeed = { chunks: [], ended: false };
  let at = 0;
  const more = () => {
    if (at < bytes.length) feed.chunks.push(bytes.subarray(at, (at += size)));
    else feed.ended = true;
  };
  if (upfront) while (!feed.ended) more();
  const name = `feed-${size}`;
  let r: CaptureReader;
  try {
    r = await openFedCapture(feed, name, async () => more());
  } catch (e) {
    return { name, out: drain(() => { throw e; }) };
  }
  const out = drain(
    () => r,
    (rd) => {
      for (;;) {
        try {
          return rd.next();
        } catch (e) {
          if (e !== CAPTURE_WAIT || upfront) throw e;
          more();
        }
      }
    },
  );
  return { name, out };
}

/** every way of reading `bytes`, each outcome with its own file name */
async function allWays(bytes: Uint8Array): Promise<{ name: string; out: Outcome }[]> {
  return [
    { name: 'mem.pcapng', out: drain(() => captureFromBuffer(bytes, 'mem.pcapng')) },
    fromFile(bytes),
    fromFifo(bytes),
    await fromFeed(bytes, bytes.length + 1, true),
    await fromFeed(bytes, 7, true),
    await fromFeed(bytes, 7, false),
    await fromFeed(bytes, 4096, false),
  ];
}

/** every way gives `frames` and (when given) the error at `offset` saying `problem` */
async function expectEverywhere(bytes: Uint8Array, frames: string[], err?: { offset: number; problem: string }): Promise<void> {
  for (const { name, out } of await allWays(bytes)) {
    const want = err ? { file: name, offset: err.offset, problem: err.problem, message: `${name}: offset ${err.offset}: ${err.problem}`, name: 'CaptureError' } : null;
    expect({ frames: out.frames, error: out.error }, name).toEqual({ frames, error: want });
    if (err) expect(out.sticky, `${name}: the error repeats`).toBe(true);
  }
}

const le = true;
const head = cat(shb(le), idb(le, 1, 0, [[9, u8(9)]])); // 28 + 32 bytes; timestamps in ns
const e1 = epb(le, 0, 1_000_000_005n, u8(0xaa, 2, 3, 4)); // 32 + 4 bytes: 1 s + 5 ns
const e2 = epb(le, 0, 2_000_000_000n, u8(0xbb, 2, 3, 4, 5, 6, 7, 8), [], 60); // 32 + 8 bytes
const F1 = '1:0:1.5:4/4:170';
const F2 = '2:0:2.0:8/60:187';

describe('the same answers from memory, a file, a named pipe and a feed', () => {
  it('frames after an unknown block, and an unknown block that ends the file', async () => {
    const unknown = block(le, 0x999, new Uint8Array(40)); // 52 bytes, skipped unread
    await expectEverywhere(cat(head, e1, unknown, e2, unknown), [F1, F2]);
  });

  it('an unknown block longer than the file: the bytes left after its start are named', async () => {
    // the block starts at 60 + 36 = 96 and claims 4000 bytes; 12 + 4 = 16 are there
    await expectEverywhere(cat(head, e1, block(le, 0x999, new Uint8Array(4), 4000)), [F1], {
      offset: 96,
      problem: 'truncated block of type 0x999: length 4000 but only 16 bytes left in file',
    });
  });

  it('an unknown block a little longer than the file (less than the bytes before it)', async () => {
    await expectEverywhere(cat(head, e1, block(le, 0x999, new Uint8Array(4), 100)), [F1], {
      offset: 96,
      problem: 'truncated block of type 0x999: length 100 but only 16 bytes left in file',
    });
  });

  it('a packet block cut short: its length and the bytes there are named', async () => {
    const b = cat(head, e1, e2).subarray(0, 96 + 30); // e2 (40 bytes) cut after 30
    await expectEverywhere(b, [F1], { offset: 96, problem: 'truncated block of type 0x6: length 40 but only 30 bytes left in file' });
  });

  it('too short for a file header, and empty', async () => {
    await expectEverywhere(u8(0x0a, 0x0d), [], { offset: 0, problem: 'file too short (2 bytes) for a capture file header' });
    await expectEverywhere(new Uint8Array(0), [], { offset: 0, problem: 'empty file (0 bytes): not a pcap or pcapng capture' });
  });

  it('pcap: a record cut inside its header and inside its data', async () => {
    const p = pcap({ recs: [{ sec: 1, sub: 5, data: u8(0xaa, 2, 3, 4) }, { sec: 2, sub: 0, data: u8(0xbb, 2, 3, 4, 5, 6) }] });
    // header 24, record 1 at 24 (16 + 4), record 2 at 44 (16 + 6)
    await expectEverywhere(p.subarray(0, 44 + 9), ['1:0:1.5000:4/4:170'], { offset: 44, problem: 'truncated record header: 9 of 16 bytes before end of file' });
    await expectEverywhere(p.subarray(0, 44 + 16 + 2), ['1:0:1.5000:4/4:170'], { offset: 44, problem: 'truncated record: caplen 6 but only 2 bytes left in file' });
  });
});

describe('reading more than the read buffer holds', () => {
  // 1,500 frames of 1,000 bytes and a 3 MiB unknown block: more than the 1 MiB read buffer
  const many: Uint8Array[] = [head];
  const want: string[] = [];
  for (let k = 0; k < 1500; k++) {
    many.push(epb(le, 0, BigInt(k), new Uint8Array(1000).fill(k & 0xff)));
    want.push(`${k + 1}:0:0.${k}:1000/1000:${k & 0xff}`);
    if (k === 700) many.push(block(le, 0xbad, new Uint8Array(3 << 20)));
  }
  many.push(block(le, 0xbad, new Uint8Array(2 << 20))); // beyond the buffer, ending exactly at the end of the file
  const big = cat(...many);

  it('a file and a named pipe: every frame, the buffer stays at 1 MiB (the big block is skipped, not read)', () => {
    for (const { name, out } of [fromFile(big), fromFifo(big)]) {
      expect(out.error, name).toBeNull();
      expect(out.bytesRead, name).toBe(big.length); // offsets still count every byte skipped
      expect(out.frames, name).toEqual(want);
      expect(out.maxBuf, name).toBeLessThanOrEqual(1 << 20);
    }
  });

  it('pcap: records straddling the read buffer\'s edges, from a file and a named pipe', () => {
    const recs = [];
    const wantPcap: string[] = [];
    for (let k = 0; k < 1500; k++) {
      recs.push({ sec: k, sub: 1, data: new Uint8Array(999).fill(k & 0xff) });
      wantPcap.push(`${k + 1}:0:${k}.1000:999/999:${k & 0xff}`);
    }
    const p = pcap({ recs });
    for (const { name, out } of [fromFile(p), fromFifo(p)]) expect([out.error, out.frames], name).toEqual([null, wantPcap]);
  });

  it('a feed given all of it in one chunk', async () => {
    const { out } = await fromFeed(big, big.length, true);
    expect([out.error, out.frames]).toEqual([null, want]);
  });
});

it('a memory buffer or a file has a size and can seek; a named pipe and a feed are streams of unknown size', async () => {
  const got = (await allWays(cat(head, e1))).map(({ out }) => [out.stream, out.size]);
  // memory, file, named pipe, four feeds
  expect(got).toEqual([[false, 96], [false, 96], [true, 0], [true, 0], [true, 0], [true, 0], [true, 0]]);
});

/** descriptors of this process open on `file` (Linux /proc) */
function fdsOn(file: string): number {
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  }).length;
}

it.skipIf(!fs.existsSync('/proc/self/fd'))('close() gives the file back, after the last frame or midway', () => {
  const file = path.join(dir, 'closed.pcapng');
  fs.writeFileSync(file, cat(head, e1, e2));
  for (const frames of [0, 1, 2]) {
    const r = openCapture(file);
    expect(fdsOn(file)).toBe(1);
    for (let k = 0; k < frames; k++) expect(r.next()).not.toBeNull();
    r.close();
    expect(fdsOn(file)).toBe(0);
    expect(r.next()).toBeNull(); // closed: no more frames
  }
});

it('a CaptureError says so in its name', () => {
  expect(() => captureFromBuffer(u8(1, 2, 3, 4), 'n.cap')).toThrow(expect.objectContaining({ name: 'CaptureError', file: 'n.cap', offset: 0 }));
});

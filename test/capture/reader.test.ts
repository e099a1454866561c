// Synthetic files for every reader feature and every kind of damage.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CaptureError, captureFromBuffer, openCapture, MAX_CAPLEN, type CaptureReader } from '../../src/capture/reader.js';
import { linktypeName, isRawIp } from '../../src/capture/linktypes.js';
import { DIR_INBOUND, DIR_OUTBOUND, DIR_UNKNOWN } from '../../src/capture/types.js';
import { block, cat, epb, i64, idb, opb, opts, pcap, shb, spb, str, u16, u32, u8 } from './build.js';

interface Got {
  sec: number;
  ns: number;
  hasTs: boolean;
  caplen: number;
  len: number;
  data: number[];
  dir: number;
  flags: number;
  comment: string | null;
  iface: string;
  block: string;
}

function readAll(r: CaptureReader): { frames: Got[]; error: CaptureError | null } {
  const frames: Got[] = [];
  let error: CaptureError | null = null;
  try {
    for (const f of r) {
      frames.push({
        sec: f.tsSec,
        ns: f.tsNsec,
        hasTs: f.hasTs,
        caplen: f.caplen,
        len: f.len,
        data: [...f.data],
        dir: f.direction,
        flags: f.flags,
        comment: f.comment,
        iface: `${f.iface.section}/${f.iface.id}`,
        block: f.block,
      });
    }
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    error = e;
  }
  return { frames, error };
}

const buf = (b: Uint8Array, name = 'x.cap') => readAll(captureFromBuffer(b, name));

function expectError(b: Uint8Array, offset: number, problem: RegExp, frames = 0): void {
  let r: CaptureReader;
  try {
    r = captureFromBuffer(b, 'bad.cap');
  } catch (e) {
    expect(e).toBeInstanceOf(CaptureError);
    const ce = e as CaptureError;
    expect(frames).toBe(0);
    expect([ce.offset, ce.problem]).toEqual([offset, expect.stringMatching(problem)]);
    expect(ce.message).toBe(`bad.cap: offset ${offset}: ${ce.problem}`);
    return;
  }
  const got = readAll(r);
  expect(got.frames.length).toBe(frames);
  expect(got.error).not.toBeNull();
  expect([got.error!.offset, got.error!.problem]).toEqual([offset, expect.stringMatching(problem)]);
  expect(got.error!.message).toBe(`bad.cap: offset ${offset}: ${got.error!.problem}`);
  // the error is sticky: asking again repeats it
  expect(() => r.next()).toThrow(CaptureError);
}

const d4 = u8(1, 2, 3, 4);

describe('pcap', () => {
  for (const le of [true, false]) {
    it(`reads microsecond records, ${le ? 'little' : 'big'}-endian`, () => {
      const b = pcap({ le, snaplen: 96, linktype: 1, recs: [{ sec: 1000, sub: 999999, data: d4, len: 60 }, { sec: 1001, sub: 5, data: u8(9) }] });
      const r = captureFromBuffer(b, 'a.pcap');
      expect(r.format).toBe('pcap');
      expect(r.interfaces).toEqual([
        { id: 0, section: 1, name: null, description: null, linktype: 1, linktypeName: 'EN10MB', snaplen: 96, tsresol: 6, tsoffset: 0, fcslen: null },
      ]);
      const { frames, error } = readAll(r);
      expect(error).toBeNull();
      expect(frames.map((f) => [f.sec, f.ns, f.caplen, f.len, f.data])).toEqual([
        [1000, 999999000, 4, 60, [1, 2, 3, 4]],
        [1001, 5000, 1, 1, [9]],
      ]);
      expect(r.bytesRead()).toBe(b.length);
    });
    it(`reads nanosecond records, ${le ? 'little' : 'big'}-endian`, () => {
      const b = pcap({ le, magic: 0xa1b23c4d, recs: [{ sec: 7, sub: 123456789, data: d4 }] });
      const r = captureFromBuffer(b, 'n.pcap');
      expect(r.interfaces[0]!.tsresol).toBe(9);
      expect(readAll(r).frames.map((f) => [f.sec, f.ns])).toEqual([[7, 123456789]]);
    });
  }
  it('reads the Kuznetzov modified format (8 more header bytes; pkt_type gives the direction)', () => {
    const b = pcap({ magic: 0xa1b2cd34, recs: [{ sec: 1, sub: 2, data: d4, pktType: 0 }, { sec: 1, sub: 3, data: d4, pktType: 4 }] });
    const { frames, error } = buf(b);
    expect(error).toBeNull();
    expect(frames.map((f) => [f.ns, f.data, f.dir])).toEqual([
      [2000, [1, 2, 3, 4], DIR_INBOUND],
      [3000, [1, 2, 3, 4], DIR_OUTBOUND],
    ]);
  });
  it('takes the FCS length from the upper link-type bits and the link type from the low 16', () => {
    // 0x04000000 = FCS length present; bits 28-31 = 2 -> 2 * 16-bit words = 4 bytes
    const r = captureFromBuffer(pcap({ linktype: 0x24000001 }), 'f.pcap');
    expect([r.interfaces[0]!.linktype, r.interfaces[0]!.fcslen]).toEqual([1, 4]);
    const r2 = captureFromBuffer(pcap({ linktype: 0x30000001 }), 'f.pcap');
    expect([r2.interfaces[0]!.linktype, r2.interfaces[0]!.fcslen]).toEqual([1, null]);
  });
  it('carries an out-of-range sub-second field into the seconds', () => {
    expect(buf(pcap({ recs: [{ sec: 10, sub: 2_500_000, data: d4 }] })).frames.map((f) => [f.sec, f.ns])).toEqual([[12, 500000000]]);
  });
  it('header only is a valid file with no frames', () => {
    expect(buf(pcap({}))).toEqual({ frames: [], error: null });
  });
  it('reuses one Frame object, data is a view into the read buffer', () => {
    const b = pcap({ recs: [{ sec: 1, sub: 0, data: d4 }, { sec: 2, sub: 0, data: d4 }] });
    const r = captureFromBuffer(b, 'v.pcap');
    const f1 = r.next()!;
    expect(f1.data.buffer).toBe(b.buffer);
    expect(f1.data.byteOffset).toBe(24 + 16);
    const f2 = r.next()!;
    expect(f2).toBe(f1);
    expect(f2.index).toBe(2);
    expect(r.next()).toBeNull();
    expect(r.next()).toBeNull();
  });
  describe('damage', () => {
    it('zero-length file', () => expectError(new Uint8Array(0), 0, /empty file/));
    it('bad magic', () => expectError(str('GIF89a-not-a-capture-file-at-all'), 0, /bad magic number 0x47494638/));
    it('truncated file header', () => expectError(pcap({}).subarray(0, 20), 20, /truncated pcap file header: 20 of 24/));
    it('unsupported major version', () => expectError(pcap({ major: 3 }), 4, /unsupported pcap version 3\.4/));
    it('reserved link-type bits', () => expectError(pcap({ linktype: 0x00300000 }), 20, /reserved bits set \(0x00300000\)/));
    const two = pcap({ recs: [{ sec: 1, sub: 0, data: d4 }, { sec: 2, sub: 0, data: u8(1, 2, 3, 4, 5, 6) }] });
    it('cut inside the second record data: first frame delivered, then the error', () =>
      expectError(two.subarray(0, two.length - 2), 44, /truncated record: caplen 6 but only 4 bytes left/, 1));
    it('cut inside the second record header', () => expectError(two.subarray(0, 44 + 10), 44, /truncated record header: 10 of 16/, 1));
    it('caplen over 256 KiB', () =>
      expectError(pcap({ recs: [{ sec: 1, sub: 0, data: d4 }, { sec: 1, sub: 0, data: d4, caplen: MAX_CAPLEN + 1 }] }), 44, /caplen 262145 exceeds the 262144-byte limit/, 1));
  });
});

describe('pcapng', () => {
  for (const le of [true, false]) {
    it(`reads a ${le ? 'little' : 'big'}-endian section with several interfaces and options`, () => {
      const b = cat(
        shb(le, [[1, str('section comment')], [2, str('hw')], [3, str('Linux')], [4, str('dumpcap')]]),
        idb(le, 1, 262144, [[2, str('eth0')], [3, str('uplink port')], [13, u8(4)]]),
        idb(le, 113, 128, [[2, str('any')], [9, u8(3)], [14, i64(le, 100n)]]),
        epb(le, 0, 1_700_000_000_123_456n, d4, [[2, u32(le, 1)], [1, str('hello')], [1, str('again')]], 64),
        epb(le, 1, 5_001n, u8(7, 7, 7), [[2, u32(le, 0x4a)]]),
      );
      const r = captureFromBuffer(b, 'a.pcapng');
      const { frames, error } = readAll(r);
      expect(error).toBeNull();
      expect(r.format).toBe('pcapng');
      expect(r.sections).toEqual([{ section: 1, byteOrder: le ? 'le' : 'be', hardware: 'hw', os: 'Linux', application: 'dumpcap', comment: 'section comment' }]);
      expect(r.interfaces).toEqual([
        { id: 0, section: 1, name: 'eth0', description: 'uplink port', linktype: 1, linktypeName: 'EN10MB', snaplen: 262144, tsresol: 6, tsoffset: 0, fcslen: 4 },
        { id: 1, section: 1, name: 'any', description: null, linktype: 113, linktypeName: 'LINUX_SLL', snaplen: 128, tsresol: 3, tsoffset: 100, fcslen: null },
      ]);
      expect(frames).toEqual([
        { sec: 1700000000, ns: 123456000, hasTs: true, caplen: 4, len: 64, data: [1, 2, 3, 4], dir: DIR_INBOUND, flags: 1, comment: 'hello\nagain', iface: '1/0', block: 'epb' },
        { sec: 5 + 100, ns: 1000000, hasTs: true, caplen: 3, len: 3, data: [7, 7, 7], dir: DIR_OUTBOUND, flags: 0x4a, comment: null, iface: '1/1', block: 'epb' },
      ]);
    });
  }
  it('mixed byte-order sections: interface ids restart, section numbers count up', () => {
    const b = cat(shb(true), idb(true, 1), idb(true, 101), epb(true, 1, 1n, d4), shb(false), idb(false, 229), epb(false, 0, 2n, d4), epb(false, 0, 3n, d4));
    const r = captureFromBuffer(b, 'm.pcapng');
    const { frames, error } = readAll(r);
    expect(error).toBeNull();
    expect(frames.map((f) => [f.iface, f.ns])).toEqual([
      ['1/1', 1000],
      ['2/0', 2000],
      ['2/0', 3000],
    ]);
    expect(r.interfaces.map((i) => [i.section, i.id, i.linktypeName])).toEqual([
      [1, 0, 'EN10MB'],
      [1, 1, 'RAW'],
      [2, 0, 'IPV6'],
    ]);
  });
  it('if_tsresol: powers of 10 and of 2, nanoseconds rounded down; if_tsoffset may be negative', () => {
    const le = true;
    const b = cat(
      shb(le),
      idb(le, 1, 0, [[9, u8(9)]]),
      idb(le, 1, 0, [[9, u8(0x80 | 10)], [14, i64(le, -10n)]]),
      idb(le, 1, 0, [[9, u8(12)]]),
      idb(le, 1, 0, [[9, u8(0)]]),
      epb(le, 0, 1_700_000_000_999_999_999n, d4),
      epb(le, 1, 1024n * 20n + 512n, d4), // 20.5 s - 10
      epb(le, 2, 3_000_000_000_001_999n, d4), // ps: 3000 s + 1.999 ns
      epb(le, 3, 42n, d4),
    );
    expect(buf(b).frames.map((f) => [f.sec, f.ns])).toEqual([
      [1700000000, 999999999],
      [10, 500000000],
      [3000, 1],
      [42, 0],
    ]);
  });
  it('timestamps past 2106 (more than 32 bits of seconds) are exact', () => {
    const t = (5_000_000_000n * 1_000_000_000n) + 7n; // 5e9 s in ns
    const b = cat(shb(true), idb(true, 1, 0, [[9, u8(9)]]), epb(true, 0, t, d4));
    expect(buf(b).frames.map((f) => [f.sec, f.ns])).toEqual([[5000000000, 7]]);
  });
  it('SPB: no timestamp, interface 0, caplen = min(len, block space, snaplen)', () => {
    const b = cat(shb(true), idb(true, 1, 3), spb(true, 100, d4), spb(true, 2, u8(5, 6)));
    const { frames, error } = buf(b);
    expect(error).toBeNull();
    expect(frames.map((f) => [f.hasTs, f.caplen, f.len, f.data, f.block])).toEqual([
      [false, 3, 100, [1, 2, 3], 'spb'],
      [false, 2, 2, [5, 6], 'spb'],
    ]);
  });
  it('OPB (obsolete Packet Block) with pack_flags direction and a comment', () => {
    const b = cat(shb(true), idb(true, 1), opb(true, 0, 1_000_001n, d4, [[2, u32(true, 2)], [1, str('old')]]));
    expect(buf(b).frames.map((f) => [f.sec, f.ns, f.dir, f.comment, f.block])).toEqual([[1, 1000, DIR_OUTBOUND, 'old', 'opb']]);
  });
  // pcapng spec (draft-ietf-opsawg-pcapng, "Packet Block (obsolete!)"): Interface ID is 16 bits,
  // followed by a 16-bit Drops Count; both byte orders, a nonzero drops count beside interface 1
  it('OPB: the interface id is the first 16 bits, the drops count beside it is not part of it', () => {
    for (const le of [true, false]) {
      const b = cat(shb(le), idb(le, 1), idb(le, 101), opb(le, 1, 5n, d4, [], 7), opb(le, 0, 6n, d4, [], 0xffff));
      const { frames, error } = buf(b);
      expect(error).toBeNull();
      expect(frames.map((f) => f.iface)).toEqual(['1/1', '1/0']); // section 1, interfaces 1 and 0
    }
  });
  it('skips NRB, ISB, custom and unknown blocks by their length', () => {
    const le = false;
    const b = cat(
      shb(le),
      block(le, 4, cat(u16(le, 1), u16(le, 8), u8(10, 0, 0, 1), str('h\0\0\0'), new Uint8Array(4))),
      idb(le, 1),
      block(le, 0x00000bad, cat(u32(le, 32473), str('custom!!'))),
      epb(le, 0, 1n, d4),
      block(le, 5, cat(u32(le, 0), u32(le, 0), u32(le, 0))),
      block(le, 0x12345678, new Uint8Array(40)),
      epb(le, 0, 2n, d4),
    );
    const { frames, error } = buf(b);
    expect(error).toBeNull();
    expect(frames.length).toBe(2);
  });
  it('a file with only a section header has no frames', () => {
    expect(buf(shb(true))).toEqual({ frames: [], error: null });
  });
  describe('damage', () => {
    const good = cat(shb(true), idb(true, 1), epb(true, 0, 1n, d4));
    const shbLen = shb(true).length; // 28
    const idbLen = idb(true, 1).length; // 20
    it('block length not a multiple of 4', () => {
      const b = cat(shb(true), idb(true, 1), block(true, 6, new Uint8Array(22)));
      expectError(b, shbLen + idbLen + 4, /length 34, not a multiple of 4/);
    });
    it('block length too small', () => expectError(cat(shb(true), block(true, 1, new Uint8Array(0), 8)), shbLen + 4, /length 8, less than the minimum 12/));
    it('EPB too small', () => expectError(cat(shb(true), idb(true, 1), block(true, 6, new Uint8Array(8))), shbLen + idbLen + 4, /minimum 32/));
    it('packet before any IDB', () => expectError(cat(shb(true), epb(true, 0, 1n, d4)), shbLen + 8, /refers to interface 0 but section 1 has 0 interface/));
    it('EPB for an interface of another section', () =>
      expectError(cat(shb(true), idb(true, 1), idb(true, 1), shb(true), idb(true, 1), epb(true, 1, 1n, d4)), 2 * shbLen + 3 * idbLen + 8, /interface 1 but section 2 has 1/));
    it('caplen larger than its block', () => expectError(cat(good, epb(true, 0, 1n, d4, [], 4, 40)), good.length + 20, /caplen 40 is larger than its block allows \(4 bytes\)/, 1));
    it('caplen over 256 KiB', () => expectError(cat(good, epb(true, 0, 1n, new Uint8Array(MAX_CAPLEN + 4))), good.length + 20, /caplen 262148 exceeds the 262144-byte limit/, 1));
    it('truncated in the middle of the last block: earlier frames first, then the error', () =>
      expectError(cat(good, good.subarray(shbLen + idbLen)).subarray(0, good.length + 20), good.length, /truncated block of type 0x6: length 36 but only 20 bytes left/, 1));
    it('truncated block header', () => expectError(cat(good, u8(6, 0, 0)), good.length, /truncated block header: 3 of 8/, 1));
    it('trailing length differs from the leading one', () => {
      const b = cat(good);
      b[b.length - 4] = 40;
      expectError(b, b.length - 4, /trailing length 40 differs from its leading length 36/);
    });
    it('bad byte-order magic', () => {
      const b = cat(shb(true));
      b[8] = 0;
      expectError(b, 8, /bad byte-order magic/);
    });
    it('unsupported version', () => expectError(shb(true, [], 1), 12, /unsupported pcapng version 1\.1/));
    it('insane section header length', () => {
      const b = cat(shb(true));
      b.set(u32(true, 0x7ffffff0), 4);
      expectError(b, 4, /section header block length 2147483632 is too large/);
    });
    it('absurd if_tsresol values', () => {
      expectError(cat(shb(true), idb(true, 1, 0, [[9, u8(20)]])), shbLen, /if_tsresol 10\^-20 is out of range/);
      expectError(cat(shb(true), idb(true, 1, 0, [[9, u8(0x80 | 64)]])), shbLen, /if_tsresol 2\^-64 is out of range/);
    });
    it('option running past its block', () => {
      const b = cat(shb(true), block(true, 1, cat(u16(true, 1), u16(true, 0), u32(true, 0), u16(true, 2), u16(true, 200))));
      expectError(b, shbLen + 16, /option 2 length 200 runs past the end of its block/);
    });
    it('unknown block claiming more bytes than the file has', () =>
      expectError(cat(good, block(true, 0x999, new Uint8Array(4), 4000)), good.length, /truncated block of type 0x999: length 4000 but only 16 bytes left/, 1));
  });
});

describe('streaming from a file', () => {
  it('reads a multi-chunk file with bounded buffer memory, blocks straddling chunk edges', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cap-r-'));
    const file = path.join(dir, 'big.pcapng');
    const parts: Uint8Array[] = [shb(true), idb(true, 1, 0, [[9, u8(9)]])];
    let expectSum = 0;
    const N = 6000;
    for (let k = 0; k < N; k++) {
      const n = 60 + ((k * 37) % 1400);
      const d = new Uint8Array(n).fill(k & 0xff);
      expectSum += n;
      parts.push(epb(true, 0, BigInt(k) * 1000n, d));
      if (k % 1000 === 500) parts.push(block(true, 0xbad, new Uint8Array(300_000))); // skipped, bigger than half a chunk
    }
    fs.writeFileSync(file, cat(...parts));
    const r = openCapture(file);
    let n = 0;
    let sum = 0;
    let maxBuf = 0;
    for (const f of r) {
      expect(f.index).toBe(n + 1);
      expect(f.tsNsec).toBe((n * 1000) % 1e9);
      expect(f.data[0]).toBe(n & 0xff);
      expect(f.data[f.caplen - 1]).toBe(n & 0xff);
      sum += f.caplen;
      maxBuf = Math.max(maxBuf, f.data.buffer.byteLength);
      n++;
    }
    expect(n).toBe(N);
    expect(sum).toBe(expectSum);
    expect(r.bytesRead()).toBe(r.size);
    expect(r.size).toBeGreaterThan(6 * 1024 * 1024);
    expect(maxBuf).toBeLessThanOrEqual(1 << 20);
    r.close();
    fs.rmSync(dir, { recursive: true });
  });
  it('names the file in open errors', () => {
    expect(() => openCapture('/nonexistent/cap.pcap')).toThrow(/^\/nonexistent\/cap\.pcap: offset 0: cannot open/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cap-d-'));
    expect(() => openCapture(dir)).toThrow(CaptureError);
    expect(() => openCapture(dir)).toThrow(/offset 0: not a regular file/);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('link types', () => {
  it('libpcap names; unknown as LINKTYPE_<n>; 12 and 14 are raw IP like 101', () => {
    expect([0, 1, 101, 108, 113, 228, 229, 276].map(linktypeName)).toEqual(['NULL', 'EN10MB', 'RAW', 'LOOP', 'LINUX_SLL', 'IPV4', 'IPV6', 'LINUX_SLL2']);
    expect(linktypeName(60000)).toBe('LINKTYPE_60000');
    expect([12, 14, 101, 1].map(isRawIp)).toEqual([true, true, true, false]);
    expect([12, 14].map(linktypeName)).toEqual(['RAW', 'RAW']);
  });
});

void DIR_UNKNOWN;
void opts;

// Header fields and edge values of the pcap and pcapng formats, each in a capture built byte by
// byte here; the expected values come from the format specs (draft-ietf-opsawg-pcap,
// draft-ietf-opsawg-pcapng), libpcap (sf-pcap.c, sf-pcapng.c) and Linux's if_packet.h, as cited.
// Malformed input: the exact error (offset of the field at fault, and the problem).
import { describe, expect, it } from 'vitest';
import { CaptureError, captureFromBuffer, MAX_CAPLEN } from '../../src/capture/reader.js';
import { DIR_INBOUND, DIR_OUTBOUND, DIR_UNKNOWN } from '../../src/capture/types.js';
import { block, cat, epb, i64, idb, opb, opts, pcap, shb, spb, str, u16, u32, u8 } from './build.js';

interface Read {
  frames: { index: number; sec: number; ns: number; caplen: number; dir: number; flags: number; comment: string | null; block: string; first: number | undefined }[];
  error: string | null;
}

/** every frame, then "offset N: problem" of the error (the file name is checked to lead the message) */
function read(b: Uint8Array): Read {
  const frames: Read['frames'] = [];
  const err = (e: unknown): string => {
    if (!(e instanceof CaptureError)) throw e;
    expect(e.message).toBe(`t.cap: offset ${e.offset}: ${e.problem}`);
    return `offset ${e.offset}: ${e.problem}`;
  };
  let r;
  try {
    r = captureFromBuffer(b, 't.cap');
  } catch (e) {
    return { frames, error: err(e) };
  }
  try {
    for (const f of r) frames.push({ index: f.index, sec: f.tsSec, ns: f.tsNsec, caplen: f.caplen, dir: f.direction, flags: f.flags, comment: f.comment, block: f.block, first: f.data[0] });
  } catch (e) {
    return { frames, error: err(e) };
  }
  return { frames, error: null };
}

const d4 = u8(0xaa, 2, 3, 4);

describe('pcap', () => {
  it('a pcap file is one section, in its byte order, of "pcap" records', () => {
    for (const le of [true, false]) {
      const r = captureFromBuffer(pcap({ le, recs: [{ sec: 1, sub: 0, data: d4 }] }), 'p.pcap');
      expect(r.sections).toEqual([{ section: 1, byteOrder: le ? 'le' : 'be', hardware: null, os: null, application: null, comment: null }]);
      expect(r.next()!.block).toBe('pcap');
    }
  });

  it('a bad magic number is printed as 8 hex digits', () => {
    expect(read(u8(0, 1, 2, 3, 4, 5, 6, 7)).error).toBe('offset 0: bad magic number 0x00010203: not a pcap or pcapng capture');
  });

  // Kuznetzov's modified format: libpcap sf-pcap.c accepts KUZNETZOV_TCPDUMP_MAGIC (0xa1b2cd34)
  // in either byte order (its byte-swapped form too). pkt_type is skb->pkt_type (if_packet.h):
  // PACKET_HOST 0, BROADCAST 1, MULTICAST 2, OTHERHOST 3 were received; OUTGOING 4 was sent;
  // LOOPBACK 5 and above say nothing of the direction.
  it('modified pcap, big-endian: pkt_type 0-3 inbound, 4 outbound, 5 unknown', () => {
    const recs = [0, 3, 4, 5].map((pktType, k) => ({ sec: 100 + k, sub: 7, data: d4, pktType }));
    const got = read(pcap({ le: false, magic: 0xa1b2cd34, recs }));
    expect(got.error).toBeNull();
    expect(got.frames.map((f) => [f.index, f.sec, f.ns, f.dir])).toEqual([
      [1, 100, 7000, DIR_INBOUND],
      [2, 101, 7000, DIR_INBOUND],
      [3, 102, 7000, DIR_OUTBOUND],
      [4, 103, 7000, DIR_UNKNOWN],
    ]);
  });

  // A sub-second field of exactly one second (10^6 us, 10^9 ns) is carried into the seconds, as
  // the corpus's independent reader (tools/pcapfacts.py) does: 10 s + 1,000,000 us = 11 s.
  it('a sub-second field of exactly 1 s is carried; the record between ordinary ones keeps its index and no direction', () => {
    // record 2's byte 6 is 0, which a modified-pcap reader would take as pkt_type PACKET_HOST
    const usec = read(pcap({ recs: [{ sec: 1, sub: 1, data: d4 }, { sec: 10, sub: 1_000_000, data: u8(0xbb, 1, 1, 1, 1, 1, 0, 1) }, { sec: 12, sub: 2, data: d4 }] }));
    expect(usec.frames.map((f) => [f.index, f.sec, f.ns, f.dir, f.first])).toEqual([
      [1, 1, 1000, DIR_UNKNOWN, 0xaa],
      [2, 11, 0, DIR_UNKNOWN, 0xbb],
      [3, 12, 2000, DIR_UNKNOWN, 0xaa],
    ]);
    const nsec = read(pcap({ magic: 0xa1b23c4d, recs: [{ sec: 10, sub: 1_000_000_000, data: d4 }, { sec: 10, sub: 999_999_999, data: d4 }] }));
    expect(nsec.frames.map((f) => [f.sec, f.ns])).toEqual([
      [11, 0],
      [10, 999_999_999],
    ]);
  });

  it('a record of exactly 256 KiB is read; one byte more is refused', () => {
    const big = new Uint8Array(MAX_CAPLEN).fill(0xcc);
    for (const magic of [0xa1b2c3d4, 0xa1b2cd34]) {
      const got = read(pcap({ magic, recs: [{ sec: 1, sub: 0, data: big }] }));
      expect([got.error, got.frames.map((f) => f.caplen)]).toEqual([null, [MAX_CAPLEN]]);
    }
    // one byte more, all of it in the file
    expect(read(pcap({ recs: [{ sec: 1, sub: 0, data: new Uint8Array(MAX_CAPLEN + 1) }] })).error).toBe(`offset 24: record caplen ${MAX_CAPLEN + 1} exceeds the ${MAX_CAPLEN}-byte limit`);
    // modified pcap: the record header is 24 bytes; the limit is checked on the header alone
    expect(read(pcap({ magic: 0xa1b2cd34, recs: [{ sec: 1, sub: 0, data: d4, caplen: MAX_CAPLEN + 1 }] })).error).toBe(
      `offset 24: record caplen ${MAX_CAPLEN + 1} exceeds the ${MAX_CAPLEN}-byte limit`,
    );
  });
});

describe('pcapng', () => {
  const le = true;
  const S = shb(le).length; // 28
  const I = idb(le, 1).length; // 20

  // libpcap sf-pcapng.c: PCAP_NG_VERSION_MAJOR 1, minor 0 or 2 (2 was written by some old tools)
  it('version 1.2 is read like 1.0; 1.3 is not', () => {
    expect(read(cat(shb(le, [], 2), idb(le, 1), epb(le, 0, 1n, d4))).frames.length).toBe(1);
    expect(read(shb(le, [], 3)).error).toBe('offset 12: unsupported pcapng version 1.3 (only 1.0 and 1.2)');
    const v2 = shb(le);
    v2.set(u16(le, 2), 12); // major version 2
    expect(read(v2).error).toBe('offset 12: unsupported pcapng version 2.0 (only 1.0 and 1.2)');
  });

  // the largest block read is 256 KiB + 128 KiB (room for a 256 KiB packet and its options)
  it('a section header of exactly the largest block size is read', () => {
    const MAX_BLOCK = 393216;
    // 28 bytes of fixed fields and trailer, opt_endofopt 4, six comments of 4 + L bytes
    const lens = [65532, 65532, 65532, 65532, 65532, 65500];
    expect(28 + 4 + lens.reduce((a, l) => a + 4 + l, 0)).toBe(MAX_BLOCK);
    const big = shb(le, lens.map((l) => [1, new Uint8Array(l).fill(0x78)]));
    expect(big.length).toBe(MAX_BLOCK);
    const r = captureFromBuffer(cat(big, idb(le, 1), epb(le, 0, 1n, d4)), 'big.pcapng');
    expect(r.next()!.caplen).toBe(4);
    expect(r.sections[0]!.comment!.length).toBe(lens.reduce((a, l) => a + l, 0) + 5); // joined by 5 newlines
  });

  it('two section comments are joined by a newline', () => {
    const r = captureFromBuffer(shb(le, [[1, str('first')], [1, str('second')]]), 's.pcapng');
    expect(r.sections[0]!.comment).toBe('first\nsecond');
  });

  it('section header damage: length not a multiple of 4, a second header cut short', () => {
    const b = shb(le);
    b.set(u32(le, 30), 4);
    expect(read(b).error).toBe('offset 4: section header block length 30 is not a multiple of 4');
    b.set(u32(le, 24), 4);
    expect(read(b).error).toBe('offset 4: section header block length 24 is less than the minimum 28');
    const one = cat(shb(le), idb(le, 1), epb(le, 0, 1n, d4)); // 28 + 20 + 36 = 84
    // the second section header starts at 84: 20 of its 28 bytes, then 8 (less than its first 12)
    expect(read(cat(one, shb(le).subarray(0, 20)))).toMatchObject({ frames: [{ index: 1 }], error: 'offset 84: truncated section header block: length 28 but only 20 bytes left' });
    expect(read(cat(one, shb(le).subarray(0, 8))).error).toBe('offset 84: truncated section header block: 8 of at least 28 bytes');
  });

  it('interface options of the wrong length: the error points at the option value', () => {
    // IDB at 28: type, length, link type, reserved, snaplen (16 bytes), then the option header
    // (4 bytes): its value at 28 + 20 = 48
    const cases: [number, Uint8Array, string][] = [
      [9, u8(6, 0), 'if_tsresol option has length 2, expected 1'],
      [13, u8(4, 0), 'if_fcslen option has length 2, expected 1'],
      [14, u32(le, 5), 'if_tsoffset option has length 4, expected 8'],
    ];
    for (const [code, v, problem] of cases) expect(read(cat(shb(le), idb(le, 1, 0, [[code, v]]))).error).toBe(`offset 48: ${problem}`);
    const ok = captureFromBuffer(cat(shb(le), idb(le, 1, 0, [[13, u8(4)], [14, i64(le, -3n)]])), 'i.pcapng');
    expect(ok.next()).toBeNull(); // IDBs are read on the way to the first packet
    expect(ok.interfaces[0]).toMatchObject({ fcslen: 4, tsoffset: -3 });
  });

  it('packet options: one running past its block, one ending exactly at it (no opt_endofopt)', () => {
    const head = cat(shb(le), idb(le, 1)); // 48 bytes
    // EPB at 48: 28 bytes of header, 4 of data, then the option at 48 + 32 = 80
    const bad = epb(le, 0, 1n, d4, [[1, str('abcd')]]);
    bad.set(u16(le, 200), 28 + 4 + 2);
    expect(read(cat(head, bad)).error).toBe('offset 80: option 1 length 200 runs past the end of its block');
    const exact = cat(
      u32(le, 6),
      u32(le, 32 + 4 + 8),
      u32(le, 0),
      u32(le, 0),
      u32(le, 1),
      u32(le, 4),
      u32(le, 4),
      d4,
      opts(le, [[1, str('abcd')]], false),
      u32(le, 32 + 4 + 8),
    );
    expect(read(cat(head, exact))).toMatchObject({ error: null, frames: [{ comment: 'abcd' }] });
  });

  // pcapng spec: epb_flags is option 2, 32 bits; epb_dropcount (4) is 64 bits, epb_queue (6) 32
  it('only epb_flags sets the flags and direction', () => {
    // and an epb_flags option of the wrong length (8 bytes) is not taken for one
    const b = cat(shb(le), idb(le, 1), epb(le, 0, 1n, d4, [[6, u32(le, 3)], [4, i64(le, 2n)], [2, i64(le, 1n)]]), epb(le, 0, 2n, d4, [[2, u32(le, 2)]]));
    expect(read(b).frames.map((f) => [f.flags, f.dir])).toEqual([
      [0, DIR_UNKNOWN],
      [2, DIR_OUTBOUND],
    ]);
  });

  // pcapng spec, Simple Packet Block: interface 0 implied, no timestamp, no captured length: the
  // packet data is min(Original Packet Length, SnapLen) bytes (and can be no more than the block holds)
  it('SPB: captured length from the block when the interface has no snaplen; exactly 16 bytes is an empty packet', () => {
    const got = read(cat(shb(le), idb(le, 1, 0), spb(le, 100, d4), block(le, 3, u32(le, 0))));
    expect(got.error).toBeNull();
    expect(got.frames.map((f) => [f.index, f.caplen, f.block])).toEqual([
      [1, 4, 'spb'],
      [2, 0, 'spb'],
    ]);
  });

  it('SPB damage: shorter than 16 bytes, before any interface, more than 256 KiB captured', () => {
    const head = cat(shb(le), idb(le, 1)); // 48 bytes
    expect(read(cat(head, block(le, 3, new Uint8Array(0)))).error).toBe('offset 52: simple packet block length 12 is less than the minimum 16');
    expect(read(cat(shb(le), spb(le, 4, d4))).error).toBe('offset 28: simple packet block refers to interface 0 but section 1 has 0 interface description block(s) before it');
    // 256 KiB + 4 bytes in the block, original length the same, no snaplen: the original length at 48 + 8
    const n = MAX_CAPLEN + 4;
    expect(read(cat(head, spb(le, n, new Uint8Array(n)))).error).toBe(`offset 56: simple packet block caplen ${n} exceeds the ${MAX_CAPLEN}-byte limit`);
  });

  it('obsolete Packet Block damage names the block', () => {
    const head = cat(shb(le), idb(le, 1)); // 48 bytes
    expect(read(cat(head, block(le, 2, new Uint8Array(16)))).error).toBe('offset 52: packet block length 28 is less than the minimum 32');
    // interface id at 48 + 8
    expect(read(cat(head, opb(le, 2, 1n, d4))).error).toBe('offset 56: packet block refers to interface 2 but section 1 has 1 interface description block(s) before it');
    // caplen at 48 + 20
    expect(read(cat(head, epb(le, 0, 1n, new Uint8Array(MAX_CAPLEN + 4)))).error).toBe(`offset 68: enhanced packet block caplen ${MAX_CAPLEN + 4} exceeds the ${MAX_CAPLEN}-byte limit`);
  });

  // if_tsresol 19: units of 10^-19 s, the finest power of 10 a 64-bit timestamp can use (2^64 units
  // is 1.8 s); 12,345,678,901,234,567,890 units = 1.2345678901234567890 s -> 1 s 234,567,890 ns
  // (rounded down). 20 is refused (test/capture/reader.test.ts).
  it('if_tsresol 10^-19 is the finest power of ten accepted', () => {
    const got = read(cat(shb(le), idb(le, 1, 0, [[9, u8(19)]]), epb(le, 0, 12_345_678_901_234_567_890n, d4)));
    expect([got.error, got.frames.map((f) => [f.sec, f.ns])]).toEqual([null, [[1, 234_567_890]]]);
  });

  it('block lengths: 12 bytes (no body) is the smallest block; a packet block may be as large as 384 KiB, no larger', () => {
    const MAX_BLOCK = 393216;
    const head = cat(shb(le), idb(le, 1)); // 48 bytes
    expect(read(cat(head, block(le, 0x999, new Uint8Array(0)), epb(le, 0, 1n, d4))).frames.length).toBe(1);
    // 32 bytes of EPB fields and trailer, 256 KiB of data, two comments and opt_endofopt
    const lens = [65532, 131040 - 4 - 65536 - 4];
    const e = epb(le, 0, 1n, new Uint8Array(MAX_CAPLEN), lens.map((l) => [1, new Uint8Array(l).fill(0x79)]));
    expect(e.length).toBe(MAX_BLOCK);
    expect(read(cat(head, e)).frames.map((f) => f.caplen)).toEqual([MAX_CAPLEN]);
    const huge = epb(le, 0, 1n, d4);
    huge.set(u32(le, 0x7ffffff0), 4);
    expect(read(cat(head, huge)).error).toBe(`offset 52: block of type 0x6 has length 2147483632, too large (limit ${MAX_BLOCK})`);
  });

  // pcapng spec: opt_endofopt ends the options; options fill the rest of the block without it
  it('block options: nothing after opt_endofopt is read; the last option may end exactly at the block end', () => {
    // IDB at 28: if_tsresol 3 (0.001 s), opt_endofopt, then an if_tsresol 9 that must be ignored
    const after = cat(u16(le, 9), u16(le, 1), u8(9, 0, 0, 0));
    const body = cat(u16(le, 1), u16(le, 0), u32(le, 0), opts(le, [[9, u8(3)]]), after);
    const r = read(cat(shb(le), block(le, 1, body), epb(le, 0, 1500n, d4)));
    expect(r.frames.map((f) => [f.sec, f.ns])).toEqual([[1, 500_000_000]]);
    // SHB and IDB whose last option ends exactly at the block end (no opt_endofopt)
    const shbBody = cat(u32(le, 0x1a2b3c4d), u16(le, 1), u16(le, 0), i64(le, -1n), opts(le, [[4, str('app')]], false));
    const idbBody = cat(u16(le, 1), u16(le, 0), u32(le, 0), opts(le, [[2, str('eth9')]], false));
    const c = captureFromBuffer(cat(block(le, 0x0a0d0d0a, shbBody), block(le, 1, idbBody), epb(le, 0, 1n, d4)), 'o.pcapng');
    expect(c.next()!.caplen).toBe(4);
    expect([c.sections[0]!.application, c.interfaces[0]!.name]).toEqual(['app', 'eth9']);
  });

  it('interface block damage: shorter than 20 bytes; an option running 4 bytes past its block', () => {
    expect(read(cat(shb(le), block(le, 1, u32(le, 1)))).error).toBe('offset 32: interface description block length 16 is less than the minimum 20');
    // IDB at 28, its option at 28 + 16 = 44: if_name of 8 bytes where only 4 are left before the trailer
    const body = cat(u16(le, 1), u16(le, 0), u32(le, 0), u16(le, 2), u16(le, 8), str('eth0'));
    expect(read(cat(shb(le), block(le, 1, body))).error).toBe('offset 44: option 2 length 8 runs past the end of its block');
  });

  // a packet option header that just fits (an empty opt_comment as the block's last 4 bytes) is read
  it('an empty comment as the last 4 bytes of a packet block', () => {
    const e = cat(u32(le, 6), u32(le, 32 + 4 + 4), u32(le, 0), u32(le, 0), u32(le, 1), u32(le, 4), u32(le, 4), d4, u16(le, 1), u16(le, 0), u32(le, 32 + 4 + 4));
    expect(read(cat(shb(le), idb(le, 1), e)).frames.map((f) => f.comment)).toEqual(['']);
  });

  // The 64-bit timestamp divided exactly, whatever its size: if_tsresol 1 (units of 0.1 s),
  // t = 2^52 + 7 = 4,503,599,627,370,503 tenths = 450,359,962,737,050 s + 3 tenths.
  // (its high 32 bits are 2^20: the division's top 16-bit digit, 16, is more than the divisor 10)
  it('timestamps with coarse units and large values are divided exactly', () => {
    const got = read(cat(shb(le), idb(le, 1, 0, [[9, u8(1)]]), epb(le, 0, (1n << 52n) + 7n, d4)));
    expect(got.frames.map((f) => [f.sec, f.ns])).toEqual([[450_359_962_737_050, 300_000_000]]);
  });

  it('an EPB of exactly 256 KiB is read', () => {
    const got = read(cat(shb(le), idb(le, 1), epb(le, 0, 1n, new Uint8Array(MAX_CAPLEN))));
    expect([got.error, got.frames.map((f) => f.caplen)]).toEqual([null, [MAX_CAPLEN]]);
    void S;
    void I;
  });
});

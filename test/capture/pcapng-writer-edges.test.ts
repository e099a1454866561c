// The pcapng writer at its edges: the section header's fixed fields, timestamps at the ends of
// the 64-bit range, packets larger than its buffer, and what it refuses (with what message).
// Expected values from the pcapng spec (draft-ietf-opsawg-pcapng) and hand arithmetic, as noted.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';
import { captureFromBuffer } from '../../src/capture/reader.js';

const d1 = Uint8Array.of(1, 2, 3);

/** [offset, type, total length] of every block, walked by the pcapng layout (type, total length, ..., total length) */
function blocks(b: Uint8Array): [number, number, number][] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: [number, number, number][] = [];
  for (let o = 0; o < b.length; o += dv.getUint32(o + 4, true)) {
    const total = dv.getUint32(o + 4, true);
    expect(dv.getUint32(o + total - 4, true)).toBe(total);
    out.push([o, dv.getUint32(o, true), total]);
  }
  return out;
}

describe('PcapngWriter edges', () => {
  // pcapng spec, Section Header Block: Section Length -1 (all ones) = not specified; shb_userappl (4)
  it('the section header: length unspecified (-1), written by pktlife', () => {
    const bytes = new PcapngWriter().close();
    expect([...bytes.subarray(16, 24)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    const r = captureFromBuffer(bytes, 's.pcapng');
    expect(r.sections[0]!.application).toBe('pktlife');
  });

  // if_tsresol 0x80|32: units of 2^-32 s. 0 s is 0 units; 2^32 - 1 s + 999,999,999 ns is
  // 2^64 - 2^32 + floor(999,999,999 * 2^32 / 10^9) = 2^64 - 5 units (fits); 2^32 s is 2^64 units
  // (does not fit in 64 bits). At 10^-9 s, 2^35 s is 3.4e19 units, more than 2^64 (1.8e19).
  it('timestamps at the ends of the 64-bit range', () => {
    const w = new PcapngWriter();
    const bin = w.addInterface({ name: 'b', linktype: 1, tsresol: 0x80 | 32 });
    const ns = w.addInterface({ name: 'n', linktype: 1, tsresol: 9 });
    w.writePacket({ iface: bin, tsSec: 0, tsNsec: 0, data: d1 });
    w.writePacket({ iface: bin, tsSec: 2 ** 32 - 1, tsNsec: 999_999_999, data: d1 });
    expect(() => w.writePacket({ iface: bin, tsSec: 2 ** 32, tsNsec: 0, data: d1 })).toThrow('timestamp 4294967296.0 does not fit 64 bits at this interface\'s if_tsresol');
    expect(() => w.writePacket({ iface: ns, tsSec: 2 ** 35, tsNsec: 0, data: d1 })).toThrow('timestamp 34359738368.0 does not fit 64 bits at this interface\'s if_tsresol');
    const bytes = w.close();
    // the raw 64-bit timestamps of the two EPBs: high word at +12, low word at +16
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const epbs = blocks(bytes).filter(([, type]) => type === 6);
    expect(epbs.map(([o]) => [dv.getUint32(o + 12, true), dv.getUint32(o + 16, true)])).toEqual([
      [0, 0],
      [0xffffffff, 0xfffffffb],
    ]);
  });

  it('a packet larger than its 1 MiB buffer, in memory and to a file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cap-we-'));
    const file = path.join(dir, 'huge.pcapng');
    const huge = new Uint8Array(3 << 20).map((_, k) => (k * 7) & 0xff);
    for (const w of [new PcapngWriter(), new PcapngWriter(file)]) {
      const i = w.addInterface({ name: 'eth0', linktype: 1 });
      w.writePacket({ iface: i, tsSec: 1, tsNsec: 0, data: d1 });
      w.writePacket({ iface: i, tsSec: 2, tsNsec: 0, data: huge });
      w.writePacket({ iface: i, tsSec: 3, tsNsec: 0, data: d1 });
      const mem = w.close();
      const bytes = w.path ? new Uint8Array(fs.readFileSync(file)) : mem;
      // our reader refuses packets over 256 KiB: check the big EPB's bytes in place instead
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const list = blocks(bytes);
      expect(list.map(([, type, total]) => [type, total])).toEqual([
        [0x0a0d0d0a, list[0]![2]],
        [1, list[1]![2]],
        [6, 36],
        [6, 32 + huge.length],
        [6, 36],
      ]);
      const at = list[3]![0];
      expect(dv.getUint32(at + 20, true)).toBe(huge.length);
      expect(Buffer.from(bytes.subarray(at + 28, at + 28 + huge.length)).equals(Buffer.from(huge))).toBe(true);
    }
    fs.rmSync(dir, { recursive: true });
  });

  it('what it refuses, and why', () => {
    const w = new PcapngWriter();
    expect(() => w.addInterface({ name: 'x', linktype: 1, tsresol: 20 })).toThrow('if_tsresol 20 out of range');
    // option and comment lengths are 16-bit fields (pcapng: Option Length, 2 octets)
    expect(() => w.addInterface({ name: 'y'.repeat(0x10000), linktype: 1 })).toThrow('option 2 too long (65536 bytes)');
    const i = w.addInterface({ name: 'eth0', linktype: 1 });
    expect(() => w.writePacket({ iface: i, tsSec: 1, tsNsec: 0, data: d1, comment: 'x'.repeat(0x10000) })).toThrow('comment too long (65536 bytes)');
    // the longest name that fits (65,535 bytes) is written whole
    const long = w.addInterface({ name: 'n'.repeat(0xffff), linktype: 1 });
    w.writePacket({ iface: long, tsSec: 1, tsNsec: 0, data: d1 });
    const r = captureFromBuffer(w.close(), 'n.pcapng');
    expect(r.next()!.iface.name!.length).toBe(0xffff);
    expect(() => w.addInterface({ name: 'late', linktype: 1 })).toThrow('PcapngWriter is closed');
  });
});

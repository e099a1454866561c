// The pcapng writer's output reads back identically with our reader and in tshark.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { PcapngWriter, type WriterPacket } from '../../src/capture/pcapng-writer.js';
import { captureFromBuffer, openCapture } from '../../src/capture/reader.js';
import { DIR_INBOUND, DIR_OUTBOUND, DIR_UNKNOWN } from '../../src/capture/types.js';
import { tsharkRun } from './tshark-util.js';

function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const pkt = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const d1 = Uint8Array.of(1, 2, 3);

function sample(w: PcapngWriter): WriterPacket[] {
  const eth = w.addInterface({ name: 'eth0', linktype: 1, description: 'uplink' });
  const raw = w.addInterface({ name: 'tun0', linktype: 101, snaplen: 1500, tsresol: 6 });
  const sll = w.addInterface({ name: 'any', linktype: 276, tsresol: 0x80 | 30 });
  const pkts: WriterPacket[] = [
    { iface: eth, tsSec: 1700000000, tsNsec: 123456789, data: pkt(60, 0xaa), direction: DIR_INBOUND },
    { iface: raw, tsSec: 1700000001, tsNsec: 999999000, data: pkt(41, 0x45), len: 1400, direction: DIR_OUTBOUND, comment: 'dropped: NETFILTER_DROP' },
    { iface: eth, tsSec: 4294967296 + 5, tsNsec: 1, data: pkt(1, 1), comment: 'past 2106 ünïcode' },
    { iface: sll, tsSec: 1, tsNsec: 500000000, data: pkt(20, 7), direction: DIR_INBOUND },
    { iface: eth, tsSec: 0, tsNsec: 0, data: pkt(0, 0) },
  ];
  for (const p of pkts) w.writePacket(p);
  return pkts;
}

describe('PcapngWriter', () => {
  it('reads back identically with our reader (interfaces, ts, lengths, bytes, direction, comment)', () => {
    const w = new PcapngWriter();
    const pkts = sample(w);
    const r = captureFromBuffer(w.close(), 'mem.pcapng');
    const got = [...(function* () {
      for (const f of r) yield { ...f, data: Uint8Array.from(f.data), iface: f.iface };
    })()];
    expect(got.length).toBe(pkts.length);
    expect(r.interfaces.map((i) => [i.id, i.name, i.linktype, i.linktypeName, i.tsresol])).toEqual([
      [0, 'eth0', 1, 'EN10MB', 9],
      [1, 'tun0', 101, 'RAW', 6],
      [2, 'any', 276, 'LINUX_SLL2', 0x80 | 30],
    ]);
    expect(r.interfaces[0]!.description).toBe('uplink');
    expect(r.interfaces[1]!.snaplen).toBe(1500);
    pkts.forEach((p, k) => {
      const f = got[k]!;
      expect(f.iface.id).toBe(p.iface);
      expect(f.tsSec).toBe(p.tsSec);
      // tun0 is written in microseconds, sll in 2^-30 s: rounded down to what they can hold
      const res = p.iface === 1 ? 1000 : 1;
      const want = p.iface === 2 ? Math.floor(Math.floor((p.tsNsec * 2 ** 30) / 1e9) * 1e9 / 2 ** 30) : Math.floor(p.tsNsec / res) * res;
      expect(f.tsNsec).toBe(want);
      expect(f.caplen).toBe(p.data.length);
      expect(f.len).toBe(p.len ?? p.data.length);
      expect(f.data).toEqual(p.data);
      expect(f.direction).toBe(p.direction ?? DIR_UNKNOWN);
      expect(f.comment).toBe(p.comment ?? null);
    });
  });

  it('timestamps are exact for every resolution (checked against BigInt arithmetic)', () => {
    let seed = 12345;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const w = new PcapngWriter();
    const res = [0, 1, 3, 6, 7, 9, 12, 0x80 | 10, 0x80 | 32];
    const ids = res.map((r) => w.addInterface({ name: `r${r}`, linktype: 1, tsresol: r }));
    const want: [number, bigint, bigint][] = [];
    for (let k = 0; k < 2000; k++) {
      const i = k % res.length;
      const sec = k % 7 === 0 ? 2 ** 34 - 1 - Math.floor(rnd() * 1000) : Math.floor(rnd() * 2 ** 33);
      const ns = k % 11 === 0 ? 999_999_999 : Math.floor(rnd() * 1e9);
      const r = res[i]!;
      const U = r & 0x80 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r);
      const fits = BigInt(sec + 1) * U < 1n << 64n;
      if (!fits) {
        expect(() => w.writePacket({ iface: ids[i]!, tsSec: sec, tsNsec: ns, data: d1 })).toThrow(/does not fit 64 bits/);
        continue;
      }
      w.writePacket({ iface: ids[i]!, tsSec: sec, tsNsec: ns, data: d1 });
      const t = BigInt(sec) * U + (BigInt(ns) * U) / 1_000_000_000n; // units, rounded down
      want.push([i, t / U, ((t % U) * 1_000_000_000n) / U]);
    }
    const r = captureFromBuffer(w.close(), 'ts.pcapng');
    let k = 0;
    for (const f of r) {
      const [i, sec, ns] = want[k++]!;
      expect([f.iface.id, f.tsSec, f.tsNsec]).toEqual([i, Number(sec), Number(ns)]);
    }
    expect(k).toBe(want.length);
    expect(k).toBeGreaterThan(1500);
  });

  it('takes the if_tsresol values the pcapng spec allows and refuses the others', () => {
    // draft-ietf-opsawg-pcapng, if_tsresol: MSB 0 -> 10^-v, MSB 1 -> 2^-(v & 0x7f); a 64-bit
    // timestamp cannot count units finer than 10^-19 or 2^-63 of a second in a useful range
    const w = new PcapngWriter();
    for (const ok of [0, 9, 19, 0x80, 0x80 | 63]) expect(() => w.addInterface({ name: 'x', linktype: 1, tsresol: ok })).not.toThrow();
    for (const bad of [20, 0x7f, 0x80 | 64, 0xff]) expect(() => w.addInterface({ name: 'x', linktype: 1, tsresol: bad })).toThrow(RangeError);
  });

  it('writes if_description only when given (absent, not empty, otherwise)', () => {
    const w = new PcapngWriter();
    const a = w.addInterface({ name: 'eth0', linktype: 1 });
    const b = w.addInterface({ name: 'eth1', linktype: 1, description: 'uplink' });
    for (const iface of [a, b]) w.writePacket({ iface, tsSec: 1, tsNsec: 0, data: new Uint8Array(14) });
    const r = captureFromBuffer(w.close(), 'd.pcapng');
    for (const _ of r);
    expect(r.interfaces.map((i) => [i.name, i.description])).toEqual([['eth0', null], ['eth1', 'uplink']]);
  });

  it('refuses what it cannot write: a closed writer, an unknown interface, an over-long comment or name, a negative time', () => {
    const w = new PcapngWriter();
    const i = w.addInterface({ name: 'eth0', linktype: 1 });
    expect(() => w.writePacket({ iface: i + 1, tsSec: 1, tsNsec: 0, data: d1 })).toThrow(/unknown interface 1/);
    // option and comment lengths are 16-bit fields (pcapng: Option Length, 2 octets)
    expect(() => w.writePacket({ iface: i, tsSec: 1, tsNsec: 0, data: d1, comment: 'x'.repeat(0x10000) })).toThrow(RangeError);
    expect(() => w.addInterface({ name: 'y'.repeat(0x10000), linktype: 1 })).toThrow(RangeError);
    expect(() => w.writePacket({ iface: i, tsSec: -1, tsNsec: 0, data: d1 })).toThrow(/does not fit 64 bits/);
    // the longest comment that fits is kept whole
    w.writePacket({ iface: i, tsSec: 1, tsNsec: 0, data: d1, comment: 'c'.repeat(0xffff) });
    const bytes = w.close();
    expect(() => w.writePacket({ iface: i, tsSec: 1, tsNsec: 0, data: d1 })).toThrow(/closed/);
    expect(() => w.close()).toThrow(/already closed/);
    const lens: (number | undefined)[] = [];
    for (const f of captureFromBuffer(bytes, 'r.pcapng')) lens.push(f.comment?.length);
    expect(lens).toEqual([0xffff]);
  });

  it('times past 2^34 s and fractions take the exact (BigInt) path', () => {
    // units of 10^-6 s: 2^40 s + 0.999999999 s -> 1099511627776999999 units, read back rounded
    // down to the microsecond (if_tsresol 6)
    const w = new PcapngWriter();
    const i = w.addInterface({ name: 'eth0', linktype: 1, tsresol: 6 });
    w.writePacket({ iface: i, tsSec: 2 ** 40, tsNsec: 999_999_999, data: d1 });
    w.writePacket({ iface: i, tsSec: 2 ** 34, tsNsec: 1_000, data: d1 });
    const got: number[][] = [];
    for (const f of captureFromBuffer(w.close(), 't.pcapng')) got.push([f.tsSec, f.tsNsec]); // frames are reused: copy the fields
    expect(got).toEqual([[2 ** 40, 999_999_000], [2 ** 34, 1_000]]);
  });

  it('writes more than its 1 MiB buffer: every packet, in order, in memory and to a file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cap-w-'));
    const file = path.join(dir, 'big.pcapng');
    const big = new Uint8Array(70_000).map((_, k) => k & 0xff);
    for (const w of [new PcapngWriter(), new PcapngWriter(file)]) {
      const i = w.addInterface({ name: 'eth0', linktype: 1 });
      // 40 x 70 kB = 2.8 MB: two flushes, each when the next packet no longer fits
      for (let k = 0; k < 40; k++) w.writePacket({ iface: i, tsSec: k, tsNsec: 0, data: big.subarray(k) });
      w.writePacket({ iface: i, tsSec: 99, tsNsec: 0, data: new Uint8Array(250_000) });
      const mem = w.close();
      const r = w.path ? openCapture(file) : captureFromBuffer(mem, 'big.pcapng');
      const got: number[][] = [];
      for (const f of r) got.push([f.tsSec, f.caplen, f.data[0]!, f.data[f.caplen - 1]!]); // frames are reused: copy the fields
      expect(got).toEqual([...Array.from({ length: 40 }, (_, k) => [k, 70_000 - k, k & 0xff, 69_999 & 0xff]), [99, 250_000, 0, 0]]);
    }
    fs.rmSync(dir, { recursive: true });
  });

  it('writes to a file path the same bytes as to memory', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cap-w-'));
    const file = path.join(dir, 'out.pcapng');
    const a = new PcapngWriter(file);
    sample(a);
    a.close();
    const b = new PcapngWriter();
    sample(b);
    expect(new Uint8Array(fs.readFileSync(file))).toEqual(new Uint8Array(b.close()));
    const r = openCapture(file);
    let n = 0;
    for (const _ of r) n++;
    expect(n).toBe(5);
    fs.rmSync(dir, { recursive: true });
  });

  it.runIf(hasTshark())('reads back identically in tshark (interface name, direction, comment, ts, lengths)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cap-w-'));
    const file = path.join(dir, 'out.pcapng');
    const w = new PcapngWriter(file);
    sample(w);
    w.close();
    const outp = tsharkRun(file, ['-n', '-r', file, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.interface_name', '-e', 'frame.packet_flags_direction', '-e', 'frame.comment', '-e', 'frame.time_epoch', '-e', 'frame.cap_len', '-e', 'frame.len', '-e', 'frame.interface_id']);
    const rows = outp.trim().split('\n').map((l) => l.split('|'));
    // independent expectation written from the sample() table above
    expect(rows).toEqual([
      ['eth0', '0x00000001', '', '1700000000.123456789', '60', '60', '0'],
      ['tun0', '0x00000002', 'dropped: NETFILTER_DROP', '1700000001.999999000', '41', '1400', '1'],
      ['eth0', '', 'past 2106 ünïcode', '4294967301.000000001', '1', '1', '0'],
      ['any', '0x00000001', '', '1.500000000', '20', '20', '2'],
      ['eth0', '', '', '0.000000000', '0', '0', '0'],
    ]);
    fs.rmSync(dir, { recursive: true });
  });
  if (!hasTshark()) console.log('pcapng writer: tshark not installed, tshark read-back test skipped');
});

// fastOwner (jobs-hash.ts) reads a frame's worker straight from its Ethernet and IP headers so an
// inspect --jobs worker need not decode the frames other workers hold; it must give what
// flowOwner gives from the full decode (decode.ts), or a conversation could be split between
// workers. Checked on every frame of the public corpus, the bundled captures and the kernel
// fixtures, for 2, 3 and 4 workers, and on hand-made edge frames (truncated, VLAN-stacked, bad
// version, short header length).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/reader.js';
import { Decoded, decodeFrame, LT_EN10MB } from '../../src/packet/decode.js';
import { fastOwner, flowOwner } from '../../src/cli/jobs-hash.js';
import { CORPUS } from '../corpus-path.js';

const ROOT = path.resolve(__dirname, '../..');

function files(): string[] {
  const out: string[] = [];
  for (const f of fs.readdirSync(path.join(ROOT, 'captures'))) if (/\.pcap(ng)?$/.test(f)) out.push(path.join(ROOT, 'captures', f));
  for (const d of fs.readdirSync(path.join(ROOT, 'fixtures/kernel'))) {
    const f = path.join(ROOT, 'fixtures/kernel', d, 'frames.pcapng');
    if (fs.existsSync(f)) out.push(f);
  }
  const m = path.join(CORPUS, 'manifest.jsonl');
  if (fs.existsSync(m)) {
    for (const l of fs.readFileSync(m, 'utf8').trim().split('\n')) {
      const e = JSON.parse(l) as { path?: string; file?: string };
      const f = path.join(CORPUS, (e.path ?? e.file)!);
      if (fs.existsSync(f)) out.push(f);
    }
  }
  return out;
}

/** [frames compared, of them read fast] over one capture; a damaged file counts up to its error */
function compare(file: string, d: Decoded, bad: string[]): [number, number] {
  let n = 0, fast = 0;
  let r;
  try {
    r = openCapture(file);
    for (let f = r.next(); f !== null; f = r.next()) {
      decodeFrame(f.data, f.caplen, f.iface.linktype, d, f.len, false);
      for (const k of [2, 3, 4]) {
        const o = fastOwner(f.buf, f.offset, f.caplen, f.iface.linktype, k);
        if (o < 0) continue;
        if (k === 2) fast++;
        if (o !== flowOwner(d, k)) bad.push(`${file} frame ${f.index} n=${k}: fast ${o}, decoded ${flowOwner(d, k)}`);
      }
      n++;
    }
  } catch {
    // the capture's own error: the frames before it were compared
  } finally {
    r?.close();
  }
  return [n, fast];
}

describe('fastOwner gives flowOwner of the decoded frame', () => {
  it('every frame of the corpus, bundled captures and kernel fixtures', () => {
    const d = new Decoded();
    const bad: string[] = [];
    let frames = 0, fast = 0;
    for (const f of files()) {
      const [n, k] = compare(f, d, bad);
      frames += n;
      fast += k;
    }
    expect(bad.slice(0, 10)).toEqual([]);
    // most frames are Ethernet: the fast path is what is compared, not only the fallback
    expect(frames).toBeGreaterThan(5_000);
    expect(fast).toBeGreaterThan(frames / 2);
  }, 240_000);

  it('edge frames: truncated, stacked VLAN tags, bad version, short header length, other protocols', () => {
    const d = new Decoded();
    const eth = (type: number, rest: number[]): Uint8Array => new Uint8Array([...Array(12).fill(2), type >> 8, type & 255, ...rest]);
    const ip4 = (b0: number, tot: number, len: number): number[] => {
      const h = Array(len).fill(0).map((_, i) => (i * 37 + 11) & 255);
      h[0] = b0;
      h[2] = tot >> 8;
      h[3] = tot & 255;
      return h;
    };
    const ip6 = (b0: number, len: number): number[] => {
      const h = Array(len).fill(0).map((_, i) => (i * 53 + 7) & 255);
      h[0] = b0;
      return h;
    };
    const tag = (type: number): number[] => [0, 5, type >> 8, type & 255];
    const cases: Uint8Array[] = [
      eth(0x0800, ip4(0x45, 40, 40)), eth(0x0800, ip4(0x45, 0, 40)), eth(0x0800, ip4(0x45, 12, 40)),
      eth(0x0800, ip4(0x44, 40, 40)), eth(0x0800, ip4(0x65, 40, 40)), eth(0x0800, ip4(0x4f, 40, 40)),
      eth(0x0800, ip4(0x45, 40, 19)), eth(0x0800, ip4(0x45, 40, 16)), eth(0x0800, ip4(0x45, 40, 20)), eth(0x0800, []),
      eth(0x86dd, ip6(0x60, 40)), eth(0x86dd, ip6(0x60, 39)), eth(0x86dd, ip6(0x40, 60)), eth(0x86dd, ip6(0x60, 24)),
      eth(0x8100, [...tag(0x0800), ...ip4(0x45, 40, 40)]), eth(0x88a8, [...tag(0x8100), ...tag(0x86dd), ...ip6(0x60, 48)]),
      eth(0x8100, [...Array(8).fill(0).flatMap(() => tag(0x8100)), ...tag(0x0800), ...ip4(0x45, 40, 40)]),
      eth(0x8100, [...Array(7).fill(0).flatMap(() => tag(0x8100)), ...tag(0x0800), ...ip4(0x45, 40, 40)]),
      eth(0x8100, [0, 5]), eth(0x0806, Array(28).fill(1)), eth(0x0600, Array(30).fill(3)), eth(0x05dc, Array(30).fill(3)),
      new Uint8Array(13).fill(8),
    ];
    for (const c of cases) {
      decodeFrame(c, c.length, LT_EN10MB, d, c.length, false);
      for (const k of [2, 3, 4]) expect(fastOwner(c, 0, c.length, LT_EN10MB, k), Buffer.from(c).toString('hex')).toBe(flowOwner(d, k));
    }
    // not every case lands on worker 0 (the IP ones are really hashed)
    expect(cases.some((c) => [2, 3, 4].some((k) => fastOwner(c, 0, c.length, LT_EN10MB, k) > 0))).toBe(true);
  });
});

// ICMP and ICMPv6 message types tcpdump names (print-icmp.c icmp2str and its router
// advertisement / time stamp / address mask texts, print-icmp6.c icmp6_type_values) checked
// against tcpdump itself on a capture built here (raw IP frames, one per type): tcpdump is the
// reference for the text, the frames only need to be well formed.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pcap } from '../capture/build.js';
import { openCapture } from '../../src/capture/reader.js';
import { Decoded, decodeFrame } from '../../src/packet/decode.js';
import { summarize } from '../../src/packet/summary.js';

const haveTcpdump = (() => { try { execFileSync('tcpdump', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; } })();
if (!haveTcpdump) console.warn('ICMP type names vs tcpdump skipped: tcpdump not installed');

function v4(icmp: number[]): Uint8Array {
  const len = 20 + icmp.length;
  return Uint8Array.from([0x45, 0, len >> 8, len & 255, 0, 1, 0, 0, 64, 1, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2, ...icmp]);
}
function v6(icmp: number[]): Uint8Array {
  const a = (x: number): number[] => [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), x];
  return Uint8Array.from([0x60, 0, 0, 0, icmp.length >> 8, icmp.length & 255, 58, 255, ...a(1), ...a(2), ...icmp]);
}
const be32 = (v: number): number[] => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];

const FRAMES: Uint8Array[] = [
  v4([13, 0, 0, 0, 0, 7, 0, 1, ...be32(1000), 0, 0, 0, 0, 0, 0, 0, 0]),
  v4([14, 0, 0, 0, 0, 7, 0, 1, ...be32(45296789), ...be32(45296790), ...be32(86399999)]),
  v4([17, 0, 0, 0, 0, 9, 0, 2, 0, 0, 0, 0]),
  v4([18, 0, 0, 0, 0, 9, 0, 2, 255, 255, 255, 0]),
  v4([9, 0, 0, 0, 2, 2, 0, 45, 192, 0, 2, 1, ...be32(10), 192, 0, 2, 9, ...be32(0xffffffff)]),
  v4([9, 0, 0, 0, 1, 2, 0x07, 0x08, 192, 0, 2, 1, ...be32(0)]),
  v4([9, 0, 0, 0, 1, 2, 0x1c, 0x20, 192, 0, 2, 1, ...be32(0)]),
  v4([9, 0, 0, 0, 1, 3, 0, 30, 192, 0, 2, 1, ...be32(0), 0, 0, 0, 0]),
  v4([10, 0, 0, 0, 0, 0, 0, 0]),
  v4([15, 0, 0, 0, 0, 3, 0, 4]),
  v4([16, 0, 0, 0, 0, 3, 0, 4]),
  v4([42, 0, 0, 0, 0, 0, 0, 0]),
  v6([141, 0, 0, 0, 0, 0, 0, 0]),
  v6([142, 0, 0, 0, 0, 0, 0, 0]),
  v6([144, 0, 0, 0, 0x12, 0x34, 0, 0]),
  v6([145, 0, 0, 0, 0x12, 0x34, 0, 0]),
  v6([146, 0, 0, 0, 0xab, 0xcd, 0, 0]),
  v6([147, 0, 0, 0, 0xab, 0xcd, 0xc0, 0]),
  v6([200, 0, 0, 0, 0, 0, 0, 0]),
  v6([250, 0, 0, 0, 0, 0, 0, 0]),
  v6([4, 3, 0, 0, ...be32(48), ...new Array<number>(40).fill(0)]),
];

describe.skipIf(!haveTcpdump)('ICMP/ICMPv6 type names vs tcpdump -nn', () => {
  it('prints every type as tcpdump does', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pktlife-icmp-')), 'icmp-types.pcap');
    fs.writeFileSync(file, pcap({ linktype: 101, recs: FRAMES.map((data, i) => ({ sec: 1000 + i, sub: 0, data })) }));
    const ref = execFileSync('tcpdump', ['-nn', '-r', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, TZ: 'UTC' } })
      .split('\n').filter((l) => /^\d\d:/.test(l)).map((l) => l.replace(/^\S+ /, ''));
    const r = openCapture(file);
    const d = new Decoded();
    const ours: string[] = [];
    try { for (let f = r.next(); f; f = r.next()) { decodeFrame(f.data, f.caplen, f.iface.linktype, d, f.len); ours.push(summarize(d)); } } finally { r.close(); }
    expect(ref).toHaveLength(FRAMES.length);
    expect(ours).toEqual(ref);
  });
});

// Relative TCP sequence numbers over many conversations, against real `tcpdump -nn -r`
// (skipped with a message when tcpdump is absent). The capture is generated here: thousands of
// IPv4 and IPv6 conversations interleaved (the table grows many times), conversations seen first
// mid-stream (first segment an ACK), SYN without ACK (not recorded by tcpdump), a 4-tuple reused
// with a new SYN-ACK (tcpdump rewrites its entry), equal ports ordered by address, the same
// addresses and ports in IPv4 and IPv6, sequence numbers wrapping past 2^32, SACK blocks (tcpdump
// prints them relative too) and conversations seen again long after (tcpdump never forgets).
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openCapture } from '../../src/capture/reader.js';
import { Decoded, decodeFrame } from '../../src/packet/decode.js';
import { summarize, SummaryState } from '../../src/packet/summary.js';

const haveTcpdump = (() => { try { execFileSync('tcpdump', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; } })();
if (!haveTcpdump) console.warn('summary-conns: comparison with tcpdump skipped: tcpdump not installed');

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Conv { v6: boolean; a: number[]; b: number[]; pa: number; pb: number; sa: number; sb: number }

/** one Ethernet frame: TCP over IPv4 or IPv6, optional SACK block, `pay` bytes of payload */
function frame(c: Conv, fromA: boolean, flags: number, sack: [number, number] | null, pay: number): Buffer {
  const opt = sack ? 12 : 0;
  const thl = 20 + opt;
  const ipl = c.v6 ? 40 : 20;
  const buf = Buffer.alloc(14 + ipl + thl + pay);
  buf.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2], 0);
  buf.writeUInt16BE(c.v6 ? 0x86dd : 0x0800, 12);
  const src = fromA ? c.a : c.b, dst = fromA ? c.b : c.a;
  if (c.v6) {
    buf.writeUInt32BE(0x60000000, 14);
    buf.writeUInt16BE(thl + pay, 18);
    buf[20] = 6; buf[21] = 64;
    buf.set(src, 22); buf.set(dst, 38);
  } else {
    buf[14] = 0x45;
    buf.writeUInt16BE(20 + thl + pay, 16);
    buf[22] = 64; buf[23] = 6;
    buf.set(src, 26); buf.set(dst, 30);
  }
  const t = 14 + ipl;
  buf.writeUInt16BE(fromA ? c.pa : c.pb, t);
  buf.writeUInt16BE(fromA ? c.pb : c.pa, t + 2);
  buf.writeUInt32BE((fromA ? c.sa : c.sb) >>> 0, t + 4);
  buf.writeUInt32BE((fromA ? c.sb : c.sa) >>> 0, t + 8);
  buf[t + 12] = (thl / 4) << 4;
  buf[t + 13] = flags;
  buf.writeUInt16BE(501, t + 14);
  if (sack) {
    buf.set([1, 1, 5, 10], t + 20);
    buf.writeUInt32BE(sack[0] >>> 0, t + 24);
    buf.writeUInt32BE(sack[1] >>> 0, t + 28);
  }
  return buf;
}

function generate(file: string): number {
  const rnd = prng(7);
  const int = (n: number) => Math.floor(rnd() * n);
  const convs: Conv[] = [];
  for (let i = 0; i < 4000; i++) {
    const v6 = i % 4 === 3;
    const host = (x: number): number[] => v6 ? [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (x >> 8) & 255, x & 255] : [10, (x >> 8) & 255, x & 255, 1];
    // few hosts and ports (none an application tcpdump dissects), so conversations share addresses, ports, and hash chains
    const a = host(int(40)), b = host(int(40) + 100);
    const equal = i % 10 === 0;
    const pa = equal ? 30000 : 20000 + int(30), pb = equal ? 30000 : [40000, 41000, 62000, 65535][int(4)];
    convs.push({ v6, a, b, pa, pb, sa: int(2 ** 32), sb: 0xffffff00 + int(256) });
  }
  // the same addresses and ports in both families (separate tables in tcpdump)
  convs.push({ ...convs[0], v6: true, a: [0x20, 0x01, 0x0d, 0xb8, ...Array(12).fill(0)], b: [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1] });
  const frames: Buffer[] = [];
  const started = new Set<number>();
  for (let k = 0; k < 16000; k++) {
    const i = k < convs.length ? k : int(convs.length);
    const c = convs[i];
    if (!started.has(i)) {
      started.add(i);
      // most open with SYN, SYN-ACK; some are first seen mid-stream
      if (int(4) !== 0) {
        frames.push(frame(c, true, 0x02, null, 0));
        c.sa = (c.sa + 1) >>> 0;
        frames.push(frame(c, false, 0x12, null, 0));
        c.sb = (c.sb + 1) >>> 0;
      }
      continue;
    }
    const r = int(20);
    const fromA = int(2) === 0;
    if (r === 0) {
      // the 4-tuple reused: a new SYN (no ACK: not recorded) and SYN-ACK (rewrites the entry)
      c.sa = int(2 ** 32);
      c.sb = int(2 ** 32);
      frames.push(frame(c, true, 0x02, null, 0));
      c.sa = (c.sa + 1) >>> 0;
      frames.push(frame(c, false, 0x12, null, 0));
      c.sb = (c.sb + 1) >>> 0;
    } else if (r === 1) {
      // SACK for data of the other side
      const base = fromA ? c.sb : c.sa;
      frames.push(frame(c, fromA, 0x10, [(base + 1000) >>> 0, (base + 2448) >>> 0], 0));
    } else {
      const pay = int(3) === 0 ? 0 : 1 + int(100);
      frames.push(frame(c, fromA, pay ? 0x18 : 0x10, null, pay));
      if (fromA) c.sa = (c.sa + pay) >>> 0; else c.sb = (c.sb + pay) >>> 0;
    }
  }
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0); hdr.writeUInt16LE(2, 4); hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(65535, 16); hdr.writeUInt32LE(1, 20);
  const parts: Buffer[] = [hdr];
  frames.forEach((f, n) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1700000000 + n, 0);
    h.writeUInt32LE(f.length, 8);
    h.writeUInt32LE(f.length, 12);
    parts.push(h, f);
  });
  fs.writeFileSync(file, Buffer.concat(parts));
  return frames.length;
}

describe.skipIf(!haveTcpdump)('relative TCP sequence numbers over many conversations', () => {
  it('agrees with tcpdump -nn on every line (and with -S on absolute numbers)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pktlife-conns-'));
    try {
      const file = path.join(dir, 'conns.pcap');
      const n = generate(file);
      for (const absoluteSeq of [false, true]) {
        const ref = execFileSync('tcpdump', ['-nn', ...(absoluteSeq ? ['-S'] : []), '-r', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 })
          .split('\n').filter(Boolean).map((l) => l.replace(/^\S+ /, ''));
        const r = openCapture(file);
        const d = new Decoded();
        const st = new SummaryState();
        const mine: string[] = [];
        for (let f = r.next(); f; f = r.next()) {
          decodeFrame(f.data, f.caplen, f.iface.linktype, d, f.len);
          mine.push(summarize(d, st, { absoluteSeq }));
        }
        r.close();
        expect(ref.length).toBe(n);
        const differ = mine.map((l, i) => [i + 1, l, ref[i]] as const).filter(([, a, b]) => a !== b);
        expect(differ.slice(0, 5)).toEqual([]);
        if (!absoluteSeq) {
          // the table holds every conversation (IPv4 and IPv6 apart), as tcpdump's does
          expect(st.tcp.conversations).toBeGreaterThan(3000);
          expect(ref.some((l) => / ack 1, /.test(l)) && ref.some((l) => /sack 1 \{1000:2448\}/.test(l))).toBe(true);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

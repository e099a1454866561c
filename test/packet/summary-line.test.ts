// The byte-built common lines (src/packet/summary-line.ts) are the general code's lines, byte for
// byte: every frame of the project's captures, the kernel fixtures, the recorded summary mix and
// (when present) a sample of the corpus, and 8 random mutations of each (damaged headers, cut
// captures, wrong lengths), summarised both ways with relative and absolute sequence numbers.
// Each way keeps its own TCP conversation table, so the tables are compared too.
import { describe, it, expect } from 'vitest';
import { Decoded, decodeFrame } from '../../src/packet/decode.js';
import { summarize, SummaryState } from '../../src/packet/summary.js';
import { frameSamples, rng } from './mutate.js';

describe('byte-built summary lines', () => {
  it('are the general code\'s lines on real and damaged frames', () => {
    const samples = frameSamples(20);
    const rand = rng(20261123);
    const d = new Decoded();
    const fast = new SummaryState(), slow = new SummaryState();
    let n = 0, tcp = 0, udp = 0;
    const differ: string[] = [];
    for (const s of samples) {
      for (let k = 0; k < 9; k++) {
        const b = s.data.slice();
        let caplen = b.length;
        if (k > 0) {
          const flips = 1 + Math.floor(rand() * 4);
          for (let i = 0; i < flips && b.length; i++) b[Math.floor(rand() * Math.min(b.length, 80))] = Math.floor(rand() * 256);
          if (k % 3 === 0) caplen = Math.floor(rand() * (b.length + 1));
        }
        decodeFrame(b, caplen, s.lt, d, caplen + (k % 4 === 3 ? 1000 : 0), false);
        for (const absoluteSeq of [false, true]) {
          const a = summarize(d, fast, { absoluteSeq });
          const g = summarize(d, slow, { absoluteSeq, general: true });
          if (a !== g) differ.push(`${a}\n  general: ${g}`);
          n++;
          if (k === 0 && !absoluteSeq) { if (/: Flags \[/.test(a)) tcp++; if (/: UDP, length/.test(a)) udp++; }
        }
      }
    }
    expect(differ.slice(0, 5)).toEqual([]);
    // the fast path really ran on both kinds of line
    expect(tcp).toBeGreaterThan(50);
    expect(udp).toBeGreaterThan(20);
    expect(n).toBeGreaterThan(1000);
    expect(fast.tcp.conversations).toBe(slow.tcp.conversations);
  });
});

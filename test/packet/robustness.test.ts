// Damaged input is data: random mutations and truncations of real frames never make
// decodeFrame or summarize throw, and every offset stays inside the captured bytes.
// (A longer run of the same property belongs in the fuzz config; this one stays quick.)
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCapture, CaptureError } from '../../src/capture/reader.js';
import { Decoded, decodeFrame } from '../../src/packet/decode.js';
import { summarize, SummaryState } from '../../src/packet/summary.js';
import { CORPUS, manifest } from './corpus-compare.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
}

function frameSamples(): { data: Uint8Array; lt: number }[] {
  const out: { data: Uint8Array; lt: number }[] = [];
  const files = [path.join(__dirname, 'fixtures/summary-mix.pcap')];
  if (fs.existsSync(CORPUS)) for (const m of manifest()) if (m.expect === 'read' || m.expect === 'partial') files.push(path.join(CORPUS, m.file));
  for (const f of files) {
    let r;
    try { r = openCapture(f); } catch (e) { if (e instanceof CaptureError) continue; throw e; }
    let n = 0;
    try { for (let fr = r.next(); fr && n < 20; fr = r.next(), n++) out.push({ data: fr.data.slice(0, fr.caplen), lt: fr.iface.linktype }); } catch (e) { if (!(e instanceof CaptureError)) throw e; }
    r.close();
  }
  return out;
}

describe('decoder robustness', () => {
  it('survives random byte mutations and truncations of real frames', () => {
    const samples = frameSamples();
    expect(samples.length).toBeGreaterThan(500);
    const rand = rng(Number(process.env.PKTLIFE_SEED ?? 20261123));
    const d = new Decoded();
    const st = new SummaryState();
    const lts = [1, 113, 276, 101, 228, 229, 0, 108, 12, 14];
    let runs = 0;
    for (const s of samples) {
      for (let k = 0; k < 6; k++) {
        const b = s.data.slice();
        const flips = 1 + Math.floor(rand() * 6);
        // mutate mostly the headers, where the decoder branches
        for (let i = 0; i < flips && b.length; i++) b[Math.floor(rand() * Math.min(b.length, 80))] = Math.floor(rand() * 256);
        const caplen = k % 2 ? Math.floor(rand() * (b.length + 1)) : b.length;
        const lt = k === 5 ? lts[Math.floor(rand() * lts.length)] : s.lt;
        decodeFrame(b, caplen, lt, d, caplen + (k === 3 ? 1000 : 0));
        for (const off of [d.mac_header, d.network_header, d.transport_header]) expect(off).toBeLessThanOrEqual(caplen);
        expect(d.l3End).toBeLessThanOrEqual(caplen);
        expect(typeof summarize(d, st, { link: (k & 1) === 0 })).toBe('string');
        runs++;
      }
    }
    expect(runs).toBeGreaterThan(3000);
  });

  it('gives an empty or zero-length frame a problem, not a crash', () => {
    const d = new Decoded();
    for (const lt of [1, 113, 276, 101, 228, 229, 0, 108, 999]) {
      decodeFrame(new Uint8Array(0), 0, lt, d);
      expect(d.flags).not.toBe(0);
      expect(summarize(d).length).toBeGreaterThan(0);
    }
  });
});

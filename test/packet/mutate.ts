// Mutation property shared by test/packet/robustness.test.ts (short) and
// test/fuzz/packet-decode.fuzz.test.ts (long): damaged frames never make decodeFrame or
// summarize throw, and every offset stays inside the captured bytes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCapture, CaptureError } from '../../src/capture/reader.js';
import { Decoded, decodeFrame, verifyChecksums } from '../../src/packet/decode.js';
import { summarize, SummaryState } from '../../src/packet/summary.js';
import { CORPUS, manifest } from './corpus-compare.js';

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
}

export interface Sample { data: Uint8Array; lt: number }

/** up to `perFile` frames of the recorded capture and of every readable corpus file */
export function frameSamples(perFile = 20): Sample[] {
  const out: Sample[] = [];
  const files = [path.join(__dirname, 'fixtures/summary-mix.pcap')];
  // the project's own real captures and the kernel fixtures' frames, so the test stands without the corpus
  const root = path.resolve(__dirname, '../..');
  for (const n of fs.readdirSync(path.join(root, 'captures'))) if (/\.pcap(ng)?$/.test(n)) files.push(path.join(root, 'captures', n));
  const kf = path.join(root, 'fixtures/kernel');
  if (fs.existsSync(kf)) for (const n of fs.readdirSync(kf).sort()) if (fs.existsSync(path.join(kf, n, 'frames.pcapng'))) files.push(path.join(kf, n, 'frames.pcapng'));
  const own = files.length;
  if (fs.existsSync(CORPUS)) for (const m of manifest()) if (m.expect === 'read' || m.expect === 'partial') files.push(path.join(CORPUS, m.file));
  for (const [i, f] of files.entries()) {
    const cap = i < own ? Infinity : perFile; // every frame of our own captures, a sample of each corpus file
    let r;
    try { r = openCapture(f); } catch (e) { if (e instanceof CaptureError) continue; throw e; }
    let n = 0;
    try { for (let fr = r.next(); fr && n < cap; fr = r.next(), n++) out.push({ data: fr.data.slice(0, fr.caplen), lt: fr.iface.linktype }); } catch (e) { if (!(e instanceof CaptureError)) throw e; }
    r.close();
  }
  return out;
}

const LTS = [1, 113, 276, 101, 228, 229, 0, 108, 12, 14];

/** `rounds` mutations of every sample; returns the number of decodes; throws on a violation */
export function mutateAll(samples: Sample[], seed: number, rounds: number): number {
  const rand = rng(seed);
  const d = new Decoded();
  const st = new SummaryState();
  let runs = 0;
  for (const s of samples) {
    for (let k = 0; k < rounds; k++) {
      const b = s.data.slice();
      const flips = 1 + Math.floor(rand() * 6);
      // mostly the headers, where the decoder branches
      for (let i = 0; i < flips && b.length; i++) b[Math.floor(rand() * Math.min(b.length, 80))] = Math.floor(rand() * 256);
      const caplen = k % 2 ? Math.floor(rand() * (b.length + 1)) : b.length;
      const lt = k % 6 === 5 ? LTS[Math.floor(rand() * LTS.length)] : s.lt;
      const verify = k % 3 !== 2;
      decodeFrame(b, caplen, lt, d, caplen + (k % 4 === 3 ? 1000 : 0), verify);
      if (!verify) verifyChecksums(d);
      for (const off of [d.mac_header, d.network_header, d.transport_header, d.payload]) {
        if (off > caplen) throw new Error(`offset ${off} past caplen ${caplen} (seed ${seed}, linktype ${lt})`);
      }
      if (d.l3End > caplen) throw new Error(`l3End ${d.l3End} past caplen ${caplen} (seed ${seed})`);
      if (typeof summarize(d, st, { link: (k & 1) === 0 }) !== 'string') throw new Error('summary is not a string');
      runs++;
    }
  }
  return runs;
}

// Capture-layer benchmark: read-only and read+decode throughput on one core over a generated
// pcap (>= 1 M frames, >= 500 MB), with tcpdump and tshark timed on the same file as peers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCapture } from '../capture/reader.js';
import { PcapngWriter } from '../capture/pcapng-writer.js';
import { generateBenchPcap } from './gen-capture.js';
import type { BenchCtx } from './run.js';
import { measure, peerLines, rateLine, timePeers, type Measured, type Target } from './report.js';

const FRAMES = Number(process.env.PKTLIFE_BENCH_FRAMES ?? 1_100_000);
const GEN_VERSION = 2;

function readOnly(file: string): { frames: number; bytes: number } {
  const r = openCapture(file);
  let frames = 0;
  let bytes = 0;
  for (let f = r.next(); f; f = r.next()) {
    frames++;
    bytes += f.buf[f.offset + f.caplen - 1]! + f.caplen; // touch the bytes (zero-copy: no view made) so nothing is optimised away
  }
  r.close();
  return { frames, bytes };
}

/** Same, but through the f.data view (one small allocation per frame) as most consumers read it. */
function readView(file: string): number {
  const r = openCapture(file);
  let frames = 0;
  let bytes = 0;
  for (let f = r.next(); f; f = r.next()) {
    frames++;
    const d = f.data;
    bytes += d[d.length - 1]! + d.length;
  }
  r.close();
  return frames + (bytes < 0 ? 1 : 0);
}

function toPcapng(pcap: string, out: string): number {
  const r = openCapture(pcap);
  const w = new PcapngWriter(out);
  const id = w.addInterface({ name: 'eth0', linktype: r.interfaces[0]!.linktype });
  let n = 0;
  for (let f = r.next(); f; f = r.next()) {
    w.writePacket({ iface: id, tsSec: f.tsSec, tsNsec: f.tsNsec, data: f.data, len: f.len, direction: 1 + (n & 1) });
    n++;
  }
  w.close();
  r.close();
  return n;
}

type DecodeFn = (data: Uint8Array, caplen: number, linktype: number, out: unknown, wireLen?: number, verify?: boolean) => void;

async function loadDecoder(): Promise<{ decode: DecodeFn; make: () => unknown } | null> {
  const spec = '../packet/decode.js'; // resolved at run time: the decoder is another area's module
  try {
    const m = (await import(spec)) as { decodeFrame?: DecodeFn; Decoded?: new () => unknown };
    if (typeof m.decodeFrame !== 'function' || typeof m.Decoded !== 'function') return null;
    const D = m.Decoded;
    return { decode: m.decodeFrame, make: () => new D() };
  } catch {
    return null;
  }
}

/** read + decodeFrame: headers only (verify = false) or with the IP/L4 checksums summed */
function readDecode(file: string, dec: { decode: DecodeFn; make: () => unknown }, verify: boolean): number {
  const out = dec.make();
  const r = openCapture(file);
  let frames = 0;
  for (let f = r.next(); f; f = r.next()) {
    dec.decode(f.data, f.caplen, f.iface.linktype, out, f.len, verify);
    frames++;
  }
  r.close();
  return frames;
}

const ISSUE2 = 'issue 2, one core';

export async function run(ctx: BenchCtx): Promise<void> {
  const file = path.join(ctx.outDir, `capture-${FRAMES}-v${GEN_VERSION}.pcap`);
  if (!fs.existsSync(file)) {
    ctx.log(`generating ${file} (${FRAMES} frames)...`);
    const t0 = Date.now();
    generateBenchPcap(file, FRAMES);
    ctx.log(`  generated in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const size = fs.statSync(file).size;
  const MB = size / 1e6;
  const mbs = (m: Measured) => `${(MB / m.cpu).toFixed(0)} MB/s`;
  readOnly(file); // warm the page cache and the JIT
  const rows: [Measured, Target | undefined][] = [];
  const ro = measure('read only', 3, () => readOnly(file).frames);
  ro.note = mbs(ro);
  rows.push([ro, { minRate: 5e6, minTcpdumpRatio: 10, source: ISSUE2 }]);
  const rv = measure('read, f.data view', 3, () => readView(file));
  rv.note = mbs(rv);
  rows.push([rv, { minRate: 5e6, source: ISSUE2 + ' (read)' }]);
  const dec = await loadDecoder();
  if (dec) {
    for (const verify of [false, true]) {
      readDecode(file, dec, verify);
      const m = measure(verify ? 'read + decode, checksums verified' : 'read + decode, headers only', 3, () => readDecode(file, dec, verify));
      m.note = mbs(m);
      rows.push([m, { minRate: 3e6, minTcpdumpRatio: 10, source: ISSUE2 + ' (read+decode)' }]);
    }
  }
  ctx.log(`file: ${file}: ${ro.frames} frames, ${MB.toFixed(1)} MB (node ${process.version}, one thread; best of 3; ratios = peer CPU / pktlife CPU)`);
  const peers = timePeers(file, ctx.log);
  for (const l of peerLines(peers, ro.frames)) ctx.log(l);
  for (const [m, t] of rows) ctx.log(rateLine(m, peers, t));
  if (!dec) ctx.log('  read + decode    decoder not available (src/packet/decode.ts exporting decodeFrame, Decoded)');

  // The same frames as pcapng (EPB, ns timestamps, epb_flags): writer speed, then reader speed.
  const ng = file.replace(/\.pcap$/, '.pcapng');
  const wr = measure('write pcapng', 1, () => toPcapng(file, ng));
  const ngMB = fs.statSync(ng).size / 1e6;
  readOnly(ng);
  const rng = measure('read pcapng', 3, () => readOnly(ng).frames);
  for (const m of [wr, rng]) {
    m.note = `${(ngMB / m.cpu).toFixed(0)} MB/s`;
    ctx.log(rateLine(m, [], m === rng ? { minRate: 5e6, source: ISSUE2 + ' (read)' } : undefined));
  }
  fs.rmSync(ng);
}

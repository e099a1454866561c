// Conformance of the capture reader with tshark over the public corpus (../shared/corpus).
// For each manifest line: expect read / partial / error / read_unsupported_linktype as the
// corpus README defines them; per-frame caplen, len, timestamp (9 decimals), section,
// interface id, packet flags and comments against ref/*.tsv; interfaces against the manifest.
import { afterAll, describe, expect, it } from 'vitest';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { openCapture, openFedCapture, CaptureError, CAPTURE_WAIT, type CaptureReader, type ChunkFeed } from '../../src/capture/reader.js';
import type { CaptureInterface } from '../../src/capture/types.js';
import type { CaptureSection } from '../../src/capture/reader.js';
import { CORPUS, corpusPresent, fmtTs, loadManifest, loadRef, type ManifestEntry } from './corpus-util.js';
import { KNOWN_DISAGREEMENTS } from './known-disagreements.js';

interface Rec {
  caplen: number;
  len: number;
  ts: string;
  section: number;
  id: number;
  flags: number;
  comment: string | null;
}

interface Outcome {
  frames: Rec[];
  ifaces: CaptureInterface[];
  sections: CaptureSection[];
  error: unknown;
}

function readAll(file: string, maxFrames: number): Outcome {
  return collect(() => openCapture(file), maxFrames);
}

/** The reader's outcome (frames, interfaces, sections, error), reading with `next` (default r.next()). */
function collect(open: () => CaptureReader, maxFrames: number, next = (r: CaptureReader) => r.next()): Outcome {
  const frames: Rec[] = [];
  let ifaces: CaptureInterface[] = [];
  let sections: CaptureSection[] = [];
  let error: unknown = null;
  try {
    const r = open();
    ifaces = r.interfaces;
    sections = r.sections;
    try {
      for (let f = next(r); f; f = next(r)) {
        frames.push({
          caplen: f.caplen,
          len: f.len,
          ts: f.hasTs ? fmtTs(f.tsSec, f.tsNsec) : '',
          section: f.iface.section,
          id: f.iface.id,
          flags: f.flags,
          comment: f.comment,
        });
        if (f.data.length !== f.caplen) throw new Error(`data length ${f.data.length} != caplen ${f.caplen}`);
        if (frames.length > maxFrames) throw new Error(`runaway: more than ${maxFrames} frames`);
      }
    } finally {
      r.close();
    }
  } catch (e) {
    error = e;
  }
  return { frames, ifaces, sections, error };
}

const summary = {
  read: 0,
  readUnsupported: 0,
  partial: 0,
  rejected: 0,
  rejectedAlt: [] as string[],
  framesCompared: 0,
  agreements: 0,
  known: [] as string[],
};

/** Returns the list of failed check names (with details) for one file. */
/** pcapfacts' exact decimal (e.g. "84.999999", "0.99999...98") as 9 decimals, rounded down. */
function structTs(x: string): string {
  const [i, f = ''] = x.split('.');
  return `${i}.${(f + '000000000').slice(0, 9)}`;
}

/** Timestamps against the on-disk view (pcapfacts, exact arithmetic, an independent reader). */
function checkStructTs(m: ManifestEntry, out: Outcome, diff: (c: string, d: string) => void): void {
  const withTs = out.frames.filter((f) => f.ts !== '');
  if (m.struct.first_ts && withTs[0]?.ts !== structTs(m.struct.first_ts)) diff('struct-ts', `first ${withTs[0]?.ts} vs ${m.struct.first_ts}`);
  if (m.struct.last_ts && withTs.at(-1)?.ts !== structTs(m.struct.last_ts)) diff('struct-ts', `last ${withTs.at(-1)?.ts} vs ${m.struct.last_ts}`);
}

function checkFile(m: ManifestEntry, read: (file: string, maxFrames: number) => Outcome = readAll): { diffs: Map<string, string>; out: Outcome } {
  const diffs = new Map<string, string>();
  const diff = (check: string, detail: string) => {
    if (!diffs.has(check)) diffs.set(check, detail);
  };
  const file = path.join(CORPUS, m.file);
  const out = read(file, Math.max(m.struct.records, m.frames) + 16);
  const err = out.error;
  if (err !== null && !(err instanceof CaptureError)) {
    diff('crash', String((err as Error)?.stack ?? err));
    return { diffs, out };
  }
  if (err instanceof CaptureError) {
    if (!err.message.startsWith(`${file}: offset ${err.offset}: `) || err.problem.length < 8) diff('error-message', err.message);
  }

  if (m.expect === 'error') {
    if (err === null) diff('must-reject', `read ${out.frames.length} frames without error`);
    else summary.rejected++;
    return { diffs, out };
  }
  if (m.expect === 'partial') {
    if (out.frames.length > m.frames) diff('partial-frames', `${out.frames.length} > ${m.frames}`);
    if (err === null) diff('partial-error', 'no error after the good frames');
    else summary.partial++;
    return { diffs, out };
  }
  if (err !== null) {
    if (m.expect_alt === 'error') {
      summary.rejectedAlt.push((err as Error).message);
      return { diffs, out };
    }
    diff('unexpected-error', (err as Error).message);
    return { diffs, out };
  }

  // Section header options against the manifest (first section).
  const shb = (m as unknown as { shb?: Record<string, string> }).shb;
  if (shb) {
    const s0 = out.sections[0];
    const got = { hardware: s0?.hardware ?? null, os: s0?.os ?? null, application: s0?.application ?? null };
    const want = { hardware: shb.shb_hardware ?? null, os: shb.shb_os ?? null, application: shb.shb_userappl ?? null };
    if (JSON.stringify(got) !== JSON.stringify(want)) diff('shb', `${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
  }

  // Interfaces and link types against the manifest (header-level facts).
  const lts = [...new Set(out.ifaces.map((i) => i.linktype))].sort((a, b) => a - b);
  const mlts = [...m.linktypes].sort((a, b) => a - b);
  if (JSON.stringify(lts) !== JSON.stringify(mlts)) diff('linktypes', `${lts} vs ${mlts}`);
  if (out.ifaces.length !== m.interfaces.length) diff('interfaces', `${out.ifaces.length} vs ${m.interfaces.length}`);
  m.interfaces.forEach((mi, k) => {
    const i = out.ifaces[k];
    if (!i) return;
    const want = {
      section: mi.section ?? 1,
      id: mi.id ?? 0,
      name: mi.name ?? null,
      description: mi.description ?? null,
      linktype: mi.linktype,
      snaplen: mi.snaplen,
      tsresol: mi.tsresol,
      tsoffset: mi.tsoffset ?? 0,
    };
    const got = { section: i.section, id: i.id, name: i.name, description: i.description, linktype: i.linktype, snaplen: i.snaplen, tsresol: i.tsresol, tsoffset: i.tsoffset };
    if (JSON.stringify(got) !== JSON.stringify(want)) diff('interface-fields', `#${k} ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
    if (mi.fcslen !== undefined && i.fcslen !== mi.fcslen) diff('interface-fcslen', `#${k} ${i.fcslen} vs ${mi.fcslen}`);
  });

  if (m.expect === 'read_unsupported_linktype') {
    // tshark refuses these; the on-disk view (pcapfacts) is the reference.
    summary.readUnsupported++;
    checkStructTs(m, out, diff);
    if (out.frames.length !== m.struct.records) diff('struct-records', `${out.frames.length} vs ${m.struct.records}`);
    const cap = out.frames.reduce((a, f) => a + f.caplen, 0);
    const len = out.frames.reduce((a, f) => a + f.len, 0);
    if (cap !== m.struct.total_caplen) diff('struct-caplen', `${cap} vs ${m.struct.total_caplen}`);
    if (len !== m.struct.total_origlen) diff('struct-origlen', `${len} vs ${m.struct.total_origlen}`);
    return { diffs, out };
  }

  summary.read++;
  checkStructTs(m, out, diff);
  if (out.frames.length !== m.frames) diff('frames', `${out.frames.length} vs ${m.frames}`);
  const cap = out.frames.reduce((a, f) => a + f.caplen, 0);
  const len = out.frames.reduce((a, f) => a + f.len, 0);
  if (cap !== m.total_caplen) diff('total_caplen', `${cap} vs ${m.total_caplen}`);
  if (len !== m.total_origlen) diff('total_origlen', `${len} vs ${m.total_origlen}`);
  const withTs = out.frames.filter((f) => f.ts !== '');
  if (m.first_ts !== null && withTs[0]?.ts !== m.first_ts) diff('ts', `first ${withTs[0]?.ts} vs ${m.first_ts}`);
  if (m.last_ts !== null && withTs.at(-1)?.ts !== m.last_ts) diff('ts', `last ${withTs.at(-1)?.ts} vs ${m.last_ts}`);

  const rows = loadRef(m.ref);
  rows.forEach((row, k) => {
    const f = out.frames[k];
    if (!f) return;
    summary.framesCompared++;
    const n = k + 1;
    if (String(f.caplen) !== row['frame.cap_len']) diff('caplen', `frame ${n}: ${f.caplen} vs ${row['frame.cap_len']}`);
    if (String(f.len) !== row['frame.len']) diff('len', `frame ${n}: ${f.len} vs ${row['frame.len']}`);
    if (f.ts !== row['frame.time_epoch']) diff('ts', `frame ${n}: ${f.ts} vs ${row['frame.time_epoch']}`);
    if (m.format === 'pcapng') {
      if (String(f.id) !== row['frame.interface_id']) diff('interface_id', `frame ${n}: ${f.id} vs ${row['frame.interface_id']}`);
      if (String(f.section) !== row['frame.section_number']) diff('section', `frame ${n}: ${f.section} vs ${row['frame.section_number']}`);
    }
    const rf = row['frame.packet_flags'] ?? '';
    if (rf !== '' && f.flags !== parseInt(rf, 16)) diff('flags', `frame ${n}: ${f.flags} vs ${rf}`);
    const rc = row['frame.comment'] ?? '';
    const fc = f.comment === null ? '' : f.comment.split('\n').join(',');
    if (fc !== rc) diff('comment', `frame ${n}: ${JSON.stringify(fc)} vs ${JSON.stringify(rc)}`);
  });
  return { diffs, out };
}

/**
 * The same file arriving as a live stream does (`openFedCapture`: tcpdump -U -w - | pktlife, or a
 * capture still being written): fed in `size`-byte chunks, one more each time the reader says it
 * has not got enough yet (CAPTURE_WAIT), then the end of the stream.
 */
async function readFed(file: string, maxFrames: number, size: number): Promise<Outcome> {
  const bytes = fs.readFileSync(file);
  const feed: ChunkFeed = { chunks: [], ended: false };
  let at = 0;
  const more = () => {
    if (feed.ended) throw new Error('reader waits for more after the end of the stream');
    if (at < bytes.length) feed.chunks.push(bytes.subarray(at, (at += size)));
    else feed.ended = true;
  };
  let r: CaptureReader;
  try {
    r = await openFedCapture(feed, file, async () => more());
  } catch (e) {
    return { frames: [], ifaces: [], sections: [], error: e };
  }
  return collect(() => r, maxFrames, (rd) => {
    for (;;) {
      try {
        return rd.next();
      } catch (e) {
        if (e !== CAPTURE_WAIT) throw e;
        more();
      }
    }
  });
}

const manifest = corpusPresent ? loadManifest() : [];
if (!corpusPresent) console.log(`capture corpus tests SKIPPED: ${CORPUS} not found`);

describe.skipIf(!corpusPresent)('capture reader agrees with tshark over the public corpus', () => {
  const seenKnown = new Set<string>();
  for (const m of manifest) {
    it(`${m.expect}${m.expect_alt ? `|${m.expect_alt}` : ''}: ${m.file}`, () => {
      const { diffs } = checkFile(m);
      const known = KNOWN_DISAGREEMENTS[m.file];
      const unexplained: string[] = [];
      for (const [check, detail] of diffs) {
        if (known?.checks.includes(check)) {
          seenKnown.add(`${m.file}:${check}`);
          summary.known.push(`${m.file} [${check}] ${detail}`);
        } else {
          unexplained.push(`${check}: ${detail}`);
        }
      }
      if (diffs.size === 0) summary.agreements++;
      if (process.env.CAP_DEBUG) for (const [c, d] of diffs) console.log(`DIFF ${m.file} [${c}] ${d}`);
      expect(unexplained, m.file).toEqual([]);
      // A listed disagreement that no longer happens must be removed from the list.
      for (const c of known?.checks ?? []) expect(diffs.has(c), `${m.file}: known disagreement '${c}' no longer occurs`).toBe(true);
    });
  }

  // the streaming path (buffer compaction and growth, records split across chunks, waiting for the
  // rest of a block) must give the same answers; chunk sizes that split headers and records
  for (const [k, m] of manifest.entries()) {
    const size = [61, 7, 1500, 4096][k % 4]!;
    it(`fed in ${size}-byte chunks, ${m.expect}: ${m.file}`, async () => {
      const out = await readFed(path.join(CORPUS, m.file), Math.max(m.struct.records, m.frames) + 16, size);
      const saved = structuredClone(summary);
      const { diffs } = checkFile(m, () => out);
      Object.assign(summary, saved);
      const known = KNOWN_DISAGREEMENTS[m.file];
      const unexplained = [...diffs].filter(([c]) => !known?.checks.includes(c)).map(([c, d]) => `${c}: ${d}`);
      expect(unexplained, m.file).toEqual([]);
    });
  }

  afterAll(() => {
    const t = summary;
    console.log(
      [
        'capture corpus conformance (tshark 4.0.17 reference)',
        `  files                 ${manifest.length}`,
        `  read, agreeing        ${t.read}`,
        `  read (linktype tshark lacks), vs on-disk facts  ${t.readUnsupported}`,
        `  partial               ${t.partial}`,
        `  rejected (expected)   ${t.rejected}`,
        `  rejected (expect_alt error, like libpcap)  ${t.rejectedAlt.length}`,
        ...t.rejectedAlt.map((k) => `    - ${k}`),
        `  files in full agreement  ${t.agreements}`,
        `  frames compared with ref rows  ${t.framesCompared}`,
        `  known disagreements   ${t.known.length}`,
        ...t.known.map((k) => `    - ${k}`),
        '  reasons: test/capture/known-disagreements.ts',
      ].join('\n'),
    );
  });
});

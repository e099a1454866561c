// Runs tshark (when installed) for per-frame facts and raw bytes of a capture file.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';
import { openCapture } from '../../src/capture/reader.js';
import { fmtTs } from './corpus-util.js';

let present: boolean | null = null;
export function hasTshark(): boolean {
  if (present === null) {
    try {
      execFileSync('tshark', ['--version'], { stdio: 'ignore' });
      present = true;
    } catch {
      present = false;
      console.warn('tshark not found: the tests that compare with tshark are skipped');
    }
  }
  return present;
}

/**
 * tshark's stdout for `args` (the capture file is one of them). With PKTLIFE_TSHARK_CACHE set (to a
 * directory: `npm run mutate` sets it, vitest.mutate.config.ts) the answer is kept there under the
 * hash of the arguments (the file's name left out: tests write to fresh temporary directories) and
 * the file's bytes: a mutant of the reader or writer is still judged by
 * what tshark says about exactly those bytes, without starting tshark again for each mutant that
 * leaves them unchanged. The tshark version is part of the key.
 */
export function tsharkRun(file: string, args: string[]): string {
  const run = () =>
    execFileSync('tshark', args, { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' }, maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  const dir = process.env.PKTLIFE_TSHARK_CACHE;
  if (!dir) return run();
  const key = createHash('sha256').update(tsharkVersion()).update('\0').update(args.map((a) => (a === file ? '<file>' : a)).join('\0')).update('\0').update(fs.readFileSync(file)).digest('hex');
  const at = path.join(dir, `${key}.out`);
  try {
    return fs.readFileSync(at, 'utf8');
  } catch {
    const out = run();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(`${at}.${process.pid}`, out);
    fs.renameSync(`${at}.${process.pid}`, at);
    return out;
  }
}

let version: string | null = null;
function tsharkVersion(): string {
  return (version ??= execFileSync('tshark', ['--version'], { encoding: 'utf8' }).split('\n')[0]!);
}

export interface TsharkFrame {
  ts: string;
  caplen: number;
  len: number;
  iface: string;
  section: string;
  flags: string;
  comment: string;
  hex: string;
}

/** One entry per packet record tshark returns (non-packet records dropped). */
export function tsharkFrames(file: string): TsharkFrame[] {
  const fields = ['frame.time_epoch', 'frame.cap_len', 'frame.len', 'frame.interface_id', 'frame.section_number', 'frame.packet_flags', 'frame.comment', 'frame.encap_type'];
  const out = tsharkRun(file, ['-n', '-r', file, '-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])]);
  const json = JSON.parse(tsharkRun(file, ['-n', '-r', file, '-T', 'json', '-x']) || '[]') as { _source: { layers: { frame_raw?: [string, ...unknown[]] } } }[];
  const rows = out.split('\n').filter((l) => l !== '').map((l) => l.split('|'));
  const res: TsharkFrame[] = [];
  rows.forEach((r, k) => {
    if (r[7] === '') return; // not a packet (custom block)
    res.push({ ts: r[0]!, caplen: Number(r[1]), len: Number(r[2]), iface: r[3]!, section: r[4]!, flags: r[5]!, comment: r[6]!, hex: json[k]?._source.layers.frame_raw?.[0] ?? '' });
  });
  return res;
}

/** Asserts our reader and tshark see the same frames (ts, lengths, bytes, comments, interface, flags); returns the count. */
export function compareWithTshark(file: string): number {
  const theirs = tsharkFrames(file);
  const r = openCapture(file);
  let k = 0;
  for (const f of r) {
    const t = theirs[k++];
    expect(t, `${file}: frame ${k} missing in tshark`).toBeDefined();
    const mine = {
      ts: f.hasTs ? fmtTs(f.tsSec, f.tsNsec) : '',
      caplen: f.caplen,
      len: f.len,
      hex: Buffer.from(f.data).toString('hex'),
      comment: f.comment === null ? '' : f.comment.split('\n').join(','),
    };
    expect(mine, `${file}: frame ${k}`).toEqual({ ts: t!.ts, caplen: t!.caplen, len: t!.len, hex: t!.hex, comment: t!.comment });
    if (r.format === 'pcapng') {
      expect([String(f.iface.id), String(f.iface.section)], `${file}: frame ${k} iface`).toEqual([t!.iface, t!.section]);
      if (t!.flags !== '') expect(f.flags, `${file}: frame ${k} flags`).toBe(parseInt(t!.flags, 16));
    }
  }
  r.close();
  expect(k).toBe(theirs.length);
  return k;
}


// --jobs N gives byte for byte what --jobs 1 gives: inspect (text, ndjson, -e, -S, --iface) on every
// bundled capture, every kernel fixture's frames and the public corpus (every capture when
// PKTLIFE_JOBS_CORPUS=all, else every fifth plus the tunnels, whose inner TCP conversations use the
// summaries' state), and replay --format text on the bundled captures and kernel fixtures with
// their host snapshots. Errors (a damaged corpus file) must be the same too, after the same lines.
// `npm test` runs a sample (every option on the bundled captures, text and ndjson on the fixtures,
// every twentieth corpus capture plus the tunnels, replay on every third fixture); `npm run test:jobs`
// (PKTLIFE_JOBS_FULL=1) runs all of it, the whole corpus included.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInspect } from '../../src/cli/inspect.js';
import { CORPUS } from '../corpus-path.js';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const FULL = process.env.PKTLIFE_JOBS_FULL === '1';

function inspectOut(file: string, opts: Record<string, unknown>, jobs: string): { out: string; err: string; status: number } {
  let out = '';
  let err = '';
  const status = runInspect(file, { format: 'text', ...opts, jobs } as Parameters<typeof runInspect>[1], (s) => (out += s), (s) => (err += s));
  return { out, err, status };
}

function captures(): string[] {
  const out: string[] = [];
  for (const f of fs.readdirSync(path.join(ROOT, 'captures'))) if (/\.pcap(ng)?$/.test(f)) out.push(path.join(ROOT, 'captures', f));
  for (const d of fs.readdirSync(path.join(ROOT, 'fixtures/kernel'))) {
    const f = path.join(ROOT, 'fixtures/kernel', d, 'frames.pcapng');
    if (fs.existsSync(f)) out.push(f);
  }
  return out;
}

function corpus(): string[] {
  const m = path.join(CORPUS, 'manifest.jsonl');
  if (!fs.existsSync(m)) return [];
  const files = fs.readFileSync(m, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { path?: string; file?: string })
    .map((e) => path.join(CORPUS, (e.path ?? e.file)!)).filter((f) => fs.existsSync(f));
  if (FULL) return files;
  return files.filter((f, i) => i % 20 === 0 || /gre|vxlan|geneve|tunnel|ipip|6in4|teredo/i.test(f));
}

describe('--jobs gives the same bytes as one thread', () => {
  it('inspect: bundled captures and kernel fixtures, every option', () => {
    const files = captures();
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) {
      const all = FULL || f.includes('/captures/');
      for (const opts of all ? [{}, { format: 'ndjson' }, { link: true }, { absoluteSeq: true }] : [{}, { format: 'ndjson' }]) {
        const one = inspectOut(f, opts, '1');
        const more = inspectOut(f, opts, all ? '3' : '2');
        expect(more, `${f} ${JSON.stringify(opts)}`).toEqual(one);
      }
    }
    // --iface: frames of other interfaces left out, and the error when none is on it
    const multi = path.join(ROOT, 'captures/basic.pcapng');
    expect(inspectOut(multi, { iface: 'eth0' }, '2')).toEqual(inspectOut(multi, { iface: 'eth0' }, '1'));
    const none = inspectOut(multi, { iface: 'nosuch0' }, '2');
    expect(none.status).toBe(1);
    expect(none).toEqual(inspectOut(multi, { iface: 'nosuch0' }, '1'));
  }, 240_000);

  it.skipIf(corpus().length === 0)('inspect: the public corpus (text and ndjson; damaged files end with the same error)', () => {
    let errors = 0;
    for (const f of corpus()) {
      for (const opts of [{}, { format: 'ndjson' }]) {
        const one = inspectOut(f, opts, '1');
        if (one.status !== 0) errors++;
        expect(inspectOut(f, opts, '2'), `${f} ${JSON.stringify(opts)}`).toEqual(one);
      }
    }
    // the sample holds damaged captures too: the error path is compared, not only clean files
    expect(errors).toBeGreaterThan(0);
  }, 600_000);

  it('replay --format text: bundled captures and kernel fixtures with their snapshots', () => {
    const cases: [string, string, string[]][] = [];
    let k = 0;
    for (const d of fs.readdirSync(path.join(ROOT, 'fixtures/kernel'))) {
      const f = path.join(ROOT, 'fixtures/kernel', d, 'frames.pcapng');
      const h = path.join(ROOT, 'fixtures/kernel', d, 'host');
      if (fs.existsSync(f) && fs.existsSync(h) && (FULL || k++ % 3 === 0)) cases.push([f, h, []]);
    }
    cases.push([path.join(ROOT, 'captures/basic.pcapng'), path.join(ROOT, 'captures/basic-host'), []]);
    cases.push([path.join(ROOT, 'captures/tcp-close.pcap'), path.join(ROOT, 'captures/tcp-close-host'), []]);
    expect(cases.length).toBeGreaterThan(FULL ? 15 : 6);
    for (const [f, h, extra] of cases) {
      const run = (jobs: string) => spawnSync(process.execPath, [MAIN, 'replay', f, '--host', h, '--format', 'text', '--jobs', jobs, ...extra], { encoding: 'utf8', maxBuffer: 1 << 26 });
      const one = run('1');
      const two = run('2');
      expect({ out: two.stdout, err: two.stderr, status: two.status }, f).toEqual({ out: one.stdout, err: one.stderr, status: one.status });
      expect(one.stdout.length, f).toBeGreaterThan(0);
    }
  }, 240_000);
});

// --jobs N gives byte for byte what --jobs 1 gives (stdout, stderr, exit status):
// - inspect (text, ndjson, -e, -S, --iface; lines spread over workers by conversation) on every
//   bundled capture, every kernel fixture's frames and the public corpus (damaged files end with
//   the same error after the same lines);
// - replay --format text (summaries made by a worker beside the model) on every bundled capture,
//   the kernel fixtures with their host snapshots, generated ordinary traffic through the bench
//   router (many batches, the worker running ahead; --jobs 0) and corpus captures through it.
// `npm test` runs a sample (every option on the bundled captures, text and ndjson on the fixtures,
// every twentieth corpus capture plus the tunnels; replay on every third fixture and half that
// corpus sample); `npm run test:jobs` (PKTLIFE_JOBS_FULL=1) runs all of it, the whole corpus included.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInspect } from '../../src/cli/inspect.js';
import { CORPUS } from '../corpus-path.js';
import { generateOrdinaryPcap } from '../../src/bench/gen-ordinary.js';
import { benchHostFiles } from '../../src/bench/replay-bench.js';

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

  it('inspect: generated ordinary traffic (many batches, the workers running ahead of the main thread)', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jobs-id-'));
    try {
      const f = path.join(tmp, 'ordinary.pcap');
      generateOrdinaryPcap(f, 60_000);
      for (const opts of [{}, { format: 'ndjson' }]) {
        const one = inspectOut(f, opts, '1');
        expect(one.out.split('\n').length).toBe(60_001);
        for (const jobs of ['2', '3']) expect(inspectOut(f, opts, jobs), `${JSON.stringify(opts)} --jobs ${jobs}`).toEqual(one);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
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

  it('replay --format text: bundled captures, kernel fixtures, generated ordinary traffic and corpus captures', () => {
    const cases: [string, string, string[]][] = [];
    let k = 0;
    for (const d of fs.readdirSync(path.join(ROOT, 'fixtures/kernel'))) {
      const f = path.join(ROOT, 'fixtures/kernel', d, 'frames.pcapng');
      const h = path.join(ROOT, 'fixtures/kernel', d, 'host');
      if (fs.existsSync(f) && fs.existsSync(h) && (FULL || k++ % 3 === 0)) cases.push([f, h, []]);
    }
    // every bundled capture: with its own snapshot, else through basic-host's eth0
    const cap = (f: string): string => path.join(ROOT, 'captures', f);
    for (const [f, h] of [['basic.pcapng', 'basic-host'], ['basic-any.pcap', 'basic-host'], ['tcp-close.pcap', 'tcp-close-host'], ['app.pcap', 'app-host'],
      ['nflog.pcap', 'nflog-host'], ['router-any.pcap', 'router-host'], ['vlan.pcapng', 'basic-host'], ['vxlan.pcap', 'basic-host'], ['snmp.pcap', 'basic-host']] as const) {
      cases.push([cap(f), cap(h), h === 'basic-host' && f !== 'basic.pcapng' && f !== 'basic-any.pcap' ? ['--iface', 'eth0'] : []]);
    }
    // many batches (4096 frames each) and the worker running ahead: ordinary traffic through the bench router
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jobs-id-'));
    const router = path.join(tmp, 'router');
    fs.mkdirSync(router);
    for (const [n, t] of Object.entries(benchHostFiles())) fs.writeFileSync(path.join(router, n), t);
    const ordinary = path.join(tmp, 'ordinary.pcap');
    generateOrdinaryPcap(ordinary, FULL ? 300_000 : 60_000);
    cases.push([ordinary, router, ['--iface', 'eth0']]);
    // the corpus through the router (every link type and protocol the summaries know; damaged files end with an error)
    for (const f of corpus()) if (FULL || k++ % 2 === 0) cases.push([f, router, ['--iface', 'eth0']]);
    expect(cases.length).toBeGreaterThan(FULL ? 300 : 30);
    let errors = 0;
    try {
      for (const [f, h, extra] of cases) {
        const run = (jobs: string) => spawnSync(process.execPath, [MAIN, 'replay', f, '--host', h, '--format', 'text', '--jobs', jobs, ...extra], { encoding: 'utf8', maxBuffer: 1 << 28 });
        const one = run('1');
        const two = run(f === ordinary ? '0' : '2');
        expect({ out: two.stdout, err: two.stderr, status: two.status }, f).toEqual({ out: one.stdout, err: one.stderr, status: one.status });
        if (f === ordinary) {
          // the worker really made the summaries (PKTLIFE_JOBS_STATS=1: it says so on stderr)
          const seen = spawnSync(process.execPath, [MAIN, 'replay', f, '--host', h, '--format', 'text', '--jobs', '2', ...extra], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, PKTLIFE_JOBS_STATS: '1' } });
          expect(seen.stdout).toBe(one.stdout);
          expect(seen.stderr).toMatch(new RegExp(`--jobs worker 0: [0-9.]+ s CPU, ${FULL ? 300_000 : 60_000} frames`));
        }
        if (one.status !== 0) errors++;
        else if (!f.startsWith(CORPUS)) expect(one.stdout.length, f).toBeGreaterThan(0);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    // the error paths are compared too, not only clean replays
    expect(errors).toBeGreaterThan(0);
  }, 600_000);
});

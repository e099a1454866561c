import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareRecords, goldenLine, parseGolden } from '../../src/report/compare.js';
import { findCases, formatResults, runCase } from '../../src/report/golden.js';
import { goldenOf } from '../../src/testing.js';
import { loadHostArg } from '../../src/host/load.js';
import type { FateRecord } from '../../src/kernel/fate.js';

const ROOT = path.resolve(__dirname, '../..');
const CAPTURE = path.join(ROOT, 'captures/basic.pcapng');
const HOST = path.join(ROOT, 'captures/basic-host');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const HAS_TSHARK = spawnSync('tshark', ['--version']).status === 0;

function tempCase(extra: Record<string, unknown> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pktlife-case-'));
  fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify({ capture: CAPTURE, host: HOST, ...extra }));
  return dir;
}

describe('compareRecords', () => {
  const base: FateRecord = { frame: 3, fate: 'delivered', socket: 'tcp 0.0.0.0:22', events: [] };
  it('names each changed field with before and after', () => {
    const after: FateRecord = {
      frame: 3, fate: 'dropped', reason: 'NETFILTER_DROP', events: [],
      verdicts: [{ hook: 'input', family: 'inet', table: 'filter', chain: 'input', verdict: 'drop', rule: 'handle 4', source: 'nft.txt:5' }],
    };
    const c = compareRecords(base, after);
    expect(c.map((x) => x.field)).toEqual(['fate', 'reason', 'rule', 'socket', 'verdicts']);
    expect(c[0]).toEqual({ field: 'fate', before: 'delivered', after: 'dropped' });
    expect(c[2]!.after).toBe('input inet filter input: drop by handle 4 (nft.txt:5)');
  });
  // every compared field on its own: a change in it alone is reported, under its name, with both
  // texts in full (the interfaces and summaries of replies, every egress interface, not counts)
  it('reports a change in egress, replies or unsupported alone, by content', () => {
    const r = (x: Partial<FateRecord>): FateRecord => ({ frame: 7, fate: 'forwarded', events: [], ...x });
    const cases: [Partial<FateRecord>, Partial<FateRecord>, string, string, string][] = [
      [{ egress: ['eth0'] }, { egress: ['eth1'] }, 'egress', 'eth0', 'eth1'],
      [{ egress: ['eth0', 'eth1'] }, { egress: ['eth1', 'eth0'] }, 'egress', 'eth0,eth1', 'eth1,eth0'],
      [{ egress: ['eth0'] }, {}, 'egress', 'eth0', '-'],
      [{ replies: [{ iface: 'eth0', summary: 'IP 10.0.0.1 > 10.0.0.2: ICMP echo reply, id 1, seq 1, length 64' }] },
        { replies: [{ iface: 'eth0', summary: 'IP 10.0.0.1 > 10.0.0.2: ICMP echo reply, id 1, seq 2, length 64' }] },
        'replies', 'eth0: IP 10.0.0.1 > 10.0.0.2: ICMP echo reply, id 1, seq 1, length 64', 'eth0: IP 10.0.0.1 > 10.0.0.2: ICMP echo reply, id 1, seq 2, length 64'],
      [{ replies: [{ iface: 'eth0', summary: 'x' }] }, { replies: [{ iface: 'eth1', summary: 'x' }] }, 'replies', 'eth0: x', 'eth1: x'],
      [{}, { replies: [{ iface: 'eth0', summary: 'x' }] }, 'replies', '-', 'eth0: x'],
      [{ unsupported: ['a'] }, { unsupported: ['b'] }, 'unsupported', 'a', 'b'],
      [{}, { unsupported: ['a'] }, 'unsupported', '-', 'a'],
      [{ socket: 'udp 0.0.0.0:53' }, { socket: 'udp 0.0.0.0:54' }, 'socket', 'udp 0.0.0.0:53', 'udp 0.0.0.0:54'],
      [{ reason: 'NO_SOCKET' }, { reason: 'TCP_CSUM' }, 'reason', 'NO_SOCKET', 'TCP_CSUM'],
    ];
    for (const [a, b, field, before, after] of cases) {
      expect(compareRecords(r(a), r(b)), `${field}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toEqual([{ field, before, after }]);
      expect(compareRecords(r(b), r(a))).toEqual([{ field, before: after, after: before }]);
      expect(compareRecords(r(a), r(a))).toEqual([]);
    }
    // a verdict that is only a chain's default accept changes `verdicts` but not `rule`
    const pass = { hook: 'input', family: 'inet', table: 'filter', chain: 'input', verdict: 'accept' };
    expect(compareRecords(r({}), r({ verdicts: [pass] }))).toEqual([{ field: 'verdicts', before: '-', after: 'input inet filter input: accept by policy' }]);
  });
  it('ignores the timeline unless asked', () => {
    const other = { ...base, events: [{ fn: 'ip_rcv', what: 'ok' }] };
    expect(compareRecords(base, other)).toEqual([]);
    expect(compareRecords(base, other, { events: true }).map((x) => x.field)).toEqual(['events']);
  });
  it('parses golden lines back to the same record and names the line of bad input', () => {
    const line = goldenLine({ ...base, replies: [{ iface: 'eth0', summary: 'x' }] }, false);
    expect(parseGolden(line + '\n', 'g')[0]).toMatchObject({ frame: 3, fate: 'delivered', replies: [{ iface: 'eth0', summary: 'x' }] });
    expect(() => parseGolden(line + '\n{"frame":2}\n', 'golden.ndjson')).toThrow('golden.ndjson:2: expected a fate record');
    expect(() => parseGolden('{oops\n', 'golden.ndjson')).toThrow(/golden.ndjson:1: not JSON/);
  });
});

describe('golden cases (pktlife test)', () => {
  it('writes a golden file with --update that then passes, byte-identical across runs', () => {
    const dir = tempCase();
    const up = runCase(dir, true);
    expect(up.error).toBeUndefined();
    const text = fs.readFileSync(path.join(dir, 'expected.ndjson'), 'utf8');
    const lines = text.trim().split('\n');
    // one record per frame of the capture (counted by tshark in the test below)
    expect(lines.map((l) => JSON.parse(l).frame)).toEqual(lines.map((_, i) => i + 1));
    const r = runCase(dir);
    expect(r.diffs).toEqual([]);
    expect(formatResults([r], false)).toBe(formatResults([runCase(dir)], false));
    expect(goldenOf(CAPTURE, HOST)).toBe(text);
  });

  it.skipIf(!HAS_TSHARK)('writes one record per frame of the capture, as tshark counts them', () => {
    const dir = tempCase();
    runCase(dir, true);
    const lines = fs.readFileSync(path.join(dir, 'expected.ndjson'), 'utf8').trim().split('\n');
    const tsharkFrames = spawnSync('tshark', ['-r', CAPTURE, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
    expect(tsharkFrames.status).toBe(0);
    expect(lines.length).toBe(tsharkFrames.stdout.trim().split('\n').length);
  });

  it('reports a golden frame the capture does not have', () => {
    const dir = tempCase();
    runCase(dir, true);
    const file = path.join(dir, 'expected.ndjson');
    const text = fs.readFileSync(file, 'utf8');
    const n = text.trim().split('\n').length;
    fs.writeFileSync(file, text + `{"frame":${n + 1},"fate":"delivered","socket":"tcp 0.0.0.0:22"}\n`);
    const r = runCase(dir);
    expect(r.diffs).toEqual([{ frame: n + 1, summary: '(frame not in capture)', changes: [{ field: 'missing', before: 'delivered', after: 'not in capture' }] }]);
    expect(formatResults([r], false).trim().split('\n').at(-1)).toBe('0 passed, 1 failed');
  });

  it('reports a changed frame with its summary and what changed, and counts it failed', () => {
    const dir = tempCase();
    runCase(dir, true);
    const file = path.join(dir, 'expected.ndjson');
    const recs = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as FateRecord);
    const victim = recs.find((x) => x.fate !== 'dropped')!;
    const tampered = recs.map((x) => (x.frame === victim.frame ? { frame: x.frame, fate: 'dropped', reason: 'NETFILTER_DROP' } : x));
    fs.writeFileSync(file, tampered.map((x) => JSON.stringify(x)).join('\n') + '\n');
    const r = runCase(dir);
    expect(r.diffs.map((d) => d.frame)).toEqual([victim.frame]);
    expect(r.diffs[0]!.changes[0]).toMatchObject({ field: 'fate', before: 'dropped', after: victim.fate });
    const out = formatResults([r], false);
    expect(out).toContain(`frame ${victim.frame}  `);
    expect(out.trim().split('\n').at(-1)).toBe('0 passed, 1 failed');
  });

  it('finds cases below a folder, sorted, and rejects a bad case.json by name', () => {
    const top = fs.mkdtempSync(path.join(os.tmpdir(), 'pktlife-cases-'));
    for (const n of ['b', 'a']) {
      fs.mkdirSync(path.join(top, n));
      fs.writeFileSync(path.join(top, n, 'case.json'), JSON.stringify({ capture: CAPTURE, host: HOST }));
    }
    expect(findCases([top])).toEqual([path.join(top, 'a'), path.join(top, 'b')]);
    fs.writeFileSync(path.join(top, 'a', 'case.json'), '{"capture": 3}');
    expect(runCase(path.join(top, 'a')).error).toMatch(/case.json: "capture" must be a string/);
    fs.writeFileSync(path.join(top, 'a', 'case.json'), '{"captur": "x"}');
    expect(runCase(path.join(top, 'a')).error).toMatch(/unknown key "captur"/);
  });

  it('the CLI exits 1 on a failing case and 0 when all pass', () => {
    const dir = tempCase();
    execFileSync('node', [CLI, 'test', dir, '--update']);
    const ok = spawnSync('node', [CLI, 'test', dir], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/1 passed, 0 failed\n$/);
    fs.writeFileSync(path.join(dir, 'expected.ndjson'), '{"frame":1,"fate":"bridged","egress":["br0"]}\n');
    const bad = spawnSync('node', [CLI, 'test', dir], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/0 passed, 1 failed\n$/);
    expect(bad.stdout).toMatch(/frame 1  .*\n      fate: bridged -> \w+\n/);
    expect(bad.stdout).toMatch(/frame 2  .*\n      missing: not in golden file -> \w+\n/);
  });
});

// A case's host is read by the loader of `--host` (loadHostArg): a snapshot directory or the
// NAME.tar.gz of `pktlife snapshot --script`, and refused without ip-link.json.
describe('golden cases: the host as --host takes it', () => {
  const packed = (): string => {
    const top = fs.mkdtempSync(path.join(os.tmpdir(), 'pktlife-tarhost-'));
    // the script's layout: NAME.tar.gz holding NAME/ with the snapshot files (snapshot.json included)
    execFileSync('tar', ['czf', path.join(top, 'basic-host.tar.gz'), '-C', path.dirname(HOST), path.basename(HOST)]);
    return path.join(top, 'basic-host.tar.gz');
  };

  it('a case whose host is a snapshot tarball passes against the golden file written from the directory', () => {
    const dir = tempCase();
    expect(runCase(dir, true).error).toBeUndefined();
    const tgz = packed();
    fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify({ capture: CAPTURE, host: tgz }));
    const r = runCase(dir);
    expect(r.error).toBeUndefined();
    expect(r.diffs).toEqual([]);
    expect(r.frames).toBe(fs.readFileSync(path.join(dir, 'expected.ndjson'), 'utf8').trim().split('\n').length);
    expect(goldenOf(CAPTURE, tgz)).toBe(goldenOf(CAPTURE, HOST));
    const cli = spawnSync('node', [CLI, 'test', dir], { encoding: 'utf8' });
    expect(cli.status).toBe(0);
    expect(cli.stdout).toMatch(/1 passed, 0 failed\n$/);
  });

  it('the tarball keeps snapshot.json: its iptables -V sets the backend as the directory does', () => {
    expect(loadHostArg(HOST).iptablesVariant).toBe('nf_tables'); // "iptables-save v1.8.9 (nf_tables)"
    expect(loadHostArg(packed()).iptablesVariant).toBe('nf_tables');
  });

  it('a case whose host is a directory without ip-link.json fails with the reason', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'pktlife-nothost-'));
    fs.writeFileSync(path.join(empty, 'notes.txt'), 'not a snapshot\n');
    const dir = tempCase({ host: empty });
    const r = runCase(dir);
    expect(r.error).toBe(`${empty}: not a host snapshot: no ip-link.json in it (record one with \`pktlife snapshot DIR\`, or on a host without Node with the script of \`pktlife snapshot --script\`)`);
    expect(() => goldenOf(CAPTURE, empty)).toThrow(/not a host snapshot: no ip-link\.json/);
    const cli = spawnSync('node', [CLI, 'test', dir], { encoding: 'utf8' });
    expect(cli.status).toBe(1);
    expect(cli.stdout + cli.stderr).toContain(`${empty}: not a host snapshot: no ip-link.json`);
  });
});

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/reader.js';
import { loadHost } from '../../src/host/load.js';
import { FateExporter } from '../../src/report/export.js';
import { replayAll } from '../../src/report/golden.js';
import { parseWhere } from '../../src/report/where.js';
import type { ReplayItem } from '../../src/replay-types.js';
import { tsharkRun } from '../capture/tshark-util.js';

const ROOT = path.resolve(__dirname, '../..');
const CAPTURE = path.join(ROOT, 'captures/basic.pcapng');
const HAS_TSHARK = spawnSync('tshark', ['--version']).status === 0;
const items = replayAll(CAPTURE, loadHost(path.join(ROOT, 'captures/basic-host')), { checksums: 'auto' });

function item(record: Partial<ReplayItem['record']>, extra: Partial<ReplayItem> = {}): ReplayItem {
  return { frame: 1, tsSec: 0, tsNsec: 0, iface: 'eth0', summary: 'IP 10.0.0.2.5 > 10.0.0.1.22: Flags [S]', record: { frame: 1, fate: 'dropped', events: [], ...record }, ...extra };
}

describe('--where expressions', () => {
  it('ANDs terms; = takes alternatives, != excludes', () => {
    const p = parseWhere('fate=dropped, reason=NETFILTER_DROP|NO_SOCKET');
    expect(p(item({ reason: 'NO_SOCKET' }))).toBe(true);
    expect(p(item({ reason: 'TCP_CSUM' }))).toBe(false);
    expect(p(item({ fate: 'delivered', socket: 'tcp 0.0.0.0:22' }))).toBe(false);
    expect(parseWhere('fate!=dropped')(item({}))).toBe(false);
    expect(parseWhere('text=10.0.0.1.22 and iface=eth0')(item({}))).toBe(true);
    expect(parseWhere('rule=INPUT')(item({ verdicts: [{ hook: 'input', family: 'ip', table: 'filter', chain: 'INPUT', verdict: 'drop' }] }))).toBe(true);
  });
  it('rejects what it does not know, naming it', () => {
    expect(() => parseWhere('colour=red')).toThrow(/unknown key "colour"/);
    expect(() => parseWhere('dropped')).toThrow(/"dropped" is not key=value/);
    expect(() => parseWhere('  ')).toThrow(/empty expression/);
  });
});

describe('export by fate', () => {
  it('writes exactly the matching frames, bytes intact, each with a comment naming its fate', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pktlife-export-')), 'dropped.pcapng');
    const where = parseWhere('fate=dropped');
    const ex = new FateExporter(CAPTURE, out, where);
    for (const it of items) ex.add(it);
    ex.close();
    const want = items.filter(where);
    expect(want.length).toBeGreaterThan(0);
    expect(ex.written).toBe(want.length);

    const orig = new Map<number, { data: Buffer; ts: string; name: string | null }>();
    for (const f of openCapture(CAPTURE)) orig.set(f.index, { data: Buffer.from(f.data), ts: `${f.tsSec}.${f.tsNsec}`, name: f.iface.name });
    const got = [...openCapture(out)].length;
    expect(got).toBe(want.length);
    let i = 0;
    for (const f of openCapture(out)) {
      const src = orig.get(want[i]!.frame)!;
      expect(Buffer.from(f.data).equals(src.data)).toBe(true);
      expect(`${f.tsSec}.${f.tsNsec}`).toBe(src.ts);
      expect(f.iface.name).toBe(src.name);
      expect(f.comment).toBe(`pktlife: dropped reason=${want[i]!.record.reason}` + (f.comment!.includes('\n') ? f.comment!.slice(f.comment!.indexOf('\n')) : ''));
      i++;
    }
  });

  it.skipIf(!HAS_TSHARK)('Wireshark reads the export back: the same frames, interface names and comments', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pktlife-export-')), 'dropped.pcapng');
    const where = parseWhere('fate=dropped');
    const ex = new FateExporter(CAPTURE, out, where);
    for (const it of items) ex.add(it);
    ex.close();
    const want = items.filter(where);
    const rows = tsharkRun(out, ['-r', out, '-T', 'fields', '-e', 'frame.interface_name', '-e', 'frame.comment']).trim().split('\n');
    expect(rows.length).toBe(want.length);
    rows.forEach((row, i) => expect(row).toMatch(new RegExp(`^eth0\tpktlife: dropped reason=${want[i]!.record.reason}`)));
  });

  it('pktlife replay --write-pcap --where writes what the ndjson output says matches', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pktlife-export-')), 'x.pcapng');
    const host = path.join(ROOT, 'captures/basic-host');
    const cli = path.join(ROOT, 'dist/cli/main.js');
    const r = spawnSync('node', [cli, 'replay', CAPTURE, '--host', host, '--format', 'ndjson', '--write-pcap', out, '--where', 'fate!=dropped'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const kept = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.fate !== 'dropped');
    expect(r.stderr).toBe(`pktlife replay: wrote ${kept.length} frames to ${out}\n`);
    const comments: string[] = [];
    for (const f of openCapture(out)) comments.push(f.comment!.split('\n')[0]!); // the reader reuses one Frame
    expect(comments).toEqual(kept.map((x) => `pktlife: ${x.fate}` + (x.egress ? ` egress=${x.egress.join(',')}` : '') + (x.socket ? ` socket=${x.socket}` : '')));
    const bad = spawnSync('node', [cli, 'replay', CAPTURE, '--host', host, '--where', 'fate=dropped'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/give --write-pcap FILE too/);
  });
});

// Bad input gives an error naming the file and the problem, never a stack trace or a silent answer.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHost } from '../../src/host/load.js';
import { openReplay } from '../../src/replay.js';
import { FateExporter } from '../../src/report/export.js';
import { readCaseSpec, runCase } from '../../src/report/golden.js';

const ROOT = path.resolve(__dirname, '../..');
const CAP = path.join(ROOT, 'captures/basic.pcapng');
const HOST = path.join(ROOT, 'captures/basic-host');
const tmp = (p: string): string => fs.mkdtempSync(path.join(os.tmpdir(), p));

describe('bad input', () => {
  it('an --iface the host snapshot lacks is an error up front, even when the capture names its interfaces', () => {
    const host = loadHost(HOST);
    // basic-host/ip-link.json holds lo and eth0 only
    expect(() => openReplay(CAP, host, { checksums: 'auto', iface: 'bogus0' })).toThrow(/--iface "bogus0": no such interface in the host snapshot .*basic-host \(has: lo, eth0\)/);
    const src = openReplay(CAP, host, { checksums: 'auto', iface: 'eth0' });
    expect(src.next()).not.toBeNull();
    src.close();
  });

  it('a snapshot file that cannot be read (a directory in its place) is a HostError naming it', () => {
    const dir = tmp('rv2-host-');
    fs.mkdirSync(path.join(dir, 'ip-route.json'));
    expect(() => loadHost(dir)).toThrow(`${path.join(dir, 'ip-route.json')}: cannot read: EISDIR`);
  });

  it('a bad snapshot file is named with its folder (two --host folders must be told apart), also for a sysctl read mid-replay', () => {
    const dir = tmp('rv2-host-');
    fs.writeFileSync(path.join(dir, 'ip-link.json'), '{"a":');
    expect(() => loadHost(dir)).toThrow(`${path.join(dir, 'ip-link.json')} line 1 column 6: invalid JSON`);
    fs.rmSync(path.join(dir, 'ip-link.json'));
    // conf.all.forwarding is read when a frame is routed, not at load time
    fs.writeFileSync(path.join(dir, 'sysctl.txt'), 'net.ipv4.conf.all.forwarding = banana\n');
    const host = loadHost(dir);
    expect(() => host.sysctls.conf(4, 'all', 'forwarding')).toThrow(`${path.join(dir, 'sysctl.txt')} net.ipv4.conf.all.forwarding: expected a number, found "banana"`);
  });

  it('replay and inspect stop when their reader goes away (| head) instead of reading the rest of the capture', () => {
    // 20000 copies of frame 1 of basic.pcapng (far more text than a pipe and our buffer hold), then
    // a record header whose caplen is over the limit: reaching it would print an error and exit 2
    const frame = Buffer.from('ffffffffffff02000000000208060001080006040001020000000002' + '0a140002' + '000000000000' + '0a140001', 'hex');
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    const bad = Buffer.alloc(16);
    bad.writeUInt32LE(0xffffffff, 8);
    bad.writeUInt32LE(0xffffffff, 12);
    const hdr = Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex');
    const dir = tmp('rv2-pipe-');
    const cap = path.join(dir, 'many.pcap');
    fs.writeFileSync(cap, Buffer.concat([hdr, ...Array.from({ length: 20000 }, () => Buffer.concat([rec, frame])), bad]));
    const all = spawnSync('node', [path.join(ROOT, 'dist/cli/main.js'), 'replay', cap, '--host', HOST, '--iface', 'eth0', '--format', 'text'], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(all.status).toBe(2); // the damage is there when the whole file is read
    expect(all.stderr).toMatch(/exceeds the 262144-byte limit/);
    const cut = spawnSync('bash', ['-c', `node "$0" replay "$1" --host "$2" --iface eth0 --format text | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`, path.join(ROOT, 'dist/cli/main.js'), cap, HOST], { encoding: 'utf8' });
    expect(cut.stderr).toBe('');
    expect(cut.stdout.trim()).toBe('0');
    // inspect likewise
    const whole = spawnSync('node', [path.join(ROOT, 'dist/cli/main.js'), 'inspect', cap], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(whole.status).toBe(2);
    const head = spawnSync('bash', ['-c', `node "$0" inspect "$1" | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`, path.join(ROOT, 'dist/cli/main.js'), cap], { encoding: 'utf8' });
    expect(head.stderr).toBe('');
    expect(head.stdout.trim()).toBe('0');
  });

  it('case.json must hold an object', () => {
    const dir = tmp('rv2-case-');
    for (const [text, found] of [['null', 'null'], ['[]', 'an array'], ['"x"', 'string'], ['3', 'number']] as const) {
      fs.writeFileSync(path.join(dir, 'case.json'), text);
      expect(() => readCaseSpec(dir)).toThrow(`${path.join(dir, 'case.json')}: expected a JSON object ({"capture": ..., "host": ...}), found ${found}`);
    }
  });

  it('case.json "rules" paths resolve like the other paths: an absolute one stays absolute', () => {
    const dir = tmp('rv2-case-');
    fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify({ capture: CAP, rules: ['/etc/abs.nft', 'rel.nft'] }));
    expect(readCaseSpec(dir).rules).toEqual(['/etc/abs.nft', path.join(dir, 'rel.nft')]);
  });

  it('--write-pcap naming the capture itself (another spelling of the same file) is refused and leaves it intact', () => {
    const dir = tmp('rv2-export-');
    const cap = path.join(dir, 'c.pcapng');
    fs.copyFileSync(CAP, cap);
    const before = fs.readFileSync(cap);
    fs.symlinkSync(cap, path.join(dir, 'link.pcapng'));
    for (const out of [cap, path.join(dir, '.', 'link.pcapng')]) {
      expect(() => new FateExporter(cap, out, () => true)).toThrow(`--write-pcap ${out}: that is the capture being replayed; choose another file`);
    }
    expect(fs.readFileSync(cap).equals(before)).toBe(true);
    const ok = new FateExporter(cap, path.join(dir, 'out.pcapng'), () => true);
    ok.close();
    expect(fs.existsSync(path.join(dir, 'out.pcapng'))).toBe(true);
  });

  it('--update into a folder that does not exist reports the case as failed instead of throwing', () => {
    const dir = tmp('rv2-case-');
    fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify({ capture: CAP, host: HOST, expected: 'no/such/dir/expected.ndjson' }));
    const r = runCase(dir, true);
    expect(r.updated).toBeUndefined();
    expect(r.error).toMatch(/no\/such\/dir\/expected\.ndjson: cannot write the golden file: ENOENT/);
  });
});

// `pktlife snapshot`: missing tools, failing commands, sysctl filtering, and a live round trip
// through a network namespace (root only; skipped where namespaces cannot be created).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filterSysctl, SnapshotError, takeSnapshot } from '../../src/host/snapshot.js';
import { loadHost } from '../../src/host/load.js';
import { parseIPv4 } from '../../src/host/addr.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'hs-snap-'));

describe('snapshot command', () => {
  it('reports a missing tool and omits its file, recording that in snapshot.json', () => {
    const dir = tmp();
    const warnings: string[] = [];
    const r = takeSnapshot(dir, {
      commands: [
        { file: 'a.txt', argv: ['echo', 'hello'] },
        { file: 'b.txt', argv: ['hs-no-such-tool-xyz', 'x'] },
      ],
      warn: (m) => warnings.push(m),
    });
    expect(r.written).toEqual(['a.txt']);
    expect(r.missingTools).toEqual(['hs-no-such-tool-xyz']);
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('hello\n');
    expect(existsSync(join(dir, 'b.txt'))).toBe(false);
    expect(warnings[0]).toMatch(/hs-no-such-tool-xyz not found: b\.txt not written/);
    const meta = JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8'));
    expect(meta.missing).toEqual([{ file: 'b.txt', tool: 'hs-no-such-tool-xyz' }]);
    expect(meta.commands).toEqual([{ file: 'a.txt', command: 'echo hello' }]);
    rmSync(dir, { recursive: true });
  });

  it('a failing command is an error naming it', () => {
    const dir = tmp();
    expect(() => takeSnapshot(dir, { commands: [{ file: 'x', argv: ['ls', '/hs-does-not-exist'] }] })).toThrow(SnapshotError);
    expect(() => takeSnapshot(dir, { commands: [{ file: 'x', argv: ['ls', '/hs-does-not-exist'] }] })).toThrow(/snapshot command failed \(exit 2\): ls \/hs-does-not-exist: .*No such file/);
    rmSync(dir, { recursive: true });
  });

  it('keeps net.* sysctls only, sorted by key', () => {
    expect(filterSysctl('vm.swappiness = 60\nnet.ipv4.ip_forward = 0\nnet.core.somaxconn = 4096\nkernel.x = 1\n')).toBe('net.core.somaxconn = 4096\nnet.ipv4.ip_forward = 0\n');
  });

  it('an unknown namespace is a clear error', () => {
    expect(() => takeSnapshot(tmp(), { netns: 'hs-no-such-netns' })).toThrow(/cannot enter network namespace "hs-no-such-netns"/);
  });
});

const ns = `hs-vt${process.pid}`;
// probe: can this machine make namespaces? (the probe one is deleted at once)
const canNetns = process.getuid?.() === 0 && spawnSync('ip', ['netns', 'add', ns]).status === 0 && spawnSync('ip', ['netns', 'del', ns]).status === 0;

if (!canNetns) console.warn('live snapshot round trip skipped: cannot create a network namespace (needs root and ip netns)');
describe.runIf(canNetns)('live round trip through a namespace', () => {
  it('snapshots a namespace and loads back what was configured in it', () => {
    const sh = (cmd: string) => {
      const r = spawnSync('sh', ['-c', cmd]);
      if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
    };
    const dir = tmp();
    try {
      sh(`ip netns add ${ns}`);
      sh(`ip -n ${ns} link set lo up && ip -n ${ns} link add ifb7 type ifb && ip -n ${ns} link set ifb7 up mtu 1400`);
      sh(`ip -n ${ns} addr add 10.77.0.1/24 dev ifb7 && ip -n ${ns} route add 10.78.0.0/16 dev ifb7 table 77 && ip -n ${ns} rule add pref 77 to 10.78.0.0/16 lookup 77`);
      sh(`ip netns exec ${ns} sysctl -qw net.ipv4.conf.ifb7.rp_filter=2`);
      takeSnapshot(dir, { netns: ns });
      const h = loadHost(dir);
      expect(h.byName.get('ifb7')).toMatchObject({ kind: 'ifb', mtu: 1400, up: true });
      expect(h.byName.get('ifb7')!.addrs[0]).toMatchObject({ local: parseIPv4('10.77.0.1'), prefixlen: 24 });
      expect(h.routes.find((r) => r.table === 77)).toMatchObject({ dstStr: '10.78.0.0/16', dev: 'ifb7' });
      expect(h.rules.find((r) => r.priority === 77)).toMatchObject({ table: 77, dstLen: 16 });
      expect(h.sysctls.conf(4, 'ifb7', 'rp_filter')).toBe(2);
      const sysctl = readFileSync(join(dir, 'sysctl.txt'), 'utf8').trimEnd().split('\n');
      expect(sysctl.every((l) => l.startsWith('net.'))).toBe(true);
      expect([...sysctl].sort((a, b) => (a.split(' = ')[0]! < b.split(' = ')[0]! ? -1 : 1))).toEqual(sysctl);
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('snapshot output directory', () => {
  it('an output path that cannot be created is a clear error', () => {
    const dir = tmp();
    const file = join(dir, 'plain-file');
    spawnSync('touch', [file]);
    expect(() => takeSnapshot(join(file, 'sub'), { commands: [{ file: 'a', argv: ['true'] }] })).toThrow(/cannot create .*plain-file\/sub: /);
    rmSync(dir, { recursive: true });
  });
});

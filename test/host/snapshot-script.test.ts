// `pktlife snapshot --script`: the POSIX sh script takes the same snapshot as `pktlife snapshot`
// (compared file by file in a real network namespace), packed as NAME.tar.gz that --host reads;
// --host refuses what is not a snapshot.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { takeSnapshot, SNAPSHOT_COMMANDS } from '../../src/host/snapshot.js';
import { snapshotScript } from '../../src/host/snapshot-script.js';
import { loadHostArg } from '../../src/host/load.js';

const ns = `sn-scr-${process.pid}`;
const canNetns = process.getuid?.() === 0 && spawnSync('ip', ['netns', 'add', ns]).status === 0 && spawnSync('ip', ['netns', 'del', ns]).status === 0;
const haveSh = spawnSync('sh', ['-c', 'command -v tar && command -v gzip']).status === 0;
const sh = (cmd: string) => {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout;
};
const CLI = join(__dirname, '../../dist/cli/main.js');

describe('snapshot --script', () => {
  it('is POSIX sh that names every snapshot file', () => {
    const s = snapshotScript();
    expect(s.startsWith('#!/bin/sh\n')).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'sn-scr-'));
    writeFileSync(join(dir, 's.sh'), s);
    // sh -n: parses; dash, when installed, is a strict POSIX shell
    expect(spawnSync('sh', ['-n', join(dir, 's.sh')]).status).toBe(0);
    if (spawnSync('sh', ['-c', 'command -v dash']).status === 0) expect(spawnSync('dash', ['-n', join(dir, 's.sh')]).status).toBe(0);
    for (const c of SNAPSHOT_COMMANDS) expect(s, c.file).toContain(c.file);
    // no tool beyond the ones a server has (and the shell's own utilities)
    const tools = new Set(s.split('\n').filter((l) => /^run /.test(l)).map((l) => l.split(' ')[2]));
    expect([...tools].every((t) => ['ip', 'bridge', 'nft', 'iptables-save', 'ip6tables-save', 'ipset', 'nfacct', 'ss', 'tc'].includes(t!))).toBe(true);
    expect(s).not.toMatch(/\bnode\b|\bjq\b|\bpython/);
  });

  it.skipIf(!canNetns || !haveSh)('run in a network namespace, writes NAME.tar.gz with the files pktlife snapshot --netns writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sn-scr-'));
    writeFileSync(join(dir, 'snap.sh'), snapshotScript());
    try {
      sh(`ip netns add ${ns}`);
      const x = (c: string) => sh(`ip netns exec ${ns} ${c}`);
      x('ip link add sn-a type veth peer name sn-b');
      x('ip addr add 10.61.0.1/24 dev sn-a');
      x('ip -6 addr add fd61::1/64 dev sn-a nodad');
      x('ip link set sn-a up');
      x('ip link set sn-b up');
      x('ip route add 198.51.100.0/24 via 10.61.0.2');
      x('ip rule add fwmark 7 table 100');
      x('ip neigh add 10.61.0.2 lladdr 02:00:00:00:00:02 dev sn-a');
      x('tc qdisc add dev sn-a clsact');
      x('sysctl -qw net.ipv4.ip_forward=1');
      sh(`printf 'table inet f {\\n chain input {\\n type filter hook input priority 0; policy accept;\\n tcp dport 22 drop\\n }\\n}\\n' | ip netns exec ${ns} nft -f -`);
      const r = spawnSync('ip', ['netns', 'exec', ns, 'sh', join(dir, 'snap.sh'), 'web1'], { cwd: dir, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/wrote \d+ files to .*web1\.tar\.gz/);
      mkdirSync(join(dir, 'x'));
      sh(`cd ${dir}/x && tar xzf ../web1.tar.gz`);
      takeSnapshot(join(dir, 'node'), { netns: ns });
      const fromNode = readdirSync(join(dir, 'node')).sort();
      expect(readdirSync(join(dir, 'x/web1')).sort()).toEqual(fromNode);
      for (const f of fromNode) {
        if (f === 'snapshot.json') continue; // commands and versions: informational, ignored by the loader
        expect(readFileSync(join(dir, 'x/web1', f), 'utf8'), f).toBe(readFileSync(join(dir, 'node', f), 'utf8'));
      }
      // --host reads the tarball as it reads the directory
      const a = loadHostArg(join(dir, 'web1.tar.gz'));
      const b = loadHostArg(join(dir, 'node'));
      expect(a.devices.map((d) => d.name)).toEqual(b.devices.map((d) => d.name));
      expect(a.devices.map((d) => d.name)).toContain('sn-a');
      expect(a.routes.length).toBe(b.routes.length);
      expect(a.rules.length).toBe(b.rules.length);
      expect(a.sysctls.get('net.ipv4.ip_forward')).toBe('1');
      const rep = spawnSync('node', [CLI, 'replay', join(__dirname, '../../captures/tcp-close.pcap'), '--host', join(dir, 'web1.tar.gz'), '--iface', 'sn-a', '--format', 'text'], { encoding: 'utf8' });
      expect(rep.status, rep.stderr).toBe(0);
      expect(rep.stdout.split('\n')[0]).toMatch(/^1 sn-a /);
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });
});

describe('--host', () => {
  it('refuses a directory that is not a snapshot (no ip-link.json), naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sn-nohost-'));
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    const r = spawnSync('node', [CLI, 'replay', join(__dirname, '../../captures/basic.pcapng'), '--host', dir, '--format', 'text'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${dir}: not a host snapshot: no ip-link.json in it`);
  });

  it('refuses a file that is not a snapshot tarball', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sn-nohost-'));
    writeFileSync(join(dir, 'x.tar.gz'), 'not gzip');
    expect(() => loadHostArg(join(dir, 'x.tar.gz'))).toThrow(/x\.tar\.gz: not a gzip-compressed tar file/);
    sh(`cd ${dir} && mkdir a && echo hi > a/readme && tar czf a.tar.gz a`);
    expect(() => loadHostArg(join(dir, 'a.tar.gz'))).toThrow(/a\.tar\.gz: not a host snapshot: the tarball holds no ip-link\.json/);
  });
});

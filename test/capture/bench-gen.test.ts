// The benchmark's generated capture is what it claims: Ethernet IPv4/IPv6 TCP/UDP/ICMP with
// correct checksums (verified by tshark), deterministic for a seed, readable by our reader.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { generateBenchPcap } from '../../src/bench/gen-capture.js';
import { openCapture } from '../../src/capture/reader.js';

function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('bench capture generator', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cap-gen-'));
  const a = path.join(dir, 'a.pcap');
  const b = path.join(dir, 'b.pcap');
  const N = 1000;
  generateBenchPcap(a, N, 5);
  generateBenchPcap(b, N, 5);

  it('is deterministic for a seed and reads back with N frames', () => {
    expect(fs.readFileSync(a).equals(fs.readFileSync(b))).toBe(true);
    const r = openCapture(a);
    let n = 0;
    let last = -1;
    for (const f of r) {
      n++;
      const t = f.tsSec * 1e9 + f.tsNsec;
      expect(t).toBeGreaterThan(last);
      last = t;
    }
    expect(n).toBe(N);
  });

  it.runIf(hasTshark())('every IPv4/TCP/UDP/ICMP/ICMPv6 checksum is good according to tshark', () => {
    const out = execFileSync(
      'tshark',
      ['-n', '-r', a, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=|',
        '-e', 'frame.protocols', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', 'udp.checksum.status', '-e', 'icmp.checksum.status', '-e', 'icmpv6.checksum.status', '-e', '_ws.malformed'],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    const rows = out.trim().split('\n').map((l) => l.split('|'));
    expect(rows.length).toBe(N);
    const kinds = new Set<string>();
    for (const [protos, ...st] of rows) {
      const p = protos!.split(':');
      kinds.add(`${p[2]}/${p[3]}`);
      const malformed = st.pop();
      // tshark's port/heuristic guesses (gtp, ...) may call the random payload malformed;
      // the headers up to L4 must not be
      if (p.length <= 4 || (p.length === 5 && p[4] === 'data')) expect(malformed, protos).toBe('');
      // status 1 = good; empty = header absent
      for (const s of st) expect(['', '1'], `${protos}: ${st}`).toContain(s);
      expect(st.filter((s) => s === '1').length, protos).toBeGreaterThan(0);
    }
    for (const k of ['ip/tcp', 'ip/udp', 'ip/icmp', 'ipv6/tcp', 'ipv6/udp', 'ipv6/icmpv6']) expect([...kinds]).toContain(k);
  });
  if (!hasTshark()) console.log('bench generator: tshark not installed, checksum verification skipped');
});

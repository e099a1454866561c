// A `tcpdump -i any` capture (LINUX_SLL2) names each frame's interface by index. tcpdump -nn -r
// prints "IFNAME DIR " before the packet (the name of that index on the machine reading the file,
// padded to 5; the direction padded to 3). The replay's text line already names the capture
// host's device in its second column (from the snapshot), so the summary after it keeps only
// tcpdump's direction: "43 lan0 In  IP 10.77.1.124 > ...", not "43 lan0 lan0  In  IP ...".
// Checked against tcpdump's own lines on every frame of the bundled router capture, on each path
// that makes replay text: the byte writer (default), --jobs 2 (summaries from worker threads) and
// --write-pcap/--where (the replay's string summaries). `inspect` keeps tcpdump's "?" for the name.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openCapture } from '../../src/capture/reader.js';
import { loadHost } from '../../src/host/load.js';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const CAP = path.join(ROOT, 'captures/router-any.pcap');
const HOST = path.join(ROOT, 'captures/router-host');
const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;

/** tcpdump -nn -r's lines without the timestamp and its interface name: "In  IP ..." */
function tcpdumpRests(): string[] {
  const r = spawnSync('tcpdump', ['-nn', '-r', CAP], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout.trimEnd().split('\n').map((l) => {
    const m = /^\S+ \S+ +((?:In|Out|M|B|P) +\S.*)$/.exec(l);
    expect(m, l).not.toBeNull();
    return m![1]!;
  });
}

/** the snapshot's device name of each frame's SLL2 interface index (bytes 4-7 of the header) */
function deviceNames(): string[] {
  const host = loadHost(HOST);
  const rd = openCapture(CAP);
  const names: string[] = [];
  try {
    for (let f = rd.next(); f !== null; f = rd.next()) {
      expect(f.iface.linktypeName).toBe('LINUX_SLL2');
      const ifindex = ((f.data[4]! << 24) | (f.data[5]! << 16) | (f.data[6]! << 8) | f.data[7]!) >>> 0;
      const d = host.byIndex.get(ifindex);
      expect(d, `ifindex ${ifindex}`).toBeDefined();
      names.push(d!.name);
    }
  } finally {
    rd.close();
  }
  return names;
}

function replayLines(extra: string[]): string[] {
  const r = spawnSync(process.execPath, [MAIN, 'replay', CAP, '--host', HOST, '--format', 'text', ...extra], { encoding: 'utf8', maxBuffer: 1 << 24 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trimEnd().split('\n');
}

describe('replay text of a -i any (SLL2) capture names the interface once', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pktlife-sll2-'));
  const paths: [string, string[]][] = [
    ['byte writer', []],
    ['--jobs 2', ['--jobs', '2']],
    ['--write-pcap --where (string summaries)', ['--write-pcap', path.join(tmp, 'all.pcapng'), '--where', 'fate=forwarded']],
  ];
  for (const [name, extra] of paths) {
    it.skipIf(!hasTcpdump)(`${name}: frame, device, then tcpdump's line from the direction on`, () => {
      const td = tcpdumpRests();
      const devs = deviceNames();
      const lines = replayLines(extra);
      expect(lines.length).toBe(97);
      expect(td.length).toBe(lines.length);
      lines.forEach((l, i) => {
        const dev = devs[i]!;
        const head = `${i + 1} ${dev} `;
        expect(l.startsWith(head), l).toBe(true);
        const summary = l.slice(head.length, l.indexOf(' => '));
        // tcpdump goes on with application text (HTTP) the summaries leave out: a prefix of it
        expect(td[i]!.startsWith(summary), `${l}\ntcpdump: ${td[i]}`).toBe(true);
        expect(summary).toMatch(/^(In |Out|M  |B  |P  ) (IP|IP6|ARP)\b/);
        expect(summary.includes(`${dev}  `)).toBe(false);
      });
    });
  }
  it('inspect prints tcpdump\'s "?" for an interface index it cannot name', () => {
    const r = spawnSync(process.execPath, [MAIN, 'inspect', CAP], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('16:31:19.662341 ?     Out IP6 fe80::77:ff:fe00:201 > ff02::16: HBH ICMP6, multicast listener report v2, 5 group record(s), length 108');
  });
});

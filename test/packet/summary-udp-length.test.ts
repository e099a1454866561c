// The UDP length in a summary line, from sources outside the code: tcpdump prints
// "UDP, length N" with N = the UDP header's length field minus the 8-byte header (print-udp.c
// udp_print: ulen -= sizeof(struct udphdr)). Checked with the general summariser (summary.ts,
// not the byte-built fast path of summary-line.ts) against
// - tcpdump's own lines for captures/basic.pcapng's UDP datagrams (test/ui/fixtures/basic.tcpdump.txt,
//   tcpdump 4.99.3), whole lines;
// - tshark's udp.length of every UDP datagram of test/packet/fixtures/summary-mix.pcap
//   (summary-mix.tsv, TShark 4.0.17), for the lines that end in "UDP, length N" (payloads the
//   summariser does not dissect further).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/reader.js';
import { Decoded, decodeFrame } from '../../src/packet/decode.js';
import { summarize } from '../../src/packet/summary.js';

const ROOT = path.resolve(__dirname, '../..');

function lines(file: string): string[] {
  const d = new Decoded();
  const out: string[] = [];
  for (const f of openCapture(file)) {
    decodeFrame(f.data, f.caplen, f.iface.linktype, d, f.len, false);
    out.push(summarize(d));
  }
  return out;
}

describe('UDP length in summaries', () => {
  it('is tcpdump\'s for the bundled capture\'s datagrams', () => {
    const want = fs.readFileSync(path.join(ROOT, 'test/ui/fixtures/basic.tcpdump.txt'), 'utf8').trimEnd().split('\n');
    const got = lines(path.join(ROOT, 'captures/basic.pcapng'));
    const udp = want.map((l, i) => [l, got[i]]).filter(([l]) => /: UDP, length \d+$/.test(l!));
    expect(udp.length).toBe(3);
    for (const [w, g] of udp) expect(g).toBe(w);
  });

  it('is tshark\'s udp.length - 8 for every undissected datagram of the summary mix', () => {
    const [head, ...rows] = fs.readFileSync(path.join(ROOT, 'test/packet/fixtures/summary-mix.tsv'), 'utf8').split('\n').filter(Boolean);
    const cols = head!.split('\t');
    const ulen = rows.map((r) => r.split('\t')[cols.indexOf('udp.length')]!);
    const got = lines(path.join(ROOT, 'test/packet/fixtures/summary-mix.pcap'));
    expect(got.length).toBe(rows.length);
    let n = 0;
    got.forEach((g, i) => {
      const m = /UDP, length (\d+)$/.exec(g);
      if (!m || ulen[i] === '') return;
      n++;
      expect(Number(m[1]), `frame ${i + 1}: ${g}`).toBe(Number(ulen[i]) - 8);
    });
    expect(n).toBeGreaterThan(0);
  });
});

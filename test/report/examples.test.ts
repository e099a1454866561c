// The README's walk-through case is kept as a real golden case: if the model changes what
// happens to the bundled capture, this fails with the per-frame diff (then review it and run
// `pktlife test examples --update`).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCases, formatResults, runCase } from '../../src/report/golden.js';
import { parseGolden } from '../../src/report/compare.js';

const ROOT = path.resolve(__dirname, '../..');

describe('golden cases in examples/', () => {
  const cases = findCases([path.join(ROOT, 'examples')]);
  it('finds the walk-through case', () => expect(cases.map((c) => path.basename(c))).toContain('firewall-review'));
  for (const dir of cases) {
    it(`${path.basename(dir)} still matches its golden file`, () => {
      const r = runCase(dir);
      expect(r.error).toBeUndefined();
      expect(r.diffs, formatResults([r], false)).toEqual([]);
      expect(r.frames).toBeGreaterThan(0);
    });
  }
});

// The golden file above is the model's own output; this part checks it against the real host.
// captures/basic.pcapng was taken on the host's eth0, so every reply the kernel sent is in it:
// test/ui/fixtures/basic.tcpdump.txt is `tcpdump -nn -t` of that same file (recorded, tcpdump 4.99.3).
// Each reply the golden file predicts must be a frame the host really sent after the trigger
// (TCP: addresses, ports and flags only, as sequence numbers and options are the host's own; a
// predicted pure ACK is met by the host's FIN+ACK, as its application closed at the same time).
describe('firewall-review golden file against the recorded host', () => {
  const golden = parseGolden(fs.readFileSync(path.join(ROOT, 'examples/firewall-review/expected.ndjson'), 'utf8'), 'expected.ndjson');
  const real = fs.readFileSync(path.join(ROOT, 'test/ui/fixtures/basic.tcpdump.txt'), 'utf8').trimEnd().split('\n');
  const tcp = (l: string) => /^(.*: Flags \[)([^\]]*)\]/.exec(l);
  const sent = (reply: string, l: string) => {
    const p = tcp(reply), q = tcp(l);
    if (!p || !q) return reply === l;
    return p[1] === q[1] && [...p[2]!].every((f) => q[2]!.includes(f));
  };
  it('has one record per captured frame, and every predicted reply was really sent by the host', () => {
    expect(golden.length).toBe(real.length);
    let replies = 0;
    for (const r of golden) {
      for (const rep of r.replies ?? []) {
        replies++;
        const later = real.slice(r.frame);
        expect(later.some((l) => sent(rep.summary, l)), `frame ${r.frame}: reply ${rep.summary} not sent by the host`).toBe(true);
      }
    }
    expect(replies).toBeGreaterThan(5);
  });
});

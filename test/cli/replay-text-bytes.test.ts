// replay --format text writes its lines as bytes (src/cli/replay-text.ts): the summary made from
// the item's captured bytes into the output buffer, the fate part from cached bytes. Each line
// must be textLine(item) with the replay's own summary (the string code it replaces, still used
// with --where), byte for byte: compared on the bundled captures, every kernel fixture with its
// snapshot, and a generated capture of ordinary traffic through the bench's router snapshot.
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openReplay } from '../../src/replay.js';
import { loadHost, loadHostFromFiles } from '../../src/host/load.js';
import type { Host } from '../../src/host/types.js';
import { textLine } from '../../src/cli/replay.js';
import { TextLines } from '../../src/cli/replay-text.js';
import { Out } from '../../src/cli/out.js';
import { generateOrdinaryPcap } from '../../src/bench/gen-ordinary.js';
import { benchHostFiles } from '../../src/bench/replay-bench.js';

import { replayCases } from '../replay-cases.js';

const ROOT = path.resolve(__dirname, '../..');

function compare(file: string, host: Host, iface?: string): number {
  const src = openReplay(file, host, { checksums: 'auto', iface, summaries: true, events: false });
  let got = '';
  const out = new Out((s) => { got += s; });
  const lines = new TextLines(out, { ifaceColumn: true });
  let want = '';
  let n = 0;
  try {
    for (let it = src.next(); it; it = src.next()) {
      want += textLine(it) + '\n';
      lines.line(it);
      n++;
    }
  } catch (e) {
    if ((e as Error).name !== 'CaptureError') throw e;
  } finally {
    src.close();
  }
  out.flush();
  expect(got, file).toBe(want);
  return n;
}

describe('replay --format text: byte-built lines', () => {
  it('are textLine() on the bundled captures and every kernel fixture', () => {
    const cases = replayCases();
    expect(cases.length).toBeGreaterThan(20);
    let frames = 0;
    for (const [f, h] of cases) frames += compare(path.join(ROOT, f), loadHost(path.join(ROOT, h)));
    expect(frames).toBeGreaterThan(900);
  }, 120_000);

  it('are textLine() on ordinary traffic through a router (long TCP flows, UDP, IPv6)', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-text-'));
    const cap = path.join(tmp, 'ordinary.pcap');
    generateOrdinaryPcap(cap, 5000);
    expect(compare(cap, loadHostFromFiles(benchHostFiles()), 'eth0')).toBe(5000);
  });
});

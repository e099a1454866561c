// A frame cut by the capture's snaplen was whole on the wire: the kernel saw all of it. The kernel
// recorded fixtures/kernel/router with whole frames; here the same frames are cut to their first
// 42 bytes (Ethernet, a 20-byte IPv4 header and 8 bytes of transport header: the ports) in a
// pcapng whose EPBs keep the original length, and the model must give each frame the fate the
// kernel gave the whole frame (ip_rcv_core compares tot_len with skb->len, the wire length:
// a cut frame is not PKT_TOO_SMALL), or say what it could not check (unsupported). The frame the
// kernel dropped as PKT_TOO_SMALL (shorter on the wire than its tot_len) still is.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/reader.js';
import { loadHost } from '../../src/host/load.js';
import { replayAll } from '../../src/report/golden.js';
import { parseGolden } from '../../src/report/compare.js';
import { cat, epb, idb, shb, str } from '../capture/build.js';

const FX = path.resolve(__dirname, '../../fixtures/kernel/router');
const CUT = 42;

function cutCopy(): string {
  const le = true;
  const parts: Uint8Array[] = [shb(le)];
  const ifaces: string[] = [];
  const recs: Uint8Array[] = [];
  for (const f of openCapture(path.join(FX, 'frames.pcapng'))) {
    const name = f.iface.name!;
    let id = ifaces.indexOf(name);
    if (id < 0) {
      id = ifaces.push(name) - 1;
      parts.push(idb(le, 1, CUT, [[2, str(name)]])); // if_name; snaplen CUT; microsecond timestamps
    }
    const us = BigInt(f.tsSec) * 1_000_000n + BigInt(Math.floor(f.tsNsec / 1000));
    recs.push(epb(le, id, us, f.data.slice(0, CUT), [], f.len));
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pktlife-snaplen-')), 'router-cut.pcapng');
  fs.writeFileSync(file, cat(...parts, ...recs));
  return file;
}

describe('snaplen-cut frames keep the fate the kernel gave the whole frame (fixtures/kernel/router)', () => {
  it('every frame: the kernel\'s fate, or unsupported', () => {
    const file = cutCopy();
    const caps = [...openCapture(file)].map((f) => [f.caplen, f.len]);
    const kernel = parseGolden(fs.readFileSync(path.join(FX, 'expected.ndjson'), 'utf8'), 'expected.ndjson');
    const items = replayAll(file, loadHost(path.join(FX, 'host')), { checksums: 'auto' });
    expect(items.length).toBe(kernel.length);
    const got: string[] = [], want: string[] = [];
    let cutAndCompared = 0;
    for (let i = 0; i < items.length; i++) {
      const r = items[i]!.record, k = kernel[i]!;
      if (r.unsupported?.length) continue;
      if (caps[i]![0]! < caps[i]![1]!) cutAndCompared++;
      got.push(`${k.frame} ${r.fate} ${r.reason ?? '-'} ${(r.egress ?? []).join(',')}`);
      want.push(`${k.frame} ${k.fate} ${k.reason ?? '-'} ${(k.egress ?? []).join(',')}`);
    }
    expect(got).toEqual(want);
    // the check reached the frames it is about: cut ones, forwarded and the wire-short one among them
    expect(cutAndCompared).toBeGreaterThan(10);
    expect(want.filter((w) => w.includes(' forwarded ')).length).toBeGreaterThan(5);
    expect(want.some((w) => w.includes('PKT_TOO_SMALL'))).toBe(true);
  });
});

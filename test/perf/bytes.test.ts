// The model never leaves its writes in the captured bytes the caller gets as item.bytes (the UI's
// hex view and filters read them): forwarding decrements the TTL and rewrites the MACs either in
// place, with the driver putting the captured header bytes back after the frame
// (skb_ensure_writable(write_len) + restore_captured), or in a copy (NAT, whole-frame writes).
// Compared with a second, independent read of the same file.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { openCapture } from '../../src/capture/reader.js';
import { loadHost } from '../../src/host/load.js';
import { openReplay } from '../../src/replay.js';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('replay leaves the captured bytes as they were', () => {
  for (const name of ['router', 'nat', 'bridge']) {
    it(`fixtures/kernel/${name}`, () => {
      const cap = join(ROOT, 'fixtures/kernel', name, 'frames.pcapng');
      const orig: string[] = [];
      const r = openCapture(cap);
      for (let f = r.next(); f; f = r.next()) orig.push(Buffer.from(f.data).toString('hex'));
      r.close();
      const src = openReplay(cap, loadHost(join(ROOT, 'fixtures/kernel', name, 'host')), { checksums: 'verify', events: false });
      const after: string[] = [];
      let changedByModel = 0;
      for (let it = src.next(); it; it = src.next()) {
        after.push(Buffer.from(it.bytes!).toString('hex'));
        if (it.record.fate === 'forwarded' || it.record.fate === 'bridged') changedByModel++;
      }
      src.close();
      // the scenario does forward frames (so the model did write to its copies)
      if (name !== 'bridge') expect(changedByModel).toBeGreaterThan(0);
      expect(after).toEqual(orig);
    });
  }
});

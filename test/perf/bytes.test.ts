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
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { udp4 } from '../kernel/helpers.js';

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

  it('a raw-IP capture larger than the read buffer, forwarded (the frame moves to a buffer with room for an Ethernet header)', () => {
    // LINKTYPE_RAW frames have no link header: writeEthHeader builds the frame anew after the TTL was
    // written in place; the captured TTL span must go back where it was taken, not to the new start.
    // 2,500 frames of 1,228 bytes (3 MB): the reader compacts its 1 MiB buffer, so a byte put back at
    // the wrong offset would land in a frame not yet read.
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 2500; i++) frames.push(udp4('10.0.1.2', '10.0.2.2', 40000 + (i % 1000), 53, new Uint8Array(1200).fill(i & 0xff), { id: i & 0xffff }));
    const parts: Buffer[] = [];
    const hdr = Buffer.alloc(24);
    hdr.writeUInt32LE(0xa1b2c3d4, 0);
    hdr.writeUInt16LE(2, 4);
    hdr.writeUInt16LE(4, 6);
    hdr.writeUInt32LE(65535, 16);
    hdr.writeUInt32LE(101, 20); // LINKTYPE_RAW
    parts.push(hdr);
    frames.forEach((f, i) => {
      const rec = Buffer.alloc(16);
      rec.writeUInt32LE(1_700_000_000 + i, 0);
      rec.writeUInt32LE(f.length, 8);
      rec.writeUInt32LE(f.length, 12);
      parts.push(rec, Buffer.from(f));
    });
    const cap = join(mkdtempSync(join(tmpdir(), 'pktlife-raw-')), 'raw.pcap');
    writeFileSync(cap, Buffer.concat(parts));
    const src = openReplay(cap, loadHost(join(ROOT, 'fixtures/kernel/router/host')), { checksums: 'verify', events: false, iface: 'eth0' });
    let i = 0;
    let forwarded = 0;
    for (let it = src.next(); it; it = src.next(), i++) {
      expect(Buffer.from(it.bytes!).equals(Buffer.from(frames[i]!))).toBe(true);
      if (it.record.fate === 'forwarded') forwarded++;
    }
    src.close();
    expect(i).toBe(frames.length);
    expect(forwarded).toBe(frames.length);
  });
});

// The timeline's rows made in the replay worker's way (row-encoder.ts: the replay opened without
// summaries, each summary made from the item's bytes, rows sent in batches) must show what the
// replay's items say, frame by frame: record, summary, header bytes, time, interface, counts.
// Compared against the items of a second replay with summaries (the path the UI thread's pump
// and the old store took) on the bundled captures, every kernel fixture with its snapshot and
// generated ordinary traffic through the bench's router; and the detail pane built from both
// stores line for line.
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openReplay } from '../../src/replay.js';
import { loadHost, loadHostFromFiles } from '../../src/host/load.js';
import type { Host } from '../../src/host/types.js';
import { RowStore, HEAD_BYTES } from '../../src/ui/store.js';
import { RowEncoder } from '../../src/ui/row-encoder.js';
import { headerEnd } from '../../src/ui/decode.js';
import { buildDetail } from '../../src/ui/detail.js';
import { CtIndex } from '../../src/ui/conntrack.js';
import { generateOrdinaryPcap } from '../../src/bench/gen-ordinary.js';
import { benchHostFiles } from '../../src/bench/replay-bench.js';
import type { ReplayItem } from '../../src/replay-types.js';
import type { FateRecord } from '../../src/kernel/fate.js';

import { replayCases } from '../replay-cases.js';

const ROOT = path.resolve(__dirname, '../..');

interface Want { frame: number; tsSec: number; tsNsec: number; iface: string | null; summary: string; record: FateRecord; head: Buffer; linktype: number }

/** the replay as the UI thread's pump runs it (summaries made by the replay), and a store filled by add() */
function viaItems(file: string, host: Host, iface?: string): { want: Want[]; store: RowStore } {
  const src = openReplay(file, host, { checksums: 'auto', iface, summaries: true, events: true });
  const store = new RowStore();
  const want: Want[] = [];
  try {
    for (let it = src.next(); it; it = src.next()) {
      const b = it.bytes!;
      want.push({ frame: it.frame, tsSec: it.tsSec, tsNsec: it.tsNsec, iface: it.iface, summary: it.summary, record: JSON.parse(JSON.stringify(it.record)) as FateRecord, head: Buffer.from(b.subarray(0, headerEnd(b.subarray(0, HEAD_BYTES), it.linktype ?? 0))), linktype: it.linktype ?? 0 });
      store.add(it);
    }
  } catch (e) {
    if ((e as Error).name !== 'CaptureError') throw e;
  } finally {
    src.close();
  }
  return { want, store };
}

/** the worker's way: no summaries from the replay, batches of `every` rows copied as for a transfer, the store's columns grown ahead */
function viaBatches(file: string, host: Host, every: number, iface?: string): RowStore {
  const src = openReplay(file, host, { checksums: 'auto', iface, summaries: false, events: true });
  const enc = new RowEncoder({ summariesFromBytes: { ifaceColumn: true } });
  const store = new RowStore();
  try {
    for (let it: ReplayItem | null = src.next(); it; it = src.next()) {
      enc.add(it);
      if (enc.n >= every) {
        store.appendBatch(enc.take(true));
        // as the worker pump does between batches: columns grown one at a time ahead of need,
        // rows appended while some are grown and some not (batches of 4096 grow all at once)
        if (every < 4096) store.growAhead();
      }
    }
  } catch (e) {
    if ((e as Error).name !== 'CaptureError') throw e;
  } finally {
    src.close();
  }
  if (enc.n) store.appendBatch(enc.take(true));
  return store;
}

function compare(file: string, host: Host, iface: string | undefined, batchSizes: number[]): number {
  const { want, store: added } = viaItems(file, host, iface);
  for (const every of batchSizes) {
    const s = viaBatches(file, host, every, iface);
    expect(s.count, file).toBe(want.length);
    const ctA = new CtIndex();
    const ctB = new CtIndex();
    for (let i = 0; i < want.length; i++) {
      const w = want[i]!;
      const where = `${file} frame ${w.frame} (batches of ${every})`;
      expect(s.record(i), where).toEqual(w.record);
      expect(s.summary(i), where).toBe(w.summary);
      expect(Buffer.from(s.bytes(i)).equals(w.head), where).toBe(true);
      expect([s.frameNo[i], s.tsSec[i], s.tsNsec[i], s.ifaceName(i), s.linktype[i], s.fateName(i), s.reasonName(i), s.copyOf[i], s.unsup[i], s.hasCt[i]], where)
        .toEqual([w.frame, w.tsSec, w.tsNsec, w.iface ?? '', w.linktype, w.record.fate, w.record.reason ?? '', w.record.copy_of ?? 0, w.record.unsupported?.length ? 1 : 0, added.hasCt[i]]);
      expect(s.record(i), where).toEqual(added.record(i));
      expect(buildDetail(s, i, ctB), where).toEqual(buildDetail(added, i, ctA));
    }
    for (const k of ['drops', 'fateCounts', 'reasonCounts', 'ruleHits', 'otherFates', 'copies', 'firstTs', 'unsupportedCount', 'reasons', 'ifaces'] as const) expect(s[k], `${file} ${k}`).toEqual(added[k]);
  }
  return want.length;
}

describe('timeline rows made in batches (the replay worker\'s way)', () => {
  it('show what the replay items say on the bundled captures and every kernel fixture', () => {
    const cases = replayCases();
    expect(cases.length).toBeGreaterThan(20);
    let frames = 0;
    for (const [f, h] of cases) frames += compare(path.join(ROOT, f), loadHost(path.join(ROOT, h)), undefined, [7]);
    expect(frames).toBeGreaterThan(900);
  }, 180_000);

  it('show what the replay items say on ordinary traffic through a router (long TCP flows, UDP, IPv6)', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'row-batch-'));
    const cap = path.join(tmp, 'ordinary.pcap');
    generateOrdinaryPcap(cap, 1500);
    expect(compare(cap, loadHostFromFiles(benchHostFiles()), 'eth0', [1, 4096])).toBe(1500);
    fs.rmSync(tmp, { recursive: true, force: true });
  }, 60_000);
});

// The store keeps records encoded (events as ids of distinct events, the rest as ids of distinct
// shapes, replies as JSON): record(i) must give back exactly what was added, however deep the
// difference between two rows, and rows share the objects of identical events.
import { describe, expect, it } from 'vitest';
import { RowStore } from '../../src/ui/store.js';
import { sharedEvent, type FateRecord } from '../../src/kernel/fate.js';

const base = (frame: number, what = 'ttl 64 -> 63', dev?: string): FateRecord => ({
  frame,
  fate: 'forwarded',
  egress: ['eth1'],
  verdicts: [{ hook: 'forward', family: 'ip', table: 'filter', chain: 'FORWARD', verdict: 'accept', rule: '-A FORWARD -j ACCEPT', source: 'iptables.rules:3' }],
  events: [
    { fn: 'ip_rcv_core', what: `10.0.0.2 > 10.0.1.2 ttl 64 proto 6 len ${40 + frame}` },
    { fn: 'ip_decrease_ttl', what, diff: { ttl: [64, 63] }, ...(dev ? { dev } : {}) },
    { fn: 'dev_queue_xmit', what: 'transmitted', dev: 'eth1' },
  ],
});
const add = (s: RowStore, r: FateRecord) => s.add({ frame: r.frame, tsSec: 0, tsNsec: 0, iface: 'eth0', summary: '', record: r });

describe('record encoding', () => {
  it('gives back every record as added, differences deep inside included', () => {
    const s = new RowStore();
    const recs = [base(1), base(2, 'ttl 64 -> 62'), base(3), base(4, 'ttl 64 -> 63', 'eth0'), base(5), base(6)];
    recs[2].events[1].diff = { ttl: [64, 62] };
    recs[4].reason = 'X';
    recs[4].fate = 'dropped';
    recs[5].replies = [{ iface: 'eth0', summary: 'IP 10.0.1.2 > 10.0.0.2: ICMP time exceeded in-transit, length 36' }];
    recs[5].socket = 'tcp 0.0.0.0:22';
    recs[5].unsupported = ['nat: something'];
    for (const r of recs) add(s, r);
    for (let i = 0; i < recs.length; i++) expect(s.record(i)).toEqual(recs[i]);
    expect(s.unsup[5]).toBe(1);
    expect(s.unsup[0]).toBe(0);
  });

  it('takes shared (deep-frozen) steps and frozen egress lists by identity, and still gives every record back as added', () => {
    // one text for many steps (a router's neigh_hh_output for each client's MAC): the diff tells them apart
    const hh = Array.from({ length: 40 }, (_, k) => sharedEvent({ fn: 'neigh_hh_output', what: 'eth 02:00:00:00:02:fe > 02:00:00:00:02:01', diff: { 'eth.src': [`02:00:00:00:10:${k}`, '02:00:00:00:02:fe'] as [string, string] } }));
    const eth1 = Object.freeze(['eth1']);
    const both = Object.freeze(['eth1', 'eth2']);
    const s = new RowStore();
    const recs: FateRecord[] = [];
    for (let i = 0; i < 200; i++) {
      const r: FateRecord = { frame: i + 1, fate: 'forwarded', egress: (i % 3 ? eth1 : both) as string[], events: [hh[(i * 7) % hh.length]!, { fn: 'x', what: `fresh ${i}` }] };
      if (i % 10 === 0) r.socket = 'tcp 0.0.0.0:22';
      recs.push(r);
      add(s, r);
    }
    for (let i = 0; i < recs.length; i++) expect(s.record(i)).toEqual(recs[i]);
    // the same shared step is one dictionary entry: the same object back for each row showing it
    expect(s.record(0).events[0]).toBe(s.record(40).events[0]);
    expect(s.record(0).events[0]).not.toBe(s.record(1).events[0]);
  });

  it('shares identical events between rows', () => {
    const s = new RowStore();
    add(s, base(1));
    add(s, base(2));
    expect(s.events(1)[2]).toBe(s.events(0)[2]);
    expect(s.events(1)[0]).not.toBe(s.events(0)[0]); // different lengths
  });

  it('treats a key holding undefined as absent (as JSON does)', () => {
    const s = new RowStore();
    const r = base(1);
    (r.events[2] as { dev?: string }).dev = undefined;
    add(s, r);
    expect(s.record(0).events[2]).toEqual({ fn: 'dev_queue_xmit', what: 'transmitted' });
  });
});

describe('past the event dictionary (65,536 distinct events)', () => {
  it('gives back events kept as JSON beside the 16-bit ids, rows before and after intact', () => {
    const s = new RowStore();
    // each record brings one new ip_rcv_core text (its length): 70,000 distinct events
    const n = 70_000;
    for (let i = 1; i <= n; i++) add(s, base(i));
    for (const i of [0, 1, 65_533, 65_534, 65_535, 65_536, 65_537, n - 1]) expect(s.record(i)).toEqual(base(i + 1));
  });

  it('keeps steps made afresh per frame ({fn, what} only) as text, and distinct steps with more fields as JSON past the dictionary', () => {
    const s = new RowStore();
    const n = 70_000;
    // each record: a plain step, a step with a device (distinct: past 65,534 it goes to the JSON pool), a shared one
    const rec = (i: number): FateRecord => ({ frame: i, fate: 'forwarded', events: [
      { fn: 'ip_rcv_core', what: `10.0.0.2 > 10.0.1.2 ttl 64 proto 6 len ${i} ‘é’` },
      { fn: 'nf_conntrack_in', what: `new ${i}`, dev: 'eth0' },
      { fn: 'ip6_rcv_core', what: `2001:db8::${(i % 65536).toString(16)} > 2001:db8::1` },
      { fn: 'dev_queue_xmit', what: 'transmitted', dev: 'eth1' },
    ] });
    for (let i = 1; i <= n; i++) add(s, rec(i));
    for (const i of [0, 1, 65_532, 65_533, 65_534, 65_535, 65_536, n - 1]) expect(s.record(i)).toEqual(rec(i + 1));
    // the conntrack step marks the row, whichever pool holds it
    expect(s.hasCt[0]).toBe(1);
    expect(s.hasCt[n - 1]).toBe(1);
    expect(s.someEvent(n - 1, (e) => e.what === `new ${n}`)).toBe(true);
    expect(s.someEvent(n - 1, (e) => e.fn === 'ip6_rcv_core' && e.what.startsWith('2001:db8::'))).toBe(true);
  });
});

describe('summaries and bytes past the 4 MiB chunks of the pools', () => {
  it('reads back every summary and every frame head, entries across a chunk boundary included', () => {
    const s = new RowStore();
    const n = 60_000; // 60 k x ~130 UTF-8 bytes of summary and ~93 bytes of head: > 4 MiB each
    const sum = (k: number) => `IP 10.0.${k % 256}.1.${k} > 10.0.0.2.22: Flags [S], seq ${k} ‘quoted’ ${'x'.repeat(k % 97)}`;
    const head = (k: number) => Uint8Array.from({ length: 60 + (k % 67) }, (_, j) => (k * 7 + j) & 255); // lengths vary: entries straddle chunks
    for (let k = 0; k < n; k++) s.add({ frame: k + 1, tsSec: 0, tsNsec: 0, iface: 'eth0', summary: sum(k), record: { frame: k + 1, fate: 'consumed', events: [] }, bytes: head(k), linktype: 1 });
    const bad: number[] = [];
    for (let k = 0; k < n && bad.length < 5; k++) if (s.summary(k) !== sum(k) || !Buffer.from(s.bytes(k)).equals(Buffer.from(head(k)))) bad.push(k);
    expect(bad).toEqual([]);
  });
});

describe('a fate the contract does not know', () => {
  it('is counted as other and shown as given, never as one of the five', () => {
    const s = new RowStore();
    s.add({ frame: 1, tsSec: 0, tsNsec: 0, iface: 'eth0', summary: '', record: { frame: 1, fate: 'stolen' as never, events: [] } });
    s.add({ frame: 2, tsSec: 0, tsNsec: 0, iface: 'eth0', summary: '', record: { frame: 2, fate: 'dropped', reason: 'X', events: [] } });
    expect(s.fateName(0)).toBe('stolen');
    expect(s.record(0).fate).toBe('stolen');
    expect(s.otherFates.get('stolen')).toBe(1);
    expect(s.drops).toEqual([1]);
  });
});

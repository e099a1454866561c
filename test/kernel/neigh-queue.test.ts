// Neighbour resolution over capture time, through the replay driver: a packet queued on an
// INCOMPLETE neighbour gets its fate when a later frame answers (net/core/neighbour.c
// __neigh_event_send queues it on arp_queue; neigh_update sends the queue once the entry is valid)
// and records still leave in frame order (src/replay-hold.ts). Host: fixtures/kernel/neigh-unresolved
// (router eth0 10.0.1.1/24, eth1 10.0.2.1/24; 10.0.2.3 has no neighbour entry).
import { describe, expect, it } from 'vitest';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';
import { captureFromBuffer } from '../../src/capture/reader.js';
import { loadHost } from '../../src/host/load.js';
import type { FateRecord } from '../../src/kernel/fate.js';
import { replaySource } from '../../src/replay.js';
import { HoldQueue, MAX_HELD } from '../../src/replay-hold.js';
import { NeighHold } from '../../src/kernel/neigh/queue.js';
import { arpBody } from './bridge-helpers.js';
import { eth, udp4 } from './helpers.js';

const HOSTDIR = new URL('../../fixtures/kernel/neigh-unresolved/host', import.meta.url).pathname;
const R0 = '02:00:00:00:01:01', C0 = '02:00:00:00:01:02', R1 = '02:00:00:00:02:01', N3 = '02:00:00:00:02:33';

interface F { iface: 'eth0' | 'eth1'; data: Uint8Array; ms: number }
const toDead = (ms: number, id: number): F => ({ iface: 'eth0', ms, data: eth(R0, C0, 0x0800, udp4('10.0.1.2', '10.0.2.3', 42000 + id, 53, new Uint8Array(4), { id })) });
const toLive = (ms: number, id: number): F => ({ iface: 'eth0', ms, data: eth(R0, C0, 0x0800, udp4('10.0.1.2', '10.0.2.2', 42000 + id, 53, new Uint8Array(4), { id })) });
const arpReply = (ms: number): F => ({ iface: 'eth1', ms, data: eth(R1, N3, 0x0806, arpBody(2, N3, '10.0.2.3', R1, '10.0.2.1')) });

function replayFrames(frames: F[]): FateRecord[] {
  const host = loadHost(HOSTDIR);
  const w = new PcapngWriter();
  const ifs = { eth0: w.addInterface({ name: 'eth0', linktype: 1 }), eth1: w.addInterface({ name: 'eth1', linktype: 1 }) };
  for (const f of frames) w.writePacket({ iface: ifs[f.iface], tsSec: 1_700_000_000 + Math.floor(f.ms / 1000), tsNsec: (f.ms % 1000) * 1e6, data: f.data });
  const src = replaySource(captureFromBuffer(w.close(), 'mem.pcapng'), 'mem', host, { checksums: 'verify' });
  const out: FateRecord[] = [];
  for (let it = src.next(); it; it = src.next()) {
    expect(it.frame).toBe(out.length + 1);
    out.push(JSON.parse(JSON.stringify(it.record)) as FateRecord);
  }
  src.close();
  return out;
}

describe('a packet to an INCOMPLETE neighbour waits for the answer', () => {
  it('leaves when the ARP reply arrives (forwarded by eth1, the delay in its timeline); later frames keep their order', () => {
    const r = replayFrames([toDead(0, 1), toLive(100, 2), arpReply(500), toDead(600, 4)]);
    expect(r.map((x) => x.fate)).toEqual(['forwarded', 'forwarded', 'consumed', 'forwarded']);
    expect(r[0]!.egress).toEqual(['eth1']);
    expect(r[0]!.reason).toBeUndefined();
    // one solicitation went out before the answer came (the second was due at 1 s)
    expect(r[0]!.replies).toEqual([{ iface: 'eth1', summary: 'ARP, Request who-has 10.0.2.3 tell 10.0.2.1, length 28' }]);
    const ev = r[0]!.events.map((e) => `${e.fn}: ${e.what}`);
    expect(ev.some((e) => /^neigh_resolve_output: 10\.0\.2\.3 NONE -> INCOMPLETE: skb queued on arp_queue/.test(e))).toBe(true);
    expect(ev.some((e) => e === 'neigh_update: 10.0.2.3 resolved by frame 3 after 500 ms: the queued skb leaves with lladdr 02:00:00:00:02:33')).toBe(true);
    expect(r[2]!.events.some((e) => e.fn === 'neigh_update' && e.what.includes('INCOMPLETE -> REACHABLE, 1 queued skb(s) transmitted'))).toBe(true);
    expect(r[3]!.replies).toBeUndefined();
  });
  it('no answer within mcast_solicit x retrans_time: NEIGH_FAILED with 3 requests and ICMP host unreachable, decided by a later frame\'s time', () => {
    const r = replayFrames([toDead(0, 1), toLive(2000, 2), toLive(3500, 3)]);
    expect(r.map((x) => `${x.fate} ${x.reason ?? ''}`)).toEqual(['dropped NEIGH_FAILED', 'forwarded ', 'forwarded ']);
    const arp = 'eth1 ARP, Request who-has 10.0.2.3 tell 10.0.2.1, length 28';
    // as the kernel fixture neigh-unresolved recorded it (frame 1)
    expect(r[0]!.replies!.map((x) => `${x.iface} ${x.summary}`)).toEqual([arp, arp, arp, 'eth0 IP 10.0.1.1 > 10.0.1.2: ICMP host 10.0.2.3 unreachable, length 40']);
  });
  it('an answer after the entry failed does not bring the packet back', () => {
    const r = replayFrames([toDead(0, 1), arpReply(3200)]);
    expect(r[0]).toMatchObject({ fate: 'dropped', reason: 'NEIGH_FAILED' });
  });
  it('the capture ends first: the outcome without an answer, said in the timeline', () => {
    const r = replayFrames([toDead(0, 1)]);
    expect(r[0]).toMatchObject({ fate: 'dropped', reason: 'NEIGH_FAILED' });
    expect(r[0]!.events.some((e) => e.what.includes('the capture ends before that time'))).toBe(true);
  });
});

describe('HoldQueue', () => {
  const item = (n: number) => ({ record: { frame: n, fate: 'consumed', events: [] } as FateRecord, detach: () => 10 });
  it('keeps frame order behind a held record and applies its outcome first', () => {
    const q = new HoldQueue<ReturnType<typeof item>>();
    const h = new NeighHold();
    h.pending = 1;
    expect(q.offer(item(1), h)).toBeNull();
    expect(q.offer(item(2), null)).toBeNull();
    expect(q.take()).toBeNull();
    h.patch((r) => { r.fate = 'forwarded'; });
    h.pending = 0;
    const a = q.take()!;
    expect([a.record.frame, a.record.fate]).toEqual([1, 'forwarded']);
    expect(q.take()!.record.frame).toBe(2);
    expect(q.take()).toBeNull();
    expect(q.offer(item(3), null)!.record.frame).toBe(3);
  });
  it('bounded: past MAX_HELD the head leaves with its outcome so far and a note', () => {
    const q = new HoldQueue<ReturnType<typeof item>>();
    const h = new NeighHold();
    h.pending = 1;
    q.offer(item(1), h);
    for (let i = 2; i <= MAX_HELD + 1; i++) q.offer(item(i), null);
    expect(q.size).toBe(MAX_HELD + 1);
    const head = q.take()!;
    expect(head.record.frame).toBe(1);
    expect(head.record.unsupported?.[0]).toMatch(/given out as if no answer came/);
    expect(h.released).toBe(true);
  });
});

// The input-route memo (src/kernel/route/dst_cache.ts): ip_route_input_noref answers a repeated
// flow key from the memo, with the timeline on (the lookup's steps kept with the answer) and off.
// Checked here against the uncached lookup (memos emptied before each call) for many flows on
// hosts with policy rules, rp_filter, martians, blackhole and prohibit routes, asking every key
// several times so most answers come from the memo: same route, same notes, same timeline steps.
import { describe, it, expect } from 'vitest';
import { loadHost } from '../../src/host/load.js';
import type { Host, NetDevice } from '../../src/host/types.js';
import { createNet } from '../../src/kernel/net.js';
import { FrameCtx } from '../../src/kernel/ctx.js';
import { ip_route_input_noref } from '../../src/kernel/ipv4/route.js';
import { RouteMemo, routeMemoMiss, type RouteMemoEntry } from '../../src/kernel/route/dst_cache.js';
import { SAMPLES } from './helpers.js';

const KERNEL = new URL('../../fixtures/kernel/', import.meta.url).pathname;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** addresses worth asking about: the host's own, its routes' prefixes (and neighbours of them), martians */
function candidates(host: Host): number[] {
  const out = new Set<number>([0, 0xffffffff, 0x7f000001, 0xe0000001, 0xe0000005, 0x0a000001, 0xc0a80001, 0x08080808]);
  for (const d of host.devices) for (const a of d.addrs) if (a.family === 4) {
    const l = a.local as number;
    out.add(l);
    out.add((l + 1) >>> 0);
    out.add((l ^ 0xff) >>> 0);
  }
  for (const r of host.routes) if (r.family === 4) {
    const d = r.dst as number;
    out.add(d);
    out.add((d + 2) >>> 0);
    out.add((d + 0x10203) >>> 0);
  }
  return [...out];
}

/** the uncached answer: every memo of `net` emptied first */
function uncached(net: ReturnType<typeof createNet>): void {
  net.rtInput4.clear();
  net.rtInput4Traced.clear();
}

function same(host: Host, label: string): number {
  const ref = createNet(host, { checksums: 'verify' });
  const net = createNet(host, { checksums: 'verify' });
  const refTraced = new FrameCtx();
  const refQuiet = new FrameCtx();
  refQuiet.tracing = false;
  const traced = new FrameCtx();
  const quiet = new FrameCtx();
  quiet.tracing = false;
  const r = rng(7);
  const addrs = candidates(host);
  const nonLo = host.devices.filter((d: NetDevice) => d.kind !== 'loopback');
  const devs = nonLo.length ? nonLo : host.devices;
  const keys: [number, number, number, NetDevice, number, number, number, number][] = [];
  for (let i = 0; i < 400; i++) {
    const pick = <T,>(l: T[]): T => l[Math.floor(r() * l.length)];
    keys.push([pick(addrs), pick(addrs), pick([0, 0, 0x10, 0xb8]), pick(devs), pick([0, 0, 0x10, 0x110]), pick([6, 17, 1]), pick([22, 80, 1500, 40000]), pick([80, 443, 1000, 53])]);
  }
  let hits = 0;
  for (let round = 0; round < 3; round++) {
    for (const [daddr, saddr, tos, dev, mark, proto, sport, dport] of keys) {
      const what = `${label} ${daddr.toString(16)} <- ${saddr.toString(16)} on ${dev.name}`;
      for (const [want, got] of [[refTraced, traced], [refQuiet, quiet]]) {
        want.reset(1);
        got.reset(1);
        uncached(ref);
        const a = ip_route_input_noref(ref, daddr, saddr, tos, dev, mark, proto, sport, dport, want);
        const b = ip_route_input_noref(net, daddr, saddr, tos, dev, mark, proto, sport, dport, got);
        expect(b, what).toEqual(a);
        expect(got.unsupported, what).toEqual(want.unsupported);
        expect(got.events, what).toEqual(want.events);
      }
      if (round > 0) hits++;
    }
  }
  return hits;
}

describe('input-route memo (dst_cache.ts)', () => {
  for (const name of ['router', 'rules', 'addrs', 'bridge', 'fresh']) {
    it(`gives the uncached answer on host sample ${name}`, () => {
      expect(same(loadHost(SAMPLES + name), name)).toBeGreaterThan(0);
    });
  }
  for (const name of ['policy-routing', 'rp-filter', 'martians', 'router-noforward', 'nat']) {
    it(`gives the uncached answer on the kernel fixture host ${name}`, () => {
      expect(same(loadHost(KERNEL + name + '/host'), name)).toBeGreaterThan(0);
    });
  }

  it('keeps two keys per set and replaces the one used less recently', () => {
    const m = new RouteMemo<string>(2, undefined, 0); // one set: every key collides
    const put = (a: number, b: number, v: string) => {
      m.k[0] = a;
      m.k[1] = b;
      expect(m.get()).toBeUndefined();
      m.set(v);
    };
    const get = (a: number, b: number) => {
      m.k[0] = a;
      m.k[1] = b;
      return m.get();
    };
    put(1, 2, 'a');
    put(3, 4, 'b');
    expect(get(1, 2)).toBe('a');
    expect(get(3, 4)).toBe('b');
    expect(get(1, 2)).toBe('a'); // (3,4) is now the older one
    put(5, 6, 'c');
    expect(get(3, 4)).toBeUndefined();
    expect(get(1, 2)).toBe('a');
    expect(get(5, 6)).toBe('c');
    expect(get(2, 1)).toBeUndefined(); // same words, other order
  });
});

// The memo's own contract, by hand: a stored key is found again, clear() forgets it, and a lookup
// whose note is already on the frame does not add it twice.
describe('RouteMemo and routeMemoMiss, hand-checked', () => {
  it('finds a stored key, misses another, and forgets everything on clear()', () => {
    const m = new RouteMemo<string>(2);
    m.k[0] = 1; m.k[1] = 2;
    expect(m.get()).toBeUndefined();
    m.set('a');
    m.k[0] = 1; m.k[1] = 3;
    expect(m.get()).toBeUndefined();
    m.k[0] = 1; m.k[1] = 2;
    expect(m.get()).toBe('a');
    m.clear();
    expect(m.get()).toBeUndefined();
  });
  it('keeps two keys of one set and replaces the less recently used on a third', () => {
    // one set (setsLog2 0): the two ways hold a and b; asking a makes b the older; c replaces b
    const m = new RouteMemo<string>(1, undefined, 0);
    const at = (x: number) => { m.k[0] = x; return m.get(); };
    at(1); m.set('a');
    at(2); m.set('b');
    expect([at(1), at(2)]).toEqual(['a', 'b']);
    at(1);
    at(3); m.set('c');
    expect([at(1), at(2), at(3)]).toEqual(['a', undefined, 'c']);
  });
  it('a result with a note is not kept, and the note already on the frame is not added twice', () => {
    const memo = new RouteMemo<RouteMemoEntry<number>>(1);
    const ctx = { unsupported: ['x not modelled'], events: [], tracing: false } as unknown as FrameCtx;
    memo.k[0] = 7;
    expect(memo.get()).toBeUndefined();
    const rt = routeMemoMiss(memo, ctx, () => { ctx.unsupported.push('x not modelled', 'y not modelled'); return 5; });
    expect(rt).toBe(5);
    expect(ctx.unsupported).toEqual(['x not modelled', 'y not modelled']);
    memo.k[0] = 7;
    expect(memo.get()).toBeUndefined();
  });
});

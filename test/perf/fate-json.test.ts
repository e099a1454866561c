// fateToJSON writes exactly what JSON.stringify writes for the record (fields in schema order,
// empty lists and absent fields left out) - the oracle below is the plain JSON.stringify version
// it replaced. Checked over every record of every bundled capture and kernel fixture with the
// timeline on, the example's rule set, and hand-made records: strings JSON escapes (quotes,
// backslashes, control characters, lone surrogates), non-ASCII, odd numbers, nested and
// non-plain values, and records that look alike to the serialiser's cache but are not.
import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadHost, loadHostFromFiles } from '../../src/host/load.js';
import { openReplay } from '../../src/replay.js';
import { withRules } from '../../src/report/rules-override.js';
import { fateToJSON as fateToJSONText, fateToJSONInto, sharedEvent, type FateRecord, type TimelineEvent } from '../../src/kernel/fate.js';
import { JsonLine } from '../../src/cli/json-line.js';

/** fateToJSON, checked against fateToJSONInto's bytes (replay --format ndjson) on every call; the
 *  two take turns going first, so that each meets the caches both cold and warm */
let turn = 0;
function fateToJSON(r: FateRecord): string {
  const jl = new JsonLine();
  let s: string;
  if ((turn++ & 1) === 0) {
    s = fateToJSONText(r);
    fateToJSONInto(r, jl);
  } else {
    fateToJSONInto(r, jl);
    s = fateToJSONText(r);
  }
  expect(Buffer.compare(jl.buf.subarray(0, jl.pos), Buffer.from(s))).toBe(0);
  return s;
}
import type { Host } from '../../src/host/types.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** the serialiser fateToJSON replaced: JSON.stringify of the record in canonical key order */
function oracle(r: FateRecord): string {
  const o: Record<string, unknown> = { frame: r.frame, fate: r.fate };
  if (r.copy_of !== undefined) o.copy_of = r.copy_of;
  if (r.reason !== undefined) o.reason = r.reason;
  if (r.egress && r.egress.length) o.egress = r.egress;
  if (r.replies && r.replies.length) o.replies = r.replies;
  if (r.verdicts && r.verdicts.length) o.verdicts = r.verdicts;
  if (r.socket !== undefined) o.socket = r.socket;
  if (r.unsupported && r.unsupported.length) o.unsupported = r.unsupported;
  o.events = r.events;
  return JSON.stringify(o);
}

const VB_HOST = {
  'ip-link.json': JSON.stringify([
    { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, operstate: 'UNKNOWN', link_type: 'loopback', address: '00:00:00:00:00:00' },
    { ifindex: 2, ifname: 'vB', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, operstate: 'UP', link_type: 'ether', address: '02:00:00:00:00:0b' },
  ]),
};

function cases(): { name: string; cap: string; host: () => Host; iface?: string }[] {
  const out: { name: string; cap: string; host: () => Host; iface?: string }[] = [];
  const fx = join(ROOT, 'fixtures/kernel');
  for (const d of readdirSync(fx)) {
    const cap = join(fx, d, 'frames.pcapng');
    const host = join(fx, d, 'host');
    if (existsSync(cap) && existsSync(host)) out.push({ name: `fixtures/kernel/${d}`, cap, host: () => loadHost(host) });
  }
  const basicHost = join(ROOT, 'captures/basic-host');
  for (const f of readdirSync(join(ROOT, 'captures'))) {
    if (!/\.pcap(ng)?$/.test(f)) continue;
    // vlan.pcapng names its interface vB and has no snapshot: a host with that one interface
    // a capture with its own snapshot (router-any.pcap: router-host/) names its interfaces (SLL2)
    const own = join(ROOT, 'captures', `${f.replace(/(-any)?\.pcap(ng)?$/, '')}-host`);
    const host = f === 'vlan.pcapng' ? () => loadHostFromFiles(VB_HOST, '(vB host)') : existsSync(own) ? () => loadHost(own) : () => loadHost(basicHost);
    out.push({ name: `captures/${f}`, cap: join(ROOT, 'captures', f), host, iface: f === 'vlan.pcapng' || existsSync(own) ? undefined : 'eth0' });
  }
  // the example's rule set: verdicts with rules and sources
  out.push({ name: 'examples/firewall-review with new-rules.nft', cap: join(ROOT, 'captures/basic.pcapng'), host: () => withRules(loadHost(basicHost), [join(ROOT, 'examples/firewall-review/new-rules.nft')]), iface: 'eth0' });
  return out;
}

describe('fateToJSON is byte-identical to JSON.stringify', () => {
  const all = cases();
  it('covers the fixtures, captures and example', () => {
    expect(all.length).toBeGreaterThan(20);
  });
  for (const c of all) {
    it(c.name, () => {
      let n = 0, verdicts = 0;
      for (const checksums of ['auto', 'verify'] as const) {
        // no catch: a case whose host or replay cannot be opened fails here, never passes having
        // serialised nothing (every case above is one the replay opens)
        const src = openReplay(c.cap, c.host(), { checksums, iface: c.iface, events: true });
        try {
          for (;;) {
            let it;
            try { it = src.next(); } catch (e) { if ((e as Error).name === 'CaptureError' || (e as Error).name === 'ReplayError') break; throw e; }
            if (!it) break;
            expect(fateToJSON(it.record)).toBe(oracle(it.record));
            n++;
            if (it.record.verdicts?.length) verdicts++;
          }
        } finally {
          src.close();
        }
      }
      expect(n).toBeGreaterThan(0);
      if (c.name.startsWith('examples')) expect(verdicts).toBeGreaterThan(0);
    });
  }
});

const NASTY = [
  '', '"', '\\', '\\"', '"quoted"', 'a\u0000b', '\b\f\n\r\t', '\u0001\u001f\u007f', '\u2028\u2029',
  '\ud800', '\udfff', 'x\ud83d', '\ude00y', '\ud83d\ude00', '\udc00\ud800', 'é ü ß 中文 🙂', '\u00ff\u0100',
  '</script>', '{"a":1}', 'tab\there', 'ends with backslash \\',
];

describe('fateToJSON on hand-made records', () => {
  const base = (events: unknown[], extra: Partial<FateRecord> = {}): FateRecord => ({ frame: 1, fate: 'dropped', events: events as FateRecord['events'], ...extra });

  it('escapes every string as JSON.stringify does, in every field', () => {
    for (const s of NASTY) {
      const recs: FateRecord[] = [
        base([{ fn: s, what: s }]),
        base([{ fn: 'ip_rcv', what: s, dev: s, detail: { [s]: s, n: 1 }, diff: { [s]: [s, 2] } }]),
        base([], { reason: s, egress: [s, 'eth0'], replies: [{ iface: s, summary: s }], verdicts: [{ hook: s, family: 'ip', table: s, chain: s, verdict: s, rule: s, source: s }], socket: s, unsupported: [s] }),
      ];
      for (const r of recs) {
        expect(fateToJSON(r)).toBe(oracle(r));
        // twice: the second comes from the cache
        expect(fateToJSON(r)).toBe(oracle(r));
      }
    }
  });

  it('writes numbers, booleans, null and left-out values as JSON.stringify does', () => {
    const nums = [0, -0, 1, -1, 1.5, 1e21, 1e-7, 123456789012345680000, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE];
    for (const x of nums) {
      const r = base([{ fn: 'f', what: 'w', diff: { ttl: [x, x] }, detail: { a: x, b: true, c: false, d: null, e: undefined, f: () => 1, g: Symbol('s') } }], { frame: x });
      expect(fateToJSON(r)).toBe(oracle(r));
      expect(fateToJSON(r)).toBe(oracle(r));
    }
    const r = base([{ fn: 'f', what: 'w', detail: { list: [undefined, null, () => 1, [1, [2, [3]]], {}, []] } }, undefined, null, 'text', 5, [1, 2]]);
    expect(fateToJSON(r)).toBe(oracle(r));
    expect(fateToJSON(r)).toBe(oracle(r));
  });

  it('leaves out what JSON.stringify leaves out at the top level too', () => {
    const odd = [
      { frame: 1, fate: 'delivered', events: [] },
      { frame: 1, fate: 'delivered', reason: undefined, socket: undefined, events: [] },
      { frame: 1, fate: 'delivered', egress: [], replies: [], verdicts: [], unsupported: [], events: [] },
      { frame: 2, fate: 'dropped', reason: null, events: [] },
      { frame: 2, fate: 'dropped', reason: 7, socket: 8, events: [] },
      { frame: undefined, fate: undefined, events: undefined },
      { frame: '3', fate: 'x', egress: 'eth0', events: 'none' },
      { frame: 4, fate: 'x', egress: { 0: 'a', length: 1 }, events: [] },
    ] as unknown as FateRecord[];
    for (const r of odd) expect(fateToJSON(r)).toBe(oracle(r));
  });

  it('uses JSON.stringify\'s own rules for non-plain values (toJSON, classes, Date, Map, boxed primitives)', () => {
    class Pt { constructor(public x: number, public y: string) {} get z() { return 1; } }
    const withToJSON = { toJSON: (k: string) => `key=${k}` };
    const arrToJSON = Object.assign([1, 2], { toJSON: (k: string) => `arr key=${k}` });
    const nullProto = Object.assign(Object.create(null) as object, { fn: 'f', what: 'w' });
    const values: unknown[] = [new Pt(1, 'a"b'), withToJSON, arrToJSON, new Date(0), new Map([[1, 2]]), new Set([1]), Object(5), Object('s"'), Object(true),
      new Uint8Array([1, 2]), nullProto, Object.create({ inherited: 1 }), [new Pt(2, 'c')]];
    for (const v of values) {
      for (const r of [base([v]), base([{ fn: 'f', what: 'w', detail: { v } }]), base([], { replies: [v as never] })]) {
        expect(fateToJSON(r)).toBe(oracle(r));
        expect(fateToJSON(r)).toBe(oracle(r));
      }
    }
    // and what JSON.stringify throws on, it throws on
    const cyc: Record<string, unknown> = { fn: 'f' };
    cyc.self = cyc;
    expect(() => fateToJSON(base([cyc]))).toThrow(TypeError);
    expect(() => fateToJSON(base([{ fn: 'f', what: 'w', detail: { n: 1n } }]))).toThrow(TypeError);
  });

  it('never takes a lookalike element from the cache', () => {
    // same keys and values, other order; other types with the same text; one more key; a value
    // the first time, undefined (left out) the next; an object where an array was
    const seqs: unknown[][] = [
      [{ fn: 'f', what: 'w', dev: 'eth0' }, { fn: 'f', dev: 'eth0', what: 'w' }, { what: 'w', fn: 'f', dev: 'eth0' }],
      // the same values in the same order under other keys
      [{ fn: 'f', what: 'f' }, { what: 'f', fn: 'f' }, { fn: 'f', dev: 'f' }, { fn: 'f', detail: { a: 'f' } }, { fn: 'f', detail: { b: 'f' } }],
      [{ fn: 'f', what: 1 }, { fn: 'f', what: '1' }, { fn: 'f', what: true }, { fn: 'f', what: 'true' }, { fn: 'f', what: null }, { fn: 'f', what: 'null' }],
      [{ fn: 'f', what: 'w' }, { fn: 'f', what: 'w', dev: 'eth0' }, { fn: 'f', what: 'w', dev: undefined }, { fn: 'f', what: 'w' }],
      [{ fn: 'f', what: 'w', diff: { ttl: [64, 63] } }, { fn: 'f', what: 'w', diff: { ttl: { 0: 64, 1: 63 } } }, { fn: 'f', what: 'w', diff: { ttl: [64, 63, undefined] } }, { fn: 'f', what: 'w', diff: { ttl: [64] } }],
      [{ fn: 'f', what: 'w', detail: {} }, { fn: 'f', what: 'w', detail: [] }, { fn: 'f', what: 'w', detail: { '': '' } }, { fn: 'f', what: 'w', detail: { a: { b: 1 } } }, { fn: 'f', what: 'w', detail: { a: { b: 2 } } }],
      [{ fn: 'f', what: 'w', detail: { x: 0 } }, { fn: 'f', what: 'w', detail: { x: -0 } }, { fn: 'f', what: 'w', detail: { x: NaN } }, { fn: 'f', what: 'w', detail: { x: NaN } }],
      [{ fn: 'f', what: 'w', detail: { v: new Date(0) } }, { fn: 'f', what: 'w', detail: { v: {} } }, { fn: 'f', what: 'w', detail: { v: Object(1) } }],
    ];
    for (const seq of seqs) {
      // each element at the same position of successive records (20 times: then it is in the
      // cache whatever came before), and all of them in one record
      for (let rep = 0; rep < 2; rep++) for (const e of seq) {
        const r = base([{ fn: 'x', what: 'first' }, e]);
        for (let k = 0; k < 20; k++) expect(fateToJSON(r)).toBe(oracle(r));
      }
      const r = base(seq);
      expect(fateToJSON(r)).toBe(oracle(r));
    }
    // a record changed after it was written is written anew
    const ev = { fn: 'f', what: 'before', detail: { n: 1 } };
    const r = base([ev]);
    expect(fateToJSON(r)).toBe(oracle(r));
    ev.what = 'after';
    ev.detail.n = 2;
    expect(fateToJSON(r)).toBe(oracle(r));
    expect(fateToJSON(r)).toContain('"after"');
  });

  it('knows a shared (deep-frozen) step by identity, and only one that cannot change', () => {
    // each case at a list position of its own (the cache keeps elements per position, and a
    // position whose elements keep changing caches only now and then), after constant fillers
    const filler = { fn: 'filler', what: 'same' };
    const at = (pos: number, e: unknown): FateRecord => base([...Array.from({ length: pos }, () => filler), e]);
    const shared = sharedEvent({ fn: 'ip_decrease_ttl', what: 'ttl 64 -> 63', diff: { ttl: [64, 63] as [number, number] } });
    // frozen all the way down: the kernel cannot change it after it was first written
    expect(Object.isFrozen(shared) && Object.isFrozen(shared.diff) && Object.isFrozen(shared.diff!.ttl)).toBe(true);
    expect(() => { (shared.diff!.ttl as number[])[0] = 1; }).toThrow(TypeError);
    for (let i = 0; i < 20; i++) {
      const r = base([filler, shared, { fn: 'y', what: `fresh ${i}` }]);
      expect(fateToJSON(r)).toBe(oracle(r));
    }
    // frozen, but a getter: it may answer differently each time, so it is never taken by identity
    let val = 'first';
    const getter = Object.freeze(Object.defineProperty({ fn: 'g' } as Record<string, unknown>, 'what', { get: () => val, enumerable: true }));
    const rg = at(40, getter);
    for (let i = 0; i < 3; i++) expect(fateToJSON(rg)).toBe(oracle(rg));
    val = 'second';
    expect(fateToJSON(rg)).toBe(oracle(rg));
    expect(fateToJSON(rg)).toContain('"second"');
    // frozen on top, a nested object that is not: its change shows
    const half = Object.freeze({ fn: 'h', what: 'w', detail: { k: 1 } });
    const rh = at(41, half);
    for (let i = 0; i < 3; i++) expect(fateToJSON(rh)).toBe(oracle(rh));
    half.detail.k = 2;
    expect(fateToJSON(rh)).toBe(oracle(rh));
    expect(fateToJSON(rh)).toContain('"k":2');
    // a toJSON given to every array later changes JSON.stringify's output for the step's diff:
    // the identity path sees it (Object.prototype's is seen on every element anyway)
    const rs = base([filler, shared]);
    expect(fateToJSON(rs)).toBe(oracle(rs));
    const proto = Array.prototype as { toJSON?: () => unknown };
    proto.toJSON = function () { return 'polluted'; };
    let polluted: string;
    let want: string;
    try {
      polluted = fateToJSON(rs);
      want = oracle(rs);
    } finally {
      delete proto.toJSON;
    }
    expect(polluted).toBe(want);
    expect(fateToJSON(rs)).toBe(oracle(rs));
  });

  it('knows more shared steps at one position than the cache has ways (a router seeing many hosts), and still sees a polluted prototype', () => {
    // 200 distinct shared steps at position 1 (the cache keeps 8 per position), each seen many times
    const steps = Array.from({ length: 200 }, (_, i) => sharedEvent({ fn: 'neigh_hh_output', what: `eth 02:00:00:00:02:fe > 02:00:00:00:02:${(i & 0xff).toString(16)}`, diff: { 'eth.src': [`02:00:00:00:10:${i}`, '02:00:00:00:02:fe'] as [string, string] } }));
    const filler = { fn: 'filler', what: 'same' };
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < steps.length; i++) {
        const r = base([filler, steps[(i * 7 + round) % steps.length]!, { fn: 'y', what: `fresh ${i}` }], { frame: i });
        expect(fateToJSON(r)).toBe(oracle(r));
      }
    }
    // an element known by identity must not keep its JSON once arrays have a toJSON
    const r = base([filler, steps[123]!]);
    const proto = Array.prototype as { toJSON?: () => unknown };
    proto.toJSON = function () { return 'polluted'; };
    let polluted: string;
    let want: string;
    try {
      polluted = fateToJSON(r);
      want = oracle(r);
    } finally {
      delete proto.toJSON;
    }
    expect(want).toContain('polluted');
    expect(polluted).toBe(want);
  });

  it('keeps up over many records whose steps vary (cache eviction)', () => {
    for (let i = 0; i < 3000; i++) {
      const r = base([
        { fn: 'a', what: `v${i % 3}` },
        { fn: i % 2 ? 'b' : 'c', what: `addr ${i}`, dev: 'eth0' },
        { fn: 'd', what: `w${i % 11}`, detail: { k: i % 5 } },
        ...(i % 7 === 0 ? [{ fn: 'e', what: NASTY[i % NASTY.length] }] : []),
      ], { frame: i, egress: i % 2 ? ['eth1'] : ['eth0', 'eth1'] });
      expect(fateToJSON(r)).toBe(oracle(r));
    }
  });
});

// tc-qdisc.json / tc-filter.json / XDP: loaded from fixtures/host-samples/tc (recorded on 6.18 with
// `pktlife snapshot --netns hs-tc`; setup.sh there is the independent statement of its contents).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadHost, loadHostFromFiles } from '../../src/host/load.js';
import { composeTcFilters } from '../../src/host/snapshot.js';
import { HostError } from '../../src/host/errors.js';

const dir = join(import.meta.dirname, '../../fixtures/host-samples/tc');
const files = (): Record<string, string> => {
  const o: Record<string, string> = {};
  for (const f of ['ip-link.json', 'ip-addr.json', 'tc-qdisc.json', 'tc-filter.json']) o[f] = readFileSync(join(dir, f), 'utf8');
  return o;
};

describe('tc snapshot files', () => {
  const h = loadHost(dir);
  it('reads the clsact and ingress qdiscs and their filters', () => {
    expect(h.tc!.filters.get('eth0')!.qdisc).toBe('clsact');
    expect(h.tc!.filters.get('eth1')!.qdisc).toBe('ingress');
    expect(h.tc!.filters.has('eth2')).toBe(false);
  });
  it('keeps every repeated u32 "match" key, in order (setup.sh: src 10.0.0.0/8, protocol 6, dport 22)', () => {
    const f = h.tc!.filters.get('eth0')!.ingress.find((x) => x.pref === 1 && x.classid === '1:5')!;
    expect(f.u32).toMatchObject({ ht: 0x800, node: 0x800, terminal: true });
    const k = (f.u32 as { keys: unknown[] }).keys;
    expect(k).toEqual([
      { value: 0x0a000000, mask: 0xff000000, off: 12, offmask: 0 },
      { value: 0x00060000, mask: 0x00ff0000, off: 8, offmask: 0 },
      { value: 0x16, mask: 0xffff, off: 20, offmask: 0 },
    ]);
    expect(f.actions[0]!.mirred).toEqual({ action: 'redirect', direction: 'ingress', dev: 'eth1' });
    expect(f.actions[0]!.control).toBe('stolen');
  });
  it('reads offset/hashkey/link past the bare "    offset " string iproute2 prints', () => {
    const f = h.tc!.filters.get('eth0')!.ingress.find((x) => x.u32 && 'link' in x.u32)!;
    expect(f.u32).toMatchObject({ link: 2, offset: { mask: 0xf00, shift: 6, at: 0, variable: true }, hash: { mask: 0xff, off: 12 }, terminal: false });
  });
  it('reads classic bytecode, direct-action, and an eBPF program by name and id', () => {
    const bpf = h.tc!.filters.get('eth0')!.ingress.find((x) => x.kind === 'bpf')!;
    expect(bpf.bpf).toEqual({ directAction: true, insns: [{ code: 6, jt: 0, jf: 0, k: 2 }] });
    const e = h.tc!.filters.get('eth0')!.egress.find((x) => x.kind === 'bpf')!;
    expect(e.bpf!.prog!.name).toBe('pktlife_cls');
    expect(e.bpf!.directAction).toBe(true);
    expect(h.tc!.filters.get('eth1')!.ingress[0]!.bpf!.insns).toHaveLength(4);
  });
  it('reads the XDP program of eth2 (generic mode 2)', () => {
    expect(h.byName.get('eth2')!.xdp).toMatchObject({ mode: 2, progs: [{ name: 'pktlife_xdp', mode: 2 }] });
    expect(h.byName.get('eth0')!.xdp).toBeUndefined();
  });
  it('errors name the file and the key', () => {
    const f = files();
    f['tc-filter.json'] = f['tc-filter.json']!.replace('"to_dev":"eth1"', '"to_dev":"nosuch"');
    expect(() => loadHostFromFiles(f)).toThrow(/tc-filter.json .*to_dev: mirred to device "nosuch"/);
    const g = files();
    g['tc-filter.json'] = g['tc-filter.json']!.replace('"mask":"ff000000"', '"mask":"zz"');
    expect(() => loadHostFromFiles(g)).toThrow(/tc-filter.json eth0.ingress\[\d+\].options.match.mask: expected a hex number, found "zz"/);
    const q = files();
    q['tc-qdisc.json'] = q['tc-qdisc.json']!.replace('"kind":"ingress"', '"kind":"noqueue"');
    expect(() => loadHostFromFiles(q)).toThrow(/filters on eth1, but tc-qdisc.json shows no ingress or clsact qdisc/);
    const s = files();
    s['tc-filter.json'] = s['tc-filter.json']!.replace('"eth1": {', '"eth1" {');
    expect(() => loadHostFromFiles(s)).toThrow(HostError);
    expect(() => loadHostFromFiles(s)).toThrow(/tc-filter.json line \d+ column \d+: invalid JSON: expected ':'/);
  });
  it('the snapshot composes tc-filter.json from the qdisc list (ingress qdisc: egress [])', () => {
    const calls: string[] = [];
    const out = composeTcFilters({ 'tc-qdisc.json': readFileSync(join(dir, 'tc-qdisc.json'), 'utf8') }, (argv) => {
      calls.push(argv.join(' '));
      return '[]';
    });
    expect(calls).toEqual(['tc -j filter show dev eth0 ingress', 'tc -j filter show dev eth0 egress', 'tc -j filter show dev eth1 ingress']);
    expect(JSON.parse(out!)).toEqual({ eth0: { ingress: [], egress: [] }, eth1: { ingress: [], egress: [] } });
    expect(composeTcFilters({ 'tc-qdisc.json': '[{"kind":"noqueue","dev":"lo"}]' }, () => '[]')).toBeNull();
  });
});

describe('u32 offset forms as tc -j prints them (measured on 6.18 / iproute2: offset plus 8 eat, offset plus 4, at nexthdr+0)', () => {
  // tc filter add ... u32 match ip protocol 6 0xff offset plus 8 eat link 5: ; ... protocol 17 ... offset plus 4 link 5: ;
  // ht 5: match tcp dst 80 0xffff at nexthdr+0
  const printed = `{"eth0": {"ingress": [{"protocol":"ip","pref":1,"kind":"u32","chain":0},{"protocol":"ip","pref":1,"kind":"u32","chain":0,"options":{"fh":"5:","ht_divisor":1}},{"protocol":"ip","pref":1,"kind":"u32","chain":0,"options":{"fh":"5::800","order":2048,"key_ht":"5","bkt":"0","not_in_hw":true,"match":{"value":"500000","mask":"ffff0000","offmask":"nexthdr+","off":0},"actions":[{"order":1,"kind":"mirred","mirred_action":"mirror","direction":"egress","to_dev":"eth0","control_action":{"type":"pipe"},"index":1,"ref":1,"bind":1}]}},{"protocol":"ip","pref":1,"kind":"u32","chain":0,"options":{"fh":"800:","ht_divisor":1}},{"protocol":"ip","pref":1,"kind":"u32","chain":0,"options":{"fh":"800::800","order":2048,"key_ht":"800","bkt":"0","link":"5:","not_in_hw":true,"match":{"value":"60000","mask":"ff0000","offmask":"","off":8},"    offset ","plus":8," eat "}},{"protocol":"ip","pref":1,"kind":"u32","chain":0,"options":{"fh":"800::801","order":2049,"key_ht":"800","bkt":"0","link":"5:","not_in_hw":true,"match":{"value":"110000","mask":"ff0000","offmask":"","off":8},"    offset ","plus":4}}], "egress": []}}`;
  it('reads plus, eat (a bare string) and nexthdr+ (offmask all ones)', () => {
    const h = loadHostFromFiles({ 'ip-link.json': readFileSync(join(dir, 'ip-link.json'), 'utf8'), 'tc-filter.json': printed });
    const fs = h.tc!.filters.get('eth0')!.ingress;
    expect(fs.find((f) => f.handle === '800::800')!.u32).toMatchObject({ link: 5, offset: { off: 8, variable: false, eat: true } });
    expect(fs.find((f) => f.handle === '800::801')!.u32).toMatchObject({ link: 5, offset: { off: 4, variable: false, eat: false } });
    expect(fs.find((f) => f.handle === '5::800')!.u32).toMatchObject({ keys: [{ value: 0x500000, mask: 0xffff0000, off: 0, offmask: 0xffffffff }] });
  });
});

describe('u32 at the same pref on both clsact hooks: u32_roots (fixtures/kernel/tc-u32-hooks)', () => {
  // recorded on 6.18 (iproute2 6.x): the egress filter added first has root 800:, the ingress one 801:;
  // `tc -j filter show dev eth0 ingress` and `... egress` print the same list (both root tables, u32_walk
  // over the qdisc's tc_u_common), `tc -j filter get ... handle fff: u32` prints each hook's own root
  const kdir = join(import.meta.dirname, '../../fixtures/kernel/tc-u32-hooks/host');
  const filters = JSON.parse(readFileSync(join(kdir, 'tc-filter.json'), 'utf8')) as { eth0: { ingress: unknown[]; egress: unknown[] } };
  it('the two dumps are the same list (so they cannot say whose root is whose)', () => {
    expect(filters.eth0.ingress).toEqual(filters.eth0.egress);
  });
  it('the snapshot asks tc for each u32 instance root (handle fff:) and writes u32_roots', () => {
    const calls: string[] = [];
    const dump = JSON.stringify(filters.eth0.ingress);
    const roots: Record<string, string> = {
      ingress: '[{"ingress":true,"protocol":"ip","pref":1,"kind":"u32","chain":0,"options":{"fh":"801:","ht_divisor":1}}]',
      egress: '[{"egress":true,"protocol":"ip","pref":1,"kind":"u32","chain":0,"options":{"fh":"800:","ht_divisor":1}}]',
    };
    const out = composeTcFilters({ 'tc-qdisc.json': '[{"kind":"clsact","handle":"ffff:","dev":"eth0","parent":"ffff:fff1","options":{}}]' }, (argv) => {
      calls.push(argv.join(' '));
      return argv[3] === 'get' ? roots[argv[6]!]! : dump;
    });
    expect(calls).toEqual([
      'tc -j filter show dev eth0 ingress',
      'tc -j filter show dev eth0 egress',
      'tc -j filter get dev eth0 ingress chain 0 pref 1 protocol ip handle fff: u32',
      'tc -j filter get dev eth0 egress chain 0 pref 1 protocol ip handle fff: u32',
    ]);
    const j = JSON.parse(out!) as { eth0: { u32_roots: { options: { fh: string } }[] } };
    expect(j.eth0.u32_roots.map((r) => r.options.fh)).toEqual(['801:', '800:']);
  });
  it('the loader reads them per hook, chain and pref', () => {
    const h = loadHost(kdir);
    expect(h.tc!.filters.get('eth0')!.u32Roots).toEqual([
      { ingress: true, chain: 0, pref: 1, ht: 0x801 },
      { ingress: false, chain: 0, pref: 1, ht: 0x800 },
    ]);
  });
  it('a root entry naming neither hook is an error with the file and key', () => {
    const f: Record<string, string> = {};
    for (const n of ['ip-link.json', 'ip-addr.json', 'tc-qdisc.json', 'tc-filter.json']) f[n] = readFileSync(join(kdir, n), 'utf8');
    f['tc-filter.json'] = f['tc-filter.json']!.replace('{"ingress":true,"protocol"', '{"protocol"');
    expect(() => loadHostFromFiles(f)).toThrow(/tc-filter.json.*u32_roots.*expected "ingress": true or "egress": true/);
  });
});

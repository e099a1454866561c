// Routes derived from addresses (used when a snapshot lacks route files) must equal the routes the
// kernel made itself: compared with the proto-kernel routes recorded in the same snapshots
// (fixtures/host-samples/addrs: primary/secondary, brd, /31, /32, peer, noprefixroute, down device;
// fixtures/host-samples/router: veths with DAD-tentative link-locals, forwarding on).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadHostFromFiles } from '../../src/host/load.js';
import type { Route } from '../../src/host/types.js';

const read = (name: string, f: string) => readFileSync(new URL(`../../fixtures/host-samples/${name}/${f}`, import.meta.url), 'utf8');
const key = (r: Route) => {
  const src = r.prefsrc === undefined ? '' : typeof r.prefsrc === 'number' ? ` src ${r.prefsrc >>> 24}.${(r.prefsrc >>> 16) & 255}.${(r.prefsrc >>> 8) & 255}.${r.prefsrc & 255}` : ' src6';
  return `${r.family} t${r.table} ${r.type} ${r.dstStr} dev ${r.dev} scope ${r.scope}${src} metric ${r.metric}`;
};

for (const name of ['addrs', 'router']) {
  describe(`kernel routes of the ${name} sample`, () => {
    const files = { 'ip-link.json': read(name, 'ip-link.json'), 'ip-addr.json': read(name, 'ip-addr.json'), 'sysctl.txt': read(name, 'sysctl.txt') };
    const recorded = loadHostFromFiles({ ...files, 'ip-route.json': read(name, 'ip-route.json'), 'ip6-route.json': read(name, 'ip6-route.json') });
    const derived = loadHostFromFiles(files);

    for (const fam of [4, 6] as const) {
      it(`IPv${fam}: derived from the addresses equals what the kernel recorded (proto kernel)`, () => {
        const want = recorded.routes.filter((r) => r.family === fam && r.protocol === 'kernel').map(key).sort();
        const got = derived.routes.filter((r) => r.family === fam).map(key).sort();
        expect(want.length).toBeGreaterThan(3);
        expect(got).toEqual(want);
      });
    }
  });
}

describe('only ip-link.json', () => {
  it('an up lo gets 127.0.0.1/8 and ::1 and their routes, as measured in the router sample', () => {
    const lo = JSON.stringify([JSON.parse(read('router', 'ip-link.json'))[0]]);
    const h = loadHostFromFiles({ 'ip-link.json': lo });
    const recorded = loadHostFromFiles({ 'ip-link.json': read('router', 'ip-link.json'), 'ip-route.json': read('router', 'ip-route.json'), 'ip6-route.json': read('router', 'ip6-route.json') });
    expect(h.byName.get('lo')!.addrs.map((a) => `${a.localStr}/${a.prefixlen} ${a.scope}`)).toEqual(['127.0.0.1/8 host', '::1/128 host']);
    expect(h.routes.map(key).sort()).toEqual(recorded.routes.filter((r) => r.dev === 'lo').map(key).sort());
  });
});

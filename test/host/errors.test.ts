// Bad and self-contradicting snapshots: the error names the file, the place and what was expected.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadHostFromFiles } from '../../src/host/load.js';
import { HostError } from '../../src/host/errors.js';

const fx = (name: string, file: string) => readFileSync(new URL(`../../fixtures/host-samples/${name}/${file}`, import.meta.url), 'utf8');
const LINK = fx('router', 'ip-link.json');

function err(files: Record<string, string>): HostError {
  try {
    loadHostFromFiles(files);
  } catch (e) {
    if (e instanceof HostError) return e;
    throw e;
  }
  throw new Error('expected a HostError');
}

describe('parse errors', () => {
  it('bad JSON gives file, line and column, and what was expected', () => {
    // V8 (JSON.parse) reports 0-based position 25 here; line 2 starts at offset 2, so 1-based column 24
    const e = err({ 'ip-route.json': '[\n  {"dst": "10.0.0.0/8",}\n]' });
    expect(e.file).toBe('ip-route.json');
    expect(e.where).toBe('line 2 column 24');
    expect(e.message).toBe('ip-route.json line 2 column 24: invalid JSON: expected a double-quoted key');
  });

  it('truncated JSON says the input ended', () => {
    const e = err({ 'ip-rule.json': '[{"priority":0,"src":"all","table":"local"}' });
    expect(e.message).toMatch(/^ip-rule\.json line 1 column 44: invalid JSON: expected ',' or '\]'/);
  });

  it('a bad literal is located too', () => {
    const e = err({ 'ip-neigh.json': '[{"dst": "10.0.0.1", "dev": "lo", "router": nul}]' });
    expect(e.where).toBe('line 1 column 45');
  });

  it('an unknown table name names the key path', () => {
    const e = err({ 'ip-rule.json': '[{"priority":0,"src":"all","table":"local"},{"priority":5,"src":"all","table":"vpn"}]' });
    expect(e.file).toBe('ip-rule.json');
    expect(e.where).toBe('[1].table');
    expect(e.problem).toMatch(/unknown table name "vpn"/);
  });

  it('a wrong type names the key path and the type found', () => {
    const e = err({ 'ip-link.json': LINK.replace('"mtu":1400', '"mtu":"1400"') });
    expect(e.where).toBe('[2].mtu');
    expect(e.problem).toBe('expected a number, found string');
  });

  it('a malformed address names the key and the text', () => {
    const e = err({ 'ip-route.json': '[{"dst":"10.0.0.0/8","gateway":"10.0.0.300","flags":[]}]' });
    expect(e.message).toBe('ip-route.json [0].gateway: expected an IPv4 address, found "10.0.0.300"');
  });

  it('an ss line that is not ss -Htuanp output gives the line number', () => {
    const e = err({ 'ss.txt': 'tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:*\nu_str ESTAB 0 0 * 1234 * 5678\n' });
    expect(e.message).toMatch(/^ss\.txt line 2: unsupported socket type "u_str"/);
    const h = err({ 'ss.txt': 'Netid State Recv-Q Send-Q Local Peer\n' });
    expect(h.message).toMatch(/header line found: record with ss -H/);
    const p = err({ 'ss.txt': 'tcp LISTEN 0 128 0.0.0.0:99999 0.0.0.0:*\n' });
    expect(p.message).toBe('ss.txt line 1: local address "0.0.0.0:99999": bad port "99999"');
  });

  it('a sysctl.txt line that is not "key = value" gives the line number', () => {
    const e = err({ 'sysctl.txt': 'net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.rp_filter 2\n' });
    expect(e.message).toMatch(/^sysctl\.txt line 2: expected "key = value"/);
  });
});

describe('contradictions name both places', () => {
  it('an address on a device ip-link.json lacks', () => {
    const addr = JSON.stringify([{ ifindex: 9, ifname: 'eth9', flags: [], mtu: 1500, addr_info: [] }]);
    const e = err({ 'ip-link.json': LINK, 'ip-addr.json': addr });
    expect(e.message).toBe('ip-addr.json [0].ifname: device "eth9" has addresses but is not in ip-link.json');
  });

  it('the same device with another ifindex in ip-addr.json', () => {
    const addr = JSON.stringify([{ ifindex: 7, ifname: 'eth0', flags: [], mtu: 1500, addr_info: [] }]);
    expect(err({ 'ip-link.json': LINK, 'ip-addr.json': addr }).message).toBe('ip-addr.json [0].ifindex: eth0 has ifindex 7 here but 2 in ip-link.json');
  });

  it('a route through a missing device', () => {
    const e = err({ 'ip-link.json': LINK, 'ip-route.json': '[{"dst":"10.0.0.0/8","dev":"eth7","flags":[]}]' });
    expect(e.message).toBe('ip-route.json [0].dev: route uses device "eth7", which is not in ip-link.json');
  });

  it('a neighbour on a missing device, with no ip-link.json at all (fresh namespace has only lo)', () => {
    const e = err({ 'ip-neigh.json': '[{"dst":"10.0.0.1","dev":"eth0","lladdr":"02:00:00:00:00:01","state":["PERMANENT"]}]' });
    expect(e.message).toMatch(/^ip-neigh\.json \[0\]\.dev: neighbour uses device "eth0", which is not in \(no ip-link\.json/);
  });

  it('a bridge port whose master is missing', () => {
    const link = JSON.parse(fx('bridge', 'ip-link.json')) as { ifname: string }[];
    const noBr = JSON.stringify(link.filter((d) => d.ifname !== 'br0'));
    const e = err({ 'ip-link.json': noBr });
    expect(e.file).toBe('ip-link.json');
    expect(e.where).toBe('[1].master');
    expect(e.problem).toBe('master "br0" of p1 is not a device in ip-link.json');
  });

  it('duplicate ifindex', () => {
    const link = JSON.parse(LINK) as { ifindex: number; ifname: string }[];
    link[3]!.ifindex = 2;
    const e = err({ 'ip-link.json': JSON.stringify(link) });
    expect(e.message).toBe('ip-link.json [3]: duplicate ifindex 2: also at [1] (eth0)');
  });

  it('an fdb entry on a missing port', () => {
    const e = err({ 'bridge-fdb.json': '[{"mac":"02:00:00:00:00:01","ifname":"p9","flags":[],"master":"br0","state":"static"}]' });
    expect(e.where).toBe('[0].ifname');
  });
});

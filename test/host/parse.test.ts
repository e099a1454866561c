// Parsers on forms the recorded samples lack. Shapes follow iproute2 6.x printers:
// ip/iplink_vlan.c vlan_print_opt ("protocol", "id"), bridge/vlan.c print_vlan_flags
// ("PVID", "Egress Untagged", "vlanEnd" for ranges), misc/ss.c inet_addr_print ("[addr]%dev:port").
import { describe, expect, it } from 'vitest';
import { loadHostFromFiles } from '../../src/host/load.js';
import { parseSs } from '../../src/host/parse/ss.js';
import { jsonSyntaxError } from '../../src/host/parse/json.js';
import { parseIPv4, parseIPv6 } from '../../src/host/addr.js';

const link = (extra: object[]) =>
  JSON.stringify([{ ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP'], mtu: 65536, link_type: 'loopback', address: '00:00:00:00:00:00' }, ...extra]);
const eth0 = { ifindex: 2, ifname: 'eth0', flags: ['BROADCAST', 'UP'], mtu: 1500, link_type: 'ether', address: '02:00:00:00:00:01' };

describe('ip -d link forms', () => {
  it('a vlan device gets id, protocol and the lower ifindex', () => {
    const vlan = {
      ifindex: 5,
      link: 'eth0',
      ifname: 'eth0.100',
      flags: ['UP'],
      mtu: 1500,
      link_type: 'ether',
      address: '02:00:00:00:00:01',
      linkinfo: { info_kind: 'vlan', info_data: { protocol: '802.1ad', id: 100, flags: ['REORDER_HDR'] } },
    };
    const h = loadHostFromFiles({ 'ip-link.json': link([eth0, vlan]) });
    expect(h.byName.get('eth0.100')!.vlan).toEqual({ id: 100, protocol: 0x88a8, link: 2 });
  });

  it('a vlan whose lower device is missing names both', () => {
    const vlan = { ifindex: 5, link: 'eth3', ifname: 'eth3.7', flags: [], mtu: 1500, address: '02:00:00:00:00:01', linkinfo: { info_kind: 'vlan', info_data: { protocol: '802.1Q', id: 7 } } };
    expect(() => loadHostFromFiles({ 'ip-link.json': link([vlan]) })).toThrow('ip-link.json [1].link: lower device "eth3" of vlan eth3.7 is not a device in ip-link.json');
  });

  it('a vlan-filtering bridge reads protocol and default pvid', () => {
    const br = { ifindex: 3, ifname: 'br0', flags: ['UP'], mtu: 1500, address: '02:00:00:00:00:02', linkinfo: { info_kind: 'bridge', info_data: { vlan_filtering: 1, vlan_protocol: '802.1Q', vlan_default_pvid: 10, stp_state: 1, ageing_time: 30000 } } };
    const h = loadHostFromFiles({ 'ip-link.json': link([br]) });
    expect(h.byName.get('br0')!.bridge).toEqual({ vlanFiltering: true, vlanProtocol: 0x8100, defaultPvid: 10, stpState: 1, ageingTime: 30000 });
  });

  it('a tun device (link_type none) has no MAC', () => {
    const tun = { ifindex: 4, ifname: 'tun0', flags: ['POINTOPOINT', 'NOARP', 'UP'], mtu: 1500, link_type: 'none', linkinfo: { info_kind: 'tun' } };
    const h = loadHostFromFiles({ 'ip-link.json': link([tun]) });
    expect(h.byName.get('tun0')).toMatchObject({ mac: null, macStr: null, kind: 'tun' });
  });
});

describe('tunnel link addresses', () => {
  it('an ipip/sit device prints an IP as its address: no MAC, no error', () => {
    const sit = { ifindex: 6, ifname: 'sit0', flags: ['NOARP'], mtu: 1480, link_type: 'sit', address: '0.0.0.0', broadcast: '0.0.0.0', linkinfo: { info_kind: 'sit' } };
    expect(loadHostFromFiles({ 'ip-link.json': link([sit]) }).byName.get('sit0')).toMatchObject({ mac: null, kind: 'sit' });
  });

  it('an ether device with a bad MAC is an error', () => {
    expect(() => loadHostFromFiles({ 'ip-link.json': link([{ ...eth0, address: '02:00:00:00:01' }]) })).toThrow('ip-link.json [1].address: expected a MAC address, found "02:00:00:00:01"');
  });
});

describe('bridge -j vlan', () => {
  it('expands ranges and reads PVID / Egress Untagged', () => {
    const br = { ifindex: 3, ifname: 'br0', flags: ['UP'], mtu: 1500, address: '02:00:00:00:00:02', linkinfo: { info_kind: 'bridge' } };
    const vlans = JSON.stringify([
      { ifname: 'eth0', vlans: [{ vlan: 1, flags: ['PVID', 'Egress Untagged'] }, { vlan: 10 }, { vlan: 100, vlanEnd: 102, flags: [] }] },
    ]);
    const h = loadHostFromFiles({ 'ip-link.json': link([eth0, br]), 'bridge-vlan.json': vlans });
    expect(h.bridgeVlans.get('eth0')).toEqual([
      { vlan: 1, pvid: true, untagged: true },
      { vlan: 10, pvid: false, untagged: false },
      { vlan: 100, pvid: false, untagged: false },
      { vlan: 101, pvid: false, untagged: false },
      { vlan: 102, pvid: false, untagged: false },
    ]);
  });
});

describe('ss address forms', () => {
  it('IPv6 with %dev, * with %dev, v4-mapped, and a peer with a port', () => {
    const s = parseSs(
      'ss.txt',
      [
        'udp UNCONN 0 0 [fe80::1]%eth0:546 [::]:*',
        'udp UNCONN 0 0 *%eth0:68 *:*',
        'tcp ESTAB 0 36 [::ffff:10.0.0.1]:22 [::ffff:10.0.0.2]:51000 users:(("sshd",pid=1,fd=3))',
      ].join('\n'),
    );
    expect(s[0]).toMatchObject({ family: 6, local: parseIPv6('fe80::1'), boundDev: 'eth0', localPort: 546 });
    expect(s[1]).toMatchObject({ family: 6, local: null, boundDev: 'eth0', localPort: 68, v6only: false });
    expect(s[2]).toMatchObject({ family: 6, peerPort: 51000, sendQ: 36, process: 'users:(("sshd",pid=1,fd=3))' });
    expect(s[2]!.local).toEqual(parseIPv6('::ffff:10.0.0.1'));
  });
});

describe('address and JSON helpers', () => {
  it('parses IPv4 and IPv6 text and rejects malformed text', () => {
    expect(parseIPv4('192.0.2.1')).toBe(0xc0000201);
    expect(parseIPv4('1.2.3')).toBeNull();
    expect(parseIPv4('1.2.3.256')).toBeNull();
    expect([...parseIPv6('2001:db8::1')!]).toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect([...parseIPv6('::')!]).toEqual(new Array(16).fill(0));
    expect(parseIPv6('1::2::3')).toBeNull();
    expect(parseIPv6('12345::')).toBeNull();
  });

  it('finds the first JSON syntax error', () => {
    expect(jsonSyntaxError('[1, 2]')).toBeNull();
    expect(jsonSyntaxError('{"a":\n  [1 2]}')).toEqual({ line: 2, col: 6, expected: "',' or ']'" });
  });
});

describe('route flags and unsupported attributes', () => {
  const links = link([eth0]);
  it('keeps dead/linkdown flags as data and marks encap/nhid routes unsupported', () => {
    const routes = JSON.stringify([
      { dst: '10.1.0.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '10.1.0.1', flags: ['linkdown'] },
      { dst: '10.2.0.0/24', gateway: '10.1.0.9', dev: 'eth0', flags: ['dead', 'linkdown'] },

      { dst: '10.4.0.0/24', nhid: 5, gateway: '10.1.0.9', dev: 'eth0', flags: [] },
      { dst: '2001:db8::/64', gateway: 'fe80::1', dev: 'eth0', protocol: 'ra', metric: 1024, expires: '1799sec', flags: [], pref: 'medium' },
    ]);
    const h = loadHostFromFiles({ 'ip-link.json': links, 'ip-route.json': routes });
    const r = (d: string) => h.routes.find((x) => x.dstStr === d)!;
    expect(r('10.1.0.0/24')).toMatchObject({ flags: ['linkdown'] });
    expect(r('10.1.0.0/24').unsupported).toBeUndefined();
    expect(r('10.2.0.0/24').flags).toEqual(['dead', 'linkdown']);
    expect(r('10.4.0.0/24').unsupported).toEqual(['nhid']);
    // an RA route with an expiry is an ordinary IPv6 route (family from "pref", only IPv6 routes have it)
    expect(r('2001:db8::/64')).toMatchObject({ family: 6, protocol: 'ra', gatewayStr: 'fe80::1' });
    expect(r('2001:db8::/64').unsupported).toBeUndefined();
  });
});

describe('routes with encap (measured: `ip route add 10.3.0.0/24 encap ip id 5 dst 1.2.3.4 dev ifb0`, iproute2 6.1)', () => {
  // ip -j prints the tunnel's "dst" after the route's own "dst" in the same object
  const text =
    '[{"dst":"10.3.0.0/24","encap":"ip","id":5,"src":"0.0.0.0","dst":"1.2.3.4","ttl":0,"tos":0,"dev":"eth0","scope":"link","flags":[]},' +
    '{"dst":"10.5.0.0/24","gateway":"10.1.0.9","dev":"eth0","flags":[],"flow":{"to":"4"},"metrics":[{"mtu":1300}]}]';
  it('keeps the route\'s own dst, marks it unsupported, and ignores the tunnel tos', () => {
    const h = loadHostFromFiles({ 'ip-link.json': link([eth0]), 'ip-route.json': text });
    const r = h.routes[0]!;
    expect(r).toMatchObject({ dstStr: '10.3.0.0/24', dstLen: 24, unsupported: ['encap'], dev: 'eth0' });
    expect(r.tos).toBeUndefined();
    expect(h.routes[1]).toMatchObject({ dstStr: '10.5.0.0/24', mtu: 1300 });
  });
});

describe('first-key-wins JSON parser', () => {
  it('agrees with JSON.parse on every recorded JSON file (none has duplicate keys; tc-filter.json, which has, is read by parse/tc.ts)', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { parseJsonFirstKeyWins } = await import('../../src/host/parse/json.js');
    const root = new URL('../../fixtures/host-samples/', import.meta.url);
    let n = 0;
    for (const s of readdirSync(root)) {
      for (const f of readdirSync(new URL(`${s}/`, root)).filter((x) => x.endsWith('.json') && x !== 'tc-filter.json')) {
        const text = readFileSync(new URL(`${s}/${f}`, root), 'utf8');
        expect(parseJsonFirstKeyWins(text), `${s}/${f}`).toEqual(JSON.parse(text));
        n++;
      }
    }
    expect(n).toBeGreaterThan(40);
    expect(parseJsonFirstKeyWins('{"a":1,"a":2}')).toEqual({ a: 1 });
    expect(parseJsonFirstKeyWins('{"a":1,}')).toBeUndefined();
  });
});

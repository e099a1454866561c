// Loader tests on snapshots recorded with `pktlife snapshot` from namespaces built by
// fixtures/host-samples/<name>/setup.sh: every expected value below is something that script set up.
import { describe, expect, it } from 'vitest';
import { loadHost } from '../../src/host/load.js';
import { parseIPv4, parseIPv6 } from '../../src/host/addr.js';
import type { Host, Route } from '../../src/host/types.js';

const sample = (name: string) => loadHost(new URL(`../../fixtures/host-samples/${name}`, import.meta.url).pathname);
const v4 = (s: string) => parseIPv4(s)!;
const findRoute = (h: Host, table: number, dstStr: string, family = 4): Route | undefined =>
  h.routes.find((r) => r.table === table && r.dstStr === dstStr && r.family === family);

describe('router sample (fixtures/host-samples/router/setup.sh)', () => {
  const h = sample('router');

  it('has the devices the setup created, with kind, mtu, mac and state', () => {
    expect(h.devices.map((d) => d.name)).toEqual(['lo', 'eth0', 'eth1', 'ifb0']);
    const eth1 = h.byName.get('eth1')!;
    expect(eth1.kind).toBe('veth');
    expect(eth1.mtu).toBe(1400);
    expect(eth1.macStr).toBe('02:00:00:00:02:01');
    expect([...eth1.mac!]).toEqual([2, 0, 0, 0, 2, 1]);
    expect(eth1.up).toBe(true);
    const ifb = h.byName.get('ifb0')!;
    expect(ifb.kind).toBe('ifb');
    expect(ifb.up).toBe(false);
    expect(ifb.addrs).toEqual([]);
    expect(h.byIndex.get(h.byName.get('eth0')!.ifindex)!.name).toBe('eth0');
    expect(h.byName.get('lo')!.kind).toBe('loopback');
  });

  it('reads addresses with broadcast and point-to-point peer', () => {
    const eth1 = h.byName.get('eth1')!;
    const a = eth1.addrs.find((x) => x.localStr === '10.2.0.1')!;
    expect(a).toMatchObject({ family: 4, local: v4('10.2.0.1'), prefixlen: 24, broadcast: v4('10.2.0.255'), scope: 'global' });
    const p = eth1.addrs.find((x) => x.localStr === '192.0.2.1')!;
    expect(p).toMatchObject({ prefixlen: 32, peer: v4('192.0.2.2') });
    const six = eth1.addrs.find((x) => x.localStr === '2001:db8:2::1')!;
    expect(six.family).toBe(6);
    expect(six.local).toEqual(parseIPv6('2001:db8:2::1'));
    // link-local still in DAD when recorded (the setup used nodad only for the global ones)
    expect(eth1.addrs.find((x) => x.localStr.startsWith('fe80:'))!.tentative).toBe(true);
  });

  it('reads routes of every table with type, gateway, metric, prefsrc and nexthops', () => {
    expect(findRoute(h, 254, '198.51.100.0/24')).toMatchObject({ type: 'unicast', gateway: v4('10.2.0.2'), dev: 'eth1', metric: 50, dstLen: 24, dst: v4('198.51.100.0') });
    const mp = findRoute(h, 254, '203.0.113.0/24')!;
    expect(mp.nexthops!.map((n) => [n.gatewayStr, n.dev, n.weight])).toEqual([
      ['10.1.0.2', 'eth0', 1],
      ['10.2.0.2', 'eth1', 3],
    ]);
    expect(findRoute(h, 254, '10.66.0.0/16')!.type).toBe('blackhole');
    expect(findRoute(h, 254, '10.67.0.0/16')!.type).toBe('unreachable');
    expect(findRoute(h, 254, '10.68.0.0/16')!.type).toBe('prohibit');
    expect(findRoute(h, 100, 'default')).toMatchObject({ dst: 0, dstLen: 0, gateway: v4('10.2.0.2'), dev: 'eth1' });
    expect(findRoute(h, 100, '10.9.0.0/16')).toMatchObject({ prefsrc: v4('10.1.0.1'), scope: 'link', dev: 'eth0' });
    // routes the kernel made from the addresses (fib_add_ifaddr)
    expect(findRoute(h, 255, '10.1.0.1')).toMatchObject({ type: 'local', scope: 'host', dstLen: 32, protocol: 'kernel' });
    expect(findRoute(h, 255, '10.1.0.255')!.type).toBe('broadcast');
    expect(findRoute(h, 254, '10.1.0.0/24')).toMatchObject({ scope: 'link', protocol: 'kernel', prefsrc: v4('10.1.0.1') });
  });

  it('takes IPv6 routes once, from ip6-route.json, although ip-route.json (table all) lists them too', () => {
    const r = h.routes.filter((x) => x.dstStr === '2001:db8:99::/48');
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ family: 6, dstLen: 48, gatewayStr: '2001:db8:2::2', metric: 1024, table: 254 });
    expect(h.routes.filter((x) => x.family === 4 && x.dstStr.includes(':'))).toEqual([]);
  });

  it('reads policy rules with every selector the setup used', () => {
    const r = (p: number, fam = 4) => h.rules.find((x) => x.priority === p && x.family === fam)!;
    expect(r(100)).toMatchObject({ src: v4('10.1.0.0'), srcLen: 24, fwmark: 0x10, fwmask: 0xff, action: 'to_tbl', table: 100, not: false });
    expect(r(110)).toMatchObject({ not: true, dst: v4('10.0.0.0'), dstLen: 8, iif: 'eth0', table: 254 });
    expect(r(120)).toMatchObject({ ipproto: 6, dport: [80, 80], table: 100 });
    expect(r(130)).toMatchObject({ sport: [1000, 2000], oif: 'eth1', action: 'prohibit' });
    expect(r(140)).toMatchObject({ srcLen: 16, action: 'blackhole' });
    expect(r(150)).toMatchObject({ action: 'goto', table: 32766, dstLen: 16 });
    expect(r(0).table).toBe(255);
    expect(r(32767).table).toBe(253);
    expect(r(200, 6)).toMatchObject({ srcLen: 64, table: 100, src: parseIPv6('2001:db8:1::') });
    // IPv6 has no default-table rule (fib6_rules_net_init)
    expect(h.rules.filter((x) => x.family === 6).map((x) => x.priority)).toEqual([0, 200, 32766]);
    expect(r(100).text).toBe('100: from 10.1.0.0/24 fwmark 0x10/0xff lookup 100');
  });

  it('reads neighbours with their NUD states and the router flag', () => {
    const n = (s: string) => h.neigh.find((x) => x.dstStr === s)!;
    expect(n('10.1.0.2')).toMatchObject({ dev: 'eth0', lladdrStr: '02:00:00:00:01:02', state: ['PERMANENT'] });
    expect(n('10.2.0.2').state).toEqual(['REACHABLE']);
    expect(n('10.2.0.3').state).toEqual(['STALE']);
    expect(n('2001:db8:2::2')).toMatchObject({ family: 6, router: true, state: ['PERMANENT'] });
  });

  it('reads sockets: wildcard, specific, %dev, dual-stack * versus v6only [::], established', () => {
    const s = (proto: string, str: string) => h.sockets.find((x) => x.proto === proto && x.localStr === str)!;
    expect(s('tcp', '0.0.0.0:8080')).toMatchObject({ state: 'LISTEN', family: 4, local: null, localPort: 8080, peer: null, peerPort: 0 });
    expect(s('tcp', '10.1.0.1:22')).toMatchObject({ local: v4('10.1.0.1'), localPort: 22 });
    expect(s('tcp', '*:8443')).toMatchObject({ family: 6, local: null, localPort: 8443, v6only: false });
    expect(s('tcp', '[::]:9443')).toMatchObject({ family: 6, local: null, localPort: 9443, v6only: true });
    expect(s('udp', '10.2.0.1:53')).toMatchObject({ state: 'UNCONN', localPort: 53 });
    expect(s('udp', '0.0.0.0%eth1:5353')).toMatchObject({ boundDev: 'eth1', local: null, localPort: 5353 });
    expect(s('udp', '[2001:db8:1::1]:7000')).toMatchObject({ family: 6, local: parseIPv6('2001:db8:1::1') });
    const est = h.sockets.find((x) => x.state === 'ESTAB' && x.localPort === 40000)!;
    expect(est).toMatchObject({ peer: v4('10.1.0.1'), peerPort: 8080 });
    expect(est.process).toMatch(/python3/);
    expect(h.sockets).toHaveLength(9);
  });

  it('reads sysctls the setup changed and combines them like the kernel', () => {
    expect(h.sysctls.getInt('net.ipv4.ip_forward')).toBe(1);
    expect(h.sysctls.conf(4, 'eth0', 'rp_filter')).toBe(1);
    expect(h.sysctls.conf(4, 'eth1', 'rp_filter')).toBe(0);
    expect(h.sysctls.conf(4, 'eth1', 'log_martians')).toBe(1); // all=1, OR
    expect(h.sysctls.conf(6, 'eth0', 'forwarding')).toBe(1);
  });

  it('keeps the rule files for netfilter', () => {
    expect(h.nftText!.text).toContain('table inet hsfilter');
    expect(h.nftJson!.text).toContain('"hsfilter"');
    expect(h.iptables!.text).toContain('-A POSTROUTING -o eth1 -j MASQUERADE');
    expect(h.ip6tables!.text).toContain('ipv6-icmp');
    expect(h.ipset).toBeUndefined();
  });
});

describe('bridge sample (fixtures/host-samples/bridge/setup.sh)', () => {
  const h = sample('bridge');

  it('reads the bridge and its ports with their flags and states', () => {
    const br = h.byName.get('br0')!;
    expect(br.kind).toBe('bridge');
    expect(br.bridge).toMatchObject({ vlanFiltering: false, stpState: 0, ageingTime: 30000 });
    const p = (n: string) => h.byName.get(n)!;
    expect(['p1', 'p2', 'p3'].map((n) => p(n).master)).toEqual(['br0', 'br0', 'br0']);
    expect(p('p1').bridgePort).toMatchObject({ state: 'forwarding', hairpin: true, learning: true, flood: true });
    expect(p('p2').bridgePort).toMatchObject({ learning: false, flood: false, hairpin: false, mcastFlood: true, bcastFlood: true });
    expect(p('p3').bridgePort).toMatchObject({ state: 'disabled', isolated: true });
    expect(br.addrs.map((a) => `${a.localStr}/${a.prefixlen}`)).toContain('192.168.10.1/24');
  });

  it('reads static and permanent fdb entries', () => {
    const e = h.fdb.find((x) => x.macStr === '02:00:00:00:0c:01' && x.master === 'br0')!;
    expect(e).toMatchObject({ dev: 'p1', state: 'static' });
    expect(h.fdb.find((x) => x.macStr === '02:00:00:00:0c:02')).toMatchObject({ dev: 'p2', state: 'static' });
    expect(h.fdb.find((x) => x.macStr === '02:00:00:00:0b:00')).toMatchObject({ dev: 'br0', state: 'permanent' });
  });

  it('reads br_netfilter knobs: one set to 0, the others at the module default 1', () => {
    expect(h.sysctls.getInt('net.bridge.bridge-nf-call-iptables')).toBe(0);
    expect(h.sysctls.getInt('net.bridge.bridge-nf-call-ip6tables')).toBe(1);
    expect(h.nftText!.text).toContain('table bridge hsbr');
  });
});

describe('fresh namespace sample and missing files', () => {
  it('a fresh namespace has lo down without addresses, no routes, the default rules', () => {
    const h = sample('fresh');
    expect(h.devices.map((d) => [d.name, d.up, d.addrs.length])).toEqual([['lo', false, 0]]);
    expect(h.routes).toEqual([]);
    expect(h.rules.map((r) => [r.family, r.priority, r.table])).toEqual([
      [4, 0, 255],
      [4, 32766, 254],
      [4, 32767, 253],
      [6, 0, 255],
      [6, 32766, 254],
    ]);
  });
});

describe('rules sample (fixtures/host-samples/rules/setup.sh)', () => {
  const h = sample('rules');
  const r = (p: number, fam = 4) => h.rules.find((x) => x.priority === p && x.family === fam)!;

  it('marks selectors the model does not evaluate, and only those', () => {
    // uidrange is evaluated now (fib_rule_match with the flow's uid; received packets have uid 0)
    expect(r(10).unsupported).toBeUndefined();
    expect(r(10).uidRange).toEqual([1000, 2000]);
    expect(r(11).unsupported).toEqual(['l3mdev']);
    expect(r(12).unsupported).toEqual(['tun_id']);
    for (const p of [13, 14, 16, 17, 18, 19, 20, 21, 22, 23, 24]) expect(r(p).unsupported, `rule ${p}`).toBeUndefined();
  });

  it('reads every action and selector form as the setup wrote it', () => {
    expect(r(13).table).toBe(254); // realms do not change the lookup
    expect(r(14)).toMatchObject({ iif: 'nosuchdev', table: 254 });
    expect(r(15)).toMatchObject({ action: 'goto', table: 999, unresolved: true });
    expect(r(24)).toMatchObject({ action: 'goto', table: 32766, dstLen: 8 });
    expect(r(24).unresolved).toBeUndefined();
    expect(r(16).suppressPrefixlen).toBe(0);
    expect(r(17).suppressIfgroup).toBe(5);
    expect(r(18)).toMatchObject({ tos: 0x10, srcLen: 32, src: v4('10.0.0.1') });
    expect(r(19)).toMatchObject({ fwmark: 7, fwmask: 0xffffffff });
    expect(r(20).action).toBe('nop');
    expect(r(22)).toMatchObject({ ipproto: 17, sport: [53, 53] });
    expect(r(23).ipproto).toBe(99);
    expect(r(30, 6)).toMatchObject({ dstLen: 32, table: 30, dst: parseIPv6('2001:db8::') });
    expect(r(31, 6)).toMatchObject({ srcLen: 128, action: 'unreachable' });
  });

  it('renders rules as ip rule prints them', () => {
    expect(r(15).text).toBe('15: from all goto 999 [unresolved]');
    expect(r(19).text).toBe('19: from all fwmark 0x7 lookup main');
    expect(r(22).text).toBe('22: from all ipproto udp sport 53 lookup main');
    expect(r(11).text).toBe('11: from all lookup [l3mdev-table]');
  });
});

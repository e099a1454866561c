// Load a host snapshot directory (the files `pktlife snapshot` writes, see docs/host-snapshot.md)
// into the Host model. Every file is optional: a missing one means what the kernel has in a fresh
// network namespace. Bad input is a HostError naming the file and the place; a snapshot that
// contradicts itself is a HostError naming both places.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Family, FdbEntry, Host, NetDevice, Neighbour, Route, Rule, RuleFile } from './types.js';
import { HostError } from './errors.js';
import { Cursor, parseJson } from './parse/json.js';
import { parseAddrInfo, parseLink, parseMaddr, parseNeigh, parseRoute, parseRule, routeFamily } from './parse/ip.js';
import { parseFdb, parseVlanPort, type PortVlan } from './parse/bridge.js';
import { parseSs } from './parse/ss.js';
import { parseSysctlText, SysctlTable } from './sysctl.js';
import { kernelRoutes } from './kernel-routes.js';
import { readSnapshotTarball } from './tarball.js';
import { parseTcFilters, parseTcQdiscs } from './parse/tc.js';

/** The files a snapshot may hold, in load order. */
export const SNAPSHOT_FILES = [
  'ip-link.json',
  'ip-addr.json',
  'ip-route.json',
  'ip6-route.json',
  'ip-rule.json',
  'ip6-rule.json',
  'ip-neigh.json',
  'ip-neigh-proxy.json',
  'ip-maddr.json',
  'bridge-fdb.json',
  'bridge-vlan.json',
  'nft.txt',
  'nft.json',
  'iptables.rules',
  'ip6tables.rules',
  'ipset.txt',
  'nfacct.txt',
  'sysctl.txt',
  'ss.txt',
  'tc-qdisc.json',
  'tc-filter.json',
] as const;

export function loadHost(dir: string): Host {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new HostError(dir, '', 'not a directory (expected a host snapshot directory)');
  const files: Record<string, string> = {};
  for (const f of SNAPSHOT_FILES) {
    const p = join(dir, f);
    if (!existsSync(p)) continue;
    try {
      files[f] = readFileSync(p, 'utf8');
    } catch (e) {
      // a directory or an unreadable file where a snapshot file belongs
      throw new HostError(join(dir, f), '', `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  try {
    return loadHostFromFiles(files, dir);
  } catch (e) {
    // name the file with its folder: `pktlife diff --host A --host B` must say which snapshot is bad
    if (e instanceof HostError && (SNAPSHOT_FILES as readonly string[]).includes(e.file)) throw new HostError(join(dir, e.file), e.where, e.problem);
    throw e;
  }
}

/** A fresh network namespace: only lo, down, no addresses (measured: fixtures/host-samples/fresh). */
function defaultDevices(): NetDevice[] {
  return [
    {
      ifindex: 1,
      name: 'lo',
      kind: 'loopback',
      mtu: 65536,
      mac: new Uint8Array(6),
      macStr: '00:00:00:00:00:00',
      up: false,
      flags: new Set(['LOOPBACK']),
      isLoopback: true,
      noArp: false,
      operstate: 'DOWN',
      master: null,
      gro: true,
      addrs: [],
    },
  ];
}

/** Kernel's initial rules (fib_default_rules_init, fib6_rules_net_init): IPv4 0/32766/32767, IPv6 0/32766. */
export function defaultRules(family: Family): Rule[] {
  const mk = (priority: number, table: number, name: string): Rule => ({
    family,
    priority,
    not: false,
    srcLen: 0,
    dstLen: 0,
    action: 'to_tbl',
    table,
    text: `${priority}:\tfrom all lookup ${name}`.replace('\t', ' '),
  });
  const rules = [mk(0, 255, 'local'), mk(32766, 254, 'main')];
  if (family === 4) rules.push(mk(32767, 253, 'default'));
  return rules;
}

function devicesFrom(file: string, text: string): { devs: NetDevice[]; lowers: Map<NetDevice, { name: string; where: string }>; where: Map<NetDevice, string> } {
  const top = new Cursor(file, '', parseJson(file, text));
  const devs: NetDevice[] = [];
  const lowers = new Map<NetDevice, { name: string; where: string }>();
  const where = new Map<NetDevice, string>();
  for (const c of top.array()) {
    const d = parseLink(c) as NetDevice & { lowerName?: string };
    if (d.lowerName !== undefined) {
      lowers.set(d, { name: d.lowerName, where: `${c.path}.link` });
      delete d.lowerName;
    }
    where.set(d, c.path);
    devs.push(d);
  }
  return { devs, lowers, where };
}

export function loadHostFromFiles(files: Record<string, string>, dir = '(in memory)'): Host {
  // ---- devices: ip-link.json, else ip-addr.json (same link fields), else a fresh namespace
  const linkFile = files['ip-link.json'] !== undefined ? 'ip-link.json' : files['ip-addr.json'] !== undefined ? 'ip-addr.json' : null;
  let devices: NetDevice[];
  const byName = new Map<string, NetDevice>();
  const byIndex = new Map<number, NetDevice>();
  if (linkFile) {
    const { devs, lowers, where } = devicesFrom(linkFile, files[linkFile]!);
    devices = devs;
    for (const d of devs) {
      const prevI = byIndex.get(d.ifindex);
      if (prevI) throw new HostError(linkFile, where.get(d)!, `duplicate ifindex ${d.ifindex}: also at ${where.get(prevI)} (${prevI.name})`);
      const prevN = byName.get(d.name);
      if (prevN) throw new HostError(linkFile, where.get(d)!, `duplicate device name "${d.name}": also at ${where.get(prevN)}`);
      byIndex.set(d.ifindex, d);
      byName.set(d.name, d);
    }
    for (const d of devs) {
      if (d.master !== null && !byName.has(d.master)) {
        throw new HostError(linkFile, `${where.get(d)}.master`, `master "${d.master}" of ${d.name} is not a device in ${linkFile}`);
      }
      if (d.bridgePort && d.master !== null && byName.get(d.master)!.kind !== 'bridge') {
        throw new HostError(linkFile, `${where.get(d)}.master`, `${d.name} is a bridge port but its master "${d.master}" (${where.get(byName.get(d.master)!)}) is a ${byName.get(d.master)!.kind}, not a bridge`);
      }
      const low = lowers.get(d);
      if (low) {
        const lower = byName.get(low.name);
        if (!lower) throw new HostError(linkFile, low.where, `lower device "${low.name}" of vlan ${d.name} is not a device in ${linkFile}`);
        d.vlan!.link = lower.ifindex;
      }
    }
  } else {
    devices = defaultDevices();
    for (const d of devices) {
      byName.set(d.name, d);
      byIndex.set(d.ifindex, d);
    }
  }
  const linkSource = linkFile ?? '(no ip-link.json: a fresh namespace with only lo)';

  // ---- addresses
  if (files['ip-addr.json'] !== undefined) {
    const f = 'ip-addr.json';
    for (const c of new Cursor(f, '', parseJson(f, files[f]!)).array()) {
      const name = c.str('ifname');
      const dev = byName.get(name);
      if (!dev) throw new HostError(f, `${c.path}.ifname`, `device "${name}" has addresses but is not in ${linkSource}`);
      const idx = c.optNum('ifindex');
      if (idx !== undefined && idx !== dev.ifindex) {
        throw new HostError(f, `${c.path}.ifindex`, `${name} has ifindex ${idx} here but ${dev.ifindex} in ${linkSource}`);
      }
      if (c.has('addr_info')) dev.addrs = c.get('addr_info').array().map(parseAddrInfo);
    }
  } else {
    // no ip-addr.json: an up loopback still has what the kernel gives it on NETDEV_UP
    // (devinet.c inetdev_event: 127.0.0.1/8 scope host; addrconf.c init_loopback: ::1/128)
    for (const d of devices) {
      if (d.up && d.flags.has('LOOPBACK') && d.addrs.length === 0) {
        d.addrs.push({ family: 4, local: 0x7f000001, localStr: '127.0.0.1', prefixlen: 8, scope: 'host' });
        const one = new Uint8Array(16);
        one[15] = 1;
        d.addrs.push({ family: 6, local: one, localStr: '::1', prefixlen: 128, scope: 'host' });
      }
    }
  }

  const needDev = (file: string, c: Cursor, key: string, what: string): void => {
    const name = c.optStr(key);
    if (name !== undefined && !byName.has(name)) throw new HostError(file, `${c.path}.${key}`, `${what} uses device "${name}", which is not in ${linkSource}`);
  };

  // values are checked when read (mid-replay), so the table keeps the file's full name for its errors
  const sysctls = new SysctlTable(files['sysctl.txt'] !== undefined ? parseSysctlText('sysctl.txt', files['sysctl.txt']) : new Map(), dir === '(in memory)' ? 'sysctl.txt' : join(dir, 'sysctl.txt'));

  // ---- routes: `ip -j route show table all` dumps IPv6 too; ip6-route.json, when present, is authoritative for IPv6
  const routes: Route[] = [];
  const haveV6File = files['ip6-route.json'] !== undefined;
  for (const f of ['ip-route.json', 'ip6-route.json'] as const) {
    if (files[f] === undefined) continue;
    // a route with `encap` repeats "dst" (the tunnel's) after the route's own: keep the first
    const firstKeyWins = files[f]!.includes('"encap"');
    for (const c of new Cursor(f, '', parseJson(f, files[f]!, { firstKeyWins })).array()) {
      const fam: Family = f === 'ip6-route.json' ? 6 : routeFamily(c);
      if (f === 'ip-route.json' && fam === 6 && haveV6File) continue;
      needDev(f, c, 'dev', 'route');
      if (c.has('nexthops')) for (const nh of c.get('nexthops').array()) needDev(f, nh, 'dev', 'route nexthop');
      routes.push(parseRoute(c, fam));
    }
  }
  // no route file for a family: the kernel still has the routes it makes from the addresses
  if (files['ip-route.json'] === undefined) routes.push(...kernelRoutes(devices, sysctls, 4));
  if (files['ip-route.json'] === undefined && !haveV6File) routes.push(...kernelRoutes(devices, sysctls, 6));

  // ---- rules
  const rules: Rule[] = [];
  for (const [f, fam] of [['ip-rule.json', 4], ['ip6-rule.json', 6]] as const) {
    if (files[f] === undefined) {
      rules.push(...defaultRules(fam));
      continue;
    }
    for (const c of new Cursor(f, '', parseJson(f, files[f]!)).array()) rules.push(parseRule(c, fam));
  }
  // rules are consulted in priority order; equal priorities keep file order (the kernel's list order)
  rules.sort((a, b) => a.family - b.family || a.priority - b.priority);

  // ---- neighbours
  const neigh: Neighbour[] = [];
  if (files['ip-neigh.json'] !== undefined) {
    const f = 'ip-neigh.json';
    for (const c of new Cursor(f, '', parseJson(f, files[f]!)).array()) {
      needDev(f, c, 'dev', 'neighbour');
      neigh.push(parseNeigh(c));
    }
  }
  // proxy entries (`ip -j neigh show proxy`: {"dst", "dev", "proxy": null[, "router": null]}), kept
  // beside the neighbours with the state PROXY: pneigh_lookup's table (arp_fwd_proxy, ndisc_recv_ns)
  if (files['ip-neigh-proxy.json'] !== undefined) {
    const f = 'ip-neigh-proxy.json';
    for (const c of new Cursor(f, '', parseJson(f, files[f]!)).array()) {
      needDev(f, c, 'dev', 'proxy neighbour');
      const n = parseNeigh(c);
      n.state = ['PROXY'];
      neigh.push(n);
    }
  }

  // ---- multicast groups joined (all or nothing: with the file, a device it does not list has none)
  if (files['ip-maddr.json'] !== undefined) {
    const f = 'ip-maddr.json';
    for (const d of devices) d.mcast = { v4: new Set(), v6: new Set() };
    for (const c of new Cursor(f, '', parseJson(f, files[f]!)).array()) {
      needDev(f, c, 'ifname', 'group list');
      const m = parseMaddr(c);
      const d = byName.get(m.ifname)!;
      if (m.ifindex !== undefined && m.ifindex !== d.ifindex) throw new HostError(f, `${c.path}.ifindex`, `device "${m.ifname}" has ifindex ${m.ifindex} here but ${d.ifindex} in ${linkSource}`);
      for (const a of m.v4) d.mcast!.v4.add(a);
      for (const a of m.v6) d.mcast!.v6.add(String.fromCharCode(...a));
    }
  }

  // ---- bridge fdb and vlans
  const fdb: FdbEntry[] = [];
  if (files['bridge-fdb.json'] !== undefined) {
    const f = 'bridge-fdb.json';
    for (const c of new Cursor(f, '', parseJson(f, files[f]!)).array()) {
      needDev(f, c, 'ifname', 'fdb entry');
      needDev(f, c, 'master', 'fdb entry');
      fdb.push(parseFdb(c));
    }
  }
  const bridgeVlans = new Map<string, PortVlan[]>();
  if (files['bridge-vlan.json'] !== undefined) {
    const f = 'bridge-vlan.json';
    for (const c of new Cursor(f, '', parseJson(f, files[f]!)).array()) {
      needDev(f, c, 'ifname', 'vlan entry');
      const { port, vlans } = parseVlanPort(c);
      bridgeVlans.set(port, [...(bridgeVlans.get(port) ?? []), ...vlans]);
    }
  }

  // ---- sockets, sysctls, rule files
  const sockets = files['ss.txt'] !== undefined ? parseSs('ss.txt', files['ss.txt']) : [];
  for (const s of sockets) {
    if (s.boundDev !== undefined && !byName.has(s.boundDev)) {
      throw new HostError('ss.txt', `socket ${s.proto} ${s.localStr}`, `bound to device "${s.boundDev}", which is not in ${linkSource}`);
    }
  }
  const rf = (name: string): RuleFile | undefined => (files[name] !== undefined ? { path: dir === '(in memory)' ? name : shownPath(join(dir, name)), text: files[name]! } : undefined);

  const host: Host = { dir, devices, byName, byIndex, routes, rules, neigh, fdb, bridgeVlans, sockets, sysctls };

  // ---- tc: qdiscs and the ingress/clsact filters
  const qdiscs = files['tc-qdisc.json'] !== undefined ? parseTcQdiscs('tc-qdisc.json', files['tc-qdisc.json']) : null;
  if (qdiscs) for (const [i, q] of qdiscs.entries()) if (!byName.has(q.dev)) throw new HostError('tc-qdisc.json', `[${i}].dev`, `qdisc on device "${q.dev}", which is not in ${linkSource}`);
  if (qdiscs || files['tc-filter.json'] !== undefined) {
    const filters = files['tc-filter.json'] !== undefined ? parseTcFilters('tc-filter.json', files['tc-filter.json'], qdiscs) : new Map();
    for (const dev of filters.keys()) if (!byName.has(dev)) throw new HostError('tc-filter.json', dev, `filters on device "${dev}", which is not in ${linkSource}`);
    for (const [dev, fl] of filters) {
      for (const f of [...fl.ingress, ...fl.egress]) {
        for (const a of f.actions) {
          if (a.mirred && !byName.has(a.mirred.dev)) throw new HostError('tc-filter.json', `${a.where}.to_dev`, `mirred to device "${a.mirred.dev}" (filter on ${dev}), which is not in ${linkSource}`);
        }
      }
    }
    host.tc = { qdiscs: qdiscs ?? [], filters };
  }
  const opt = { nftText: rf('nft.txt'), nftJson: rf('nft.json'), iptables: rf('iptables.rules'), ip6tables: rf('ip6tables.rules'), ipset: rf('ipset.txt'), nfacct: rf('nfacct.txt') };
  for (const [k, v] of Object.entries(opt)) if (v) (host as unknown as Record<string, RuleFile>)[k] = v;
  const variant = iptablesVariant(dir);
  if (variant) host.iptablesVariant = variant;
  return host;
}

/** the iptables backend `iptables -V` printed when the snapshot was taken ("iptables v1.8.9 (nf_tables)"), from snapshot.json */
function iptablesVariant(dir: string): 'nf_tables' | 'legacy' | undefined {
  if (dir === '(in memory)') return undefined;
  try {
    return iptablesVariantOf(readFileSync(join(dir, 'snapshot.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

function iptablesVariantOf(snapshotJson: string): 'nf_tables' | 'legacy' | undefined {
  let meta: { versions?: Record<string, string> };
  try {
    meta = JSON.parse(snapshotJson) as typeof meta;
  } catch {
    return undefined;
  }
  const v = meta.versions?.iptables ?? meta.versions?.['iptables-save'];
  return v === undefined ? undefined : /\(nf_tables\)/.test(v) ? 'nf_tables' : /\(legacy\)/.test(v) ? 'legacy' : undefined;
}

/**
 * `--host PATH`: a snapshot directory or the NAME.tar.gz of `pktlife snapshot --script`. Either must
 * be a snapshot (hold ip-link.json): replaying against an empty host would silently drop everything.
 */
export function loadHostArg(path: string): Host {
  if (!existsSync(path)) throw new HostError(path, '', 'not a directory, nor a file: no such path (expected a host snapshot directory or the NAME.tar.gz of `pktlife snapshot --script`)');
  if (statSync(path).isDirectory()) {
    if (!existsSync(join(path, 'ip-link.json'))) throw new HostError(path, '', 'not a host snapshot: no ip-link.json in it (record one with `pktlife snapshot DIR`, or on a host without Node with the script of `pktlife snapshot --script`)');
    return loadHost(path);
  }
  const files = readSnapshotTarball(path);
  if (files['ip-link.json'] === undefined) throw new HostError(path, '', 'not a host snapshot: the tarball holds no ip-link.json');
  const known: Record<string, string> = {};
  for (const f of SNAPSHOT_FILES) if (files[f] !== undefined) known[f] = files[f]!;
  try {
    const host = loadHostFromFiles(known, path);
    // snapshot.json is in the tarball too: its `iptables -V` decides the backend as for a directory
    const variant = files['snapshot.json'] !== undefined ? iptablesVariantOf(files['snapshot.json']) : undefined;
    if (variant) host.iptablesVariant = variant;
    return host;
  } catch (e) {
    if (e instanceof HostError && (SNAPSHOT_FILES as readonly string[]).includes(e.file)) throw new HostError(`${path}:${e.file}`, e.where, e.problem);
    throw e;
  }
}

/**
 * A rule file's name in verdict sources and notes: relative to the current directory when it is
 * under it (an absolute --host /home/me/proj/web1 reads web1/nft.txt:12), else as given.
 */
export function shownPath(p: string): string {
  const rel = relative(process.cwd(), resolve(p));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}

// Parsers for iproute2 JSON output: ip -j -d link, ip -j addr, ip -j route, ip -j rule, ip -j neigh.
// Field names and the way flags are printed follow iproute2 6.x (ip/iplink.c, ip/ipaddress.c,
// ip/iproute.c, ip/iprule.c, ip/ipneigh.c): a set boolean is printed as `"key": null`.
import type { BridgeInfo, BridgePortInfo, Family, IfAddr, NetDevice, Neighbour, Nexthop, Route, RouteType, Rule, XdpInfo } from '../types.js';
import { ipv4ToString, parseIPv4, parseIPv6, parseMac } from '../addr.js';
import { Cursor } from './json.js';

export function addrOf(c: Cursor, key: string, family?: Family): { family: Family; value: number | Uint8Array; text: string } {
  const s = c.str(key);
  if (family !== 6) {
    const v4 = parseIPv4(s);
    if (v4 !== null) return { family: 4, value: v4, text: s };
  }
  if (family !== 4) {
    const v6 = parseIPv6(s);
    if (v6) return { family: 6, value: v6, text: s };
  }
  throw c.err(`expected an ${family ? `IPv${family}` : 'IP'} address, found "${s}"`, key);
}

function macOf(c: Cursor, key: string): Uint8Array | null {
  const s = c.optStr(key);
  if (s === undefined) return null;
  const m = parseMac(s);
  if (!m) throw c.err(`expected a MAC address, found "${s}"`, key);
  return m;
}

// ---------- ip -j -d link / ip -j addr ----------

const PORT_STATES = new Set(['disabled', 'listening', 'learning', 'forwarding', 'blocking']);

function ethProto(c: Cursor, key: string, dflt: number): number {
  const s = c.optStr(key);
  if (s === undefined) return dflt;
  if (s === '802.1Q') return 0x8100;
  if (s === '802.1ad') return 0x88a8;
  throw c.err(`expected "802.1Q" or "802.1ad", found "${s}"`, key);
}

/** 0/1 numbers or booleans, as ip -d prints bridge options. */
function bit(c: Cursor, key: string, dflt: boolean): boolean {
  if (!c.has(key)) return dflt;
  const v = c.get(key).value;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  throw c.err('expected true/false or 0/1', key);
}

/** A device from one element of ip -j -d link show (or ip -j addr show, which has the same link fields). */
export function parseLink(c: Cursor): NetDevice & { lowerName?: string } {
  const ifindex = c.num('ifindex');
  const name = c.str('ifname');
  const flags = new Set(c.strArray('flags'));
  const linkType = c.optStr('link_type') ?? 'ether';
  let kind = linkType;
  let bridge: BridgeInfo | undefined;
  let bridgePort: BridgePortInfo | undefined;
  let vlan: { id: number; protocol: number; link: number } | undefined;
  let lowerName: string | undefined;
  if (c.has('linkinfo')) {
    const li = c.get('linkinfo');
    kind = li.optStr('info_kind') ?? kind;
    if (kind === 'bridge' && li.has('info_data')) {
      const d = li.get('info_data');
      bridge = {
        vlanFiltering: bit(d, 'vlan_filtering', false),
        vlanProtocol: ethProto(d, 'vlan_protocol', 0x8100),
        defaultPvid: d.optNum('vlan_default_pvid') ?? 1,
        stpState: d.optNum('stp_state') ?? 0,
        ageingTime: d.optNum('ageing_time') ?? 30000,
      };
    } else if (kind === 'bridge') {
      bridge = { vlanFiltering: false, vlanProtocol: 0x8100, defaultPvid: 1, stpState: 0, ageingTime: 30000 };
    }
    if (kind === 'vlan') {
      if (!li.has('info_data')) throw li.err('missing (vlan device without info_data: record with ip -d)', 'info_data');
      const d = li.get('info_data');
      vlan = { id: d.num('id'), protocol: ethProto(d, 'protocol', 0x8100), link: 0 };
      lowerName = c.optStr('link');
      if (lowerName === undefined) throw c.err('missing (vlan device without a lower device in this namespace)', 'link');
    }
    if (li.optStr('info_slave_kind') === 'bridge' && li.has('info_slave_data')) {
      const d = li.get('info_slave_data');
      const state = d.optStr('state') ?? 'forwarding';
      if (!PORT_STATES.has(state)) throw d.err(`expected a bridge port state (${[...PORT_STATES].join('|')}), found "${state}"`, 'state');
      bridgePort = {
        state,
        learning: bit(d, 'learning', true),
        flood: bit(d, 'flood', true),
        mcastFlood: bit(d, 'mcast_flood', true),
        bcastFlood: bit(d, 'bcast_flood', true),
        hairpin: bit(d, 'hairpin', false),
        isolated: bit(d, 'isolated', false),
      };
    }
  }
  const master = c.optStr('master') ?? null;
  if (master !== null && !bridgePort && !c.has('linkinfo')) {
    // ip without -d: the port's state is unknown; the kernel default for a new, up port is forwarding (no STP)
    bridgePort = { state: 'forwarding', learning: true, flood: true, mcastFlood: true, bcastFlood: true, hairpin: false, isolated: false };
  }
  // tunnels print an IP (ipip/sit/gre: "0.0.0.0") or a longer hardware address as "address": no MAC
  const addrText = c.optStr('address');
  const looksMac = addrText !== undefined && /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(addrText);
  if (!looksMac && addrText !== undefined && (linkType === 'ether' || linkType === 'loopback')) {
    throw c.err(`expected a MAC address, found "${addrText}"`, 'address');
  }
  const mac = looksMac ? macOf(c, 'address') : null;
  return {
    ifindex,
    name,
    kind,
    mtu: c.num('mtu'),
    mac,
    macStr: mac ? c.str('address') : null,
    up: flags.has('UP'),
    flags,
    isLoopback: kind === 'loopback' || flags.has('LOOPBACK'),
    noArp: flags.has('NOARP'),
    operstate: c.optStr('operstate') ?? 'UNKNOWN',
    master,
    ...(bridge ? { bridge } : {}),
    ...(bridgePort ? { bridgePort } : {}),
    ...(vlan ? { vlan } : {}),
    ...(lowerName ? { lowerName } : {}),
    ...(c.has('xdp') ? { xdp: parseXdp(c.get('xdp')) } : {}),
    gro: true,
    addrs: [],
  };
}

/** iproute2 ip/iplink_xdp.c xdp_dump: "xdp": {mode, prog: {id, name, tag}, attached: [{mode, prog}]} */
function parseXdp(x: Cursor): XdpInfo {
  const mode = x.num('mode');
  const prog = (p: Cursor, m: number) => {
    const tag = p.optStr('tag');
    return { id: p.num('id'), name: p.optStr('name') ?? '', mode: m, ...(tag !== undefined ? { tag } : {}) };
  };
  const progs = x.has('attached') ? x.get('attached').array().filter((a) => a.has('prog')).map((a) => prog(a.get('prog'), a.optNum('mode') ?? mode)) : x.has('prog') ? [prog(x.get('prog'), mode)] : [];
  return { mode, progs };
}

export function parseAddrInfo(c: Cursor): IfAddr {
  const fam = c.str('family');
  if (fam !== 'inet' && fam !== 'inet6') throw c.err(`expected "inet" or "inet6", found "${fam}"`, 'family');
  const family: Family = fam === 'inet' ? 4 : 6;
  const local = addrOf(c, 'local', family);
  const prefixlen = c.num('prefixlen');
  if (!Number.isInteger(prefixlen) || prefixlen < 0 || prefixlen > (family === 4 ? 32 : 128)) throw c.err(`prefix length out of range: ${prefixlen}`, 'prefixlen');
  const a: IfAddr = { family, local: local.value, localStr: local.text, prefixlen, scope: c.optStr('scope') ?? 'global' };
  if (family === 4 && c.has('broadcast')) a.broadcast = addrOf(c, 'broadcast', 4).value as number;
  // `ip addr add A peer B`: ip -j prints the peer as "address" beside "local"
  if (c.has('address')) a.peer = addrOf(c, 'address', family).value;
  if (c.flag('noprefixroute')) a.noprefixroute = true;
  if (c.flag('tentative')) a.tentative = true;
  if (c.flag('secondary')) a.secondary = true;
  if (c.flag('dadfailed')) a.dadfailed = true;
  return a;
}

// ---------- tables, scopes, protocols ----------

/** Table ids as the kernel numbers them (include/uapi/linux/rtnetlink.h rt_class_t). */
export const TABLE_IDS: Record<string, number> = { unspec: 0, default: 253, main: 254, local: 255 };

export function tableId(c: Cursor, key: string): number {
  const s = c.get(key).value;
  if (typeof s === 'number' && Number.isInteger(s) && s >= 0) return s;
  if (typeof s !== 'string') throw c.err('expected a table name or number', key);
  if (/^\d+$/.test(s)) return Number(s);
  const id = TABLE_IDS[s];
  if (id === undefined) {
    throw c.err(`unknown table name "${s}" (only local/main/default are known; record with a numeric table or add it to the loader)`, key);
  }
  return id;
}

const ROUTE_TYPES = new Set<RouteType>(['unicast', 'local', 'broadcast', 'multicast', 'anycast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat']);

/** Which family an entry of `ip -j route show table all` is: that command dumps IPv6 routes too. */
export function routeFamily(c: Cursor): Family {
  if (c.has('pref')) return 6; // RTA_PREF exists only for IPv6 routes
  for (const k of ['dst', 'gateway', 'prefsrc', 'src']) {
    const s = c.optStr(k);
    if (s && s !== 'default' && s !== 'all') return s.includes(':') ? 6 : 4;
  }
  if (c.has('nexthops')) {
    for (const nh of c.get('nexthops').array()) {
      const g = nh.optStr('gateway');
      if (g) return g.includes(':') ? 6 : 4;
    }
  }
  return 4;
}

function prefix(c: Cursor, key: string, family: Family): { value: number | Uint8Array; len: number; text: string } {
  const s = c.str(key);
  const max = family === 4 ? 32 : 128;
  if (s === 'default' || s === 'all') return { value: family === 4 ? 0 : new Uint8Array(16), len: 0, text: s };
  const slash = s.indexOf('/');
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const len = slash < 0 ? max : Number(s.slice(slash + 1));
  if (!Number.isInteger(len) || len < 0 || len > max) throw c.err(`bad prefix length in "${s}"`, key);
  const value = family === 4 ? parseIPv4(addrText) : parseIPv6(addrText);
  if (value === null) throw c.err(`expected an IPv${family} prefix, found "${s}"`, key);
  return { value, len, text: s };
}

/**
 * Route attributes that change the lookup in ways the model does not evaluate: a route carrying one
 * is marked unsupported (expires/realms/pref do not change the lookup and are not listed).
 */
const ROUTE_UNSUPPORTED = ['encap', 'nhid', 'from', 'cache'];

export function parseRoute(c: Cursor, family: Family): Route {
  const typeS = (c.optStr('type') ?? 'unicast') as RouteType;
  if (!ROUTE_TYPES.has(typeS)) throw c.err(`unknown route type "${typeS}"`, 'type');
  const dst = prefix(c, 'dst', family);
  const r: Route = {
    family,
    table: c.has('table') ? tableId(c, 'table') : 254,
    type: typeS,
    dst: dst.value,
    dstStr: dst.text,
    dstLen: dst.len,
    // iproute2 omits scope when it is universe ("global") and protocol when it is "boot"
    scope: c.optStr('scope') ?? 'global',
    metric: c.optNum('metric') ?? 0,
    protocol: c.optStr('protocol') ?? 'boot',
  };
  if (c.has('gateway')) {
    const g = addrOf(c, 'gateway', family);
    r.gateway = g.value;
    r.gatewayStr = g.text;
  } else if (c.has('via')) {
    // RTA_VIA: a gateway of the other family (IPv4 route via an IPv6 nexthop)
    const v = c.get('via');
    const g = addrOf(v, 'host');
    r.gateway = g.value;
    r.gatewayStr = g.text;
  }
  const dev = c.optStr('dev');
  if (dev !== undefined) r.dev = dev;
  if (c.has('prefsrc')) r.prefsrc = addrOf(c, 'prefsrc', family).value;
  // the route's tos is a hex string; a number under "tos" belongs to an encap (ip -j prints both flat)
  const tosV = c.has('tos') ? c.get('tos').value : c.has('dsfield') ? c.get('dsfield').value : undefined;
  if (typeof tosV === 'string') r.tos = parseInt(tosV, 16);
  const flags = c.strArray('flags');
  if (flags.includes('onlink')) r.onlink = true;
  if (c.has('metrics')) {
    for (const m of c.get('metrics').array()) {
      if (m.value && typeof m.value === 'object' && 'mtu' in (m.value as object)) r.mtu = m.num('mtu');
    }
  }
  if (c.has('nexthops')) {
    r.nexthops = c.get('nexthops').array().map((n): Nexthop => {
      const nh: Nexthop = {};
      if (n.has('gateway')) {
        const g = addrOf(n, 'gateway', family);
        nh.gateway = g.value;
        nh.gatewayStr = g.text;
      }
      const d = n.optStr('dev');
      if (d !== undefined) nh.dev = d;
      nh.weight = n.optNum('weight') ?? 1;
      const nf = n.strArray('flags');
      if (nf.includes('onlink')) nh.onlink = true;
      if (nf.length) nh.flags = nf;
      return nh;
    });
  }
  // RTNH_F_DEAD ("dead") nexthops are skipped by fib lookup; "linkdown" ones are still used unless
  // ignore_routes_with_linkdown: kept as data for the route stage
  if (flags.length) r.flags = flags;
  const unsup = ROUTE_UNSUPPORTED.filter((k) => c.has(k));
  if (unsup.length) r.unsupported = unsup;
  return r;
}

// ---------- ip -j rule ----------

/** IP protocol names as ip prints them (getprotobynumber names; "ipproto-N" otherwise). */
const PROTO: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, 'ipv6-icmp': 58, icmpv6: 58, ospf: 89, sctp: 132, udplite: 136, dccp: 33, ipip: 4, ipv6: 41 };

function hexOrNum(c: Cursor, key: string): number {
  const v = c.get(key).value;
  if (typeof v === 'number') return v >>> 0;
  if (typeof v === 'string' && /^(0x[0-9a-fA-F]+|\d+)$/.test(v)) return Number(v) >>> 0;
  throw c.err('expected a number or 0x hex', key);
}

function portRange(c: Cursor, name: 'sport' | 'dport'): [number, number] | undefined {
  if (c.has(name)) {
    const p = c.num(name);
    return [p, p];
  }
  if (c.has(`${name}_start`)) return [c.num(`${name}_start`), c.num(`${name}_end`)];
  return undefined;
}

/**
 * Rule selectors the model does not evaluate, as `ip -j rule` spells them (measured, see
 * fixtures/host-samples/rules): a rule carrying one is marked unsupported. flow_to/flow_from (realms)
 * and protocol do not change matching; iif_detached/oif_detached rules can never match, which the
 * model sees anyway since the device is not in the snapshot.
 */
const RULE_UNSUPPORTED = ['l3mdev', 'tun_id', 'flowlabel', 'dscp'];

export function parseRule(c: Cursor, family: Family): Rule {
  const src = prefix(c, 'src', family);
  const srcLen = c.optNum('srclen') ?? (src.text === 'all' ? 0 : family === 4 ? 32 : 128);
  const r: Rule = {
    family,
    priority: c.optNum('priority') ?? 0,
    not: c.flag('not'),
    srcLen,
    dstLen: 0,
    action: 'to_tbl',
    text: '',
  };
  if (src.text !== 'all') {
    r.src = src.value;
    r.srcStr = src.text;
  }
  if (c.has('dst')) {
    const dst = prefix(c, 'dst', family);
    r.dst = dst.value;
    r.dstStr = dst.text;
    r.dstLen = c.optNum('dstlen') ?? (family === 4 ? 32 : 128);
  }
  const iif = c.optStr('iif');
  if (iif !== undefined) r.iif = iif;
  const oif = c.optStr('oif');
  if (oif !== undefined) r.oif = oif;
  if (c.has('fwmark')) {
    r.fwmark = hexOrNum(c, 'fwmark');
    r.fwmask = c.has('fwmask') ? hexOrNum(c, 'fwmask') : 0xffffffff;
  }
  const tos = c.optStr('tos') ?? c.optStr('dsfield');
  if (tos !== undefined) r.tos = parseInt(tos, 16);
  if (c.has('ipproto')) {
    const p = c.get('ipproto').value;
    let n: number | undefined;
    if (typeof p === 'number') n = p;
    else if (typeof p === 'string') n = PROTO[p] ?? (/^ipproto-(\d+)$/.exec(p) ? Number(p.slice(8)) : /^\d+$/.test(p) ? Number(p) : undefined);
    if (n === undefined) throw c.err(`unknown IP protocol "${String(p)}"`, 'ipproto');
    r.ipproto = n;
  }
  const sp = portRange(c, 'sport');
  if (sp) r.sport = sp;
  const dp = portRange(c, 'dport');
  if (dp) r.dport = dp;
  if (c.has('goto')) {
    r.action = 'goto';
    r.table = c.num('goto');
    // "unresolved": no rule has the target priority; fib_rules_lookup skips such a rule
    if (c.flag('unresolved')) r.unresolved = true;
  } else if (c.flag('nop')) {
    r.action = 'nop';
  } else if (c.flag('l3mdev')) {
    // l3mdev rules look up the VRF table of the device: no table here, marked unsupported below
  } else if (c.has('action')) {
    const a = c.str('action');
    if (!['blackhole', 'unreachable', 'prohibit', 'nop'].includes(a)) throw c.err(`unknown rule action "${a}"`, 'action');
    r.action = a;
  } else if (c.has('table')) {
    r.table = tableId(c, 'table');
  } else {
    throw c.err('rule has neither a table nor an action');
  }
  if (c.has('suppress_prefixlen')) r.suppressPrefixlen = c.num('suppress_prefixlen');
  // uidrange: evaluated by the FIB when the flow's uid is known (received packets: uid 0)
  if (c.has('uid_start')) r.uidRange = [c.num('uid_start'), c.num('uid_end')];
  if (c.has('suppress_ifgroup')) r.suppressIfgroup = hexOrNum(c, 'suppress_ifgroup');
  const unsup = RULE_UNSUPPORTED.filter((k) => c.has(k));
  if (unsup.length) r.unsupported = unsup;
  r.text = ruleText(r);
  return r;
}

/** The rule as `ip rule` prints it (ip/iprule.c print_rule), for the timeline. */
export function ruleText(r: Rule): string {
  const parts: string[] = [`${r.priority}:`];
  if (r.not) parts.push('not');
  parts.push('from', r.srcStr ? (r.srcLen === (r.family === 4 ? 32 : 128) && !r.srcStr.includes('/') ? r.srcStr : `${r.srcStr}/${r.srcLen}`) : 'all');
  if (r.dstStr) parts.push('to', r.dstLen === (r.family === 4 ? 32 : 128) ? r.dstStr : `${r.dstStr}/${r.dstLen}`);
  if (r.tos) parts.push('tos', `0x${r.tos.toString(16).padStart(2, '0')}`);
  if (r.fwmark !== undefined) parts.push('fwmark', `0x${r.fwmark.toString(16)}${r.fwmask !== 0xffffffff ? `/0x${r.fwmask!.toString(16)}` : ''}`);
  if (r.iif) parts.push('iif', r.iif);
  if (r.oif) parts.push('oif', r.oif);
  if (r.ipproto !== undefined) parts.push('ipproto', Object.keys(PROTO).find((k) => PROTO[k] === r.ipproto) ?? `ipproto-${r.ipproto}`);
  for (const [n, p] of [['sport', r.sport], ['dport', r.dport]] as const) {
    if (p) parts.push(n, p[0] === p[1] ? `${p[0]}` : `${p[0]}-${p[1]}`);
  }
  if (r.uidRange) parts.push('uidrange', `${r.uidRange[0]}-${r.uidRange[1]}`);
  if (r.action === 'goto') parts.push('goto', `${r.table}${r.unresolved ? ' [unresolved]' : ''}`);
  else if (r.action === 'to_tbl') parts.push('lookup', r.table === undefined ? '[l3mdev-table]' : tableName(r.table));
  else parts.push(r.action);
  if (r.suppressPrefixlen !== undefined) parts.push('suppress_prefixlength', `${r.suppressPrefixlen}`);
  return parts.join(' ');
}

export function tableName(id: number): string {
  return Object.keys(TABLE_IDS).find((k) => TABLE_IDS[k] === id && k !== 'unspec') ?? String(id);
}

// ---------- ip -j neigh ----------

export function parseNeigh(c: Cursor): Neighbour {
  const dst = addrOf(c, 'dst');
  const lladdr = macOf(c, 'lladdr');
  const n: Neighbour = {
    family: dst.family,
    dst: dst.value,
    dstStr: dst.text,
    dev: c.str('dev'),
    lladdr,
    lladdrStr: lladdr ? c.str('lladdr') : null,
    state: c.strArray('state'),
  };
  if (c.flag('router')) n.router = true;
  return n;
}

// ---------- ip -j maddr ----------

/** one device's entry of `ip -j maddr show`: the IPv4 and IPv6 groups joined on it (link-layer
 *  addresses are the NIC filter the groups imply: not needed) */
export function parseMaddr(c: Cursor): { ifindex: number | undefined; ifname: string; v4: number[]; v6: Uint8Array[] } {
  const ifname = c.str('ifname');
  const v4: number[] = [];
  const v6: Uint8Array[] = [];
  if (c.has('maddr')) {
    for (const m of c.get('maddr').array()) {
      const fam = m.optStr('family');
      if (fam === undefined) {
        if (m.optStr('link') === undefined) throw m.err('expected "family" (inet, inet6) or "link"');
        continue;
      }
      const text = m.str('address');
      if (fam === 'inet') {
        const a = parseIPv4(text);
        if (a === null || ((a & 0xf0000000) >>> 0) !== 0xe0000000) throw m.err(`expected an IPv4 multicast address, found "${text}"`, 'address');
        v4.push(a);
      } else if (fam === 'inet6') {
        const a = parseIPv6(text);
        if (a === null || a[0] !== 0xff) throw m.err(`expected an IPv6 multicast address, found "${text}"`, 'address');
        v6.push(a);
      } else throw m.err(`unknown family "${fam}" (expected inet or inet6)`, 'family');
    }
  }
  return { ifindex: c.optNum('ifindex'), ifname, v4, v6 };
}

export { ipv4ToString };

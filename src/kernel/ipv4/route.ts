// IPv4 input and output route resolution: net/ipv4/route.c ip_route_input_noref /
// ip_route_input_slow / __mkroute_input / ip_route_output_key, and net/ipv4/fib_frontend.c
// fib_validate_source (rp_filter, accept_local). Martian checks and drop reasons in the order
// and with the names of Linux 6.18 (IP_INVALID_SOURCE, IP_INVALID_DEST, IP_LOCALNET,
// IP_LOCAL_SOURCE, IP_RPFILTER).

import type { NetDevice, Rule } from '../../host/types.js';
import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import { EACCES, EHOSTUNREACH, EINVAL, ENETUNREACH, SCOPE, fibNoteMultipath, fibNoteUnsupported, newFlow, tableName, type FibResult, type FibNh, type Flow } from '../route/fib.js';
import { ipv4ToString } from '../../packet/addr.js';
import { routeMemoHit, routeMemoMiss } from '../route/dst_cache.js';
import { sharedEvent, type TimelineEvent } from '../fate.js';

export const LOOPBACK_IFINDEX = 1;

/** struct rtable, the parts the model uses */
export interface Rtable {
  type: string; // local | broadcast | unicast | unreachable | multicast
  /** dst.input: what dst_input calls */
  input: 'ip_local_deliver' | 'ip_forward' | 'ip_error';
  /** dst.error as a positive errno for ip_error */
  error: number;
  /** output device for forwarding */
  dev: NetDevice | null;
  /** gateway (0 when on-link: the destination itself is the nexthop) */
  gw: number;
  table: number;
  rule: Rule | null;
  mtu: number;
  /** RTCF_DOREDIRECT-style note: forwarded back out the ingress device */
  sameDev: boolean;
}

function scratch(): FibResult {
  return { alias: null as never, nh: null as never, table: 0, rule: null };
}

const fl = newFlow();
const res = scratch();
const evCache = new WeakMap<object, TimelineEvent>();

function ipv4_is_multicast(a: number): boolean {
  return (a & 0xf0000000) >>> 0 === 0xe0000000;
}
function ipv4_is_lbcast(a: number): boolean {
  return a === 0xffffffff;
}
function ipv4_is_zeronet(a: number): boolean {
  return (a & 0xff000000) === 0;
}
function ipv4_is_loopback(a: number): boolean {
  return (a & 0xff000000) >>> 0 === 0x7f000000;
}

function conf(net: Net, dev: NetDevice, knob: string): number {
  return net.conf(4, dev.name, knob);
}

/** IN_DEV_FORWARD(in_dev) */
export function in_dev_forward(net: Net, dev: NetDevice): boolean {
  return conf(net, dev, 'forwarding') !== 0;
}

function hasV4Addr(dev: NetDevice): boolean {
  for (const a of dev.addrs) if (a.family === 4) return true;
  return false;
}

/** Text for the timeline: which rule and table chose the route. */
function describe(r: FibResult): string {
  const rule = r.rule ? ` by rule "${r.rule.text.trim()}"` : '';
  return `table ${tableName(r.table)}${rule}`;
}

/**
 * fib_validate_source (fib_frontend.c): 0 (or 1 = redirect hint) when the source is acceptable,
 * else the drop reason. `oif` is the output interface of the route being made (0 for local).
 */
export function fib_validate_source(net: Net, saddr: number, daddr: number, tos: number, oif: number, dev: NetDevice, mark: number, ctx: FrameCtx): string | null {
  const rpf = conf(net, dev, 'rp_filter');
  const acceptLocal = conf(net, dev, 'accept_local') !== 0;
  const txRedirects = conf(net, dev, 'send_redirects') !== 0;
  if (!rpf && (dev.ifindex !== oif || !txRedirects)) {
    if (acceptLocal) return null;
    // with custom rules or local routes the kernel does the full check instead
    if (!net.fib4.customRules) {
      if (net.local4.has(saddr)) {
        ctx.tracing && ctx.ev('fib_validate_source', `source ${ipv4ToString(saddr)} is a local address`, { dev: dev.name });
        return 'IP_LOCAL_SOURCE';
      }
      return null;
    }
  }
  return __fib_validate_source(net, saddr, daddr, tos, oif, dev, rpf, acceptLocal, mark, ctx);
}

const flRev = newFlow();
const resRev = scratch();

function __fib_validate_source(net: Net, src: number, dst: number, tos: number, oif: number, dev: NetDevice, rpf: number, acceptLocal: boolean, mark: number, ctx: FrameCtx): string | null {
  // one flow and result for the reverse lookup: the FIB keeps neither
  const f = flRev;
  f.oif = 0;
  f.proto = 0;
  f.sport = 0;
  f.dport = 0;
  f.daddr = src;
  f.saddr = dst;
  f.iif = oif || LOOPBACK_IFINDEX;
  f.tos = tos;
  f.uid = 0; // fib_validate_source: sock_net_uid(net, NULL)
  f.mark = conf(net, dev, 'src_valid_mark') ? mark : 0;
  const r = resRev;
  r.rule = null;
  r.table = 0;
  const noAddr = !hasV4Addr(dev);
  const err = net.fib4.lookup(f, r);
  fibNoteUnsupported(ctx, r);
  if (err === 0) {
    if (r.alias.type !== 'unicast') {
      if (r.alias.type !== 'local') {
        ctx.tracing && ctx.ev('fib_validate_source', `reverse route is ${r.alias.type}`, { dev: dev.name });
        return 'IP_INVALID_SOURCE';
      } else if (!acceptLocal) {
        ctx.tracing && ctx.ev('fib_validate_source', `source ${ipv4ToString(src)} is local (accept_local=0)`, { dev: dev.name });
        return 'IP_LOCAL_SOURCE';
      }
    }
    let devMatch = r.alias.type === 'local' && dev === net.loopback;
    for (const n of r.alias.nhs) if (n.dev === dev) devMatch = true;
    if (devMatch) return null;
    if (noAddr) return rpf ? rpFail(ctx, dev, src, rpf) : null;
    if (rpf === 1) return rpFail(ctx, dev, src, rpf);
    // loose mode (2) or no rp_filter: any route back is enough
    return null;
  }
  // last_resort
  if (rpf) return rpFail(ctx, dev, src, rpf);
  return null;
}

function rpFail(ctx: FrameCtx, dev: NetDevice, src: number, rpf: number): string {
  ctx.tracing && ctx.ev('fib_validate_source', `rp_filter=${rpf}: no route back to ${ipv4ToString(src)} via ${dev.name}`, { dev: dev.name });
  return 'IP_RPFILTER';
}

/**
 * ip_route_input_noref -> ip_route_input_slow. Returns the route, or a drop reason string.
 * Sets nothing on ctx except timeline events.
 */
export function ip_route_input_noref(net: Net, daddr: number, saddr: number, tos: number, dev: NetDevice, mark: number, proto: number, sport: number, dport: number, ctx: FrameCtx): Rtable | string {
  // the same flow key has the same answer for the whole replay (dst_cache.ts)
  const memo = ctx.tracing ? net.rtInput4Traced : net.rtInput4;
  const k = memo.k;
  k[0] = daddr;
  k[1] = saddr;
  k[2] = dev.ifindex;
  k[3] = tos;
  k[4] = mark;
  if (net.fib4.rulesUseL4) {
    k[5] = proto;
    k[6] = (sport << 16) | dport;
  }
  const hit = memo.get();
  if (hit !== undefined) return routeMemoHit(hit, ctx);
  return routeMemoMiss(memo, ctx, () => ip_route_input_slow(net, daddr, saddr, tos, dev, mark, proto, sport, dport, ctx));
}

function ip_route_input_slow(net: Net, daddr: number, saddr: number, tos: number, dev: NetDevice, mark: number, proto: number, sport: number, dport: number, ctx: FrameCtx): Rtable | string {
  const fn = 'ip_route_input_slow';
  if (ipv4_is_multicast(daddr)) return ip_route_input_mc(net, daddr, saddr, tos, dev, mark, proto, ctx);
  if (ipv4_is_multicast(saddr) || ipv4_is_lbcast(saddr)) return martian(ctx, fn, 'source', saddr, daddr, 'IP_INVALID_SOURCE');
  if (ipv4_is_lbcast(daddr) || (saddr === 0 && daddr === 0)) return brd_input(net, saddr, tos, dev, mark, ctx, 'limited broadcast');
  if (ipv4_is_zeronet(saddr)) return martian(ctx, fn, 'source', saddr, daddr, 'IP_INVALID_SOURCE');
  if (ipv4_is_zeronet(daddr)) return martian(ctx, fn, 'destination', saddr, daddr, 'IP_INVALID_DEST');
  const localnet = conf(net, dev, 'route_localnet') !== 0;
  if (ipv4_is_loopback(daddr)) {
    if (!localnet) return martian(ctx, fn, 'destination', saddr, daddr, 'IP_LOCALNET');
  } else if (ipv4_is_loopback(saddr)) {
    if (!localnet) return martian(ctx, fn, 'source', saddr, daddr, 'IP_LOCALNET');
  }
  fl.daddr = daddr;
  fl.saddr = saddr;
  fl.iif = dev.ifindex;
  fl.oif = 0;
  fl.mark = mark;
  fl.tos = tos;
  fl.proto = proto;
  fl.sport = sport;
  fl.dport = dport;
  fl.uid = 0; // ip_route_input_slow: flowi4_uid = sock_net_uid(net, NULL)
  const trace: string[] | undefined = net.fib4.customRules ? [] : undefined;
  let err = net.fib4.lookup(fl, res, trace);
  fibNoteUnsupported(ctx, res);
  const forwarding = in_dev_forward(net, dev);
  if (err !== 0) {
    const what = err === -ENETUNREACH ? 'no route' : `${res.alias?.type ?? 'rule ' + (res.rule?.action ?? '')} route`;
    ctx.tracing && ctx.ev('fib_lookup', `${what} to ${ipv4ToString(daddr)} (${errName(err)})`, { detail: detailOf(res, trace, err) });
    if (!forwarding) err = -EHOSTUNREACH;
    // no_route: an RTN_UNREACHABLE input route whose dst.input is ip_error
    return { type: 'unreachable', input: 'ip_error', error: -err, dev: null, gw: 0, table: res.table, rule: res.rule, mtu: 0, sameDev: false };
  }
  const a = res.alias;
  if (trace) ctx.tracing && ctx.ev('fib_lookup', `${a.type} ${a.route.dstStr} ${describe(res)}`, { detail: detailOf(res, trace, 0) });
  else if (ctx.tracing) {
    // no custom rules: the text depends on the route only, built once per route
    let e = evCache.get(a);
    if (!e) evCache.set(a, (e = sharedEvent({ fn: 'fib_lookup', what: `${a.type} ${a.route.dstStr} ${describe(res)}`, detail: detailOf(res, trace, 0) })));
    ctx.events.push(e);
  }
  if (a.type === 'broadcast') {
    if (conf(net, dev, 'bc_forwarding') && forwarding) return mkroute(net, res, saddr, daddr, tos, dev, mark, ctx);
    return brd_input(net, saddr, tos, dev, mark, ctx, `broadcast route ${a.route.dstStr}`);
  }
  if (a.type === 'local') {
    const reason = fib_validate_source(net, saddr, daddr, tos, 0, dev, mark, ctx);
    if (reason) return martian(ctx, 'fib_validate_source', 'source', saddr, daddr, reason);
    return { type: 'local', input: 'ip_local_deliver', error: 0, dev: net.loopback, gw: 0, table: res.table, rule: res.rule, mtu: 0, sameDev: false };
  }
  if (!forwarding) {
    ctx.tracing && ctx.ev(fn, `forwarding disabled on ${dev.name}: not for this host`);
    return { type: 'unreachable', input: 'ip_error', error: EHOSTUNREACH, dev: null, gw: 0, table: res.table, rule: res.rule, mtu: 0, sameDev: false };
  }
  if (a.type !== 'unicast') return martian(ctx, fn, 'destination', saddr, daddr, 'IP_INVALID_DEST');
  return mkroute(net, res, saddr, daddr, tos, dev, mark, ctx);
}

/**
 * ip_route_input_rcu for a multicast destination: only groups the device joined are ours
 * (ip_check_mc_rcu over the device's list: the snapshot's ip-maddr.json, the kernel's own and
 * every application's memberships; without that file only the all-hosts group 224.0.0.1 every
 * multicast-capable device joins, and a miss says it does not know), then ip_route_input_mc ->
 * ip_mc_validate_source. Source filters (SSM) and multicast forwarding (ip_mr_input) are not
 * modelled.
 */
function ip_route_input_mc(net: Net, daddr: number, saddr: number, tos: number, dev: NetDevice, mark: number, proto: number, ctx: FrameCtx): Rtable | string {
  const fn = 'ip_route_input_mc';
  const mc = dev.mcast;
  const our = mc ? mc.v4.has(daddr) : daddr === 0xe0000001 && dev.flags.has('MULTICAST');
  if (!our) {
    if (conf(net, dev, 'mc_forwarding')) ctx.unsupported.push('multicast forwarding (ip_mr_input) not modelled');
    // groups only multicast routing joins (all-routers 224.0.0.2, IGMPv3 reports 224.0.0.22; with
    // mc_forwarding on, noted above): known without the file; any other an application may join
    const unknown = !mc && daddr !== 0xe0000002 && daddr !== 0xe0000016;
    if (unknown) ctx.unsupported.push('multicast group memberships: the snapshot has no ip-maddr.json (only 224.0.0.1 assumed joined)');
    ctx.tracing && ctx.ev('ip_check_mc_rcu', `group ${ipv4ToString(daddr)} not joined on ${dev.name}${unknown ? ' (memberships not in the snapshot)' : ''}`);
    return 'NOT_SPECIFIED';
  }
  // ip_mc_validate_source
  if (ipv4_is_multicast(saddr) || ipv4_is_lbcast(saddr)) return martian(ctx, fn, 'source', saddr, daddr, 'IP_INVALID_SOURCE');
  if (ipv4_is_loopback(saddr) && !conf(net, dev, 'route_localnet')) return martian(ctx, fn, 'source', saddr, daddr, 'IP_LOCALNET');
  if (ipv4_is_zeronet(saddr)) {
    const localMc = (daddr & 0xffffff00) >>> 0 === 0xe0000000;
    if (!localMc && proto !== 2) return martian(ctx, fn, 'source', saddr, daddr, 'IP_INVALID_SOURCE');
  } else {
    const reason = fib_validate_source(net, saddr, 0, tos, 0, dev, mark, ctx);
    if (reason) return martian(ctx, 'fib_validate_source', 'source', saddr, daddr, reason);
  }
  ctx.tracing && ctx.ev(fn, `group ${ipv4ToString(daddr)} joined on ${dev.name}: local delivery`);
  return { type: 'multicast', input: 'ip_local_deliver', error: 0, dev: net.loopback, gw: 0, table: 0, rule: null, mtu: 0, sameDev: false };
}

/** __mkroute_input: validate the source against the route's output device, make a forwarding dst */
function mkroute(net: Net, r: FibResult, saddr: number, daddr: number, tos: number, dev: NetDevice, mark: number, ctx: FrameCtx): Rtable | string {
  const nh: FibNh = r.nh;
  const out = nh.dev;
  if (!out) {
    ctx.unsupported.push(`route ${r.alias.route.dstStr} has no device`);
    return martian(ctx, '__mkroute_input', 'destination', saddr, daddr, 'NOT_SPECIFIED');
  }
  const reason = fib_validate_source(net, saddr, daddr, tos, out.ifindex, dev, mark, ctx);
  if (reason) return martian(ctx, 'fib_validate_source', 'source', saddr, daddr, reason);
  fibNoteMultipath(ctx, r, 'fib_select_multipath');
  const gw = nh.gw !== null && nh.scope === SCOPE.link ? (nh.gw as number) : 0;
  return { type: 'unicast', input: 'ip_forward', error: 0, dev: out, gw, table: r.table, rule: r.rule, mtu: r.alias.route.mtu ?? out.mtu, sameDev: out === dev };
}

function brd_input(net: Net, saddr: number, tos: number, dev: NetDevice, mark: number, ctx: FrameCtx, why: string): Rtable | string {
  if (!ipv4_is_zeronet(saddr)) {
    const reason = fib_validate_source(net, saddr, 0, tos, 0, dev, mark, ctx);
    if (reason) return martian(ctx, 'fib_validate_source', 'source', saddr, 0xffffffff, reason);
  }
  ctx.tracing && ctx.ev('ip_route_input_slow', `brd_input: ${why}`);
  return { type: 'broadcast', input: 'ip_local_deliver', error: 0, dev: net.loopback, gw: 0, table: 0, rule: null, mtu: 0, sameDev: false };
}

function martian(ctx: FrameCtx, fn: string, what: string, saddr: number, daddr: number, reason: string): string {
  ctx.tracing && ctx.ev(fn, `martian ${what} ${ipv4ToString(what === 'source' ? saddr : daddr)} (${reason})`);
  return reason;
}

function errName(err: number): string {
  switch (-err) {
    case ENETUNREACH: return 'ENETUNREACH';
    case EHOSTUNREACH: return 'EHOSTUNREACH';
    case EACCES: return 'EACCES';
    case EINVAL: return 'EINVAL';
    default: return String(err);
  }
}

function detailOf(r: FibResult, trace: string[] | undefined, err: number): Record<string, string | number | boolean> {
  const d: Record<string, string | number | boolean> = {};
  if (r.alias && (err === 0 || r.alias)) {
    d.table = tableName(r.alias.table);
    d.route = `${r.alias.type === 'unicast' ? '' : r.alias.type + ' '}${r.alias.route.dstStr}${r.alias.route.gatewayStr ? ' via ' + r.alias.route.gatewayStr : ''}${r.alias.route.dev ? ' dev ' + r.alias.route.dev : ''}`;
  }
  if (r.rule) d.rule = r.rule.text.trim();
  if (trace && trace.length) d.rulesTried = trace.join(' | ');
  return d;
}

/**
 * ip_route_output_key for packets the host sends (replies, outbound capture frames):
 * flowi4_iif = LOOPBACK_IFINDEX. Returns the device and nexthop, or an errno (negative).
 */
export function ip_route_output(net: Net, daddr: number, saddr: number, mark: number, ctx: FrameCtx, uid = -1): { dev: NetDevice; gw: number; type: string; mtu: number; prefsrc: number } | number {
  const f = newFlow();
  f.daddr = daddr;
  f.saddr = saddr;
  f.iif = LOOPBACK_IFINDEX;
  f.mark = mark;
  // uid: 0 for the kernel's own replies (sock_net_uid(net, NULL), ctl sockets); -1 unknown (a process's packet)
  f.uid = uid;
  const r = scratch();
  const err = net.fib4.lookup(f, r);
  fibNoteUnsupported(ctx, r);
  if (err !== 0) {
    ctx.tracing && ctx.ev('ip_route_output_key', `no route to ${ipv4ToString(daddr)} (${errName(err)})`);
    return err;
  }
  const a = r.alias;
  if (a.type === 'local' || a.type === 'broadcast') {
    const dev = a.type === 'local' ? net.loopback ?? r.nh.dev! : r.nh.dev!;
    return { dev, gw: 0, type: a.type, mtu: dev.mtu, prefsrc: (a.route.prefsrc as number | undefined) ?? 0 };
  }
  if (!r.nh.dev) return -EINVAL;
  fibNoteMultipath(ctx, r, 'fib_select_path');
  const gw = r.nh.gw !== null && r.nh.scope === SCOPE.link ? (r.nh.gw as number) : 0;
  ctx.tracing && ctx.ev('ip_route_output_key', `${a.route.dstStr}${gw ? ' via ' + ipv4ToString(gw) : ''} dev ${r.nh.dev.name} ${describe(r)}`);
  return { dev: r.nh.dev, gw, type: a.type, mtu: a.route.mtu ?? r.nh.dev.mtu, prefsrc: (a.route.prefsrc as number | undefined) ?? 0 };
}

export type { Flow };

// Forwarding information base: tables and policy rules, for IPv4 and IPv6.
// Models net/ipv4/fib_trie.c fib_table_lookup (longest prefix first, aliases by tos then
// priority, backtracking when no nexthop of a leaf fits), net/core/fib_rules.c fib_rules_lookup
// (+ net/ipv4/fib_rules.c fib4_rule_match/action/suppress) and the fast path of
// include/net/ip_fib.h fib_lookup used when the namespace has no custom rules (local merged
// into main, then default). Built once per replay; lookups allocate nothing but the result.

import type { Family, Host, NetDevice, Route, Rule, RouteType } from '../../host/types.js';
import type { FrameCtx } from '../ctx.js';

/** errno values as fib lookups return them (negated) */
export const ENETUNREACH = 101;
export const EHOSTUNREACH = 113;
export const EACCES = 13;
export const EINVAL = 22;
export const EAGAIN = 11;
export const ESRCH = 3;

export const RT_TABLE_DEFAULT = 253;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;

/** net/ipv4/fib_semantics.c fib_props[].error */
export function fibPropsError(type: RouteType): number {
  switch (type) {
    case 'blackhole': return -EINVAL;
    case 'unreachable': return -EHOSTUNREACH;
    case 'prohibit': return -EACCES;
    case 'throw': return -EAGAIN;
    case 'nat': return -EINVAL;
    default: return 0;
  }
}

export const SCOPE: Record<string, number> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };

export interface FibNh {
  /** gateway (0 / null when directly connected) */
  gw: number | Uint8Array | null;
  gwStr: string | null;
  dev: NetDevice | null;
  /** nhc_scope: link when a gateway is used, host for local routes, else as the route says */
  scope: number;
  /** RTNH_F_DEAD: fib_lookup_good_nhc / find_match skip it. The snapshot says so: fib_nexthop_info
   *  prints a linkdown nexthop as dead too when ignore_routes_with_linkdown applies */
  dead: boolean;
}

export interface FibAlias {
  route: Route;
  table: number;
  type: RouteType;
  prefixLen: number;
  tos: number;
  metric: number;
  /** route scope (fib_scope) */
  scope: number;
  nhs: FibNh[];
  /** route attributes the model does not evaluate (Route.unsupported), as one text; null when none */
  unsupported: string | null;
}

export interface FibResult {
  alias: FibAlias;
  nh: FibNh;
  table: number;
  /** the rule that chose the table (null on the no-custom-rules fast path) */
  rule: Rule | null;
  /** what the lookup depended on that the model does not evaluate (a rule's or the chosen route's
   *  unsupported attributes): the caller marks the frame unsupported. Set by every lookup. */
  unsupported?: string[] | null;
}

/** The flow key a lookup is made with (struct flowi4 / flowi6, the parts the model uses). */
export interface Flow {
  daddr: number | Uint8Array;
  saddr: number | Uint8Array;
  iif: number;
  oif: number;
  mark: number;
  tos: number;
  proto: number;
  sport: number;
  dport: number;
  /** flowi_uid: sock_net_uid(net, NULL) = 0 for received packets and the kernel's own replies;
   *  -1 (or absent) when unknown (a local process's packet) */
  uid?: number;
}

export function newFlow(): Flow {
  return { daddr: 0, saddr: 0, iif: 0, oif: 0, mark: 0, tos: 0, proto: 0, sport: 0, dport: 0, uid: -1 };
}

function mask4(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

export function prefixMatch6(addr: Uint8Array, prefix: Uint8Array, len: number): boolean {
  let i = 0;
  for (; len >= 8; len -= 8, i++) if (addr[i] !== prefix[i]) return false;
  if (len === 0) return true;
  const m = (0xff << (8 - len)) & 0xff;
  return (addr[i] & m) === (prefix[i] & m);
}

function prefixKey6(addr: Uint8Array, len: number): string {
  let s = '';
  let i = 0;
  for (; len >= 8; len -= 8, i++) s += String.fromCharCode(addr[i]);
  if (len > 0) s += String.fromCharCode(addr[i] & ((0xff << (8 - len)) & 0xff));
  return s;
}

/** One routing table: aliases grouped by prefix length, longest first (the trie's search order). */
export class FibTable {
  readonly lens: number[] = [];
  private readonly byLen = new Map<number, Map<number | string, FibAlias[]>>();
  /** byLen's maps in `lens` order (no map lookup per prefix length) and their IPv4 masks */
  private lenMaps: Map<number | string, FibAlias[]>[] = [];
  private lenMasks: number[] = [];
  constructor(readonly id: number, readonly family: Family) {}

  insert(a: FibAlias, dst: number | Uint8Array): void {
    let m = this.byLen.get(a.prefixLen);
    if (!m) {
      m = new Map();
      this.byLen.set(a.prefixLen, m);
      this.lens.push(a.prefixLen);
      this.lens.sort((x, y) => y - x);
      this.lenMaps = this.lens.map((l) => this.byLen.get(l)!);
      this.lenMasks = this.lens.map((l) => mask4(l));
    }
    const key = this.family === 4 ? ((dst as number) & mask4(a.prefixLen)) >>> 0 : prefixKey6(dst as Uint8Array, a.prefixLen);
    let l = m.get(key);
    if (!l) m.set(key, (l = []));
    l.push(a);
    // fib_insert_alias keeps a leaf's aliases by tos (higher first), then priority (lower first)
    l.sort((x, y) => y.tos - x.tos || x.metric - y.metric);
  }

  get size(): number {
    let n = 0;
    for (const m of this.byLen.values()) for (const l of m.values()) n += l.length;
    return n;
  }

  /**
   * fib_table_lookup: returns 0 and fills `out`, or a negative errno (-EAGAIN: nothing matched,
   * or a throw route; the route type's error for blackhole/unreachable/prohibit).
   */
  lookup(fl: Flow, out: { alias: FibAlias | null; nh: FibNh | null }): number {
    const lens = this.lens;
    // nothing found leaves no result of an earlier lookup behind
    out.alias = null;
    out.nh = null;
    const maps = this.lenMaps;
    const masks = this.lenMasks;
    for (let i = 0; i < lens.length; i++) {
      const key = this.family === 4 ? ((fl.daddr as number) & masks[i]) >>> 0 : prefixKey6(fl.daddr as Uint8Array, lens[i]);
      const leaf = maps[i].get(key);
      if (!leaf) continue;
      for (let j = 0; j < leaf.length; j++) {
        const fa = leaf[j];
        // fa_dscp: a tos route only matches that tos
        if (fa.tos && fa.tos !== (fl.tos & 0xfc)) continue;
        const err = fibPropsError(fa.type);
        if (err < 0) {
          out.alias = fa;
          out.nh = null;
          return err;
        }
        for (let k = 0; k < fa.nhs.length; k++) {
          const nh = fa.nhs[k];
          // fib_lookup_good_nhc (IPv6: find_match): RTNH_F_DEAD nexthops are never chosen
          if (nh.dead) continue;
          // fib_lookup_good_nhc: an oif-bound lookup only takes nexthops on that device
          if (fl.oif && (!nh.dev || nh.dev.ifindex !== fl.oif)) continue;
          out.alias = fa;
          out.nh = nh;
          return 0;
        }
      }
    }
    return -EAGAIN;
  }
}

/** A policy rule compiled for matching (fib_rule + fib4_rule). */
interface CRule {
  rule: Rule;
  iif: number; // ifindex, 0 = any, -1 = names a device the host lacks (never matches)
  oif: number;
  mark: number;
  markMask: number;
  src: number | Uint8Array | null;
  dst: number | Uint8Array | null;
  target: number; // goto target index
}

export class Fib {
  readonly tables = new Map<number, FibTable>();
  private readonly rules: CRule[] = [];
  /** net->ipv4.fib_has_custom_rules: anything beyond the three default rules */
  readonly customRules: boolean;
  /** a rule selects on the protocol or ports: input-route results depend on them (dst_cache keys) */
  readonly rulesUseL4: boolean;
  /** local merged into main for the fast path (fib_unmerge undoes this once custom rules exist) */
  private readonly merged: FibTable;
  private readonly res = { alias: null as FibAlias | null, nh: null as FibNh | null };

  constructor(readonly host: Host, readonly family: Family) {
    for (const r of host.routes) if (r.family === family) this.addRoute(r);
    const rules = host.rules.filter((r) => r.family === family).sort((a, b) => a.priority - b.priority);
    const def = rules.length === 0 || isDefaultRules(rules);
    this.customRules = !def;
    // the rules are only walked when there are custom ones (else the fast path of lookup())
    if (!def) for (const r of rules) this.rules.push(this.compileRule(r));
    this.rulesUseL4 = this.rules.some((cr) => !!(cr.rule.ipproto || cr.rule.sport || cr.rule.dport));
    for (let i = 0; i < this.rules.length; i++) {
      const cr = this.rules[i];
      if (cr.rule.action === 'goto') cr.target = this.rules.findIndex((x) => x.rule.priority === cr.rule.table);
    }
    this.merged = new FibTable(RT_TABLE_MAIN, family);
    for (const id of [RT_TABLE_LOCAL, RT_TABLE_MAIN]) {
      const t = this.tables.get(id);
      if (!t) continue;
      for (const r of host.routes) if (r.family === family && r.table === id) this.merged.insert(this.alias(r), r.dst);
    }
  }

  private alias(r: Route): FibAlias {
    const dev = (name?: string): NetDevice | null => (name ? this.host.byName.get(name) ?? null : null);
    const scope = SCOPE[r.scope] ?? 0;
    const nhs: FibNh[] = [];
    if (r.nexthops && r.nexthops.length) {
      for (const n of r.nexthops) nhs.push({ gw: n.gateway ?? null, gwStr: n.gatewayStr ?? null, dev: dev(n.dev), scope: n.gateway ? SCOPE.link : scope, dead: !!n.flags?.includes('dead') });
    } else {
      // fib_check_nh: a gateway's nexthop has link scope; local routes host scope
      const nhScope = r.gateway ? SCOPE.link : r.type === 'local' ? SCOPE.host : scope;
      nhs.push({ gw: r.gateway ?? null, gwStr: r.gatewayStr ?? null, dev: dev(r.dev), scope: nhScope, dead: !!r.flags?.includes('dead') });
    }
    const unsupported = r.unsupported?.length ? `route ${r.dstStr} table ${tableName(r.table)}: ${r.unsupported.join(', ')} not modelled` : null;
    return { route: r, table: r.table, type: r.type, prefixLen: r.dstLen, tos: r.tos ?? 0, metric: r.metric, scope, nhs, unsupported };
  }

  private addRoute(r: Route): void {
    let t = this.tables.get(r.table);
    if (!t) this.tables.set(r.table, (t = new FibTable(r.table, this.family)));
    t.insert(this.alias(r), r.dst);
  }

  private compileRule(r: Rule): CRule {
    const idx = (n?: string): number => (n ? this.host.byName.get(n)?.ifindex ?? -1 : 0);
    const mark = r.fwmark ?? 0;
    const markMask = r.fwmask ?? (r.fwmark !== undefined ? 0xffffffff : 0);
    return { rule: r, iif: idx(r.iif), oif: idx(r.oif), mark, markMask, src: r.srcLen ? r.src ?? null : null, dst: r.dstLen ? r.dst ?? null : null, target: -1 };
  }

  /** fib_rule_match + fib4_rule_match / fib6_rule_match */
  private match(cr: CRule, fl: Flow): boolean {
    const r = cr.rule;
    let ok = true;
    if (cr.iif && cr.iif !== fl.iif) ok = false;
    else if (cr.oif && cr.oif !== fl.oif) ok = false;
    else if (((cr.mark ^ fl.mark) & cr.markMask) !== 0) ok = false;
    else if (cr.src !== null && !addrIn(fl.saddr, cr.src, r.srcLen)) ok = false;
    else if (cr.dst !== null && !addrIn(fl.daddr, cr.dst, r.dstLen)) ok = false;
    else if (r.tos && (fl.tos & 0xfc) !== r.tos) ok = false;
    else if (r.ipproto && r.ipproto !== fl.proto) ok = false;
    else if (r.sport && (fl.sport < r.sport[0] || fl.sport > r.sport[1])) ok = false;
    else if (r.dport && (fl.dport < r.dport[0] || fl.dport > r.dport[1])) ok = false;
    // fib_rule_match: uid_lt(flowi_uid, start) || uid_gt(flowi_uid, end) -> no match
    else if (r.uidRange && (fl.uid ?? -1) >= 0 && (fl.uid! < r.uidRange[0] || fl.uid! > r.uidRange[1])) ok = false;
    return r.not ? !ok : ok;
  }

  /**
   * fib_lookup: 0 with `out` filled, or a negative errno. `trace` (when given) receives the
   * rules that were tried, for the timeline.
   */
  lookup(fl: Flow, out: FibResult, trace?: string[]): number {
    const res = this.res;
    out.alias = null as unknown as FibAlias;
    out.nh = null as unknown as FibNh;
    out.unsupported = null;
    // a failed lookup names no rule or table of an earlier one (the caller's result is reused)
    out.rule = null;
    out.table = 0;
    if (!this.customRules) {
      // include/net/ip_fib.h fib_lookup without custom rules: main (local merged), then default,
      // and default only when main matched nothing (-EAGAIN): recorded on 6.18, a blackhole /16 in
      // main answers EINVAL although table default has a default route (older kernels went on to
      // table default on any error)
      let err = this.merged.lookup(fl, res);
      let table = RT_TABLE_MAIN;
      if (err === -EAGAIN) {
        const d = this.tables.get(RT_TABLE_DEFAULT);
        if (d) {
          err = d.lookup(fl, res);
          table = RT_TABLE_DEFAULT;
        }
      }
      if (err === -EAGAIN) err = -ENETUNREACH;
      out.table = table;
      if (err === 0 || res.alias) {
        out.alias = res.alias!;
        out.nh = res.nh!;
        out.table = res.alias ? res.alias.table : table;
        out.rule = null;
        if (res.alias?.unsupported) out.unsupported = [res.alias.unsupported];
      }
      return err;
    }
    // net/core/fib_rules.c fib_rules_lookup
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      let cr = rules[i];
      if (!this.match(cr, fl)) continue;
      if (cr.rule.uidRange && (fl.uid ?? -1) < 0) {
        // the sending process's uid is not in a capture
        (out.unsupported ??= []).push(`rule "${cr.rule.text.trim()}": uidrange with the sender's uid unknown (taken as not matching)`);
        continue;
      }
      if (cr.rule.unsupported) {
        // a selector the model cannot evaluate decides whether this rule applies: it is taken as
        // not matching, and the frame says its route depends on it
        (out.unsupported ??= []).push(`rule "${cr.rule.text.trim()}": ${cr.rule.unsupported.join(', ')} not modelled (taken as not matching)`);
        continue;
      }
      if (cr.rule.action === 'goto') {
        // fib_rules_lookup: a goto without a target (ip rule shows [unresolved]) is skipped
        if (cr.target < 0 || cr.rule.unresolved) continue;
        i = cr.target;
        cr = rules[i];
        if (!this.match(cr, fl)) continue;
      }
      if (cr.rule.action === 'nop') continue;
      trace?.push(cr.rule.text);
      let err: number;
      switch (cr.rule.action) {
        case 'unreachable': err = -ENETUNREACH; break;
        case 'prohibit': err = -EACCES; break;
        case 'blackhole': err = -EINVAL; break;
        default: {
          const t = this.tables.get(cr.rule.table ?? RT_TABLE_MAIN);
          err = t ? t.lookup(fl, res) : -EAGAIN;
        }
      }
      // fib4_rule_suppress: a result whose prefix is not longer than suppress_prefixlength is ignored
      if (err === 0 && cr.rule.suppressPrefixlen !== undefined && cr.rule.suppressPrefixlen >= 0 && res.alias!.prefixLen <= cr.rule.suppressPrefixlen) continue;
      if (err !== -EAGAIN) {
        out.rule = cr.rule;
        out.table = cr.rule.table ?? RT_TABLE_MAIN;
        if (res.alias && (err === 0 || cr.rule.action === 'to_tbl')) {
          out.alias = res.alias;
          out.nh = res.nh!;
          if (res.alias.unsupported) (out.unsupported ??= []).push(res.alias.unsupported);
        }
        return err;
      }
    }
    // __fib_lookup: -ESRCH from the rules becomes -ENETUNREACH
    return -ENETUNREACH;
  }
}

/** the frame's route depended on what the model does not evaluate: say so on the frame */
/**
 * A route with several live nexthops: the kernel picks one by a hash of the flow
 * (fib_select_multipath / rt6_multipath_select) whose seed is random unless
 * net.ipv4.fib_multipath_hash_seed is set; the model takes the first live one and says so.
 */
export function fibNoteMultipath(ctx: FrameCtx, r: FibResult, where: string): void {
  let live = 0;
  for (const n of r.alias.nhs) if (!n.dead) live++;
  if (live > 1) ctx.unsupported.push(`multipath route ${r.alias.route.dstStr}: first nexthop taken (${where} hash not modelled)`);
}

export function fibNoteUnsupported(ctx: FrameCtx, r: FibResult): void {
  if (r.unsupported) for (const u of r.unsupported) if (!ctx.unsupported.includes(u)) ctx.unsupported.push(u);
}

export function addrIn(a: number | Uint8Array, prefix: number | Uint8Array, len: number): boolean {
  if (typeof a === 'number') return ((a ^ (prefix as number)) & mask4(len)) === 0;
  return prefixMatch6(a, prefix as Uint8Array, len);
}

function isDefaultRules(rules: Rule[]): boolean {
  // fib_default_rules_init (fib_rules.c for IPv4; fib6_rules_net_init for IPv6 has 0 local, 32766 main)
  for (const r of rules) {
    const plain = !r.not && !r.srcLen && !r.dstLen && !r.iif && !r.oif && r.fwmark === undefined && !r.tos && !r.ipproto && !r.sport && !r.dport && r.action === 'to_tbl' && r.suppressPrefixlen === undefined;
    if (!plain) return false;
    const ok = (r.priority === 0 && r.table === RT_TABLE_LOCAL) || (r.priority === 32766 && r.table === RT_TABLE_MAIN) || (r.priority === 32767 && r.table === RT_TABLE_DEFAULT);
    if (!ok) return false;
  }
  return true;
}

export function tableName(id: number): string {
  return id === RT_TABLE_LOCAL ? 'local' : id === RT_TABLE_MAIN ? 'main' : id === RT_TABLE_DEFAULT ? 'default' : String(id);
}

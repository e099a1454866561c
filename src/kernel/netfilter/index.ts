// createNfHooks: the rule sets of a host snapshot compiled into the hook entries the kernel path
// calls through NF_HOOK. Per (pf, hook) the entries are sorted by priority, equal priorities
// with the one registered last first (nf_hook_entries_grow); conntrack (-200 in, INT_MAX confirm)
// and NAT (-100 dst, +100 src) sit between the chains when the rule set needs them, the way the
// kernel loads nf_conntrack/nf_nat on demand.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Host } from '../../host/types.js';
import type { SkBuff } from '../skbuff.js';
import type { TimelineEvent, Verdict } from '../fate.js';
import {
  NFPROTO_ARP, NFPROTO_BRIDGE, NFPROTO_INET, NFPROTO_IPV4, NFPROTO_IPV6, NFPROTO_NETDEV, NF_INET_FORWARD, NF_INET_LOCAL_IN, NF_INET_LOCAL_OUT,
  NF_INET_POST_ROUTING, NF_INET_PRE_ROUTING, NullNfHooks, hookName, pfName,
  type NfHookState, type NfHooks, type NfKernelOps, type NfResult, type NfVerdictKind,
} from './hook.js';
import { ICMPX_TO_V4, ICMPX_TO_V6, type Expr, type IrRuleset, type SrcRef } from './ir.js';
import { parseNftText } from './nft-parse.js';
import { parseNftJson } from './nft-json.js';
import { parseIptablesSave } from './iptables.js';
import { parseIpsetSave } from './ipset.js';
import { compileTable, VERDICT_NAMES, V_ACCEPT, V_CONTINUE, V_DROP, V_GOTO, V_JUMP, V_QUEUE, V_RETURN, type CChain, type CRule, type CompileCtx } from './compile.js';
import { Pkt } from './pkt.js';
import { NfConntrack, IP_CT_IS_REPLY, IP_CT_NEW, IPS_DST_NAT_DONE, IPS_SRC_NAT_DONE, type NfConn } from './nf_conntrack.js';
import { natPacket, setupInfo, type NatStmt } from './nf_nat.js';

const INT_MAX = 2147483647;

interface Entry {
  prio: number;
  seq: number;
  kind: 'chain' | 'ct_in' | 'ct_confirm' | 'nat';
  chain?: CChain;
  /** nat: chains of type nat on this hook, by priority; manip 0 src / 1 dst */
  nat?: CChain[];
  manip?: 0 | 1;
  devices?: string[];
}

export interface LoadedRuleset {
  rs: IrRuleset;
  unsupported: string[];
}

/** Parse every rule file of the host into one IR (iptables-nft tables loaded once, from iptables-save). */
export function loadRuleset(host: Host): IrRuleset {
  const rs: IrRuleset = { tables: [], ipsets: new Map(), notes: [] };
  const readInclude = (path: string, from: string) => {
    const p = path.startsWith('/') ? path : resolve(dirname(from), path);
    try {
      return { path: p, text: readFileSync(p, 'utf8') };
    } catch {
      return undefined;
    }
  };
  if (host.ipset) parseIpsetSave(host.ipset.text, host.ipset.path, rs);
  const ipt = [host.iptables, host.ip6tables].filter((x): x is NonNullable<typeof x> => !!x);
  const nftBackend = ipt.some((f) => /\(nf_tables\)|iptables-nft-save/.test(f.text.split('\n', 3).join('\n')));
  if (host.nftText) parseNftText(host.nftText.text, host.nftText.path, { readInclude }, rs);
  else if (host.nftJson) parseNftJson(host.nftJson.text, host.nftJson.path, rs);
  if (host.nftText && host.nftJson) rs.notes.push(`${host.nftText.path} and ${host.nftJson.path} hold the same rule set: read from ${host.nftText.path} (traces give its lines)`);
  if (nftBackend && host.nftText) {
    // the same rules appear translated in nft list ruleset: keep the iptables-save source
    const fams = new Set<string>(ipt.map((f) => (f === host.ip6tables ? 'ip6' : 'ip')));
    const names = new Set(['raw', 'mangle', 'nat', 'filter', 'security']);
    const before = rs.tables.length;
    rs.tables = rs.tables.filter((t) => !(t.origin === 'nft' && fams.has(t.family) && names.has(t.name)));
    if (rs.tables.length !== before) rs.notes.push(`iptables is the nf_tables backend: tables ${[...fams].join('/')} raw/mangle/nat/filter/security are loaded from iptables-save (traces point at its lines), not from ${host.nftText.path}`);
  }
  if (host.iptables) parseIptablesSave(host.iptables.text, host.iptables.path, 'ip', rs, nftBackend);
  if (host.ip6tables) parseIptablesSave(host.ip6tables.text, host.ip6tables.path, 'ip6', rs, nftBackend);
  return rs;
}

export function createNfHooks(host: Host, ops: NfKernelOps, rs?: IrRuleset): NfHooks {
  const ruleset = rs ?? loadRuleset(host);
  if (ruleset.tables.length === 0) return new NullNfHooks();
  return new NfTables(host, ops, ruleset);
}

const HOOK_NUM: Record<string, number> = { prerouting: 0, input: 1, forward: 2, output: 3, postrouting: 4, ingress: 0, egress: 1 };
const ARP_HOOK: Record<string, number> = { input: 0, output: 1, forward: 2 };

export class NfTables implements NfHooks {
  private entries = new Map<number, Entry[]>();
  /** chains of each table, for jump targets */
  private tableChains = new Map<object, CChain[]>();
  private pkt = new Pkt();
  private events: TimelineEvent[] = [];
  readonly conntrack: NfConntrack | null;
  /** every construct not modelled, once, "file:line: what" */
  readonly unsupported: string[] = [];
  readonly notes: string[];

  constructor(private host: Host, private ops: NfKernelOps, rs: IrRuleset) {
    this.notes = rs.notes;
    const seen = new Set<string>();
    const self = this;
    const cx: CompileCtx = {
      host,
      get events() { return self.events; },
      report: (src: SrcRef, what: string) => {
        const s = `${src.file}:${src.line}: ${what}`;
        if (!seen.has(s)) { seen.add(s); this.unsupported.push(s); }
      },
      ipsets: rs.ipsets,
    };
    let seq = 0;
    let needCt = false;
    const natChains = new Map<number, CChain[]>();
    for (const tb of rs.tables) {
      const chains = compileTable(tb, cx);
      this.tableChains.set(tb, chains);
      if (tb.chains.some((c) => c.rules.some((r) => r.exprs.some(usesCt)))) needCt = true;
      for (const ch of chains) {
        const base = ch.ir.base;
        if (!base) continue;
        if ((base.hook === 'ingress' || base.hook === 'egress') && !base.devices?.length) {
          // the kernel needs a device for these hooks; nft -j (1.0.6) does not say which
          this.notes.push(`${ch.label}: ${base.hook} chain without a device (nft -j does not name it): not attached; give nft.txt`);
          continue;
        }
        const pfs = tb.family === 'inet' ? [NFPROTO_IPV4, NFPROTO_IPV6] : [familyPf(tb.family)];
        const hook = tb.family === 'arp' ? ARP_HOOK[base.hook] : HOOK_NUM[base.hook];
        if (hook === undefined) throw new Error(`${ch.ir.src?.file ?? ''}:${ch.ir.src?.line ?? 0}: Error: unknown hook '${base.hook}' for family ${tb.family}`);
        for (const pf of pfs) {
          if (base.type === 'nat') {
            needCt = true;
            const k = pf * 8 + hook;
            const l = natChains.get(k) ?? [];
            l.push(ch);
            natChains.set(k, l);
            continue;
          }
          this.add(pf, hook, { prio: base.priority, seq: seq++, kind: 'chain', chain: ch, devices: base.devices });
        }
      }
    }
    if (needCt) {
      for (const pf of [NFPROTO_IPV4, NFPROTO_IPV6]) {
        this.add(pf, NF_INET_PRE_ROUTING, { prio: -200, seq: -1, kind: 'ct_in' });
        this.add(pf, NF_INET_LOCAL_OUT, { prio: -200, seq: -1, kind: 'ct_in' });
        this.add(pf, NF_INET_LOCAL_IN, { prio: INT_MAX, seq: -1, kind: 'ct_confirm' });
        this.add(pf, NF_INET_POST_ROUTING, { prio: INT_MAX, seq: -1, kind: 'ct_confirm' });
      }
    }
    for (const [k, chains] of natChains) {
      const pf = k >> 3, hook = k & 7;
      chains.sort((a, b) => a.ir.base!.priority - b.ir.base!.priority);
      // nf_nat_ipv4_ops: dst manip at prerouting/output (-100), src at postrouting/input (+100)
      const manip: 0 | 1 = hook === NF_INET_PRE_ROUTING || hook === NF_INET_LOCAL_OUT ? 1 : 0;
      const ex = this.entries.get(pf * 8 + hook)?.find((e) => e.kind === 'nat');
      if (ex) ex.nat!.push(...chains);
      else this.add(pf, hook, { prio: manip === 1 ? -100 : 100, seq: -1, kind: 'nat', nat: chains, manip });
    }
    // every NAT hook needs the rewrite for later packets of a connection, even without a chain there
    if (natChains.size) {
      for (const pf of [NFPROTO_IPV4, NFPROTO_IPV6]) {
        for (const hook of [NF_INET_PRE_ROUTING, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING, NF_INET_LOCAL_IN]) {
          if (this.entries.get(pf * 8 + hook)?.some((e) => e.kind === 'nat')) continue;
          const manip: 0 | 1 = hook === NF_INET_PRE_ROUTING || hook === NF_INET_LOCAL_OUT ? 1 : 0;
          this.add(pf, hook, { prio: manip === 1 ? -100 : 100, seq: -1, kind: 'nat', nat: [], manip });
        }
      }
    }
    for (const l of this.entries.values()) l.sort((a, b) => a.prio - b.prio || b.seq - a.seq);
    const sys = host.sysctls;
    const num = (k: string, d: number) => {
      const v = sys?.raw.get(k);
      return v !== undefined && /^\d+$/.test(v) ? Number(v) : d;
    };
    this.conntrack = needCt
      ? new NfConntrack(num('net.netfilter.nf_conntrack_max', 262144), num('net.netfilter.nf_conntrack_tcp_loose', 1) !== 0, num('net.netfilter.nf_conntrack_tcp_be_liberal', 0) !== 0, num('net.netfilter.nf_conntrack_checksum', 1) !== 0)
      : null;
  }

  private add(pf: number, hook: number, e: Entry): void {
    const k = pf * 8 + hook;
    let l = this.entries.get(k);
    if (!l) this.entries.set(k, (l = []));
    l.push(e);
  }

  active(pf: number, hook: number): boolean {
    return (this.entries.get(pf * 8 + hook)?.length ?? 0) > 0;
  }

  /** registered entries per hook, in run order (for docs/tests: `pktlife` shows the hook layout) */
  layout(pf: number, hook: number): string[] {
    return (this.entries.get(pf * 8 + hook) ?? []).map((e) =>
      e.kind === 'chain' ? `${e.prio} ${e.chain!.label}` : e.kind === 'nat' ? `${e.prio} nat(${e.nat!.map((c) => c.label).join(', ')})` : `${e.prio} ${e.kind === 'ct_in' ? 'nf_conntrack_in' : 'nf_conntrack_confirm'}`,
    );
  }

  nf_hook(state: NfHookState, skb: SkBuff, events: TimelineEvent[]): NfResult {
    const fam = pfName(state.pf), hk = hookName(state.pf, state.hook);
    const list = this.entries.get(state.pf * 8 + state.hook);
    if (!list || list.length === 0) {
      events.push({ fn: 'nf_hook_slow', what: `${fam} ${hk}: no rules, NF_ACCEPT` });
      return { verdict: 'accept', verdicts: [] };
    }
    const p = this.pkt;
    p.set(skb, state.pf, state.hook, state.in, state.out);
    this.events = events;
    const verdicts: Verdict[] = [];
    let unsupported: string[] | undefined;
    const result = (verdict: NfVerdictKind, reason?: string): NfResult => {
      const r: NfResult = { verdict, verdicts };
      if (reason) r.reason = reason;
      if (unsupported) r.unsupported = unsupported;
      return r;
    };
    for (const e of list) {
      if (e.kind === 'ct_in') {
        if (!this.conntrack) continue;
        const r = this.conntrack.in(p);
        events.push({ fn: 'nf_conntrack_in', what: r.what });
        if (r.drop) return result('drop', 'NETFILTER_DROP');
        continue;
      }
      if (e.kind === 'ct_confirm') {
        const r = this.conntrack?.confirm(p);
        if (r === 'table full') {
          events.push({ fn: '__nf_conntrack_confirm', what: 'table full: drop' });
          return result('drop', 'NETFILTER_DROP');
        }
        if (r) events.push({ fn: '__nf_conntrack_confirm', what: r });
        continue;
      }
      if (e.kind === 'nat') {
        const r = this.natHook(p, e, fam, hk, verdicts);
        if (p.unsupported) unsupported = [...(unsupported ?? []), ...p.unsupported];
        if (r === 'drop') return result('drop', 'NETFILTER_DROP');
        continue;
      }
      const ch = e.chain!;
      if (e.devices && !(state.in && e.devices.includes(state.in.name)) && !(state.out && e.devices.includes(state.out.name))) continue;
      p.unsupported = null;
      const v = this.runChain(p, ch, fam, hk, verdicts);
      if (p.unsupported) unsupported = [...(unsupported ?? []), ...p.unsupported];
      if (v === V_ACCEPT) continue;
      if (v === V_DROP) {
        if (p.rejectReq) this.reject(p, state, p.rejectReq as Extract<Expr, { k: 'reject' }>, events);
        return result('drop', 'NETFILTER_DROP');
      }
      if (v === V_QUEUE) {
        (unsupported ??= []).push(`${ch.label}: queue to userspace is not modelled (dropped as with no listener)`);
        return result('drop', 'NETFILTER_DROP');
      }
    }
    return result('accept');
  }

  /** nft_do_chain for one base chain; records the trace and returns the final verdict code */
  private runChain(p: Pkt, base: CChain, _fam: string, hk: string, verdicts: Verdict[]): number {
    const code = this.walk(p, base);
    const r = this.lastRule, ch = this.lastChain!;
    if (r) {
      verdicts.push({ hook: hk, family: ch.table.family, table: ch.table.name, chain: ch.name, verdict: VERDICT_NAMES[code]!, rule: r.id, source: r.source });
    } else {
      this.events.push({ fn: 'nft_do_chain', what: `${base.label} policy ${VERDICT_NAMES[code]}` });
      verdicts.push({ hook: hk, family: base.table.family, table: base.table.name, chain: base.name, verdict: VERDICT_NAMES[code]! });
    }
    return code;
  }

  private lastRule: CRule | null = null;
  private lastChain: CChain | null = null;

  /** the rule walk itself: kept free of string work so it stays optimised */
  private walk(p: Pkt, base: CChain): number {
    const all = this.chainsOf(base);
    const policy = base.policy;
    const ev = this.events;
    const stack: number[] = [];
    let ch = base;
    let i = 0;
    fillPv(ch, p);
    for (let guard = 0; guard < 10_000_000; guard++) {
      const match = ch.match;
      if (i >= match.length) {
        if (stack.length === 0) break;
        i = stack.pop()!;
        ch = all[stack.pop()!]!;
        fillPv(ch, p);
        continue;
      }
      if (ch.blocks.length !== 0 && ch.blockOf[i]! >= 0) {
        const b = ch.blocks[ch.blockOf[i]!]!;
        const v = b.load(p);
        const cands = v < 0 ? undefined : b.map.get(v);
        let next = b.end;
        if (cands !== undefined) {
          // first candidate at or after i (binary search: cands are in rule order)
          let lo = 0, hi = cands.length;
          while (lo < hi) {
            const m = (lo + hi) >> 1;
            if (cands[m]! < i) lo = m + 1; else hi = m;
          }
          if (lo < cands.length) next = cands[lo]!;
        }
        if (next !== i) { i = next; continue; }
      }
      const K = ch.pfK;
      if (K !== 0) {
        const B = ch.pfBounds, pv = ch.pv;
        let o = i * K * 2, ok = true;
        for (let k = 0; k < K; k++, o += 2) {
          const v = pv[k]!;
          if (v < B[o]! || v > B[o + 1]!) { ok = false; break; }
        }
        if (!ok) { i++; continue; }
      }
      p.rejectReq = null;
      if (!match[i]!(p)) { i++; continue; }
      const r = ch.rules[i]!;
      let code = r.code, target = r.target;
      if (r.dyn) { code = p.vcode; target = p.vchain; }
      if (code === V_CONTINUE) {
        if (p.natReq !== null || p.rejectReq !== null) {
          // nat/reject statements end the rule with their own verdict (accept / drop)
          code = p.natReq !== null ? V_ACCEPT : V_DROP;
        } else {
          // nft monitor trace prints every rule that matched, "(verdict continue)" for non-terminal ones
          ev.push({ fn: 'nft_do_chain', what: r.traceContinue, detail: r.detail });
          i++;
          continue;
        }
      }
      ev.push({ fn: 'nft_do_chain', what: code === V_JUMP || code === V_GOTO ? `${ch.label} rule ${r.id} (verdict ${VERDICT_NAMES[code]} ${all[target]?.name})` : `${ch.label} rule ${r.id} (verdict ${VERDICT_NAMES[code]})`, detail: r.detail });
      if (code === V_JUMP || code === V_GOTO) {
        if (target < 0) { i++; continue; }
        if (code === V_JUMP) {
          if (stack.length >= 32) { i++; continue; } // NFT_JUMP_STACK_SIZE: the kernel rejects deeper rule sets at load
          stack.push(all.indexOf(ch), i + 1);
        }
        ch = all[target]!;
        i = 0;
        fillPv(ch, p);
        continue;
      }
      if (code === V_RETURN) {
        if (stack.length === 0) break;
        i = stack.pop()!;
        ch = all[stack.pop()!]!;
        fillPv(ch, p);
        continue;
      }
      this.lastRule = r;
      this.lastChain = ch;
      return code;
    }
    this.lastRule = null;
    this.lastChain = base;
    return policy;
  }

  private chainsOf(c: CChain): CChain[] {
    return this.tableChains.get(c.table)!;
  }

  /** nf_nat_inet_fn */
  private natHook(p: Pkt, e: Entry, fam: string, hk: string, verdicts: Verdict[]): 'accept' | 'drop' {
    const ct = p.ct as NfConn | null;
    if (!ct) return 'accept';
    const manip = e.manip!;
    const dir = p.ctinfo >= IP_CT_IS_REPLY ? 1 : 0;
    const doneBit = manip === 0 ? IPS_SRC_NAT_DONE : IPS_DST_NAT_DONE;
    if ((p.ctinfo === IP_CT_NEW || p.ctinfo === 1 /* IP_CT_RELATED */) && !(ct.status & doneBit)) {
      // first packet: consult the nat chains of this hook until one binds (else a null binding)
      ct.status |= doneBit;
      for (const ch of e.nat!) {
        p.natReq = null;
        const v = this.runChain(p, ch, fam, hk, verdicts);
        if (v === V_DROP) return 'drop';
        if (p.natReq) {
          const what = setupInfo(ct, p.natReq as NatStmt, p, manip);
          this.events.push({ fn: 'nf_nat_setup_info', what });
          if (what.includes('dropped') || what.startsWith('masquerade: no')) return 'drop';
          break;
        }
      }
    }
    const diff = natPacket(p, ct, dir, manip);
    if (diff) this.events.push({ fn: 'nf_nat_packet', what: `${manip === 0 ? 'SNAT' : 'DNAT'} ${dir ? 'reply' : 'original'}`, diff });
    return 'accept';
  }

  private reject(p: Pkt, state: NfHookState, r: Extract<Expr, { k: 'reject' }>, events: TimelineEvent[]): void {
    if (r.type === 'tcp-reset') {
      events.push({ fn: 'nf_send_reset', what: 'reject with tcp reset' });
      this.ops.sendReject(p.skb, state, { type: 'tcp-reset' });
      return;
    }
    const v6 = p.nfproto === NFPROTO_IPV6;
    const code = r.type === 'icmpx' ? (v6 ? ICMPX_TO_V6 : ICMPX_TO_V4)[r.code]! : r.code;
    if (v6 || r.type === 'icmpv6') {
      events.push({ fn: 'nf_send_unreach6', what: `reject with icmpv6 code ${code}` });
      this.ops.sendReject(p.skb, state, { type: 'icmpv6', icmpType: 1, code });
    } else {
      events.push({ fn: 'nf_send_unreach', what: `reject with icmp code ${code}` });
      this.ops.sendReject(p.skb, state, { type: 'icmp', icmpType: 3, code });
    }
  }
}


/** the packet's values of a chain's prefilter fields (-1: absent, fails every constrained rule) */
function fillPv(ch: CChain, p: Pkt): void {
  const K = ch.pfK;
  for (let k = 0; k < K; k++) ch.pv[k] = ch.pfLoads[k]!(p);
}

function familyPf(f: string): number {
  switch (f) {
    case 'ip': return NFPROTO_IPV4;
    case 'ip6': return NFPROTO_IPV6;
    case 'arp': return NFPROTO_ARP;
    case 'bridge': return NFPROTO_BRIDGE;
    case 'netdev': return NFPROTO_NETDEV;
    default: return NFPROTO_INET;
  }
}

function usesCt(e: Expr): boolean {
  const json = JSON.stringify(e);
  return json.includes('"k":"ct"') || e.k === 'ct_set' || e.k === 'notrack';
}

export { NF_INET_FORWARD };

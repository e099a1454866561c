// net/sched/cls_u32.c u32_classify: hash tables of key nodes; a node matches when every 32-bit
// key (value/mask at off from the current header offset, + the variable offset when offmask) does;
// a matching node with a link descends into that table (bucket = the hashkey word folded by
// hmask and the table's divisor), moving the offset (offset/eat); a terminal node (classid or
// actions) runs its actions and a verdict < 0 goes on with the next node. A key past the frame
// ends the whole classification with -1. The tables belong to the qdisc (tc_u_common), so links
// reach tables of any priority; the instance starts at its own root table.
import type { TcFilter, TcU32Key, TcU32Root } from '../../host/types.js';
import type { Net } from '../net.js';
import type { TcAct, TcEnv } from './cls_api.js';
import { compileActions, tcf_exts_exec, unsupported } from './cls_api.js';
import { TC_ACT_UNSPEC } from './pkt_cls.js';

const TC_U32_MAXDEPTH = 8;

interface Knode {
  handle: string;
  keys: TcU32Key[];
  down: Hnode | null;
  downId: number | undefined;
  terminal: boolean;
  skipSw: boolean;
  acts: TcAct[];
  classid: string | null;
  offset: { off: number; mask: number; shift: number; at: number; variable: boolean; eat: boolean } | null;
  hash: { mask: number; off: number; fshift: number } | null;
  unsupported: string | null;
}

interface Hnode {
  id: number;
  /** kernel's divisor: buckets - 1 */
  divisor: number;
  buckets: Knode[][];
}

/** the device's u32 tables, built once per (replay, device): ingress and egress dumps share them */
const tablesOf = new WeakMap<TcFilter[], Map<number, Hnode>>();

function tables(net: Net, all: TcFilter[]): Map<number, Hnode> {
  let m = tablesOf.get(all);
  if (m) return m;
  m = new Map();
  const seen = new Set<string>();
  const nodes: { f: TcFilter; ht: number; bucket: number; node: number }[] = [];
  for (const f of all) {
    if (f.kind !== 'u32' || !f.u32 || seen.has(f.handle)) continue;
    seen.add(f.handle);
    const u = f.u32;
    if ('divisor' in u) m.set(u.ht, { id: u.ht, divisor: u.divisor - 1, buckets: Array.from({ length: Math.max(1, u.divisor) }, () => []) });
    else nodes.push({ f, ht: u.ht, bucket: u.bucket, node: u.node });
  }
  // u32_change inserts a node in its bucket in node-id order
  nodes.sort((a, b) => a.node - b.node);
  for (const { f, ht, bucket } of nodes) {
    const u = f.u32 as Extract<TcFilter['u32'], { keys: TcU32Key[] }>;
    let h = m.get(ht);
    if (!h) m.set(ht, (h = { id: ht, divisor: 0, buckets: [[]] }));
    const o = f.options;
    const why = o.mark !== undefined ? `u32 mark selector (${f.where}) not modelled` : o.input_dev !== undefined || o.indev !== undefined ? `u32 indev selector (${f.where}) not modelled` : null;
    const hmask = u.hash?.mask ?? 0;
    h.buckets[Math.min(bucket, h.buckets.length - 1)]!.push({
      handle: f.handle,
      keys: u.keys,
      down: null,
      downId: u.link,
      terminal: u.terminal,
      skipSw: f.skipSw,
      acts: compileActions(net, f.actions),
      classid: f.classid ?? null,
      offset: u.offset ?? null,
      hash: u.hash ? { mask: hmask, off: u.hash.off, fshift: hmask ? 31 - Math.clz32(hmask & -hmask) : 0 } : null,
      unsupported: why,
    });
  }
  for (const h of m.values()) for (const b of h.buckets) for (const n of b) if (n.downId !== undefined) n.down = m.get(n.downId) ?? null;
  tablesOf.set(all, m);
  return m;
}

/**
 * `roots`: the snapshot's u32_roots (tc -j filter get ... handle fff: u32, which u32_get answers
 * with tp->root). u32_walk lists every table of the instance's priority in the qdisc's shared
 * tc_u_common, so a u32 filter at the same pref on the other clsact hook (or in another chain)
 * shows its root table in this hook's dump too; the recorded root says which is this one's.
 */
export function u32_compile(net: Net, group: TcFilter[], allOfDev: TcFilter[], ingress: boolean, label: string, recorded?: TcU32Root[]): (env: TcEnv) => number {
  const hts = tables(net, allOfDev);
  const linked = new Set<number>();
  for (const h of hts.values()) for (const b of h.buckets) for (const n of b) if (n.downId !== undefined) linked.add(n.downId);
  // the instance's root: a table of this priority the kernel made itself (u32_init: ids from 0x800)
  // that no node links to
  let roots = group.filter((f) => f.u32 && 'divisor' in f.u32 && f.u32.ht >= 0x800 && !linked.has(f.u32.ht)).map((f) => hts.get(f.u32!.ht)!);
  const f0 = group[0]!;
  const mine = recorded?.find((r) => r.ingress === ingress && r.chain === f0.chain && r.pref === f0.pref);
  if (mine) {
    const t = hts.get(mine.ht);
    if (!t) {
      const why = `u32 (${label}): the recorded root table ${mine.ht.toString(16)}: is not in the dump: not evaluated`;
      return (env) => {
        unsupported(env.ctx, why);
        return TC_ACT_UNSPEC;
      };
    }
    roots = [t];
  }
  if (roots.length !== 1) {
    const why = roots.length
      ? `u32 (${label}): the dump lists root tables ${roots.map((r) => r.id.toString(16) + ':').join(', ')} for this priority (a u32 filter of the same pref on the other hook of the clsact, or in another chain, shares them); which is this hook's is not in tc's output and the snapshot has no u32_roots for it: not evaluated`
      : `u32 (${label}): no root table in the dump: not evaluated`;
    return (env) => {
      unsupported(env.ctx, why);
      return TC_ACT_UNSPEC;
    };
  }
  const root = roots[0]!;
  void ingress;
  return (env) => u32_classify(root, env, label);
}

const stackN: Knode[] = [];
const stackOff: number[] = [];

function u32_classify(root: Hnode, env: TcEnv, label: string): number {
  const v = env.view;
  const nh = v.macLen; // skb_network_offset in the view
  let ht: Hnode = root;
  let off = 0; // relative to the network header
  let off2 = 0;
  let sdepth = 0;
  let sel = 0;
  let list = ht.buckets[sel]!;
  let i = 0;
  const read32 = (o: number): number => {
    const j = nh + o;
    if (j < 0) {
      unsupported(env.ctx, `u32 (${label}) reads ${-j} bytes before the MAC header (headroom): unknown`);
      return -1;
    }
    return v.u32(j);
  };
  for (;;) {
    if (i < list.length) {
      const n = list[i]!;
      if (n.skipSw) {
        i++;
        continue;
      }
      if (n.unsupported) unsupported(env.ctx, n.unsupported);
      let miss = false;
      for (const k of n.keys) {
        const d = read32(off + k.off + (off2 & k.offmask));
        if (d < 0) return TC_ACT_UNSPEC; // goto out
        if (((d ^ k.value) & k.mask) !== 0) {
          miss = true;
          break;
        }
      }
      if (miss) {
        i++;
        continue;
      }
      if (n.down === null) {
        const r = terminal(n, env);
        if (r >= 0) return r;
        i++;
        continue;
      }
      // PUSH
      if (sdepth >= TC_U32_MAXDEPTH) return TC_ACT_UNSPEC; // deadloop
      stackN[sdepth] = n;
      stackOff[sdepth] = off;
      sdepth++;
      ht = n.down;
      sel = 0;
      if (ht.divisor) {
        const d = read32(off + (n.hash?.off ?? 0));
        if (d < 0) return TC_ACT_UNSPEC;
        // u32_hash_fold: ntohl(key & hmask) >> fshift, masked by the divisor
        sel = ht.divisor & ((((d & (n.hash?.mask ?? 0)) >>> 0) >>> (n.hash?.fshift ?? 0)) >>> 0);
      }
      if (n.offset) {
        off2 = n.offset.off + 3;
        if (n.offset.variable) {
          const a = read32ish(v, nh + off + n.offset.at);
          if (a < 0) return TC_ACT_UNSPEC;
          off2 += (a & n.offset.mask) >>> n.offset.shift;
        }
        off2 &= ~3;
        if (n.offset.eat) {
          off += off2;
          off2 = 0;
        }
        if (nh + off >= v.wireLen) {
          // off >= skb->len: no descent, POP
          list = [];
          i = 0;
          continue;
        }
      }
      env.ctx.tracing && env.ctx.ev('u32_classify', `${n.handle} matched: link ${ht.id.toString(16)}: bucket ${sel.toString(16)}`, { dev: env.dev.name });
      list = ht.buckets[Math.min(sel, ht.buckets.length - 1)]!;
      i = 0;
      continue;
    }
    // POP
    if (sdepth === 0) return TC_ACT_UNSPEC;
    sdepth--;
    const n = stackN[sdepth]!;
    off = stackOff[sdepth]!;
    // check_terminal of the node that linked
    if (n.terminal) {
      const r = terminal(n, env);
      if (r >= 0) return r;
    }
    // next node after it, in its own table
    const up = findList(root, n);
    list = up.list;
    i = up.index + 1;
  }
}

function read32ish(v: TcEnv['view'], j: number): number {
  return v.u16(j);
}

function terminal(n: Knode, env: TcEnv): number {
  if (!n.terminal) return -1;
  env.classid = n.classid;
  env.ctx.tracing && env.ctx.ev('u32_classify', `${n.handle} matched${n.classid ? ` classid ${n.classid}` : ''}`, { dev: env.dev.name });
  return tcf_exts_exec(n.acts, env);
}

/** the bucket list holding n and n's place in it (the POP resumes there: ht_up) */
const places = new WeakMap<Knode, { list: Knode[]; index: number }>();
function findList(root: Hnode, n: Knode): { list: Knode[]; index: number } {
  const p = places.get(n);
  if (p) return p;
  // all nodes of the device's tables were registered when reached through a bucket: search
  const seen = new Set<Hnode>();
  const walk = (h: Hnode): { list: Knode[]; index: number } | null => {
    if (seen.has(h)) return null;
    seen.add(h);
    for (const b of h.buckets) {
      const ix = b.indexOf(n);
      if (ix >= 0) return { list: b, index: ix };
      for (const x of b) if (x.down) {
        const r = walk(x.down);
        if (r) return r;
      }
    }
    return null;
  };
  const r = walk(root) ?? { list: [], index: 0 };
  places.set(n, r);
  return r;
}

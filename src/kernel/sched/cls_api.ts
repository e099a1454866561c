// net/sched/cls_api.c: a device's filter block (tcf_block) per hook, its chains of classifier
// instances (tcf_proto) sorted by priority, and __tcf_classify. Built once per replay from the
// snapshot (host.tc); a device without filters has no block and costs nothing per frame.
import type { NetDevice, TcAction, TcFilter, TcU32Root } from '../../host/types.js';
import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import type { SkBuff } from '../skbuff.js';
import { TcView } from './tc_view.js';
import { TC_ACT_GOTO_CHAIN, TC_ACT_JUMP, TC_ACT_PIPE, TC_ACT_RECLASSIFY, TC_ACT_REPEAT, TC_ACT_SHOT, TC_ACT_UNSPEC, TC_ACT_OK, verdictName } from './pkt_cls.js';
import { tcf_action_init } from './act_api.js';
import { u32_compile } from './cls_u32.js';
import { cls_bpf_compile } from './cls_bpf.js';
import { fl_compile } from './cls_flower.js';
import { basic_compile, fw_compile, mall_compile } from './cls_simple.js';

/** what one classify call works with (one object per replay, reset per call) */
export interface TcEnv {
  net: Net;
  skb: SkBuff;
  ctx: FrameCtx;
  view: TcView;
  dev: NetDevice;
  ingress: boolean;
  /** tcf_result: classid of the match (text), the chain a `goto chain` continues with */
  classid: string | null;
  gotoChain: number;
  /** a drop reason set on the way (tcf_set_drop_reason) */
  dropReason: string | null;
  /** mirred nesting (MIRRED_NEST_LIMIT) */
  nest: number;
  /** TC_ACT_REDIRECT from a (declared) eBPF program: bpf_redirect's target */
  redirect: { dev: string; ingress: boolean } | null;
}

/** one action: its verdict for the frame */
export interface TcAct {
  label: string;
  act(env: TcEnv): number;
}

/** one classifier instance (tcf_proto): a kind at a priority for one protocol in one chain */
export interface TcProto {
  chain: number;
  pref: number;
  ethType: number;
  kind: string;
  label: string;
  classify(env: TcEnv): number;
}

export interface TcBlock {
  dev: NetDevice;
  ingress: boolean;
  /** chain index -> classifier instances in priority order */
  chains: Map<number, TcProto[]>;
}

const ETH_P_ALL = 0x0003;

/** group a hook's filter nodes into classifier instances per (chain, pref) and compile each */
export function tcf_block_build(net: Net, dev: NetDevice, ingress: boolean, filters: TcFilter[], allOfDev: TcFilter[], u32Roots?: TcU32Root[]): TcBlock {
  const groups = new Map<string, TcFilter[]>();
  for (const f of filters) {
    const k = `${f.chain}/${f.pref}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(f);
  }
  const chains = new Map<number, TcProto[]>();
  for (const g of groups.values()) {
    const f0 = g[0]!;
    const label = `${ingress ? 'ingress' : 'egress'} chain ${f0.chain} pref ${f0.pref} ${f0.kind} protocol ${f0.protocol}`;
    let classify: (env: TcEnv) => number;
    switch (f0.kind) {
      case 'u32': classify = u32_compile(net, g, allOfDev, ingress, label, u32Roots); break;
      case 'bpf': classify = cls_bpf_compile(net, g, label); break;
      case 'flower': classify = fl_compile(net, g, label); break;
      case 'matchall': classify = mall_compile(net, g, label); break;
      case 'basic': classify = basic_compile(net, g, label); break;
      case 'fw': classify = fw_compile(net, g, label); break;
      default: {
        const why = `tc classifier ${f0.kind} (${label}) not modelled`;
        classify = (env) => {
          unsupported(env.ctx, why);
          return TC_ACT_UNSPEC;
        };
      }
    }
    let list = chains.get(f0.chain);
    if (!list) chains.set(f0.chain, (list = []));
    list.push({ chain: f0.chain, pref: f0.pref, ethType: f0.ethType, kind: f0.kind, label, classify });
  }
  for (const l of chains.values()) l.sort((a, b) => a.pref - b.pref);
  return { dev, ingress, chains };
}

export function unsupported(ctx: FrameCtx, why: string): void {
  if (!ctx.unsupported.includes(why)) ctx.unsupported.push(why);
}

/** skb_protocol(skb, false): the VLAN TPID when a tag is held, else skb->protocol */
function skb_protocol(skb: SkBuff): number {
  return skb.vlan_present ? skb.vlan_proto : skb.protocol;
}

const MAX_RECLASSIFY_LOOP = 16;

/**
 * __tcf_classify: the instances of chain 0 in priority order whose protocol is the frame's (or
 * all); the first verdict >= 0 ends it. reclassify restarts at chain 0, goto chain N at chain N
 * (an empty or absent chain: TC_ACT_UNSPEC); more than 16 restarts is TC_ACT_SHOT with
 * TC_RECLASSIFY_LOOP. TC_ACT_UNSPEC: nothing decided.
 */
export function tcf_classify(block: TcBlock, env: TcEnv): number {
  let chain = 0;
  let limit = 0;
  reclassify: for (;;) {
    const tps = block.chains.get(chain);
    if (tps) {
      for (const tp of tps) {
        const proto = skb_protocol(env.skb);
        if (tp.ethType !== proto && tp.ethType !== ETH_P_ALL) continue;
        const err = tp.classify(env);
        if (err === TC_ACT_RECLASSIFY || (err & 0xf0000000) === TC_ACT_GOTO_CHAIN) {
          env.ctx.tracing && env.ctx.ev('tcf_classify', `${tp.label}: ${verdictName(err)}`, { dev: block.dev.name });
          if (limit++ >= MAX_RECLASSIFY_LOOP) {
            env.dropReason = 'TC_RECLASSIFY_LOOP';
            return TC_ACT_SHOT;
          }
          chain = err === TC_ACT_RECLASSIFY ? 0 : err & 0x0fffffff;
          continue reclassify;
        }
        if (err >= 0) {
          env.ctx.tracing && env.ctx.ev('tcf_classify', `${tp.label}: ${verdictName(err)}${env.classid ? ` classid ${env.classid}` : ''}`, { dev: block.dev.name });
          return err;
        }
      }
    }
    return TC_ACT_UNSPEC;
  }
}

/**
 * tcf_exts_exec -> tcf_action_exec (act_api.c): the actions in order while they say pipe; jump N
 * skips N actions (a jump out of range or more than 32 jumps: TC_ACT_OK); repeat reruns an action
 * (32 times at most, then TC_ACT_OK). Without actions a match is TC_ACT_OK.
 */
export function tcf_exts_exec(acts: TcAct[], env: TcEnv): number {
  if (acts.length === 0) return TC_ACT_OK;
  let ret = TC_ACT_OK;
  let jmpPrgcnt = 0;
  let jmpTtl = 32; // TCA_ACT_MAX_PRIO
  restart: for (;;) {
    for (let i = 0; i < acts.length; i++) {
      if (jmpPrgcnt > 0) {
        jmpPrgcnt--;
        continue;
      }
      let repeat = 32;
      for (;;) {
        ret = acts[i]!.act(env);
        if (ret !== TC_ACT_REPEAT) break;
        if (--repeat === 0) return TC_ACT_OK;
      }
      if ((ret & 0xf0000000) === TC_ACT_JUMP) {
        jmpPrgcnt = ret & 0x0fffffff;
        if (!jmpPrgcnt || jmpPrgcnt > acts.length) return TC_ACT_OK;
        if (--jmpTtl > 0) continue restart;
        return TC_ACT_OK;
      }
      if (ret !== TC_ACT_PIPE) break;
    }
    return ret;
  }
}

export function compileActions(net: Net, acts: TcAction[]): TcAct[] {
  return acts.map((a) => tcf_action_init(net, a));
}

/** one env per replay: classify calls reset it (mirred re-enters classification: saved/restored by the caller) */
export function newTcEnv(net: Net): TcEnv {
  return { net, skb: null as unknown as SkBuff, ctx: null as unknown as FrameCtx, view: new TcView(), dev: null as unknown as NetDevice, ingress: true, classid: null, gotoChain: 0, dropReason: null, nest: 0, redirect: null };
}

// The tc hooks of net/core/dev.c, with the ingress/clsact qdiscs (net/sched/sch_ingress.c) whose
// filter blocks they run: sch_handle_ingress (in __netif_receive_skb_core, after the taps and
// before the netdev-family ingress chains) and sch_handle_egress (in __dev_queue_xmit, after
// the netdev egress chains, before the root qdisc). TcHooks holds the compiled blocks by device;
// a device without a block is one array read per frame.
import type { NetDevice } from '../../host/types.js';
import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import type { SkBuff } from '../skbuff.js';
import { newTcEnv, tcf_block_build, tcf_classify, type TcBlock, type TcEnv } from './cls_api.js';
import { TC_ACT_CONSUMED, TC_ACT_QUEUED, TC_ACT_REDIRECT, TC_ACT_SHOT, TC_ACT_STOLEN, TC_ACT_TRAP, verdictName } from './pkt_cls.js';
import { dev_queue_xmit } from '../core/dev.js';

export class TcHooks {
  /** by ifindex */
  readonly ingress: (TcBlock | undefined)[] = [];
  readonly egress: (TcBlock | undefined)[] = [];
  private readonly envs: TcEnv[] = [];

  constructor(private readonly net: Net) {
    const tc = net.host.tc;
    if (!tc) return;
    for (const [name, fl] of tc.filters) {
      const dev = net.host.byName.get(name)!;
      const all = [...fl.ingress, ...fl.egress];
      if (fl.ingress.length) this.ingress[dev.ifindex] = tcf_block_build(net, dev, true, fl.ingress, all, fl.u32Roots);
      if (fl.egress.length) this.egress[dev.ifindex] = tcf_block_build(net, dev, false, fl.egress, all, fl.u32Roots);
    }
  }

  /** one env per mirred nesting level (a redirect re-enters classification on another device) */
  env(depth: number): TcEnv {
    return (this.envs[depth] ??= newTcEnv(this.net));
  }
}

/** Net's TcHooks, made on first use (null: the host has no tc filters) */
const hooksOf = new WeakMap<Net, TcHooks | null>();
export function tcHooks(net: Net): TcHooks | null {
  let h = hooksOf.get(net);
  if (h === undefined) hooksOf.set(net, (h = net.host.tc ? new TcHooks(net) : null));
  return h;
}

let depth = 0;

function run(net: Net, block: TcBlock, skb: SkBuff, ctx: FrameCtx, ingress: boolean, hooks: TcHooks): { code: number; env: TcEnv } {
  const env = hooks.env(depth);
  env.skb = skb;
  env.ctx = ctx;
  env.dev = block.dev;
  env.ingress = ingress;
  env.classid = null;
  env.dropReason = null;
  env.redirect = null;
  env.nest = depth;
  env.view.set(skb);
  depth++;
  try {
    return { code: tcf_classify(block, env), env };
  } finally {
    depth--;
  }
}

/**
 * sch_handle_ingress: false when the frame went no further here (dropped TC_INGRESS, consumed,
 * or handed on by a redirect); true to go on with the netdev ingress chains and the stack.
 */
export function sch_handle_ingress(net: Net, skb: SkBuff, ctx: FrameCtx, hooks: TcHooks, block: TcBlock): boolean {
  // __netif_receive_skb_core: nf_skip_egress(skb, true) around tc ingress: what its actions send
  // out skips the netdev egress chains
  skb.nf_skip_egress = true;
  let r: { code: number; env: TcEnv };
  try {
    r = run(net, block, skb, ctx, true, hooks);
  } finally {
    skb.nf_skip_egress = false;
  }
  const { code, env } = r;
  const dev = block.dev.name;
  switch (code) {
    case TC_ACT_SHOT:
      ctx.drop('sch_handle_ingress', env.dropReason ?? 'TC_INGRESS', { dev });
      return false;
    case TC_ACT_STOLEN:
    case TC_ACT_QUEUED:
    case TC_ACT_TRAP:
      ctx.consume('sch_handle_ingress', `${verdictName(code)}: consume_skb`);
      return false;
    case TC_ACT_CONSUMED:
      ctx.tracing && ctx.ev('sch_handle_ingress', 'TC_ACT_CONSUMED: handed on by mirred', { dev });
      return false;
    case TC_ACT_REDIRECT:
      return skb_do_redirect(net, skb, ctx, env);
    default:
      ctx.tracing && ctx.ev('sch_handle_ingress', `${verdictName(code)}: continue`, { dev });
      return true;
  }
}

/** sch_handle_egress: false when the frame does not reach the device (TC_EGRESS drop, consumed, redirected) */
export function sch_handle_egress(net: Net, skb: SkBuff, ctx: FrameCtx, hooks: TcHooks, block: TcBlock, isReply: boolean): boolean {
  const { code, env } = run(net, block, skb, ctx, false, hooks);
  const dev = block.dev.name;
  switch (code) {
    case TC_ACT_SHOT:
      if (isReply) {
        const reason = env.dropReason ?? 'TC_EGRESS';
        ctx.tracing && ctx.ev('sch_handle_egress', `reply dropped ${reason}`, { dev });
        ctx.replyDropped(dev, net.summarizeSkb(skb), reason);
      } else ctx.drop('sch_handle_egress', env.dropReason ?? 'TC_EGRESS', { dev });
      return false;
    case TC_ACT_STOLEN:
    case TC_ACT_QUEUED:
    case TC_ACT_TRAP:
      if (isReply) ctx.tracing && ctx.ev('sch_handle_egress', `reply ${verdictName(code)}: consume_skb`, { dev });
      else ctx.consume('sch_handle_egress', `${verdictName(code)}: consume_skb`);
      return false;
    case TC_ACT_CONSUMED:
      ctx.tracing && ctx.ev('sch_handle_egress', 'TC_ACT_CONSUMED: handed on by mirred', { dev });
      return false;
    case TC_ACT_REDIRECT:
      return skb_do_redirect(net, skb, ctx, env);
    default:
      ctx.tracing && ctx.ev('sch_handle_egress', `${verdictName(code)}: continue`, { dev });
      return true;
  }
}

/** skb_do_redirect (bpf_redirect from a declared eBPF program): out of the target device */
function skb_do_redirect(net: Net, skb: SkBuff, ctx: FrameCtx, env: TcEnv): boolean {
  const r = env.redirect;
  const to = r ? net.host.byName.get(r.dev) : undefined;
  if (!to) {
    ctx.drop('skb_do_redirect', 'NOT_SPECIFIED');
    return false;
  }
  ctx.tracing && ctx.ev('skb_do_redirect', `to ${to.name} egress`, { dev: env.dev.name });
  depth++;
  try {
    dev_queue_xmit(net, skb, ctx, to as NetDevice);
  } finally {
    depth--;
  }
  return false;
}

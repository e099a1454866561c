// net/sched/act_mirred.c tcf_mirred_act. redirect: the frame itself goes on at the target device
// (egress: dev_queue_xmit there, through its netdev egress chains and tc egress filters;
// ingress: netif_receive_skb there, through its tc ingress filters, netdev ingress chains and
// the stack, with skb->dev = the target, so `ip rule iif` sees it). The Ethernet header is kept
// as it came (at_ingress -> egress: skb_push_rcsum), pkt_type is not recomputed. mirror: a copy
// does that and the frame goes on here (a copy dropped on its way is only that copy); so does a
// redirect from egress (a clone too: the frame's own skb is consumed there). The verdict
// is the action's control (redirect: stolen -> TC_ACT_CONSUMED at ingress, since the skb was
// handed on without a clone; mirror: pipe). A target that is down: redirect -> TC_ACT_SHOT,
// mirror -> the control. More than MIRRED_NEST_LIMIT (4) nested mirred calls: TC_ACT_SHOT.
import type { TcAction } from '../../host/types.js';
import type { Net } from '../net.js';
import type { TcAct, TcEnv } from './cls_api.js';
import { controlCode, TC_ACT_CONSUMED, TC_ACT_OK, TC_ACT_SHOT, TC_ACT_STOLEN, TC_ACT_TRAP, TC_ACT_REDIRECT, TC_ACT_UNSPEC } from './pkt_cls.js';
import { dev_queue_xmit, netif_receive_skb } from '../core/dev.js';
import { skb_copy } from '../skbuff.js';

const MIRRED_NEST_LIMIT = 4;

/** tcf_mirred_can_reinsert: verdicts after which the original skb is not used again */
function canReinsert(code: number): boolean {
  return code === TC_ACT_SHOT || code === TC_ACT_STOLEN || code === TC_ACT_TRAP || code === TC_ACT_REDIRECT;
}

export function tcf_mirred_init(net: Net, a: TcAction): TcAct {
  const m = a.mirred!;
  const target = net.host.byName.get(m.dev)!;
  const code = controlCode(a.control, a.controlArg) ?? TC_ACT_UNSPEC;
  const redirect = m.action === 'redirect';
  const label = `mirred ${m.direction} ${m.action} dev ${m.dev} ${a.control}`;
  return {
    label,
    act(env: TcEnv): number {
      const { ctx, skb } = env;
      if (env.nest >= MIRRED_NEST_LIMIT) {
        ctx.tracing && ctx.ev('tcf_mirred_act', `nested too deep (MIRRED_NEST_LIMIT ${MIRRED_NEST_LIMIT}): TC_ACT_SHOT`, { dev: env.dev.name });
        return TC_ACT_SHOT;
      }
      if (!target.up) {
        // tcf_mirred_to_dev: device not up -> err_cant_do
        ctx.tracing && ctx.ev('tcf_mirred_act', `${m.action} to ${m.dev}: device is down${redirect ? ', TC_ACT_SHOT' : ''}`, { dev: env.dev.name });
        return redirect ? TC_ACT_SHOT : code;
      }
      ctx.tracing && ctx.ev('tcf_mirred_act', `${m.direction} ${m.action} to ${m.dev}`, { dev: env.dev.name });
      const net = env.net;
      const atIngress = env.ingress;
      env.nest++;
      // tcf_mirred_to_dev: only a redirect at ingress whose control lets the skb go
      // (tcf_mirred_can_reinsert) hands the skb itself on (dont_clone); a mirror, or a redirect
      // from egress (measured: fixtures/kernel/tc-mirred-xdp), sends a clone, and the frame's own
      // skb is what the control says (stolen at egress: consume_skb in sch_handle_egress)
      const clone = !(atIngress && redirect && canReinsert(code));
      // the clone has bytes of its own: routing in the target's receive path rewrites TTL and MACs
      const out = clone ? skb_copy(skb) : skb;
      const saved = saveFate(ctx);
      try {
        if (m.direction === 'egress') {
          dev_queue_xmit(net, out, ctx, target);
        } else {
          // tcf_mirred_forward: netif_receive_skb (from ingress) / netif_rx (from egress); the
          // dst of an egress frame is dropped (skb_dst_drop)
          if (!atIngress) out.dst = null;
          out.dev = target;
          netif_receive_skb(net, out, ctx, true);
        }
      } finally {
        env.nest--;
      }
      if (clone) {
        // a copy: its own fate is not the frame's (unless it left by a device); the frame goes on as it was
        restoreFate(ctx, saved);
        return code;
      }
      if (atIngress && canReinsert(code)) return TC_ACT_CONSUMED;
      return code === TC_ACT_UNSPEC || code === TC_ACT_OK ? code : code;
    },
  };
}

/** a copy's drop or consume must not settle the frame: keep the fate as it was unless the copy left */
export function saveFate(ctx: TcEnv['ctx']): { fate: TcEnv['ctx']['fate']; reason: string | undefined; socket: string | undefined } {
  return { fate: ctx.fate, reason: ctx.reason, socket: ctx.socket };
}

export function restoreFate(ctx: TcEnv['ctx'], s: ReturnType<typeof saveFate>): void {
  if (ctx.fate === s.fate) return;
  // the copy left by a device: the frame was seen leaving (forwarded, egress kept); anything else the copy met is undone
  if (ctx.fate === 'forwarded' || ctx.fate === 'bridged') return;
  ctx.fate = s.fate;
  ctx.reason = s.reason;
  ctx.socket = s.socket;
}

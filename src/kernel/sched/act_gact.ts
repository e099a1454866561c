// net/sched/act_gact.c tcf_gact_act: the verdict tc printed as control_action (pass, drop,
// reclassify, continue, pipe, stolen, trap, goto chain N, jump N). A random (`random determ` /
// `netrand`) second verdict is printed as "prob": the deterministic form is evaluated
// (gact_determ: every Nth packet), the random one is reported unsupported.
import type { TcAction } from '../../host/types.js';
import type { TcAct, TcEnv } from './cls_api.js';
import { unsupported } from './cls_api.js';
import { controlCode, TC_ACT_OK } from './pkt_cls.js';

export function tcf_gact_init(a: TcAction): TcAct {
  const code = controlCode(a.control, a.controlArg);
  const label = `gact ${a.control}${a.controlArg !== undefined ? ' ' + a.controlArg : ''}`;
  if (code === null) {
    const why = `tc action gact with control "${a.control}" not modelled (${a.where})`;
    return { label, act: (env) => (unsupported(env.ctx, why), TC_ACT_OK) };
  }
  const prob = a.raw.prob as { random_type?: string; control_action?: { type?: string; chain?: number; jump?: number }; val?: number } | undefined;
  if (prob && typeof prob === 'object') {
    const other = controlCode(prob.control_action?.type ?? '', prob.control_action?.chain ?? prob.control_action?.jump ?? 0);
    const every = typeof prob.val === 'number' ? prob.val : 0;
    if (prob.random_type === 'determ' && other !== null && every > 0) {
      // gact_determ: the second verdict on every `val`-th packet that reaches the action
      let n = 0;
      return {
        label: `${label} (every ${every}: ${prob.control_action?.type})`,
        act: (env: TcEnv) => {
          const r = ++n % every === 0 ? other : code;
          env.ctx.tracing && env.ctx.ev('tcf_gact_act', `${r === code ? a.control : prob.control_action?.type}`, { dev: env.dev.name });
          return r;
        },
      };
    }
    const why = `tc action gact with a random verdict (${a.where}): the first verdict "${a.control}" assumed`;
    return { label, act: (env) => (unsupported(env.ctx, why), code) };
  }
  return {
    label,
    act: (env: TcEnv) => {
      env.ctx.tracing && env.ctx.ev('tcf_gact_act', a.control + (a.controlArg !== undefined ? ` ${a.controlArg}` : ''), { dev: env.dev.name });
      return code;
    },
  };
}

// Running one bridge-path netfilter hook without settling the frame's fate: a flooded frame is
// many copies, and one copy dropped by a rule is not the frame's fate (br_forward / br_flood decide).

import type { NetDevice } from '../../host/types.js';
import { nfEvents, type FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import type { SkBuff } from '../skbuff.js';
import { NFPROTO_BRIDGE, hookName, pfName, type NfHookState } from '../netfilter/hook.js';

const st: NfHookState = { pf: NFPROTO_BRIDGE, hook: 0, in: null, out: null, reuse: true };

/** null when accepted, else the drop reason (NETFILTER_DROP unless the rule set says otherwise) */
export function brHook(net: Net, pf: number, hook: number, skb: SkBuff, indev: NetDevice | null, outdev: NetDevice | null, ctx: FrameCtx): string | null {
  st.pf = pf; st.hook = hook; st.in = indev; st.out = outdev;
  const r = net.nf.nf_hook(st, skb, nfEvents(ctx));
  if (r.verdicts.length) for (const v of r.verdicts) ctx.verdicts.push(v);
  if (r.unsupported) for (const u of r.unsupported) if (!ctx.unsupported.includes(u)) ctx.unsupported.push(u);
  if (r.verdict === 'accept') return null;
  if (r.verdict === 'queue') ctx.unsupported.push('NF_QUEUE verdict: userspace queue not modelled');
  const reason = r.verdict === 'drop' || r.verdict === 'queue' ? r.reason ?? 'NETFILTER_DROP' : 'STOLEN';
  ctx.tracing && ctx.ev('nf_hook_slow', `${pfName(pf)} ${hookName(pf, hook)}: ${r.verdict}`, { dev: (outdev ?? indev)?.name });
  return reason;
}

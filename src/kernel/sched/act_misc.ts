// Actions this kernel (6.18 here) lacks, evaluated from their kernel source and tc's JSON:
// skbedit (act_skbedit.c tcf_skbedit_act), vlan (act_vlan.c tcf_vlan_act), police (act_police.c
// tcf_police_act, token bucket on capture time); every other kind (csum, pedit, nat, connmark,
// ct, bpf, sample, tunnel_key, ...) changes things the model does not follow: reported
// unsupported, its control verdict kept.
import type { TcAction } from '../../host/types.js';
import type { TcAct, TcEnv } from './cls_api.js';
import { unsupported } from './cls_api.js';
import { controlCode, TC_ACT_OK, TC_ACT_PIPE, TC_ACT_SHOT } from './pkt_cls.js';

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v)) return Number(v);
  return undefined;
}

/** skbedit: mark (with mask), priority, ptype, queue_mapping; verdict = control (default pipe) */
export function tcf_skbedit_init(a: TcAction): TcAct {
  const code = controlCode(a.control, a.controlArg) ?? TC_ACT_PIPE;
  const r = a.raw;
  const mark = num(r.mark);
  const mask = num(r.mask) ?? 0xffffffff;
  const ptype = typeof r.ptype === 'string' ? ({ host: 0, broadcast: 1, multicast: 2, otherhost: 3 } as Record<string, number>)[r.ptype] : undefined;
  return {
    label: `skbedit ${a.control}`,
    act(env: TcEnv): number {
      const skb = env.skb;
      // tcf_skbedit_act: skb->mark = (skb->mark & ~mask) | (mark & mask)
      if (mark !== undefined) skb.mark = ((skb.mark & ~mask) | (mark & mask)) >>> 0;
      if (ptype !== undefined) skb.pkt_type = ptype;
      env.ctx.tracing && env.ctx.ev('tcf_skbedit_act', [mark !== undefined ? `mark 0x${skb.mark.toString(16)}` : '', ptype !== undefined ? `ptype ${r.ptype}` : '', r.priority !== undefined ? `priority ${r.priority}` : '', r.queue_mapping !== undefined ? `queue_mapping ${r.queue_mapping}` : ''].filter(Boolean).join(' ') || 'no change', { dev: env.dev.name });
      return code;
    },
  };
}

/** vlan pop / push / modify (act_vlan.c): the tag the model holds in skb->vlan_* */
export function tcf_vlan_init(a: TcAction): TcAct {
  const code = controlCode(a.control, a.controlArg) ?? TC_ACT_PIPE;
  const r = a.raw;
  const op = r.vlan_action as string | undefined;
  const id = num(r.id);
  const proto = typeof r.protocol === 'string' ? (r.protocol.toLowerCase() === '802.1ad' ? 0x88a8 : 0x8100) : 0x8100;
  const prio = num(r.priority) ?? 0;
  return {
    label: `vlan ${op}`,
    act(env: TcEnv): number {
      const skb = env.skb;
      switch (op) {
        case 'pop':
          // skb_vlan_pop: the held tag goes (a tag still in the payload would be pulled into it: not modelled)
          if (skb.vlan_present) {
            skb.vlan_present = false;
            skb.vlan_tci = 0;
          } else unsupported(env.ctx, `tc vlan pop of an untagged frame (${a.where}): nothing held, frame unchanged`);
          break;
        case 'push':
          if (skb.vlan_present) {
            unsupported(env.ctx, `tc vlan push on a tagged frame (${a.where}): the outer tag would move into the payload`);
            return code;
          }
          skb.vlan_present = true;
          skb.vlan_proto = proto;
          skb.vlan_tci = ((prio & 7) << 13) | ((id ?? 0) & 0xfff);
          break;
        case 'modify':
          if (!skb.vlan_present) return TC_ACT_SHOT; // tcf_vlan_act: modify without a tag -> drop
          skb.vlan_tci = (id !== undefined ? (skb.vlan_tci & ~0xfff) | id : skb.vlan_tci) & 0xffff;
          if (r.priority !== undefined) skb.vlan_tci = (skb.vlan_tci & 0x1fff) | ((prio & 7) << 13);
          break;
        default:
          unsupported(env.ctx, `tc vlan action "${op}" not modelled (${a.where})`);
      }
      env.ctx.tracing && env.ctx.ev('tcf_vlan_act', `${op}${skb.vlan_present ? ` tci 0x${skb.vlan_tci.toString(16)}` : ''}`, { dev: env.dev.name });
      return code;
    },
  };
}

/**
 * police (act_police.c tcf_police_act, rate + burst): a token bucket in nanoseconds of
 * transmission time, refilled on capture time: toks = min(burst, toks + elapsed); a packet costs
 * len * NSEC_PER_SEC / rate. exceed -> the first verdict tc prints
 * ("conform-exceed EXCEED/CONFORM" as the kernel stores them: tcf_action / tcfp_result), conform ->
 * the second (default pass). The JSON keys (rate and burst in bytes, the second verdict as a
 * repeated "control_action") follow iproute2's m_police.c printers; this kernel has no act_police
 * to record them.
 * Without a rate (only pps/mtu forms) it is reported unsupported and conforms.
 */
export function tcf_police_init(a: TcAction): TcAct {
  const r = a.raw;
  const exceed = controlCode(a.control, a.controlArg) ?? TC_ACT_SHOT;
  // print_action_control prints both verdicts under "control_action": the second (the conform
  // verdict, TCA_POLICE_RESULT) arrives as a repeated key, "control_action#2" (parse/tc.ts)
  const nc = r['control_action#2'] as { type?: string } | undefined;
  const conformName = nc?.type;
  const conform = (conformName ? controlCode(conformName) : null) ?? TC_ACT_OK;
  const rate = num(r.rate); // bytes per second (the kernel's rate64)
  const burst = num(r.burst);
  if (rate === undefined || burst === undefined || rate <= 0) {
    const why = `tc police without rate and burst the model reads (${a.where}): conform assumed`;
    return { label: 'police', act: (env) => (unsupported(env.ctx, why), conform) };
  }
  // iproute2 m_police.c prints "rate" and "burst" in bytes (print_u64 of rate64 / burst bytes)
  const burstNs = (burst * 1e9) / rate;
  let toks = burstNs;
  let last: number | null = null;
  return {
    label: `police rate ${rate}B/s burst ${burst}B`,
    act(env: TcEnv): number {
      const now = env.net.nowSec * 1e9 + env.net.nowNsec;
      if (last !== null) toks = Math.min(burstNs, toks + (now - last));
      last = now;
      const len = env.skb.wireEnd - (env.skb.mac_header >= 0 ? env.skb.mac_header : env.skb.start);
      const cost = (len * 1e9) / rate;
      const ok = toks - cost >= 0;
      if (ok) toks -= cost;
      env.ctx.tracing && env.ctx.ev('tcf_police_act', ok ? 'conform' : 'exceed', { dev: env.dev.name });
      return ok ? conform : exceed;
    },
  };
}

/** an action whose effect the model does not follow: unsupported, its control verdict kept */
export function tcf_opaque_init(a: TcAction): TcAct {
  const code = controlCode(a.control, a.controlArg) ?? TC_ACT_PIPE;
  const why = `tc action ${a.kind} not modelled (${a.where}): its effect is not applied, control "${a.control}" kept`;
  return {
    label: `${a.kind} ${a.control}`,
    act(env: TcEnv): number {
      unsupported(env.ctx, why);
      env.ctx.tracing && env.ctx.ev(`tcf_${a.kind}_act`, `not modelled, ${a.control}`, { dev: env.dev.name });
      return code;
    },
  };
}

// net/sched/act_api.c tcf_action_init: one compiled action per `tc -j` action entry.
import type { TcAction } from '../../host/types.js';
import type { Net } from '../net.js';
import type { TcAct } from './cls_api.js';
import { tcf_mirred_init } from './act_mirred.js';
import { tcf_gact_init } from './act_gact.js';
import { tcf_skbedit_init, tcf_vlan_init, tcf_police_init, tcf_opaque_init } from './act_misc.js';

export function tcf_action_init(net: Net, a: TcAction): TcAct {
  switch (a.kind) {
    case 'mirred': return tcf_mirred_init(net, a);
    case 'gact': return tcf_gact_init(a);
    case 'skbedit': return tcf_skbedit_init(a);
    case 'vlan': return tcf_vlan_init(a);
    case 'police': return tcf_police_init(a);
    default: return tcf_opaque_init(a);
  }
}

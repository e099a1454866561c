// The small classifiers, from their kernel source and tc's JSON (this kernel has none of them):
// matchall (cls_matchall.c mall_classify: every frame, unless skip_sw), fw (cls_fw.c fw_classify:
// the filter whose handle equals skb->mark & mask; tc prints "handle" as 0xN or 0xN/0xM),
// basic (cls_basic.c basic_classify: every frame that passes its ematch tree; an ematch is not
// modelled: reported unsupported, not evaluated).
import type { TcFilter } from '../../host/types.js';
import type { Net } from '../net.js';
import type { TcEnv } from './cls_api.js';
import { compileActions, tcf_exts_exec, unsupported } from './cls_api.js';
import { TC_ACT_UNSPEC } from './pkt_cls.js';

export function mall_compile(net: Net, group: TcFilter[], label: string): (env: TcEnv) => number {
  const f = group[0]!;
  const acts = compileActions(net, f.actions);
  return (env) => {
    if (f.skipSw) return TC_ACT_UNSPEC;
    env.classid = f.classid ?? null;
    env.ctx.tracing && env.ctx.ev('mall_classify', `${label}: matched`, { dev: env.dev.name });
    return tcf_exts_exec(acts, env);
  };
}

export function fw_compile(net: Net, group: TcFilter[], label: string): (env: TcEnv) => number {
  const fs = group.map((f) => {
    const m = /^(0x[0-9a-f]+|\d+)(?:\/(0x[0-9a-f]+|\d+))?$/i.exec(f.handle);
    return { f, id: m ? Number(m[1]) >>> 0 : NaN, mask: m && m[2] ? Number(m[2]) >>> 0 : 0xffffffff, acts: compileActions(net, f.actions) };
  });
  return (env) => {
    for (const x of fs) {
      if (Number.isNaN(x.id)) {
        unsupported(env.ctx, `fw filter handle "${x.f.handle}" not understood (${x.f.where})`);
        continue;
      }
      // fw_classify: id = skb->mark & head->mask; the filter whose id equals it
      if (((env.skb.mark & x.mask) >>> 0) !== x.id) continue;
      env.classid = x.f.classid ?? null;
      env.ctx.tracing && env.ctx.ev('fw_classify', `${label}: mark 0x${env.skb.mark.toString(16)} matched handle ${x.f.handle}`, { dev: env.dev.name });
      const r = tcf_exts_exec(x.acts, env);
      if (r < 0) continue;
      return r;
    }
    return TC_ACT_UNSPEC;
  };
}

export function basic_compile(net: Net, group: TcFilter[], label: string): (env: TcEnv) => number {
  const fs = group.map((f) => ({ f, acts: compileActions(net, f.actions), ematch: f.options.ematch !== undefined }));
  return (env) => {
    for (const x of fs) {
      if (x.ematch) {
        unsupported(env.ctx, `basic filter with an ematch (${x.f.where}) not modelled: not evaluated`);
        continue;
      }
      if (x.f.skipSw) continue;
      env.classid = x.f.classid ?? null;
      env.ctx.tracing && env.ctx.ev('basic_classify', `${label}: matched`, { dev: env.dev.name });
      const r = tcf_exts_exec(x.acts, env);
      if (r < 0) continue;
      return r;
    }
    return TC_ACT_UNSPEC;
  };
}

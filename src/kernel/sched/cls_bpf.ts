// net/sched/cls_bpf.c cls_bpf_classify: the programs of one instance in order. A classic program
// (tc's `bytecode`, e.g. from `tcpdump -ddd`) is run by bpf_prog_run_classic over the frame from its
// MAC header (at ingress cls_bpf pushes the MAC header back first). direct-action
// (exts_integrated): the return value is the verdict (cls_bpf_exec_opcode: OK, SHOT, STOLEN,
// TRAP, REDIRECT, UNSPEC; anything else UNSPEC) and UNSPEC goes on with the next program.
// Otherwise 0 = no match, -1 = the filter's classid, any other value = that classid, then the
// actions. An eBPF program (an object, shown by name and id) cannot be run offline: it is
// reported unsupported and taken as TC_ACT_UNSPEC unless `--bpf DEV:tc-ingress=...` declares
// what it returns.
import type { TcFilter } from '../../host/types.js';
import type { Net } from '../net.js';
import type { TcAct, TcEnv } from './cls_api.js';
import { compileActions, tcf_exts_exec, unsupported } from './cls_api.js';
import { bpf_prog_run_classic, type BpfInsn, type BpfRun } from './bpf_filter.js';
import { TC_ACT_OK, TC_ACT_REDIRECT, TC_ACT_SHOT, TC_ACT_STOLEN, TC_ACT_TRAP, TC_ACT_UNSPEC } from './pkt_cls.js';
import { declaredTcVerdict } from './bpf_decl.js';

interface Prog {
  handle: string;
  insns: BpfInsn[] | null;
  ebpf: string | null;
  da: boolean;
  acts: TcAct[];
  classid: string | null;
  skipSw: boolean;
}

function cls_bpf_exec_opcode(code: number): number {
  switch (code) {
    case TC_ACT_OK:
    case TC_ACT_SHOT:
    case TC_ACT_STOLEN:
    case TC_ACT_TRAP:
    case TC_ACT_REDIRECT:
    case TC_ACT_UNSPEC:
      return code;
    default:
      return TC_ACT_UNSPEC;
  }
}

const run: BpfRun = { ret: 0, unsupported: null };

export function cls_bpf_compile(net: Net, group: TcFilter[], label: string): (env: TcEnv) => number {
  const progs: Prog[] = group
    .filter((f) => f.bpf)
    .map((f) => ({
      handle: f.handle,
      insns: f.bpf!.insns ?? null,
      ebpf: f.bpf!.prog ? `${f.bpf!.prog.name || f.bpf!.name || 'eBPF'} id ${f.bpf!.prog.id}` : null,
      da: f.bpf!.directAction,
      acts: compileActions(net, f.actions),
      classid: f.classid ?? null,
      skipSw: f.skipSw,
    }));
  return (env) => {
    let ret = TC_ACT_UNSPEC;
    for (const p of progs) {
      let res: number;
      if (p.skipSw) res = p.da ? TC_ACT_UNSPEC : 0;
      else if (p.insns) {
        res = bpf_prog_run_classic(p.insns, env.view, env.skb, run) | 0;
        if (run.unsupported) unsupported(env.ctx, `${run.unsupported} (${label})`);
        env.ctx.tracing && env.ctx.ev('cls_bpf_classify', `${label} handle ${p.handle}: classic program returned ${res >>> 0}`, { dev: env.dev.name });
      } else {
        const d = declaredTcVerdict(env.net, env.dev, env.ingress);
        if (d === null) {
          unsupported(env.ctx, `eBPF program ${p.ebpf} (${label}) cannot be run offline: taken as TC_ACT_UNSPEC (declare its verdict with --bpf ${env.dev.name}:tc-${env.ingress ? 'ingress' : 'egress'}=ok|shot|redirect:DEV)`);
          env.ctx.tracing && env.ctx.ev('cls_bpf_classify', `${label}: eBPF program ${p.ebpf}: not run (unsupported)`, { dev: env.dev.name });
          res = p.da ? TC_ACT_UNSPEC : 0;
        } else {
          env.ctx.tracing && env.ctx.ev('cls_bpf_classify', `${label}: eBPF program ${p.ebpf}: declared ${d.text}`, { dev: env.dev.name });
          if (d.redirect) env.redirect = d.redirect;
          res = d.code;
        }
      }
      if (p.da) {
        env.classid = p.classid;
        ret = cls_bpf_exec_opcode(res);
        if (ret === TC_ACT_UNSPEC) continue;
        break;
      }
      if (res === 0) continue;
      env.classid = res !== -1 ? classidText(res >>> 0) : p.classid;
      ret = tcf_exts_exec(p.acts, env);
      if (ret < 0) continue;
      break;
    }
    return ret;
  };
}

function classidText(c: number): string {
  return `${(c >>> 16).toString(16)}:${(c & 0xffff).toString(16)}`;
}

// XDP: a program attached to the receiving device runs before the stack sees the frame (native
// mode in the driver, generic mode in netif_receive_generic_xdp / do_xdp_generic at the top of
// __netif_receive_skb_core). An eBPF program cannot be run offline: the frame gets a
// bpf_prog_run_xdp event naming the program and an unsupported note, and goes on as XDP_PASS,
// unless the user declared the verdict (--bpf DEV:xdp=pass|drop|tx|aborted|redirect:DEV2), which
// is then applied without a note: drop/aborted free the frame (measured, generic XDP: kfree_skb
// NOT_SPECIFIED at do_xdp_generic), tx sends it back out of the same device, redirect out of DEV2
// (generic_xdp_tx: straight to the driver, past the qdisc and tc egress).
import type { NetDevice } from '../../host/types.js';
import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import { declaredXdp } from '../sched/bpf_decl.js';

/** false when the frame ended at XDP */
export function bpf_prog_run_xdp(net: Net, dev: NetDevice, ctx: FrameCtx): boolean {
  const xdp = dev.xdp!;
  const progs = xdp.progs.map((p) => `${p.name || 'prog'} id ${p.id}${p.mode === 2 ? ' (generic)' : p.mode === 1 ? ' (driver)' : p.mode === 3 ? ' (offload)' : ''}`).join(', ') || 'program';
  const d = declaredXdp(net, dev);
  if (!d) {
    const why = `XDP program ${progs} on ${dev.name} cannot be run offline: XDP_PASS assumed (declare it with --bpf ${dev.name}:xdp=pass|drop|tx|aborted|redirect:DEV)`;
    if (!ctx.unsupported.includes(why)) ctx.unsupported.push(why);
    ctx.tracing && ctx.ev('bpf_prog_run_xdp', `${progs}: not run (unsupported), XDP_PASS assumed`, { dev: dev.name });
    return true;
  }
  switch (d.verdict) {
    case 'pass':
      ctx.tracing && ctx.ev('bpf_prog_run_xdp', `${progs}: XDP_PASS (declared)`, { dev: dev.name });
      return true;
    case 'drop':
    case 'aborted':
      ctx.tracing && ctx.ev('bpf_prog_run_xdp', `${progs}: XDP_${d.verdict.toUpperCase()} (declared)`, { dev: dev.name });
      ctx.drop(xdp.mode === 2 ? 'do_xdp_generic' : 'bpf_prog_run_xdp', 'NOT_SPECIFIED', { dev: dev.name });
      return false;
    case 'tx':
      ctx.tracing && ctx.ev('bpf_prog_run_xdp', `${progs}: XDP_TX (declared): back out of ${dev.name}`, { dev: dev.name });
      ctx.forward(dev.name);
      return false;
    default: {
      const to = d.target!;
      ctx.tracing && ctx.ev('bpf_prog_run_xdp', `${progs}: XDP_REDIRECT to ${to} (declared)`, { dev: dev.name });
      const t = net.host.byName.get(to)!;
      if (!t.up) {
        ctx.drop('xdp_do_generic_redirect', 'NOT_SPECIFIED', { dev: to });
        return false;
      }
      ctx.forward(to);
      return false;
    }
  }
}

// What the user declares an eBPF program returns (`--bpf DEV:HOOK=VERDICT`, repeatable; the
// library's ReplayOptions.bpf; golden case.json "bpf"): XDP and eBPF tc programs cannot be run
// offline, so without a declaration they are reported unsupported (XDP: taken as XDP_PASS; tc:
// TC_ACT_UNSPEC).
//   DEV:xdp=pass|drop|tx|aborted|redirect:DEV2
//   DEV:tc-ingress=ok|shot|redirect:DEV2     (also tc-egress; redirect = bpf_redirect to DEV2's egress)
import type { NetDevice } from '../../host/types.js';
import type { Net } from '../net.js';
import { TC_ACT_OK, TC_ACT_REDIRECT, TC_ACT_SHOT } from './pkt_cls.js';

export type BpfHook = 'xdp' | 'tc-ingress' | 'tc-egress';

export interface BpfDecl {
  dev: string;
  hook: BpfHook;
  verdict: string;
  target?: string;
}

const XDP = new Set(['pass', 'drop', 'tx', 'aborted', 'redirect']);
const TC = new Set(['ok', 'shot', 'redirect']);

/** parse one declaration; a bad one throws an Error saying what is expected */
export function parseBpfDecl(s: string): BpfDecl {
  const m = /^([^:=\s]+):(xdp|tc-ingress|tc-egress)=([a-z]+)(?::([^\s:=]+))?$/.exec(s);
  if (!m) throw new Error(`--bpf "${s}": expected DEV:xdp=pass|drop|tx|aborted|redirect:DEV2 or DEV:tc-ingress=ok|shot|redirect:DEV2 (or tc-egress)`);
  const [, dev, hook, verdict, target] = m as unknown as [string, string, BpfHook, string, string | undefined];
  const allowed = hook === 'xdp' ? XDP : TC;
  if (!allowed.has(verdict)) throw new Error(`--bpf "${s}": verdict "${verdict}" is not one of ${[...allowed].join('|')} for ${hook}`);
  if ((verdict === 'redirect') !== (target !== undefined)) throw new Error(`--bpf "${s}": ${verdict === 'redirect' ? 'redirect needs a target device (redirect:DEV2)' : 'only redirect takes a device'}`);
  return target !== undefined ? { dev, hook, verdict, target } : { dev, hook, verdict };
}

/** the declarations of a replay, checked against the host's devices (an unknown device is an error) */
export function bpfDecls(net: Net): Map<string, BpfDecl> {
  let m = cache.get(net);
  if (m) return m;
  m = new Map();
  for (const s of net.opts.bpf ?? []) {
    const d = parseBpfDecl(s);
    for (const n of [d.dev, d.target]) if (n !== undefined && !net.host.byName.has(n)) throw new Error(`--bpf "${s}": device "${n}" is not in the host snapshot`);
    m.set(`${d.dev}/${d.hook}`, d);
  }
  cache.set(net, m);
  return m;
}
const cache = new WeakMap<Net, Map<string, BpfDecl>>();

export function declaredTcVerdict(net: Net, dev: NetDevice, ingress: boolean): { code: number; text: string; redirect: { dev: string; ingress: boolean } | null } | null {
  const d = bpfDecls(net).get(`${dev.name}/${ingress ? 'tc-ingress' : 'tc-egress'}`);
  if (!d) return null;
  if (d.verdict === 'redirect') return { code: TC_ACT_REDIRECT, text: `TC_ACT_REDIRECT to ${d.target}`, redirect: { dev: d.target!, ingress: false } };
  return d.verdict === 'ok' ? { code: TC_ACT_OK, text: 'TC_ACT_OK', redirect: null } : { code: TC_ACT_SHOT, text: 'TC_ACT_SHOT', redirect: null };
}

export function declaredXdp(net: Net, dev: NetDevice): BpfDecl | null {
  return bpfDecls(net).get(`${dev.name}/xdp`) ?? null;
}

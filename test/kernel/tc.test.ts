// tc classifiers and actions this kernel lacks (flower, matchall, fw, gact, skbedit, police),
// the classic-BPF interpreter, XDP and --bpf declarations. Filters are written as tc -j prints
// them (iproute2's printers: f_flower.c flower_print_opt, m_gact.c, m_police.c, tc_util.c
// print_action_control); expected verdicts follow the kernel function each test names.
// u32, cls_bpf classic and mirred are checked against the kernel in fixtures/kernel/tc.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadHostFromFiles } from '../../src/host/load.js';
import type { Host } from '../../src/host/types.js';
import { SAMPLES, eth, run, tcp4, udp4, echo4, expectFate } from './helpers.js';
import { bpf_prog_run_classic } from '../../src/kernel/sched/bpf_filter.js';
import { TcView } from '../../src/kernel/sched/tc_view.js';
import { SkBuff } from '../../src/kernel/skbuff.js';
import { FrameCtx } from '../../src/kernel/ctx.js';
import { eth_type_trans, netif_receive_skb } from '../../src/kernel/core/dev.js';
import { parseBpfDecl } from '../../src/kernel/sched/bpf_decl.js';
import { createNet } from '../../src/kernel/net.js';

const H0 = '02:00:00:00:01:01';
const P0 = '02:00:00:00:01:02';
const files = (): Record<string, string> => {
  const o: Record<string, string> = {};
  for (const f of ['ip-link.json', 'ip-addr.json', 'ip-route.json', 'ip-rule.json', 'ip-neigh.json', 'sysctl.txt']) o[f] = readFileSync(SAMPLES + 'router/' + f, 'utf8');
  return o;
};
const qdisc = '[{"kind":"clsact","handle":"ffff:","dev":"eth0","parent":"ffff:fff1","options":{}}]';
let idx = 0;
const act = (kind: string, control: string, extra: Record<string, unknown> = {}) => ({ order: 1, kind, ...extra, control_action: { type: control }, index: ++idx, ref: 1, bind: 1 });
const filter = (kind: string, pref: number, options: Record<string, unknown>, chain = 0, protocol = 'ip') => [
  { protocol, pref, kind, chain },
  { protocol, pref, kind, chain, options },
];
function hostWith(ingress: unknown[], egress: unknown[] = [], link?: (l: unknown[]) => void): Host {
  const f = files();
  f['tc-qdisc.json'] = qdisc;
  f['tc-filter.json'] = JSON.stringify({ eth0: { ingress, egress } });
  if (link) {
    const l = JSON.parse(f['ip-link.json']!) as unknown[];
    link(l);
    f['ip-link.json'] = JSON.stringify(l);
  }
  return loadHostFromFiles(f);
}
const tcpSyn = (dport: number, dst = '10.1.0.1') => eth(H0, P0, 0x0800, tcp4('10.1.0.2', dst, 40000, dport, 0x02));
const udp = (dport: number, len = 4) => eth(H0, P0, 0x0800, udp4('10.1.0.2', '10.1.0.1', 1000, dport, new Uint8Array(len)));

describe('classic BPF (net/core/filter.c semantics, programs from tcpdump -ddd)', () => {
  // tcpdump -ddd -y EN10MB 'udp dst port 53' (IPv6 branch first, then IPv4 with the fragment check and MSH)
  const udp53 = '40 0 0 12,21 0 4 34525,48 0 0 20,21 0 11 17,40 0 0 56,21 8 9 53,21 0 8 2048,48 0 0 23,21 0 6 17,40 0 0 20,69 4 0 8191,177 0 0 14,72 0 0 16,21 0 1 53,6 0 0 262144,6 0 0 0'
    .split(',')
    .map((s) => s.split(' ').map(Number))
    .map(([code, jt, jf, k]) => ({ code: code!, jt: jt!, jf: jf!, k: k! >>> 0 }));
  const runOn = (frame: Uint8Array, prog = udp53) => {
    const skb = new SkBuff(frame, frame.length);
    skb.mac_header = 0;
    skb.network_header = 14;
    skb.protocol = (frame[12]! << 8) | frame[13]!;
    return bpf_prog_run_classic(prog, new TcView().set(skb), skb, { ret: 0, unsupported: null });
  };
  it('accepts udp dst port 53 (262144) and rejects 54 and tcp (0)', () => {
    expect(runOn(eth(H0, P0, 0x0800, udp4('10.0.0.1', '10.0.0.2', 1, 53)))).toBe(262144);
    expect(runOn(eth(H0, P0, 0x0800, udp4('10.0.0.1', '10.0.0.2', 1, 54)))).toBe(0);
    expect(runOn(eth(H0, P0, 0x0800, tcp4('10.0.0.1', '10.0.0.2', 1, 53, 2)))).toBe(0);
  });
  it('MSH (ldxb 4*([14]&0xf)) finds the port behind IP options', () => {
    const opts = eth(H0, P0, 0x0800, udp4('10.0.0.1', '10.0.0.2', 1, 53, new Uint8Array(4), {}));
    // rebuild with IHL 6: 4 option bytes (NOP) between the header and the UDP header
    const f = new Uint8Array(opts.length + 4);
    f.set(opts.subarray(0, 34), 0);
    f.set([1, 1, 1, 1], 34);
    f.set(opts.subarray(34), 38);
    f[14] = 0x46;
    expect(runOn(f)).toBe(262144);
  });
  it('a load past the frame ends the program with 0; division by X = 0 returns 0; ancillary protocol', () => {
    expect(runOn(eth(H0, P0, 0x0800, new Uint8Array(4)))).toBe(0);
    // ldx #0; ld #7; div x; ret a  -> 0 (bpf_check_classic: division by zero exits with 0)
    expect(runOn(udp(53), [{ code: 0x01, jt: 0, jf: 0, k: 0 }, { code: 0x00, jt: 0, jf: 0, k: 7 }, { code: 0x3c, jt: 0, jf: 0, k: 0 }, { code: 0x16, jt: 0, jf: 0, k: 0 }])).toBe(0);
    // ld proto (SKF_AD_OFF + SKF_AD_PROTOCOL); ret a -> the ethertype, host order
    expect(runOn(udp(53), [{ code: 0x28, jt: 0, jf: 0, k: 0xfffff000 }, { code: 0x16, jt: 0, jf: 0, k: 0 }])).toBe(0x0800);
  });
});

describe('flower (cls_flower.c fl_classify; keys as f_flower.c prints them)', () => {
  const h = hostWith([
    ...filter('flower', 1, { handle: 1, keys: { eth_type: 'ipv4', ip_proto: 'tcp', dst_ip: '10.1.0.0/16', dst_port: 22, tcp_flags: '0x2/12' }, skip_hw: true, not_in_hw: true, actions: [act('gact', 'drop')] }),
    ...filter('flower', 2, { handle: 1, keys: { eth_type: 'ipv4', ip_proto: 'udp', dst_port: 5000, dst_port_mask: 0xff00 }, actions: [act('gact', 'drop')] }),
    ...filter('flower', 3, { handle: 1, keys: { eth_type: 'ipv4', ip_proto: 'udp', src_port: { start: 900, end: 1100 }, dst_port: 7 }, actions: [act('gact', 'drop')] }),
    ...filter('flower', 4, { handle: 1, keys: { eth_type: 'ipv4', ct_state: '+trk+est' }, actions: [act('gact', 'drop')] }),
  ]);
  it('all keys equal under their masks: the actions decide (gact drop -> TC_INGRESS)', () => {
    expectFate(run(h, tcpSyn(22), 'eth0').rec).dropped('TC_INGRESS', 'sch_handle_ingress');
  });
  it('a key that differs (port 23, or SYN|ACK under the 0x12 flag mask) is no match', () => {
    expect(run(h, tcpSyn(23), 'eth0').rec.reason).not.toBe('TC_INGRESS');
    const synack = eth(H0, P0, 0x0800, tcp4('10.1.0.2', '10.1.0.1', 40000, 22, 0x12));
    expect(run(h, synack, 'eth0').rec.reason).not.toBe('TC_INGRESS');
  });
  it('dst_port_mask 0xff00 matches 0x13xx ports; a port range matches inclusively', () => {
    expectFate(run(h, udp(0x13ff), 'eth0').rec).dropped('TC_INGRESS');
    // source port 1000 in 900-1100, dport 7
    expectFate(run(h, eth(H0, P0, 0x0800, udp4('10.1.0.2', '10.1.0.1', 1000, 7)), 'eth0').rec).dropped('TC_INGRESS');
    expect(run(h, eth(H0, P0, 0x0800, udp4('10.1.0.2', '10.1.0.1', 1200, 7)), 'eth0').rec.reason).not.toBe('TC_INGRESS');
  });
  it('a key the model does not compute (ct_state) makes the filter unsupported, not a match', () => {
    const r = run(h, udp(9), 'eth0').rec;
    expect(r.reason).not.toBe('TC_INGRESS');
    expect(r.unsupported!.join()).toMatch(/flower keys not modelled: ct_state/);
  });
});

describe('gact and the classify loop (act_gact.c tcf_gact_act, act_api.c tcf_action_exec, cls_api.c __tcf_classify)', () => {
  it('goto chain 1 continues in chain 1, where matchall + gact drop ends it', () => {
    const h = hostWith([...filter('matchall', 1, { handle: 1, actions: [{ ...act('gact', 'goto'), control_action: { type: 'goto', chain: 1 } }] }), ...filter('matchall', 1, { handle: 1, actions: [act('gact', 'drop')] }, 1)]);
    expectFate(run(h, udp(9), 'eth0').rec).dropped('TC_INGRESS');
  });
  it('reclassify forever: after 16 restarts TC_ACT_SHOT with TC_RECLASSIFY_LOOP', () => {
    const h = hostWith(filter('matchall', 1, { handle: 1, actions: [act('gact', 'reclassify')] }));
    expectFate(run(h, udp(9), 'eth0').rec).dropped('TC_RECLASSIFY_LOOP');
  });
  it('jump N restarts the action list skipping its first N (jmp_prgcnt): jump 2 skips [jump, drop], pipe goes on, pass ends with TC_ACT_OK', () => {
    const list = (n: number) => [{ ...act('gact', 'jump'), order: 1, control_action: { type: 'jump', jump: n } }, { ...act('gact', 'drop'), order: 2 }, { ...act('gact', 'pipe'), order: 3 }, { ...act('gact', 'pass'), order: 4 }];
    const r = run(hostWith(filter('matchall', 1, { handle: 1, actions: list(2) })), udp(9), 'eth0').rec;
    expect(r.reason).not.toBe('TC_INGRESS');
    expect(r.events.some((e) => e.fn === 'sch_handle_ingress' && e.what.startsWith('TC_ACT_OK'))).toBe(true);
    // jump 1 skips only the jump itself: the drop runs
    expectFate(run(hostWith(filter('matchall', 1, { handle: 1, actions: list(1) })), udp(9), 'eth0').rec).dropped('TC_INGRESS');
  });
  it('continue (TC_ACT_UNSPEC) goes on with the next priority', () => {
    const h = hostWith([...filter('matchall', 1, { handle: 1, actions: [act('gact', 'continue')] }), ...filter('matchall', 2, { handle: 1, actions: [act('gact', 'drop')] })]);
    expectFate(run(h, udp(9), 'eth0').rec).dropped('TC_INGRESS');
  });
});

describe('skbedit + fw, police (act_skbedit.c tcf_skbedit_act, cls_fw.c fw_classify, act_police.c tcf_police_act)', () => {
  it('skbedit mark 0x5 (continue), then fw handle 0x5 matches skb->mark; with pipe the verdict (3) ends classification first', () => {
    const h = hostWith([...filter('matchall', 1, { handle: 1, actions: [act('skbedit', 'continue', { mark: 5 })] }), ...filter('fw', 2, { handle: '0x5', actions: [act('gact', 'drop')] })]);
    expectFate(run(h, udp(9), 'eth0').rec).dropped('TC_INGRESS');
    const p = hostWith([...filter('matchall', 1, { handle: 1, actions: [act('skbedit', 'pipe', { mark: 5 })] }), ...filter('fw', 2, { handle: '0x5', actions: [act('gact', 'drop')] })]);
    expect(run(p, udp(9), 'eth0').rec.reason).toBe('NO_SOCKET');
  });
  it('police rate 1000 B/s burst 1000 B: a second 600-byte frame at the same time exceeds, one second later conforms', () => {
    const police = { ...act('police', 'drop', { rate: 1000, burst: 1000, mtu: 0 }), 'control_action#2': { type: 'pass' } };
    const h = hostWith(filter('matchall', 1, { handle: 1, actions: [police] }));
    const net = createNet(h, { checksums: 'verify' });
    net.nowSec = 100;
    const big = udp(9, 600 - 42);
    expect(run(h, big, 'eth0', net).rec.reason).not.toBe('TC_INGRESS');
    expectFate(run(h, big, 'eth0', net).rec).dropped('TC_INGRESS');
    net.nowSec = 101;
    expect(run(h, big, 'eth0', net).rec.reason).not.toBe('TC_INGRESS');
  });
  it('an action the model does not follow (pedit) keeps its control and says so', () => {
    const h = hostWith(filter('matchall', 1, { handle: 1, actions: [act('pedit', 'drop', { keys: [] })] }));
    const r = run(h, udp(9), 'eth0').rec;
    expectFate(r).dropped('TC_INGRESS');
    expect(r.unsupported!.join()).toMatch(/tc action pedit not modelled/);
  });
});

describe('XDP and eBPF programs: unsupported unless declared (--bpf)', () => {
  const xdp = (l: unknown[]) => {
    const e0 = (l as { ifname: string; xdp?: unknown }[]).find((d) => d.ifname === 'eth0')!;
    e0.xdp = { mode: 2, prog: { id: 42, name: 'xdp_fw', tag: 'ab' }, attached: [{ mode: 2, prog: { id: 42, name: 'xdp_fw', tag: 'ab' } }] };
  };
  const h = hostWith([], [], xdp);
  it('without a declaration: a bpf_prog_run_xdp event naming the program, a note, XDP_PASS', () => {
    const r = run(h, udp(9), 'eth0').rec;
    expect(r.events[0]).toMatchObject({ fn: 'bpf_prog_run_xdp', dev: 'eth0' });
    expect(r.events[0]!.what).toMatch(/xdp_fw id 42 \(generic\): not run/);
    expect(r.unsupported!.join()).toMatch(/XDP program xdp_fw id 42 .*XDP_PASS assumed/);
    expect(r.reason).toBe('NO_SOCKET'); // went on to UDP as the kernel would with XDP_PASS
  });
  it('declared drop: dropped at XDP, no note; tx: back out of eth0; redirect: out of eth1', () => {
    const d = run(h, udp(9), 'eth0', undefined, { bpf: ['eth0:xdp=drop'] }).rec;
    expectFate(d).dropped('NOT_SPECIFIED', 'do_xdp_generic');
    expect(d.unsupported).toBeUndefined();
    expectFate(run(h, udp(9), 'eth0', undefined, { bpf: ['eth0:xdp=tx'] }).rec).forwarded('eth0');
    expectFate(run(h, udp(9), 'eth0', undefined, { bpf: ['eth0:xdp=redirect:eth1'] }).rec).forwarded('eth1');
  });
  it('an eBPF cls program: TC_ACT_UNSPEC with a note; declared shot drops TC_INGRESS', () => {
    const e = hostWith(filter('bpf', 1, { handle: '0x1', bpf_name: 'cls.o:[tc]', 'direct-action': true, not_in_hw: true, prog: { id: 7, name: 'cls_main', tag: 'cd', jited: 1 } }));
    const r = run(e, udp(9), 'eth0').rec;
    expect(r.unsupported!.join()).toMatch(/eBPF program cls_main id 7 .* cannot be run offline/);
    expectFate(run(e, udp(9), 'eth0', undefined, { bpf: ['eth0:tc-ingress=shot'] }).rec).dropped('TC_INGRESS');
  });
  it('declarations are checked: syntax, verdict, target', () => {
    expect(parseBpfDecl('eth0:xdp=redirect:eth1')).toEqual({ dev: 'eth0', hook: 'xdp', verdict: 'redirect', target: 'eth1' });
    expect(() => parseBpfDecl('eth0:xdp=ok')).toThrow(/verdict "ok" is not one of pass\|drop\|tx\|aborted\|redirect for xdp/);
    expect(() => parseBpfDecl('eth0:tc-ingress=redirect')).toThrow(/redirect needs a target device/);
    expect(() => parseBpfDecl('eth0=drop')).toThrow(/expected DEV:xdp=/);
  });
});

// ARP replies the host builds leave through dev_queue_xmit like any packet: net/ipv4/arp.c
// arp_send_dst -> arp_xmit -> NF_HOOK(NFPROTO_ARP, NF_ARP_OUT) -> arp_xmit_finish -> dev_queue_xmit;
// net/core/dev.c __dev_queue_xmit runs sch_handle_egress, where TC_ACT_SHOT frees the skb with
// SKB_DROP_REASON_TC_EGRESS. The request itself is still consumed by arp_rcv (consume_skb).
describe('tc egress on ARP the host sends (arp_xmit -> dev_queue_xmit -> sch_handle_egress)', () => {
  // classic BPF, direct-action: ldh [20] (ARP oper, mac-relative as cls_bpf runs it); jeq #OP;
  // ret #2 (TC_ACT_SHOT) / ret #-1 (TC_ACT_UNSPEC: go on)
  const dropArpOp = (op: number) => filter('bpf', 1, { handle: '0x1', 'direct-action': true, not_in_hw: true, bytecode: { length: 4, insns: [
    { code: 40, jt: 0, jf: 0, k: 20 }, { code: 21, jt: 0, jf: 1, k: op }, { code: 6, jt: 0, jf: 0, k: 2 }, { code: 6, jt: 0, jf: 0, k: 4294967295 },
  ] } }, 0, 'arp');
  const arpBodyOf = (op: number, sha: string, spa: string, tpa: string) => {
    const b = new Uint8Array(28);
    b.set([0, 1, 8, 0, 6, 4, 0, op]);
    b.set(sha.split(':').map((x) => parseInt(x, 16)), 8);
    b.set(spa.split('.').map(Number), 14);
    b.set(tpa.split('.').map(Number), 24);
    return b;
  };
  const who = eth('ff:ff:ff:ff:ff:ff', P0, 0x0806, arpBodyOf(1, P0, '10.1.0.2', '10.1.0.1'));
  const replyRe = /^ARP, Reply 10\.1\.0\.1 is-at 02:00:00:00:01:01, length 28$/;

  it('an egress filter dropping ARP replies marks the reply dropped TC_EGRESS; the request is consumed', () => {
    const { rec } = run(hostWith([], dropArpOp(2)), who, 'eth0');
    expect(rec.fate).toBe('consumed');
    expect(rec.replies).toHaveLength(1);
    expect(rec.replies![0]).toMatchObject({ iface: 'eth0', dropped: 'TC_EGRESS' });
    expect(rec.replies![0]!.summary).toMatch(replyRe);
  });

  it('a filter for requests only (oper 1) lets the reply out', () => {
    const { rec } = run(hostWith([], dropArpOp(1)), who, 'eth0');
    expect(rec.fate).toBe('consumed');
    expect(rec.replies).toHaveLength(1);
    expect(rec.replies![0]!.dropped).toBeUndefined();
    expect(rec.replies![0]!.summary).toMatch(replyRe);
  });

  it('an ingress-only filter never sees the reply (egress block of eth0 is empty)', () => {
    const { rec } = run(hostWith(dropArpOp(1)), who, 'eth0');
    // the request itself (oper 1) is dropped at ingress by sch_handle_ingress: no reply at all
    expectFate(rec).dropped('TC_INGRESS', 'sch_handle_ingress').noReply();
  });
});

describe('u32 at the same pref on both clsact hooks (cls_u32.c: each tcf_proto classifies from its tp->root)', () => {
  // the kernel snapshot of fixtures/kernel/tc-u32-hooks: ingress root 801: redirects udp dport 53 out
  // of eth1, egress root 800: redirects ICMP to the down eth2 (TC_ACT_SHOT); expectations as recorded there
  const dir = new URL('../../fixtures/kernel/tc-u32-hooks/host/', import.meta.url).pathname;
  const p0 = '02:00:00:00:01:02';
  const h0 = '02:00:00:00:01:01';
  const echo = eth(h0, p0, 0x0800, echo4('10.0.1.2', '10.0.1.1'));
  it('with u32_roots: ingress redirects udp :53 out of eth1 (frame 1); the echo reply meets the egress root and is shot (frame 2)', () => {
    const host = loadHostFromFiles(Object.fromEntries(['ip-link.json', 'ip-addr.json', 'ip-route.json', 'ip-rule.json', 'ip-neigh.json', 'sysctl.txt', 'tc-qdisc.json', 'tc-filter.json'].map((f) => [f, readFileSync(dir + f, 'utf8')])));
    expectFate(run(host, eth(h0, p0, 0x0800, udp4('10.0.1.2', '10.0.1.1', 5000, 53)), 'eth0').rec).forwarded('eth1');
    const { rec } = run(host, echo, 'eth0');
    expect(rec.fate).toBe('consumed');
    expect(rec.replies).toEqual([expect.objectContaining({ iface: 'eth0', dropped: 'TC_EGRESS' })]);
    expect(rec.unsupported).toBeUndefined();
  });
  it('without u32_roots (an older snapshot): both hooks report the ambiguity as unsupported', () => {
    const f = Object.fromEntries(['ip-link.json', 'ip-addr.json', 'ip-route.json', 'ip-rule.json', 'ip-neigh.json', 'sysctl.txt', 'tc-qdisc.json', 'tc-filter.json'].map((n) => [n, readFileSync(dir + n, 'utf8')]));
    f['tc-filter.json'] = f['tc-filter.json']!.replace(/, "u32_roots": \[.*\]\}/s, '}');
    const { rec } = run(loadHostFromFiles(f), echo, 'eth0');
    expect(rec.unsupported?.some((u) => /root tables 801:, 800:.*no u32_roots/.test(u))).toBe(true);
  });
});

describe('flower filter order in one instance (cls_flower.c fl_classify over head->masks, fl_create_new_mask appends)', () => {
  // handle 1 and 3 share one mask (dst_ip /24 + udp dst_port), handle 2 has another (dst_ip /32):
  // masks are [mask of 1 (and 3), mask of 2]; a frame to 10.1.0.1:53 matches 2 and 3, and the
  // kernel looks in the first mask first: handle 3 wins although tc's dump (handle order) lists 2 first
  const mirredTo = (dev: string) => ({ order: 1, kind: 'mirred', mirred_action: 'redirect', direction: 'egress', to_dev: dev, control_action: { type: 'stolen' }, index: ++idx, ref: 1, bind: 1 });
  const fl = (handle: number, keys: Record<string, unknown>, a: unknown) => ({ protocol: 'ip', pref: 1, kind: 'flower', chain: 0, options: { handle, keys, not_in_hw: true, actions: [a] } });
  const h = hostWith([
    { protocol: 'ip', pref: 1, kind: 'flower', chain: 0 },
    fl(1, { eth_type: 'ipv4', ip_proto: 'udp', dst_ip: '10.9.0.0/24', dst_port: 53 }, act('gact', 'drop')),
    fl(2, { eth_type: 'ipv4', dst_ip: '10.1.0.1' }, act('gact', 'drop')),
    fl(3, { eth_type: 'ipv4', ip_proto: 'udp', dst_ip: '10.1.0.0/24', dst_port: 53 }, mirredTo('eth1')),
  ]);
  it('the earlier mask wins: udp 10.1.0.1:53 meets handle 3 (redirect out of eth1), not handle 2 (drop)', () => {
    const { rec } = run(h, udp(53), 'eth0');
    expectFate(rec).forwarded('eth1').event('fl_classify', /handle 0x3 matched/);
  });
  it('a frame only the second mask takes (udp :54): handle 2 drops it', () => {
    expectFate(run(h, udp(54), 'eth0').rec).dropped('TC_INGRESS').event('fl_classify', /handle 0x2 matched/);
  });
});

describe('mirred from egress into a receive path, XDP redirect (fixtures/kernel/tc-mirred-xdp; act_mirred.c tcf_mirred_to_dev, dev.c do_xdp_generic)', () => {
  // eth0 egress: udp dport 7100/7101 redirected into eth1's receive path, 7102 mirrored there (pipe);
  // eth1 tc ingress drops dport 7101, eth1 tc egress drops 7200; ip rule iif eth1 -> default via
  // 10.0.3.2 (eth2); eth3 has a generic XDP program redirecting every frame to eth1
  const dir = new URL('../../fixtures/kernel/tc-mirred-xdp/host/', import.meta.url).pathname;
  const host = loadHostFromFiles(Object.fromEntries(['ip-link.json', 'ip-addr.json', 'ip-route.json', 'ip-rule.json', 'ip-neigh.json', 'sysctl.txt', 'tc-qdisc.json', 'tc-filter.json'].map((f) => [f, readFileSync(dir + f, 'utf8')])));
  const onEth2 = (dport: number) => eth('02:00:00:00:03:01', '02:00:00:00:03:02', 0x0800, udp4('10.0.3.2', '10.0.1.2', 5000, dport));
  it('a redirect from egress into eth1 is routed again by ip rule iif eth1: out of eth2 (frame 1)', () => {
    expectFate(run(host, onEth2(7100), 'eth2').rec).forwarded('eth2');
  });
  it("a redirect from egress works on a clone: eth1's tc ingress drops the clone, the frame itself is consumed (frame 2)", () => {
    const { rec } = run(host, onEth2(7101), 'eth2');
    expectFate(rec).consumed().event('sch_handle_ingress', /drop TC_INGRESS/);
  });
  it('a mirror into eth1 is a clone with its own bytes: the copy leaves eth2, the frame leaves eth0 with TTL 63 and its eth0 MACs (frame 3)', () => {
    const f = onEth2(7102);
    const dev = host.byName.get('eth2')!;
    const net = createNet(host, { checksums: 'verify' });
    const ctx = new FrameCtx();
    ctx.reset(1);
    const skb = new SkBuff(f, f.length);
    skb.dev = skb.indev = dev;
    eth_type_trans(skb, dev, 0);
    netif_receive_skb(net, skb, ctx);
    const rec = ctx.toRecord();
    expect(rec.fate).toBe('forwarded');
    expect([...rec.egress!].sort()).toEqual(['eth0', 'eth2']);
    const b = skb.data;
    expect(b[skb.network_header + 8]).toBe(63);
    expect(Array.from(b.subarray(skb.mac_header, skb.mac_header + 12))).toEqual([2, 0, 0, 0, 1, 2, 2, 0, 0, 0, 1, 1]);
  });
  it('XDP redirect (declared: the program calls bpf_redirect) leaves eth1 past its tc egress drop (frame 6)', () => {
    const f = eth('02:00:00:00:04:01', '02:00:00:00:04:02', 0x0800, udp4('10.0.4.2', '10.0.4.1', 5000, 7200));
    expectFate(run(host, f, 'eth3', undefined, { bpf: ['eth3:xdp=redirect:eth1'] }).rec).forwarded('eth1');
    // the same datagram routed to eth1 meets the tc egress filter (frame 5)
    expectFate(run(host, eth('02:00:00:00:03:01', '02:00:00:00:03:02', 0x0800, udp4('10.0.3.2', '10.0.2.2', 5000, 7200)), 'eth2').rec).dropped('TC_EGRESS');
  });
});

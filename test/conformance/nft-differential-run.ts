// The comparison of the differential test (nft-differential.test.ts), shared with the tests that
// compare recorded programs the same way (nft-hash-numgen.test.ts): packets generated from a fixed
// seed, biased towards the constants the program compares with, through the nft VM program
// (nft-vm.ts) and through pktlife's compiled rule.
import { runProgram, type Instr, type VmDevice, type VmEntry, type VmPacket, type VmState } from './nft-vm.js';
import { compileTable, V_ACCEPT, V_DROP, V_CONTINUE, V_RETURN, V_JUMP, V_GOTO, V_QUEUE, V_QUEUE_BYPASS, type CompileCtx } from '../../src/kernel/netfilter/compile.js';
import { Pkt } from '../../src/kernel/netfilter/pkt.js';
import { mulberry32 } from '../../src/bench/gen-capture.js';
import { SkBuff } from '../../src/kernel/skbuff.js';
import { host, dev } from '../netfilter/helpers.js';
import type { IrRuleset, SrcRef } from '../../src/kernel/netfilter/ir.js';

// NFT_DIFF_SAMPLES (packets per rule) and NFT_DIFF_FAILFAST=1 (stop a directory at its first unknown
// disagreement) make the mutation runs affordable (docs/testing.md); `npm test` uses 48 and runs all
export const SAMPLES = Number(process.env.NFT_DIFF_SAMPLES) || 48;

// mulberry32 (seeded, src/bench/gen-capture.ts): every run sees the same packets
const rng = mulberry32;

const DEVS: VmDevice[] = [
  { name: 'lo', ifindex: 1, type: 772 },
  { name: 'eth0', ifindex: 2, type: 1 },
  { name: 'dummy0', ifindex: 3, type: 1 },
];
const hostDevs = () => [dev(1, 'lo', ['127.0.0.1/8'], 'loopback'), dev(2, 'eth0', ['10.0.0.1/24']), dev(3, 'dummy0', ['192.0.2.1/24'])];

/** what the program compares: load location -> candidate byte strings */
interface Target { base: 'll' | 'nh' | 'th' | 'meta' | 'xh6' | 'tcpopt'; key: string; off: number; type?: number; mask?: Uint8Array; values: Uint8Array[] }

function targetsOf(e: VmEntry): Target[] {
  const src = new Map<number, Target>();
  const out: Target[] = [];
  let setIdx = 0;
  const add = (reg: number, vals: Uint8Array[]) => {
    const t = src.get(reg);
    if (t) { t.values.push(...vals); if (!out.includes(t)) out.push(t); }
  };
  const around = (b: Uint8Array, d: number) => {
    const x = b.slice();
    // +-1 on the big-endian number the bytes make (the last byte of the compared width)
    for (let i = x.length - 1; i >= 0; i--) {
      const v = x[i]! + d;
      x[i] = v & 255;
      if (v >= 0 && v <= 255) break;
    }
    return x;
  };
  for (const ins of e.prog) {
    if (ins.op === 'payload' && ins.base !== 'ih') src.set(ins.dreg, { base: ins.base, key: '', off: ins.off, values: [] });
    else if (ins.op === 'meta') src.set(ins.dreg, { base: 'meta', key: ins.key, off: 0, values: [] });
    else if (ins.op === 'exthdr') {
      const t: Target = { base: ins.kind === 'ipv6' ? 'xh6' : 'tcpopt', key: '', off: ins.off, type: ins.type, values: [] };
      out.push(t); // the header/option itself is wanted even when only its presence is tested
      if (ins.present) src.delete(ins.dreg); else src.set(ins.dreg, t);
    }
    else if (ins.op === 'bitwise' && ins.mask) {
      const t = src.get(ins.sreg);
      if (t && ins.xor!.every((x) => x === 0)) src.set(ins.dreg, { ...t, mask: ins.mask, values: [] });
      else src.delete(ins.dreg);
    } else if (ins.op === 'bitwise' || ins.op === 'byteorder' || ins.op === 'immediate') src.delete((ins as { dreg: number }).dreg);
    else if (ins.op === 'cmp') add(ins.sreg, [ins.data, around(ins.data, 1), around(ins.data, -1)]);
    else if (ins.op === 'range') add(ins.sreg, [ins.lo, ins.hi, around(ins.lo, -1), around(ins.hi, 1)]);
    else if (ins.op === 'lookup') {
      const set = e.sets.filter((x) => x.name === ins.set)[setIdx++];
      if (set) add(ins.sreg, set.elems.flatMap((x) => (x.hi ? [x.key, x.hi, around(x.hi, 1)] : [x.key, around(x.key, -1)])));
    }
  }
  return out;
}

const L4_V4 = [6, 17, 1, 132, 33, 50, 51, 108, 136, 47, 2];
const L4_V6 = [6, 17, 58, 132, 33, 50, 51, 108, 136, 47];

/** one packet for the entry's family, with the program's constants written in where it loads them */
function genPacket(e: VmEntry, targets: Target[], r: () => number): VmPacket | null {
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)]!;
  const byte = () => Math.floor(r() * 256);
  const fam = e.family;
  // meta targets decide structure first
  const metaVal = (k: string): Uint8Array | undefined => {
    const t = targets.find((x) => x.base === 'meta' && x.key === k);
    return t && t.values.length && r() < 0.7 ? pick(t.values) : undefined;
  };
  let l3: 'ip' | 'ip6' | 'arp';
  if (fam === 'ip') l3 = 'ip';
  else if (fam === 'ip6') l3 = 'ip6';
  else if (fam === 'arp') l3 = 'arp';
  else {
    const nf = metaVal('nfproto'), pr = metaVal('protocol');
    const opts: ('ip' | 'ip6' | 'arp')[] = fam === 'inet' ? ['ip', 'ip6'] : ['ip', 'ip6', 'arp'];
    l3 = nf ? (nf[0] === 10 ? 'ip6' : 'ip') : pr ? (pr[0] === 0x86 && pr[1] === 0xdd ? 'ip6' : pr[0] === 0x08 && pr[1] === 0x06 ? 'arp' : 'ip') : pick(opts);
  }
  const l4v = metaVal('l4proto');
  // transport from a compared `ip protocol` / `ip6 nexthdr` constant too
  const protoTarget = targets.find((x) => x.base === 'nh' && ((l3 === 'ip' && x.off === 9) || (l3 === 'ip6' && x.off === 6)));
  let l4 = l4v ? l4v[0]! : protoTarget && protoTarget.values.length && r() < 0.7 ? pick(protoTarget.values)[0]! : pick(l3 === 'ip6' ? L4_V6 : L4_V4);
  if (r() < 0.05) l4 = byte();
  // IPv6 extension headers the program looks for (most of the time), TCP options likewise
  const xh: number[] = [];
  if (l3 === 'ip6') for (const t of targets) if (t.base === 'xh6' && !xh.includes(t.type!) && r() < 0.7) xh.push(t.type!);
  xh.sort((a, b) => (a === 135 ? 1 : 0) - (b === 135 ? 1 : 0)); // mobility ends the chain
  const xhLen = (t: number) => {
    const need = Math.max(8, ...targets.filter((x) => x.base === 'xh6' && x.type === t).map((x) => x.off + (x.values[0]?.length ?? 1)));
    return t === 44 ? 8 : Math.ceil(need / 8) * 8;
  };
  const opts: number[] = [];
  if (l4 === 6) for (const t of targets) if (t.base === 'tcpopt' && !opts.includes(t.type!) && r() < 0.7) opts.push(t.type!);
  const optLen = (k: number) => {
    const need = Math.max(2, ...targets.filter((x) => x.base === 'tcpopt' && x.type === k).map((x) => x.off + (x.values[0]?.length ?? 1)));
    return k === 2 ? 4 : k === 3 ? 3 : k === 4 ? 2 : k === 8 ? 10 : k === 0 || k === 1 ? 1 : Math.min(40, need + Math.floor(r() * 3));
  };
  const optBytes: number[] = [];
  const optAt = new Map<number, number>();
  for (const k of opts) {
    if (r() < 0.3) optBytes.push(1);
    const n = optLen(k);
    if (optBytes.length + n > 40) break;
    optAt.set(k, 20 + optBytes.length);
    optBytes.push(k);
    if (n > 1) { optBytes.push(n); for (let i = 2; i < n; i++) optBytes.push(byte()); }
  }
  while (optBytes.length % 4) optBytes.push(r() < 0.5 ? 0 : 1);
  const nhLen = l3 === 'ip' ? 20 : l3 === 'ip6' ? 40 : 28;
  const extLen = xh.reduce((a, t) => a + xhLen(t), 0);
  const thLen = 40 + optBytes.length;
  const frame = new Uint8Array(14 + nhLen + extLen + (l3 === 'arp' ? 0 : thLen));
  for (let i = 0; i < frame.length; i++) frame[i] = byte();
  const etype = l3 === 'ip' ? 0x0800 : l3 === 'ip6' ? 0x86dd : 0x0806;
  frame[12] = etype >> 8; frame[13] = etype & 255;
  const nh = 14;
  const xhAt = new Map<number, number>();
  if (l3 === 'ip') {
    frame[nh] = 0x45;
    const tot = nhLen + thLen;
    frame[nh + 2] = tot >> 8; frame[nh + 3] = tot & 255;
    frame[nh + 9] = l4;
    // mostly unfragmented; sometimes a later fragment (transport loads break) or a first one
    const fr = r();
    const fo = fr < 0.8 ? 0 : fr < 0.9 ? 0x2000 : 0x0010;
    frame[nh + 6] = fo >> 8; frame[nh + 7] = fo & 255;
  } else if (l3 === 'ip6') {
    frame[nh] = 0x60 | (frame[nh]! & 15);
    frame[nh + 4] = 0; frame[nh + 5] = thLen + extLen;
    frame[nh + 6] = xh.length ? xh[0]! : l4;
    let o = nh + 40;
    xh.forEach((t, i) => {
      frame[o] = i + 1 < xh.length ? xh[i + 1]! : t === 135 ? 59 : l4;
      if (t === 44) { const fo = r() < 0.85 ? 0 : 8 * (1 + Math.floor(r() * 100)); frame[o + 2] = fo >> 8; frame[o + 3] = (fo & 0xf8) | (frame[o + 3]! & 7); }
      else frame[o + 1] = xhLen(t) / 8 - 1;
      xhAt.set(t, o);
      o += xhLen(t);
    });
  } else {
    frame[nh] = 0; frame[nh + 1] = 1; frame[nh + 2] = 8; frame[nh + 3] = 0; frame[nh + 4] = 6; frame[nh + 5] = 4;
    frame[nh + 6] = 0; frame[nh + 7] = pick([1, 2, 1, 2, byte()]);
  }
  const thoff = l3 === 'arp' ? -1 : nh + nhLen + extLen;
  if (l4 === 6 && thoff > 0 && !xh.includes(135)) {
    frame[thoff + 12] = (((20 + optBytes.length) / 4) << 4) | (frame[thoff + 12]! & 15);
    frame.set(optBytes, thoff + 20);
  }
  // write the compared constants where the program loads them
  for (const t of targets) {
    if (t.base === 'meta' || !t.values.length || r() < 0.4) continue;
    const v = pick(t.values);
    const base = t.base === 'll' ? 0 : t.base === 'nh' ? nh : t.base === 'xh6' ? xhAt.get(t.type!) ?? -1 : t.base === 'tcpopt' ? (optAt.has(t.type!) ? thoff + optAt.get(t.type!)! : -1) : thoff;
    if (base < 0) continue;
    // the chain of headers and the option lengths stay as built
    if (t.base === 'xh6' && t.off < 2) continue;
    if (t.base === 'tcpopt' && t.off < 2) continue;
    // keep the structure: the frame's ethertype and the IP version/length/protocol are chosen above
    if (t.base === 'll' && t.off <= 13 && t.off + v.length > 12) continue;
    if (t.base === 'nh' && l3 === 'ip' && (t.off < 1 || (t.off <= 3 && t.off + v.length > 2) || (t.off <= 9 && t.off + v.length > 9))) continue;
    if (t.base === 'nh' && l3 === 'ip6' && (t.off === 0 && !t.mask ? true : false)) continue;
    if (t.base === 'nh' && l3 === 'ip6' && t.off <= 6 && t.off + v.length > 4) continue;
    for (let i = 0; i < v.length && base + t.off + i < frame.length; i++) {
      const m = t.mask ? t.mask[i] ?? 0 : 255;
      frame[base + t.off + i] = (frame[base + t.off + i]! & ~m) | (v[i]! & m);
    }
    if (t.base === 'nh' && l3 === 'ip6' && t.off === 0) frame[nh] = 0x60 | (frame[nh]! & 15);
  }
  const pf = fam === 'ip' || fam === 'ip6' || fam === 'inet' ? (l3 === 'ip6' ? 10 : 2) : fam === 'bridge' ? 7 : fam === 'netdev' ? 5 : 3;
  if ((fam === 'ip' || fam === 'ip6' || fam === 'inet') && l3 === 'arp') return null;
  const mv = metaVal('mark');
  const mark = mv ? (mv[0]! | (mv[1]! << 8) | (mv[2]! << 16) | (mv[3]! << 24)) >>> 0 : r() < 0.5 ? 0 : Math.floor(r() * 2 ** 32);
  const pt = metaVal('pkttype');
  const devFor = (k: string) => {
    const v = metaVal(k) ?? metaVal(k + 'name');
    if (v) {
      const byIdx = DEVS.find((d) => d.ifindex === v[0]);
      const name = String.fromCharCode(...v.filter((x) => x !== 0));
      const byName = DEVS.find((d) => d.name === name);
      if (k === 'iif' || k === 'oif') return byIdx ?? pick(DEVS);
      return byName ?? pick(DEVS);
    }
    return pick(DEVS);
  };
  const chainOut = /out|post/.test(e.chain) && !/input/.test(e.chain);
  const inDev = chainOut ? null : devFor('iif');
  const outDev = chainOut || /forw|post/.test(e.chain) ? devFor('oif') : null;
  return { tns: 0, frame, nh: fam === 'arp' && l3 !== 'arp' ? -1 : nh, pf, protocol: etype, mark, pktType: pt ? pt[0]! : pick([0, 0, 0, 1, 2, 3]), in: inDev, out: outDev };
}

const VNAME: Record<number, string> = { [V_ACCEPT]: 'accept', [V_DROP]: 'drop', [V_CONTINUE]: 'continue', [V_RETURN]: 'return', [V_JUMP]: 'jump', [V_GOTO]: 'goto', [V_QUEUE]: 'queue', [V_QUEUE_BYPASS]: 'queue bypass' };
const HOOKS: Record<string, number> = { prerouting: 0, input: 1, forward: 2, output: 3, postrouting: 4, ingress: 0, egress: 1 };

export interface Outcome { key: string; checked: boolean; reason?: string; samples: number; agree: number; unsupported: number; disagreements: string[] }

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function checkRule(e: VmEntry, rs: IrRuleset, chainSpec: string, seed: number): Outcome {
  const key = `${e.file}: [${e.family}] ${e.rule}`;
  const unknown = e.prog.find((x): x is Extract<Instr, { op: 'unknown' }> => x.op === 'unknown');
  if (unknown) return { key, checked: false, reason: unknown.what, samples: 0, agree: 0, unsupported: 0, disagreements: [] };
  // nftables 1.0.2's icmp.t.payload lists `icmp id 22` as lookup(type) then cmp on the same register,
  // without the id load the real nft emits (the machine's nft 1.0.6 --debug=netlink shows it)
  const broken = e.prog.findIndex((x, i) => x.op === 'lookup' && x.dreg === undefined && e.prog[i + 1]?.op === 'cmp' && (e.prog[i + 1] as { sreg: number }).sreg === x.sreg);
  if (broken >= 0) return { key, checked: false, reason: 'program in the 1.0.2 .payload lacks a load', samples: 0, agree: 0, unsupported: 0, disagreements: [] };
  const named = e.prog.find((x) => x.op === 'lookup' && !x.set.startsWith('__'));
  if (named) return { key, checked: false, reason: 'lookup in a named set', samples: 0, agree: 0, unsupported: 0, disagreements: [] };
  const h = host({}, hostDevs());
  const tb = rs.tables[0]!;
  const reported: string[] = [];
  const cx: CompileCtx = { host: h, events: [], report: (_s: SrcRef, w: string) => reported.push(w), ipsets: rs.ipsets };
  const chains = compileTable(tb, cx);
  const ch = chains.find((c) => c.name === e.chain) ?? chains[0]!;
  const rule = ch.rules[ch.rules.length - 1]!;
  const targets = targetsOf(e);
  const r = rng(seed);
  const pkt = new Pkt();
  const hookName = /hook (\w+)/.exec(chainSpec)?.[1] ?? 'input';
  const o: Outcome = { key, checked: true, samples: 0, agree: 0, unsupported: 0, disagreements: [] };
  const state: VmState = new Map();
  // capture time: packets 0-50 ms apart (limits fill and drain; same ns on both sides)
  let tns = 0;
  const T0 = 1_700_000_000;
  for (let i = 0; i < SAMPLES; i++) {
    const vp = genPacket(e, targets, r);
    if (!vp) continue;
    tns += Math.floor(r() * 50_000_000);
    vp.tns = tns;
    const vm = runProgram(e, vp, state);
    if (vm.unknown) return { key, checked: false, reason: vm.unknown, samples: 0, agree: 0, unsupported: 0, disagreements: [] };
    const skb = new SkBuff(vp.frame.slice(), vp.frame.length);
    skb.mac_header = 0;
    skb.network_header = vp.nh;
    skb.transport_header = -1;
    skb.protocol = vp.protocol;
    skb.mark = vp.mark;
    skb.pkt_type = vp.pktType;
    skb.tstampSec = T0 + Math.floor(tns / 1e9);
    skb.tstampNsec = tns % 1e9;
    const inD = vp.in ? h.byName.get(vp.in.name)! : null, outD = vp.out ? h.byName.get(vp.out.name)! : null;
    pkt.set(skb, vp.pf, HOOKS[hookName] ?? 1, inD, outD);
    pkt.vcode = 0;
    const matched = rule.match(pkt);
    o.samples++;
    if (pkt.unsupported) { o.unsupported++; continue; }
    const code = rule.dyn ? pkt.vcode : rule.code;
    const pkVerdict = matched && (pkt.rejectReq ? 'drop' : code !== V_CONTINUE ? VNAME[code] : undefined);
    const vmVerdict = !vm.broke && vm.verdict && vm.verdict !== 'continue' ? vm.verdict : undefined;
    if (vm.nat) {
      // the NAT verdict needs a conntrack entry: compare whether the rule matched
      if (matched === !vm.broke) o.agree++;
      else if (o.disagreements.length < 2) o.disagreements.push(`nat rule: nft ${vm.broke ? 'no match' : 'match'}, pktlife ${matched ? 'match' : 'no match'}; frame ${hex(vp.frame)}`);
      continue;
    }
    const setsMark = e.prog.some((x) => x.op === 'meta_set');
    const same = matched === !vm.broke && (!matched || pkVerdict === vmVerdict) && (!setsMark || !matched || (skb.mark >>> 0) === vm.mark);
    if (same) o.agree++;
    else if (o.disagreements.length < 2) o.disagreements.push(`pf ${vp.pf} in ${vp.in?.name ?? '-'} out ${vp.out?.name ?? '-'} mark ${vp.mark.toString(16)}: nft ${vm.broke ? 'no match' : `match ${vmVerdict ?? ''} mark ${vm.mark.toString(16)}`}, pktlife ${matched ? `match ${pkVerdict ?? ''} mark ${(skb.mark >>> 0).toString(16)}` : 'no match'}; frame ${hex(vp.frame)}`);
  }
  return o;
}


// net/sched/cls_flower.c fl_classify, evaluated from the kernel source and iproute2's printer
// (tc/f_flower.c flower_print_opt: the "keys" object; masked numbers as "name" + "name_mask",
// addresses as "a.b.c.d/len" or "addr/mask", tcp_flags "0xF/M" with a hex mask, port ranges
// {"start","end"}). This kernel has no cls_flower to record it. The frame's keys come from the
// flow dissector (__skb_flow_dissect): n_proto = skb_protocol (the TPID of a held VLAN tag,
// whose id/prio/inner type are the vlan keys), IPv4/IPv6 addresses, ip_proto, tos, ttl, ports
// (none for a non-first fragment), TCP flags, ICMP type/code. fl_classify walks head->masks, one
// entry per distinct mask (fl_check_assign_mask shares a mask between filters whose masks are equal),
// in the order the masks were made (fl_create_new_mask: list_add_tail_rcu); in each it looks the
// frame's masked key up (one filter per key; a mask with port ranges walks its filters in insertion
// order, fl_lookup_range). The first hit runs its actions, and its verdict is the instance's
// (tcf_exts_exec's value, also when negative). tc's dump is in handle order (fl_walk over the idr),
// so the model orders masks by the lowest handle using each, filters by handle: the kernel's order
// when filters were added with handles counting up and none was deleted (idr_alloc_u32 reuses the
// lowest free handle).
// Keys the model does not compute (enc_*, ct_*, mpls, arp_*, ip_flags, ...) make a filter
// unsupported: it is not evaluated.
import type { TcFilter } from '../../host/types.js';
import type { Net } from '../net.js';
import type { TcAct, TcEnv } from './cls_api.js';
import { compileActions, tcf_exts_exec, unsupported } from './cls_api.js';
import type { TcView } from './tc_view.js';
import { TC_ACT_UNSPEC } from './pkt_cls.js';

/** one key test: extract a number (or -1: absent) and compare under a mask */
interface KeyTest {
  name: string;
  get(k: FlowKeys): number;
  value: number;
  mask: number;
  /** inclusive range instead of value/mask */
  range?: [number, number];
}

interface Flt {
  handle: string;
  tests: KeyTest[];
  bytes: { name: string; get(k: FlowKeys): Uint8Array | null; value: Uint8Array; mask: Uint8Array }[];
  acts: TcAct[];
  classid: string | null;
  skipSw: boolean;
  unsupported: string | null;
}

/** what the flow dissector found in the frame (filled once per classify) */
export interface FlowKeys {
  nProto: number;
  vlanId: number;
  vlanPrio: number;
  vlanEthType: number;
  ipProto: number;
  tos: number;
  ttl: number;
  sport: number;
  dport: number;
  tcpFlags: number;
  icmpType: number;
  icmpCode: number;
  src: Uint8Array | null;
  dst: Uint8Array | null;
  smac: Uint8Array;
  dmac: Uint8Array;
}

const PROTO_NAMES: Record<string, number> = { ipv4: 0x0800, ipv6: 0x86dd, arp: 0x0806, rarp: 0x8035, ip: 0x0800, '802.1q': 0x8100, '802.1ad': 0x88a8 };
const IPPROTO: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, icmp: 1, icmpv6: 58, l2tp: 115, esp: 50, ah: 51 };
const KNOWN = new Set(['eth_type', 'ip_proto', 'vlan_id', 'vlan_prio', 'vlan_ethtype', 'dst_mac', 'src_mac', 'dst_ip', 'src_ip', 'dst_port', 'src_port', 'dst_port_mask', 'src_port_mask', 'tcp_flags', 'ip_tos', 'ip_tos_mask', 'ip_ttl', 'ip_ttl_mask', 'icmp_type', 'icmp_code']);

function ethType(s: unknown): number {
  if (typeof s === 'number') return s;
  const t = String(s).toLowerCase();
  return PROTO_NAMES[t] ?? parseInt(t, 16);
}

/** "a.b.c.d", "a.b.c.d/len", "a.b.c.d/m.m.m.m", IPv6 forms, "aa:bb:..:ff[/len|/mask]" -> bytes + mask */
function addrMask(text: string, len: number): { value: Uint8Array; mask: Uint8Array } | null {
  const [a, m] = text.split('/') as [string, string | undefined];
  const value = parseAddr(a, len);
  if (!value) return null;
  let mask: Uint8Array = new Uint8Array(len).fill(0xff);
  if (m !== undefined) {
    if (/^\d+$/.test(m)) {
      const bits = Number(m);
      mask = new Uint8Array(len);
      for (let i = 0; i < len; i++) mask[i] = bits >= (i + 1) * 8 ? 0xff : bits > i * 8 ? (0xff << (8 - (bits - i * 8))) & 0xff : 0;
    } else {
      const mm = parseAddr(m, len);
      if (!mm) return null;
      mask = mm;
    }
  }
  return { value, mask };
}

function parseAddr(s: string, len: number): Uint8Array | null {
  if (len === 6) {
    const p = s.split(':');
    return p.length === 6 && p.every((x) => /^[0-9a-f]{1,2}$/i.test(x)) ? Uint8Array.from(p.map((x) => parseInt(x, 16))) : null;
  }
  if (len === 4) {
    const p = s.split('.');
    return p.length === 4 && p.every((x) => /^\d{1,3}$/.test(x) && +x < 256) ? Uint8Array.from(p.map(Number)) : null;
  }
  // IPv6
  if (!/^[0-9a-f:.]+$/i.test(s)) return null;
  const [head, tail] = s.split('::') as [string, string | undefined];
  const words = (x: string) => (x ? x.split(':').map((w) => parseInt(w, 16)) : []);
  const h = words(head);
  const t = tail !== undefined ? words(tail) : [];
  const fill = tail !== undefined ? 8 - h.length - t.length : 0;
  const all = [...h, ...new Array(Math.max(0, fill)).fill(0), ...t];
  if (all.length !== 8 || all.some((w) => !(w >= 0 && w <= 0xffff))) return null;
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

export function fl_compile(net: Net, group: TcFilter[], label: string): (env: TcEnv) => number {
  const filters: Flt[] = group.map((f) => {
    const keys = (f.options.keys ?? {}) as Record<string, unknown>;
    const tests: KeyTest[] = [];
    const bytes: Flt['bytes'] = [];
    const bad: string[] = [];
    const num = (k: string, get: (x: FlowKeys) => number, max: number, parse: (v: unknown) => number = Number) => {
      if (keys[k] === undefined) return;
      const v = keys[k];
      if (typeof v === 'object' && v !== null && 'start' in v) {
        const r = v as { start: number; end: number };
        tests.push({ name: k, get, value: 0, mask: 0, range: [r.start, r.end] });
        return;
      }
      let value: number;
      let mask = max;
      if (typeof v === 'string' && v.includes('/')) {
        // print_indent_name_value forms: "8/255", tcp_flags "0x2/12" (mask in hex)
        const [a, b] = v.split('/') as [string, string];
        value = a.startsWith('0x') ? parseInt(a, 16) : Number(a);
        mask = k === 'tcp_flags' ? parseInt(b, 16) : Number(b);
      } else value = parse(v);
      const mk = keys[`${k}_mask`];
      if (typeof mk === 'number') mask = mk;
      if (!Number.isFinite(value) || !Number.isFinite(mask)) bad.push(`${k} ${JSON.stringify(v)}`);
      else tests.push({ name: k, get, value: value & mask, mask });
    };
    num('eth_type', (x) => x.nProto, 0xffff, ethType);
    num('vlan_id', (x) => x.vlanId, 0xfff);
    num('vlan_prio', (x) => x.vlanPrio, 7);
    num('vlan_ethtype', (x) => x.vlanEthType, 0xffff, ethType);
    num('ip_proto', (x) => x.ipProto, 0xff, (v) => (typeof v === 'string' ? IPPROTO[v] ?? parseInt(v, 16) : Number(v)));
    num('ip_tos', (x) => x.tos, 0xff);
    num('ip_ttl', (x) => x.ttl, 0xff);
    num('src_port', (x) => x.sport, 0xffff);
    num('dst_port', (x) => x.dport, 0xffff);
    num('tcp_flags', (x) => x.tcpFlags, 0xfff, (v) => parseInt(String(v), 16));
    num('icmp_type', (x) => x.icmpType, 0xff);
    num('icmp_code', (x) => x.icmpCode, 0xff);
    for (const [k, get, len] of [['dst_mac', (x: FlowKeys) => x.dmac, 6], ['src_mac', (x: FlowKeys) => x.smac, 6]] as const) {
      if (keys[k] === undefined) continue;
      const am = addrMask(String(keys[k]), len);
      if (am) bytes.push({ name: k, get, ...am });
      else bad.push(`${k} ${JSON.stringify(keys[k])}`);
    }
    for (const [k, get] of [['dst_ip', (x: FlowKeys) => x.dst], ['src_ip', (x: FlowKeys) => x.src]] as const) {
      if (keys[k] === undefined) continue;
      const s = String(keys[k]);
      const am = addrMask(s, s.includes(':') ? 16 : 4);
      if (am) bytes.push({ name: k, get, ...am });
      else bad.push(`${k} ${JSON.stringify(keys[k])}`);
    }
    for (const k of Object.keys(keys)) if (!KNOWN.has(k)) bad.push(k);
    if (f.options.indev !== undefined) bad.push('indev');
    return {
      handle: f.handle,
      tests,
      bytes,
      acts: compileActions(net, f.actions),
      classid: f.classid ?? null,
      skipSw: f.skipSw,
      unsupported: bad.length ? `flower keys not modelled: ${bad.join(', ')} (${f.where}): filter not evaluated` : null,
    };
  });
  fl_mask_order(filters);
  const keys: FlowKeys = { nProto: 0, vlanId: -1, vlanPrio: -1, vlanEthType: -1, ipProto: -1, tos: -1, ttl: -1, sport: -1, dport: -1, tcpFlags: -1, icmpType: -1, icmpCode: -1, src: null, dst: null, smac: new Uint8Array(6), dmac: new Uint8Array(6) };
  return (env) => {
    fl_dissect(env, keys);
    for (const f of filters) {
      if (f.unsupported) {
        unsupported(env.ctx, f.unsupported);
        continue;
      }
      if (f.skipSw || !fl_match(f, keys)) continue;
      env.classid = f.classid;
      env.ctx.tracing && env.ctx.ev('fl_classify', `${label} handle ${f.handle} matched`, { dev: env.dev.name });
      return tcf_exts_exec(f.acts, env);
    }
    return TC_ACT_UNSPEC;
  };
}

/** the mask a filter was given (fl_set_key): key names with their masks; a range is its own mask flag */
function maskOf(f: Flt): string {
  if (f.unsupported) return `?${f.handle}`;
  const parts = f.tests.map((t) => `${t.name}=${t.range ? 'range' : t.mask}`);
  for (const b of f.bytes) parts.push(`${b.name}=${Array.from(b.mask).join('.')}`);
  return parts.sort().join(',');
}

/** head->masks order (approximated: by the lowest handle using each mask), then handle order inside one */
function fl_mask_order(filters: Flt[]): void {
  const h = (f: Flt) => (f.handle.startsWith('0x') ? parseInt(f.handle, 16) : Number(f.handle));
  const first = new Map<string, number>();
  const sig = new Map<Flt, string>();
  for (const f of filters) {
    const m = maskOf(f);
    sig.set(f, m);
    const n = h(f);
    if (!first.has(m) || n < first.get(m)!) first.set(m, n);
  }
  filters.sort((a, b) => first.get(sig.get(a)!)! - first.get(sig.get(b)!)! || h(a) - h(b));
}

export function fl_match(f: { tests: KeyTest[]; bytes: Flt['bytes'] }, k: FlowKeys): boolean {
  for (const t of f.tests) {
    const v = t.get(k);
    // a key the frame lacks is 0 in the dissected key (fl_classify zeroes skb_key)
    const x = v < 0 ? 0 : v;
    if (t.range) {
      if (v < 0 || x < t.range[0] || x > t.range[1]) return false;
    } else if ((x & t.mask) !== t.value) return false;
  }
  for (const b of f.bytes) {
    const v = b.get(k);
    if (!v || v.length !== b.value.length) return false;
    for (let i = 0; i < v.length; i++) if ((v[i]! & b.mask[i]!) !== (b.value[i]! & b.mask[i]!)) return false;
  }
  return true;
}

/** __skb_flow_dissect, the keys flower asks for */
export function fl_dissect(env: TcEnv, k: FlowKeys): void {
  const v: TcView = env.view;
  const skb = env.skb;
  for (let i = 0; i < 6; i++) {
    k.dmac[i] = Math.max(0, v.byte(i));
    k.smac[i] = Math.max(0, v.byte(6 + i));
  }
  k.nProto = skb.vlan_present ? skb.vlan_proto : skb.protocol;
  k.vlanId = skb.vlan_present ? skb.vlan_tci & 0xfff : -1;
  k.vlanPrio = skb.vlan_present ? skb.vlan_tci >>> 13 : -1;
  k.vlanEthType = skb.vlan_present ? skb.protocol : -1;
  k.ipProto = k.tos = k.ttl = k.sport = k.dport = k.tcpFlags = k.icmpType = k.icmpCode = -1;
  k.src = k.dst = null;
  const nh = v.macLen;
  let l4 = -1;
  let frag = false;
  if (skb.protocol === 0x0800 && v.byte(nh) >> 4 === 4) {
    const ihl = (v.byte(nh) & 15) * 4;
    k.tos = v.byte(nh + 1);
    k.ttl = v.byte(nh + 8);
    k.ipProto = v.byte(nh + 9);
    k.src = Uint8Array.from([v.byte(nh + 12), v.byte(nh + 13), v.byte(nh + 14), v.byte(nh + 15)]);
    k.dst = Uint8Array.from([v.byte(nh + 16), v.byte(nh + 17), v.byte(nh + 18), v.byte(nh + 19)]);
    frag = (v.u16(nh + 6) & 0x1fff) !== 0;
    l4 = nh + ihl;
  } else if (skb.protocol === 0x86dd && v.byte(nh) >> 4 === 6) {
    k.tos = ((v.byte(nh) & 15) << 4) | (v.byte(nh + 1) >> 4);
    k.ttl = v.byte(nh + 7);
    k.ipProto = v.byte(nh + 6);
    k.src = new Uint8Array(16);
    k.dst = new Uint8Array(16);
    for (let i = 0; i < 16; i++) {
      k.src[i] = v.byte(nh + 8 + i);
      k.dst[i] = v.byte(nh + 24 + i);
    }
    l4 = nh + 40;
  }
  if (l4 >= 0 && !frag) {
    const p = k.ipProto;
    if (p === 6 || p === 17 || p === 132) {
      k.sport = v.u16(l4);
      k.dport = v.u16(l4 + 2);
      if (p === 6) k.tcpFlags = v.u16(l4 + 12) & 0x0fff;
    } else if (p === 1 || p === 58) {
      k.icmpType = v.byte(l4);
      k.icmpCode = v.byte(l4 + 1);
    }
  }
}

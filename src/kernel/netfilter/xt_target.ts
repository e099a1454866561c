// Evaluators of the xtables targets that change the packet or the connection (net/netfilter/
// xt_TCPMSS.c, xt_DSCP.c, xt_HL.c, xt_CHECKSUM.c, xt_CONNMARK.c, xt_CLASSIFY.c), each after its
// kernel function. They continue the rule set (XT_CONTINUE) like their kernel counterparts and
// put what they changed into the timeline (before/after).

import { V_DROP, type CompileCtx } from './compile.js';
import type { IrRule } from './ir.js';
import type { Pkt } from './pkt.js';
import { NFPROTO_IPV4, NFPROTO_IPV6 } from './hook.js';
import type { XtExt } from './xt_parse.js';
import { xtUint } from './xt_parse.js';
import { dsfield as dsfieldMatch } from './xt_match.js';
import { csumReplace2, l4CsumV4, l4CsumV6 } from '../../packet/checksum.js';
import { CHECKSUM_NONE, CHECKSUM_PARTIAL } from '../skbuff.js';
import type { NfConn } from './nf_conntrack.js';

type Mk = (cx: CompileCtx, r: IrRule) => (p: Pkt) => boolean;
const val = (x: XtExt, k: string) => x.opts.get(k)?.v[0];
const u16at = (d: Uint8Array, o: number) => (d[o]! << 8) | d[o + 1]!;

/** a case the model does not reproduce, reported when a frame meets it */
function unsupportedHere(cx: CompileCtx, r: IrRule, what: string): (p: Pkt) => false {
  const s = `${r.src.file}:${r.src.line}: ${what}`;
  let reported = false;
  return (p) => {
    if (!reported) { reported = true; cx.report(r.src, what); }
    (p.unsupported ??= []).push(s);
    return false;
  };
}

function writable(p: Pkt): Uint8Array {
  p.skb.skb_ensure_writable();
  return (p.d = p.skb.data);
}

/**
 * xt_TCPMSS.c tcpmss_mangle_packet: lower the SYN's MSS option to --set-mss, or with
 * --clamp-mss-to-pmtu to min(route MTU, reverse route MTU) - 40 (IPv6: 60); never raises it.
 * The route MTUs are the devices' (a route's own `mtu` attribute is not read). A SYN without the
 * option would get one added (536 / 1220): not modelled, reported. A TCP header shorter than 20
 * bytes or than its doff, or a clamp without a usable MTU, is `return -1`: tcpmss_tg4/6 NF_DROP.
 */
export function tcpmss(x: XtExt, v6: boolean): Mk {
  const set = val(x, 'set-mss');
  const minlen = v6 ? 60 : 40;
  return (cx, r) => {
    const noOpt = unsupportedHere(cx, r, '-j TCPMSS on a SYN without an MSS option (the kernel adds one)');
    const badMtu = unsupportedHere(cx, r, '-j TCPMSS --clamp-mss-to-pmtu without a route MTU');
    const malformed = (p: Pkt) => {
      cx.events.push({ fn: v6 ? 'tcpmss_tg6' : 'tcpmss_tg4', what: `TCPMSS: TCP header of ${p.end - p.th} bytes, doff ${p.th + 12 < p.end ? (p.d[p.th + 12]! >> 4) * 4 : '?'}: NF_DROP` });
      p.fwdVerdict = V_DROP;
      return true;
    };
    return (p) => {
      if (p.fragoff !== 0 || p.th < 0 || p.l4proto !== 6) return true;
      let d = p.d;
      const th = p.th, len = p.end - th;
      if (len < 20) return malformed(p);
      const hl = (d[th + 12]! >> 4) * 4;
      if (len < hl || hl < 20) return malformed(p);
      let newmss: number;
      if (set !== undefined) newmss = Number(set);
      else {
        const inMtu = p.in?.mtu ?? 65536;
        const outMtu = p.out?.mtu;
        if (outMtu === undefined) return badMtu(p);
        const minMtu = Math.min(outMtu, inMtu);
        if (minMtu <= minlen) return badMtu(p);
        newmss = minMtu - minlen;
      }
      for (let i = 20; i <= hl - 4;) {
        const k = d[th + i]!;
        if (k === 2 && d[th + i + 1] === 4) {
          const old = u16at(d, th + i + 2);
          if (old <= newmss) return true;
          d = writable(p);
          d[th + i + 2] = newmss >> 8;
          d[th + i + 3] = newmss & 0xff;
          csumReplace2(d, th + 16, old, newmss);
          cx.events.push({ fn: v6 ? 'tcpmss_tg6' : 'tcpmss_tg4', what: `TCPMSS mss ${old} -> ${newmss}`, diff: { 'tcp.mss': [old, newmss] } });
          return true;
        }
        i += k < 2 ? 1 : d[th + i + 1]! || 1;
      }
      if (len > hl || hl >= 60) return true; // data after the header / no room in doff: unmodified
      return noOpt(p) || true;
    };
  };
}

/** set the DS field: IPv4 with the header checksum updated (ipv4_change_dsfield), IPv6 traffic class */
function setDsfield(p: Pkt, nv: number): void {
  const d = writable(p);
  const nh = p.nh;
  if (p.nfproto === NFPROTO_IPV4) {
    const old = u16at(d, nh);
    d[nh + 1] = nv;
    csumReplace2(d, nh + 10, old, u16at(d, nh));
  } else {
    const w = u16at(d, nh);
    const n = (w & 0xf00f) | (nv << 4);
    d[nh] = n >> 8;
    d[nh + 1] = n & 0xff;
  }
}

/** xt_DSCP.c dscp_tg / dscp_tg6: ds = (ds & keep) | value when the DSCP differs */
export function dsfield(keep: number, value: number, v6: boolean, what: string): Mk {
  return (cx) => (p) => {
    if (p.nh < 0 || (p.nfproto !== NFPROTO_IPV4 && p.nfproto !== NFPROTO_IPV6)) return true;
    const old = dsfieldMatch(p);
    if (old >> 2 === value >> 2) return true;
    const nv = (old & keep) | value;
    setDsfield(p, nv);
    cx.events.push({ fn: v6 ? 'dscp_tg6' : 'dscp_tg', what: `${what} dsfield 0x${old.toString(16)} -> 0x${nv.toString(16)}`, diff: { [v6 ? 'ip6.tclass' : 'ip.tos']: [old, nv] } });
    return true;
  };
}



/** xt_DSCP.c tos_tg / tos_tg6: nv = (orig & ~mask) ^ value */
export function dsfieldXor(mask: number, value: number, v6: boolean): Mk {
  return (cx) => (p) => {
    if (p.nh < 0 || (p.nfproto !== NFPROTO_IPV4 && p.nfproto !== NFPROTO_IPV6)) return true;
    const old = dsfieldMatch(p);
    const nv = ((old & ~mask) ^ value) & 0xff;
    if (nv === old) return true;
    setDsfield(p, nv);
    cx.events.push({ fn: v6 ? 'tos_tg6' : 'tos_tg', what: `TOS 0x${old.toString(16)} -> 0x${nv.toString(16)}`, diff: { [v6 ? 'ip6.tclass' : 'ip.tos']: [old, nv] } });
    return true;
  };
}

/** xt_HL.c ttl_tg / hl_tg6: set, or increment/decrement with saturation at 255 / 0 */
export function ttl(x: XtExt, v6: boolean): Mk {
  const p6 = v6 ? 'hl' : 'ttl';
  const setV = val(x, `${p6}-set`), inc = val(x, `${p6}-inc`), dec = val(x, `${p6}-dec`);
  return (cx) => (p) => {
    if (p.nh < 0) return true;
    const off = p.nfproto === NFPROTO_IPV4 ? 8 : p.nfproto === NFPROTO_IPV6 ? 7 : -1;
    if (off < 0) return true;
    const old = p.d[p.nh + off]!;
    const nv = setV !== undefined ? Number(setV) : inc !== undefined ? Math.min(255, old + Number(inc)) : Math.max(0, old - Number(dec));
    if (nv === old) return true;
    const d = writable(p);
    if (p.nfproto === NFPROTO_IPV4) {
      const w = u16at(d, p.nh + 8);
      d[p.nh + 8] = nv;
      csumReplace2(d, p.nh + 10, w, u16at(d, p.nh + 8));
    } else d[p.nh + 7] = nv;
    cx.events.push({ fn: v6 ? 'hl_tg6' : 'ttl_tg', what: `${v6 ? 'HL' : 'TTL'} ${old} -> ${nv}`, diff: { [v6 ? 'ip6.hlim' : 'ip.ttl']: [old, nv] } });
    return true;
  };
}

/** xt_CHECKSUM.c checksum_tg: a CHECKSUM_PARTIAL packet gets its transport checksum computed (skb_checksum_help) */
export function checksumFill(v6: boolean): Mk {
  return (cx) => (p) => {
    if (p.skb.ip_summed !== CHECKSUM_PARTIAL || p.th < 0 || p.fragoff !== 0) return true;
    const off = p.l4proto === 6 ? 16 : p.l4proto === 17 ? 6 : -1;
    if (off < 0 || p.th + off + 2 > p.end) return true;
    const d = writable(p);
    const len = p.end - p.th;
    const old = u16at(d, p.th + off);
    d[p.th + off] = 0;
    d[p.th + off + 1] = 0;
    let c = p.nfproto === NFPROTO_IPV4
      ? l4CsumV4(d, p.th, len, p.l4proto, ((d[p.nh + 12]! << 24) | (d[p.nh + 13]! << 16) | (d[p.nh + 14]! << 8) | d[p.nh + 15]!) >>> 0, ((d[p.nh + 16]! << 24) | (d[p.nh + 17]! << 16) | (d[p.nh + 18]! << 8) | d[p.nh + 19]!) >>> 0)
      : l4CsumV6(d, p.nh, p.th, len, p.l4proto);
    if (c === 0) c = 0xffff; // skb_checksum_help: csum_fold(csum) ?: CSUM_MANGLED_0, for TCP too
    d[p.th + off] = c >> 8;
    d[p.th + off + 1] = c & 0xff;
    p.skb.ip_summed = CHECKSUM_NONE;
    cx.events.push({ fn: 'checksum_tg', what: `CHECKSUM fill ${p.l4proto === 6 ? 'tcp' : 'udp'} 0x${old.toString(16)} -> 0x${c.toString(16)}`, diff: { [p.l4proto === 6 ? 'tcp.check' : 'udp.check']: [old, c] } });
    void v6;
    return true;
  };
}

/** xt_CONNMARK.c connmark_tg_shift (no shifts): set / save / restore with the masks libxt_CONNMARK fills in */
export function connmark(x: XtExt): Mk {
  const n = (k: string, def: number) => { const s = val(x, k); return s === undefined ? def : xtUint(s, 0xffffffff)!; };
  const mv = (k: string): [number, number] => { const [a, b] = val(x, k)!.split('/'); return [xtUint(a!, 0xffffffff)!, b === undefined ? 0xffffffff : xtUint(b, 0xffffffff)!]; };
  let mode: 'set' | 'save' | 'restore';
  let ctmark = 0, ctmask = 0xffffffff, nfmask = 0xffffffff;
  if (x.opts.has('set-xmark')) { mode = 'set'; [ctmark, ctmask] = mv('set-xmark'); }
  else if (x.opts.has('set-mark')) { mode = 'set'; [ctmark, ctmask] = mv('set-mark'); ctmask = (ctmask | ctmark) >>> 0; }
  else if (x.opts.has('and-mark')) { mode = 'set'; ctmark = 0; ctmask = ~n('and-mark', 0) >>> 0; }
  else if (x.opts.has('or-mark')) { mode = 'set'; ctmark = ctmask = n('or-mark', 0); }
  else if (x.opts.has('xor-mark')) { mode = 'set'; ctmark = n('xor-mark', 0); ctmask = 0; }
  else {
    mode = x.opts.has('save-mark') ? 'save' : 'restore';
    const m = n('mask', 0xffffffff);
    nfmask = n('nfmask', m);
    ctmask = n('ctmask', m);
  }
  return (cx, r) => {
    if (x.opts.has('left-shift-mark') || x.opts.has('right-shift-mark')) return unsupportedHere(cx, r, '-j CONNMARK with shifts');
    return (p) => {
      const ct = p.ct as NfConn | null;
      if (!ct) return true;
      if (mode === 'set') ct.mark = ((ct.mark & ~ctmask) ^ ctmark) >>> 0;
      else if (mode === 'save') ct.mark = ((ct.mark & ~ctmask) ^ (p.skb.mark & nfmask)) >>> 0;
      else p.skb.mark = ((p.skb.mark & ~nfmask) ^ (ct.mark & ctmask)) >>> 0;
      return true;
    };
  };
}

/** xt_CLASSIFY.c classify_tg: skb->priority = major:minor; only the egress qdisc reads it */
export function classify(cls: string): Mk {
  const [a, b] = cls.split(':');
  const prio = ((parseInt(a!, 16) << 16) | parseInt(b!, 16)) >>> 0;
  return (cx) => () => { cx.events.push({ fn: 'classify_tg', what: `CLASSIFY priority ${cls} (0x${prio.toString(16)})` }); return true; };
}

/** targets without an effect on the packet (AUDIT, TRACE, IDLETIMER, LED, RATEEST): XT_CONTINUE */
export function noop(name: string, args: string): Mk {
  return (cx) => () => { cx.events.push({ fn: `${name.toLowerCase()}_tg`, what: `${name}${args ? ' ' + args : ''} (no effect on the packet)` }); return true; };
}

// The tunnel headers tcpdump prints before the inner packet: VXLAN (print-vxlan.c
// vxlan_print: "VXLAN, flags [I] (0x08), vni 100" and a newline, the inner frame on the next
// line) and Geneve (print-geneve.c geneve_print: "Geneve, Flags [C], vni 0xa, options [8
// bytes]: "). summary.ts prints the inner packet after `text` unless `done`.

import { Out, TRUNC } from './print.js';

export interface TunnelHead { text: string; done: boolean; hdrLen: number; prot: number }
const R: TunnelHead = { text: '', done: false, hdrLen: 0, prot: 0 };

export function vxlanHead(b: Uint8Array, o: number, len: number, end: number): TunnelHead {
  R.done = true; R.hdrLen = 8; R.prot = 0x6558;
  const p = new Out(b, end);
  p.proto = 'vxlan';
  p.s = 'VXLAN';
  try {
    if (len < 8) { R.text = 'VXLAN (invalid)'; return R; }
    const flags = p.u8(o);
    p.s += `, flags [${flags & 0x08 ? 'I' : 'invalid'}] (0x${flags.toString(16).padStart(2, '0')}), `;
    p.s += `vni ${p.u24(o + 4)}\n`;
    p.check(o + 7, 1);
    R.done = false;
  } catch (e) { if (e !== TRUNC) throw e; p.trunc(); }
  R.text = p.s;
  return R;
}

/** geneve_flag_values, printed by bittok2str_nosep (no separator) */
const GENEVE_FLAGS: [number, string][] = [[0x80, 'O'], [0x40, 'C'], [0x20, 'R1'], [0x10, 'R2'], [0x08, 'R3'], [0x04, 'R4'], [0x02, 'R5'], [0x01, 'R6']];
/** the ethertype names tcpdump -e prints for Geneve's protocol (ethertype_values) */
const ETHERTYPES: Record<number, string> = { 0x0800: 'IPv4', 0x86dd: 'IPv6', 0x0806: 'ARP', 0x6558: 'TEB', 0x8847: 'MPLS unicast' };

export function geneveHead(b: Uint8Array, o: number, len: number, end: number, eflag: boolean): TunnelHead {
  R.done = true; R.hdrLen = 0; R.prot = 0;
  const p = new Out(b, end);
  p.proto = 'geneve';
  p.s = 'Geneve';
  try {
    if (len < 8) { R.text = `Geneve [length ${len} < 8] (invalid)`; return R; }
    p.check(o, 8);
    const verOpt = p.u8(o);
    if (verOpt >> 6 !== 0) { R.text = `Geneve ERROR: unknown-version ${verOpt >> 6}`; return R; }
    const flags = p.u8(o + 1), prot = p.u16(o + 2), vni = p.u24(o + 4), rsvd = p.u8(o + 7);
    let f = '';
    for (const [bit, name] of GENEVE_FLAGS) if (flags & bit) f += name;
    p.s += `, Flags [${f || 'none'}], vni 0x${vni.toString(16)}`;
    if (rsvd) p.s += `, rsvd 0x${rsvd.toString(16)}`;
    if (eflag) p.s += `, proto ${ETHERTYPES[prot] ?? 'unknown'} (0x${prot.toString(16).padStart(4, '0')})`;
    const optLen = (verOpt & 0x3f) * 4;
    if (len - 8 < optLen) { R.text = p.s + ` truncated-geneve - ${optLen - (len - 8)} bytes missing`; return R; }
    p.check(o + 8, optLen);
    if (optLen > 0) p.s += `, options [${optLen} bytes]`;
    p.s += ': ';
    R.done = false; R.hdrLen = 8 + optLen; R.prot = prot;
  } catch (e) { if (e !== TRUNC) throw e; p.trunc(); }
  R.text = p.s;
  return R;
}

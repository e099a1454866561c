// The ndjson `app` object (what the application protocol says: see app/*.ts) and `inner`
// (the connection an ICMP/ICMPv6 error quotes, as tshark reports the quoted packet's ports).
// Built only when an ndjson record is written, from a Decoded frame.

import { Decoded, decodeFrame, L_UDP, L_TCP, L_ICMP, L_ICMPV6 } from '../decode.js';
import { LT_NFLOG, nflogInfo, nflogRecord } from '../nflog.js';
import { ipv4BytesToString, ipv6ToString } from '../addr.js';
import { icmpIsErr } from '../icmp.js';
import { ipv6ExtHdr } from '../ipv6.js';
import { udpAppKind, udpApp, tcpIsDns, tcpDnsApp, APP_VXLAN, APP_GENEVE, type AppRecord } from './index.js';

/** the `app` object of a frame, or null */
export function appRecord(d: Decoded): AppRecord | null {
  const b = d.data;
  if (d.has(L_UDP)) {
    if (d.sport < 0 || d.payload < 0 || d.udpLen < 8 || d.l4Len < 8) return null;
    const kind = udpAppKind(d.sport, d.dport);
    if (kind <= 0) return null;
    const len = Math.min(d.udpLen, d.l4Len) - 8, o = d.payload, end = d.l3End;
    if (kind === APP_VXLAN) return o + 8 <= end ? { proto: 'vxlan', vni: (b[o + 4] << 16) | (b[o + 5] << 8) | b[o + 6] } : null;
    if (kind === APP_GENEVE) {
      return o + 8 <= end ? { proto: 'geneve', vni: (b[o + 4] << 16) | (b[o + 5] << 8) | b[o + 6], ethertype: (b[o + 2] << 8) | b[o + 3] } : null;
    }
    return udpApp(kind, b, o, len, end);
  }
  if (d.has(L_TCP) && d.payload >= 0 && d.l4PayloadLen > 0 && tcpIsDns(d.sport, d.dport)) return tcpDnsApp(b, d.payload, d.l4PayloadLen, d.l3End);
  return null;
}

export interface InnerRecord { src: string; dst: string; proto: number; sport?: number; dport?: number }

/** the quoted packet of an ICMP or ICMPv6 error: addresses, protocol and (TCP, UDP, SCTP,
 *  UDP-Lite) ports when captured; null for other messages or a quote cut before its addresses */
export function icmpInner(d: Decoded): InnerRecord | null {
  const b = d.data, end = d.l3End;
  const q = d.transport_header + 8;
  let r: InnerRecord, l4: number;
  if (d.has(L_ICMP)) {
    if (d.icmpType < 0 || !icmpIsErr(d.icmpType) || q + 20 > end || b[q] >> 4 !== 4) return null;
    r = { src: ipv4BytesToString(b, q + 12), dst: ipv4BytesToString(b, q + 16), proto: b[q + 9] };
    // a later fragment carries no transport header
    if (((b[q + 6] << 8) | b[q + 7]) & 0x1fff) return r;
    l4 = q + ((b[q] & 0x0f) << 2);
  } else if (d.has(L_ICMPV6)) {
    if (d.icmpType < 0 || d.icmpType >= 128 || q + 40 > end || b[q] >> 4 !== 6) return null;
    let nh = b[q + 6];
    l4 = q + 40;
    // extension headers of the quoted packet (a fragment header ends the walk unless offset 0)
    for (let n = 0; ipv6ExtHdr(nh) && n < 8 && l4 + 8 <= end; n++) {
      if (nh === 44) { if (((b[l4 + 2] << 8) | b[l4 + 3]) & 0xfff8) return { src: ipv6ToString(b, q + 8), dst: ipv6ToString(b, q + 24), proto: 44 }; nh = b[l4]; l4 += 8; continue; }
      if (nh === 50 || nh === 59) break;
      const len = nh === 51 ? (b[l4 + 1] + 2) << 2 : (b[l4 + 1] + 1) << 3;
      nh = b[l4];
      l4 += len;
    }
    r = { src: ipv6ToString(b, q + 8), dst: ipv6ToString(b, q + 24), proto: nh };
  } else return null;
  if ((r.proto === 6 || r.proto === 17 || r.proto === 132 || r.proto === 136) && l4 + 4 <= end) {
    r.sport = (b[l4] << 8) | b[l4 + 1];
    r.dport = (b[l4 + 2] << 8) | b[l4 + 3];
  }
  return r;
}

/** the ndjson keys `nflog`, `app` and `inner` of a decoded frame, as `,"key":{...}` text ('' when none) */
export function appFields(d: Decoded): string {
  let s = '';
  if (d.linktype === LT_NFLOG) {
    const i = nflogInfo(d.data, d.caplen);
    if (i !== null) s += ',"nflog":' + JSON.stringify(nflogRecord(i));
  }
  if (d.sport >= 0) {
    const app = appRecord(d);
    if (app !== null) s += ',"app":' + JSON.stringify(app);
  } else if (d.icmpType >= 0) {
    const inner = icmpInner(d);
    if (inner !== null) s += ',"inner":' + JSON.stringify(inner);
  }
  return s;
}

const SCRATCH = new Decoded();

/** appFields of a frame's captured bytes (headers decoded here) */
export function appFieldsOf(bytes: Uint8Array, linktype: number): string {
  decodeFrame(bytes, bytes.length, linktype, SCRATCH, bytes.length, false);
  return appFields(SCRATCH);
}

/** a JSON object text (e.g. replay's fate record) with the frame's `nflog`/`app`/`inner` keys added */
export function withAppFields(json: string, bytes: Uint8Array, linktype: number): string {
  const f = appFieldsOf(bytes, linktype);
  return f === '' || !json.endsWith('}') ? json : json.slice(0, -1) + f + '}';
}

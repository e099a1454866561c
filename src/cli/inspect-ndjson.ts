// inspect's ndjson line (inspect.ts ndjsonLine) written as bytes straight into the output buffer:
// no per-frame strings for the fixed fields (the string version cost more in concatenation,
// UTF-8 encoding and garbage collection than decoding the frame). Lines this does not write
// byte for byte the same (a problem text, non-ASCII names, timestamps out of the usual range)
// are left to ndjsonLine: ndjsonInto returns -1 before writing anything.

import type { CaptureInterface, Frame } from '../capture/types.js';
import { type Decoded, LAYER_NAMES, CSUM_NAMES, DF_TRUNCATED, DF_MALFORMED, DF_UNSUPPORTED_LINK, L_TCP } from '../packet/decode.js';
import { ipv4Text, ipv6Text } from '../packet/summary-addr.js';
import { asciiBegin, asciiByte, asciiDec, asciiDec9, asciiEnd, asciiText } from '../packet/summary-line.js';
import { tcpFlagLetters } from '../packet/tcp.js';
import { appFields } from '../packet/app/record.js';
import type { ByteOut } from './out.js';

/** the fixed fields of every line: well under this many bytes (addresses 39, 8 layers, 8 VLANs) */
const FIXED_MAX = 1024;
const FLAGS: string[] = [];
for (let f = 0; f < 256; f++) FLAGS.push(tcpFlagLetters(f));

/** `"iface":...,"linktype":"..."` per interface, when all ASCII (else null: ndjsonLine writes it) */
const ifaceText = new WeakMap<CaptureInterface, string | null>();
function ifacePart(i: CaptureInterface): string | null {
  let s = ifaceText.get(i);
  if (s === undefined) {
    s = `,"iface":${i.name === null ? 'null' : JSON.stringify(i.name)},"linktype":${JSON.stringify(i.linktypeName)},"caplen":`;
    if (!isAscii(s) || s.length > 4096) s = null;
    ifaceText.set(i, s);
  }
  return s;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** ndjsonLine(f, d) as bytes at out's end, newline included; false (nothing written) where it cannot */
export function ndjsonInto(out: ByteOut, f: Frame, d: Decoded): boolean {
  if (d.flags & (DF_TRUNCATED | DF_MALFORMED | DF_UNSUPPORTED_LINK)) return false;
  if (f.hasTs && !(f.tsSec >= 0 && f.tsSec <= 0xffffffff && f.tsNsec >= 0 && f.tsNsec < 1e9)) return false;
  const ifc = ifacePart(f.iface);
  if (ifc === null) return false;
  const app = appFields(d);
  if (app !== '' && (!isAscii(app) || app.length > 32768)) return false;
  out.room(FIXED_MAX + ifc.length + app.length);
  asciiBegin(out.buf, out.pos);
  asciiText('{"frame":'); asciiDec(f.index);
  if (f.hasTs) { asciiText(',"ts":"'); asciiDec(f.tsSec); asciiByte(46); asciiDec9(f.tsNsec); asciiByte(34); } else asciiText(',"ts":null');
  asciiText(ifc); asciiDec(f.caplen); asciiText(',"len":'); asciiDec(f.len); asciiText(',"layers":[');
  for (let i = 0; i < d.nlayers; i++) {
    if (i) asciiByte(44);
    asciiByte(34); asciiText(LAYER_NAMES[d.layers[i]]); asciiByte(34);
  }
  asciiByte(93);
  const b = d.data;
  if (d.ipVersion !== 0) {
    const v4 = d.ipVersion === 4;
    if (d.srcOff >= 0) { asciiText(',"src":"'); asciiText(v4 ? ipv4Text(b, d.srcOff) : ipv6Text(b, d.srcOff)); asciiByte(34); }
    if (d.dstOff >= 0) { asciiText(',"dst":"'); asciiText(v4 ? ipv4Text(b, d.dstOff) : ipv6Text(b, d.dstOff)); asciiByte(34); }
    if (d.proto >= 0) { asciiText(',"proto":'); asciiDec(d.proto); }
    if (d.ttl >= 0) { asciiText(',"ttl":'); asciiDec(d.ttl); }
  }
  if (d.sport >= 0) { asciiText(',"sport":'); asciiDec(d.sport); asciiText(',"dport":'); asciiDec(d.dport); }
  if (d.has(L_TCP) && d.transport_header + 14 <= d.caplen) { asciiText(',"tcp_flags":"'); asciiText(FLAGS[d.tcpFlags & 0xff]); asciiByte(34); }
  if (d.icmpType >= 0) { asciiText(',"icmp_type":'); asciiDec(d.icmpType); asciiText(',"icmp_code":'); asciiDec(d.icmpCode); }
  if (d.arpOp >= 0) { asciiText(',"arp_op":'); asciiDec(d.arpOp); }
  if (d.nvlan > 0) {
    asciiText(',"vlan":[');
    for (let i = 0; i < d.nvlan; i++) { if (i) asciiByte(44); asciiDec(d.vlanTci[i] & 0xfff); }
    asciiByte(93);
  }
  if (d.ipVersion !== 0) {
    const ip = CSUM_NAMES[d.csumIp], l4 = CSUM_NAMES[d.csumL4];
    asciiText(',"checksums":{"ip":');
    if (ip === null) asciiText('null'); else { asciiByte(34); asciiText(ip); asciiByte(34); }
    asciiText(',"l4":');
    if (l4 === null) asciiText('null'); else { asciiByte(34); asciiText(l4); asciiByte(34); }
    asciiByte(125);
  }
  asciiText(app);
  asciiByte(125); asciiByte(10);
  out.pos = asciiEnd();
  return true;
}

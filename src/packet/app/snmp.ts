// SNMP (UDP 161/162) as `tcpdump -nn` prints it without -v and without libsmi (print-snmp.c:
// snmp_print, community_print, pdu_print, snmppdu_print, trappdu_print, varbind_print,
// asn1_parse, asn1_print with numeric OIDs): ` C="private" GetRequest(28)  .1.3.6.1.2.1.1.5.0`.
// SNMPv1 and v2c; a v3 message prints tcpdump's text up to its header ("[v3 not printed]" is ours).

import { Out } from './print.js';

const UNIVERSAL = ['End', 'Boolean', 'Integer', 'Bitstring', 'String', 'Null', 'ObjID', 'ObjectDes', 'U-8', 'U-9', 'U-10', 'U-11', 'U-12', 'U-13',
  'U-14', 'U-15', 'Sequence', 'Set'];
const APPLICATION = ['IpAddress', 'Counter', 'Gauge', 'TimeTicks', 'Opaque', 'C-5', 'Counter64'];
const CONTEXT = ['GetRequest', 'GetNextRequest', 'GetResponse', 'SetRequest', 'Trap', 'GetBulk', 'Inform', 'V2Trap', 'Report'];
const EXCEPTIONS = ['noSuchObject', 'noSuchInstance', 'endOfMibView'];
const CLASS: { name: string; ids: string[] }[] = [{ name: 'Universal', ids: UNIVERSAL }, { name: 'Application', ids: APPLICATION },
  { name: 'Context', ids: CONTEXT }, { name: 'Private', ids: ['P-0'] }, { name: 'Exceptions', ids: EXCEPTIONS }];
const ERROR_STATUS = ['noError', 'tooBig', 'noSuchName', 'badValue', 'readOnly', 'genErr', 'noAccess', 'wrongType', 'wrongLength',
  'wrongEncoding', 'wrongValue', 'noCreation', 'inconsistentValue', 'resourceUnavailable', 'commitFailed', 'undoFailed',
  'authorizationError', 'notWritable', 'inconsistentName'];
const GENERIC_TRAP = ['coldStart', 'warmStart', 'linkDown', 'linkUp', 'authenticationFailure', 'egpNeighborLoss', 'enterpriseSpecific'];
const GETREQ = 0, GETNEXTREQ = 1, SETREQ = 3, TRAP = 4, GETBULKREQ = 5, INFORMREQ = 6, V2TRAP = 7, REPORT = 8;

const BE_ANY = 0, BE_STR = 1, BE_INT = 2, BE_OID = 3, BE_NULL = 4, BE_OCTET = 5, BE_INETADDR = 6, BE_UNS = 7, BE_UNS64 = 8, BE_SEQ = 9,
  BE_PDU = 10, BE_NOSUCH = 11;

/** struct be */
interface Be { type: number; form: number; cls: number; id: number; asnlen: number; data: number; int: number; uns64: bigint }
/** the element's type as last parsed (a read TypeScript does not narrow across asn1Parse calls) */
const ty = (e: Be): number => e.type;
const be = (): Be => ({ type: BE_ANY, form: 0, cls: 0, id: 0, asnlen: 0, data: -1, int: 0, uns64: 0n });

/** asn1_parse: the element at p within len bytes; its whole length, or -1 (printed why) */
function asn1Parse(o: Out, p: number, len: number, e: Be): number {
  e.asnlen = 0; e.type = BE_ANY;
  if (len < 1) { o.s += '[nothing to parse]'; return -1; }
  const b0 = o.u8(p);
  let id = b0 & 0x1f;
  const form = (b0 & 0x20) >> 5, cls = (b0 & 0xc0) >> 6;
  e.form = form; e.cls = cls; e.id = id;
  p++; len--;
  let hdr = 1;
  if (id === 0x1f) {
    id = 0;
    while (o.u8(p) & 0x80) {
      if (len < 1) { o.s += '[Xtagfield?]'; return -1; }
      id = (id << 7) | (o.u8(p) & 0x7f);
      len--; hdr++; p++;
    }
    if (len < 1) { o.s += '[Xtagfield?]'; return -1; }
    e.id = id = (id << 7) | o.u8(p);
    --len; ++hdr; ++p;
  }
  if (len < 1) { o.s += '[no asnlen]'; return -1; }
  e.asnlen = o.u8(p);
  p++; len--; hdr++;
  if (e.asnlen & 0x80) {
    let noct = e.asnlen % 0x80;
    e.asnlen = 0;
    if (len < noct) { o.s += `[asnlen? ${len}<${noct}]`; return -1; }
    o.check(p, noct);
    for (; noct !== 0; len--, hdr++, noct--) { e.asnlen = ((e.asnlen << 8) | o.u8(p)) >>> 0; p++; }
  }
  if (len < e.asnlen) { o.s += `[len${len}<asnlen${e.asnlen}]`; return -1; }
  if (id >= CLASS[cls].ids.length) { o.s += `[id?${form ? 'C' : 'P'}/${CLASS[cls].name}/${id}]`; return -1; }
  o.check(p, e.asnlen);
  e.data = p;
  if (form === 0) {
    if (cls === 0) {
      switch (id) {
        case 4: e.type = BE_STR; break;
        case 2: {
          e.type = BE_INT;
          if (e.asnlen === 0) { o.s += '[asnlen=0]'; return -1; }
          let v = o.u8(p) & 0x80 ? -1 : 0;
          for (let i = e.asnlen, q = p; i !== 0; q++, i--) v = (v << 8) | o.u8(q);
          e.int = v | 0;
          break;
        }
        case 6: e.type = BE_OID; break;
        case 5: e.type = BE_NULL; break;
        default: e.type = BE_OCTET; o.s += `[P/U/${UNIVERSAL[id]}]`;
      }
    } else if (cls === 1) {
      switch (id) {
        case 0: e.type = BE_INETADDR; break;
        case 1: case 2: case 3: {
          e.type = BE_UNS;
          let v = 0;
          for (let i = e.asnlen, q = p; i !== 0; q++, i--) v = ((v * 256) + o.u8(q)) >>> 0;
          e.int = v;
          break;
        }
        case 6: {
          e.type = BE_UNS64;
          let v = 0n;
          for (let i = e.asnlen, q = p; i !== 0; q++, i--) v = ((v << 8n) + BigInt(o.u8(q))) & 0xffffffffffffffffn;
          e.uns64 = v;
          break;
        }
        default: e.type = BE_OCTET; o.s += `[P/A/${APPLICATION[id]}]`;
      }
    } else if (cls === 2) {
      if (id <= 2) e.type = BE_NOSUCH;
    } else { o.s += `[P/${CLASS[cls].name}/${CLASS[cls].ids[id]}]`; e.type = BE_OCTET; }
  } else if (cls === 0) {
    if (id === 16) e.type = BE_SEQ;
    else { e.type = BE_OCTET; o.s += `C/U/${UNIVERSAL[id]}`; }
  } else if (cls === 2) e.type = BE_PDU;
  else { e.type = BE_OCTET; o.s += `C/${CLASS[cls].name}/${CLASS[cls].ids[id]}`; }
  return e.asnlen + hdr;
}

function printOctets(o: Out, e: Be): void {
  o.check(e.data, e.asnlen);
  for (let i = 0; i < e.asnlen; i++) o.s += '_' + o.u8(e.data + i).toString(16).padStart(2, '0');
}

function printString(o: Out, e: Be): void {
  o.check(e.data, e.asnlen);
  let printable = true;
  for (let i = 0; printable && i < e.asnlen; i++) { const c = o.u8(e.data + i); printable = c >= 0x20 && c <= 0x7e; }
  if (printable) {
    o.s += '"';
    o.printn(e.data, e.asnlen, o.end);
    o.s += '"';
  } else for (let i = 0; i < e.asnlen; i++) o.s += (i ? '_' : '') + o.u8(e.data + i).toString(16).padStart(2, '0');
}

/** asn1_print with -n (numeric OIDs, no MIB names) */
function asn1Print(o: Out, e: Be): void {
  switch (e.type) {
    case BE_OCTET: printOctets(o, e); break;
    case BE_NULL: break;
    case BE_OID: {
      let v = 0, first = -1;
      for (let i = e.asnlen, p = e.data; i !== 0; p++, i--) {
        const c = o.u8(p);
        v = (v << 7) + (c & 0x7f);
        if (c & 0x80) continue;
        if (first < 0) {
          first = 0;
          const s = Math.min(Math.floor(v / 40), 2);
          o.s += '.' + s;
          v -= s * 40;
        }
        o.s += (first ? '' : '.') + (v >>> 0);
        if (--first < 0) first = 0;
        v = 0;
      }
      break;
    }
    case BE_INT: o.s += e.int; break;
    case BE_UNS: o.s += e.int >>> 0; break;
    case BE_UNS64: o.s += e.uns64.toString(); break;
    case BE_STR: printString(o, e); break;
    case BE_SEQ: o.s += `Seq(${e.asnlen})`; break;
    case BE_INETADDR: {
      if (e.asnlen !== 4) o.s += '[inetaddr len!=4]';
      o.check(e.data, e.asnlen);
      for (let i = 0; i < e.asnlen; i++) o.s += (i ? '.' : '') + o.u8(e.data + i);
      break;
    }
    case BE_NOSUCH: o.s += `[${EXCEPTIONS[e.id]}]`; break;
    case BE_PDU: o.s += `${CONTEXT[e.id]}(${e.asnlen})`; break;
    case BE_ANY: o.s += '[BE_ANY!?]'; break;
    default: o.s += '[be!?]';
  }
}

function varbindPrint(o: Out, pduid: number, np: number, length: number): void {
  const e = be();
  let count = asn1Parse(o, np, length, e);
  if (count < 0) return;
  if (ty(e) !== BE_SEQ) { o.s += '[!SEQ of varbind]'; asn1Print(o, e); return; }
  if (count < length) o.s += `[${length - count} extra after SEQ of varbind]`;
  length = e.asnlen;
  np = e.data;
  const isReq = pduid === GETREQ || pduid === GETNEXTREQ || pduid === GETBULKREQ;
  while (length) {
    o.s += ' ';
    if ((count = asn1Parse(o, np, length, e)) < 0) return;
    if (ty(e) !== BE_SEQ) { o.s += '[!varbind]'; asn1Print(o, e); return; }
    const vbend = np + count, vblength = length - count;
    length = e.asnlen;
    np = e.data;
    if ((count = asn1Parse(o, np, length, e)) < 0) return;
    if (ty(e) !== BE_OID) { o.s += '[objName!=OID]'; asn1Print(o, e); return; }
    asn1Print(o, e);
    length -= count;
    np += count;
    if (!isReq) o.s += '=';
    if ((count = asn1Parse(o, np, length, e)) < 0) return;
    if (isReq) {
      if (ty(e) !== BE_NULL) { o.s += '[objVal!=NULL]'; asn1Print(o, e); }
    } else if (ty(e) !== BE_NULL) asn1Print(o, e);
    length = vblength;
    np = vbend;
  }
}

function snmppduPrint(o: Out, pduid: number, np: number, length: number): void {
  const e = be();
  let count = asn1Parse(o, np, length, e);
  if (count < 0) return;
  if (ty(e) !== BE_INT) { o.s += '[reqId!=INT]'; asn1Print(o, e); return; }
  length -= count; np += count;
  if ((count = asn1Parse(o, np, length, e)) < 0) return;
  if (ty(e) !== BE_INT) { o.s += '[errorStatus!=INT]'; asn1Print(o, e); return; }
  const strict = pduid === GETREQ || pduid === GETNEXTREQ || pduid === SETREQ || pduid === INFORMREQ || pduid === V2TRAP || pduid === REPORT;
  const errName = (x: number): string => (x >= 0 && x < ERROR_STATUS.length ? ERROR_STATUS[x] : `err=${x >>> 0}`);
  let errorStatus = 0;
  if (strict && e.int !== 0) o.s += `[errorStatus(${errName(e.int)})!=0]`;
  else if (pduid === GETBULKREQ) o.s += ` N=${e.int}`;
  else if (e.int !== 0) { o.s += ` ${errName(e.int)}`; errorStatus = e.int; }
  length -= count; np += count;
  if ((count = asn1Parse(o, np, length, e)) < 0) return;
  if (ty(e) !== BE_INT) { o.s += '[errorIndex!=INT]'; asn1Print(o, e); return; }
  if (strict && e.int !== 0) o.s += `[errorIndex(${e.int})!=0]`;
  else if (pduid === GETBULKREQ) o.s += ` M=${e.int}`;
  else if (e.int !== 0) o.s += errorStatus ? `@${e.int}` : `[errorIndex(${e.int}) w/o errorStatus]`;
  else if (errorStatus) o.s += '[errorIndex==0]';
  length -= count; np += count;
  varbindPrint(o, pduid, np, length);
}

function trappduPrint(o: Out, np: number, length: number): void {
  const e = be();
  o.s += ' ';
  let count = asn1Parse(o, np, length, e);
  if (count < 0) return;
  if (ty(e) !== BE_OID) { o.s += '[enterprise!=OID]'; asn1Print(o, e); return; }
  asn1Print(o, e);
  length -= count; np += count;
  o.s += ' ';
  if ((count = asn1Parse(o, np, length, e)) < 0) return;
  if (ty(e) !== BE_INETADDR) { o.s += '[agent-addr!=INETADDR]'; asn1Print(o, e); return; }
  asn1Print(o, e);
  length -= count; np += count;
  if ((count = asn1Parse(o, np, length, e)) < 0) return;
  if (ty(e) !== BE_INT) { o.s += '[generic-trap!=INT]'; asn1Print(o, e); return; }
  const generic = e.int;
  o.s += ' ' + (generic >= 0 && generic < GENERIC_TRAP.length ? GENERIC_TRAP[generic] : `gt=${generic}`);
  length -= count; np += count;
  if ((count = asn1Parse(o, np, length, e)) < 0) return;
  if (ty(e) !== BE_INT) { o.s += '[specific-trap!=INT]'; asn1Print(o, e); return; }
  if (generic !== 6) { if (e.int !== 0) o.s += `[specific-trap(${e.int})!=0]`; } else o.s += ` s=${e.int}`;
  length -= count; np += count;
  o.s += ' ';
  if ((count = asn1Parse(o, np, length, e)) < 0) return;
  if (ty(e) !== BE_UNS) { o.s += '[time-stamp!=TIMETICKS]'; asn1Print(o, e); return; }
  asn1Print(o, e);
  length -= count; np += count;
  varbindPrint(o, TRAP, np, length);
}

function pduPrint(o: Out, np: number, length: number, version: number): void {
  const pdu = be();
  const count = asn1Parse(o, np, length, pdu);
  if (count < 0) return;
  if (ty(pdu) !== BE_PDU) { o.s += '[no PDU]'; return; }
  if (count < length) o.s += `[${length - count} extra after PDU]`;
  asn1Print(o, pdu);
  o.s += ' ';
  if (version === 0 && (pdu.id === GETBULKREQ || pdu.id === INFORMREQ || pdu.id === V2TRAP || pdu.id === REPORT)) { o.s += '[v2 PDU in v1 message]'; return; }
  if (version === 1 && pdu.id === TRAP) { o.s += '[v1 PDU in v2 message]'; return; }
  if (pdu.id === TRAP) trappduPrint(o, pdu.data, pdu.asnlen);
  else if (pdu.id <= REPORT) snmppduPrint(o, pdu.id, pdu.data, pdu.asnlen);
}

/** snmp_print for SNMPv1/v2c; null for v3 (left to "UDP, length N") */
export function snmpPrint(o: Out, np: number, length: number): void {
  o.proto = 'snmp';
  o.s += ' ';
  const e = be();
  let count = asn1Parse(o, np, length, e);
  if (count < 0) return;
  if (ty(e) !== BE_SEQ) { o.s += '[!init SEQ]'; asn1Print(o, e); return; }
  if (count < length) o.s += `[${length - count} extra after iSEQ]`;
  length = e.asnlen;
  np = e.data;
  if ((count = asn1Parse(o, np, length, e)) < 0) return;
  if (ty(e) !== BE_INT) { o.s += '[version!=INT]'; asn1Print(o, e); return; }
  const version = e.int;
  if (version !== 0 && version !== 1 && version !== 3) { o.s += `SNMP [version = ${version}]`; return; }
  length -= count; np += count;
  if (version === 3) { o.s += '[v3 not printed]'; return; }
  // community_print: "public" is not printed
  if ((count = asn1Parse(o, np, length, e)) < 0) return;
  if (ty(e) !== BE_STR) { o.s += '[comm!=STR]'; asn1Print(o, e); return; }
  const isPublic = e.asnlen === 6 && [0x70, 0x75, 0x62, 0x6c, 0x69, 0x63].every((c, i) => o.u8(e.data + i) === c);
  if (!isPublic) { o.s += 'C='; printString(o, e); o.s += ' '; }
  length -= count; np += count;
  pduPrint(o, np, length, version);
}

export interface SnmpApp { proto: 'snmp'; version: string; community?: string; pdu?: string }

/** version, community and PDU type (null when the message does not parse that far) */
export function snmpApp(b: Uint8Array, bp: number, length: number, end: number): SnmpApp | null {
  const o = new Out(b, Math.min(end, bp + length));
  try {
    const e = be();
    let c = asn1Parse(o, bp, length, e);
    if (c < 0 || ty(e) !== BE_SEQ) return null;
    let np = e.data, len = e.asnlen;
    if ((c = asn1Parse(o, np, len, e)) < 0 || ty(e) !== BE_INT) return null;
    const v = e.int;
    const r: SnmpApp = { proto: 'snmp', version: v === 0 ? 'v1' : v === 1 ? 'v2c' : v === 3 ? 'v3' : String(v) };
    if (v !== 0 && v !== 1) return r;
    np += c; len -= c;
    if ((c = asn1Parse(o, np, len, e)) < 0 || ty(e) !== BE_STR) return r;
    let s = '';
    for (let i = 0; i < e.asnlen; i++) s += String.fromCharCode(b[e.data + i]);
    r.community = s;
    np += c; len -= c;
    if ((c = asn1Parse(o, np, len, e)) < 0 || ty(e) !== BE_PDU) return r;
    r.pdu = CONTEXT[e.id];
    return r;
  } catch { return null; }
}

// Application decoders: the hand-written reads of src/packet/app and nflog.ts against the same
// layouts as binary-parser compiled parsers (issue 16 item 8: use binary-parser where fast
// enough, or drop it). Inputs: the real BOOTP/DHCP and NTP datagrams of captures/app.pcap and
// the NFLOG records of captures/nflog.pcap, parsed in a loop; rates in messages per second of
// this process's CPU time. Both sides produce the same facts (the `app` / nflog record).
import { openCapture } from '../capture/reader.js';
import { Decoded, decodeFrame } from '../packet/decode.js';
import { bootpApp } from '../packet/app/bootp.js';
import { ntpApp } from '../packet/app/ntp.js';
import { nflogInfo } from '../packet/nflog.js';
import type { BenchCtx } from './run.js';

// ---- binary-parser layouts (a devDependency since this measurement: loaded in run()) ----
/** binary-parser's Parser (its typings do not resolve under NodeNext module resolution) */
type P = any; // eslint-disable-line @typescript-eslint/no-explicit-any
let Parser: new () => P;
let bootpParser: P, ntpParser: P, nflogParser: P;
function layouts(): void {
const dhcpOption = new Parser().uint8('t').choice('', {
  tag: 't',
  choices: { 0: new Parser(), 255: new Parser() },
  defaultChoice: new Parser().uint8('l').buffer('v', { length: 'l' }),
});
bootpParser = new Parser()
  .uint8('op').uint8('htype').uint8('hlen').uint8('hops').uint32be('xid').uint16be('secs').uint16be('flags')
  .buffer('ciaddr', { length: 4 }).buffer('yiaddr', { length: 4 }).buffer('siaddr', { length: 4 }).buffer('giaddr', { length: 4 })
  .buffer('chaddr', { length: 16 }).buffer('sname', { length: 64 }).buffer('file', { length: 128 }).uint32be('magic')
  .array('options', { type: dhcpOption, readUntil: (item: { t: number }) => item.t === 255 });
ntpParser = new Parser().bit2('li').bit3('vn').bit3('mode').uint8('stratum').int8('poll').int8('precision')
  .uint32be('rootDelay').uint32be('rootDisp').uint32be('refid');
const nflogTlv = new Parser().uint16le('len').uint16le('type').buffer('v', { length: function (this: { len: number }) { return this.len - 4; } })
  .seek(function (this: { len: number }) { return (4 - (this.len % 4)) % 4; });
nflogParser = new Parser().uint8('family').uint8('version').uint16be('group').array('tlvs', { type: nflogTlv, readUntil: 'eof' });
}

const MSG = ['', 'DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM'];
const hex = (b: Buffer, n: number): string => { let s = ''; for (let i = 0; i < n; i++) s += (i ? ':' : '') + (b[i] < 16 ? '0' : '') + b[i].toString(16); return s; };
const ip4 = (b: Buffer): string => `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;

/** binary-parser parse, then the same record bootpApp makes */
function bootpWithParser(buf: Buffer): Record<string, unknown> {
  const p = bootpParser.parse(buf) as { op: number; htype: number; hlen: number; xid: number; ciaddr: Buffer; yiaddr: Buffer; siaddr: Buffer; giaddr: Buffer; chaddr: Buffer; options: { t: number; l?: number; v?: Buffer }[] };
  const r: Record<string, unknown> = { proto: 'bootp', op: p.op === 1 ? 'request' : p.op === 2 ? 'reply' : p.op, xid: '0x' + p.xid.toString(16).padStart(8, '0') };
  if (p.htype === 1 && p.hlen === 6) r.chaddr = hex(p.chaddr, 6);
  for (const [k, v] of [['ciaddr', p.ciaddr], ['yiaddr', p.yiaddr], ['siaddr', p.siaddr], ['giaddr', p.giaddr]] as const) if (v.readUInt32BE(0) !== 0) r[k] = ip4(v);
  for (const o of p.options) {
    if (o.t === 53 && o.v) { r.proto = 'dhcp'; r.msg = MSG[o.v[0]]; }
    else if (o.t === 50 && o.l === 4) r.requested = ip4(o.v!);
    else if (o.t === 54 && o.l === 4) r.server = ip4(o.v!);
    else if (o.t === 12 && o.v) r.hostname = o.v.toString('latin1');
  }
  return r;
}
function ntpWithParser(buf: Buffer): Record<string, unknown> {
  const p = ntpParser.parse(buf) as { vn: number; mode: number; stratum: number };
  return { proto: 'ntp', version: p.vn, mode: p.mode, stratum: p.stratum };
}
function nflogWithParser(buf: Buffer): Record<string, unknown> {
  const p = nflogParser.parse(buf) as { family: number; group: number; tlvs: { type: number; v: Buffer }[] };
  const r: Record<string, unknown> = { family: p.family, group: p.group };
  for (const t of p.tlvs) {
    switch (t.type) {
      case 1: r.hook = t.v[2]; break;
      case 2: r.mark = t.v.readUInt32BE(0); break;
      case 4: r.indev = t.v.readUInt32BE(0); break;
      case 5: r.outdev = t.v.readUInt32BE(0); break;
      case 10: r.prefix = t.v.toString('latin1', 0, t.v.indexOf(0) < 0 ? t.v.length : t.v.indexOf(0)); break;
      case 11: r.uid = t.v.readUInt32BE(0); break;
      case 14: r.gid = t.v.readUInt32BE(0); break;
    }
  }
  return r;
}

function payloads(file: string, port: number): Buffer[] {
  const r = openCapture(file);
  const d = new Decoded();
  const out: Buffer[] = [];
  try {
    for (let f = r.next(); f; f = r.next()) {
      decodeFrame(f.data, f.caplen, f.iface.linktype, d, f.len);
      if (port < 0) out.push(Buffer.from(f.data.subarray(0, f.caplen)));
      else if (d.payload >= 0 && (d.sport === port || d.dport === port || (port === 67 && (d.sport === 68 || d.dport === 68)))) out.push(Buffer.from(d.data.subarray(d.payload, d.l3End)));
    }
  } finally { r.close(); }
  return out;
}

function rate(name: string, inputs: Buffer[], f: (b: Buffer) => unknown, log: (l: string) => void): number {
  let sink = 0;
  const run = (n: number): number => {
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) { const x = f(inputs[i % inputs.length]); if (x) sink++; }
    const u = process.cpuUsage(t0);
    return n / ((u.user + u.system) / 1e6);
  };
  run(20000); // warm up (JIT)
  let best = 0;
  for (let k = 0; k < 5; k++) best = Math.max(best, run(200000));
  log(`  ${name.padEnd(44)} ${(best / 1e6).toFixed(2).padStart(6)} M msgs/s${sink < 0 ? '' : ''}`);
  return best;
}

export async function run(ctx: BenchCtx): Promise<void> {
  try {
    ({ Parser } = (await import('binary-parser' as string)) as { Parser: new () => P });
  } catch {
    ctx.log('binary-parser is not installed (a devDependency: npm install): nothing to compare');
    return;
  }
  layouts();
  const bootp = payloads('captures/app.pcap', 67), ntp = payloads('captures/app.pcap', 123), nfl = payloads('captures/nflog.pcap', -1);
  // both sides must say the same before their speed means anything
  for (const b of bootp) {
    const a = JSON.stringify(bootpApp(b, 0, b.length, b.length)), p = bootpWithParser(b);
    for (const [k, v] of Object.entries(p)) if (JSON.stringify(v) !== JSON.stringify((JSON.parse(a) as Record<string, unknown>)[k])) throw new Error(`bootp: binary-parser ${k}=${String(v)} vs ${a}`);
  }
  for (const b of nfl) {
    const a = nflogInfo(b, b.length)!, p = nflogWithParser(b);
    for (const [k, v] of Object.entries(p)) if (v !== (a as unknown as Record<string, unknown>)[k]) throw new Error(`nflog: binary-parser ${k}=${String(v)} vs ${String((a as unknown as Record<string, unknown>)[k])}`);
  }
  ctx.log(`inputs: ${bootp.length} BOOTP/DHCP, ${ntp.length} NTP datagrams (captures/app.pcap), ${nfl.length} NFLOG records (captures/nflog.pcap)`);
  const r: [string, number, number][] = [];
  r.push(['BOOTP/DHCP header + options', rate('BOOTP/DHCP, hand-written (bootpApp)', bootp, (b) => bootpApp(b, 0, b.length, b.length), ctx.log), rate('BOOTP/DHCP, binary-parser', bootp, bootpWithParser, ctx.log)]);
  r.push(['NTP header', rate('NTP, hand-written (ntpApp)', ntp, (b) => ntpApp(b, 0, b.length, b.length), ctx.log), rate('NTP, binary-parser', ntp, ntpWithParser, ctx.log)]);
  r.push(['NFLOG TLVs', rate('NFLOG, hand-written (nflogInfo)', nfl, (b) => nflogInfo(b, b.length), ctx.log), rate('NFLOG, binary-parser', nfl, nflogWithParser, ctx.log)]);
  for (const [n, h, p] of r) ctx.log(`  ${n}: binary-parser at ${(p / h).toFixed(2)}x the hand-written rate`);
}

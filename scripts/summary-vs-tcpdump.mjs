#!/usr/bin/env node
// Compare `pktlife inspect` summaries with `tcpdump -nn -r` over every capture of the shared
// corpus (or the files given), line by line, and count per protocol of the frame how many are
// byte-identical. Usage: node scripts/summary-vs-tcpdump.mjs [--dist DIR] [--show PROTO] [FILE...]
// --dist: the build whose summaries are compared (default ./dist; e.g. another worktree's dist
// for a before/after count); the protocol of each frame is always classified with ./dist.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
let dist = 'dist', show = null;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--dist') dist = args[++i];
  else if (args[i] === '--show') show = args[++i];
  else files.push(args[i]);
}
const corpus = process.env.PKTLIFE_CORPUS ?? path.resolve('../shared/corpus');
const imp = (d, m) => import(pathToFileURL(path.resolve(d, m)).href);
const { openCapture } = await imp(dist, 'capture/reader.js');
const D = await imp(dist, 'packet/decode.js');
const S = await imp(dist, 'packet/summary.js');
const C = await imp('dist', 'packet/decode.js');
const A = await imp('dist', 'packet/app/index.js');

function walk(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'ref' && e.name !== 'tools') out.push(...walk(p)); }
    else if (/\.(pcap|pcapng|cap)$/.test(e.name)) out.push(p);
  }
  return out;
}

const KIND = { 1: 'dns', 2: 'mdns', 3: 'tftp', 4: 'bootp', 5: 'snmp', 6: 'ntp', 7: 'dhcp6', 8: 'syslog', 9: 'vxlan', 10: 'geneve', 11: 'llmnr' };
function classify(d) {
  if (d.has(C.L_UDP) && d.sport >= 0) { const k = A.udpAppKind(d.sport, d.dport); return k > 0 ? KIND[k] : k < 0 ? 'udp-other-printer' : 'udp'; }
  if (d.has(C.L_TCP)) return d.sport >= 0 && d.l4PayloadLen > 0 && A.tcpIsDns(d.sport, d.dport) ? 'dns-tcp' : 'tcp';
  if (d.has(C.L_GRE)) return 'gre';
  if (d.ipVersion && (d.proto === 4 || d.proto === 41) && !d.has(C.L_TCP)) return 'ipip';
  if (d.has(C.L_ICMP)) return 'icmp';
  if (d.has(C.L_ICMPV6)) return 'icmp6';
  if (d.ipVersion === 4) return 'ip-other';
  if (d.ipVersion === 6) return 'ip6-other';
  return 'non-ip';
}

function tcpdumpFrames(file) {
  let out;
  try { out = execFileSync('tcpdump', ['-nn', '-r', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, TZ: 'UTC' }, maxBuffer: 1 << 28 }); }
  catch (e) { out = typeof e.stdout === 'string' ? e.stdout : ''; }
  const frames = [];
  for (const l of out.split('\n')) {
    const m = /^\d\d:\d\d:\d\d\.\d{6,9} (.*)$/.exec(l);
    if (m) frames.push(m[1]);
    else if (l !== '' && !/^[\t ]/.test(l) && frames.length) frames[frames.length - 1] += '\n' + l;
  }
  return frames;
}

const tally = new Map();
const shown = [];
for (const file of files.length ? files : walk(corpus)) {
  const ref = tcpdumpFrames(file);
  if (ref.length === 0) continue;
  let r;
  try { r = openCapture(file); } catch { continue; }
  const d = new D.Decoded(), dc = new C.Decoded(), st = new S.SummaryState();
  let i = 0;
  try {
    for (let f = r.next(); f && i < ref.length; f = r.next(), i++) {
      D.decodeFrame(f.data, f.caplen, f.iface.linktype, d, f.len);
      C.decodeFrame(f.data, f.caplen, f.iface.linktype, dc, f.len);
      let ours = S.summarize(d, st);
      // LINUX_SLL2: tcpdump names the ifindex after an interface of the reading host
      let theirs = ours.startsWith('?     ') ? ref[i].replace(/^\S+\s+(?=(In |Out|M  |B  |P  ) )/, '?     ') : ref[i];
      const k = classify(dc);
      const t = tally.get(k) ?? { lines: 0, exact: 0 };
      t.lines++;
      if (ours === theirs) t.exact++;
      else if (show === k || show === 'all') shown.push(`${path.relative(corpus, file)} #${i + 1}\n  ours:    ${ours}\n  tcpdump: ${theirs}`);
      tally.set(k, t);
    }
  } catch { /* damaged file: frames before the damage count */ } finally { r.close(); }
}
let tl = 0, te = 0;
for (const [k, t] of [...tally].sort()) { console.log(`${k.padEnd(18)} ${String(t.exact).padStart(6)} / ${String(t.lines).padStart(6)} identical`); tl += t.lines; te += t.exact; }
console.log(`${'all'.padEnd(18)} ${String(te).padStart(6)} / ${String(tl).padStart(6)} identical`);
if (shown.length) console.log(shown.slice(0, 60).join('\n'));

// Replay throughput: the generated capture (gen-capture.ts) replayed through a router snapshot
// with no rules: eth0 10.0.1.254/24 (the capture's sources), eth1 10.0.2.254/24 with the
// destination 10.0.2.1 a permanent neighbour, IPv6 alike, forwarding on. The capture's varying
// destination MACs are rewritten to eth0's so every frame takes the routed path.
// Reports frames/s with the timeline off and on, and with ndjson serialisation; peak RSS; the
// same file read by tcpdump and tshark for scale.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchCtx } from './run.js';
import { generateBenchPcap } from './gen-capture.js';
import { openCapture } from '../capture/reader.js';
import { loadHostFromFiles } from '../host/load.js';
import { openReplay } from '../replay.js';
import { fateToJSON } from '../kernel/fate.js';
import { measure, peerLines, rateLine, timePeers, type Measured } from './report.js';

const FRAMES = Number(process.env.PKTLIFE_BENCH_REPLAY_FRAMES ?? 1_000_000);
const MAC0 = [0x02, 0, 0, 0, 0, 0x01];

function link(ifindex: number, ifname: string, mac: string, flags: string[], mtu: number, type = 'ether'): object {
  return { ifindex, ifname, flags, mtu, qdisc: 'noqueue', operstate: flags.includes('UP') ? 'UP' : 'DOWN', link_type: type, address: mac, broadcast: type === 'ether' ? 'ff:ff:ff:ff:ff:ff' : '00:00:00:00:00:00', linkinfo: type === 'ether' ? { info_kind: 'veth' } : undefined };
}

/** a two-port router snapshot, in the tools' own JSON formats */
export function benchHostFiles(): Record<string, string> {
  const lo = link(1, 'lo', '00:00:00:00:00:00', ['LOOPBACK', 'UP', 'LOWER_UP'], 65536, 'loopback');
  const e0 = link(2, 'eth0', '02:00:00:00:00:01', ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], 1500);
  const e1 = link(3, 'eth1', '02:00:00:00:02:fe', ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], 1500);
  const a = (x: object, info: object[]) => ({ ...x, addr_info: info });
  const v4 = (local: string, prefixlen: number, label: string, broadcast?: string) => ({ family: 'inet', local, prefixlen, broadcast, scope: label === 'lo' ? 'host' : 'global', label });
  const v6 = (local: string, prefixlen: number) => ({ family: 'inet6', local, prefixlen, scope: 'global' });
  const addrs = [
    a(lo, [v4('127.0.0.1', 8, 'lo'), { family: 'inet6', local: '::1', prefixlen: 128, scope: 'host' }]),
    a(e0, [v4('10.0.1.254', 24, 'eth0', '10.0.1.255'), v6('2001:db8:0:1::fe', 64)]),
    a(e1, [v4('10.0.2.254', 24, 'eth1', '10.0.2.255'), v6('2001:db8:0:2::fe', 64)]),
  ];
  const routes = [
    { dst: '10.0.1.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '10.0.1.254', flags: [] },
    { dst: '10.0.2.0/24', dev: 'eth1', protocol: 'kernel', scope: 'link', prefsrc: '10.0.2.254', flags: [] },
    { type: 'local', dst: '10.0.1.254', dev: 'eth0', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: '10.0.1.254', flags: [] },
    { type: 'broadcast', dst: '10.0.1.255', dev: 'eth0', table: 'local', protocol: 'kernel', scope: 'link', prefsrc: '10.0.1.254', flags: [] },
    { type: 'local', dst: '10.0.2.254', dev: 'eth1', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: '10.0.2.254', flags: [] },
    { type: 'broadcast', dst: '10.0.2.255', dev: 'eth1', table: 'local', protocol: 'kernel', scope: 'link', prefsrc: '10.0.2.254', flags: [] },
    { type: 'local', dst: '127.0.0.0/8', dev: 'lo', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: '127.0.0.1', flags: [] },
  ];
  const routes6 = [
    { dst: '2001:db8:0:1::/64', dev: 'eth0', protocol: 'kernel', metric: 256, flags: [], pref: 'medium' },
    { dst: '2001:db8:0:2::/64', dev: 'eth1', protocol: 'kernel', metric: 256, flags: [], pref: 'medium' },
    { type: 'local', dst: '2001:db8:0:1::fe', table: 'local', dev: 'eth0', protocol: 'kernel', metric: 0, flags: [], pref: 'medium' },
    { type: 'local', dst: '2001:db8:0:2::fe', table: 'local', dev: 'eth1', protocol: 'kernel', metric: 0, flags: [], pref: 'medium' },
  ];
  const neigh = [
    { dst: '10.0.2.1', dev: 'eth1', lladdr: '02:00:00:00:02:01', state: ['PERMANENT'] },
    { dst: '2001:db8:0:2::1', dev: 'eth1', lladdr: '02:00:00:00:02:01', state: ['PERMANENT'] },
  ];
  const sysctl = ['net.ipv4.ip_forward = 1', 'net.ipv4.conf.all.forwarding = 1', 'net.ipv4.conf.default.forwarding = 1', 'net.ipv4.conf.eth0.forwarding = 1', 'net.ipv4.conf.eth1.forwarding = 1', 'net.ipv6.conf.all.forwarding = 1'].join('\n') + '\n';
  return {
    'ip-link.json': JSON.stringify([lo, e0, e1]),
    'ip-addr.json': JSON.stringify(addrs),
    'ip-route.json': JSON.stringify(routes),
    'ip6-route.json': JSON.stringify(routes6),
    'ip-neigh.json': JSON.stringify(neigh),
    'sysctl.txt': sysctl,
  };
}

/** the generated capture with every destination MAC set to eth0's (classic pcap, written once) */
export function prepareCapture(ctx: Pick<BenchCtx, 'outDir'>, frames = FRAMES): string {
  const src = path.join(ctx.outDir, `bench-${frames}.pcap`);
  const out = path.join(ctx.outDir, `replay-${frames}.pcap`);
  if (fs.existsSync(out)) return out;
  if (!fs.existsSync(src)) generateBenchPcap(src, frames);
  const r = openCapture(src);
  const fd = fs.openSync(out + '.tmp', 'w');
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b23c4d, 0); // nanosecond pcap
  hdr.writeUInt16LE(2, 4);
  hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(262144, 16);
  hdr.writeUInt32LE(1, 20);
  fs.writeSync(fd, hdr);
  const chunks: Buffer[] = [];
  let size = 0;
  for (let f = r.next(); f; f = r.next()) {
    const rec = Buffer.alloc(16 + f.caplen);
    rec.writeUInt32LE(f.tsSec >>> 0, 0);
    rec.writeUInt32LE(f.tsNsec >>> 0, 4);
    rec.writeUInt32LE(f.caplen, 8);
    rec.writeUInt32LE(f.len, 12);
    rec.set(f.data.subarray(0, f.caplen), 16);
    rec.set(MAC0, 16);
    chunks.push(rec);
    size += rec.length;
    if (size > 1 << 22) {
      fs.writeSync(fd, Buffer.concat(chunks));
      chunks.length = 0;
      size = 0;
    }
  }
  if (chunks.length) fs.writeSync(fd, Buffer.concat(chunks));
  fs.closeSync(fd);
  r.close();
  fs.renameSync(out + '.tmp', out);
  return out;
}

const ISSUE3 = 'issue 3: replay, one core, no rules';

export async function run(ctx: BenchCtx): Promise<void> {
  const cap = prepareCapture(ctx);
  const host = loadHostFromFiles(benchHostFiles(), '(bench router)');
  const fates = new Map<string, number>();
  let peak = process.memoryUsage().rss;
  // records without the timeline (pktlife test/diff), with the tcpdump-style summary as
  // --format text computes it, with the timeline (ndjson, json, UI), and ndjson serialisation
  const modes = [
    ['records', 'replay, fate records, events off'],
    ['text', 'replay + summaries, events off (text)'],
    ['events', 'replay, fate records, events on'],
    ['ndjson', 'replay to ndjson (events on)'],
  ] as const;
  const rows: Measured[] = [];
  for (const [mode, label] of modes) {
    let bytes = 0;
    // best of three for the cheap rows (the first run includes the JIT warming up; every run is
    // printed); the fates are tallied in the first run only (it can only make that run slower)
    let counted = 0;
    const runs = mode === 'records' || mode === 'events' ? 3 : 1;
    const m = measure(label, runs, (run) => {
      const tally = mode === 'records' && run === 0;
      const src = openReplay(cap, host, { checksums: 'verify', iface: 'eth0', summaries: mode === 'text', events: mode !== 'records' && mode !== 'text' });
      let n = 0;
      for (let it = src.next(); it; it = src.next()) {
        n++;
        if (mode === 'ndjson') bytes += fateToJSON(it.record).length + 1;
        else if (mode === 'text') bytes += it.summary.length + 1;
        else if (tally && counted < 200000) {
          counted++;
          const k = it.record.fate + (it.record.reason ? ' ' + it.record.reason : '');
          fates.set(k, (fates.get(k) ?? 0) + 1);
        }
        if ((n & 0xffff) === 0) peak = Math.max(peak, process.memoryUsage().rss);
      }
      src.close();
      return n;
    });
    if (mode === 'ndjson') m.note = `${(bytes / 1e6).toFixed(0)} MB of ndjson`;
    if (mode === 'text') m.note = `${(bytes / 1e6).toFixed(0)} MB of summaries`;
    rows.push(m);
  }
  ctx.log(`file: ${cap}: ${rows[0]!.frames} frames through a two-port router snapshot, no rules, --checksums verify (node ${process.version}, one thread; ratios = peer CPU / pktlife CPU)`);
  const peers = timePeers(cap, ctx.log);
  for (const l of peerLines(peers, rows[0]!.frames)) ctx.log(l);
  // the target is the model's own rate (the records row); the other rows add what an output
  // format costs on top (the summary, the timeline, JSON) and are shown for scale
  rows.forEach((m, i) => ctx.log(rateLine(m, peers, i === 0 ? { minRate: 1e6, source: ISSUE3 } : undefined)));
  ctx.log(`  fates (first 200k frames): ${[...fates].map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  ctx.log(`  peak RSS ${(peak / 1e6).toFixed(0)} MB`);
}

// iptables throughput on a real rule set (issue 12 item 7): the largest real-world dump of
// ../shared/rulesets-corpus (a university router's iptables-save, ~4,100 rules in 67 chains) on
// a router snapshot built from the dump's own interfaces and subnets, and a generated capture of
// 1 M frames of mixed traffic from the uplink (eth1.110) to hosts of the internal subnets: 4,096
// live flows (TCP half, UDP 30 %, ICMP echo 10 %, the router itself 10 %) to the ports the
// per-subnet filter chains name and to others, a new flow every 20 frames. The capture holds one
// direction (one interface), so no flow is ESTABLISHED: every frame walks FORWARD and its subnet's
// filter chain (up to 245 rules, the recent/limit/state matches on the way). The mac_* chains of
// the internal ports are not reached.
// Reported: frames/s on one core with the timeline off and no tcpdump-style summaries (the model's
// own rate, as the replay bench's records row; each run includes parsing and compiling the rule
// set), the fates, and tcpdump/tshark on the file.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchCtx } from './run.js';
import { loadHostFromFiles } from '../host/load.js';
import { openReplay } from '../replay.js';
import { measure, peerLines, rateLine, timePeers } from './report.js';
import { writeEthHdr, writeIpv4Hdr, writeTcpHdr, writeUdpHdr, writeIcmpHdr, fillL4ChecksumV4, fillIcmpChecksum } from '../packet/build.js';
import { parseIPv4 } from '../kernel/netfilter/ir.js';

const FRAMES = Number(process.env.PKTLIFE_BENCH_IPT_FRAMES ?? 1_000_000);
const DUMP = 'IPPartEval_TUM_Net_iptables_25.07.2014';
const UPLINK = 'eth1.110';

function corpusDir(): string | null {
  const c = [process.env.PKTLIFE_RULESETS, path.resolve('..', 'shared', 'rulesets-corpus'), '/work/shared/rulesets-corpus'].filter((x): x is string => !!x);
  return c.find((d) => fs.existsSync(path.join(d, 'real-world', DUMP))) ?? null;
}

const ip = (v: number) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
const mac = (i: number) => `02:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;

interface Subnet { dev: string; net: number; len: number; chain: string; ports: number[] }

/** the internal subnets: `-A FORWARD -d NET -o DEV -j filter_X`, with the ports filter_X names */
export function subnets(dump: string): Subnet[] {
  const out: Subnet[] = [];
  for (const m of dump.matchAll(/^-A FORWARD -d (\d+\.\d+\.\d+\.\d+)\/(\d+) -o (\S+) -j (filter_\d+)$/gm)) {
    const net = parseIPv4(m[1]!)!;
    if (net >>> 28 === 14) continue; // 224.0.0.0/4
    const ports = [...dump.matchAll(new RegExp(`^-A ${m[4]} .*--dport (\\d+)`, 'gm'))].map((x) => Number(x[1]));
    out.push({ dev: m[3]!, net, len: Number(m[2]), chain: m[4]!, ports: ports.length ? ports : [80] });
  }
  return out;
}

/** a router with the uplink and one interface per subnet (the router holds the subnet's first address) */
export function hostFiles(subs: Subnet[], dump: string): Record<string, string> {
  const links: object[] = [{ ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, operstate: 'UNKNOWN', link_type: 'loopback', address: '00:00:00:00:00:00' }];
  const addrs: object[] = [];
  const routes: object[] = [];
  const neigh: object[] = [];
  const dev = (i: number, name: string) => ({ ifindex: i, ifname: name, flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, operstate: 'UP', link_type: 'ether', address: mac(i), broadcast: 'ff:ff:ff:ff:ff:ff', linkinfo: { info_kind: 'veth' } });
  links.push(dev(2, UPLINK));
  addrs.push({ ...links[1]!, addr_info: [{ family: 'inet', local: '198.18.0.254', prefixlen: 24, broadcast: '198.18.0.255', scope: 'global', label: UPLINK }] });
  addrs.unshift({ ...links[0]!, addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host', label: 'lo' }] });
  routes.push({ dst: 'default', gateway: '198.18.0.1', dev: UPLINK, protocol: 'static', flags: [] }, { dst: '198.18.0.0/24', dev: UPLINK, protocol: 'kernel', scope: 'link', prefsrc: '198.18.0.254', flags: [] });
  neigh.push({ dst: '198.18.0.1', dev: UPLINK, lladdr: '02:00:00:00:ff:01', state: ['PERMANENT'] });
  subs.forEach((s, k) => {
    const i = 3 + k;
    const l = dev(i, s.dev);
    links.push(l);
    const me = s.net + 1;
    addrs.push({ ...l, addr_info: [{ family: 'inet', local: ip(me), prefixlen: s.len, scope: 'global', label: s.dev }] });
    routes.push({ dst: `${ip(s.net)}/${s.len}`, dev: s.dev, protocol: 'kernel', scope: 'link', prefsrc: ip(me), flags: [] });
    for (let h = 2; h < 10; h++) neigh.push({ dst: ip(s.net + h), dev: s.dev, lladdr: mac(0x1000 + k * 16 + h), state: ['PERMANENT'] });
  });
  return {
    'ip-link.json': JSON.stringify(links), 'ip-addr.json': JSON.stringify(addrs), 'ip-route.json': JSON.stringify(routes), 'ip-neigh.json': JSON.stringify(neigh),
    // IN_DEV_FORWARD reads the input device's own forwarding (set for every device when ip_forward is written)
    'sysctl.txt': ['net.ipv4.ip_forward = 1', 'net.ipv4.conf.all.forwarding = 1', 'net.ipv4.conf.default.forwarding = 1', 'net.ipv4.conf.all.rp_filter = 0',
      ...[UPLINK, ...subs.map((s) => s.dev)].map((d) => `net.ipv4.conf.${d}.forwarding = 1`)].join('\n') + '\n',
    'iptables.rules': dump,
  };
}

/** xorshift32 */
function rng(seed: number): () => number {
  let x = seed;
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 4294967296; };
}

function writeCapture(file: string, subs: Subnet[], frames: number): void {
  const R = rng(0x1234567);
  const ri = (n: number) => Math.floor(R() * n);
  const fd = fs.openSync(file + '.tmp', 'w');
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b23c4d, 0); hdr.writeUInt16LE(2, 4); hdr.writeUInt16LE(4, 6); hdr.writeUInt32LE(262144, 16); hdr.writeUInt32LE(1, 20);
  fs.writeSync(fd, hdr);
  const upMac = Uint8Array.from([2, 0, 0, 0, 0, 2]);
  const ext = Uint8Array.from([2, 0, 0, 0, 0xff, 1]);
  // 4,096 live flows; each frame continues one (19 in 20) or replaces one with a new flow
  type Flow = { proto: number; s: number; d: number; sp: number; dp: number; seq: number; n: number };
  const newFlow = (): Flow => {
    const r = ri(100);
    const sub = subs[ri(subs.length)]!;
    const host = sub.net + 2 + ri(8);
    const s = (0xc6336400 | ri(256)) >>> 0; // 198.51.100.0/24
    const port = () => (ri(3) ? sub.ports[ri(sub.ports.length)]! : 1 + ri(65535));
    if (r < 50) return { proto: 6, s, d: host, sp: 1024 + ri(60000), dp: port(), seq: ri(1 << 30), n: 0 };
    if (r < 80) return { proto: 17, s, d: host, sp: 1024 + ri(60000), dp: port(), seq: 0, n: 0 };
    if (r < 90) return { proto: 1, s, d: host, sp: ri(65536), dp: 0, seq: 0, n: 0 };
    return { proto: ri(2) ? 6 : 17, s, d: 0xc61200fe, sp: 1024 + ri(60000), dp: [80, 443, 53, 22][ri(4)]!, seq: ri(1 << 30), n: 0 }; // the router itself (INPUT)
  };
  const flows: Flow[] = Array.from({ length: 4096 }, newFlow);
  let buf = Buffer.alloc(1 << 22), off = 0;
  const ts0 = 1_700_000_000;
  for (let n = 0; n < frames; n++) {
    const k = ri(flows.length);
    if (ri(20) === 0) flows[k] = newFlow();
    const f = flows[k]!;
    const { proto, s, d, sp, dp } = f;
    // TCP: the SYN, then the client's segments (the capture holds one direction: no SYN-ACK is seen)
    const flags = proto === 6 ? (f.n === 0 ? 2 : 0x18) : 0;
    const seq = f.n === 0 ? f.seq : f.seq + 1;
    const ack = proto === 6 && f.n > 0 ? 1 : 0;
    f.n++;
    const l4 = proto === 6 ? 20 : 8;
    const len = 14 + 20 + l4;
    if (off + 16 + len > buf.length) { fs.writeSync(fd, buf.subarray(0, off)); off = 0; }
    const t = ts0 * 1e9 + n * 1000; // 1 µs apart
    buf.writeUInt32LE(Math.floor(t / 1e9) >>> 0, off); buf.writeUInt32LE(t % 1e9, off + 4); buf.writeUInt32LE(len, off + 8); buf.writeUInt32LE(len, off + 12);
    const b = new Uint8Array(buf.buffer, buf.byteOffset + off + 16, len);
    b.fill(0);
    writeEthHdr(b, 0, upMac, 0, ext, 0, 0x0800);
    writeIpv4Hdr(b, 14, 0, 20 + l4, n & 0xffff, 0x4000, 64, proto, s, d);
    if (proto === 6) { writeTcpHdr(b, 34, sp, dp, seq, ack, flags, 64240); fillL4ChecksumV4(b, 34, 20, 6, s, d); }
    else if (proto === 17) { writeUdpHdr(b, 34, sp, dp, 8); fillL4ChecksumV4(b, 34, 8, 17, s, d); }
    else { writeIcmpHdr(b, 34, 8, 0, ((sp << 16) | (f.n & 0xffff)) >>> 0); fillIcmpChecksum(b, 34, 8); }
    off += 16 + len;
  }
  fs.writeSync(fd, buf.subarray(0, off));
  fs.closeSync(fd);
  fs.renameSync(file + '.tmp', file);
}

const ISSUE12 = 'issue 12: real-world 4,100-rule dump, one core, timeline off';

export async function run(ctx: BenchCtx): Promise<void> {
  const dir = corpusDir();
  if (!dir) { ctx.log(`skipped: ${DUMP} not found (set PKTLIFE_RULESETS to the rulesets corpus)`); return; }
  const dump = fs.readFileSync(path.join(dir, 'real-world', DUMP), 'utf8');
  const subs = subnets(dump);
  const files = hostFiles(subs, dump);
  const cap = path.join(ctx.outDir, `iptables-tum-${FRAMES}.pcap`);
  if (!fs.existsSync(cap)) writeCapture(cap, subs, FRAMES);
  const host = loadHostFromFiles(files, '(bench: TUM router)');
  // parse + compile of the rule set (openReplay builds the hooks)
  const t0 = process.hrtime.bigint();
  openReplay(cap, host, { checksums: 'verify', iface: UPLINK, events: false, summaries: false }).close();
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const fates = new Map<string, number>();
  let unsupported = 0;
  const m = measure('replay, TUM iptables (4,140 rules), fate records, events off', 3, (runNo) => {
    const src = openReplay(cap, host, { checksums: 'verify', iface: UPLINK, events: false, summaries: false });
    let n = 0;
    for (let it = src.next(); it; it = src.next()) {
      n++;
      if (runNo === 0) {
        const k = it.record.fate + (it.record.reason ? ' ' + it.record.reason : '');
        fates.set(k, (fates.get(k) ?? 0) + 1);
        if (it.record.unsupported) unsupported++;
      }
    }
    src.close();
    return n;
  });
  ctx.log(`file: ${cap}: ${m.frames} frames on ${UPLINK} of a router with ${subs.length + 1} interfaces and the ${DUMP} rule set (parsed and compiled in ${loadMs.toFixed(0)} ms); --checksums verify, node ${process.version}, one thread`);
  const peers = timePeers(cap, ctx.log);
  for (const l of peerLines(peers, m.frames)) ctx.log(l);
  ctx.log(rateLine(m, peers, { minRate: 500_000, source: ISSUE12 }));
  ctx.log(`  fates: ${[...fates].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}: ${v}`).join(', ')}; unsupported: ${unsupported}`);
}

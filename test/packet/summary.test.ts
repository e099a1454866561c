// Summaries against real `tcpdump -nn -r` output (tcpdump 4.99 when installed; skipped with a
// message otherwise). Captures: test/packet/fixtures/summary-mix.pcap (recorded by record.sh in
// namespaces), captures/*.pcap* and a set of corpus files. Lines where tcpdump goes on to
// dissect the application (DNS, HTTP...) count as agreeing when our line is its prefix.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCapture, CaptureError } from '../../src/capture/reader.js';
import { Decoded, decodeFrame } from '../../src/packet/decode.js';
import { summarize, SummaryState } from '../../src/packet/summary.js';
import { CORPUS } from './corpus-compare.js';

function tcpdumpLines(file: string, extra: string[] = []): string[] | null {
  try {
    const out = execFileSync('tcpdump', ['-nn', '-r', file, ...extra], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, TZ: 'UTC' } });
    // drop the timestamp ("15:21:24.598650 ") and continuation lines (hex dumps of damaged frames)
    return out.replace(/\n[\t ][^\n]*/g, '').split('\n').filter(Boolean).map((l) => l.replace(/^\S+ /, ''));
  } catch (e) {
    const err = e as { stdout?: string };
    if (typeof err.stdout === 'string' && err.stdout.length > 0) return err.stdout.replace(/\n[\t ][^\n]*/g, '').split('\n').filter(Boolean).map((l) => l.replace(/^\S+ /, ''));
    return null;
  }
}
const haveTcpdump = (() => { try { execFileSync('tcpdump', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; } })();
if (!haveTcpdump) console.warn('summary comparison with tcpdump skipped: tcpdump not installed');
else if (!fs.existsSync(CORPUS)) console.warn(`summary comparison with tcpdump over the corpus skipped: corpus not found at ${CORPUS}`);

function ours(file: string, link: boolean): string[] {
  const r = openCapture(file);
  const d = new Decoded();
  const st = new SummaryState();
  const out: string[] = [];
  try {
    for (let f = r.next(); f; f = r.next()) {
      decodeFrame(f.data, f.caplen, f.iface.linktype, d, f.len);
      out.push(summarize(d, st, { link }));
    }
  } catch (e) { if (!(e instanceof CaptureError)) throw e; } finally { r.close(); }
  return out;
}

function f_sll2(ref: string, mine: string): string {
  return mine.startsWith('?     ') ? ref.replace(/^\S+\s+(?=(In |Out|M  |B  |P  ) )/, '?     ') : ref;
}
interface Tally { exact: number; app: number; differ: { file: string; frame: number; ours: string; tcpdump: string }[] }
function compare(file: string, t: Tally, link = false): void {
  const ref = tcpdumpLines(file, link ? ['-e'] : []);
  if (ref === null) return;
  const mine = ours(file, link);
  const n = Math.min(ref.length, mine.length);
  for (let i = 0; i < n; i++) {
    const a = mine[i];
    // LINUX_SLL2: tcpdump names the ifindex after an interface of the reading host; we print "?"
    const b = f_sll2(ref[i], a);
    if (a === b) t.exact++;
    else if (b.startsWith(a + ':') || (a.endsWith(': UDP, length ' + a.split(' ').pop()) && b.startsWith(a.slice(0, a.indexOf(': UDP, length ') + 2)))) t.app++;
    else t.differ.push({ file: path.relative(process.cwd(), file), frame: i + 1, ours: a, tcpdump: b });
  }
}
function report(name: string, t: Tally): void {
  console.log(`${name}: exact ${t.exact}, tcpdump goes on to dissect the payload (application, tunnel) ${t.app}, different ${t.differ.length}`);
  for (const d of t.differ.slice(0, 40)) console.log(`  ${d.file} #${d.frame}\n    ours:    ${d.ours}\n    tcpdump: ${d.tcpdump}`);
}

describe.skipIf(!haveTcpdump)('summary vs tcpdump -nn', () => {
  it('agrees on every line of the recorded namespace captures (ARP, NDP, ICMP/ICMPv6 errors, TCP, UDP, fragments)', () => {
    const t: Tally = { exact: 0, app: 0, differ: [] };
    const files = [path.join(__dirname, 'fixtures/summary-mix.pcap'),
      ...fs.readdirSync('captures').filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => path.join('captures', f))];
    for (const f of files) { compare(f, t); compare(f, t, true); }
    report('recorded captures', t);
    expect(t.exact).toBeGreaterThan(100);
    expect(t.differ).toEqual([]);
  });

  it.skipIf(!fs.existsSync(CORPUS))('agrees on common corpus traffic (listed differences only)', () => {
    const t: Tally = { exact: 0, app: 0, differ: [] };
    for (const f of ['zeek/icmp/icmp-ping.pcap', 'zeek/icmp/icmp-destunreach-udp.pcap', 'zeek/icmp/icmp-timeexceeded.pcap',
      'zeek/icmp/icmp6-nd-options.pcap', 'zeek/icmp/icmp6-neighbor-advert.pcap', 'zeek/icmp/icmp6-neighbor-solicit.pcap',
      'zeek/http-qinq-0.pcap', 'zeek/http-vlan-0.pcap', 'zeek/icmp_dot1q.pcap', 'zeek/arp-who-has.pcap', 'zeek/linuxsll-arp.pcap',
      'zeek/ipv6-fragmented-dns.pcap', 'tcpdump/ipv6-routing-header.pcap', 'zeek/tunnels/gre-sample.pcap',
      'zeek/tunnels/gre-within-gre.pcap', 'zeek/ip6_esp.pcap']) {
      compare(path.join(CORPUS, f), t);
      compare(path.join(CORPUS, f), t, true);
    }
    report('corpus', t);
    expect(t.exact).toBeGreaterThan(50);
    expect(t.differ).toEqual([]);
  });
});

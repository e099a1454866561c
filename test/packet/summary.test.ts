// Summaries against real `tcpdump -nn -r` output (tcpdump 4.99 when installed; skipped with a
// message otherwise). Captures: test/packet/fixtures/summary-mix.pcap (recorded by record.sh in
// namespaces), captures/*.pcap* and a set of corpus files. Every line must be identical, but
// for the listed exceptions (EXCEPTIONS: protocols tcpdump dissects and we do not), where our
// line must be tcpdump's up to where tcpdump goes on (for UDP: up to our "UDP, length N").
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCapture, CaptureError } from '../../src/capture/reader.js';
import { Decoded, decodeFrame } from '../../src/packet/decode.js';
import { summarize, SummaryState } from '../../src/packet/summary.js';
import { CORPUS } from './corpus-compare.js';

/** tcpdump's text per frame (without the timestamp); a frame's text may span lines (VXLAN
 *  prints the inner frame on a second line); indented lines (hex dumps) are left out */
function tcpdumpLines(file: string, extra: string[] = []): string[] | null {
  let out: string;
  try {
    out = execFileSync('tcpdump', ['-nn', '-r', file, ...extra], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, TZ: 'UTC' } });
  } catch (e) {
    const err = e as { stdout?: string };
    if (typeof err.stdout !== 'string' || err.stdout.length === 0) return null;
    out = err.stdout;
  }
  const frames: string[] = [];
  for (const l of out.split('\n')) {
    const m = /^\d\d:\d\d:\d\d\.\d{6} (.*)$/.exec(l);
    if (m) frames.push(m[1]);
    else if (l !== '' && !/^[\t ]/.test(l) && frames.length > 0) frames[frames.length - 1] += '\n' + l;
  }
  return frames;
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
/**
 * Lines where tcpdump prints more than we do, each with the reason: payloads of protocols whose
 * printers we do not have. `tcpdump` must match tcpdump's line and ours must be its prefix.
 */
const EXCEPTIONS: { tcpdump: RegExp; reason: string }[] = [
  { tcpdump: /: Flags \[[^\]]*\], .*length \d+: (HTTP|SSH|SMTP|FTP|RTSP)\b/, reason: 'TCP payload of an application we do not dissect (tcpdump prints HTTP/SSH/... first lines)' },
  { tcpdump: /: Flags \[[^\]]*\], .*length \d+: (pptp|NBT|SMB|BGP)/, reason: 'TCP payload of a protocol we do not dissect' },
  { tcpdump: /\.(520|521|500|4500|1812|1813|5060|6635|7000)( > |: )/, reason: 'UDP payload of a protocol we do not dissect (RIP, RIPng, ISAKMP, RADIUS, SIP, MPLS-in-UDP, AFS): APP_OTHER in app/index.ts' },
  { tcpdump: /GREv1, call /, reason: 'GREv1 (PPTP) carries PPP, which we do not dissect' },
];
interface Tally { exact: number; listed: number; differ: { file: string; frame: number; ours: string; tcpdump: string }[] }
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
    else if (EXCEPTIONS.some((x) => x.tcpdump.test(b)) && b.startsWith(a.replace(/UDP, length \d+$/, ''))) t.listed++;
    else t.differ.push({ file: path.relative(process.cwd(), file), frame: i + 1, ours: a, tcpdump: b });
  }
}
function report(name: string, t: Tally): void {
  console.log(`${name}: exact ${t.exact}, listed exceptions (tcpdump dissects a protocol we do not) ${t.listed}, different ${t.differ.length}`);
  for (const d of t.differ.slice(0, 40)) console.log(`  ${d.file} #${d.frame}\n    ours:    ${d.ours}\n    tcpdump: ${d.tcpdump}`);
}

const NO_LINK = new Set(['zeek/dns-svcb.pcap', 'zeek/dns/dns_extended_rcode.pcap']);

describe.skipIf(!haveTcpdump)('summary vs tcpdump -nn', () => {
  it('agrees on every line of the recorded namespace captures (ARP, NDP, ICMP/ICMPv6 errors, TCP, UDP, fragments)', () => {
    const t: Tally = { exact: 0, listed: 0, differ: [] };
    const files = [path.join(__dirname, 'fixtures/summary-mix.pcap'),
      ...fs.readdirSync('captures').filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => path.join('captures', f))];
    for (const f of files) { compare(f, t); compare(f, t, true); }
    report('recorded captures', t);
    expect(t.exact).toBeGreaterThan(100);
    expect(t.differ).toEqual([]);
  });

  it.skipIf(!fs.existsSync(CORPUS))('agrees on common corpus traffic (listed differences only)', () => {
    const t: Tally = { exact: 0, listed: 0, differ: [] };
    for (const f of ['zeek/icmp/icmp-ping.pcap', 'zeek/icmp/icmp-destunreach-udp.pcap', 'zeek/icmp/icmp-timeexceeded.pcap',
      'zeek/icmp/icmp6-nd-options.pcap', 'zeek/icmp/icmp6-neighbor-advert.pcap', 'zeek/icmp/icmp6-neighbor-solicit.pcap',
      'zeek/http-qinq-0.pcap', 'zeek/http-vlan-0.pcap', 'zeek/icmp_dot1q.pcap', 'zeek/arp-who-has.pcap', 'zeek/linuxsll-arp.pcap',
      'zeek/ipv6-fragmented-dns.pcap', 'tcpdump/ipv6-routing-header.pcap', 'zeek/tunnels/gre-sample.pcap',
      'zeek/tunnels/gre-within-gre.pcap', 'zeek/ip6_esp.pcap',
      // application printers and tunnels' inner packets (app/*.ts)
      'tcpdump/dns_udp.pcap', 'tcpdump/dns_tcp.pcap', 'zeek/dns-svcb.pcap', 'zeek/dns/dns_extended_rcode.pcap', 'tcpdump/dhcp-option-108.pcapng',
      'tcpdump/bootp_asan.pcap', 'pcapng-test-generator/output_le/basic/test001.pcapng', 'pcapng-test-generator/output_be/advanced/test100.pcapng',
      'pcap-parser/ntp.pcap', 'zeek/ipv4/fragmented-1.pcap', 'zeek/fake-syslog-with-padding.pcap', 'tcpdump/vxlan.pcap', 'zeek/tunnels/vxlan.pcap',
      'libpcap/filter/vxlan.pcap', 'tcpdump/geneve.pcap', 'zeek/tunnels/geneve.pcap', 'zeek/tunnels/geneve-truncated.pcapng', 'zeek/tunnels/4in4.pcap',
      'zeek/tunnels/6in4.pcap', 'zeek/tunnels/ping6-in-ipv4.pcap', 'zeek/erspan.pcap', 'tcpdump/pptp.pcap', 'zeek/tunnels/Teredo.pcap',
      'tcpdump/nflog.pcap', 'zeek/nflog-http.pcap', 'zeek/nflog-bad-tlv-len.pcap', 'zeek/icmp/icmp6-nd-short-options.pcap', 'zeek/trunc/icmp-header-trunc.pcap', 'tcpdump/icmpv6.pcap', 'tcpdump/icmpv6-rfc7112.pcap']) {
      compare(path.join(CORPUS, f), t);
      // -e on NULL / RAW link types prints a link header we do not
      if (!NO_LINK.has(f)) compare(path.join(CORPUS, f), t, true);
    }
    report('corpus', t);
    expect(t.exact).toBeGreaterThan(50);
    expect(t.differ).toEqual([]);
  });
});

// The ndjson `app` and `inner` objects against tshark (an independent dissector) over the
// namespace capture captures/app.pcap (dig, dhclient, busybox tftp, logger and dnsmasq in
// namespaces: captures/record-app.sh) and corpus files holding these protocols; skipped with a
// message when tshark is not installed.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCapture } from '../../src/capture/reader.js';
import { Decoded, decodeFrame } from '../../src/packet/decode.js';
import { appRecord, icmpInner } from '../../src/packet/app/record.js';
import { DNS_TYPES } from '../../src/packet/app/dns.js';
import { CORPUS } from './corpus-compare.js';

const haveTshark = (() => { try { execFileSync('tshark', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; } })();
if (!haveTshark) console.warn('app/inner comparison with tshark skipped: tshark not installed');

const FIELDS = ['dns.id', 'dns.flags.response', 'dns.qry.name', 'dns.qry.type', 'dns.count.answers', 'dhcp.option.dhcp', 'dhcp.hw.mac_addr',
  'dhcp.id', 'dhcpv6.msgtype', 'ntp.flags.vn', 'ntp.flags.mode', 'tftp.opcode', 'tftp.source_file', 'syslog.facility', 'syslog.level',
  'vxlan.vni', 'geneve.vni', 'snmp.version', 'snmp.community', 'snmp.data', 'icmp.type', 'icmpv6.type', 'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'udp.srcport', 'udp.dstport', 'tcp.srcport', 'tcp.dstport'];

function tshark(file: string): Record<string, string>[] {
  const out = execFileSync('tshark', ['-r', file, '-n', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=|',
    '-o', 'tftp.defragment:FALSE', ...FIELDS.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l !== '').map((l) => {
    const c = l.split('\t');
    const r: Record<string, string> = {};
    FIELDS.forEach((f, i) => { r[f] = c[i] ?? ''; });
    return r;
  });
}
const DHCP_MSG = ['', 'DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM'];
const DH6 = ['', 'solicit', 'advertise', 'request', 'confirm', 'renew', 'rebind', 'reply', 'release', 'decline', 'reconfigure', 'inf-req', 'relay-fwd', 'relay-reply'];
const NTP_MODE = ['unspecified', 'symmetric-active', 'symmetric-passive', 'client', 'server', 'broadcast', 'control', 'private'];
const TFTP_OP = ['', 'RRQ', 'WRQ', 'DATA', 'ACK', 'ERROR', 'OACK'];

interface Tally { app: number; inner: number; fields: number; differ: string[] }

function compareFile(file: string, t: Tally): void {
  const ref = tshark(file);
  const r = openCapture(file);
  const d = new Decoded();
  let n = 0;
  try {
    for (let f = r.next(); f; f = r.next()) {
      const row = ref[n++];
      if (!row) break;
      decodeFrame(f.data, f.caplen, f.iface.linktype, d, f.len);
      const eq = (what: string, ours: unknown, theirs: string): void => {
        t.fields++;
        if (String(ours) !== theirs) t.differ.push(`${path.basename(file)} #${n} ${what}: ours=${String(ours)} tshark=${theirs}`);
      };
      const first = (k: string): string => row[k].split('|')[0];
      const app = appRecord(d) as Record<string, unknown> | null;
      if (app !== null) {
        t.app++;
        switch (app.proto) {
          case 'dns': case 'mdns': case 'llmnr':
            eq('dns.id', app.id, String(parseInt(first('dns.id'), 16)));
            eq('qr', app.qr, first('dns.flags.response') === '1' || first('dns.flags.response') === 'True' ? 'response' : 'query');
            if (first('dns.qry.name') !== '') {
              eq('qname', app.qname, first('dns.qry.name'));
              const qt = Number(first('dns.qry.type'));
              eq('qtype', app.qtype, DNS_TYPES[qt] ?? `Type${qt}`);
            }
            if (app.qr === 'response') eq('answers', app.answers, first('dns.count.answers'));
            break;
          case 'dhcp': case 'bootp':
            if (first('dhcp.option.dhcp') !== '') eq('dhcp msg', app.msg, DHCP_MSG[Number(first('dhcp.option.dhcp'))]);
            eq('chaddr', app.chaddr, first('dhcp.hw.mac_addr'));
            eq('xid', app.xid, first('dhcp.id'));
            break;
          case 'dhcpv6': eq('dhcpv6 msg', app.msg, DH6[Number(first('dhcpv6.msgtype'))]); break;
          case 'ntp': eq('ntp version', app.version, first('ntp.flags.vn')); eq('ntp mode', app.mode, NTP_MODE[Number(first('ntp.flags.mode'))]); break;
          case 'tftp':
            eq('tftp op', app.op, TFTP_OP[Number(first('tftp.opcode'))]);
            if (app.file !== undefined) eq('tftp file', app.file, first('tftp.source_file'));
            break;
          case 'vxlan': eq('vxlan vni', app.vni, first('vxlan.vni')); break;
          case 'geneve': eq('geneve vni', app.vni, String(parseInt(first('geneve.vni'), 16))); break;
          case 'snmp':
            eq('snmp version', app.version, ['v1', 'v2c', '', 'v3'][Number(first('snmp.version'))]);
            eq('snmp community', app.community, first('snmp.community'));
            // tshark numbers the PDU choice by its context tag, as the BER encodes it
            eq('snmp pdu', app.pdu, ['GetRequest', 'GetNextRequest', 'GetResponse', 'SetRequest', 'Trap', 'GetBulk', 'Inform', 'V2Trap', 'Report'][Number(first('snmp.data'))]);
            break;
          case 'syslog': break; // tshark's names differ ("daemon" is "DAEMON - system daemons"): checked by the summary test
          default: t.differ.push(`${path.basename(file)} #${n}: unexpected app ${String(app.proto)}`);
        }
      }
      const inner = icmpInner(d);
      if (inner !== null) {
        t.inner++;
        // tshark's second occurrence of the address fields is the quoted packet's; its ports are
        // the quoted transport header's (the first occurrence: the ICMP message has none)
        const v6 = d.ipVersion === 6;
        eq('inner src', inner.src, row[v6 ? 'ipv6.src' : 'ip.src'].split('|')[1] ?? '');
        eq('inner dst', inner.dst, row[v6 ? 'ipv6.dst' : 'ip.dst'].split('|')[1] ?? '');
        const pp = inner.proto === 6 ? 'tcp' : inner.proto === 17 ? 'udp' : null;
        if (pp !== null) {
          eq('inner sport', inner.sport ?? '', first(`${pp}.srcport`));
          eq('inner dport', inner.dport ?? '', first(`${pp}.dstport`));
        }
      }
    }
  } finally { r.close(); }
}

describe.skipIf(!haveTshark)('ndjson app / inner vs tshark', () => {
  it('agree on the namespace capture of real clients (captures/app.pcap)', () => {
    const t: Tally = { app: 0, inner: 0, fields: 0, differ: [] };
    compareFile('captures/app.pcap', t);
    console.log(`captures/app.pcap: ${t.app} app records, ${t.inner} ICMP inner records, ${t.fields} fields compared, ${t.differ.length} differ`);
    expect(t.differ).toEqual([]);
    // DNS: 8 UDP question/answer pairs, 2 TCP messages, mDNS, LLMNR; DHCPv4 DORA + release;
    // DHCPv6 solicit/advertise/request/reply; 2 TFTP requests; syslog; 2 NTP
    expect(t.app).toBe(34);
    expect(t.inner).toBe(5);
  });

  it('agree on net-snmp clients and agent in namespaces (captures/snmp.pcap)', () => {
    const t: Tally = { app: 0, inner: 0, fields: 0, differ: [] };
    compareFile('captures/snmp.pcap', t);
    console.log(`captures/snmp.pcap: ${t.app} app records, ${t.inner} ICMP inner records, ${t.fields} fields compared, ${t.differ.length} differ`);
    expect(t.differ).toEqual([]);
    // 8 requests with 7 answers (the wrong community gets none), 2 traps each answered by ICMP
    expect(t.app).toBe(17);
    expect(t.inner).toBe(2);
  });

  it.skipIf(!fs.existsSync(CORPUS))('agree on corpus captures holding these protocols', () => {
    const t: Tally = { app: 0, inner: 0, fields: 0, differ: [] };
    for (const f of ['tcpdump/dns_udp.pcap', 'tcpdump/dns_tcp.pcap', 'tcpdump/dhcp-option-108.pcapng', 'pcap-parser/ntp.pcap', 'tcpdump/vxlan.pcap',
      'tcpdump/geneve.pcap', 'zeek/icmp/icmp-destunreach-udp.pcap', 'zeek/icmp/icmp-timeexceeded.pcap', 'zeek/icmp/icmp6-destunreach-ip6ext-trunc.pcap']) compareFile(path.join(CORPUS, f), t);
    console.log(`corpus: ${t.app} app records, ${t.inner} ICMP inner records, ${t.fields} fields compared, ${t.differ.length} differ`);
    for (const x of t.differ.slice(0, 20)) console.log('  ' + x);
    expect(t.differ).toEqual([]);
    expect(t.app).toBeGreaterThan(20);
    expect(t.inner).toBeGreaterThan(0);
  });
});

describe('replay ndjson carries app / inner / nflog', () => {
  it('adds the keys inspect gives to the fate records (captures/app.pcap against its snapshot)', async () => {
    const { replay } = await import('../../src/replay.js');
    const { fateToJSON } = await import('../../src/kernel/fate.js');
    const { withAppFields } = await import('../../src/packet/app/record.js');
    const recs = [...replay('captures/app.pcap', 'captures/app-host')].map((it) => JSON.parse(withAppFields(fateToJSON(it.record), it.bytes!, it.linktype!)) as Record<string, unknown>);
    // frame 4: dig's A query; 31: the ICMP port unreachable quoting the mDNS query; 34: DHCPDISCOVER
    expect(recs[3].app).toEqual({ proto: 'dns', id: 9253, qr: 'query', qname: 'www.tcpdump.org', qtype: 'A' });
    expect(recs[30].inner).toEqual({ src: '10.77.0.2', dst: '10.77.0.1', proto: 17, sport: 43672, dport: 5353 });
    expect((recs[33].app as Record<string, unknown>).msg).toBe('DISCOVER');
    expect(recs[3].fate).toBe('delivered');
  });
});

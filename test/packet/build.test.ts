// Frames assembled with build.ts are judged by tshark (checksums verified, fields dissected)
// when it is installed, and by our own decoder always.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as B from '../../src/packet/build.js';
import { parseIpv4, parseIpv6, parseMac } from '../../src/packet/addr.js';
import { Decoded, decodeFrame, CSUM_GOOD } from '../../src/packet/decode.js';
import { summarize } from '../../src/packet/summary.js';
import { ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, ICMP_ECHOREPLY } from '../../src/packet/icmp.js';
import { NDISC_NEIGHBOUR_ADVERTISEMENT, ND_OPT_TARGET_LL_ADDR, NA_FLAG_SOLICITED, NA_FLAG_OVERRIDE, ICMPV6_ECHO_REPLY } from '../../src/packet/icmpv6.js';
import { TCPHDR_RST, TCPHDR_ACK } from '../../src/packet/tcp.js';

const A = parseIpv4('10.0.0.1')!, C = parseIpv4('10.0.0.2')!;
const MA = parseMac('02:00:00:00:00:01')!, MC = parseMac('02:00:00:00:00:02')!;
const A6 = parseIpv6('fd00::1')!, C6 = parseIpv6('fd00::2')!;

function frames(): Uint8Array[] {
  const out: Uint8Array[] = [];
  // 1. UDP datagram 10.0.0.2:5000 -> 10.0.0.1:9999 with 4 bytes of data
  const udp4 = new Uint8Array(14 + 20 + 8 + 4);
  let o = B.writeEthHdr(udp4, 0, MA, 0, MC, 0, 0x0800);
  o = B.writeIpv4Hdr(udp4, o, 0, 32, 1, 0x4000, 64, 17, C, A);
  B.writeUdpHdr(udp4, o, 5000, 9999, 12); udp4.set([1, 2, 3, 4], o + 8);
  B.fillL4ChecksumV4(udp4, o, 12, 17, C, A);
  out.push(udp4);
  // 2. ICMP port unreachable quoting it (icmp_send: IP header + as much as fits in 576)
  const q = B.icmpQuoteLen(32);
  const unr = new Uint8Array(14 + 20 + 8 + q);
  o = B.writeEthHdr(unr, 0, MC, 0, MA, 0, 0x0800);
  o = B.writeIpv4Hdr(unr, o, 0xc0, 20 + 8 + q, 2, 0, 64, 1, A, C);
  const ic = o;
  o = B.writeIcmpHdr(unr, o, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
  B.writeBytes(unr, o, udp4, 14, q);
  B.fillIcmpChecksum(unr, ic, 8 + q);
  out.push(unr);
  // 3. TCP RST,ACK answering a SYN (seq 0, ack isn+1), as tcp_v4_send_reset
  const rst = new Uint8Array(14 + 20 + 20);
  o = B.writeEthHdr(rst, 0, MC, 0, MA, 0, 0x0800);
  o = B.writeIpv4Hdr(rst, o, 0, 40, 0, 0x4000, 64, 6, A, C);
  B.writeTcpHdr(rst, o, 81, 40000, 0, 1001, TCPHDR_RST | TCPHDR_ACK, 0);
  B.fillL4ChecksumV4(rst, o, 20, 6, A, C);
  out.push(rst);
  // 4. ICMP echo reply id 7 seq 3 with 8 bytes
  const er = new Uint8Array(14 + 20 + 16);
  o = B.writeEthHdr(er, 0, MC, 0, MA, 0, 0x0800);
  o = B.writeIpv4Hdr(er, o, 0, 36, 3, 0, 64, 1, A, C);
  B.writeIcmpHdr(er, o, ICMP_ECHOREPLY, 0, (7 << 16) | 3); er.set([9, 9, 9, 9, 9, 9, 9, 9], o + 8);
  B.fillIcmpChecksum(er, o, 16);
  out.push(er);
  // 5. ARP reply 10.0.0.1 is-at 02:..:01 to 10.0.0.2
  const ar = new Uint8Array(14 + 28);
  o = B.writeEthHdr(ar, 0, MC, 0, MA, 0, 0x0806);
  B.writeArp(ar, o, 2, MA, 0, A, MC, 0, C);
  out.push(ar);
  // 6. Neighbour advertisement fd00::1 -> fd00::2, solicited+override, target LL option
  const na = new Uint8Array(14 + 40 + 32);
  o = B.writeEthHdr(na, 0, MC, 0, MA, 0, 0x86dd);
  const ip6 = o;
  o = B.writeIpv6Hdr(na, o, 0, 0, 32, 58, 255, A6, 0, C6, 0);
  const l4 = o;
  o = B.writeIcmpv6Hdr(na, o, NDISC_NEIGHBOUR_ADVERTISEMENT, 0, (NA_FLAG_SOLICITED | NA_FLAG_OVERRIDE) << 24);
  na.set(A6, o); o += 16;
  B.writeNdOptLladdr(na, o, ND_OPT_TARGET_LL_ADDR, MA, 0);
  B.fillL4ChecksumV6(na, ip6, l4, 32, 58);
  out.push(na);
  // 7. ICMPv6 echo reply inside an 802.1Q tag (VLAN 100, PCP 3)
  const ev = new Uint8Array(18 + 40 + 12);
  o = B.writeEthHdr(ev, 0, MC, 0, MA, 0, 0x8100);
  o = B.writeVlanHdr(ev, o, (3 << 13) | 100, 0x86dd);
  const ip6b = o;
  o = B.writeIpv6Hdr(ev, o, 0, 0x12345, 12, 58, 64, A6, 0, C6, 0);
  B.writeIcmpv6Hdr(ev, o, ICMPV6_ECHO_REPLY, 0, (5 << 16) | 6); ev.set([1, 2, 3, 4], o + 8);
  B.fillL4ChecksumV6(ev, ip6b, o, 12, 58);
  out.push(ev);
  return out;
}

function pcap(fs_: Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  const h = Buffer.alloc(24); h.writeUInt32LE(0xa1b2c3d4, 0); h.writeUInt16LE(2, 4); h.writeUInt16LE(4, 6); h.writeUInt32LE(65535, 16); h.writeUInt32LE(1, 20);
  parts.push(h);
  fs_.forEach((f, i) => { const r = Buffer.alloc(16); r.writeUInt32LE(1700000000 + i, 0); r.writeUInt32LE(f.length, 8); r.writeUInt32LE(f.length, 12); parts.push(r, Buffer.from(f)); });
  return Buffer.concat(parts);
}

const haveTshark = (() => { try { execFileSync('tshark', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; } })();
if (!haveTshark) console.warn('header builders vs tshark skipped: tshark not installed');

describe('header builders', () => {
  it('produce frames our decoder finds well-formed with good checksums', () => {
    const d = new Decoded();
    for (const f of frames()) {
      decodeFrame(f, f.length, 1, d);
      expect(d.flags & 3).toBe(0);
      if (d.ipVersion === 4) expect(d.csumIp).toBe(CSUM_GOOD);
      if (d.transport_header >= 0) expect(d.csumL4).toBe(CSUM_GOOD);
    }
    const s = frames().map((f) => { decodeFrame(f, f.length, 1, d); return summarize(d); });
    expect(s).toEqual([
      'IP 10.0.0.2.5000 > 10.0.0.1.9999: UDP, length 4',
      'IP 10.0.0.1 > 10.0.0.2: ICMP 10.0.0.1 udp port 9999 unreachable, length 40',
      'IP 10.0.0.1.81 > 10.0.0.2.40000: Flags [R.], seq 0, ack 1001, win 0, length 0',
      'IP 10.0.0.1 > 10.0.0.2: ICMP echo reply, id 7, seq 3, length 16',
      'ARP, Reply 10.0.0.1 is-at 02:00:00:00:00:01, length 28',
      'IP6 fd00::1 > fd00::2: ICMP6, neighbor advertisement, tgt is fd00::1, length 32',
      'IP6 fd00::1 > fd00::2: ICMP6, echo reply, id 5, seq 6, length 12',
    ]);
  });

  it.skipIf(!haveTshark)('produce frames tshark dissects as intended, every checksum good', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dec-build-')), 'built.pcap');
    fs.writeFileSync(file, pcap(frames()));
    const out = execFileSync('tshark', ['-n', '-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
      '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=f', '-e', 'frame.protocols', '-e', 'ip.checksum.status', '-e', 'udp.checksum.status', '-e', 'tcp.checksum.status',
      '-e', 'icmp.checksum.status', '-e', 'icmpv6.checksum.status', '-e', '_ws.malformed', '-e', 'arp.opcode', '-e', 'icmpv6.nd.na.flag.s', '-e', 'icmpv6.opt.linkaddr', '-e', 'vlan.id', '-e', 'vlan.priority', '-e', 'tcp.flags'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').map((l) => l.split('|'));
    expect(out.length).toBe(7);
    const [udp, unr, rst, er, ar, na, ev] = out;
    expect(udp.slice(1, 3)).toEqual(['1', '1']);
    expect([unr[1], unr[4]]).toEqual(['1', '1']);
    expect(unr[0].startsWith('eth:ethertype:ip:icmp:ip:udp')).toBe(true);
    expect([rst[1], rst[3], rst[12]]).toEqual(['1', '1', '0x0014']);
    expect([er[1], er[4]]).toEqual(['1', '1']);
    expect(ar[7]).toBe('2');
    expect([na[5], na[8], na[9]]).toEqual(['1', '1', '02:00:00:00:00:01']);
    expect([ev[5], ev[10], ev[11]]).toEqual(['1', '100', '3']);
    // (the 4 data bytes of the UDP frames may trip tshark's application heuristics: headers only)
    for (const r of out.slice(2)) expect(r[6]).toBe('');
  });
});

// Per-protocol accessors read the recorded capture; every value is checked against tshark's
// dissection of the same file (fixtures/summary-mix.tsv, see its README), not our own output.
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCapture } from '../../src/capture/reader.js';
import { Decoded, decodeFrame, L_ARP, L_TCP, L_UDP, L_ICMP, L_ICMPV6 } from '../../src/packet/decode.js';
import * as eth from '../../src/packet/ethernet.js';
import * as arp from '../../src/packet/arp.js';
import * as ip4 from '../../src/packet/ipv4.js';
import * as ip6 from '../../src/packet/ipv6.js';
import * as icmp from '../../src/packet/icmp.js';
import * as icmp6 from '../../src/packet/icmpv6.js';
import * as tcp from '../../src/packet/tcp.js';
import * as udp from '../../src/packet/udp.js';
import * as vlan from '../../src/packet/vlan.js';
import { macToString, ipv4ToString, ipv6ToString } from '../../src/packet/addr.js';
import { CORPUS } from './corpus-compare.js';

const FIX = path.join(__dirname, 'fixtures');

function tsv(file: string): Record<string, string>[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const h = lines[0].split('\t');
  return lines.slice(1).map((l) => { const c = l.split('\t'); const r: Record<string, string> = {}; h.forEach((k, i) => { r[k] = c[i] ?? ''; }); return r; });
}
const hexn = (s: string): number => parseInt(s, 16);

describe('accessors agree with tshark on a recorded capture', () => {
  const rows = tsv(path.join(FIX, 'summary-mix.tsv'));
  const frames: { data: Uint8Array; len: number }[] = [];
  const r = openCapture(path.join(FIX, 'summary-mix.pcap'));
  for (let f = r.next(); f; f = r.next()) frames.push({ data: f.data.slice(0, f.caplen), len: f.len });
  r.close();
  const d = new Decoded();
  let checked = 0;
  const each = (fn: (b: Uint8Array, row: Record<string, string>) => void) => {
    rows.forEach((row, i) => { const fr = frames[i]; decodeFrame(fr.data, fr.data.length, 1, d, fr.len); fn(fr.data, row); });
  };

  it('has one tshark row per frame', () => { expect(rows.length).toBe(frames.length); expect(frames.length).toBe(66); });

  it('ethernet', () => each((b, row) => {
    expect(macToString(b, eth.ethSrcOff(0))).toBe(row['eth.src']);
    expect(macToString(b, eth.ethDstOff(0))).toBe(row['eth.dst']);
    expect(eth.ethProto(b, 0)).toBe(hexn(row['eth.type']));
    expect(eth.macIsBroadcast(b, 0)).toBe(row['eth.dst'] === 'ff:ff:ff:ff:ff:ff');
    expect(eth.macIsMulticast(b, 0)).toBe((parseInt(row['eth.dst'].slice(0, 2), 16) & 1) === 1);
    checked++;
  }));

  it('arp', () => each((b, row) => {
    if (!d.has(L_ARP)) return;
    const o = d.network_header;
    expect(arp.arpIsEthIp(b, o)).toBe(true);
    expect(arp.arpOp(b, o)).toBe(Number(row['arp.opcode']));
    expect(macToString(b, arp.arpShaOff(o))).toBe(row['arp.src.hw_mac']);
    expect(ipv4ToString(arp.arpSpa(b, o))).toBe(row['arp.src.proto_ipv4']);
    expect(ipv4ToString(arp.arpTpa(b, o))).toBe(row['arp.dst.proto_ipv4']);
    checked++;
  }));

  it('ipv4', () => each((b, row) => {
    if (d.ipVersion !== 4) return;
    const o = d.network_header;
    expect(ip4.ipv4HdrLen(b, o)).toBe(Number(row['ip.hdr_len']));
    expect(ip4.ipv4TotLen(b, o)).toBe(Number(row['ip.len']));
    expect(ip4.ipv4Id(b, o)).toBe(hexn(row['ip.id']));
    expect(ip4.ipv4Df(b, o)).toBe(row['ip.flags.df'] === '1');
    expect(ip4.ipv4Mf(b, o)).toBe(row['ip.flags.mf'] === '1');
    expect(ip4.ipv4FragOff(b, o) & ip4.IP_OFFSET).toBe(Number(row['ip.frag_offset']));
    expect(ip4.ipv4FragOffset(b, o)).toBe(Number(row['ip.frag_offset']) * 8);
    expect(ip4.ipv4IsFragment(b, o)).toBe(row['ip.flags.mf'] === '1' || row['ip.frag_offset'] !== '0');
    expect(ip4.ipv4Ttl(b, o)).toBe(Number(row['ip.ttl']));
    expect(ip4.ipv4Protocol(b, o)).toBe(Number(row['ip.proto']));
    expect(ip4.ipv4Check(b, o)).toBe(hexn(row['ip.checksum']));
    checked++;
  }));

  it('ipv6 and its fragment header', () => each((b, row) => {
    if (d.ipVersion !== 6) return;
    const o = d.network_header;
    expect(ip6.ipv6PayloadLen(b, o)).toBe(Number(row['ipv6.plen']));
    expect(ip6.ipv6Nexthdr(b, o)).toBe(Number(row['ipv6.nxt']));
    expect(ip6.ipv6HopLimit(b, o)).toBe(Number(row['ipv6.hlim']));
    // (an ICMPv6 error quoting a fragment shows the quoted fragment header: only our own counts)
    if (row['ipv6.fraghdr.offset'] !== '' && ip6.ipv6Nexthdr(b, o) === ip6.NEXTHDR_FRAGMENT) {
      const fo = o + 40; // the fragment header follows the fixed header in this capture
      expect(ip6.ipv6Nexthdr(b, o)).toBe(ip6.NEXTHDR_FRAGMENT);
      expect(ip6.frag6Offset(b, fo)).toBe(Number(row['ipv6.fraghdr.offset']) * 8);
      expect(ip6.frag6Mf(b, fo)).toBe(row['ipv6.fraghdr.more'] === '1');
      expect(ip6.frag6Id(b, fo)).toBe(hexn(row['ipv6.fraghdr.ident']));
    }
    checked++;
  }));

  it('icmp', () => each((b, row) => {
    if (!d.has(L_ICMP)) return;
    const o = d.transport_header;
    expect(icmp.icmpType(b, o)).toBe(Number(row['icmp.type']));
    expect(icmp.icmpCode(b, o)).toBe(Number(row['icmp.code']));
    // errors quote the offending packet: tshark's first icmp.ident may be the quoted echo's
    if (row['icmp.ident'] !== '' && !icmp.icmpIsErr(icmp.icmpType(b, o))) {
      expect(icmp.icmpEchoId(b, o)).toBe(Number(row['icmp.ident']));
      expect(icmp.icmpEchoSeq(b, o)).toBe(Number(row['icmp.seq']));
    }
    if (row['icmp.mtu'] !== '') expect(icmp.icmpMtu(b, o)).toBe(Number(row['icmp.mtu']));
    expect(icmp.icmpIsErr(icmp.icmpType(b, o))).toBe([3, 4, 5, 11, 12].includes(Number(row['icmp.type'])));
    checked++;
  }));

  it('icmpv6 and NDP', () => each((b, row) => {
    if (!d.has(L_ICMPV6)) return;
    const o = d.transport_header;
    const type = icmp6.icmpv6Type(b, o);
    expect(type).toBe(Number(row['icmpv6.type']));
    expect(icmp6.icmpv6Code(b, o)).toBe(Number(row['icmpv6.code']));
    if (row['icmpv6.echo.identifier'] !== '' && !icmp6.icmpv6IsErr(type)) {
      expect(icmp6.icmpv6EchoId(b, o)).toBe(hexn(row['icmpv6.echo.identifier']));
      expect(icmp6.icmpv6EchoSeq(b, o)).toBe(hexn(row['icmpv6.echo.sequence_number']));
    }
    if (row['icmpv6.mtu'] !== '') expect(icmp6.icmpv6Un(b, o)).toBe(Number(row['icmpv6.mtu']));
    if (row['icmpv6.nd.ns.target_address'] !== '') expect(ipv6ToString(b, icmp6.ndTargetOff(o))).toBe(row['icmpv6.nd.ns.target_address']);
    if (row['icmpv6.nd.na.target_address'] !== '') {
      expect(ipv6ToString(b, icmp6.ndTargetOff(o))).toBe(row['icmpv6.nd.na.target_address']);
      expect((icmp6.ndNaFlags(b, o) & icmp6.NA_FLAG_SOLICITED) !== 0).toBe(row['icmpv6.nd.na.flag.s'] === '1');
    }
    const opts = icmp6.ndOptsOff(type, o);
    if (opts >= 0) {
      const end = d.l3End;
      const want = type === icmp6.NDISC_NEIGHBOUR_ADVERTISEMENT ? icmp6.ND_OPT_TARGET_LL_ADDR : icmp6.ND_OPT_SOURCE_LL_ADDR;
      const at = icmp6.ndFindOpt(b, opts, end, want);
      if (row['icmpv6.opt.linkaddr'] !== '') expect(macToString(b, at + 2)).toBe(row['icmpv6.opt.linkaddr']);
      else expect(at).toBe(-1);
    }
    checked++;
  }));

  it('tcp', () => each((b, row) => {
    if (!d.has(L_TCP)) return;
    const o = d.transport_header;
    expect(tcp.tcpSource(b, o)).toBe(Number(row['tcp.srcport']));
    expect(tcp.tcpDest(b, o)).toBe(Number(row['tcp.dstport']));
    expect(tcp.tcpSeq(b, o)).toBe(Number(row['tcp.seq_raw']));
    expect(tcp.tcpAckSeq(b, o)).toBe(Number(row['tcp.ack_raw']));
    expect(tcp.tcpHdrLen(b, o)).toBe(Number(row['tcp.hdr_len']));
    expect(tcp.tcpFlags(b, o)).toBe(hexn(row['tcp.flags']) & 0x1ff);
    expect(tcp.tcpWindow(b, o)).toBe(Number(row['tcp.window_size_value']));
    expect(tcp.tcpCheck(b, o)).toBe(hexn(row['tcp.checksum']));
    const mss = tcp.tcpFindOpt(b, o, tcp.TCPOPT_MSS);
    if (row['tcp.options.mss_val'] !== '') expect((b[mss + 2] << 8) | b[mss + 3]).toBe(Number(row['tcp.options.mss_val']));
    else expect(mss).toBe(-1);
    const ws = tcp.tcpFindOpt(b, o, tcp.TCPOPT_WINDOW);
    if (row['tcp.options.wscale.shift'] !== '') expect(b[ws + 2]).toBe(Number(row['tcp.options.wscale.shift']));
    const ts = tcp.tcpFindOpt(b, o, tcp.TCPOPT_TIMESTAMP);
    if (row['tcp.options.timestamp.tsval'] !== '') expect(((b[ts + 2] << 24) | (b[ts + 3] << 16) | (b[ts + 4] << 8) | b[ts + 5]) >>> 0).toBe(Number(row['tcp.options.timestamp.tsval']));
    checked++;
  }));

  it('udp', () => each((b, row) => {
    if (!d.has(L_UDP)) return;
    const o = d.transport_header;
    expect(udp.udpSource(b, o)).toBe(Number(row['udp.srcport']));
    expect(udp.udpDest(b, o)).toBe(Number(row['udp.dstport']));
    expect(udp.udpLen(b, o)).toBe(Number(row['udp.length']));
    expect(udp.udpCheck(b, o)).toBe(hexn(row['udp.checksum']));
    checked++;
  }));

  it('covered every protocol', () => { expect(checked).toBeGreaterThan(150); });
});

if (!fs.existsSync(CORPUS)) console.warn(`vlan accessors vs tshark skipped: corpus not found at ${CORPUS}`);
describe.skipIf(!fs.existsSync(CORPUS))('vlan accessors agree with tshark (corpus QinQ and 802.1Q files)', () => {
  for (const f of ['zeek/http-qinq-0.pcap', 'zeek/icmp_dot1q.pcap']) it(f, () => {
    const rows = tsv(path.join(CORPUS, 'ref', f + '.tsv'));
    const r = openCapture(path.join(CORPUS, f));
    let i = 0;
    for (let fr = r.next(); fr; fr = r.next(), i++) {
      const ids = rows[i]['vlan.id'].split(',').map(Number);
      const etypes = rows[i]['vlan.etype'].split(',').map(hexn);
      let o = 14;
      expect(vlan.ethTypeVlan(eth.ethProto(fr.data, 0))).toBe(true);
      ids.forEach((id, k) => {
        expect(vlan.vlanId(fr.data, o)).toBe(id);
        expect(vlan.vlanEncapProto(fr.data, o)).toBe(etypes[k]);
        o += vlan.VLAN_HLEN;
      });
    }
    r.close();
    expect(i).toBe(rows.length);
  });
});

describe('setters', () => {
  it('write what the getters read back, and nothing past the buffer', () => {
    const b = new Uint8Array(60);
    ip4.ipv4SetVersionIhl(b, 14, 5); ip4.ipv4SetTtl(b, 14, 7); ip4.ipv4SetSaddr(b, 14, 0xc0a80001); ip4.ipv4SetDaddr(b, 14, 0x0a000001);
    ip4.ipv4SetFragOff(b, 14, ip4.IP_DF | 3); ip4.ipv4SetTotLen(b, 14, 46);
    expect([ip4.ipv4Ttl(b, 14), ip4.ipv4Saddr(b, 14), ip4.ipv4Daddr(b, 14), ip4.ipv4Df(b, 14), ip4.ipv4FragOffset(b, 14), ip4.ipv4TotLen(b, 14)])
      .toEqual([7, 0xc0a80001, 0x0a000001, true, 24, 46]);
    tcp.tcpSetSource(b, 34, 443); tcp.tcpSetSeq(b, 34, 0xfffffffe); tcp.tcpSetDoff(b, 34, 5); tcp.tcpSetFlagByte(b, 34, tcp.TCPHDR_SYN | tcp.TCPHDR_ACK);
    expect([tcp.tcpSource(b, 34), tcp.tcpSeq(b, 34), tcp.tcpHdrLen(b, 34), tcp.tcpFlagLetters(tcp.tcpFlags(b, 34))]).toEqual([443, 0xfffffffe, 20, 'S.']);
    const mac = Uint8Array.from([2, 0, 0, 0, 0, 9]);
    eth.ethSetDst(b, 0, mac); eth.ethSetProto(b, 0, eth.ETH_P_IP);
    expect(macToString(b, 0)).toBe('02:00:00:00:00:09');
    expect(eth.ethProto(b, 0)).toBe(0x0800);
    const small = new Uint8Array(4);
    expect(() => { ip4.ipv4SetDaddr(small, 0, 1); tcp.tcpSetSeq(small, 2, 5); }).not.toThrow();
    expect(ip4.ipv4Daddr(small, 0)).toBe(0); // reads past the end are 0, never a throw
  });
  it('tcpdump flag letters follow tcpdump\'s table order', () => {
    // print-tcp.c tcp_flag_values order: F S R P . U E W ("FP." as tcpdump prints FIN+PSH+ACK)
    expect(tcp.tcpFlagLetters(tcp.TCPHDR_FIN | tcp.TCPHDR_PSH | tcp.TCPHDR_ACK)).toBe('FP.');
    expect(tcp.tcpFlagLetters(0)).toBe('none');
    expect(tcp.tcpFlagLetters(tcp.TCPHDR_SYN | tcp.TCPHDR_ECE | tcp.TCPHDR_CWR)).toBe('SEW');
  });
});

describe('IPv4 options (RFC 791 layout: type, length, data; EOL 0, NOP 1)', () => {
  const hdr = (opts: number[]) => {
    const b = new Uint8Array(20 + opts.length);
    b[0] = 0x40 | ((20 + opts.length) >> 2);
    b.set(opts, 20);
    return b;
  };
  it('finds Router Alert after a NOP and stops at EOL', () => {
    // NOP, Router Alert (148, len 4, value 0), EOL padding to a 32-bit boundary
    const b = hdr([1, 148, 4, 0, 0, 0, 0, 0]);
    expect(ip4.ipv4FindOpt(b, 0, ip4.IPOPT_RA)).toBe(21);
    expect(ip4.ipv4FindOpt(b, 0, ip4.IPOPT_LSRR)).toBe(-1);
    expect(ip4.ipv4OptionsValid(b, 0)).toBe(true);
  });
  it('rejects an option length below 2 or past the header', () => {
    expect(ip4.ipv4OptionsValid(hdr([7, 1, 0, 0]), 0)).toBe(false); // RR with length 1
    expect(ip4.ipv4OptionsValid(hdr([7, 39, 4, 0]), 0)).toBe(false); // RR claiming 39 bytes in a 4-byte option space
    expect(ip4.ipv4OptionsValid(hdr([1, 1, 1, 148]), 0)).toBe(false); // type byte without a length at the end
    expect(ip4.ipv4OptionsValid(hdr([]), 0)).toBe(true);
  });
});

describe('802.3 length frames get skb->protocol as eth_type_trans() sets it (net/ethernet/eth.c)', () => {
  const frame = (payload: number[]) => {
    const b = new Uint8Array(60);
    b.set([0x01, 0x80, 0xc2, 0, 0, 0, 2, 0, 0, 0, 0, 1], 0);
    b[12] = 0; b[13] = payload.length;
    b.set(payload, 14);
    return b;
  };
  it('LLC (STP BPDU, DSAP/SSAP 0x42) is ETH_P_802_2', () => {
    const d = new Decoded();
    decodeFrame(frame([0x42, 0x42, 0x03, 0, 0]), 60, 1, d);
    expect(d.protocol).toBe(eth.ETH_P_802_2);
    expect(d.layerNames()).toEqual(['eth', 'llc']);
    expect(d.network_header).toBe(14);
  });
  it('raw 802.3 (Novell IPX, first bytes 0xffff) is ETH_P_802_3', () => {
    const d = new Decoded();
    decodeFrame(frame([0xff, 0xff, 0, 30]), 60, 1, d);
    expect(d.protocol).toBe(eth.ETH_P_802_3);
  });
});

// Shared by the conformance test: decode every frame of a corpus file and compare with the
// tshark reference row (first occurrence of each column, see corpus README).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCapture, CaptureError } from '../../src/capture/reader.js';
import { Decoded, decodeFrame, CSUM_GOOD, CSUM_BAD, CSUM_UNVERIFIED, CSUM_NONE, L_TCP, L_UDP, L_ICMP, L_ICMPV6 } from '../../src/packet/decode.js';
import { ipv4BytesToString, ipv6ToString } from '../../src/packet/addr.js';

import { CORPUS } from '../corpus-path.js';
export { CORPUS };

export interface Disagreement { file: string; frame: number; field: string; ours: string; theirs: string }
export interface FileResult { frames: number; compared: number; fields: number; agree: number; disagreements: Disagreement[]; error: string | null }

function first(v: string | undefined): string { return v === undefined || v === '' ? '' : v.split(',')[0]; }
const CS = (c: number): string => (c === CSUM_GOOD ? '1' : c === CSUM_BAD ? '0' : c === CSUM_UNVERIFIED ? '2' : '');
/** tshark 2 (not verified) and 3 (not present) both mean "unverified" to us */
const TS = (v: string): string => (v === '3' ? '2' : v);

export function compareFile(rel: string): FileResult {
  const refPath = path.join(CORPUS, 'ref', rel + '.tsv');
  // tshark numbers pcapng Custom Blocks as frames too: match packets by their order instead
  const rows = new Map<number, Record<string, string>>();
  let pk = 0;
  if (fs.existsSync(refPath)) {
    const lines = fs.readFileSync(refPath, 'utf8').split('\n');
    const hdr = lines[0].split('\t');
    for (let i = 1; i < lines.length; i++) {
      if (lines[i] === '') continue;
      const cols = lines[i].split('\t');
      const r: Record<string, string> = {};
      hdr.forEach((h, j) => { r[h] = cols[j] ?? ''; });
      if (r['frame.encap_type'] === '') continue;
      rows.set(++pk, r);
    }
  }
  const res: FileResult = { frames: 0, compared: 0, fields: 0, agree: 0, disagreements: [], error: null };
  const d = new Decoded();
  let reader;
  try { reader = openCapture(path.join(CORPUS, rel)); } catch (e) { if (!(e instanceof CaptureError)) throw e; res.error = e.message; return res; }
  let n = 0;
  try {
    for (;;) {
      const f = reader.next();
      if (!f) break;
      n++;
      decodeFrame(f.data, f.caplen, f.iface.linktype, d, f.len);
      const r = rows.get(n);
      if (!r) continue;
      res.compared++;
      const cmp = (field: string, ours: string, theirs: string): void => {
        if (ours === '' && theirs === '') return;
        res.fields++;
        if (ours === theirs) res.agree++;
        else res.disagreements.push({ file: rel, frame: n, field, ours, theirs });
      };
      const b = f.data;
      if (d.ipVersion === 4 && d.srcOff >= 0) {
        cmp('src', ipv4BytesToString(b, d.srcOff), first(r['ip.src']));
        cmp('dst', d.dstOff >= 0 ? ipv4BytesToString(b, d.dstOff) : '', first(r['ip.dst']));
        cmp('proto', d.proto >= 0 ? String(d.proto) : '', first(r['ip.proto']));
        cmp('ttl', d.ttl >= 0 ? String(d.ttl) : '', first(r['ip.ttl']));
        cmp('ip_csum', CS(d.csumIp), TS(first(r['ip.checksum.status'])));
      } else if (d.ipVersion === 6 && d.srcOff >= 0) {
        cmp('src', ipv6ToString(b, d.srcOff), first(r['ipv6.src']));
        cmp('dst', d.dstOff >= 0 ? ipv6ToString(b, d.dstOff) : '', first(r['ipv6.dst']));
        cmp('proto', d.nexthdr0 >= 0 ? String(d.nexthdr0) : '', first(r['ipv6.nxt']));
        cmp('ttl', d.ttl >= 0 ? String(d.ttl) : '', first(r['ipv6.hlim']));
      } else {
        // no IP decoded: tshark must not have found one either (unless listed)
        cmp('src', '', first(r['ip.src']) || first(r['ipv6.src']));
      }
      const tcp = d.has(L_TCP) && d.sport >= 0, udp = d.has(L_UDP) && d.sport >= 0;
      cmp('tcp_sport', tcp ? String(d.sport) : '', first(r['tcp.srcport']));
      cmp('tcp_dport', tcp ? String(d.dport) : '', first(r['tcp.dstport']));
      cmp('tcp_flags', tcp && d.transport_header + 14 <= d.caplen ? String(d.tcpFlags) : '', r['tcp.flags'] ? String(parseInt(first(r['tcp.flags']), 16) & 0x1ff) : '');
      cmp('udp_sport', udp ? String(d.sport) : '', first(r['udp.srcport']));
      cmp('udp_dport', udp ? String(d.dport) : '', first(r['udp.dstport']));
      if (tcp) cmp('tcp_csum', CS(d.csumL4), TS(first(r['tcp.checksum.status'])));
      if (udp) cmp('udp_csum', CS(d.csumL4), TS(first(r['udp.checksum.status'])));
      // further columns of the reference: VLAN ids, ARP opcode, IPv4 id / fragment offset,
      // ICMP type/code, TCP seq/ack/header length/data length, UDP length
      // tshark's vlan.id covers 802.1Q (0x8100) tags; 802.1ad tags are ieee8021ad.id (not in the ref)
      const ids: string[] = [];
      for (let i = 0; i < d.nvlan; i++) if (d.vlanTpid[i] === 0x8100) ids.push(String(d.vlanTci[i] & 0xfff));
      cmp('vlan_id', ids.join(','), r['vlan.id'] ?? '');
      // ATM ARP (hardware type 19) is tshark's atmarp, whose opcode is not arp.opcode
      if (d.arpOp >= 0 && u16(b, d.network_header) !== 19) cmp('arp_op', String(d.arpOp), first(r['arp.opcode']));
      if (d.ipVersion === 4 && d.dstOff >= 0 && d.csumIp !== CSUM_NONE) {
        cmp('ip_id', String(d.ipId), String(parseInt(first(r['ip.id']), 16)));
        cmp('ip_frag_offset', String(d.fragOffset >> 3), first(r['ip.frag_offset']));
      }
      if (d.has(L_ICMP) && d.icmpType >= 0) { cmp('icmp_type', String(d.icmpType), first(r['icmp.type'])); cmp('icmp_code', String(d.icmpCode), first(r['icmp.code'])); }
      if (d.has(L_ICMPV6) && d.icmpType >= 0) { cmp('icmpv6_type', String(d.icmpType), first(r['icmpv6.type'])); cmp('icmpv6_code', String(d.icmpCode), first(r['icmpv6.code'])); }
      if (tcp && d.payload >= 0) {
        cmp('tcp_seq', String(d.tcpSeq), first(r['tcp.seq_raw']));
        cmp('tcp_ack', String(d.tcpAck), first(r['tcp.ack_raw']));
        cmp('tcp_hdr_len', String(d.tcpHdrLen), first(r['tcp.hdr_len']));
        cmp('tcp_len', String(d.l4PayloadLen), first(r['tcp.len']));
      }
      if (udp && d.udpLen > 0) cmp('udp_length', String(d.udpLen), first(r['udp.length']));
      if (d.has(L_ICMP) && d.icmpType >= 0) cmp('icmp_csum', CS(d.csumL4), TS(first(r['icmp.checksum.status'])));
      if (d.has(L_ICMPV6) && d.icmpType >= 0) cmp('icmpv6_csum', CS(d.csumL4), TS(first(r['icmpv6.checksum.status'])));
    }
  } catch (e) {
    // only the reader may fail (damaged container); a decoder exception is a bug
    if (!(e instanceof CaptureError)) throw e;
    res.error = e.message;
  } finally {
    reader.close();
  }
  res.frames = n;
  void CSUM_NONE;
  return res;
}

function u16(b: Uint8Array, o: number): number { return (b[o] << 8) | b[o + 1]; }

export function manifest(): { file: string; expect: string }[] {
  return fs.readFileSync(path.join(CORPUS, 'manifest.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

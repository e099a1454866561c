// Deterministic "ordinary traffic" capture for the CLI bench (issue 13): what a user captures on a
// router's inside interface. A few long conversations, not one per frame: 64 TCP flows (a quarter
// over IPv6) each opened by a SYN and then carrying data segments with ACK and timestamps, 16 UDP
// flows (a quarter IPv6), a little ICMP echo. Every frame is addressed to the bench router's eth0
// (02:00:00:00:00:01) from 10.0.1.0/24 or 2001:db8:0:1::/64 to 10.0.2.1 / 2001:db8:0:2::1 behind
// eth1, so the router snapshot of replay-bench.ts forwards every one. Ports have no tcpdump
// printer (443 TCP, 9000 UDP), so `tcpdump -nn` prints the plain TCP/UDP line, as pktlife does.
import { fold, mulberry32, sum16, writeGeneratedPcap } from './gen-capture.js';

const TCP = 6, UDP = 17, ICMP = 1, ICMPV6 = 58;
const TCP_FLOWS = 64, UDP_FLOWS = 16;

interface Flow {
  proto: number;
  v6: boolean;
  host: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  started: boolean;
  ipid: number;
}

function flows(rnd: () => number): Flow[] {
  const out: Flow[] = [];
  for (let i = 0; i < TCP_FLOWS; i++) out.push({ proto: TCP, v6: i % 4 === 3, host: 1 + i, sport: 40000 + i * 37, dport: 443, seq: Math.floor(rnd() * 2 ** 32), ack: Math.floor(rnd() * 2 ** 32), started: false, ipid: Math.floor(rnd() * 65536) });
  for (let i = 0; i < UDP_FLOWS; i++) out.push({ proto: UDP, v6: i % 4 === 1, host: 100 + i, sport: 50000 + i, dport: 9000, seq: 0, ack: 0, started: true, ipid: Math.floor(rnd() * 65536) });
  return out;
}

/** one frame of flow `fl` into b at 0; returns its length */
function build(b: Uint8Array, fl: Flow, rnd: () => number, k: number, icmp: boolean): number {
  const dv = new DataView(b.buffer, b.byteOffset);
  const v6 = fl.v6;
  const proto = icmp ? (v6 ? ICMPV6 : ICMP) : fl.proto;
  b.set([0x02, 0, 0, 0, 0, 0x01], 0);
  b.set([0x02, 0, 0, 0, 0x10, fl.host & 0xff], 6);
  dv.setUint16(12, v6 ? 0x86dd : 0x0800);
  const ip = 14;
  const iphdr = v6 ? 40 : 20;
  const l4 = ip + iphdr;
  let l4hdr = 8;
  let pay: number;
  let syn = false;
  if (proto === TCP) {
    syn = !fl.started;
    l4hdr = syn ? 40 : 32;
    // bulk data mostly full-size, some short writes and pure ACKs
    const r = rnd();
    pay = syn ? 0 : r < 0.2 ? 0 : r < 0.85 ? 1448 - (v6 ? 20 : 0) : Math.floor(rnd() * 1400);
  } else if (proto === UDP) {
    pay = 160 + Math.floor(rnd() * 1000);
  } else {
    pay = 56;
  }
  const l4len = l4hdr + pay;
  if (v6) {
    dv.setUint32(ip, 0x60000000 | (fl.host * 2654435761) & 0xfffff);
    dv.setUint16(ip + 4, l4len);
    b[ip + 6] = proto;
    b[ip + 7] = 64;
    b.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, fl.host], ip + 8);
    b.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1], ip + 24);
  } else {
    b[ip] = 0x45;
    b[ip + 1] = 0;
    dv.setUint16(ip + 2, iphdr + l4len);
    fl.ipid = (fl.ipid + 1) & 0xffff;
    dv.setUint16(ip + 4, fl.ipid);
    dv.setUint16(ip + 6, 0x4000);
    b[ip + 8] = 64;
    b[ip + 9] = proto;
    dv.setUint16(ip + 10, 0);
    b.set([10, 0, 1, fl.host], ip + 12);
    b.set([10, 0, 2, 1], ip + 16);
    dv.setUint16(ip + 10, fold(sum16(b, ip, ip + 20, 0)));
  }
  for (let i = l4 + l4hdr; i < l4 + l4len; i++) b[i] = (i * 131 + k) & 0xff;
  if (proto === TCP) {
    dv.setUint16(l4, fl.sport);
    dv.setUint16(l4 + 2, fl.dport);
    dv.setUint32(l4 + 4, fl.seq >>> 0);
    dv.setUint32(l4 + 8, syn ? 0 : fl.ack >>> 0);
    b[l4 + 12] = (l4hdr / 4) << 4;
    b[l4 + 13] = syn ? 0x02 : pay === 0 ? 0x10 : 0x18;
    dv.setUint16(l4 + 14, 502);
    dv.setUint32(l4 + 16, 0);
    if (syn) b.set([2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7], l4 + 20); // mss sackOK TS nop wscale
    else b.set([1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0], l4 + 20); // nop nop TS
    dv.setUint32(l4 + (syn ? 28 : 24), (1000 + k) >>> 0);
    dv.setUint32(l4 + (syn ? 32 : 28), syn ? 0 : (500 + (k >> 1)) >>> 0);
    fl.seq = (fl.seq + pay + (syn ? 1 : 0)) >>> 0;
    if (!syn) fl.ack = (fl.ack + (rnd() < 0.1 ? 40 : 0)) >>> 0;
    else {
      fl.started = true;
      fl.ack = (fl.ack + 1) >>> 0;
    }
  } else if (proto === UDP) {
    dv.setUint16(l4, fl.sport);
    dv.setUint16(l4 + 2, fl.dport);
    dv.setUint16(l4 + 4, l4len);
    dv.setUint16(l4 + 6, 0);
  } else {
    b[l4] = v6 ? 128 : 8;
    b[l4 + 1] = 0;
    dv.setUint16(l4 + 2, 0);
    dv.setUint16(l4 + 4, fl.host);
    dv.setUint16(l4 + 6, k & 0xffff);
  }
  const csumAt = proto === TCP ? l4 + 16 : proto === UDP ? l4 + 6 : l4 + 2;
  let s = 0;
  if (v6) s = sum16(b, ip + 8, ip + 40, 0) + l4len + proto;
  else if (proto !== ICMP) s = sum16(b, ip + 12, ip + 20, 0) + l4len + proto;
  s = sum16(b, l4, l4 + l4len, s);
  let c = fold(s);
  if (proto === UDP && c === 0) c = 0xffff;
  dv.setUint16(csumAt, c);
  return l4 + l4len;
}

/** Writes a little-endian usec pcap of `frames` frames of ordinary traffic; returns its size in bytes. */
export function generateOrdinaryPcap(file: string, frames: number, seed = 13): number {
  const rnd = mulberry32(seed);
  const fl = flows(rnd);
  const frame = (buf: Buffer, k: number): number => {
    // the first frames open every TCP flow in turn; then flows by weight: TCP 75%, UDP 22%, ICMP 3%
    let f: Flow;
    let icmp = false;
    if (k < TCP_FLOWS) f = fl[k]!;
    else {
      const r = rnd();
      if (r < 0.75) f = fl[Math.floor(rnd() * TCP_FLOWS)]!;
      else if (r < 0.97) f = fl[TCP_FLOWS + Math.floor(rnd() * UDP_FLOWS)]!;
      else {
        f = fl[TCP_FLOWS + Math.floor(rnd() * UDP_FLOWS)]!;
        icmp = true;
      }
    }
    return build(buf, f, rnd, k, icmp);
  };
  return writeGeneratedPcap(file, frames, 1_763_100_000, frame, () => 1 + Math.floor(rnd() * 30));
}

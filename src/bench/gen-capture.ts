// Deterministic synthetic capture for the benchmark: Ethernet frames carrying IPv4/IPv6
// TCP/UDP/ICMP with correct checksums, sizes from small ACKs to full MTU, seeded PRNG.
import * as fs from 'node:fs';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** one's-complement sum of b[from, to) added to `sum` (not folded) */
export function sum16(b: Uint8Array, from: number, to: number, sum: number): number {
  let i = from;
  for (; i + 1 < to; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i < to) sum += b[i]! << 8;
  return sum;
}
export function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return ~s & 0xffff;
}

const IPPROTO_ICMP = 1, IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_ICMPV6 = 58;

/** Builds one frame into `b` at 0; returns its length. */
function buildFrame(b: Uint8Array, rnd: () => number, k: number): number {
  const v6 = rnd() < 0.3;
  const pr = rnd();
  const proto = pr < 0.6 ? IPPROTO_TCP : pr < 0.9 ? IPPROTO_UDP : v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
  // size mix: many small (ACKs/DNS), many full-size, some in between; mean ~ 520 bytes
  const sr = rnd();
  const l4hdr = proto === IPPROTO_TCP ? 32 : 8;
  const iphdr = v6 ? 40 : 20;
  const maxPay = 1500 - iphdr - l4hdr;
  const pay = sr < 0.5 ? Math.floor(rnd() * 40) : sr < 0.82 ? maxPay : Math.floor(rnd() * maxPay);
  const dv = new DataView(b.buffer, b.byteOffset);
  // Ethernet
  b.set([0x02, 0x00, 0x00, 0x00, 0x00, 1 + (k & 7)], 0);
  b.set([0x02, 0x00, 0x00, 0x00, 0x01, 1 + ((k >> 3) & 7)], 6);
  dv.setUint16(12, v6 ? 0x86dd : 0x0800);
  const ip = 14;
  const l4 = ip + iphdr;
  const l4len = l4hdr + pay;
  const host = 1 + Math.floor(rnd() * 200);
  if (v6) {
    dv.setUint32(ip, 0x60000000 | Math.floor(rnd() * 0xfffff));
    dv.setUint16(ip + 4, l4len);
    b[ip + 6] = proto;
    b[ip + 7] = 64;
    b.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, host], ip + 8);
    b.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1], ip + 24);
  } else {
    b[ip] = 0x45;
    b[ip + 1] = 0;
    dv.setUint16(ip + 2, iphdr + l4len);
    dv.setUint16(ip + 4, k & 0xffff);
    dv.setUint16(ip + 6, 0x4000);
    b[ip + 8] = 64 - (k % 3);
    b[ip + 9] = proto;
    dv.setUint16(ip + 10, 0);
    b.set([10, 0, 1, host], ip + 12);
    b.set([10, 0, 2, 1], ip + 16);
    dv.setUint16(ip + 10, fold(sum16(b, ip, ip + 20, 0)));
  }
  // transport header + payload
  for (let i = l4 + l4hdr; i < l4 + l4len; i++) b[i] = (i * 131 + k) & 0xff;
  if (proto === IPPROTO_TCP) {
    dv.setUint16(l4, 1024 + (host * 7) % 60000);
    dv.setUint16(l4 + 2, 40000 + ((k * 13) & 4095)); // high ports: payload is opaque data, no app dissector
    dv.setUint32(l4 + 4, (k * 1448) >>> 0);
    dv.setUint32(l4 + 8, (k * 7) >>> 0);
    b[l4 + 12] = 8 << 4; // 32-byte header: NOP NOP TS
    b[l4 + 13] = pay === 0 ? 0x10 : 0x18;
    dv.setUint16(l4 + 14, 64240);
    dv.setUint32(l4 + 16, 0);
    b.set([1, 1, 8, 10], l4 + 20);
    dv.setUint32(l4 + 24, k >>> 0);
    dv.setUint32(l4 + 28, 0);
  } else if (proto === IPPROTO_UDP) {
    dv.setUint16(l4, 30000 + (host % 1000));
    dv.setUint16(l4 + 2, 45000 + ((k * 7) & 4095));
    dv.setUint16(l4 + 4, l4len);
    dv.setUint16(l4 + 6, 0);
  } else {
    b[l4] = v6 ? 128 : 8; // echo request
    b[l4 + 1] = 0;
    dv.setUint16(l4 + 2, 0);
    dv.setUint16(l4 + 4, host);
    dv.setUint16(l4 + 6, k & 0xffff);
  }
  const csumAt = proto === IPPROTO_TCP ? l4 + 16 : proto === IPPROTO_UDP ? l4 + 6 : l4 + 2;
  let s = 0;
  if (v6) {
    s = sum16(b, ip + 8, ip + 40, 0) + l4len + proto;
  } else if (proto !== IPPROTO_ICMP) {
    s = sum16(b, ip + 12, ip + 20, 0) + l4len + proto;
  }
  s = sum16(b, l4, l4 + l4len, s);
  let c = fold(s);
  if (proto === IPPROTO_UDP && c === 0) c = 0xffff;
  dv.setUint16(csumAt, c);
  return l4 + l4len;
}

/**
 * Writes a little-endian usec Ethernet pcap of `frames` frames through a 4 MiB chunk (renamed into
 * place when complete); `build(buf, k)` writes frame k at buf[0] and returns its length, `gapUsec()`
 * the time to the next frame (called after build, so a generator's random sequence is its own).
 * Returns the file's size in bytes.
 */
export function writeGeneratedPcap(
  file: string,
  frames: number,
  startSec: number,
  build: (buf: Buffer, k: number) => number,
  gapUsec: () => number,
): number {
  const fd = fs.openSync(file + '.tmp', 'w');
  const CH = 4 << 20;
  const out = Buffer.allocUnsafe(CH + 2048);
  out.writeUInt32LE(0xa1b2c3d4, 0);
  out.writeUInt16LE(2, 4);
  out.writeUInt16LE(4, 6);
  out.writeInt32LE(0, 8);
  out.writeUInt32LE(0, 12);
  out.writeUInt32LE(262144, 16);
  out.writeUInt32LE(1, 20);
  let n = 24;
  let total = 0;
  let sec = startSec;
  let usec = 0;
  for (let k = 0; k < frames; k++) {
    const len = build(out.subarray(n + 16), k);
    usec += gapUsec();
    if (usec >= 1e6) {
      sec++;
      usec -= 1e6;
    }
    out.writeUInt32LE(sec, n);
    out.writeUInt32LE(usec, n + 4);
    out.writeUInt32LE(len, n + 8);
    out.writeUInt32LE(len, n + 12);
    n += 16 + len;
    if (n >= CH) {
      fs.writeSync(fd, out, 0, n);
      total += n;
      n = 0;
    }
  }
  fs.writeSync(fd, out, 0, n);
  total += n;
  fs.closeSync(fd);
  fs.renameSync(file + '.tmp', file);
  return total;
}

/** Writes a little-endian usec pcap of `frames` frames; returns its size in bytes. */
export function generateBenchPcap(file: string, frames: number, seed = 1): number {
  const rnd = mulberry32(seed);
  return writeGeneratedPcap(file, frames, 1_763_000_000, (buf, k) => buildFrame(buf, rnd, k), () => 1 + Math.floor(rnd() * 40));
}

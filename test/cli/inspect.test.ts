import { describe, it, expect } from 'vitest';
import { CORPUS } from '../corpus-path.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runInspect } from '../../src/cli/inspect.js';

const MIX = path.join(__dirname, '../packet/fixtures/summary-mix.pcap');

function run(file: string, opts: { format: string; iface?: string; link?: boolean }) {
  let out = '', err = '';
  const status = runInspect(file, opts, (s) => { out += s; }, (s) => { err += s; });
  return { status, out, err, lines: out.split('\n').filter(Boolean) };
}

describe('pktlife inspect', () => {
  it('ndjson: one object per frame with the documented keys', () => {
    const r = run(MIX, { format: 'ndjson' });
    expect(r.status).toBe(0);
    expect(r.err).toBe('');
    const objs = r.lines.map((l) => JSON.parse(l));
    // tcpdump -r on this file and tshark list 66 frames in this file
    expect(objs.length).toBe(66);
    objs.forEach((o, i) => {
      expect(o.frame).toBe(i + 1);
      expect(o.ts).toMatch(/^\d+\.\d{9}$/);
      expect(o.linktype).toBe('EN10MB');
      expect(o.iface).toBeNull(); // classic pcap has no interface name
      expect(o.caplen).toBeLessThanOrEqual(o.len);
      expect(Array.isArray(o.layers)).toBe(true);
    });
    const syn = objs.find((o) => o.tcp_flags === 'S' && o.dport === 8080);
    expect(syn).toMatchObject({ layers: ['eth', 'ipv4', 'tcp'], src: '10.30.1.2', dst: '10.30.2.2', proto: 6, ttl: 64 });
    // captured on the sender, which leaves TCP checksums to the (veth) offload: tshark also
    // reports tcp.checksum.status 0 (bad) for this SYN
    expect(syn.checksums).toEqual({ ip: 'good', l4: 'bad' });
    // the RST the kernel built in software is complete: tshark says good (status 1)
    const rst = objs.find((o) => o.tcp_flags === 'R.' && o.src === '10.30.2.2');
    expect(rst.checksums).toEqual({ ip: 'good', l4: 'good' });
    const ns6 = objs.find((o) => o.layers.includes('icmpv6') && o.icmp_type === 135);
    expect(ns6.ttl).toBe(255); // NDP hop limit
    const frag = objs.filter((o) => o.layers.join() === 'eth,ipv4' && o.proto === 17);
    expect(frag.length).toBe(2); // the two non-first fragments of the 3000-byte UDP datagram
  });

  it('text: tcpdump -nn lines with UTC time of day', () => {
    const r = run(MIX, { format: 'text' });
    expect(r.status).toBe(0);
    expect(r.lines.length).toBe(66);
    expect(r.lines.every((l) => /^\d\d:\d\d:\d\d\.\d{6} /.test(l))).toBe(true);
    expect(r.lines.some((l) => l.includes('ARP, Request who-has 10.30.1.1 tell 10.30.1.2, length 28'))).toBe(true);
  });

  it('exits 2 after printing the good frames when the file is cut inside a record', () => {
    const buf = fs.readFileSync(MIX);
    // cut 10 bytes into the 6th record: walk the pcap record headers (24-byte file header, 16-byte records)
    let off = 24;
    for (let i = 0; i < 5; i++) off += 16 + buf.readUInt32LE(off + 8);
    const cut = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dec-inspect-')), 'cut.pcap');
    fs.writeFileSync(cut, buf.subarray(0, off + 10));
    const r = run(cut, { format: 'ndjson' });
    expect(r.status).toBe(2);
    expect(r.lines.length).toBe(5);
    expect(r.err).toContain(cut);
    expect(r.err).toMatch(/offset \d+/);
  });

  it('exits 2 with a clear error for a file that is not a capture', () => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dec-inspect-')), 'x.pcap');
    fs.writeFileSync(f, 'hello, this is not a capture file at all');
    const r = run(f, { format: 'text' });
    expect(r.status).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(f);
  });

  it('--iface keeps only that interface and rejects an unknown name', () => {
    // the bundled capture (in the repository, so never missing): resolved from this file, not the cwd
    const basic = path.resolve(__dirname, '../../captures/basic.pcapng');
    const all = run(basic, { format: 'ndjson' }).lines.map((l) => JSON.parse(l));
    const name = all[0].iface as string;
    const some = run(basic, { format: 'ndjson', iface: name }).lines.map((l) => JSON.parse(l));
    expect(some.length).toBe(all.filter((o) => o.iface === name).length);
    expect(some.every((o) => o.iface === name)).toBe(true);
    const none = run(basic, { format: 'ndjson', iface: 'no-such-if' });
    expect(none.status).toBe(1);
    expect(none.err).toContain('no-such-if');
  });
});

if (!fs.existsSync(path.join(CORPUS, 'manifest.jsonl'))) console.warn(`pktlife inspect over the corpus skipped: corpus not found at ${CORPUS}`);
describe.skipIf(!fs.existsSync(path.join(CORPUS, 'manifest.jsonl')))('pktlife inspect over the corpus', () => {
  it('exit status and frame count follow the manifest (tshark) for every file', () => {
    const root = CORPUS;
    const rows = fs.readFileSync(path.join(root, 'manifest.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const bad: string[] = [];
    for (const m of rows) {
      const r = run(path.join(root, m.file), { format: 'ndjson' });
      const n = r.lines.length;
      for (const l of r.lines) JSON.parse(l); // every line is valid JSON
      const want = m.expect === 'read_unsupported_linktype' ? m.struct.records : m.frames;
      if (m.expect === 'read' || m.expect === 'read_unsupported_linktype') {
        // libpcap rejects some files tshark reads (expect_alt: error): either answer is fine
        if (!(r.status === 0 && n === want) && !(m.expect_alt === 'error' && r.status === 2)) bad.push(`${m.file}: status ${r.status}, ${n} frames, want 0 and ${want} ${r.err}`);
      } else if (m.expect === 'partial') {
        if (r.status !== 2 || n > m.frames || r.err === '') bad.push(`${m.file}: status ${r.status}, ${n} frames (tshark ${m.frames})`);
      } else if (m.expect === 'error') {
        if (r.status !== 2 || !r.err.includes(m.file.split('/').pop())) bad.push(`${m.file}: status ${r.status}: ${r.err}`);
      }
    }
    expect(bad).toEqual([]);
    expect(rows.length).toBe(310);
  });
});

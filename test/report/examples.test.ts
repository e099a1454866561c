// The README's walk-through case is kept as a real golden case: if the model changes what
// happens to the bundled capture, this fails with the per-frame diff (then review it and run
// `pktlife test examples --update`).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCases, formatResults, runCase } from '../../src/report/golden.js';
import { parseGolden } from '../../src/report/compare.js';

const ROOT = path.resolve(__dirname, '../..');

describe('golden cases in examples/', () => {
  const cases = findCases([path.join(ROOT, 'examples')]);
  it('finds the walk-through case', () => expect(cases.map((c) => path.basename(c))).toContain('firewall-review'));
  for (const dir of cases) {
    it(`${path.basename(dir)} still matches its golden file`, () => {
      const r = runCase(dir);
      expect(r.error).toBeUndefined();
      expect(r.diffs, formatResults([r], false)).toEqual([]);
      expect(r.frames).toBeGreaterThan(0);
    });
  }
});

// The golden file above is the model's own output; this part checks it against the real host.
// captures/basic.pcapng was taken on the host's eth0, so every reply the kernel sent is in it:
// test/ui/fixtures/basic.tcpdump.txt is `tcpdump -nn -t` of that same file (recorded, tcpdump 4.99.3).
// Each reply the golden file predicts must be a frame the host really sent after the trigger
// (TCP: addresses, ports and flags only, as sequence numbers and options are the host's own; a
// predicted pure ACK is met by the host's FIN+ACK, as its application closed at the same time).
describe('firewall-review golden file against the recorded host', () => {
  const golden = parseGolden(fs.readFileSync(path.join(ROOT, 'examples/firewall-review/expected.ndjson'), 'utf8'), 'expected.ndjson');
  const real = fs.readFileSync(path.join(ROOT, 'test/ui/fixtures/basic.tcpdump.txt'), 'utf8').trimEnd().split('\n');
  const tcp = (l: string) => /^(.*: Flags \[)([^\]]*)\]/.exec(l);
  const sent = (reply: string, l: string) => {
    const p = tcp(reply), q = tcp(l);
    if (!p || !q) return reply === l;
    return p[1] === q[1] && [...p[2]!].every((f) => q[2]!.includes(f));
  };
  it('has one record per captured frame, and every predicted reply was really sent by the host', () => {
    expect(golden.length).toBe(real.length);
    let replies = 0;
    for (const r of golden) {
      for (const rep of r.replies ?? []) {
        replies++;
        const later = real.slice(r.frame);
        expect(later.some((l) => sent(rep.summary, l)), `frame ${r.frame}: reply ${rep.summary} not sent by the host`).toBe(true);
      }
    }
    expect(replies).toBeGreaterThan(5);
  });
});

// Every one of the golden file's fates, checked against what the host itself did in the capture
// (it was taken on the host's eth0, so the host's own answers are in it), without the model:
// - a frame from one of the host's addresses (captures/basic-host ip-addr.json) was sent by the
//   host: the model replays it out of eth0, never drops or delivers it;
// - a request the host answered later in the capture was received and handled: ARP request /
//   ARP reply, ICMP(v6) echo / echo reply, NS / NA (arp_process, icmp_echo, ndisc_recv_ns consume
//   it); a TCP SYN answered by SYN-ACK reached a listener; a SYN answered by RST, a UDP datagram
//   answered by ICMP port unreachable found no socket: tcp_v4_rcv no_tcp_socket and
//   __udp4_lib_rcv free it with SKB_DROP_REASON_NO_SOCKET after sending the answer;
// - a UDP datagram answered from its destination port went to a socket bound to that port;
// - a TCP segment with data or FIN that a later host segment acknowledges (ack >= seq + len + FIN)
//   went to the socket of its destination port; a pure ACK the host did not answer with RST was
//   not dropped;
// - fragments (tcpdump "ip-proto-1") of an echo request the host answered were kept for
//   reassembly (ip_defrag consumes them), not dropped;
// - a frame the host neither answered nor could deliver (IPv6 multicast to groups it has not
//   joined, a router solicitation on a host, DAD for another node's address) has no egress, no
//   socket and no reply.
// A frame that none of these rules covers fails the test: each of the 41 fates is checked.
describe('firewall-review golden fates against what the host did in the capture', () => {
  const golden = parseGolden(fs.readFileSync(path.join(ROOT, 'examples/firewall-review/expected.ndjson'), 'utf8'), 'expected.ndjson');
  const lines = fs.readFileSync(path.join(ROOT, 'test/ui/fixtures/basic.tcpdump.txt'), 'utf8').trimEnd().split('\n');
  const addrs = (JSON.parse(fs.readFileSync(path.join(ROOT, 'captures/basic-host/ip-addr.json'), 'utf8')) as { ifname: string; addr_info: { local: string }[] }[])
    .filter((i) => i.ifname === 'eth0').flatMap((i) => i.addr_info.map((a) => a.local));
  interface L { n: number; src: string; dst: string; sport?: string; dport?: string; text: string; fromHost: boolean }
  const parsed: L[] = lines.map((text, i) => {
    const arp = /^ARP, (Request who-has (\S+) tell (\S+)|Reply (\S+) is-at)/.exec(text);
    if (arp) return { n: i + 1, src: arp[3] ?? arp[4]!, dst: arp[2] ?? '', text, fromHost: addrs.includes(arp[3] ?? arp[4]!) };
    const ip = /^IP6? (\S+) > (\S+): /.exec(text)!;
    // tcpdump writes ports as a last dotted part (v4: 5th, v6: after the address)
    const split = (a: string): [string, string | undefined] => {
      const m = /^(.*)\.(\d+)$/.exec(a);
      return m && (m[1]!.includes(':') || m[1]!.split('.').length === 4) ? [m[1]!, m[2]] : [a, undefined];
    };
    const [src, sport] = split(ip[1]!), [dst, dport] = split(ip[2]!);
    return { n: i + 1, src, dst, sport, dport, text, fromHost: addrs.includes(src) };
  });
  const later = (l: L) => parsed.slice(l.n).filter((x) => x.fromHost && x.dst === l.src);
  const num = (re: RegExp, s: string) => Number(re.exec(s)?.[1] ?? NaN);

  it('derives every frame\'s fate from the capture and agrees with the golden file', () => {
    expect(golden.length).toBe(parsed.length);
    const derived: string[] = [], model: string[] = [];
    for (const l of parsed) {
      const r = golden[l.n - 1]!;
      const seen = (what: string, ok: boolean) => { derived.push(`${l.n} ${what}`); model.push(`${l.n} ${ok ? what : `NOT ${what}: ${JSON.stringify(r)}`}`); };
      const notDropped = r.fate !== 'dropped';
      const ans = later(l);
      const t = l.text;
      if (l.fromHost) { seen('sent by the host out of eth0', notDropped && r.fate !== 'delivered' && JSON.stringify(r.egress) === '["eth0"]'); continue; }
      const echo = /echo request, id (\d+), seq (\d+)/.exec(t);
      const tcpm = /Flags \[([^\]]*)\](?:, seq (\d+)(?::(\d+))?)?/.exec(t);
      if (/^ARP, Request who-has/.test(t) && addrs.includes(l.dst)) {
        seen('ARP request answered', notDropped && parsed.slice(l.n).some((a) => a.fromHost && a.text.startsWith(`ARP, Reply ${l.dst} is-at`)));
      } else if (echo) {
        seen('echo answered', notDropped && ans.some((a) => a.text.includes(`echo reply, id ${echo[1]}, seq ${echo[2]}`)));
      } else if (/neighbor solicitation, who has (\S+),/.exec(t) && addrs.includes(/who has (\S+),/.exec(t)![1]!)) {
        const tgt = /who has (\S+),/.exec(t)![1]!;
        seen('NS answered', notDropped && ans.some((a) => a.text.includes(`neighbor advertisement, tgt is ${tgt}`)));
      } else if (tcpm && tcpm[1] === 'S') {
        const back = ans.find((a) => a.sport === l.dport && a.dport === l.sport)!;
        if (/Flags \[R/.test(back.text)) seen('SYN refused by RST', r.fate === 'dropped' && r.reason === 'NO_SOCKET');
        else seen('SYN answered by SYN-ACK', notDropped && /Flags \[S\.\]/.test(back.text));
      } else if (tcpm) {
        const seq = num(/seq (\d+)/, t), end = num(/seq \d+:(\d+)/, t);
        const fin = tcpm[1]!.includes('F') ? 1 : 0;
        const upto = (Number.isNaN(end) ? seq : end) + fin; // relative sequence numbers, as tcpdump prints them
        const acked = ans.some((a) => a.sport === l.dport && a.dport === l.sport && num(/ack (\d+)/, a.text) >= upto);
        if (!Number.isNaN(seq) && (fin || !Number.isNaN(end))) seen('data/FIN acknowledged by the host', acked && r.fate === 'delivered' && (r.socket ?? '').endsWith(`:${l.dport}`));
        else seen('pure ACK not refused', notDropped && !ans.some((a) => /Flags \[R/.test(a.text) && a.sport === l.dport));
      } else if (/UDP, length/.test(t)) {
        if (ans.some((a) => a.sport === l.dport && a.dport === l.sport)) seen('UDP answered from its port', r.fate === 'delivered' && (r.socket ?? '').startsWith('udp ') && r.socket!.endsWith(`:${l.dport}`));
        else seen('UDP refused by port unreachable', ans.some((a) => a.text.includes(`udp port ${l.dport} unreachable`)) && r.fate === 'dropped' && r.reason === 'NO_SOCKET');
      } else if (/ip-proto-1$/.test(t)) {
        seen('fragment of an answered echo kept for reassembly', notDropped && ans.some((a) => /echo reply/.test(a.text)));
      } else {
        seen('not answered, not for a socket', !r.socket && !r.egress?.length && !r.replies?.length);
      }
    }
    expect(model).toEqual(derived);
  });
});

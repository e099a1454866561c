// The timeline steps pktlife gives the frames of the kernel-recorded fixture icmp-options
// (fixtures/kernel/icmp-options: fates recorded on Linux 6.18, frames built by its frames.py).
// The conformance test checks fates, reasons and replies against the kernel; this one checks where
// (the kernel function) and with which header values each outcome is reported: the details repeat
// fields of the crafted frames, read off frames.py.
import { beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { replay } from '../../src/replay.js';
import type { FateRecord, TimelineEvent } from '../../src/kernel/fate.js';

const DIR = new URL('../../fixtures/kernel/icmp-options/', import.meta.url).pathname;
// replayed inside each test (not at load time), so a mutation test runs these tests against the
// code they exercise
let recs: FateRecord[] = [];
beforeEach(() => {
  recs = [];
  for (const it of replay(join(DIR, 'frames.pcapng'), join(DIR, 'host'), { checksums: 'verify' })) recs.push(JSON.parse(JSON.stringify(it.record)) as FateRecord);
});
/** frame n's steps at `fn` */
const at = (n: number, fn: string): TimelineEvent[] => recs[n - 1].events.filter((e) => e.fn === fn);
const fns = (n: number): string[] => recs[n - 1].events.map((e) => e.fn);

describe('icmp_rcv steps (frames 1-14, 59-65)', () => {
  it('drops carry the values they were decided on', () => {
    expect(at(1, 'icmp_rcv')).toEqual([{ fn: 'icmp_rcv', what: 'drop ICMP_CSUM' }]);
    expect(at(2, 'icmp_rcv')).toEqual([{ fn: 'icmp_rcv', what: 'drop NOT_SPECIFIED', detail: { len: 4 } }]);
    expect(at(3, 'icmp_rcv')).toEqual([{ fn: 'icmp_rcv', what: 'drop UNHANDLED_PROTO', detail: { type: 30 } }]);
    expect(at(4, 'icmp_rcv')).toEqual([{ fn: 'icmp_rcv', what: 'drop INVALID_PROTO', detail: { why: 'ICMP type not accepted to broadcast' } }]);
    expect(at(5, 'icmp_rcv')).toEqual([{ fn: 'icmp_rcv', what: 'drop INVALID_PROTO', detail: { why: 'icmp_echo_ignore_broadcasts' } }]);
    expect(at(9, 'ping_rcv')).toEqual([{ fn: 'ping_rcv', what: 'drop NO_SOCKET' }]);
    expect(at(14, 'icmp_unreach')).toEqual([{ fn: 'icmp_unreach', what: 'drop NOT_SPECIFIED', detail: { quoted: 0 } }]);
    expect(at(61, 'ping_rcv')).toEqual([{ fn: 'ping_rcv', what: 'drop NO_SOCKET' }]);
    expect(at(62, 'icmp_unreach')).toEqual([{ fn: 'icmp_unreach', what: 'drop IP_INHDR', detail: { ihl: 4 } }]);
    expect(at(63, 'icmp_redirect')).toEqual([{ fn: 'icmp_redirect', what: 'drop PKT_TOO_SMALL', detail: { quoted: 12 } }]);
  });
  it('handlers that consume say which', () => {
    expect(at(8, 'icmp_discard').map((e) => e.what)).toEqual(['ICMP type 17 ignored']);
    expect(at(10, 'icmp_unreach').map((e) => e.what)).toEqual(["ICMP type 3 code 3 passed to the quoted socket's error handler"]);
    expect(at(11, 'icmp_redirect').map((e) => e.what)).toEqual(['redirect processed']);
    expect(at(12, 'icmp_discard').map((e) => e.what)).toEqual(['ICMP type 15 ignored']);
    expect(at(13, 'icmp_unreach').map((e) => e.what)).toEqual(["ICMP type 4 code 0 passed to the quoted socket's error handler"]);
    expect(at(59, 'icmp_echo').map((e) => e.what)).toEqual([expect.stringMatching(/PROBE/)]);
    expect(at(60, 'icmp_echo').map((e) => e.what)).toEqual([expect.stringMatching(/PROBE/)]);
    expect(at(64, 'icmp_unreach').map((e) => e.what)).toEqual(["ICMP type 12 code 0 passed to the quoted socket's error handler"]);
  });
});

describe('__icmp_send steps (frames 15-24)', () => {
  it('each refusal names its reason at __icmp_send, and nothing is sent', () => {
    expect(at(15, '__icmp_send').map((e) => e.what)).toEqual(['no ICMP error about a non-first fragment']);
    expect(at(16, '__icmp_send').map((e) => e.what)).toEqual(['no ICMP error about an ICMP error']);
    expect(at(17, '__icmp_send').map((e) => e.what)).toEqual(['no ICMP error about an ICMP error']);
    expect(at(23, '__icmp_send').map((e) => e.what)).toEqual(['no ICMP error: frame was not PACKET_HOST']);
    for (const n of [15, 16, 17, 23]) expect(fns(n), `frame ${n}`).not.toContain('icmp_send');
  });
  it('a sent error names type, code, source and destination', () => {
    expect(at(18, 'icmp_send').map((e) => e.what)).toEqual(['ICMP type 11 code 0 10.0.1.1 > 10.0.1.117']);
    expect(at(21, 'icmp_send').map((e) => e.what)).toEqual(['ICMP type 11 code 0 10.0.2.1 > 10.0.2.50']);
    expect(at(24, 'icmp_send').map((e) => e.what)).toEqual(['ICMP type 3 code 3 10.0.1.1 > 10.0.1.122']);
    expect(at(26, 'icmp_send').map((e) => e.what)).toEqual(['ICMP type 3 code 4 10.0.1.1 > 10.0.1.124']);
  });
  it('ip_forward reports the TTL and the MTU it refused on', () => {
    expect(at(18, 'ip_forward')).toEqual([{ fn: 'ip_forward', what: 'drop IP_INHDR', detail: { ttl: 1 } }]);
    expect(at(26, 'ip_forward')).toEqual([{ fn: 'ip_forward', what: 'drop PKT_TOO_BIG', detail: { len: 1401, mtu: 1400 } }]);
    expect(at(28, 'ip_forward')).toEqual([{ fn: 'ip_forward', what: 'drop PKT_TOO_BIG', detail: { len: 1301, mtu: 1300 } }]);
  });
});

describe('ip_options_compile steps (frames 29-58)', () => {
  it('accepted options are listed; a bad one names its octet; a source route is refused at ip_rcv_options', () => {
    expect(at(29, 'ip_options_compile').map((e) => e.what)).toEqual(['options RA']);
    expect(at(37, 'ip_options_compile').map((e) => e.what)).toEqual(['options RR']);
    expect(at(42, 'ip_options_compile').map((e) => e.what)).toEqual(['options TS']);
    expect(at(56, 'ip_options_compile').map((e) => e.what)).toEqual(['options none']);
    expect(at(57, 'ip_options_compile').map((e) => e.what)).toEqual(['options opt136']);
    expect(at(30, 'ip_options_compile').map((e) => e.what)).toEqual(['bad option at octet 21']);
    expect(at(30, 'ip_rcv_options')).toEqual([{ fn: 'ip_rcv_options', what: 'drop IP_INHDR' }]);
    expect(at(49, 'ip_options_compile').map((e) => e.what)).toEqual(['options LSRR']);
    expect(at(50, 'ip_options_compile').map((e) => e.what)).toEqual(['options SSRR']);
    expect(at(49, 'ip_rcv_options')).toEqual([
      { fn: 'ip_rcv_options', what: 'source route refused (accept_source_route=0 on eth0)' },
      { fn: 'ip_rcv_options', what: 'drop NOT_SPECIFIED' },
    ]);
  });
});

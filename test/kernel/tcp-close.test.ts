// The host's active close and the timewait sock, per state. Each case replays a short capture (the
// peer's segments inbound, the host's own FIN outbound, as a capture on the host shows them) against
// the tcp-close fixture's host (fixtures/kernel/tcp-close/host: listeners 0.0.0.0:80 and [::]:80).
// Every expectation is what the real kernel (6.18) did in the recorded scenario fixtures/kernel/tcp-close
// (frame numbers "kernel frame N" are its expected.ndjson / evidence/), or, where marked, what
// tcp_rcv_state_process (net/ipv4/tcp_input.c) / tcp_timewait_state_process (net/ipv4/tcp_minisocks.c)
// do in a case the recording does not cover.
import { describe, expect, it } from 'vitest';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';
import { captureFromBuffer } from '../../src/capture/reader.js';
import { DIR_INBOUND, DIR_OUTBOUND } from '../../src/capture/types.js';
import { loadHost } from '../../src/host/load.js';
import type { FateRecord } from '../../src/kernel/fate.js';
import { replay, replaySource } from '../../src/replay.js';
import { eth, expectFate, tcp4 } from './helpers.js';

const HOSTDIR = new URL('../../fixtures/kernel/tcp-close/host', import.meta.url).pathname;
const HM = '02:00:00:00:01:01';
const CM = '02:00:00:00:01:02';
const S = '10.0.1.1';
const C = '10.0.1.2';
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;
/** the host's ISN in these captures (the model learns it from the handshake ACK) */
const R = 3_000_000_000;
const u32 = (n: number) => n >>> 0;

interface F {
  /** peer -> host (inbound) unless `host` */
  flags: number;
  seq: number;
  ack?: number;
  data?: number;
  host?: boolean;
  /** ms after the previous frame (default 1) */
  dt?: number;
  port?: number;
}

/** replay the frames (one flow, client port `port`), returning each frame's record */
function replayFlow(frames: F[], sysctls: Record<string, string> = {}): FateRecord[] {
  const host = loadHost(HOSTDIR);
  for (const [k, v] of Object.entries(sysctls)) host.sysctls.raw.set(k, v);
  const w = new PcapngWriter();
  const ifc = w.addInterface({ name: 'eth0', linktype: 1 });
  let ms = 0;
  for (const f of frames) {
    ms += f.dt ?? 1;
    const port = f.port ?? 42000;
    const data = new Uint8Array(f.data ?? 0).fill(0x61);
    const ip = f.host ? tcp4(S, C, 80, port, f.flags, f.seq, f.ack ?? 0, data) : tcp4(C, S, port, 80, f.flags, f.seq, f.ack ?? 0, data);
    const frame = f.host ? eth(CM, HM, 0x0800, ip) : eth(HM, CM, 0x0800, ip);
    w.writePacket({ iface: ifc, tsSec: 1_700_000_000 + Math.floor(ms / 1000), tsNsec: (ms % 1000) * 1e6, data: frame, direction: f.host ? DIR_OUTBOUND : DIR_INBOUND });
  }
  const src = replaySource(captureFromBuffer(w.close(), 'mem.pcapng'), 'mem', host, { checksums: 'verify' });
  const out: FateRecord[] = [];
  for (let it = src.next(); it; it = src.next()) out.push(JSON.parse(JSON.stringify(it.record)) as FateRecord);
  src.close();
  return out;
}

/** handshake (peer ISN 1000), then `pre` more frames; the host's FIN at R+1 after them */
const open = (pre: F[] = []): F[] => [
  { flags: SYN, seq: 1000 },
  { flags: ACK, seq: 1001, ack: R + 1 },
  ...pre,
];
const hostFin = (ack: number): F => ({ flags: FIN | ACK, seq: R + 1, ack, host: true });
const ackLine = (ack: number, win: number) => `IP 10.0.1.1.80 > 10.0.1.2.42000: Flags [.], ack ${ack}, win ${win}, length 0`;
const rstLine = (seq: number) => `IP 10.0.1.1.80 > 10.0.1.2.42000: Flags [R], seq ${seq}, win 0, length 0`;

describe('the host closes first (tcp_close -> FIN_WAIT1)', () => {
  it('the host FIN is the output path (sent by eth0, no answer) and says close() is assumed', () => {
    const r = replayFlow([...open(), hostFin(1001)]);
    expectFate(r[2]!).sent('eth0').noReply().event('tcp_close', /FIN_WAIT1; close\(\) assumed/);
    expect(r[2]!.unsupported?.some((u) => /close\(\) and shutdown\(SHUT_WR\)/.test(u))).toBe(true);
  });
  it('FIN_WAIT1: the ACK of the FIN makes the orphan a FIN_WAIT2 timewait sock, freed without a reason (kernel frame 5)', () => {
    const r = replayFlow([...open(), hostFin(1001), { flags: ACK, seq: 1001, ack: R + 2 }]);
    expectFate(r[3]!).consumed().noReply().event('tcp_time_wait', /substate FIN_WAIT2/);
  });
  it('FIN_WAIT1: data after close() is TCP_ABORT_ON_DATA with a RST (seq = its ack), and the socket is gone (kernel frames 17, 18)', () => {
    const r = replayFlow([...open(), hostFin(1001), { flags: PSH | ACK, seq: 1001, ack: R + 1, data: 4 }, { flags: PSH | ACK, seq: 1005, ack: R + 2, data: 4 }]);
    expectFate(r[3]!).dropped('TCP_ABORT_ON_DATA').reply('eth0', rstLine(u32(R + 1)));
    // the 4-tuple meets the listener now: an ACK there is reset, TCP_FLAGS
    expectFate(r[4]!).dropped('TCP_FLAGS').reply('eth0', rstLine(u32(R + 2)));
  });
  it('FIN_WAIT1: data + FIN acking our FIN is TCP_ABORT_ON_DATA with a RST (kernel frame 56)', () => {
    const r = replayFlow([...open(), hostFin(1001), { flags: FIN | PSH | ACK, seq: 1001, ack: R + 2, data: 3 }]);
    expectFate(r[3]!).dropped('TCP_ABORT_ON_DATA').reply('eth0', rstLine(u32(R + 2)));
  });
  it('FIN_WAIT1: a FIN not acking ours is a simultaneous close: CLOSING with an ACK, the FIN stays queued on the orphan (kernel frame 27)', () => {
    const r = replayFlow([...open(), hostFin(1001), { flags: FIN | ACK, seq: 1001, ack: R + 1 }]);
    expectFate(r[3]!).consumed().reply('eth0', ackLine(1002, 64239)).event('tcp_fin', /CLOSING/);
  });
  it('CLOSING: the ACK of our FIN is TIME_WAIT, freed without a reason (kernel frame 28)', () => {
    const r = replayFlow([...open(), hostFin(1001), { flags: FIN | ACK, seq: 1001, ack: R + 1 }, { flags: ACK, seq: 1002, ack: R + 2 }]);
    expectFate(r[4]!).consumed().noReply().event('tcp_time_wait', /substate TIME_WAIT/);
  });
  it('FIN_WAIT1: FIN+ACK of our FIN goes FIN_WAIT2 -> TIME_WAIT with an ACK; the orphan is destroyed and its queue purged (kernel frames 34, 38: QUEUE_PURGE)', () => {
    const r = replayFlow([...open(), hostFin(1001), { flags: FIN | ACK, seq: 1001, ack: R + 2 }]);
    expectFate(r[3]!).dropped('QUEUE_PURGE', 'sk_stream_kill_queues').reply('eth0', ackLine(1002, 64239));
  });
});

describe('the timewait sock (tcp_timewait_state_process)', () => {
  // handshake, 5 bytes of data (ACKed: window 64235), host FIN, peer ACK of it: FIN_WAIT2 timewait sock
  const fw2 = (): F[] => [...open([{ flags: PSH | ACK, seq: 1001, ack: R + 1, data: 5 }]), hostFin(1006), { flags: ACK, seq: 1006, ack: R + 2 }];
  const tw = (): F[] => [...fw2(), { flags: FIN | ACK, seq: 1006, ack: R + 2 }];
  it('FIN_WAIT2: the peer FIN is TIME_WAIT, answered with an ACK (window frozen at tcp_time_wait), NOT_SPECIFIED (kernel frame 6)', () => {
    const r = replayFlow(tw());
    expectFate(r[5]!).dropped('NOT_SPECIFIED', 'tcp_v4_rcv').reply('eth0', ackLine(1007, 64235)).event('tcp_timewait_state_process', /TIME_WAIT/);
  });
  it('FIN_WAIT2: new data after close() is TCP_TW_RST: a RST with seq = its ack, NOT_SPECIFIED (kernel frame 23)', () => {
    const r = replayFlow([...fw2(), { flags: PSH | ACK, seq: 1006, ack: R + 2, data: 4 }, { flags: ACK, seq: 1010, ack: R + 2 }]);
    expectFate(r[5]!).dropped('NOT_SPECIFIED').reply('eth0', rstLine(u32(R + 2)));
    // the timewait sock is gone: the listener answers the next ACK with a RST
    expectFate(r[6]!).dropped('TCP_FLAGS');
  });
  it('FIN_WAIT2: a duplicate ACK is TCP_TW_SUCCESS: nothing sent (kernel frame 44)', () => {
    const r = replayFlow([...fw2(), { flags: ACK, seq: 1006, ack: R + 2 }]);
    expectFate(r[5]!).dropped('NOT_SPECIFIED').noReply();
  });
  it('FIN_WAIT2: a segment beyond the window gets an out-of-window ACK (kernel frame 45)', () => {
    const r = replayFlow([...fw2(), { flags: ACK, seq: 1006 + 200000, ack: R + 2 }], { 'net.ipv4.tcp_invalid_ratelimit': '500' });
    expectFate(r[5]!).dropped('NOT_SPECIFIED').reply('eth0', ackLine(1006, 64235));
  });
  it('FIN_WAIT2: a SYN at rcv_nxt is TCP_TW_RST: RST|ACK (seq 0, ack seq + 1) (kernel frame 46)', () => {
    const r = replayFlow([...fw2(), { flags: SYN, seq: 1006 }]);
    expectFate(r[5]!).dropped('NOT_SPECIFIED').reply('eth0', 'IP 10.0.1.1.80 > 10.0.1.2.42000: Flags [R.], seq 0, ack 1007, win 0, length 0');
  });
  it('FIN_WAIT2: a RST at rcv_nxt kills the timewait sock silently; then the listener answers (kernel frames 51, 52)', () => {
    const r = replayFlow([...fw2(), { flags: RST, seq: 1006 }, { flags: ACK, seq: 1006, ack: R + 2 }]);
    expectFate(r[5]!).dropped('NOT_SPECIFIED').noReply();
    expectFate(r[6]!).dropped('TCP_FLAGS').reply('eth0', rstLine(u32(R + 2)));
  });
  it('TIME_WAIT: data at rcv_nxt gets an ACK (data is never rate-limited) (kernel frame 61)', () => {
    const r = replayFlow([...tw(), { flags: SYN, seq: 1000 }, { flags: PSH | ACK, seq: 1007, ack: R + 2, data: 4 }], { 'net.ipv4.tcp_invalid_ratelimit': '500' });
    expectFate(r[7]!).dropped('NOT_SPECIFIED').reply('eth0', ackLine(1007, 64235));
  });
  it('TIME_WAIT: a retransmitted FIN is ACKed again, never rate-limited (data/FIN: tcp_oow_rate_limited) (kernel frames 7, 39)', () => {
    const r = replayFlow([...tw(), { flags: FIN | ACK, seq: 1006, ack: R + 2 }, { flags: FIN | ACK, seq: 1006, ack: R + 2 }], { 'net.ipv4.tcp_invalid_ratelimit': '500' });
    expectFate(r[6]!).dropped('NOT_SPECIFIED').reply('eth0', ackLine(1007, 64235));
    expectFate(r[7]!).dropped('NOT_SPECIFIED').reply('eth0', ackLine(1007, 64235));
  });
  it('TIME_WAIT: a bare ACK at rcv_nxt is TCP_TW_SUCCESS, silent (kernel frame 8)', () => {
    const r = replayFlow([...tw(), { flags: ACK, seq: 1007, ack: R + 2 }]);
    expectFate(r[6]!).dropped('NOT_SPECIFIED').noReply();
  });
  it('TIME_WAIT: an old SYN gets an out-of-window ACK; a second within tcp_invalid_ratelimit does not (kernel frames 9, 10)', () => {
    const r = replayFlow([...tw(), { flags: SYN, seq: 1000 }, { flags: SYN, seq: 1000 }, { flags: SYN, seq: 1000, dt: 600 }], { 'net.ipv4.tcp_invalid_ratelimit': '500' });
    expectFate(r[6]!).dropped('NOT_SPECIFIED').reply('eth0', ackLine(1007, 64235));
    expectFate(r[7]!).dropped('NOT_SPECIFIED').noReply();
    expectFate(r[8]!).dropped('NOT_SPECIFIED').reply('eth0', ackLine(1007, 64235));
  });
  it('TIME_WAIT: a RST not at rcv_nxt is ignored; the RST at rcv_nxt kills the timewait sock (tcp_rfc1337=0) (kernel frames 11, 12, 13)', () => {
    const r = replayFlow([...tw(), { flags: RST, seq: 1107 }, { flags: RST, seq: 1007 }, { flags: ACK, seq: 1007, ack: R + 2 }]);
    expectFate(r[6]!).dropped('NOT_SPECIFIED').noReply();
    expectFate(r[7]!).dropped('NOT_SPECIFIED').noReply().event('tcp_timewait_state_process');
    expectFate(r[8]!).dropped('TCP_FLAGS').reply('eth0', rstLine(u32(R + 2)));
  });
  it('TIME_WAIT with tcp_rfc1337=1: the RST at rcv_nxt does not kill it (tcp_minisocks.c TIME_WAIT assassination)', () => {
    const r = replayFlow([...tw(), { flags: RST, seq: 1007 }, { flags: FIN | ACK, seq: 1006, ack: R + 2 }], { 'net.ipv4.tcp_rfc1337': '1' });
    expectFate(r[6]!).dropped('NOT_SPECIFIED').noReply();
    expectFate(r[7]!).dropped('NOT_SPECIFIED').reply('eth0', ackLine(1007, 64235));
  });
  it('TIME_WAIT: a SYN after rcv_nxt is TCP_TW_SYN: a new connection with ISN tw_snd_nxt + 65537 (kernel frames 29, 30)', () => {
    const isn = u32(R + 2 + 65537);
    const r = replayFlow([...tw(), { flags: SYN, seq: 200000 }, { flags: ACK, seq: 200001, ack: isn + 1 }]);
    expectFate(r[6]!).consumed().reply('eth0', `IP 10.0.1.1.80 > 10.0.1.2.42000: Flags [S.], seq ${isn}, ack 200001, win 64240, options [mss 1460], length 0`);
    expectFate(r[7]!).delivered('tcp 0.0.0.0:80');
  });
  it('TIME_WAIT ends 60 s after the FIN (TCP_TIMEWAIT_LEN, capture time): then the listener answers (kernel frames 62, 63)', () => {
    const r = replayFlow([...tw(), { flags: FIN | ACK, seq: 1006, ack: R + 2, dt: 59_000 }, { flags: FIN | ACK, seq: 1006, ack: R + 2, dt: 60_500 }]);
    // 59 s later: still TIME_WAIT; the retransmitted FIN carries an ACK, so it restarts the 60 s (inet_twsk_reschedule)
    expectFate(r[6]!).dropped('NOT_SPECIFIED').reply('eth0', ackLine(1007, 64235));
    expectFate(r[7]!).dropped('TCP_FLAGS').reply('eth0', rstLine(u32(R + 2))).event('inet_twsk_kill');
  });
  it('a FIN_WAIT2 timewait sock lives tcp_fin_timeout seconds', () => {
    const r = replayFlow([...fw2(), { flags: ACK, seq: 1006, ack: R + 2, dt: 30_500 }], { 'net.ipv4.tcp_fin_timeout': '30' });
    expectFate(r[5]!).dropped('TCP_FLAGS').event('inet_twsk_kill', /FIN_WAIT2/);
  });
});

describe('a real capture on the host (captures/tcp-close.pcap, real Linux client; captures/record-tcp-close.sh)', () => {
  // the host's own segments in the capture are the kernel's real answers: the model's replies must match them
  const CAP = new URL('../../captures/tcp-close.pcap', import.meta.url).pathname;
  const HOST = new URL('../../captures/tcp-close-host', import.meta.url).pathname;
  const items = [...replay(CAP, HOST, { checksums: 'auto' })].map((it) => {
    const b = it.bytes;
    const th = 14 + (b[14]! & 0x0f) * 4;
    const seq = ((b[th + 4]! << 24) | (b[th + 5]! << 16) | (b[th + 6]! << 8) | b[th + 7]!) >>> 0;
    const ack = ((b[th + 8]! << 24) | (b[th + 9]! << 16) | (b[th + 10]! << 8) | b[th + 11]!) >>> 0;
    return { rec: JSON.parse(JSON.stringify(it.record)) as FateRecord, seq, ack, flags: b[th + 13]!, summary: it.summary };
  });
  const reply = (n: number) => items[n - 1]!.rec.replies?.[0]?.summary ?? '';
  it('the host FIN moves each connection to FIN_WAIT1 and the ACK of it to a FIN_WAIT2 timewait sock', () => {
    for (const n of [8, 19, 30]) expectFate(items[n - 1]!.rec).sent('eth0').event('tcp_close');
    for (const n of [9, 20, 31]) expectFate(items[n - 1]!.rec).consumed().event('tcp_time_wait', /FIN_WAIT2/);
  });
  it('the client FIN in FIN_WAIT2 is answered with the ACK the host sent (frames 10/11, 32/33)', () => {
    for (const n of [10, 32]) {
      expectFate(items[n - 1]!.rec).dropped('NOT_SPECIFIED').reply('eth0', new RegExp(`Flags \\[\\.\\], ack ${items[n]!.ack}, `));
      expect(items[n]!.flags).toBe(0x10);
    }
  });
  it('data after close() gets the RST the host sent, same seq (frames 21/22)', () => {
    expect(items[21]!.flags & 0x04).toBe(0x04);
    expectFate(items[20]!.rec).dropped('NOT_SPECIFIED').reply('eth0', new RegExp(`Flags \\[R\\], seq ${items[21]!.seq}, `));
  });
  it('the SYN reusing the 4-tuple in TIME_WAIT gets the SYN-ACK the host sent, with the same ISN (old snd_nxt + 65537) (frames 23/24)', () => {
    expect(items[23]!.flags).toBe(0x12);
    expect(reply(23)).toMatch(new RegExp(`Flags \\[S\\.\\], seq ${items[23]!.seq}, ack ${items[23]!.ack}, `));
    expectFate(items[22]!.rec).consumed();
    expect(items[22]!.rec.unsupported?.some((u) => /PAWS/.test(u))).toBe(true);
  });
});

describe('the passive close (the peer closes first)', () => {
  // after the peer's FIN the model assumes the application closes at once (LAST_ACK); what it then
  // answers holds only if that happened, so those frames say so unless the capture shows the host's FIN
  const peerFin: F = { flags: FIN | ACK, seq: 1001, ack: R + 1 };
  const lastAck: F = { flags: ACK, seq: 1002, ack: R + 2 };
  it('without the host\'s FIN in the capture, a frame answered in LAST_ACK carries the assumption', () => {
    const r = replayFlow([...open(), peerFin, lastAck]);
    expectFate(r[2]!).delivered('tcp 0.0.0.0:80');
    expect(r[2]!.unsupported).toBeUndefined();
    expect(r[3]!.fate).toBe('consumed');
    expect(r[3]!.unsupported?.join(' ')).toMatch(/assumed to have closed at once/);
  });
  it('with the host\'s FIN in the capture, nothing is assumed', () => {
    const r = replayFlow([...open(), peerFin, { flags: FIN | ACK, seq: R + 1, ack: 1002, host: true }, lastAck]);
    expectFate(r[3]!).sent('eth0').event('tcp_outbound', /as assumed/);
    expect(r[4]!.fate).toBe('consumed');
    expect(r[4]!.unsupported).toBeUndefined();
  });
});

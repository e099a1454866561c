// A capture that holds one direction (tcpdump -Q in, a mirror of one direction): the host's SYN-ACK
// and data are not in it. The kernel had them; conntrack and the socket must not call the peer's
// ACKs invalid for acknowledging segments the capture lacks. Expected values, derived: with the
// host's real segments (the kernel's view) frames 1-4 are a healthy connection (SYN, handshake ACK,
// data, an ACK of 500 bytes the host sent), so `ct state invalid drop` drops none of them; frame 5
// acknowledges 10 MB more than the peer's window (64240, no scaling: the SYN has no options) ever
// let the host send: nf_conntrack_proto_tcp.c tcp_in_window "ACK is over upper bound" -> INVALID.
import { describe, expect, it } from 'vitest';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';
import { captureFromBuffer } from '../../src/capture/reader.js';
import { DIR_INBOUND, DIR_OUTBOUND } from '../../src/capture/types.js';
import { loadHost } from '../../src/host/load.js';
import type { FateRecord } from '../../src/kernel/fate.js';
import { replaySource } from '../../src/replay.js';
import { eth, tcp4 } from './helpers.js';

const HOSTDIR = new URL('../../fixtures/kernel/tcp-close/host', import.meta.url).pathname;
const RULES = `table inet f {
  chain input {
    type filter hook input priority 0; policy drop;
    ct state invalid drop
    ct state established,related accept
    tcp dport 80 accept
  }
}
`;
const SYN = 0x02, PSH = 0x08, ACK = 0x10;
/** the host's real ISN (its SYN-ACK is not in the capture) */
const R = 3_000_000_000;

interface F { flags: number; seq: number; ack?: number; data?: number; host?: boolean }

function replayFlow(frames: F[], rules = RULES): FateRecord[] {
  const host = loadHost(HOSTDIR);
  host.nftText = { path: 'nft.txt', text: rules };
  host.nftJson = undefined;
  host.iptables = undefined;
  host.ip6tables = undefined;
  const w = new PcapngWriter();
  const ifc = w.addInterface({ name: 'eth0', linktype: 1 });
  frames.forEach((f, i) => {
    const data = new Uint8Array(f.data ?? 0).fill(0x61);
    const ip = f.host ? tcp4('10.0.1.1', '10.0.1.2', 80, 42000, f.flags, f.seq, f.ack ?? 0, data) : tcp4('10.0.1.2', '10.0.1.1', 42000, 80, f.flags, f.seq, f.ack ?? 0, data);
    const frame = f.host ? eth('02:00:00:00:01:02', '02:00:00:00:01:01', 0x0800, ip) : eth('02:00:00:00:01:01', '02:00:00:00:01:02', 0x0800, ip);
    w.writePacket({ iface: ifc, tsSec: 1_700_000_000, tsNsec: (i + 1) * 1e6, data: frame, direction: f.host ? DIR_OUTBOUND : DIR_INBOUND });
  });
  const src = replaySource(captureFromBuffer(w.close(), 'mem.pcapng'), 'mem', host, { checksums: 'verify' });
  const out: FateRecord[] = [];
  for (let it = src.next(); it; it = src.next()) out.push(JSON.parse(JSON.stringify(it.record)) as FateRecord);
  src.close();
  return out;
}

const ct = (r: FateRecord) => r.events.filter((e) => e.fn === 'nf_conntrack_in' && e.skb === undefined).map((e) => e.what);

describe('a capture of the inbound direction only', () => {
  const r = replayFlow([
    { flags: SYN, seq: 1000 },
    { flags: ACK, seq: 1001, ack: R + 1 },
    { flags: PSH | ACK, seq: 1001, ack: R + 1, data: 10 },
    { flags: ACK, seq: 1011, ack: R + 1 + 500 },
    { flags: ACK, seq: 1011, ack: R + 1 + 500 + 10_000_000 },
  ]);
  it('the handshake ACK, the data and the ACK of unseen host data pass conntrack: none is INVALID', () => {
    expect(r.slice(0, 4).map((x) => x.reason ?? x.fate)).not.toContain('NETFILTER_DROP');
    expect(r[1]!.fate).toBe('delivered');
    expect(r[2]!.fate).toBe('delivered');
    for (const x of r.slice(0, 4)) expect(ct(x).join()).not.toMatch(/invalid/);
  });
  it('the socket learns snd_nxt from the ACK of data the capture never showed: a pure ACK, consumed', () => {
    // tcp_ack: the host had sent 500 bytes (the kernel's view); the capture lacks them, the ACK tells
    // (verified against a kernel recording: fixtures/kernel/tcp-one-sided without its host frames)
    expect(r[3]).toMatchObject({ fate: 'consumed' });
    expect(r[3]!.reason).toBeUndefined();
    expect(r[3]!.events.filter((e) => e.fn === 'tcp_ack').map((e) => e.what)).toEqual([expect.stringMatching(/^snd_nxt inferred from this ACK: ISN\+501 \(the capture showed ISN\+1\)/), 'pure ACK processed']);
  });
  it('the events say what was inferred', () => {
    expect(ct(r[1]!)[0]).toMatch(/the host's sequence space inferred from this ACK \(3000000001\): its own segment is not in the capture/);
    expect(ct(r[3]!)[0]).toMatch(/the host's data up to 3000000501 inferred from this ACK/);
  });
  it('an ACK beyond anything the host could have sent is still reported: INVALID, dropped by the rule', () => {
    expect(r[4]).toMatchObject({ fate: 'dropped', reason: 'NETFILTER_DROP' });
    expect(ct(r[4]!)[0]).toMatch(/^invalid: tcp_in_window: ACK is over upper bound \d+: it acknowledges data the host could not have sent/);
  });
  it('with the host\'s real SYN-ACK in the capture its numbers are used, nothing is inferred', () => {
    const two = replayFlow([
      { flags: SYN, seq: 1000 },
      { flags: SYN | ACK, seq: R, ack: 1001, host: true },
      { flags: ACK, seq: 1001, ack: R + 1 },
      { flags: ACK, seq: 1001, ack: R + 1 + 500 },
    ]);
    expect(two[2]!.reason).toBeUndefined();
    expect(ct(two[2]!).join()).not.toMatch(/inferred/);
    // the host sent nothing the capture shows beyond its SYN-ACK: an ACK of 500 bytes is a contradiction
    expect(two[3]).toMatchObject({ fate: 'dropped', reason: 'NETFILTER_DROP' });
  });
  it('without a firewall, the socket reports an ACK beyond what the host could have sent: a contradiction, TCP_ACK_UNSENT_DATA', () => {
    // snd_una ISN+1 + the peer's window 64240 (no scaling): ISN+1+64241 cannot have been sent
    const open = 'table inet f {\n  chain input {\n    type filter hook input priority 0; policy accept;\n  }\n}\n';
    const x = replayFlow([
      { flags: SYN, seq: 1000 },
      { flags: ACK, seq: 1001, ack: R + 1 },
      { flags: ACK, seq: 1001, ack: R + 1 + 64240 },
      { flags: ACK, seq: 1001, ack: R + 1 + 64240 + 64241 },
    ], open);
    expect(x[2]).toMatchObject({ fate: 'consumed' });
    expect(x[3]).toMatchObject({ fate: 'dropped', reason: 'TCP_ACK_UNSENT_DATA' });
    expect(x[3]!.events.some((e) => e.fn === 'tcp_ack' && /contradiction/.test(e.what))).toBe(true);
  });
});

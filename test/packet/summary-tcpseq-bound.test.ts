// tcpdump's relative-sequence table (summary-tcpseq.ts) is bounded: past its limit a new
// conversation is not remembered and prints absolute numbers (as tcpdump prints a conversation's
// first segment), while the conversations already remembered stay relative.
import { describe, it, expect } from 'vitest';
import { TcpSeqTables } from '../../src/packet/summary-tcpseq.js';

/** an IPv4 header's addresses at 0 and 4 */
function addrs(src: number, dst: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, src);
  new DataView(b.buffer).setUint32(4, dst);
  return b;
}

describe('TcpSeqTables bound', () => {
  it('remembers up to its limit, then prints later conversations absolute, earlier ones still relative', () => {
    const t = new TcpSeqTables(2);
    const seg = (host: number, seq: number, ack: number) => {
      t.relative(addrs(0x0a000000 + host, 0x0a0000fe), 0, 4, 4, 40000 + host, 80, seq, ack, false);
      return [t.out[0], t.out[1]];
    };
    // first segments (with ACK) record each conversation: printed absolute
    expect(seg(1, 1000, 5001)).toEqual([1000, 5001]);
    expect(seg(2, 2000, 6001)).toEqual([2000, 6001]);
    // the third does not fit
    expect(seg(3, 3000, 7001)).toEqual([3000, 7001]);
    // remembered ones are relative to their first segment (seq - seq0, ack - (ack0 - 1))
    expect(seg(1, 1100, 5001)).toEqual([100, 1]);
    expect(seg(2, 2010, 6101)).toEqual([10, 101]);
    // the forgotten one stays absolute
    expect(seg(3, 3100, 7001)).toEqual([3100, 7001]);
    expect(t.conversations).toBe(2);
  });

  it('a default table takes far more conversations than a test needs (no early forgetting)', () => {
    const t = new TcpSeqTables();
    for (let h = 0; h < 5000; h++) t.relative(addrs(0x0b000000 + h, 0x0a0000fe), 0, 4, 4, 1024 + (h % 50000), 443, h, h + 1, false);
    expect(t.conversations).toBe(5000);
    t.relative(addrs(0x0b000000 + 7, 0x0a0000fe), 0, 4, 4, 1024 + 7, 443, 7 + 50, 8, false);
    expect(t.out[0]).toBe(50);
  });
});

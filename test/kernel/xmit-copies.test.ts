// The outbound-copy matcher (src/kernel/core/xmit_copies.ts): what `tcpdump -i any` captures
// leaving is matched against the model's own egress bytes, once, within a bounded window.
import { describe, expect, it } from 'vitest';
import { XmitCopies } from '../../src/kernel/core/xmit_copies.js';
import type { NetDevice } from '../../src/host/types.js';

const dev = (name: string) => ({ name }) as NetDevice;
const eth1 = dev('eth1');
const eth2 = dev('eth2');
const pkt = (id: number) => Uint8Array.from([0x45, 0, 0, 28, id >> 8, id & 255, 0, 0, 63, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 8, 0, 0, 0, 0, 1, 0, 1]);

describe('XmitCopies', () => {
  it('matches the same bytes leaving the same device once, with the fate of the frame that sent them', () => {
    const c = new XmitCopies();
    c.record(7, eth1, 0x0800, pkt(1), 0, 28, 28, 100);
    c.settle('forwarded');
    expect(c.match(eth2, 0x0800, pkt(1), 0, 28, 28, 100.001)).toBeNull(); // another device
    expect(c.match(eth1, 0x0800, pkt(2), 0, 28, 28, 100.001)).toBeNull(); // other bytes
    expect(c.match(eth1, 0x0806, pkt(1), 0, 28, 28, 100.001)).toBeNull(); // other protocol
    expect(c.match(eth1, 0x0800, pkt(1), 0, 28, 29, 100.001)).toBeNull(); // other length on the wire
    expect({ ...c.match(eth1, 0x0800, pkt(1), 0, 28, 28, 100.001)! }).toEqual({ frame: 7, fate: 'forwarded' });
    expect(c.match(eth1, 0x0800, pkt(1), 0, 28, 28, 100.002)).toBeNull(); // consumed
  });

  it('a frame still being replayed (not settled) matches nothing', () => {
    const c = new XmitCopies();
    c.record(3, eth1, 0x0800, pkt(1), 0, 28, 28, 1);
    expect(c.match(eth1, 0x0800, pkt(1), 0, 28, 28, 1)).toBeNull();
  });

  it('is bounded: 256 transmissions and 5 s of capture time', () => {
    const c = new XmitCopies();
    for (let i = 0; i < 257; i++) {
      c.record(i + 1, eth1, 0x0800, pkt(i), 0, 28, 28, 10);
      c.settle('forwarded');
    }
    expect(c.match(eth1, 0x0800, pkt(0), 0, 28, 28, 10)).toBeNull(); // overwritten by the 257th
    expect(c.match(eth1, 0x0800, pkt(1), 0, 28, 28, 10)?.frame).toBe(2);
    expect(c.match(eth1, 0x0800, pkt(2), 0, 28, 28, 15.5)).toBeNull(); // older than the window
  });

  it('with onlyDev set (a one-interface capture) records only that device, copying the bytes as they were', () => {
    const c = new XmitCopies();
    c.onlyDev = eth1;
    const buf = new Uint8Array(100);
    buf.set(pkt(5), 40); // the frame in the middle of a larger buffer, as the reader hands it
    c.record(4, eth2, 0x0800, pkt(4), 0, 28, 28, 1);
    c.record(5, eth1, 0x0800, buf, 40, 68, 28, 1);
    c.settle('forwarded');
    buf.fill(0); // the reader reuses its buffer: the ring holds its own copy
    expect(c.match(eth2, 0x0800, pkt(4), 0, 28, 28, 1)).toBeNull(); // never recorded
    expect(c.match(eth1, 0x0800, pkt(5), 0, 28, 28, 1)?.frame).toBe(5);
  });
});

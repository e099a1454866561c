// What a packet tap on every device (`tcpdump -i any`, dev_queue_xmit_nit) sees leaving: the
// model's own egress bytes of the last frames it transmitted, kept to recognise the outbound copy
// of a frame the host forwarded or bridged (captured a second time on its way out, TTL decremented,
// MACs rewritten, NAT applied) instead of treating it as a packet the host sent.
//
// Bounded like the kernel's own state: a ring of SLOTS transmissions, each matching at most once
// and only within WINDOW_SEC of capture time (a copy leaves within the same softirq, or after a
// neighbour resolution: milliseconds, a few seconds at most). Recording costs no allocation: the
// first BYTES bytes from the network header are copied into one preallocated buffer.

import type { NetDevice } from '../../host/types.js';
import type { FateKind } from '../fate.js';
import type { SkBuff } from '../skbuff.js';

const SLOTS = 256;
const BYTES = 128;
const WINDOW_SEC = 5;

export interface CopyMatch {
  frame: number;
  fate: FateKind;
}

export class XmitCopies {
  private readonly bytes = new Uint8Array(SLOTS * BYTES);
  /** frame number of the transmission in the slot; 0: empty or already matched */
  private readonly frame = new Int32Array(SLOTS);
  private readonly proto = new Uint16Array(SLOTS);
  /** bytes from the network header to the end of the frame on the wire */
  private readonly wireLen = new Int32Array(SLOTS);
  /** bytes of it stored (<= BYTES; less when the frame itself was captured shorter) */
  private readonly stored = new Int32Array(SLOTS);
  private readonly sec = new Float64Array(SLOTS);
  private readonly dev: (NetDevice | null)[] = new Array<NetDevice | null>(SLOTS).fill(null);
  private readonly fate: (FateKind | null)[] = new Array<FateKind | null>(SLOTS).fill(null);
  private next = 0;
  /** slots recorded for the frame being replayed (their fate is known once it is settled) */
  private pendingFrom = 0;
  private pendingN = 0;
  private readonly result: CopyMatch = { frame: 0, fate: 'forwarded' };
  /**
   * The one device every frame of the capture is read on, when the capture cannot show another
   * (a classic pcap names no interface per frame): a transmission out of any other device can
   * never be matched (`match` asks for the frame's own device), so it is not recorded. null: any.
   */
  onlyDev: NetDevice | null = null;

  /**
   * dev_queue_xmit_nit for a frame the model sends out of `dev`: `data[l3, end)` from its
   * network header (ethertype `proto`), `wireLen` bytes on the wire from there.
   */
  record(frame: number, dev: NetDevice, proto: number, data: Uint8Array, l3: number, end: number, wireLen: number, nowSec: number): void {
    if (this.onlyDev !== null && dev !== this.onlyDev) return;
    const i = this.next;
    this.next = (i + 1) % SLOTS;
    const n = Math.min(BYTES, end - l3, wireLen);
    const base = i * BYTES;
    // one native copy through a view (a byte loop over a Buffer costs ~3x more)
    if (n > 0) this.bytes.set(new Uint8Array(data.buffer, data.byteOffset + l3, n), base);
    this.frame[i] = frame;
    this.proto[i] = proto;
    this.wireLen[i] = wireLen;
    this.stored[i] = n;
    this.sec[i] = nowSec;
    this.dev[i] = dev;
    this.fate[i] = null;
    if (this.pendingN === 0) this.pendingFrom = i;
    if (this.pendingN < SLOTS) this.pendingN++;
  }

  /** the frame just replayed ended with `fate`: its transmissions are copies of that fate */
  settle(fate: FateKind): void {
    for (let k = 0, i = this.pendingFrom; k < this.pendingN; k++, i = (i + 1) % SLOTS) this.fate[i] = fate;
    this.pendingN = 0;
  }

  /**
   * The transmission an outbound captured frame is the copy of: same device, ethertype, length
   * on the wire and bytes (as far as both hold them), within the window. Consumed when found
   * (a copy is captured once per device). The returned object is reused by the next call.
   */
  match(dev: NetDevice, proto: number, data: Uint8Array, l3: number, end: number, wireLen: number, nowSec: number): CopyMatch | null {
    const n = Math.min(BYTES, end - l3, wireLen);
    // newest first: a copy follows its frame closely
    for (let k = 1; k <= SLOTS; k++) {
      const i = (this.next - k + SLOTS) % SLOTS;
      const f = this.frame[i];
      if (f === 0 || this.fate[i] === null) continue;
      if (nowSec - this.sec[i] > WINDOW_SEC) break;
      if (this.dev[i] !== dev || this.proto[i] !== proto || this.wireLen[i] !== wireLen) continue;
      const m = Math.min(n, this.stored[i]);
      const base = i * BYTES;
      const b = this.bytes;
      let j = 0;
      while (j < m && b[base + j] === data[l3 + j]) j++;
      if (j < m) continue;
      this.frame[i] = 0;
      this.result.frame = f;
      this.result.fate = this.fate[i]!;
      return this.result;
    }
    return null;
  }
}

/** the transmission of `skb` out of `dev` (its bytes from the network header), for `frame` */
export function recordXmit(copies: XmitCopies, skb: SkBuff, dev: NetDevice, frame: number, nowSec: number): void {
  const l3 = skb.network_header >= 0 ? skb.network_header : (skb.mac_header >= 0 ? skb.mac_header : skb.start) + 14;
  if (l3 >= skb.tail) return;
  copies.record(frame, dev, skb.protocol, skb.data, l3, skb.tail, skb.wireEnd - l3, nowSec);
}

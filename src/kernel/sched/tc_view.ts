// The bytes a tc classifier sees. At tc ingress the kernel has already untagged a VLAN frame
// (__netif_receive_skb_core: skb_vlan_untag moves the MAC addresses up over the tag), so the
// frame it classifies is the MAC addresses, the inner ethertype and the payload; pktlife keeps
// the tag in the buffer and skips it here instead. Offsets are from the MAC header.
import type { SkBuff } from '../skbuff.js';

export class TcView {
  data: Uint8Array = new Uint8Array(0);
  /** buffer offset of the MAC header */
  mac = 0;
  /** bytes of a VLAN tag still in the buffer after the MAC addresses (0 or 4) */
  gap = 0;
  /** captured length of the kernel's view (from the MAC header) */
  len = 0;
  /** length on the wire (beyond `len` when the capture's snaplen cut the frame) */
  wireLen = 0;
  /** the MAC header's length in the kernel's view: the network header is at this offset */
  macLen = 14;
  /** a load went past the captured bytes of a frame that was longer on the wire */
  truncated = false;

  set(skb: SkBuff): this {
    const nh = skb.network_header;
    let mac = skb.mac_header >= 0 ? skb.mac_header : nh - 14;
    if (mac < skb.start) mac = skb.start;
    this.data = skb.data;
    this.mac = mac;
    // the tag is still between the MAC addresses and the network header when nh - mac == 18
    this.gap = skb.vlan_present && nh - mac >= 18 ? 4 : 0;
    this.macLen = nh - mac - this.gap;
    this.len = skb.tail - mac - this.gap;
    this.wireLen = skb.wireEnd - mac - this.gap;
    this.truncated = false;
    return this;
  }

  /** byte j of the kernel's view, -1 when beyond the frame */
  byte(j: number): number {
    if (j < 0 || j >= this.len) {
      if (j >= this.len && j < this.wireLen) this.truncated = true;
      return -1;
    }
    return this.data[this.mac + j + (j >= 12 ? this.gap : 0)]!;
  }

  /** big-endian 16/32-bit load at j; -1 when any byte is beyond the frame */
  u16(j: number): number {
    const a = this.byte(j);
    const b = this.byte(j + 1);
    return a < 0 || b < 0 ? -1 : (a << 8) | b;
  }

  u32(j: number): number {
    const a = this.byte(j);
    const b = this.byte(j + 1);
    const c = this.byte(j + 2);
    const d = this.byte(j + 3);
    return a < 0 || b < 0 || c < 0 || d < 0 ? -1 : ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
  }
}

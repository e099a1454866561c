// sk_buff: one object for a frame's whole trip through the model (include/linux/skbuff.h).
// One buffer plus header offsets and metadata. Stages read headers through the accessors in
// src/packet/ at these offsets; nothing re-parses or copies per layer. A stage that must change
// bytes (TTL, MAC rewrite, NAT) calls skb_ensure_writable() first: the capture's read buffer is
// shared, so the first write copies the frame once (copy-on-write, like skb_cow / pskb_expand_head).
//
// As in the kernel (NET_SKBUFF_DATA_USES_OFFSET), every offset is into the whole buffer, not
// from the frame's first byte: the replay hands the model the reader's buffer itself with the
// frame at data[start, tail) (no per-frame view), and a copy keeps the offsets.

import type { NetDevice } from '../host/types.js';

/** include/uapi/linux/if_packet.h */
export const PACKET_HOST = 0;
export const PACKET_BROADCAST = 1;
export const PACKET_MULTICAST = 2;
export const PACKET_OTHERHOST = 3;
export const PACKET_OUTGOING = 4;
export const PACKET_LOOPBACK = 5;

export const PKT_TYPE_NAMES = ['PACKET_HOST', 'PACKET_BROADCAST', 'PACKET_MULTICAST', 'PACKET_OTHERHOST', 'PACKET_OUTGOING', 'PACKET_LOOPBACK'];

/** CHECKSUM_* (skb->ip_summed): how far the model may trust checksums of this frame. */
export const CHECKSUM_NONE = 0; // verify in software
export const CHECKSUM_UNNECESSARY = 1; // the NIC (or --checksums trust) vouched for it
export const CHECKSUM_PARTIAL = 3; // outgoing: left to the NIC (offload), not yet filled in

/** the longest span skb_ensure_writable writes in place (Ethernet + VLAN tags + an IPv6 header
 *  and some: the headers a forwarded frame changes) */
const UNDO_MAX = 128;

export class SkBuff {
  /** the buffer the frame is in (the capture's read buffer, or a copy): its bytes are data[start, tail) */
  data: Uint8Array;
  /** offset of the frame's first captured byte (the link-layer header as captured) in `data`;
   *  0 for every skb the model builds itself */
  start: number;
  /** offset one past the last captured byte (skb->tail): `tail - start` bytes were captured */
  tail: number;
  /** offset where the frame ends on the wire (beyond `tail` when the capture's snaplen cut it) */
  wireEnd: number;
  /** true once `data` is a private copy that stages may modify */
  writable = false;

  /** header offsets into `data`; -1 when absent */
  mac_header = -1;
  network_header = -1;
  transport_header = -1;
  /** ethertype of the network header (skb->protocol), host byte order */
  protocol = 0;
  /** hardware-accelerated VLAN tag (skb->vlan_tci) after untagging, 0 = none; vlan_proto too */
  vlan_tci = 0;
  vlan_proto = 0;
  vlan_present = false;

  /** metadata */
  dev: NetDevice | null = null;
  /** device the frame entered through (skb->skb_iif as a device) */
  indev: NetDevice | null = null;
  /** IP6CB(skb)->iif as a device: where ipv6_rcv saw the packet (ip6_rcv_core); icmp6_send picks
   *  the error's source address from it ("a more meaningful saddr from input if") */
  ip6_iif: NetDevice | null = null;
  pkt_type = PACKET_HOST;
  mark = 0;
  ip_summed = CHECKSUM_NONE;
  /** GRO merged segment count (skb_shinfo->gso_segs) */
  gso_segs = 1;
  /** capture timestamp, ns since epoch as two numbers (avoids bigint on the hot path) */
  tstampSec = 0;
  tstampNsec = 0;
  /** conntrack entry and state (nf_conn / ctinfo), owned by netfilter */
  ct: unknown = null;
  ctinfo = 0;
  /** routing result (skb_dst) */
  dst: unknown = null;
  /** 1-based frame number in the capture */
  frameNo = 0;
  /** skb->cb: control block of the layer handling the skb now (the bridge keeps BR_INPUT_SKB_CB here) */
  cb: unknown = null;
  /** IPCB(skb)->frag_max_size: largest fragment of a reassembled packet (ip_do_fragment cuts to it) */
  frag_max_size = 0;
  /** skb->nf_skip_egress: set around tc ingress (__netif_receive_skb_core), so a frame a tc action
   *  sends out from there skips the netdev egress chains (measured: fixtures/kernel/tc-xdp-netdev) */
  nf_skip_egress = false;

  /** a frame that is all of `data` up to `len` (packets the model builds, tests) */
  constructor(data: Uint8Array, len: number, wireEnd = len) {
    this.data = data;
    this.start = 0;
    this.tail = len;
    this.wireEnd = wireEnd;
  }

  /**
   * __copy_skb_header: a new skb built from this one (a reassembled datagram) takes over its
   * metadata; its buffer holds the frame from its first byte (`from.start` is 0 here), network
   * and transport offsets are the caller's to set.
   */
  copy_skb_header(from: SkBuff): void {
    // the new buffer starts at the frame's first byte (from.start)
    this.mac_header = from.mac_header >= 0 ? from.mac_header - from.start : -1;
    this.protocol = from.protocol;
    this.dev = from.dev;
    this.indev = from.indev;
    this.ip6_iif = from.ip6_iif;
    this.pkt_type = from.pkt_type;
    this.mark = from.mark;
    this.ip_summed = from.ip_summed;
    this.dst = from.dst;
    this.ct = from.ct;
    this.ctinfo = from.ctinfo;
    this.frameNo = from.frameNo;
    this.tstampSec = from.tstampSec;
    this.tstampNsec = from.tstampNsec;
  }

  /** this skb's own copy buffer, reused by the next frame the same skb carries */
  private spare: Uint8Array | null = null;

  /**
   * skb_ensure_writable(skb, write_len): make the frame's bytes up to offset `writeEnd` (default:
   * all) safe to change. The capture's bytes are shared with the caller, who still shows them
   * (item.bytes), so a write must not reach them for good:
   * - when the owner allowed it (`inPlaceUndo`, set by the replay driver, which calls
   *   restore_captured() after each frame) and the span is a header's worth, the span's original
   *   bytes are saved and the frame is written in place (a forwarded frame changes only its MACs
   *   and TTL: saving their 22-26 bytes costs less than copying the whole frame);
   * - otherwise the frame is copied once into a buffer kept with this skb (the replay reuses one
   *   skb per frame; nothing keeps `data` past the frame), at the same offsets (pskb_expand_head
   *   keeps the headroom: offsets a caller holds stay valid).
   */
  skb_ensure_writable(writeEnd = -1): void {
    if (this.writable) return;
    const start = this.start;
    const tail = this.tail;
    const want = (writeEnd < 0 || writeEnd > tail ? tail : writeEnd) - start;
    if (this.inPlaceUndo && want <= UNDO_MAX && this.data === this.captured) {
      if (want <= this.undoLen) return;
      const d = this.data;
      const u = (this.undo ??= new Uint8Array(UNDO_MAX));
      // where the span starts in the captured buffer (a later stage may move `start`, e.g. a new
      // buffer with room for a link header)
      if (this.undoLen === 0) this.undoAt = start;
      for (let i = this.undoLen; i < want; i++) u[i] = d[start + i];
      this.undoLen = want;
      return;
    }
    let s = this.spare;
    if (s === null || s.length < tail) s = this.spare = new Uint8Array(Math.max(tail, 2048));
    s.set(this.data.subarray(start, tail), start);
    // the copy keeps the writes made in place so far; the captured bytes get their originals back
    if (this.undoLen) this.restore_captured();
    this.data = s;
    this.writable = true;
  }

  /** the captured buffer this skb started with (reset), and the original bytes of the span
   *  written in place (skb_ensure_writable) */
  private captured: Uint8Array | null = null;
  private undo: Uint8Array | null = null;
  private undoLen = 0;
  /** offset in `captured` of the saved span's first byte */
  private undoAt = 0;
  /** the owner of the captured bytes calls restore_captured() after the frame: headers may be written in place */
  inPlaceUndo = false;

  /** put back the captured bytes written in place (the replay driver, after each frame) */
  restore_captured(): void {
    const n = this.undoLen;
    if (!n) return;
    const c = this.captured!;
    const u = this.undo!;
    const o = this.undoAt;
    for (let i = 0; i < n; i++) c[o + i] = u[i];
    this.undoLen = 0;
  }
  /** the next frame: data[start, start + caplen) of `data`, `wireEnd` bytes on the wire */
  reset(data: Uint8Array, start: number, caplen: number, wireEnd = caplen): void {
    // a span not put back is forgotten, never restored late: the owner's buffer may hold other
    // bytes by now (the reader reuses it), so only restore_captured() right after the frame is safe
    this.undoLen = 0;
    this.data = data;
    this.captured = data;
    this.start = start;
    this.tail = start + caplen;
    this.wireEnd = start + wireEnd;
    this.writable = false;
    this.mac_header = this.network_header = this.transport_header = -1;
    this.protocol = 0;
    this.vlan_tci = 0;
    this.vlan_proto = 0;
    this.vlan_present = false;
    this.dev = this.indev = this.ip6_iif = null;
    this.pkt_type = PACKET_HOST;
    this.mark = 0;
    this.ip_summed = CHECKSUM_NONE;
    this.gso_segs = 1;
    this.ct = null;
    this.ctinfo = 0;
    this.dst = null;
    this.cb = null;
    this.frag_max_size = 0;
  }
}

/**
 * skb_copy: a clone with bytes of its own (same offsets) and the same metadata, for a copy whose
 * path may rewrite the frame while the original goes on (a tc mirror, or a redirect from egress,
 * into another device's receive path is routed again there: TTL and MACs change).
 */
export function skb_copy(skb: SkBuff): SkBuff {
  const c = new SkBuff(skb.data.slice(0, Math.max(skb.tail, skb.wireEnd)), skb.tail, skb.wireEnd);
  c.start = skb.start;
  c.writable = true;
  c.mac_header = skb.mac_header;
  c.network_header = skb.network_header;
  c.transport_header = skb.transport_header;
  c.protocol = skb.protocol;
  c.vlan_tci = skb.vlan_tci;
  c.vlan_proto = skb.vlan_proto;
  c.vlan_present = skb.vlan_present;
  c.dev = skb.dev;
  c.indev = skb.indev;
  c.ip6_iif = skb.ip6_iif;
  c.pkt_type = skb.pkt_type;
  c.mark = skb.mark;
  c.ip_summed = skb.ip_summed;
  c.gso_segs = skb.gso_segs;
  c.tstampSec = skb.tstampSec;
  c.tstampNsec = skb.tstampNsec;
  c.ct = skb.ct;
  c.ctinfo = skb.ctinfo;
  c.dst = skb.dst;
  c.frameNo = skb.frameNo;
  c.cb = skb.cb;
  c.frag_max_size = skb.frag_max_size;
  c.nf_skip_egress = skb.nf_skip_egress;
  return c;
}

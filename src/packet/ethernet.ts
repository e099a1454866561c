// Ethernet II header accessors (include/uapi/linux/if_ether.h). Plain functions over
// (buf, off) with off = first byte of the header. Reads past the end of buf yield 0
// (Uint8Array out-of-range reads are undefined, coerced by the bit operators), writes past
// the end are ignored: nothing here throws. Callers check lengths where it matters.

export const ETH_ALEN = 6;
export const ETH_HLEN = 14;
export const ETH_ZLEN = 60;
export const ETH_DATA_LEN = 1500;
export const ETH_FRAME_LEN = 1514;

export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_RARP = 0x8035;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;
/** pre-standard QinQ outer TPIDs still seen in captures */
export const ETH_P_QINQ1 = 0x9100;
export const ETH_P_QINQ2 = 0x9200;
export const ETH_P_QINQ3 = 0x9300;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_P_MPLS_UC = 0x8847;
export const ETH_P_MPLS_MC = 0x8848;
export const ETH_P_PPP_DISC = 0x8863;
export const ETH_P_PPP_SES = 0x8864;
export const ETH_P_LLDP = 0x88cc;
export const ETH_P_TEB = 0x6558;
/** skb->protocol for 802.3 frames (eth_type_trans): raw 802.3 (Novell IPX, DSAP/SSAP 0xffff) or 802.2 LLC */
export const ETH_P_802_3 = 0x0001;
export const ETH_P_802_2 = 0x0004;
/** values below this in the type field are 802.3 lengths, not ethertypes */
export const ETH_P_802_3_MIN = 0x0600;

export function ethDstOff(off: number): number { return off; }
export function ethSrcOff(off: number): number { return off + 6; }
export function ethProto(buf: Uint8Array, off: number): number { return (buf[off + 12] << 8) | buf[off + 13]; }
export function ethSetProto(buf: Uint8Array, off: number, v: number): void { buf[off + 12] = v >>> 8; buf[off + 13] = v; }

/** copy a 6-byte MAC from mac[macOff..] into the destination field */
export function ethSetDst(buf: Uint8Array, off: number, mac: Uint8Array, macOff = 0): void {
  for (let i = 0; i < 6; i++) buf[off + i] = mac[macOff + i];
}
export function ethSetSrc(buf: Uint8Array, off: number, mac: Uint8Array, macOff = 0): void {
  for (let i = 0; i < 6; i++) buf[off + 6 + i] = mac[macOff + i];
}

/** is_multicast_ether_addr: I/G bit of the first octet (broadcast included) */
export function macIsMulticast(buf: Uint8Array, off: number): boolean { return (buf[off] & 1) === 1; }
export function macIsBroadcast(buf: Uint8Array, off: number): boolean {
  return (buf[off] & buf[off + 1] & buf[off + 2] & buf[off + 3] & buf[off + 4] & buf[off + 5]) === 0xff;
}
export function macIsZero(buf: Uint8Array, off: number): boolean {
  return (buf[off] | buf[off + 1] | buf[off + 2] | buf[off + 3] | buf[off + 4] | buf[off + 5]) === 0;
}
/** ether_addr_equal over two (buf, off) pairs */
export function macEqual(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): boolean {
  for (let i = 0; i < 6; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

// 802.1Q / 802.1ad tag accessors (include/linux/if_vlan.h struct vlan_hdr). `off` is the
// first byte AFTER the TPID, i.e. the TCI, as the kernel's vlan_hdr: TCI then encapsulated
// protocol. In an Ethernet frame the first tag's TPID is the ethertype at 12, TCI at 14.

export const VLAN_HLEN = 4;
export const VLAN_ETH_HLEN = 18;
export const VLAN_PRIO_MASK = 0xe000;
export const VLAN_PRIO_SHIFT = 13;
export const VLAN_CFI_MASK = 0x1000; // DEI
export const VLAN_VID_MASK = 0x0fff;

export function vlanTci(buf: Uint8Array, off: number): number { return (buf[off] << 8) | buf[off + 1]; }
export function vlanId(buf: Uint8Array, off: number): number { return vlanTci(buf, off) & VLAN_VID_MASK; }
export function vlanPcp(buf: Uint8Array, off: number): number { return buf[off] >>> 5 & 7; }
export function vlanDei(buf: Uint8Array, off: number): number { return (buf[off] >>> 4) & 1; }
export function vlanEncapProto(buf: Uint8Array, off: number): number { return (buf[off + 2] << 8) | buf[off + 3]; }
export function vlanSetTci(buf: Uint8Array, off: number, tci: number): void { buf[off] = tci >>> 8; buf[off + 1] = tci; }
export function vlanSetEncapProto(buf: Uint8Array, off: number, v: number): void { buf[off + 2] = v >>> 8; buf[off + 3] = v; }

/** eth_type_vlan(): TPIDs the kernel treats as VLAN tags */
export function ethTypeVlan(proto: number): boolean { return proto === 0x8100 || proto === 0x88a8; }

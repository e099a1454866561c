// ARP header accessors (include/uapi/linux/if_arp.h struct arphdr + the Ethernet/IPv4 body).
// Address getters assume hln 6 / pln 4 (the only form the kernel's arp_process handles for
// Ethernet); arpIsEthIp() tells whether that holds.

export const ARPHRD_ETHER = 1;
export const ARPHRD_IEEE802 = 6;
export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;
export const ARPOP_RREQUEST = 3;
export const ARPOP_RREPLY = 4;
export const ARPOP_InREQUEST = 8;
export const ARPOP_InREPLY = 9;
export const ARPOP_NAK = 10;
/** arphdr + 2*(6+4) for Ethernet/IPv4 */
export const ARP_ETH_IP_LEN = 28;
export const ARP_HDR_LEN = 8;

export function arpHrd(buf: Uint8Array, off: number): number { return (buf[off] << 8) | buf[off + 1]; }
export function arpPro(buf: Uint8Array, off: number): number { return (buf[off + 2] << 8) | buf[off + 3]; }
export function arpHln(buf: Uint8Array, off: number): number { return buf[off + 4] | 0; }
export function arpPln(buf: Uint8Array, off: number): number { return buf[off + 5] | 0; }
export function arpOp(buf: Uint8Array, off: number): number { return (buf[off + 6] << 8) | buf[off + 7]; }
export function arpIsEthIp(buf: Uint8Array, off: number): boolean {
  return arpHrd(buf, off) === ARPHRD_ETHER && arpPro(buf, off) === 0x0800 && buf[off + 4] === 6 && buf[off + 5] === 4;
}
/** offsets of the four addresses for the Ethernet/IPv4 form */
export function arpShaOff(off: number): number { return off + 8; }
export function arpSpaOff(off: number): number { return off + 14; }
export function arpThaOff(off: number): number { return off + 18; }
export function arpTpaOff(off: number): number { return off + 24; }
function u32(buf: Uint8Array, o: number): number { return ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0; }
export function arpSpa(buf: Uint8Array, off: number): number { return u32(buf, off + 14); }
export function arpTpa(buf: Uint8Array, off: number): number { return u32(buf, off + 24); }

export function arpSetOp(buf: Uint8Array, off: number, op: number): void { buf[off + 6] = op >>> 8; buf[off + 7] = op; }
function setU32(buf: Uint8Array, o: number, v: number): void { buf[o] = v >>> 24; buf[o + 1] = v >>> 16; buf[o + 2] = v >>> 8; buf[o + 3] = v; }
export function arpSetSpa(buf: Uint8Array, off: number, a: number): void { setU32(buf, off + 14, a); }
export function arpSetTpa(buf: Uint8Array, off: number, a: number): void { setU32(buf, off + 24, a); }
export function arpSetSha(buf: Uint8Array, off: number, mac: Uint8Array, macOff = 0): void { for (let i = 0; i < 6; i++) buf[off + 8 + i] = mac[macOff + i]; }
export function arpSetTha(buf: Uint8Array, off: number, mac: Uint8Array, macOff = 0): void { for (let i = 0; i < 6; i++) buf[off + 18 + i] = mac[macOff + i]; }

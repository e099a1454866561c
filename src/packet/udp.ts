// UDP header accessors (include/uapi/linux/udp.h struct udphdr).

export const UDP_HLEN = 8;
export const UDP_CHECK_OFF = 6;
/** a computed checksum of 0 is sent as 0xffff (CSUM_MANGLED_0) */
export const CSUM_MANGLED_0 = 0xffff;

export function udpSource(buf: Uint8Array, off: number): number { return (buf[off] << 8) | buf[off + 1]; }
export function udpDest(buf: Uint8Array, off: number): number { return (buf[off + 2] << 8) | buf[off + 3]; }
export function udpLen(buf: Uint8Array, off: number): number { return (buf[off + 4] << 8) | buf[off + 5]; }
export function udpCheck(buf: Uint8Array, off: number): number { return (buf[off + 6] << 8) | buf[off + 7]; }

export function udpSetSource(buf: Uint8Array, off: number, v: number): void { buf[off] = v >>> 8; buf[off + 1] = v; }
export function udpSetDest(buf: Uint8Array, off: number, v: number): void { buf[off + 2] = v >>> 8; buf[off + 3] = v; }
export function udpSetLen(buf: Uint8Array, off: number, v: number): void { buf[off + 4] = v >>> 8; buf[off + 5] = v; }
export function udpSetCheck(buf: Uint8Array, off: number, v: number): void { buf[off + 6] = v >>> 8; buf[off + 7] = v; }

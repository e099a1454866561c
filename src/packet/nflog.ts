// NFLOG captures (LINKTYPE_NFLOG 239, `tcpdump -i nflog:N`): libpcap's nflog_hdr_t (family,
// version, resource id = the log group, big-endian) then netlink attributes as
// nfnetlink_log.c (__build_packet_message) puts them: u16 length and type in the byte order of
// the host that captured (pcap/nflog.h; little-endian on x86 — big-endian is taken when the
// little-endian reading does not fit), values big-endian, each padded to 4 bytes. The packet
// itself is NFULA_PAYLOAD, from its network header.

export const LT_NFLOG = 239;
export const NFULA_PACKET_HDR = 1, NFULA_MARK = 2, NFULA_TIMESTAMP = 3, NFULA_IFINDEX_INDEV = 4, NFULA_IFINDEX_OUTDEV = 5,
  NFULA_IFINDEX_PHYSINDEV = 6, NFULA_IFINDEX_PHYSOUTDEV = 7, NFULA_HWADDR = 8, NFULA_PAYLOAD = 9, NFULA_PREFIX = 10, NFULA_UID = 11,
  NFULA_SEQ = 12, NFULA_SEQ_GLOBAL = 13, NFULA_GID = 14, NFULA_HWTYPE = 15, NFULA_HWHEADER = 16, NFULA_HWLEN = 17;

/** NF_INET_* hook numbers as NFULA_PACKET_HDR carries them */
export const NF_HOOK_NAMES = ['prerouting', 'input', 'forward', 'output', 'postrouting'];

const be32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/** true: TLV length/type little-endian in this record (decided on the first TLV) */
function littleEndian(b: Uint8Array, caplen: number): boolean {
  if (caplen < 8) return true;
  const le = b[4] | (b[5] << 8), tle = b[6] | (b[7] << 8);
  if (le >= 4 && le <= caplen - 4 && tle >= 1 && tle <= 32) return true;
  const be = (b[4] << 8) | b[5], tbe = (b[6] << 8) | b[7];
  return !(be >= 4 && be <= caplen - 4 && tbe >= 1 && tbe <= 32);
}

/**
 * The offset of the logged packet (NFULA_PAYLOAD's value) as tcpdump's nflog_if_print finds it,
 * -1 when a TLV is cut or malformed before it. No allocation (the decoder calls it per frame).
 */
export function nflogPayloadOffset(b: Uint8Array, caplen: number): number {
  if (caplen < 4) return -1;
  const le = littleEndian(b, caplen);
  let o = 4;
  while (o < caplen) {
    if (o + 4 > caplen) return -1;
    let size = le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
    const type = (le ? b[o + 2] | (b[o + 3] << 8) : (b[o + 2] << 8) | b[o + 3]) & 0x7fff;
    if (size % 4 !== 0) size += 4 - (size % 4);
    if (size < 4 || o + size > caplen) return -1;
    if (type === NFULA_PAYLOAD) return o + 4;
    o += size;
  }
  return -1;
}

/** what the log message says besides the packet */
export interface NflogInfo {
  family: number;
  version: number;
  /** the log group (nflog_hdr_t resource id) */
  group: number;
  prefix?: string;
  /** NF_INET_* hook the log rule ran in, and the packet's link-layer protocol */
  hook?: number;
  hwProtocol?: number;
  mark?: number;
  indev?: number;
  outdev?: number;
  physindev?: number;
  physoutdev?: number;
  hwaddr?: string;
  uid?: number;
  gid?: number;
  seq?: number;
  seqGlobal?: number;
  hwtype?: number;
  /** offset and length of the packet (NFULA_PAYLOAD), -1 when absent */
  payloadOff: number;
  payloadLen: number;
  /** a TLV cut or malformed: what follows it is not known */
  truncated: boolean;
}

export function nflogInfo(b: Uint8Array, caplen: number): NflogInfo | null {
  if (caplen < 4) return null;
  const r: NflogInfo = { family: b[0], version: b[1], group: (b[2] << 8) | b[3], payloadOff: -1, payloadLen: 0, truncated: false };
  const le = littleEndian(b, caplen);
  let o = 4;
  while (o < caplen) {
    if (o + 4 > caplen) { r.truncated = true; break; }
    const len = le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
    const type = (le ? b[o + 2] | (b[o + 3] << 8) : (b[o + 2] << 8) | b[o + 3]) & 0x7fff;
    const size = (len + 3) & ~3;
    if (len < 4 || o + len > caplen) { r.truncated = true; break; }
    const v = o + 4, vlen = len - 4;
    switch (type) {
      case NFULA_PACKET_HDR: if (vlen >= 3) { r.hwProtocol = (b[v] << 8) | b[v + 1]; r.hook = b[v + 2]; } break;
      case NFULA_MARK: if (vlen >= 4) r.mark = be32(b, v); break;
      case NFULA_IFINDEX_INDEV: if (vlen >= 4) r.indev = be32(b, v); break;
      case NFULA_IFINDEX_OUTDEV: if (vlen >= 4) r.outdev = be32(b, v); break;
      case NFULA_IFINDEX_PHYSINDEV: if (vlen >= 4) r.physindev = be32(b, v); break;
      case NFULA_IFINDEX_PHYSOUTDEV: if (vlen >= 4) r.physoutdev = be32(b, v); break;
      case NFULA_HWADDR: {
        // struct nfulnl_msg_packet_hw: hw_addrlen (be16), pad, hw_addr[8]
        const n = vlen >= 2 ? Math.min((b[v] << 8) | b[v + 1], 8, vlen - 4) : 0;
        let s = '';
        for (let k = 0; k < n; k++) s += (k ? ':' : '') + (b[v + 4 + k] < 16 ? '0' : '') + b[v + 4 + k].toString(16);
        if (n > 0) r.hwaddr = s;
        break;
      }
      case NFULA_PREFIX: {
        let s = '';
        for (let k = v; k < v + vlen && b[k] !== 0; k++) s += String.fromCharCode(b[k]);
        r.prefix = s;
        break;
      }
      case NFULA_UID: if (vlen >= 4) r.uid = be32(b, v); break;
      case NFULA_GID: if (vlen >= 4) r.gid = be32(b, v); break;
      case NFULA_SEQ: if (vlen >= 4) r.seq = be32(b, v); break;
      case NFULA_SEQ_GLOBAL: if (vlen >= 4) r.seqGlobal = be32(b, v); break;
      case NFULA_HWTYPE: if (vlen >= 2) r.hwtype = (b[v] << 8) | b[v + 1]; break;
      case NFULA_PAYLOAD: r.payloadOff = v; r.payloadLen = Math.min(vlen, caplen - v); break;
    }
    o += size;
  }
  return r;
}

/** the `nflog` object of ndjson: the log message's facts (interfaces as ifindex) */
export function nflogRecord(i: NflogInfo): Record<string, unknown> {
  const r: Record<string, unknown> = { group: i.group, family: i.family === 2 ? 'ipv4' : i.family === 10 ? 'ipv6' : i.family };
  if (i.prefix !== undefined) r.prefix = i.prefix;
  if (i.hook !== undefined) r.hook = NF_HOOK_NAMES[i.hook] ?? i.hook;
  if (i.mark !== undefined) r.mark = i.mark;
  if (i.indev !== undefined) r.indev = i.indev;
  if (i.outdev !== undefined) r.outdev = i.outdev;
  if (i.physindev !== undefined) r.physindev = i.physindev;
  if (i.physoutdev !== undefined) r.physoutdev = i.physoutdev;
  if (i.hwaddr !== undefined) r.hwaddr = i.hwaddr;
  if (i.uid !== undefined) r.uid = i.uid;
  if (i.gid !== undefined) r.gid = i.gid;
  if (i.truncated) r.truncated = true;
  return r;
}

// Which of n workers holds a frame (--jobs): a symmetric hash of the outermost IP address pair,
// as RSS keeps a conversation on one CPU; frames without an IP header go to worker 0.
import { LT_EN10MB, MAX_VLAN_TAGS, type Decoded } from '../packet/decode.js';

export function flowOwner(d: Decoded, n: number): number {
  if (n === 1 || d.srcOff < 0 || d.dstOff < 0 || (d.ipVersion !== 4 && d.ipVersion !== 6)) return 0;
  return pairOwner(d.data, d.srcOff, d.dstOff, d.ipVersion === 4 ? 4 : 16, n);
}

/** the owner of the address pair at s and t (`len` bytes each), the same for both directions */
function pairOwner(b: Uint8Array, s: number, t: number, len: number, n: number): number {
  let hs = 0x811c9dc5, hd = 0x811c9dc5;
  for (let i = 0; i < len; i++) {
    hs = Math.imul(hs ^ b[s + i]!, 0x01000193);
    hd = Math.imul(hd ^ b[t + i]!, 0x01000193);
  }
  // the same for both directions: combined without order
  const h = Math.imul((hs ^ hd) >>> 0, 0x9e3779b1) >>> 0;
  return (h >>> 16) % n;
}

/**
 * flowOwner(decodeFrame(...), n) read straight from an Ethernet frame's headers, as decodeEth and
 * decodeEthertype find them (VLAN tags, then IPv4/IPv6; any other protocol has no IP pair: 0),
 * without decoding the rest; -1 for other link types, where the caller decodes.
 * test/cli/jobs-hash.test.ts checks it against flowOwner on every frame of the corpus.
 */
export function fastOwner(b: Uint8Array, start: number, caplen: number, linktype: number, n: number): number {
  if (linktype !== LT_EN10MB) return -1;
  if (n === 1 || caplen < 14) return 0;
  const end = start + caplen;
  let off = start + 14;
  let type = (b[start + 12]! << 8) | b[start + 13]!;
  let tags = 0;
  while (type === 0x8100 || type === 0x88a8 || type === 0x9100 || type === 0x9200 || type === 0x9300) {
    if (end - off < 4 || tags === MAX_VLAN_TAGS) return 0;
    type = (b[off + 2]! << 8) | b[off + 3]!;
    off += 4;
    tags++;
  }
  const avail = end - off;
  if (type === 0x0800) {
    // decodeIpv4 sets both addresses when the version, header length and total length pass
    if (avail < 20 || b[off]! >>> 4 !== 4) return 0;
    const hl = (b[off]! & 0x0f) << 2;
    const tot = (b[off + 2]! << 8) | b[off + 3]!;
    if (hl < 20 || (tot !== 0 && tot < hl)) return 0;
    return pairOwner(b, off + 12, off + 16, 4, n);
  }
  if (type === 0x86dd) {
    if (avail < 40 || b[off]! >>> 4 !== 6) return 0;
    return pairOwner(b, off + 8, off + 24, 16, n);
  }
  return 0;
}

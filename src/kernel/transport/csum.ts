// Transport checksum verification as the receive path does it (skb_checksum_init /
// tcp_checksum_complete / udp_lib_checksum_complete), with the capture's realities:
// --checksums trust, CHECKSUM_UNNECESSARY, frames cut by the snaplen, and (auto) segments whose
// checksum field still holds only the pseudo-header sum: they were sent with CHECKSUM_PARTIAL
// (left to the NIC) and captured before it was filled in, e.g. by a veth peer, where the
// receiver also gets them as CHECKSUM_PARTIAL and does not verify (skb_csum_unnecessary).

import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import { CHECKSUM_PARTIAL, CHECKSUM_UNNECESSARY, type SkBuff } from '../skbuff.js';
import { csumPartial, csumFold16, csumTcpudpNofold, csumIpv6Nofold, l4CsumV4, l4CsumV6 } from '../../packet/checksum.js';

/** true when the L4 checksum of [th, th+len) verifies or need not be verified */
export function l4_csum_ok(net: Net, skb: SkBuff, ctx: FrameCtx, fam: 4 | 6, proto: number, len: number, saddr: number, daddr: number, checkOff: number): boolean {
  // skb_csum_unnecessary: CHECKSUM_UNNECESSARY, or CHECKSUM_PARTIAL (never filled in, never verified)
  if (net.opts.checksums === 'trust' || skb.ip_summed === CHECKSUM_UNNECESSARY || skb.ip_summed === CHECKSUM_PARTIAL || skb.tail < skb.wireEnd) return true;
  const b = skb.data;
  const th = skb.transport_header;
  const nh = skb.network_header;
  const ok = fam === 4 ? l4CsumV4(b, th, len, proto, saddr, daddr) === 0 : l4CsumV6(b, nh, th, len, proto) === 0;
  if (ok) return true;
  if (net.opts.checksums === 'auto') {
    const pseudo = csumFold16(fam === 4 ? csumTcpudpNofold(saddr, daddr, len, proto, 0) : csumIpv6Nofold(b, nh + 8, b, nh + 24, len, proto, 0));
    const field = (b[th + checkOff] << 8) | b[th + checkOff + 1];
    if (field === pseudo) {
      ctx.tracing && ctx.ev('skb_checksum_init', 'checksum field holds the pseudo-header sum: sent with CHECKSUM_PARTIAL (offload), not verified');
      return true;
    }
  }
  return false;
}

/**
 * At ingress (--checksums auto): a TCP/UDP segment directly behind an IPv4 or IPv6 header whose
 * checksum field holds exactly the folded pseudo-header sum was sent with CHECKSUM_PARTIAL and
 * captured before anyone filled it in (a veth peer hands such skbs over as CHECKSUM_PARTIAL too).
 * Deciding it once here lets every later check (conntrack's nf_checksum, tcp/udp receive) see
 * the same ip_summed, as in the kernel.
 */
export function checksumLeftToNic(skb: SkBuff): boolean {
  const b = skb.data;
  const nh = skb.network_header;
  if (nh < 0) return false;
  let th: number, len: number, proto: number, pseudo: number;
  if (skb.protocol === 0x0800) {
    if (skb.tail < nh + 20) return false;
    const ihl = (b[nh]! & 0x0f) * 4;
    if ((b[nh]! >> 4) !== 4 || ihl < 20 || ((b[nh + 6]! & 0x3f) | b[nh + 7]!) !== 0) return false; // fragments: no
    proto = b[nh + 9]!;
    th = nh + ihl;
    len = ((b[nh + 2]! << 8) | b[nh + 3]!) - ihl;
    const saddr = ((b[nh + 12]! << 24) | (b[nh + 13]! << 16) | (b[nh + 14]! << 8) | b[nh + 15]!) >>> 0;
    const daddr = ((b[nh + 16]! << 24) | (b[nh + 17]! << 16) | (b[nh + 18]! << 8) | b[nh + 19]!) >>> 0;
    if (proto !== 6 && proto !== 17) return false;
    pseudo = csumFold16(csumTcpudpNofold(saddr, daddr, len, proto, 0));
  } else if (skb.protocol === 0x86dd) {
    if (skb.tail < nh + 40) return false;
    proto = b[nh + 6]!;
    th = nh + 40;
    len = (b[nh + 4]! << 8) | b[nh + 5]!;
    if (proto !== 6 && proto !== 17) return false;
    pseudo = csumFold16(csumIpv6Nofold(b, nh + 8, b, nh + 24, len, proto, 0));
  } else return false;
  const off = th + (proto === 6 ? 16 : 6);
  if (len < (proto === 6 ? 20 : 8) || skb.tail < off + 2) return false;
  const field = (b[off]! << 8) | b[off + 1]!;
  return field === pseudo && (proto !== 17 || field !== 0);
}

export { csumPartial };

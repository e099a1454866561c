// Transport checksum verification as the receive path does it (skb_checksum_init /
// tcp_checksum_complete / udp_lib_checksum_complete), with the capture's realities:
// --checksums trust, CHECKSUM_UNNECESSARY, frames cut by the snaplen, and (auto) segments whose
// checksum field still holds only the pseudo-header sum: they were sent with CHECKSUM_PARTIAL
// (left to the NIC) and captured before it was filled in, e.g. by a veth peer, where the
// receiver also gets them as CHECKSUM_PARTIAL and does not verify (skb_csum_unnecessary).

import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import { CHECKSUM_UNNECESSARY, type SkBuff } from '../skbuff.js';
import { csumPartial, csumFold16, csumTcpudpNofold, csumIpv6Nofold, l4CsumV4, l4CsumV6 } from '../../packet/checksum.js';

/** true when the L4 checksum of [th, th+len) verifies or need not be verified */
export function l4_csum_ok(net: Net, skb: SkBuff, ctx: FrameCtx, fam: 4 | 6, proto: number, len: number, saddr: number, daddr: number, checkOff: number): boolean {
  if (net.opts.checksums === 'trust' || skb.ip_summed === CHECKSUM_UNNECESSARY || skb.len < skb.wireLen) return true;
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

export { csumPartial };

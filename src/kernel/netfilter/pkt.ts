// nft_pktinfo: what every expression reads, computed once per hook call from the skb
// (nft_set_pktinfo_ipv4 / nft_set_pktinfo_ipv6). One object is reused for all calls.

import type { NetDevice } from '../../host/types.js';
import type { SkBuff } from '../skbuff.js';
import { NFPROTO_ARP, NFPROTO_IPV4, NFPROTO_IPV6 } from './hook.js';
import type { NfConn } from './nf_conntrack.js';

export class Pkt {
  skb!: SkBuff;
  d!: Uint8Array;
  /** header offsets, -1 when absent */
  ll = -1;
  nh = -1;
  th = -1;
  end = 0;
  /** NFPROTO of the packet itself (2 IPv4, 10 IPv6, 3 ARP, 0 other) */
  nfproto = 0;
  /** transport protocol (pkt->tprot), -1 when the network header is not valid */
  l4proto = -1;
  /** fragment offset in bytes; transport loads break when non-zero */
  fragoff = 0;
  pf = 0;
  hook = 0;
  in: NetDevice | null = null;
  out: NetDevice | null = null;
  /** capture time in seconds (limit buckets, conntrack timeouts) */
  now = 0;
  ct: NfConn | null = null;
  ctinfo = 0;
  /** the helper of the conntrack template `-j CT --helper` attached (xt_ct_target), read by nf_conntrack_in */
  ctTmplHelper: string | null = null;
  /** set by unsupported expressions that decided a rule */
  unsupported: string[] | null = null;
  /** verdict from a vmap: code and chain */
  vcode = 0;
  vchain = -1;
  /** nat statement that matched in a nat chain (read by nf_nat) */
  natReq: unknown = null;
  /** the rule's reject (sent after the chain returns) */
  rejectReq: unknown = null;
  /** netdev fwd: the verdict it set (NF_STOLEN once sent, NF_DROP for an expiring TTL), 0 none */
  fwdVerdict = 0;

  set(skb: SkBuff, pf: number, hook: number, inDev: NetDevice | null, outDev: NetDevice | null): void {
    this.skb = skb;
    const d = (this.d = skb.data);
    this.end = skb.tail;
    this.pf = pf;
    this.hook = hook;
    this.in = inDev;
    this.out = outDev;
    this.now = skb.tstampSec + skb.tstampNsec / 1e9;
    this.ct = skb.ct as NfConn | null;
    this.ctinfo = skb.ctinfo;
    this.ctTmplHelper = null;
    this.unsupported = null;
    this.natReq = null;
    this.rejectReq = null;
    this.fwdVerdict = 0;
    this.ll = skb.mac_header;
    let nh = skb.network_header;
    const proto = skb.protocol;
    if (nh < 0 && this.ll >= 0) nh = this.ll + 14;
    this.nh = nh;
    this.th = -1;
    this.l4proto = -1;
    this.fragoff = 0;
    let fam = pf === NFPROTO_IPV4 || pf === NFPROTO_IPV6 ? pf : 0;
    if (fam === 0) fam = proto === 0x0800 ? NFPROTO_IPV4 : proto === 0x86dd ? NFPROTO_IPV6 : proto === 0x0806 ? NFPROTO_ARP : 0;
    this.nfproto = fam;
    if (nh < 0) return;
    if (fam === NFPROTO_IPV4) {
      if (nh + 20 > this.end) return;
      const vihl = d[nh]!;
      const ihl = (vihl & 15) * 4;
      // nft_set_pktinfo_ipv4_validate: bad version/ihl/length -> no transport info
      if (vihl >> 4 !== 4 || ihl < 20) return;
      const totLen = (d[nh + 2]! << 8) | d[nh + 3]!;
      if (totLen < ihl) return;
      if (nh + totLen <= this.end) this.end = nh + totLen; // ignore link-layer padding
      this.l4proto = d[nh + 9]!;
      this.fragoff = (((d[nh + 6]! << 8) | d[nh + 7]!) & 0x1fff) * 8;
      this.th = nh + ihl;
    } else if (fam === NFPROTO_IPV6) {
      if (nh + 40 > this.end || d[nh]! >> 4 !== 6) return;
      const plen = (d[nh + 4]! << 8) | d[nh + 5]!;
      if (plen && nh + 40 + plen <= this.end) this.end = nh + 40 + plen;
      // ipv6_find_hdr: walk extension headers to the transport header; nft asks with
      // IP6_FH_F_AUTH (nft_set_pktinfo_ipv6_validate), so an AH header is the l4 protocol (51)
      let nexthdr = d[nh + 6]!;
      let off = nh + 40;
      for (let i = 0; i < 16; i++) {
        if (nexthdr === 0 || nexthdr === 43 || nexthdr === 60) {
          if (off + 8 > this.end) return;
          const len = (d[off + 1]! + 1) * 8;
          nexthdr = d[off]!;
          off += len;
        } else if (nexthdr === 44) {
          if (off + 8 > this.end) return;
          this.fragoff = ((d[off + 2]! << 8) | d[off + 3]!) & 0xfff8;
          nexthdr = d[off]!;
          off += 8;
        } else break;
      }
      this.l4proto = nexthdr;
      this.th = off;
    }
  }
}

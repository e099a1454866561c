// nf_ct_attach (net/netfilter/core.c) -> nf_conntrack_attach (nf_conntrack_core.c): a packet the
// kernel builds about another one (icmp_glue_bits and icmpv6_getfrag for ICMP errors) carries that
// packet's conntrack entry, even an unconfirmed one, as RELATED in the other direction, so
// nf_conntrack_in leaves it alone and the NAT hooks treat it as an error of that connection.
import type { SkBuff } from '../skbuff.js';

const IP_CT_RELATED = 1, IP_CT_IS_REPLY = 3, IP_CT_RELATED_REPLY = 4, IP_CT_UNTRACKED = 7;

export function nf_ct_attach(nskb: SkBuff, skb: SkBuff): void {
  if (!skb.ct || skb.ctinfo === IP_CT_UNTRACKED) return;
  // "This ICMP is in reverse direction to the packet which caused it"
  nskb.ct = skb.ct;
  nskb.ctinfo = skb.ctinfo < IP_CT_IS_REPLY ? IP_CT_RELATED_REPLY : IP_CT_RELATED;
}

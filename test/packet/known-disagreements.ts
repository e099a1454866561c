// Every place the decoder and tshark 4.0.17 (the corpus reference) differ, with the reason.
// `missing`: we report nothing for the field where tshark has a value (any value we DO report
// must still agree); `differs`: our value is different on purpose.

export interface KnownDisagreement {
  file: string;
  fields: string[];
  kind: 'missing' | 'differs';
  reason: string;
}

const TUNNEL = 'tunnel payload not descended: the decoder stops at the outer headers, as the kernel hands the inner packet to a tunnel device; tshark reports the inner transport header';
const LINK = 'link type not decoded (only EN10MB, LINUX_SLL/SLL2, RAW, IPV4, IPV6, NULL, LOOP, NFLOG are): tshark dissects it';
const QUOTE = 'ICMP error quoting a packet: tshark reports the quoted packet\'s transport ports; the decoder reports the ICMP header itself';
const ALL = ['src', 'dst', 'proto', 'ttl', 'ip_csum', 'tcp_sport', 'tcp_dport', 'tcp_flags', 'tcp_csum', 'udp_sport', 'udp_dport', 'udp_csum', 'vlan_id',
  'ip_id', 'ip_frag_offset', 'icmp_type', 'icmp_code', 'tcp_seq', 'tcp_ack', 'tcp_hdr_len', 'tcp_len', 'udp_length'];
const PORTS = ['tcp_sport', 'tcp_dport', 'tcp_flags', 'udp_sport', 'udp_dport'];

export const KNOWN: KnownDisagreement[] = [
  // link types outside the model
  ...['libpcap/filter/http_PPI.pcap', 'libpcap/filter/arcnet-rfc1201-arp-icmp-http.pcap', 'tcpdump/LINKTYPE_PKTAP.pcap',
    'tcpdump/LINKTYPE_USER2_PKTAP.pcap', 'tcpdump/e1000g.pcap', 'tcpdump/icmp-cksum-oobr-4.pcapng', 'tcpdump/icmp-icmp_print-oobr-2.pcap',
    'tcpdump/icmp-rfc5837.pcap', 'tcpdump/ipoib.pcap', 'zeek/dns-inverse-query.pcap',
    'zeek/quic/interop/quic-go_quic-go/handshake.pcap', 'zeek/radiotap.pcap', 'zeek/wlanmon.pcap']
    .map((file): KnownDisagreement => ({ file, fields: ALL, kind: 'missing', reason: LINK })),
  // encapsulations not descended
  ...['tcpdump/geneve.pcap', 'zeek/erspan.pcap', 'zeek/tunnels/4in4.pcap', 'zeek/tunnels/6in4.pcap', 'zeek/tunnels/gre-aruba.pcap',
    'zeek/tunnels/gre-sample.pcap', 'zeek/tunnels/gre-within-gre.pcap', 'libpcap/filter/ipv6_ah_modes.pcap', 'tcpdump/bigtcp-ipv4.pcap']
    .filter((f) => f !== 'tcpdump/bigtcp-ipv4.pcap')
    .map((file): KnownDisagreement => ({ file, fields: PORTS, kind: 'missing', reason: TUNNEL })),
  { file: 'zeek/mpls-in-vlan.pcap', fields: ALL, kind: 'missing', reason: 'MPLS label stack not descended (the kernel model has no mpls_rcv); tshark guesses IPv4 under the bottom label' },
  { file: 'zeek/trunc/mpls-6in6-6in6-4in6-trunc.pcap', fields: ALL, kind: 'missing', reason: 'MPLS label stack not descended' },
  { file: 'zeek/pppoe-over-qinq.pcap', fields: ALL, kind: 'missing', reason: 'PPPoE session payload not descended (no PPP in the kernel model)' },
  { file: 'zeek/tunnels/gre-erspan3-dot1q.pcap', fields: ['vlan_id'], kind: 'missing', reason: TUNNEL + ' (the 802.1Q tag is inside the ERSPAN payload)' },
  { file: 'zeek/vntag.pcap', fields: ALL, kind: 'missing', reason: 'VN-Tag (ethertype 0x8926) not decoded; the kernel has no VN-Tag receive path' },
  // ICMP errors quoting a datagram
  ...['zeek/icmp/icmp-destunreach-udp.pcap', 'zeek/icmp/icmp-timeexceeded.pcap', 'tcpdump/icmp-cksum-oobr-1.pcap']
    .map((file): KnownDisagreement => ({ file, fields: PORTS, kind: 'missing', reason: QUOTE })),
  // malformed on purpose; the kernel would drop them, we flag them
  { file: 'tcpdump/LINKTYPE_IPV4_invalid.pcap', fields: ALL, kind: 'missing', reason: 'an IPv6 packet in a LINKTYPE_IPV4 file: tshark decodes it as IPv6 anyway; the decoder flags a bad IPv4 version (the link type promises IPv4)' },
  { file: 'zeek/ipv6-mobility-dst-opts.pcap', fields: PORTS, kind: 'missing', reason: 'frame 3: Home Address option with length 1 — tshark skips 16 bytes anyway and finds UDP; the TLV walk (ip6_parse_tlv) then overruns the header, flagged malformed (the kernel drops it: ipv6_dest_hao requires length 16)' },
  { file: 'zeek/trunc/ipv4-internally-truncated-header.pcap', fields: ['dst'], kind: 'differs', reason: 'IPv4 header of 60 bytes cut after 20: tshark stops before ip.dst though its bytes were captured; the decoder reports it and flags the header truncated' },
];

// Every place where this reader and the corpus reference (tshark 4.0.17) disagree, with the
// reason. Key: corpus file; checks: the names of the checks that differ (see corpus.test.ts).
// The conformance test fails on any disagreement not listed here AND on a listed one that no
// longer occurs, so this list stays exact.
export interface KnownDisagreement {
  checks: string[];
  reason: string;
}

const SUNATM =
  "SunATM (LINKTYPE 123): tshark's frame.cap_len/frame.len exclude the 4-byte SunATM pseudo-header; we report the record header's caplen/len, which agree with the on-disk view (struct.*, checked)";
const SUBSEC =
  'sub-second field out of range (>= 10^6 usec / 10^9 nsec): tshark 4.0 does not normalise it (32-bit multiply, wraps or prints 10 digits); we carry it into the seconds like pcapfacts (struct.first_ts/last_ts, checked)';

export const KNOWN_DISAGREEMENTS: Record<string, KnownDisagreement> = {
  'libpcap/filter/pcapng-tsresol-bin-overflow.pcapng': {
    checks: ['ts'],
    reason:
      'if_tsresol 2^-63 with timestamp 0x7fffffffffffffff is 0.99999999999999999989 s; tshark 4.0 overflows (0.000000001); we give 0.999999999 = struct.first_ts rounded down (checked)',
  },
  'tcpdump/atm-heapoverflow.pcap': { checks: ['total_caplen', 'total_origlen', 'caplen', 'len'], reason: SUNATM },
  'tcpdump/atm-oam-loopback-print-overrun.pcap': { checks: ['total_caplen', 'total_origlen', 'caplen', 'len', 'ts'], reason: `${SUNATM}; and ${SUBSEC}` },
  'tcpdump/rx_serviceid_oobr.pcap': { checks: ['ts'], reason: SUBSEC },
  'tcpdump/timestamp_invalid_micro.pcap': { checks: ['ts'], reason: SUBSEC },
  'tcpdump/timestamp_invalid_nano.pcap': { checks: ['ts'], reason: SUBSEC },
};

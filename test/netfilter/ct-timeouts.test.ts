// net.netfilter.nf_conntrack_*_timeout* sysctls of a snapshot (nf_conntrack_standalone.c's table,
// names as /proc/sys/net/netfilter shows them) into the tracker's timeouts by TCP state
// (enum tcp_conntrack: NONE, SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT, CLOSE_WAIT, LAST_ACK,
// TIME_WAIT, CLOSE, SYN_SENT2). SYN_SENT2 follows nf_conntrack_tcp_timeout_syn_sent: measured on
// 6.18 (ct-tcp.py's namespaces, syn_sent=77, a simultaneous open): the SYN_SENT2 entry showed 76 s.
// The files hold decimal integers (proc_dointvec_jiffies); anything else in a snapshot is not a value
// and the kernel default stays.
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUTS, timeoutsFromSysctl } from '../../src/kernel/netfilter/nf_conntrack.js';

describe('timeoutsFromSysctl', () => {
  const from = (o: Record<string, string>) => timeoutsFromSysctl((k) => o[k.replace('net.netfilter.nf_conntrack_', '')]);
  it('maps each TCP state sysctl to its state, and the UDP/ICMP/generic ones', () => {
    const t = from({
      tcp_timeout_syn_sent: '11', tcp_timeout_syn_recv: '12', tcp_timeout_established: '13', tcp_timeout_fin_wait: '14', tcp_timeout_close_wait: '15',
      tcp_timeout_last_ack: '16', tcp_timeout_time_wait: '17', tcp_timeout_close: '18', tcp_timeout_unacknowledged: '19',
      udp_timeout: '20', udp_timeout_stream: '21', icmp_timeout: '22', icmpv6_timeout: '24', generic_timeout: '23',
    });
    expect(t).toEqual({ tcp: [0, 11, 12, 13, 14, 15, 16, 17, 18, 11], tcpUnack: 19, udp: 20, udpStream: 21, icmp: 22, icmpv6: 24, generic: 23 });
  });
  it('keeps the kernel defaults for missing or non-numeric values', () => {
    expect(from({})).toEqual(DEFAULT_TIMEOUTS);
    expect(from({ tcp_timeout_established: 'x30', udp_timeout: '30x', icmp_timeout: '', generic_timeout: '-5' })).toEqual(DEFAULT_TIMEOUTS);
  });
});

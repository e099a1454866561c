// Transport demux on the "router" sample (sockets from its ss.txt, set up by setup.sh):
// tcp LISTEN 0.0.0.0:8080, 10.1.0.1:22, [::]:9443 (v6only), *:8443 (dual stack);
// udp 10.2.0.1:53, 0.0.0.0%eth1:5353, [2001:db8:1::1]:7000.
// Expected behaviour from net/ipv4/tcp_ipv4.c tcp_v4_rcv / tcp_v4_send_reset, net/ipv4/tcp_input.c
// tcp_rcv_state_process (TCP_LISTEN), net/ipv4/inet_hashtables.c __inet_lookup_listener and
// net/ipv4/udp.c __udp4_lib_rcv.
import { describe, it } from 'vitest';
import { sample, run, eth, udp4, tcp4, udp6, expectFate } from './helpers.js';

const host = sample('router');
const in0 = (ip: Uint8Array) => eth('02:00:00:00:01:01', '02:00:00:00:01:02', 0x0800, ip);
const in1 = (ip: Uint8Array) => eth('02:00:00:00:02:01', '02:00:00:00:02:02', 0x0800, ip);
const SYN = 0x02;
const ACK = 0x10;
const PSH = 0x08;
const RST = 0x04;
const FIN = 0x01;

describe('tcp_v4_rcv', () => {
  it('a SYN to a closed port is NO_SOCKET and answered with RST|ACK (ack = seq + 1)', () => {
    expectFate(run(host, in0(tcp4('10.1.0.2', '10.1.0.1', 40000, 23, SYN, 1000)), 'eth0').rec)
      .dropped('NO_SOCKET', 'tcp_v4_rcv')
      .reply('eth0', 'IP 10.1.0.1.23 > 10.1.0.2.40000: Flags [R.], seq 0, ack 1001, win 0, length 0');
  });
  it('an ACK to a closed port gets a RST with seq = its ack', () => {
    expectFate(run(host, in0(tcp4('10.1.0.2', '10.1.0.1', 40000, 23, ACK, 1000, 777)), 'eth0').rec)
      .dropped('NO_SOCKET')
      .reply('eth0', 'IP 10.1.0.1.23 > 10.1.0.2.40000: Flags [R], seq 777, win 0, length 0');
  });
  it('a RST to a closed port is not answered', () => {
    expectFate(run(host, in0(tcp4('10.1.0.2', '10.1.0.1', 40000, 23, RST, 1000)), 'eth0').rec).dropped('NO_SOCKET').noReply();
  });
  it('a bad TCP checksum is TCP_CSUM and not answered', () => {
    const p = tcp4('10.1.0.2', '10.1.0.1', 40000, 23, SYN);
    p[36] ^= 0x55;
    expectFate(run(host, in0(p), 'eth0').rec).dropped('TCP_CSUM').noReply();
  });
  it('handshake with the 10.1.0.1:22 listener: SYN consumed with SYN-ACK, ACK and data delivered, data ACKed', () => {
    const a = run(host, in0(tcp4('10.1.0.2', '10.1.0.1', 40001, 22, SYN, 5000)), 'eth0');
    expectFate(a.rec).consumed().reply('eth0', 'IP 10.1.0.1.22 > 10.1.0.2.40001: Flags [S.], seq 0, ack 5001, win 64240, options [mss 1460], length 0');
    expectFate(run(host, in0(tcp4('10.1.0.2', '10.1.0.1', 40001, 22, ACK, 5001, 424242)), 'eth0', a.net).rec).delivered('tcp 10.1.0.1:22');
    expectFate(run(host, in0(tcp4('10.1.0.2', '10.1.0.1', 40001, 22, ACK | PSH, 5001, 424242, new Uint8Array(10))), 'eth0', a.net).rec)
      .delivered('tcp 10.1.0.1:22')
      .reply('eth0', 'IP 10.1.0.1.22 > 10.1.0.2.40001: Flags [.], ack 5011, win 64230, length 0');
    expectFate(run(host, in0(tcp4('10.1.0.2', '10.1.0.1', 40001, 22, ACK | FIN, 5011, 424242)), 'eth0', a.net).rec).delivered('tcp 10.1.0.1:22');
  });
  it('an ACK to a listener without a request sock is TCP_FLAGS and reset', () => {
    expectFate(run(host, in0(tcp4('10.1.0.2', '10.1.0.1', 40002, 8080, ACK, 1, 12345)), 'eth0').rec)
      .dropped('TCP_FLAGS', 'tcp_rcv_state_process')
      .reply('eth0', 'IP 10.1.0.1.8080 > 10.1.0.2.40002: Flags [R], seq 12345, win 0, length 0');
  });
  it('SYN+FIN to a listener is TCP_FLAGS without an answer', () => {
    expectFate(run(host, in0(tcp4('10.1.0.2', '10.1.0.1', 40003, 8080, SYN | FIN)), 'eth0').rec).dropped('TCP_FLAGS').noReply();
  });
  it('a dual-stack [::] listener takes IPv4 (ipv6_only off); a v6only one does not', () => {
    expectFate(run(host, in0(tcp4('10.1.0.2', '10.1.0.1', 40004, 8443, SYN)), 'eth0').rec).consumed().event('__inet_lookup_listener', /tcp \*:8443/);
    expectFate(run(host, in0(tcp4('10.1.0.2', '10.1.0.1', 40005, 9443, SYN)), 'eth0').rec).dropped('NO_SOCKET');
  });
  it('the specific-address listener wins over the wildcard bucket (10.1.0.1:22 only listens there)', () => {
    expectFate(run(host, in0(tcp4('10.1.0.2', '10.2.0.1', 40006, 22, SYN)), 'eth0').rec).dropped('NO_SOCKET');
  });
});

describe('__udp4_lib_rcv / __udp6_lib_rcv', () => {
  it('delivers to the socket bound to the destination address', () => {
    expectFate(run(host, in0(udp4('10.1.0.2', '10.2.0.1', 40000, 53)), 'eth0').rec).delivered('udp 10.2.0.1:53');
  });
  it('no socket: NO_SOCKET with ICMP port unreachable', () => {
    expectFate(run(host, in0(udp4('10.1.0.2', '10.1.0.1', 40000, 53)), 'eth0').rec)
      .dropped('NO_SOCKET')
      .reply('eth0', 'IP 10.1.0.1 > 10.1.0.2: ICMP 10.1.0.1 udp port 53 unreachable, length 40');
  });
  it('a socket bound to eth1 (SO_BINDTODEVICE) takes only what arrives on eth1', () => {
    expectFate(run(host, in0(udp4('10.1.0.2', '10.1.0.1', 40000, 5353)), 'eth0').rec).dropped('NO_SOCKET');
    expectFate(run(host, in1(udp4('10.2.0.2', '10.2.0.1', 40000, 5353)), 'eth1').rec).delivered('udp 0.0.0.0%eth1:5353');
  });
  it('a bad UDP checksum with no socket is UDP_CSUM and silent', () => {
    const p = udp4('10.1.0.2', '10.1.0.1', 40000, 54);
    p[26] ^= 0x55;
    expectFate(run(host, in0(p), 'eth0').rec).dropped('UDP_CSUM').noReply();
  });
  it('IPv6 UDP to a bound address is delivered', () => {
    const f = eth('02:00:00:00:01:01', '02:00:00:00:01:02', 0x86dd, udp6('2001:db8:1::2', '2001:db8:1::1', 40000, 7000));
    expectFate(run(host, f, 'eth0').rec).delivered('udp [2001:db8:1::1]:7000');
  });
  it('IPv6 hop limit 1 on a forwarded packet: IP_INHDR; the ICMPv6 time exceeded waits for the neighbour (NS sent)', () => {
    // ip6_forward -> icmpv6_send; the sender has no neighbour entry, so ip6_finish_output2 queues
    // the error behind a neighbour solicitation (__neigh_event_send)
    const f = eth('02:00:00:00:01:01', '02:00:00:00:01:02', 0x86dd, udp6('2001:db8:1::2', '2001:db8:99::1', 40000, 53, 1));
    expectFate(run(host, f, 'eth0').rec).dropped('IP_INHDR', 'ip6_forward').event('icmp6_send', /ICMPv6 type 3 code 0/).reply('eth0', /neighbor solicitation, who has 2001:db8:1::2/);
  });
});

// An established connection the replay opened (net/ipv4/tcp_input.c tcp_validate_incoming,
// tcp_ack, tcp_data_queue). The peer's first ACK (ack = 424242) fixes our ISN at 424241.
describe('tcp_rcv_established on a connection opened in the replay', () => {
  function open() {
    const a = run(host, in0(tcp4('10.1.0.2', '10.1.0.1', 40100, 8080, SYN, 7000)), 'eth0');
    run(host, in0(tcp4('10.1.0.2', '10.1.0.1', 40100, 8080, ACK, 7001, 424242)), 'eth0', a.net);
    run(host, in0(tcp4('10.1.0.2', '10.1.0.1', 40100, 8080, ACK | PSH, 7001, 424242, new Uint8Array(5))), 'eth0', a.net);
    return a.net;
  }
  const seg = (flags: number, seq: number, ack: number, len = 0) => in0(tcp4('10.1.0.2', '10.1.0.1', 40100, 8080, flags, seq, ack, new Uint8Array(len)));
  const ackReply = 'IP 10.1.0.1.8080 > 10.1.0.2.40100: Flags [.], ack 7006, win 64235, length 0';
  it('a retransmission (end_seq not after rcv_nxt) is TCP_OLD_DATA with an immediate ACK', () => {
    expectFate(run(host, seg(ACK | PSH, 7001, 424242, 5), 'eth0', open()).rec).dropped('TCP_OLD_DATA', 'tcp_data_queue').reply('eth0', ackReply);
  });
  it('data beyond the window is TCP_INVALID_SEQUENCE with a duplicate ACK', () => {
    expectFate(run(host, seg(ACK | PSH, 7006 + 1000000, 424242, 3), 'eth0', open()).rec).dropped('TCP_INVALID_SEQUENCE').reply('eth0', ackReply);
  });
  it('an ACK of data the host cannot have sent (beyond snd_una + the peer\'s window) is TCP_ACK_UNSENT_DATA, answered with an ACK', () => {
    // the capture holds no segment of the host: an ACK within the peer's window would be taken as
    // acknowledging unseen data (one-sided pickup, test/kernel/one-sided.test.ts); beyond it, not
    expectFate(run(host, seg(ACK | PSH, 7006, 424242 + 200000, 4), 'eth0', open()).rec).dropped('TCP_ACK_UNSENT_DATA', 'tcp_ack').reply('eth0', ackReply);
  });
  it('a SYN on the connection is TCP_INVALID_SYN with a challenge ACK', () => {
    expectFate(run(host, seg(SYN, 7000, 0), 'eth0', open()).rec).dropped('TCP_INVALID_SYN').reply('eth0', ackReply);
  });
  it('a RST outside the window is TCP_INVALID_SEQUENCE, silently', () => {
    expectFate(run(host, seg(RST, 7006 + 500000, 0), 'eth0', open()).rec).dropped('TCP_INVALID_SEQUENCE').noReply();
  });
  it('a RST in the window but not at rcv_nxt gets a challenge ACK (RFC 5961) and TCP_RESET', () => {
    expectFate(run(host, seg(RST, 7006 + 100, 0), 'eth0', open()).rec).dropped('TCP_RESET').reply('eth0', ackReply);
  });
  it('a RST at rcv_nxt resets the connection (consumed); the next segment meets only the listener', () => {
    const net = open();
    expectFate(run(host, seg(RST, 7006, 0), 'eth0', net).rec).consumed().event('tcp_reset');
    expectFate(run(host, seg(ACK | PSH, 7006, 424242, 4), 'eth0', net).rec)
      .dropped('TCP_FLAGS')
      .reply('eth0', 'IP 10.1.0.1.8080 > 10.1.0.2.40100: Flags [R], seq 424242, win 0, length 0');
  });
});

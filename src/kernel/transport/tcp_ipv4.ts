// TCP receive over IPv4 and IPv6: net/ipv4/tcp_ipv4.c tcp_v4_rcv (header checks, socket
// lookup, no_tcp_socket -> tcp_v4_send_reset), tcp_v4_do_rcv / tcp_rcv_state_process for a
// listener (SYN -> SYN-ACK, ACK -> reset TCP_FLAGS), request socks completing the handshake
// (tcp_check_req) and established sockets (data/FIN delivered, pure ACK consumed, RST).
// The host's ISN is unknown offline: it is learnt from the peer's first ACK (ack_seq - 1).
// The host's active close (its FIN, seen as an outbound frame): FIN_WAIT1, CLOSING, FIN_WAIT2 as
// tcp_rcv_state_process (net/ipv4/tcp_input.c) and the timewait sock (FIN_WAIT2 / TIME_WAIT
// substates) as tcp_timewait_state_process (net/ipv4/tcp_minisocks.c); see docs/kernel-tcp.md.

import { nf_ct_attach } from '../netfilter/nf_ct_attach.js';
import type { FrameCtx } from '../ctx.js';
import type { Net } from '../net.js';
import { PACKET_HOST, type SkBuff } from '../skbuff.js';
import type { Rtable } from '../ipv4/route.js';
import { ip_local_out, newReplySkb } from '../ipv4/ip_output.js';
import { writeIpv4Hdr, writeTcpHdr, fillL4ChecksumV4, writeIpv6Hdr, fillL4ChecksumV6 } from '../../packet/build.js';
import { ipv4ToString, ipv6ToString } from '../../packet/addr.js';
import type { Conn } from './sock.js';
import { l4_csum_ok } from './csum.js';
import { ip6_local_out, newReplySkb6 } from '../ipv6/ip6_output.js';
import { ipv4Saddr, ipv4Daddr } from '../../packet/ipv4.js';
import { tcpFindOption, TCPOPT_TIMESTAMP } from '../../packet/tcp.js';

const TH_FIN = 0x01;
const TH_SYN = 0x02;
const TH_RST = 0x04;
const TH_ACK = 0x10;

/** the IP-version specific parts tcp_rcv needs */
interface Af {
  fam: 4 | 6;
  saddr: number | Uint8Array;
  daddr: number | Uint8Array;
  sstr: string;
  dstr: string;
  /** payload length of the IP packet (transport header + data) */
  l4len: number;
}

export function tcp_v4_rcv(net: Net, skb: SkBuff, ctx: FrameCtx): void {
  const b = skb.data;
  const nh = skb.network_header;
  const th = skb.transport_header;
  const totLen = (b[nh + 2] << 8) | b[nh + 3];
  const saddr = ipv4Saddr(b, nh);
  const daddr = ipv4Daddr(b, nh);
  tcp_rcv(net, skb, ctx, { fam: 4, saddr, daddr, sstr: ipv4ToString(saddr), dstr: ipv4ToString(daddr), l4len: totLen - (th - nh) }, 'tcp_v4_rcv');
}

export function tcp_v6_rcv(net: Net, skb: SkBuff, ctx: FrameCtx, l4len: number): void {
  const b = skb.data;
  const nh = skb.network_header;
  const saddr = b.slice(nh + 8, nh + 24);
  const daddr = b.slice(nh + 24, nh + 40);
  tcp_rcv(net, skb, ctx, { fam: 6, saddr, daddr, sstr: ipv6ToString(b, nh + 8), dstr: ipv6ToString(b, nh + 24), l4len }, 'tcp_v6_rcv');
}

function csumOk(net: Net, skb: SkBuff, af: Af, ctx: FrameCtx): boolean {
  return l4_csum_ok(net, skb, ctx, af.fam, 6, af.l4len, af.fam === 4 ? (af.saddr as number) : 0, af.fam === 4 ? (af.daddr as number) : 0, 16);
}

function tcp_rcv(net: Net, skb: SkBuff, ctx: FrameCtx, af: Af, fn: string): void {
  const b = skb.data;
  const th = skb.transport_header;
  if (skb.pkt_type !== PACKET_HOST) {
    ctx.drop(fn, 'NOT_SPECIFIED', { detail: { why: 'pkt_type not PACKET_HOST' } });
    return;
  }
  if (af.l4len < 20 || skb.tail - th < 20) {
    ctx.drop(fn, 'NOT_SPECIFIED', { detail: { why: 'no room for a TCP header (pskb_may_pull)' } });
    return;
  }
  const doff = (b[th + 12] >>> 4) << 2;
  if (doff < 20) {
    ctx.drop(fn, 'PKT_TOO_SMALL', { detail: { doff } });
    return;
  }
  if (af.l4len < doff) {
    ctx.drop(fn, 'NOT_SPECIFIED', { detail: { why: 'header longer than the segment (pskb_may_pull)' } });
    return;
  }
  const sport = (b[th] << 8) | b[th + 1];
  const dport = (b[th + 2] << 8) | b[th + 3];
  const seq = ((b[th + 4] << 24) | (b[th + 5] << 16) | (b[th + 6] << 8) | b[th + 7]) >>> 0;
  const ack = ((b[th + 8] << 24) | (b[th + 9] << 16) | (b[th + 10] << 8) | b[th + 11]) >>> 0;
  const flags = b[th + 13];
  const dlen = af.l4len - doff;
  const dif = skb.dev ? skb.dev.ifindex : 0;
  const key = net.sockets.connKey(af.fam, af.sstr, sport, af.dstr, dport);

  // __inet_lookup_skb: established (incl. request socks the replay made), then listeners
  let conn = net.sockets.conns.get(key);
  if (conn && conn.tw && net.nowMs() >= conn.twExpireMs!) {
    // the timewait sock's timer fired (tw_timer_handler: inet_twsk_kill) before this frame
    net.sockets.conns.delete(key);
    ctx.tracing && ctx.ev('inet_twsk_kill', `${conn.state} timewait sock expired (capture time): no socket for the 4-tuple any more`);
    conn = undefined;
  }
  if (conn) {
    if (!csumOk(net, skb, af, ctx)) return void ctx.drop(fn, 'TCP_CSUM');
    if (conn.tw) return tcp_timewait_state_process(net, skb, ctx, af, conn, key, seq, ack, flags, dlen, sport, dport, fn);
    return conn_rcv(net, skb, ctx, af, conn, key, seq, ack, flags, dlen, sport, dport);
  }
  const est = net.sockets.lookupEstablished('tcp', af.fam, af.saddr, sport, af.daddr, dport, dif);
  if (est) {
    if (!csumOk(net, skb, af, ctx)) return void ctx.drop(fn, 'TCP_CSUM');
    ctx.tracing && ctx.ev('__inet_lookup_established', `socket ${est.name} -> ${est.entry.peerStr}`);
    if (flags & TH_RST) return void ctx.drop('tcp_validate_incoming', 'TCP_RESET');
    if (dlen > 0 || flags & TH_FIN) return void ctx.deliver('tcp_rcv_established', est.name);
    if (flags & TH_SYN) {
      ctx.unsupported.push('SYN on an established socket from the snapshot: sequence state unknown');
      return void ctx.consume('tcp_validate_incoming', 'challenge ACK (sequence state unknown)');
    }
    return void ctx.consume('tcp_ack', 'pure ACK processed');
  }
  const lis = net.sockets.lookupListener(af.fam, af.daddr, dport, dif);
  if (!lis) {
    // no_tcp_socket
    if (!csumOk(net, skb, af, ctx)) return void ctx.drop(fn, 'TCP_CSUM');
    ctx.tracing && ctx.ev('__inet_lookup_skb', `no socket for ${af.dstr}:${dport}`);
    tcp_send_reset(net, skb, ctx, af, seq, ack, flags, dlen, sport, dport);
    ctx.drop(fn, 'NO_SOCKET');
    return;
  }
  ctx.tracing && ctx.ev('__inet_lookup_listener', `listener ${lis.name}`);
  // tcp_v4_do_rcv: tcp_checksum_complete before the state machine
  if (!csumOk(net, skb, af, ctx)) return void ctx.drop('tcp_v4_do_rcv', 'TCP_CSUM');
  // tcp_rcv_state_process, TCP_LISTEN
  if (flags & TH_ACK) {
    tcp_send_reset(net, skb, ctx, af, seq, ack, flags, dlen, sport, dport);
    ctx.drop('tcp_rcv_state_process', 'TCP_FLAGS', { detail: { why: 'ACK to a listener without a request sock' } });
    return;
  }
  if (flags & TH_RST) return void ctx.drop('tcp_rcv_state_process', 'TCP_RESET');
  if (flags & TH_SYN) {
    if (flags & TH_FIN) return void ctx.drop('tcp_rcv_state_process', 'TCP_FLAGS');
    return tcp_conn_request(net, skb, ctx, af, lis, key, seq, sport, dport, null);
  }
  ctx.drop('tcp_rcv_state_process', 'TCP_FLAGS');
}

/**
 * tcp_conn_request: request sock, SYN-ACK. Our ISN is unknown until the peer ACKs (shown as 0), except
 * for a SYN that reuses a TIME_WAIT 4-tuple (TCP_TW_SYN): tcp_timewait_state_process chose it.
 */
function tcp_conn_request(net: Net, skb: SkBuff, ctx: FrameCtx, af: Af, lis: Conn['listener'], key: string, seq: number, sport: number, dport: number, isn: number | null): void {
  if (net.sockets.conns.size >= net.sockets.maxConns) {
    ctx.unsupported.push('SYN backlog full in the model (syncookies not modelled)');
    return void ctx.drop('tcp_conn_request', 'TCP_LISTEN_OVERFLOW');
  }
  const c: Conn = { listener: lis, state: 'SYN_RECV', peerIsn: seq, isn, rcvNxt: (seq + 1) >>> 0, sndNxt: 1, win: 0, rcvd: 0, wscale: 0 };
  net.sockets.conns.set(key, c);
  tcp_send_synack(net, skb, ctx, af, seq, sport, dport, c);
  ctx.consume('tcp_conn_request', `SYN to ${lis.name}: request sock, SYN-ACK sent`);
}

const before = (a: number, b: number): boolean => ((a - b) | 0) < 0;
const after = (a: number, b: number): boolean => ((b - a) | 0) < 0;

/** the peer's window field scaled by snd_wscale (tcp_ack_update_window: nwin << snd_wscale) */
function peerWindow(skb: SkBuff, c: Conn): number {
  const b = skb.data;
  const th = skb.transport_header;
  return ((b[th + 14] << 8) | b[th + 15]) << (c.sndWscale ?? 0);
}

/** the window field of our segments: what is left of the offered window, scaled when negotiated */
function winField(c: Conn): number {
  const w = Math.max(0, c.win - c.rcvd);
  // __tcp_select_window with window scaling: ALIGN(free_space, 1 << rcv_wscale), so the window is
  // not scaled away (basic.pcapng frames 17/21: win 64 << 10 after a 65160-byte SYN-ACK window)
  if (c.wscale) {
    const unit = 1 << c.wscale;
    return Math.ceil(w / unit);
  }
  return Math.min(w, 65535);
}

/** tcp_send_ack / tcp_send_dupack / tcp_send_challenge_ack: a bare ACK of rcv_nxt */
function send_ack(net: Net, skb: SkBuff, ctx: FrameCtx, af: Af, c: Conn, sport: number, dport: number, fn: string): void {
  send_tcp(net, skb, ctx, af, dport, sport, c.sndNxt, c.rcvNxt, TH_ACK, winField(c), fn);
}

/** a segment for a connection the replay opened (request sock or established child) */
function conn_rcv(net: Net, skb: SkBuff, ctx: FrameCtx, af: Af, c: Conn, key: string, seq: number, ack: number, flags: number, dlen: number, sport: number, dport: number): void {
  const name = c.listener.name;
  const syn = flags & TH_SYN ? 1 : 0;
  const fin = flags & TH_FIN ? 1 : 0;
  const endSeq = (seq + syn + fin + dlen) >>> 0;
  if (c.state === 'SYN_RECV') {
    // tcp_check_req (net/ipv4/tcp_minisocks.c)
    if (flags & TH_RST) {
      // embryonic_reset: the request sock is dropped, the segment freed by discard_and_relse
      net.sockets.conns.delete(key);
      return void ctx.drop('tcp_check_req', 'NOT_SPECIFIED', { detail: { why: 'RST in SYN_RECV: embryonic reset' } });
    }
    if (flags === TH_SYN && seq === c.peerIsn) {
      // a retransmitted SYN: inet_rtx_syn_ack, then the segment is freed (NULL from tcp_check_req)
      tcp_send_synack(net, skb, ctx, af, seq, sport, dport, c);
      return void ctx.drop('tcp_check_req', 'NOT_SPECIFIED', { detail: { why: 'SYN retransmission: SYN-ACK sent again' } });
    }
    if (!(flags & TH_ACK)) return void ctx.drop('tcp_check_req', 'NOT_SPECIFIED', { detail: { why: 'no ACK in SYN_RECV' } });
    if (c.isn === null) {
      // our ISN is unknown offline: the peer's ACK defines it (ack - 1)
      c.isn = (ack - 1) >>> 0;
      ctx.tracing && ctx.ev('tcp_check_req', `handshake complete; our ISN taken from the ACK: ${c.isn}`);
    } else if (ack !== ((c.isn + 1) >>> 0)) {
      // the capture showed our SYN-ACK: an ACK of anything else meets the listener (tcp_check_req returns it)
      ctx.tracing && ctx.ev('tcp_check_req', `ack ${ack} is not our ISN+1 (${(c.isn + 1) >>> 0})`);
      tcp_send_reset(net, skb, ctx, af, seq, ack, flags, dlen, sport, dport);
      return void ctx.drop('tcp_rcv_state_process', 'TCP_FLAGS');
    } else ctx.tracing && ctx.ev('tcp_check_req', 'handshake complete');
    c.state = 'ESTABLISHED';
    // tcp_rcv_state_process (SYN_RECV): snd_una = ack, snd_wnd = window << snd_wscale
    c.sndUna = 1;
    c.sndWnd = peerWindow(skb, c);
    if (dlen > 0 || fin) {
      // tcp_child_process: the child (now ESTABLISHED) queues the data and ACKs it
      if (seq === c.rcvNxt) {
        c.rcvNxt = endSeq;
        c.rcvd += dlen + fin;
        send_ack(net, skb, ctx, af, c, sport, dport, 'tcp_send_ack');
        if (fin) peerFin(net, c, ctx);
      }
    }
    return void ctx.deliver('tcp_child_process', name);
  }
  const R = c.isn!;
  if (c.state === 'LAST_ACK') {
    // our FIN is out (the application closed after the peer's FIN)
    // what LAST_ACK answers holds only if the application really closed (else CLOSE_WAIT)
    if (c.finAssumed) ctx.unsupported.push('after the peer\'s FIN the application is assumed to have closed at once (the host\'s FIN is not in the capture)');
    if (flags & TH_RST) {
      if (seq === c.rcvNxt) return void reset(net, c, key, ctx);
      return void ctx.drop('tcp_validate_incoming', 'TCP_RESET');
    }
    if (flags & TH_ACK && ((ack - R) | 0) >= c.sndNxt) {
      net.sockets.conns.delete(key);
      return void ctx.consume('tcp_rcv_state_process', 'LAST_ACK: our FIN acknowledged, tcp_done');
    }
    return void ctx.drop('tcp_rcv_state_process', 'NOT_SPECIFIED', { detail: { why: 'LAST_ACK: nothing new' } });
  }
  // ESTABLISHED: tcp_rcv_established -> tcp_validate_incoming (net/ipv4/tcp_input.c)
  const wnd = Math.max(0, c.win - c.rcvd);
  let reason: string | null = null;
  if (before(endSeq, c.rcvNxt)) reason = 'TCP_OLD_SEQUENCE';
  else if (after(endSeq, (c.rcvNxt + wnd) >>> 0) && after(seq, (c.rcvNxt + wnd) >>> 0)) reason = 'TCP_INVALID_SEQUENCE';
  if (reason) {
    ctx.tracing && ctx.ev('tcp_sequence', `seq ${seq}..${endSeq} outside rcv_nxt ${c.rcvNxt} + window ${wnd}`);
    if (!(flags & TH_RST)) {
      if (syn) {
        send_ack(net, skb, ctx, af, c, sport, dport, 'tcp_send_challenge_ack');
        return void ctx.drop('tcp_validate_incoming', 'TCP_INVALID_SYN');
      }
      send_ack(net, skb, ctx, af, c, sport, dport, 'tcp_send_dupack');
    }
    return void ctx.drop('tcp_validate_incoming', reason);
  }
  if (flags & TH_RST) {
    if (seq === c.rcvNxt) return void reset(net, c, key, ctx);
    // in the window but not exact (RFC 5961): challenge ACK
    send_ack(net, skb, ctx, af, c, sport, dport, 'tcp_send_challenge_ack');
    return void ctx.drop('tcp_validate_incoming', 'TCP_RESET');
  }
  if (syn) {
    send_ack(net, skb, ctx, af, c, sport, dport, 'tcp_send_challenge_ack');
    return void ctx.drop('tcp_validate_incoming', 'TCP_INVALID_SYN');
  }
  if (!(flags & TH_ACK)) return void ctx.drop('tcp_rcv_established', 'TCP_FLAGS');
  // tcp_ack: an ACK of data never sent (after snd_nxt) is answered with an ACK and dropped. The
  // model's socket has no application: it knows what the host sent only from the capture. When the
  // capture holds no segment of the host on this connection (one direction only: tcpdump -Q in), the
  // peer's ACK tells how far the host sent, as conntrack's pickup learns td_end from it: snd_nxt is
  // inferred. Only an ACK beyond what the host could have sent (snd_una + the peer's window) is a
  // contradiction, reported as the kernel would: TCP_ACK_UNSENT_DATA.
  const acked = (ack - R) | 0;
  if (acked > c.sndNxt) {
    const una = c.sndUna ?? 1;
    if (!c.sawOwn && c.sndWnd !== undefined && acked - una <= c.sndWnd) {
      ctx.tracing && ctx.ev('tcp_ack', `snd_nxt inferred from this ACK: ISN+${acked} (the capture showed ISN+${c.sndNxt}): the host's segments are not in the capture`);
      c.sndNxt = acked;
    } else {
      if (!c.sawOwn) ctx.tracing && ctx.ev('tcp_ack', `ack ISN+${acked} is beyond snd_una ISN+${una} + the peer's window ${c.sndWnd ?? '?'}: the host cannot have sent it (contradiction)`);
      send_ack(net, skb, ctx, af, c, sport, dport, 'tcp_send_ack');
      return void ctx.drop('tcp_ack', 'TCP_ACK_UNSENT_DATA');
    }
  }
  // tcp_ack: snd_una and the window (tcp_ack_update_window, simplified: every ACK not older than snd_una)
  if (flags & TH_ACK && acked >= (c.sndUna ?? 1)) {
    c.sndUna = acked;
    c.sndWnd = peerWindow(skb, c);
  }
  if (c.state !== 'ESTABLISHED') {
    // tcp_rcv_state_process after tcp_ack: FIN_WAIT1 / CLOSING / FIN_WAIT2 (the host closed first)
    const r = closing_state_process(net, skb, ctx, af, c, key, seq, ack, flags, dlen, sport, dport, endSeq);
    if (r) return;
  }
  if (!dlen && !fin) return void ctx.consume('tcp_ack', 'pure ACK processed');
  // tcp_data_queue
  if (!after(endSeq, c.rcvNxt)) {
    // a retransmission: immediate ACK (DSACK when SACK was agreed)
    send_ack(net, skb, ctx, af, c, sport, dport, 'tcp_send_ack');
    return void ctx.drop('tcp_data_queue', 'TCP_OLD_DATA');
  }
  if (after(seq, c.rcvNxt)) {
    // a hole before it: tcp_data_queue_ofo keeps it out of order and ACKs rcv_nxt again
    send_ack(net, skb, ctx, af, c, sport, dport, 'tcp_send_dupack');
    ctx.unsupported.push('TCP out-of-order queue: held segment not tracked further');
    return void ctx.consume('tcp_data_queue_ofo', 'out of order: queued');
  }
  const fresh = (endSeq - c.rcvNxt) >>> 0;
  c.rcvNxt = endSeq;
  c.rcvd += fresh;
  // quick-ack mode at the start of a connection: every segment is ACKed at once
  send_ack(net, skb, ctx, af, c, sport, dport, 'tcp_send_ack');
  if (c.state === 'FIN_WAIT1' || c.state === 'FIN_WAIT2') {
    // tcp_fin after the host's own FIN (only a FIN reaches here on an orphaned socket: data aborted above)
    if (fin && c.state === 'FIN_WAIT1') {
      // simultaneous close: the peer's FIN before the ACK of ours
      c.state = 'CLOSING';
      ctx.tracing && ctx.ev('tcp_fin', 'FIN_WAIT1: peer FIN, ACK sent; CLOSING (simultaneous close)');
    } else if (fin) {
      ctx.tracing && ctx.ev('tcp_fin', 'FIN_WAIT2: peer FIN, ACK sent');
      tcp_time_wait(net, c, 'TIME_WAIT', TCP_TIMEWAIT_LEN_MS, ctx);
      if (c.orphan) {
        // tcp_done -> inet_csk_destroy_sock: the orphan's receive queue (this FIN) is purged
        // (recorded: tcp-close frames 33, 37 dropped QUEUE_PURGE at sk_stream_kill_queues)
        return void ctx.drop('sk_stream_kill_queues', 'QUEUE_PURGE', { detail: { why: 'the orphaned socket is destroyed: its receive queue is purged' } });
      }
    }
    // an orphan's queue is never read: the skb stays queued until the socket is destroyed
    if (c.orphan) return void ctx.consume('tcp_data_queue', 'queued on the orphaned socket (freed when it is destroyed)');
  }
  if (fin && c.state === 'ESTABLISHED') peerFin(net, c, ctx);
  ctx.deliver('tcp_rcv_established', name);
}

/** TCP_TIMEWAIT_LEN (include/net/tcp.h): 60 s */
const TCP_TIMEWAIT_LEN_MS = 60_000;

/** tcp_fin_time: tcp_fin_timeout (linger2 unknown), at least 3.5 RTO (the RTO is not modelled: 200 ms assumed) */
function tcp_fin_time(net: Net): number {
  return Math.max(net.sysctlInt('net.ipv4.tcp_fin_timeout') * 1000, 700);
}

/** tcp_time_wait: the socket becomes a timewait sock with substate FIN_WAIT2 or TIME_WAIT */
function tcp_time_wait(net: Net, c: Conn, substate: 'FIN_WAIT2' | 'TIME_WAIT', tmoMs: number, ctx: FrameCtx): void {
  c.tw = true;
  c.state = substate;
  // tw_rcv_wnd: the window at this moment, kept for the ACKs the timewait sock sends
  c.twWin = winField(c);
  c.twExpireMs = net.nowMs() + tmoMs;
  c.lastOowAckMs = undefined;
  ctx.tracing && ctx.ev('tcp_time_wait', `timewait sock, substate ${substate}, expires in ${tmoMs / 1000} s`);
}

/** tcp_v4_do_rcv reset after tcp_rcv_state_process returned TCP_ABORT_ON_DATA: RST (seq = the segment's ack), socket done */
function abort_on_data(net: Net, skb: SkBuff, ctx: FrameCtx, af: Af, c: Conn, key: string, seq: number, ack: number, flags: number, dlen: number, sport: number, dport: number): void {
  net.sockets.conns.delete(key);
  ctx.tracing && ctx.ev('tcp_rcv_state_process', `${c.state}: new data after close(): tcp_reset, LINUX_MIB_TCPABORTONDATA`);
  tcp_send_reset(net, skb, ctx, af, seq, ack, flags, dlen, sport, dport);
  ctx.drop(af.fam === 4 ? 'tcp_v4_do_rcv' : 'tcp_v6_do_rcv', 'TCP_ABORT_ON_DATA');
}

/**
 * tcp_rcv_state_process for FIN_WAIT1 / FIN_WAIT2 / CLOSING after tcp_validate_incoming and tcp_ack
 * (the ACK was acceptable). Returns true when the segment's fate is decided here; false to go on with
 * tcp_data_queue (step 7).
 */
function closing_state_process(net: Net, skb: SkBuff, ctx: FrameCtx, af: Af, c: Conn, key: string, seq: number, ack: number, flags: number, dlen: number, sport: number, dport: number, endSeq: number): boolean {
  const fin = flags & TH_FIN ? 1 : 0;
  const finAcked = ((ack - c.isn!) | 0) >= c.sndNxt;
  // new data (not just a FIN) beyond rcv_nxt on a socket whose application closed
  const newData = endSeq !== seq && after((endSeq - fin) >>> 0, c.rcvNxt);
  if (c.state === 'CLOSING') {
    if (finAcked) {
      tcp_time_wait(net, c, 'TIME_WAIT', TCP_TIMEWAIT_LEN_MS, ctx);
      ctx.consume('tcp_rcv_state_process', 'CLOSING: our FIN acknowledged: TIME_WAIT (freed with __kfree_skb)');
      return true;
    }
    if (dlen || fin) {
      // step 7: CLOSING takes no segment text
      if (!before(seq, c.rcvNxt)) {
        ctx.drop('tcp_rcv_state_process', 'NOT_SPECIFIED', { detail: { why: 'CLOSING: segment text ignored' } });
        return true;
      }
    }
    return false;
  }
  if (c.state === 'FIN_WAIT1' && finAcked) {
    c.state = 'FIN_WAIT2';
    ctx.tracing && ctx.ev('tcp_rcv_state_process', 'FIN_WAIT1: our FIN acknowledged: FIN_WAIT2');
    if (c.orphan) {
      if (newData) {
        abort_on_data(net, skb, ctx, af, c, key, seq, ack, flags, dlen, sport, dport);
        return true;
      }
      const tmo = tcp_fin_time(net);
      if (tmo > TCP_TIMEWAIT_LEN_MS) {
        ctx.tracing && ctx.ev('tcp_rcv_state_process', `tcp_fin_time ${tmo / 1000} s > TCP_TIMEWAIT_LEN: FIN_WAIT2 socket kept (keepalive timer)`);
      } else if (!fin) {
        tcp_time_wait(net, c, 'FIN_WAIT2', tmo, ctx);
        ctx.consume('tcp_rcv_state_process', 'FIN_WAIT2: orphaned socket becomes a timewait sock (freed with __kfree_skb)');
        return true;
      }
    }
  }
  // step 7: RFC 1122 says a reset when data arrives after the application closed
  if (c.orphan && (c.state === 'FIN_WAIT1' || c.state === 'FIN_WAIT2') && newData) {
    abort_on_data(net, skb, ctx, af, c, key, seq, ack, flags, dlen, sport, dport);
    return true;
  }
  return false;
}

/** tcp_oow_rate_limited (net/ipv4/tcp_input.c): data without SYN is never limited; else tcp_invalid_ratelimit ms */
function oow_rate_limited(net: Net, c: Conn, seq: number, endSeq: number, syn: number): boolean {
  if (seq !== endSeq && !syn) return false;
  const now = net.nowMs();
  const limit = net.sysctlInt('net.ipv4.tcp_invalid_ratelimit');
  if (c.lastOowAckMs !== undefined) {
    const el = now - c.lastOowAckMs;
    if (el >= 0 && el < limit) return true;
  }
  c.lastOowAckMs = now;
  return false;
}

/**
 * tcp_timewait_state_process (net/ipv4/tcp_minisocks.c) and what tcp_v4_rcv / tcp_v6_rcv do_time_wait
 * make of its answer: TCP_TW_ACK / TCP_TW_ACK_OOW -> tcp_v4_timewait_ack, TCP_TW_RST -> a reset and
 * the timewait sock is gone, TCP_TW_SYN -> a new connection through the listener. Every segment but
 * the SYN is then freed at discard_it (recorded: NOT_SPECIFIED at tcp_v4_rcv / tcp_v6_rcv). No
 * timestamps (PAWS) are modelled.
 */
function tcp_timewait_state_process(net: Net, skb: SkBuff, ctx: FrameCtx, af: Af, c: Conn, key: string, seq: number, ack: number, flags: number, dlen: number, sport: number, dport: number, fn: string): void {
  const syn = flags & TH_SYN ? 1 : 0;
  const fin = flags & TH_FIN ? 1 : 0;
  const rst = flags & TH_RST;
  const endSeq = (seq + syn + fin + dlen) >>> 0;
  const rcvNxt = c.rcvNxt;
  const discard = (why: string): void => void ctx.drop(fn, 'NOT_SPECIFIED', { detail: { why } });
  const twAck = (): void => send_tcp(net, skb, ctx, af, dport, sport, (c.isn! + c.sndNxt) >>> 0, c.rcvNxt, TH_ACK, c.twWin ?? 0, af.fam === 4 ? 'tcp_v4_timewait_ack' : 'tcp_v6_timewait_ack');
  const kill = (why: string): void => {
    net.sockets.conns.delete(key);
    discard(why);
  };
  const twRst = (why: string): void => {
    tcp_send_reset(net, skb, ctx, af, seq, ack, flags, dlen, sport, dport);
    net.sockets.conns.delete(key);
    discard(why);
  };
  const oow = (why: string): void => {
    if (oow_rate_limited(net, c, seq, endSeq, syn)) return discard(`${why}: out-of-window ACK rate-limited (tcp_invalid_ratelimit)`);
    twAck();
    discard(`${why}: TCP_TW_ACK_OOW`);
  };
  ctx.tracing && ctx.ev('tcp_timewait_state_process', `timewait sock, substate ${c.state}, rcv_nxt ${rcvNxt}`);
  if (hasTimestamps(skb)) ctx.unsupported.push('TCP timestamps in TIME_WAIT (PAWS against tw_ts_recent, TCP_TW_SYN by a newer timestamp) not modelled: decided by sequence numbers only');
  if (c.state === 'FIN_WAIT2') {
    const twWnd = (c.twWin ?? 0) << c.wscale;
    if (!tcp_in_window(seq, endSeq, rcvNxt, (rcvNxt + twWnd) >>> 0)) return oow('FIN_WAIT2: out of window');
    if (rst) return kill('FIN_WAIT2: RST: timewait sock killed');
    if (syn && !before(seq, rcvNxt)) return twRst('FIN_WAIT2: SYN: TCP_TW_RST');
    if (!(flags & TH_ACK) || !after(endSeq, rcvNxt) || endSeq === seq) return discard('FIN_WAIT2: duplicate ACK: TCP_TW_SUCCESS');
    if (!fin || endSeq !== ((rcvNxt + 1) >>> 0)) return twRst('FIN_WAIT2: new data after close(): TCP_TW_RST');
    // FIN: the true TIME_WAIT state, for TCP_TIMEWAIT_LEN
    c.state = 'TIME_WAIT';
    c.rcvNxt = endSeq;
    c.twExpireMs = net.nowMs() + TCP_TIMEWAIT_LEN_MS;
    ctx.tracing && ctx.ev('tcp_timewait_state_process', 'peer FIN: TIME_WAIT (60 s), TCP_TW_ACK');
    twAck();
    return discard('FIN_WAIT2 -> TIME_WAIT: TCP_TW_ACK');
  }
  // the real TIME-WAIT state
  if (seq === rcvNxt && (seq === endSeq || rst)) {
    // in window: only a reset or a bare ACK
    if (rst) {
      if (net.sysctlInt('net.ipv4.tcp_rfc1337') === 0) return kill('TIME_WAIT: RST at rcv_nxt kills the timewait sock (tcp_rfc1337=0)');
    } else c.twExpireMs = net.nowMs() + TCP_TIMEWAIT_LEN_MS;
    return discard('TIME_WAIT: in-window bare ACK or RST: TCP_TW_SUCCESS');
  }
  if (syn && !rst && !(flags & TH_ACK) && after(seq, rcvNxt)) {
    // TCP_TW_SYN: a new connection may reuse the 4-tuple; its ISN is tw_snd_nxt + 65535 + 2
    const lis = net.sockets.lookupListener(af.fam, af.daddr, dport, skb.dev ? skb.dev.ifindex : 0);
    if (lis) {
      let isn = (c.isn! + c.sndNxt + 65535 + 2) >>> 0;
      if (isn === 0) isn = 1;
      net.sockets.conns.delete(key);
      ctx.tracing && ctx.ev('tcp_timewait_state_process', `SYN after rcv_nxt: TCP_TW_SYN, timewait sock released, to listener ${lis.name} (ISN tw_snd_nxt + 65537)`);
      return tcp_conn_request(net, skb, ctx, af, lis, key, seq, sport, dport, isn);
    }
  }
  if (!rst) {
    if (flags & TH_ACK) c.twExpireMs = net.nowMs() + TCP_TIMEWAIT_LEN_MS;
    return oow('TIME_WAIT: out of window');
  }
  discard('TIME_WAIT: RST not at rcv_nxt: TCP_TW_SUCCESS');
}

/** the segment carries a TCP timestamps option */
function hasTimestamps(skb: SkBuff): boolean {
  return tcpFindOption(skb.data, skb.transport_header, skb.tail, TCPOPT_TIMESTAMP) >= 0;
}

/** tcp_in_window (net/ipv4/tcp_minisocks.c) */
function tcp_in_window(seq: number, endSeq: number, sWin: number, eWin: number): boolean {
  if (seq === sWin) return true;
  if (after(endSeq, sWin) && before(seq, eWin)) return true;
  return seq === eWin && seq === endSeq;
}

/** the peer closed: the application (which the snapshot cannot show) is assumed to close too, sending our FIN */
function peerFin(_net: Net, c: Conn, ctx: FrameCtx): void {
  c.state = 'LAST_ACK';
  c.sndNxt += 1;
  c.finAssumed = true;
  ctx.tracing && ctx.ev('tcp_fin', 'peer FIN: CLOSE_WAIT; the application is assumed to close at once (our FIN, LAST_ACK)');
}

/** tcp_reset: the connection is gone; the segment is freed without a drop reason */
function reset(net: Net, c: Conn, key: string, ctx: FrameCtx): void {
  net.sockets.conns.delete(key);
  ctx.consume('tcp_reset', 'RST at rcv_nxt: connection reset');
}

/** tcp_v4_send_reset / tcp_v6_send_reset: never about a RST, nor for a non-local route */
function tcp_send_reset(net: Net, skb: SkBuff, ctx: FrameCtx, af: Af, seq: number, ack: number, flags: number, dlen: number, sport: number, dport: number): void {
  if (flags & TH_RST) return;
  const rt = skb.dst as Rtable | null;
  if (af.fam === 4 && rt && rt.type !== 'local') {
    ctx.tracing && ctx.ev('tcp_v4_send_reset', 'no reset for a non-local route');
    return;
  }
  let rseq = 0;
  let rack = 0;
  let rflags = TH_RST;
  // seq = the segment's ack, as the peer numbered it (in the host's real sequence space)
  if (flags & TH_ACK) rseq = ack;
  else {
    rack = (seq + (flags & TH_SYN ? 1 : 0) + (flags & TH_FIN ? 1 : 0) + dlen) >>> 0;
    rflags |= TH_ACK;
  }
  send_tcp(net, skb, ctx, af, dport, sport, rseq, rack, rflags, 0, af.fam === 4 ? 'tcp_v4_send_reset' : 'tcp_v6_send_reset');
}

/**
 * tcp_v4_send_synack / tcp_v6_send_synack: our ISN is unknown offline (0 here, learnt later);
 * options as tcp_synack_options writes them for what the SYN offered: MSS (device MTU minus
 * headers), SACK permitted, window scale. Timestamps are not modelled (their values are the host's).
 */
function tcp_send_synack(net: Net, skb: SkBuff, ctx: FrameCtx, af: Af, seq: number, sport: number, dport: number, c: Conn): void {
  const b = skb.data;
  const th = skb.transport_header;
  const doff = (b[th + 12] >>> 4) << 2;
  let sack = false;
  let ws = false;
  let ts = false;
  let peerShift = 0;
  for (let p = th + 20; p < th + doff && p < skb.tail; ) {
    const k = b[p];
    if (k === 0) break;
    if (k === 1) { p++; continue; }
    if (k === 4) sack = true;
    else if (k === 3) {
      ws = true;
      peerShift = b[p + 2];
    }
    else if (k === 8) ts = true;
    const l = b[p + 1];
    if (l < 2) break;
    p += l;
  }
  if (ts) ctx.unsupported.push('TCP timestamps in the SYN-ACK are the host\'s: not modelled');
  const mtu = skb.dev ? skb.dev.mtu : 1500;
  const mss = mtu - (af.fam === 4 ? 40 : 60);
  // tcp_options_write order without timestamps: MSS, nop,nop,sackOK, nop,wscale
  const opts: number[] = [2, 4, mss >>> 8, mss & 0xff];
  if (sack && net.sysctlInt('net.ipv4.tcp_sack') !== 0) opts.push(1, 1, 4, 2);
  c.wscale = 0;
  if (ws && net.sysctlInt('net.ipv4.tcp_window_scaling') !== 0) {
    // tcp_select_initial_window: rcv_wscale = ilog2(max(tcp_rmem[2], rmem_max)) - 15, clamped to 0..14
    const rmem2 = Number((net.host.sysctls.get('net.ipv4.tcp_rmem') || '4096 131072 6291456').trim().split(/\s+/)[2]) || 6291456;
    const rmemMax = net.sysctlInt('net.core.rmem_max') || 212992;
    c.wscale = Math.min(14, Math.max(0, Math.floor(Math.log2(Math.max(rmem2, rmemMax))) - 15));
    opts.push(1, 3, 3, c.wscale);
    // tcp_parse_options: snd_wscale = min(the peer's shift, TCP_MAX_WSCALE)
    c.sndWscale = Math.min(14, peerShift);
  } else c.sndWscale = 0;
  while (opts.length % 4) opts.push(1);
  // tcp_openreq_init_rwin: tcp_select_initial_window(.., mss - (ireq->tstamp_ok ? TCPOLEN_TSTAMP_ALIGNED : 0), ..):
  // with timestamps agreed the window is rounded to 12 bytes less (basic.pcapng: win 65160 = 45 * 1448)
  const tstampOk = ts && net.sysctlInt('net.ipv4.tcp_timestamps') !== 0;
  c.win = synackWindow(tstampOk ? mss - 12 : mss);
  send_tcp(net, skb, ctx, af, dport, sport, c.isn ?? 0, (seq + 1) >>> 0, TH_SYN | TH_ACK, c.win, af.fam === 4 ? 'tcp_v4_send_synack' : 'tcp_v6_send_synack', new Uint8Array(opts));
}

/** tcp_select_initial_window without window scaling: 65535 rounded down to a multiple of the MSS */
export function synackWindow(mss: number): number {
  return Math.floor(65535 / mss) * mss;
}

/** nf_send_reset / nf_send_reset6 path (netfilter REJECT with tcp-reset): a RST for the segment in skb */
export function tcp_send_reset_skb(net: Net, skb: SkBuff, ctx: FrameCtx): void {
  const b = skb.data;
  const nh = skb.network_header;
  const v = b[nh] >>> 4;
  const th = skb.transport_header >= 0 ? skb.transport_header : v === 4 ? nh + ((b[nh] & 0x0f) << 2) : nh + 40;
  if (th + 20 > skb.tail) return;
  let af: Af;
  if (v === 4) {
    const totLen = (b[nh + 2] << 8) | b[nh + 3];
    const saddr = ipv4Saddr(b, nh);
    const daddr = ipv4Daddr(b, nh);
    af = { fam: 4, saddr, daddr, sstr: ipv4ToString(saddr), dstr: ipv4ToString(daddr), l4len: totLen - (th - nh) };
  } else {
    const plen = (b[nh + 4] << 8) | b[nh + 5];
    af = { fam: 6, saddr: b.slice(nh + 8, nh + 24), daddr: b.slice(nh + 24, nh + 40), sstr: ipv6ToString(b, nh + 8), dstr: ipv6ToString(b, nh + 24), l4len: plen - (th - nh - 40) };
  }
  const saved = skb.transport_header;
  skb.transport_header = th;
  const doff = (b[th + 12] >>> 4) << 2;
  const seq = ((b[th + 4] << 24) | (b[th + 5] << 16) | (b[th + 6] << 8) | b[th + 7]) >>> 0;
  const ack = ((b[th + 8] << 24) | (b[th + 9] << 16) | (b[th + 10] << 8) | b[th + 11]) >>> 0;
  const dst = skb.dst;
  skb.dst = null; // the reject target answers whatever the route
  // nf_send_reset: nf_ct_attach(nskb, oldskb) before ip_local_out (send_tcp reads it)
  resetFor = skb;
  try {
    tcp_send_reset(net, skb, ctx, af, seq, ack, b[th + 13], af.l4len - doff, (b[th] << 8) | b[th + 1], (b[th + 2] << 8) | b[th + 3]);
  } finally {
    resetFor = null;
  }
  skb.dst = dst;
  skb.transport_header = saved;
}

/** the rejected skb while nf_send_reset / nf_send_reset6 builds its RST (its conntrack entry goes along) */
let resetFor: SkBuff | null = null;

/** build a bare TCP segment back to the sender and send it through the local output path */
function send_tcp(net: Net, skb: SkBuff, ctx: FrameCtx, af: Af, sport: number, dport: number, seq: number, ack: number, flags: number, win: number, fn: string, opts: Uint8Array | null = null): void {
  ctx.tracing && ctx.ev(fn, `${af.dstr}.${sport} > ${af.sstr}.${dport} flags 0x${flags.toString(16)}`);
  const olen = opts ? opts.length : 0;
  const tl = 20 + olen;
  if (af.fam === 4) {
    const r = newReplySkb(net, 20 + tl);
    const o = r.data;
    writeIpv4Hdr(o, 14, 0, 20 + tl, 0, 0x4000, net.sysctlInt('net.ipv4.ip_default_ttl') || 64, 6, af.daddr as number, af.saddr as number);
    writeTcpHdr(o, 34, sport, dport, seq, ack, flags, win);
    if (opts) {
      o.set(opts, 54);
      o[46] = (tl >>> 2) << 4;
    }
    fillL4ChecksumV4(o, 34, tl, 6, af.daddr as number, af.saddr as number);
    r.transport_header = 34;
    if (resetFor) nf_ct_attach(r, resetFor);
    ip_local_out(net, r, ctx);
  } else {
    const r = newReplySkb6(net, 40 + tl);
    const o = r.data;
    writeIpv6Hdr(o, 14, 0, 0, tl, 6, 64, af.daddr as Uint8Array, 0, af.saddr as Uint8Array, 0);
    writeTcpHdr(o, 54, sport, dport, seq, ack, flags, win);
    if (opts) {
      o.set(opts, 74);
      o[66] = (tl >>> 2) << 4;
    }
    fillL4ChecksumV6(o, 14, 54, tl, 6);
    r.transport_header = 54;
    if (resetFor) nf_ct_attach(r, resetFor);
    ip6_local_out(net, r, ctx);
  }
}

/**
 * A TCP segment the host itself sent, seen in the capture (the local output path): it tells the
 * model what it cannot guess. A SYN-ACK gives our real ISN; data and FIN advance snd_nxt.
 */
export function tcp_outbound(net: Net, skb: SkBuff, ctx: FrameCtx): void {
  const b = skb.data;
  const nh = skb.network_header;
  const v = b[nh] >>> 4;
  const th = skb.transport_header;
  if (th < 0 || th + 20 > skb.tail) return;
  const fam: 4 | 6 = v === 4 ? 4 : 6;
  const src = fam === 4 ? ipv4ToString(ipv4Saddr(b, nh)) : ipv6ToString(b, nh + 8);
  const dst = fam === 4 ? ipv4ToString(ipv4Daddr(b, nh)) : ipv6ToString(b, nh + 24);
  const sport = (b[th] << 8) | b[th + 1];
  const dport = (b[th + 2] << 8) | b[th + 3];
  // the connection as the peer's segments key it: peer address/port first
  const c = net.sockets.conns.get(net.sockets.connKey(fam, dst, dport, src, sport));
  if (!c) return;
  c.sawOwn = true;
  const seq = ((b[th + 4] << 24) | (b[th + 5] << 16) | (b[th + 6] << 8) | b[th + 7]) >>> 0;
  const flags = b[th + 13];
  const l4len = fam === 4 ? ((b[nh + 2] << 8) | b[nh + 3]) - (th - nh) : ((b[nh + 4] << 8) | b[nh + 5]) - (th - nh - 40);
  const dlen = l4len - ((b[th + 12] >>> 4) << 2);
  if (flags & TH_SYN && flags & TH_ACK) {
    c.isn = seq;
    ctx.tracing && ctx.ev('tcp_outbound', `our SYN-ACK: ISN ${seq}`);
    return;
  }
  if (c.isn === null) return;
  if (flags & TH_RST) {
    net.sockets.conns.delete(net.sockets.connKey(fam, dst, dport, src, sport));
    ctx.tracing && ctx.ev('tcp_outbound', 'our RST: the connection is gone');
    return;
  }
  const end = ((seq + dlen + (flags & TH_FIN ? 1 : 0) - c.isn) | 0);
  if (end > c.sndNxt) {
    c.sndNxt = end;
    ctx.tracing && ctx.ev('tcp_outbound', `snd_nxt ISN+${end}`);
  }
  // the host's FIN after the peer's: the close the model assumed is in the capture
  if (flags & TH_FIN && c.state === 'LAST_ACK' && c.finAssumed) {
    c.finAssumed = false;
    ctx.tracing && ctx.ev('tcp_outbound', 'our FIN: the application closed (CLOSE_WAIT -> LAST_ACK, as assumed)');
  }
  if (flags & TH_FIN && c.state === 'ESTABLISHED' && !c.tw) {
    // the host closed first (tcp_close -> tcp_send_fin): FIN_WAIT1
    c.state = 'FIN_WAIT1';
    c.orphan = true;
    ctx.tracing && ctx.ev('tcp_close', 'our FIN: the application closed the socket, FIN_WAIT1; close() assumed (orphaned socket: new data from the peer now aborts the connection)');
    ctx.unsupported.push('the host\'s FIN: close() and shutdown(SHUT_WR) look the same on the wire; close() assumed (orphaned socket, timewait sock after the ACK of the FIN)');
  }
}

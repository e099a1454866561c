// Socket tables from the snapshot (ss -Htuanp) plus the connections the replay itself opens.
// Lookups follow net/ipv4/inet_hashtables.c (__inet_lookup: established 4-tuple first, then
// __inet_lookup_listener: the (daddr, port) bucket before the (INADDR_ANY, port) bucket, scored
// by compute_score: bound device, then AF_INET over AF_INET6) and net/ipv4/udp.c compute_score
// (connected peers and bound devices score higher). [::] sockets take IPv4 unless v6only.

import type { Host, SocketEntry, NetDevice } from '../../host/types.js';

export interface Sock {
  entry: SocketEntry;
  /** "tcp 0.0.0.0:22" as the fate record names it */
  name: string;
  boundIf: number;
}

/**
 * A connection the replay opened from a listener (request sock, then the established child).
 * Our sequence numbers are kept relative to our ISN (the SYN-ACK shows seq 0); the real ISN is
 * learnt from the peer's first ACK and converts the peer's ack numbers into that space.
 */
export interface Conn {
  listener: Sock;
  /**
   * sk_state; FIN_WAIT1, CLOSING and FIN_WAIT2 after the host's own FIN (its active close, seen as an
   * outbound frame); with `tw` set the socket is a timewait sock (inet_timewait_sock, tw_substate
   * FIN_WAIT2 or TIME_WAIT: net/ipv4/tcp_minisocks.c)
   */
  state: 'SYN_RECV' | 'ESTABLISHED' | 'LAST_ACK' | 'FIN_WAIT1' | 'FIN_WAIT2' | 'CLOSING' | 'TIME_WAIT';
  /** peer's initial sequence number (from its SYN) */
  peerIsn: number;
  /** our real ISN, learnt from the peer's first ACK (ack_seq - 1); null until then */
  isn: number | null;
  /** next sequence number expected from the peer (rcv_nxt) */
  rcvNxt: number;
  /** our snd_nxt relative to our ISN: 1 after the SYN-ACK, 2 once our FIN is out */
  sndNxt: number;
  /** receive window offered in the SYN-ACK (bytes) */
  win: number;
  /** bytes (and FIN) accepted in order: the window shrinks by them until the application reads */
  rcvd: number;
  /** our window scale when both sides offered it, else 0 */
  wscale: number;
  /** a segment the host sent on this connection is in the capture (tcp_outbound); until then the
   *  capture may hold one direction only and the host's sending is inferred from the peer's ACKs */
  sawOwn?: boolean;
  /** snd_una relative to our ISN: the highest ACK of ours the peer sent (1 after the handshake) */
  sndUna?: number;
  /** snd_wnd: the peer's last window, scaled by snd_wscale (what the host may have in flight) */
  sndWnd?: number;
  /** snd_wscale: the peer's window scale when both sides offered it, else 0 */
  sndWscale?: number;
  /** the application closed the socket (close() assumed for the host's FIN: SOCK_DEAD, RCV_SHUTDOWN) */
  orphan?: boolean;
  /** LAST_ACK entered on the assumption that the application closed right after the peer's FIN;
   *  cleared when the capture shows the host's FIN */
  finAssumed?: boolean;
  /** a timewait sock (tcp_time_wait): state is its tw_substate (FIN_WAIT2 or TIME_WAIT) */
  tw?: boolean;
  /** timewait sock: the window field of its ACKs (tw_rcv_wnd, frozen at tcp_time_wait) */
  twWin?: number;
  /** timewait sock: when its timer fires (ms, capture time): TCP_TIMEWAIT_LEN or tcp_fin_time */
  twExpireMs?: number;
  /** timewait sock: tw_last_oow_ack_time (ms, capture time) for tcp_invalid_ratelimit */
  lastOowAckMs?: number;
}

function eqAddr(a: number | Uint8Array | null, b: number | Uint8Array): boolean {
  if (a === null) return false;
  if (typeof a === 'number') return typeof b === 'number' ? a === b : false;
  if (typeof b === 'number') {
    // ::ffff:a.b.c.d maps an IPv4 address
    if (a.length !== 16) return false;
    for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
    if (a[10] !== 0xff || a[11] !== 0xff) return false;
    return ((a[12] << 24) | (a[13] << 16) | (a[14] << 8) | a[15]) >>> 0 === b;
  }
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class SockTable {
  /** listeners / unconnected sockets by proto+port */
  private readonly byPort = new Map<string, Sock[]>();
  /** connected (established) sockets by proto+local port */
  private readonly est = new Map<string, Sock[]>();
  /** connections opened during the replay, keyed by tuple string */
  readonly conns = new Map<string, Conn>();
  readonly v6only: boolean;
  /** bounded like a SYN backlog so a SYN flood in a capture cannot grow memory without limit */
  readonly maxConns = 65536;

  constructor(host: Host) {
    this.v6only = host.sysctls.getInt('net.ipv6.bindv6only') === 1;
    for (const e of host.sockets) {
      const s: Sock = { entry: e, name: `${e.proto} ${e.localStr}`, boundIf: e.boundDev ? host.byName.get(e.boundDev)?.ifindex ?? -1 : 0 };
      const k = `${e.proto}/${e.localPort}`;
      const connected = e.peer !== null && e.peerPort !== 0 && e.state !== 'LISTEN';
      const m = connected ? this.est : this.byPort;
      if (!connected && e.proto === 'tcp' && e.state !== 'LISTEN') continue; // closed/unconnected TCP sockets take nothing
      let l = m.get(k);
      if (!l) m.set(k, (l = []));
      l.push(s);
    }
  }

  private v6Only(e: SocketEntry): boolean {
    return e.v6only ?? this.v6only;
  }

  /** does socket family e accept a packet of family fam */
  private famOk(e: SocketEntry, fam: 4 | 6): boolean {
    if (e.family === fam) return true;
    return fam === 4 && e.family === 6 && !this.v6Only(e);
  }

  /** local address matches: exact, or v4-mapped, or wildcard when wild is allowed */
  private localIs(e: SocketEntry, daddr: number | Uint8Array): boolean {
    return e.local !== null && eqAddr(e.local, daddr);
  }

  /** TCP established 4-tuple (__inet_lookup_established) */
  lookupEstablished(proto: 'tcp' | 'udp', fam: 4 | 6, saddr: number | Uint8Array, sport: number, daddr: number | Uint8Array, dport: number, dif: number): Sock | null {
    const l = this.est.get(`${proto}/${dport}`);
    if (!l) return null;
    for (const s of l) {
      const e = s.entry;
      if (!this.famOk(e, fam)) continue;
      if (e.peerPort !== sport || !eqAddr(e.peer, saddr)) continue;
      if (e.local !== null && !eqAddr(e.local, daddr)) continue;
      if (s.boundIf && s.boundIf !== dif) continue;
      return s;
    }
    return null;
  }

  /** __inet_lookup_listener: specific-address bucket first, then wildcard; best compute_score wins */
  lookupListener(fam: 4 | 6, daddr: number | Uint8Array, dport: number, dif: number): Sock | null {
    const l = this.byPort.get(`tcp/${dport}`);
    if (!l) return null;
    for (const wild of [false, true]) {
      let best: Sock | null = null;
      let bestScore = -1;
      for (const s of l) {
        const e = s.entry;
        if (e.state !== 'LISTEN' || !this.famOk(e, fam)) continue;
        if (wild ? e.local !== null : !this.localIs(e, daddr)) continue;
        if (s.boundIf && s.boundIf !== dif) continue;
        let score = s.boundIf ? 2 : 1;
        if (e.family === 4) score++;
        if (score > bestScore) {
          best = s;
          bestScore = score;
        }
      }
      if (best) return best;
    }
    return null;
  }

  /** __udp4_lib_lookup / __udp6_lib_lookup: (daddr, port) bucket then wildcard, udp compute_score */
  lookupUdp(fam: 4 | 6, saddr: number | Uint8Array, sport: number, daddr: number | Uint8Array, dport: number, dif: number): Sock | null {
    const c = this.lookupEstablished('udp', fam, saddr, sport, daddr, dport, dif);
    if (c) return c;
    const l = this.byPort.get(`udp/${dport}`);
    if (!l) return null;
    for (const wild of [false, true]) {
      let best: Sock | null = null;
      let bestScore = -1;
      for (const s of l) {
        const e = s.entry;
        if (!this.famOk(e, fam)) continue;
        if (wild ? e.local !== null : !this.localIs(e, daddr)) continue;
        if (s.boundIf && s.boundIf !== dif) continue;
        let score = e.family === 4 ? 2 : 1;
        if (s.boundIf) score += 4;
        if (score > bestScore) {
          best = s;
          bestScore = score;
        }
      }
      if (best) return best;
    }
    return null;
  }

  /** __udp_is_mcast_sock for broadcast/multicast delivery: every bound socket of the port */
  udpMcastSocks(fam: 4 | 6, daddr: number | Uint8Array, dport: number, dif: number): Sock[] {
    const l = this.byPort.get(`udp/${dport}`);
    if (!l) return [];
    return l.filter((s) => this.famOk(s.entry, fam) && (s.entry.local === null || eqAddr(s.entry.local, daddr)) && (!s.boundIf || s.boundIf === dif));
  }

  connKey(fam: 4 | 6, saddr: string, sport: number, daddr: string, dport: number): string {
    return `${fam} ${saddr} ${sport} ${daddr} ${dport}`;
  }
}

export function devIndex(d: NetDevice | null): number {
  return d ? d.ifindex : 0;
}

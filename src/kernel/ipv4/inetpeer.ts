// inet_peer rate limiting (net/ipv4/inetpeer.c inet_peer_xrlim_allow) for ICMP errors and
// ip_error: a token bucket per destination, refilled by elapsed capture time, burst
// XRLIM_BURST_FACTOR (6) times the cost. ip_error uses the same peer tokens with its own burst
// (ip_rt_error_burst = 5*HZ, cost HZ), so an unreachable route's ICMP costs twice. A new peer starts full (rate_last = jiffies - 60*HZ).

const XRLIM_BURST_FACTOR = 6;

interface Peer {
  tokens: number;
  last: number;
}

export class InetPeers {
  private readonly peers = new Map<string, Peer>();

  /** true when a message to `key` costing `timeoutMs` may be sent at capture time `nowMs` */
  allow(key: string, nowMs: number, timeoutMs: number, burstFactor = XRLIM_BURST_FACTOR): boolean {
    if (timeoutMs <= 0) return true;
    let p = this.peers.get(key);
    if (!p) {
      if (this.peers.size > 65536) this.peers.clear(); // bounded, like the inet_peer GC
      p = { tokens: 0, last: nowMs - 60000 };
      this.peers.set(key, p);
    }
    let token = p.tokens + (nowMs - p.last);
    p.last = nowMs;
    if (token > burstFactor * timeoutMs) token = burstFactor * timeoutMs;
    let ok = false;
    if (token >= timeoutMs) {
      token -= timeoutMs;
      ok = true;
    }
    p.tokens = token;
    return ok;
  }
}

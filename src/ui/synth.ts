// Synthetic replay items for the bench and tests of scale: a deterministic mix of the paths a
// real capture takes (local delivery, closed port with RST, forwarding, netfilter drop, ARP).
// The event names are the kernel's; the mix is made up and says nothing about correctness.
import type { FateRecord } from '../kernel/fate.js';
import type { ReplayItem, ReplaySource } from '../replay-types.js';

const rx = (dev: string) => [
  { fn: '__netif_receive_skb_core', what: 'PACKET_HOST', dev },
  { fn: 'ip_rcv', what: 'ok', dev },
  { fn: 'nf_hook', what: 'prerouting NF_ACCEPT', dev },
  { fn: 'ip_route_input_noref', what: 'RTN_LOCAL table local', dev, detail: { table: 'local' } },
];

const TEMPLATES: FateRecord[] = [
  {
    frame: 0, fate: 'delivered', socket: 'tcp 0.0.0.0:22',
    events: [...rx('eth0'), { fn: 'ip_local_deliver', what: 'ok', dev: 'eth0' }, { fn: 'tcp_v4_rcv', what: 'queued to tcp 0.0.0.0:22', dev: 'eth0' }],
  },
  {
    frame: 0, fate: 'dropped', reason: 'NO_SOCKET',
    replies: [{ iface: 'eth0', summary: 'IP 10.0.0.1.23 > 10.0.0.2.40001: Flags [R.], seq 0, ack 1, win 0, length 0' }],
    events: [...rx('eth0'), { fn: 'ip_local_deliver', what: 'ok', dev: 'eth0' }, { fn: 'tcp_v4_rcv', what: 'drop NO_SOCKET', dev: 'eth0' }, { fn: 'tcp_v4_send_reset', what: 'RST sent', dev: 'eth0' }],
  },
  {
    frame: 0, fate: 'forwarded', egress: ['eth1'],
    verdicts: [{ hook: 'forward', family: 'ip', table: 'filter', chain: 'FORWARD', verdict: 'accept', rule: '-A FORWARD -i eth0 -o eth1 -j ACCEPT', source: 'iptables.rules:9' }],
    events: [
      { fn: '__netif_receive_skb_core', what: 'PACKET_HOST', dev: 'eth0' },
      { fn: 'ip_rcv', what: 'ok', dev: 'eth0' },
      { fn: 'ip_route_input_noref', what: 'RTN_UNICAST via 192.168.1.1 dev eth1', dev: 'eth0', detail: { table: 'main', route: '0.0.0.0/0', gw: '192.168.1.1' } },
      { fn: 'ip_forward', what: 'ok', dev: 'eth0', diff: { ttl: [64, 63] } },
      { fn: 'nf_hook', what: 'forward NF_ACCEPT', dev: 'eth0' },
      { fn: 'ip_finish_output2', what: 'neigh 192.168.1.1 REACHABLE', dev: 'eth1' },
      { fn: 'dev_queue_xmit', what: 'sent', dev: 'eth1' },
    ],
  },
  {
    frame: 0, fate: 'dropped', reason: 'NETFILTER_DROP',
    verdicts: [{ hook: 'input', family: 'ip', table: 'filter', chain: 'INPUT', verdict: 'drop', rule: '-A INPUT -p tcp --dport 3306 -j DROP', source: 'iptables.rules:7' }],
    events: [...rx('eth0'), { fn: 'nf_hook_slow', what: 'drop NETFILTER_DROP', dev: 'eth0', detail: { chain: 'INPUT' } }],
  },
  {
    frame: 0, fate: 'consumed',
    replies: [{ iface: 'eth0', summary: 'ARP, Reply 10.0.0.1 is-at 02:00:00:00:00:01, length 28' }],
    events: [{ fn: '__netif_receive_skb_core', what: 'PACKET_BROADCAST', dev: 'eth0' }, { fn: 'arp_rcv', what: 'ok', dev: 'eth0' }, { fn: 'arp_process', what: 'reply sent', dev: 'eth0' }],
  },
];
const SUMMARIES = [
  (k: number) => `IP 10.0.0.2.${40000 + (k % 20000)} > 10.0.0.1.22: Flags [.], ack ${k}, win 502, length 0`,
  (k: number) => `IP 10.0.0.2.${40000 + (k % 20000)} > 10.0.0.1.23: Flags [S], seq ${k}, win 64240, length 0`,
  (k: number) => `IP 10.0.0.${2 + (k % 200)}.${1024 + (k % 60000)} > 93.184.216.34.443: Flags [P.], seq ${k}:${k + 100}, ack 1, win 502, length 100`,
  (k: number) => `IP 10.0.0.2.${40000 + (k % 20000)} > 10.0.0.1.3306: Flags [S], seq ${k}, win 64240, length 0`,
  () => 'ARP, Request who-has 10.0.0.1 tell 10.0.0.2, length 28',
];
const MIX = [0, 0, 0, 0, 2, 2, 2, 1, 3, 4];

/** n synthetic frames, 1 ms apart; bytes are not synthesised (the headers section says so) */
export function synthSource(n: number, title = `synthetic ${n} frames`): ReplaySource {
  let k = 0;
  return {
    title,
    totalBytes: n * 100,
    bytesRead: () => k * 100,
    next(): ReplayItem | null {
      if (k >= n) return null;
      const t = MIX[k % MIX.length];
      k++;
      return {
        frame: k,
        tsSec: 1_700_000_000 + Math.floor(k / 1000),
        tsNsec: (k % 1000) * 1_000_000,
        iface: 'eth0',
        summary: SUMMARIES[t](k),
        record: { ...TEMPLATES[t], frame: k },
      };
    },
    close() {},
  };
}

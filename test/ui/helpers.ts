// Test inputs for the UI: the bundled capture captures/basic.pcapng read by the capture layer,
// with tcpdump's own one-line summaries (fixtures/basic.tcpdump.txt, from
// `tcpdump -nn -t -r captures/basic.pcapng`, tcpdump 4.99.3) and fates assigned by hand.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openCapture } from '../../src/capture/reader.js';
import type { FateRecord } from '../../src/kernel/fate.js';
import type { ReplayItem } from '../../src/replay-types.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BASIC = `${ROOT}captures/basic.pcapng`;

export const tcpdumpLines = (): string[] => readFileSync(`${ROOT}test/ui/fixtures/basic.tcpdump.txt`, 'utf8').trimEnd().split('\n');

/** tshark -T fields rows of basic.pcapng (fixtures/basic.tshark.tsv, TShark 4.0.17), by column name */
export function tsharkRows(): Record<string, string>[] {
  const [head, ...rows] = readFileSync(`${ROOT}test/ui/fixtures/basic.tshark.tsv`, 'utf8').split('\n').filter(Boolean);
  const cols = head.split('\t');
  return rows.map((r) => Object.fromEntries(r.split('\t').map((v, k) => [cols[k], v])));
}

const dropNoSocket: FateRecord = {
  frame: 0,
  fate: 'dropped',
  reason: 'NO_SOCKET',
  replies: [{ iface: 'veth0', summary: 'IP 10.20.0.1.81 > 10.20.0.2.54304: Flags [R.], seq 0, ack 4076138012, win 0, length 0' }],
  verdicts: [{ hook: 'input', family: 'ip', table: 'filter', chain: 'INPUT', verdict: 'accept' }],
  events: [
    { fn: '__netif_receive_skb_core', what: 'PACKET_HOST', dev: 'veth0' },
    { fn: 'ip_rcv', what: 'ok', dev: 'veth0' },
    { fn: 'ip_route_input_noref', what: 'RTN_LOCAL', dev: 'veth0', detail: { table: 'local' } },
    { fn: 'nf_conntrack_in', what: 'new', dev: 'veth0', diff: { 'ct.state': ['none', 'NEW'] } },
    { fn: 'tcp_v4_rcv', what: 'drop NO_SOCKET', dev: 'veth0' },
    { fn: 'tcp_v4_send_reset', what: 'RST sent', dev: 'veth0' },
  ],
};
const delivered: FateRecord = {
  frame: 0,
  fate: 'delivered',
  socket: 'tcp 10.20.0.1:8080',
  events: [{ fn: 'tcp_v4_rcv', what: 'queued to tcp 10.20.0.1:8080', dev: 'veth0' }],
};
const consumed: FateRecord = { frame: 0, fate: 'consumed', events: [{ fn: 'icmp_rcv', what: 'echo reply sent' }] };
const nfDrop: FateRecord = {
  frame: 0,
  fate: 'dropped',
  reason: 'NETFILTER_DROP',
  verdicts: [{ hook: 'input', family: 'inet', table: 'fw', chain: 'input', verdict: 'drop', rule: 'udp dport 9998 drop', source: 'nft.txt:7' }],
  events: [{ fn: 'nf_hook_slow', what: 'drop NETFILTER_DROP', dev: 'veth0' }],
};

/** hand-made fates: frame 24 (SYN to closed port 81) NO_SOCKET, 28 NETFILTER_DROP, TCP 8080 delivered, rest consumed */
export function fateOf(frame: number, summary: string): FateRecord {
  if (frame === 24) return { ...dropNoSocket, frame };
  if (frame === 28) return { ...nfDrop, frame };
  if (/\.8080[ :]/.test(summary)) return { ...delivered, frame };
  return { ...consumed, frame };
}

/** the bundled capture as ReplayItems (bytes copied), interface name from the capture (eth0) */
export function basicItems(): ReplayItem[] {
  const sums = tcpdumpLines();
  const r = openCapture(BASIC);
  const out: ReplayItem[] = [];
  for (let f = r.next(); f; f = r.next()) {
    out.push({
      frame: f.index,
      tsSec: f.tsSec,
      tsNsec: f.tsNsec,
      iface: f.iface.name ?? 'veth0',
      summary: sums[f.index - 1],
      record: fateOf(f.index, sums[f.index - 1]),
      bytes: f.data.slice(),
      linktype: f.iface.linktype,
    });
  }
  r.close();
  return out;
}

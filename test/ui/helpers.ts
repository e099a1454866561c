// Test inputs for the UI: a copy of the bundled capture (fixtures/basic.pcapng, see fixtures/README.md),
// with tcpdump's own one-line summaries (fixtures/basic.tcpdump.txt, from
// `tcpdump -nn -t -r captures/basic.pcapng`, tcpdump 4.99.3) and fates assigned by hand.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FateRecord } from '../../src/kernel/fate.js';
import type { ReplayItem } from '../../src/replay-types.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BASIC = `${ROOT}test/ui/fixtures/basic.pcapng`;

export const tcpdumpLines = (): string[] => readFileSync(`${ROOT}test/ui/fixtures/basic.tcpdump.txt`, 'utf8').trimEnd().split('\n');

/** tshark -T fields rows of basic.pcapng (fixtures/basic.tshark.tsv, TShark 4.0.17), by column name */
export function tsharkRows(): Record<string, string>[] {
  const [head, ...rows] = readFileSync(`${ROOT}test/ui/fixtures/basic.tshark.tsv`, 'utf8').split('\n').filter(Boolean);
  const cols = head.split('\t');
  return rows.map((r) => Object.fromEntries(r.split('\t').map((v, k) => [cols[k], v])));
}

const lineNo = (re: RegExp): number => tcpdumpLines().findIndex((l) => re.test(l)) + 1;
/** the SYN to closed port 81 and the UDP datagram to port 9998, by frame number */
export const SYN81 = lineNo(/ > 10\.20\.0\.1\.81: Flags \[S\]/);
export const UDP9998 = lineNo(/ > 10\.20\.0\.1\.9998: UDP/);
export const ICMP_UNREACH = lineNo(/udp port 9998 unreachable/);

const dropNoSocket: FateRecord = {
  frame: 0,
  fate: 'dropped',
  reason: 'NO_SOCKET',
  // the kernel's RST as the capture shows it: the frame right after the SYN
  replies: [{ iface: 'eth0', summary: tcpdumpLines()[SYN81] }],
  verdicts: [{ hook: 'input', family: 'ip', table: 'filter', chain: 'INPUT', verdict: 'accept' }],
  events: [
    { fn: '__netif_receive_skb_core', what: 'PACKET_HOST', dev: 'eth0' },
    { fn: 'ip_rcv', what: 'ok', dev: 'eth0' },
    { fn: 'ip_route_input_noref', what: 'RTN_LOCAL', dev: 'eth0', detail: { table: 'local' } },
    { fn: 'nf_conntrack_in', what: 'new', dev: 'eth0', diff: { 'ct.state': ['none', 'NEW'] } },
    { fn: 'tcp_v4_rcv', what: 'drop NO_SOCKET', dev: 'eth0' },
    { fn: 'tcp_v4_send_reset', what: 'RST sent', dev: 'eth0' },
  ],
};
const delivered: FateRecord = {
  frame: 0,
  fate: 'delivered',
  socket: 'tcp 10.20.0.1:8080',
  events: [{ fn: 'tcp_v4_rcv', what: 'queued to tcp 10.20.0.1:8080', dev: 'eth0' }],
};
const consumed: FateRecord = { frame: 0, fate: 'consumed', events: [{ fn: 'icmp_rcv', what: 'echo reply sent' }] };
const nfDrop: FateRecord = {
  frame: 0,
  fate: 'dropped',
  reason: 'NETFILTER_DROP',
  verdicts: [{ hook: 'input', family: 'inet', table: 'fw', chain: 'input', verdict: 'drop', rule: 'udp dport 9998 drop', source: 'nft.txt:7' }],
  events: [{ fn: 'nf_hook_slow', what: 'drop NETFILTER_DROP', dev: 'eth0' }],
};

/** hand-made fates: the SYN to port 81 NO_SOCKET, the UDP to 9998 NETFILTER_DROP, TCP 8080 delivered, rest consumed */
export function fateOf(frame: number, summary: string): FateRecord {
  if (frame === SYN81) return { ...dropNoSocket, frame };
  if (frame === UDP9998) return { ...nfDrop, frame };
  if (/\.8080[ :]/.test(summary)) return { ...delivered, frame };
  return { ...consumed, frame };
}

/**
 * Minimal pcapng walk (SHB, IDB with if_name/if_tsresol, EPB; little-endian) so these tests do not
 * depend on the capture layer's reader, which has its own tests. Format: draft-ietf-opsawg-pcapng.
 */
function readPcapng(path: string): { index: number; tsSec: number; tsNsec: number; iface: string; linktype: number; data: Uint8Array }[] {
  const b = readFileSync(path);
  const ifs: { name: string; linktype: number; res: number }[] = [];
  const out = [];
  for (let off = 0; off + 12 <= b.length; ) {
    const type = b.readUInt32LE(off);
    const len = b.readUInt32LE(off + 4);
    if (type === 0x0a0d0d0a) {
      if (b.readUInt32LE(off + 8) !== 0x1a2b3c4d) throw new Error('big-endian pcapng not handled by the test helper');
      ifs.length = 0;
    } else if (type === 1) {
      const it = { name: 'eth0', linktype: b.readUInt16LE(off + 8), res: 6 };
      for (let o = off + 16; o + 4 <= off + len - 4; ) {
        const code = b.readUInt16LE(o);
        const ol = b.readUInt16LE(o + 2);
        if (code === 0) break;
        if (code === 2) it.name = b.toString('utf8', o + 4, o + 4 + ol);
        if (code === 9) it.res = b[o + 4];
        o += 4 + ((ol + 3) & ~3);
      }
      ifs.push(it);
    } else if (type === 6) {
      const it = ifs[b.readUInt32LE(off + 8)];
      const ts = (BigInt(b.readUInt32LE(off + 12)) << 32n) | BigInt(b.readUInt32LE(off + 16));
      if (it.res & 0x80) throw new Error('binary if_tsresol not handled by the test helper');
      const per = 10n ** BigInt(it.res);
      const cap = b.readUInt32LE(off + 20);
      out.push({
        index: out.length + 1,
        tsSec: Number(ts / per),
        tsNsec: Number(((ts % per) * 1_000_000_000n) / per),
        iface: it.name,
        linktype: it.linktype,
        data: new Uint8Array(b.subarray(off + 28, off + 28 + cap)),
      });
    }
    off += len;
  }
  return out;
}

/** the bundled capture as ReplayItems (bytes copied), interface name from the capture (eth0) */
export function basicItems(): ReplayItem[] {
  const sums = tcpdumpLines();
  return readPcapng(BASIC).map((f) => ({
    frame: f.index,
    tsSec: f.tsSec,
    tsNsec: f.tsNsec,
    iface: f.iface,
    summary: sums[f.index - 1],
    record: fateOf(f.index, sums[f.index - 1]),
    bytes: f.data,
    linktype: f.linktype,
  }));
}

// frames.pcapng through the project's own writer (src/capture/pcapng-writer.ts, built to dist/).
// stdin: {"out": path, "packets": [{"iface": "eth0", "tsSec": n, "tsNsec": n, "hex": "...", "comment": "..."}]}
// One IDB per interface (EN10MB, if_name), in order of first use; epb_flags inbound, or outbound for
// a packet with "direction": "outbound" (a frame the host itself sent, taken from the peer capture).
import { readFileSync } from 'node:fs';
import { PcapngWriter } from '../../dist/capture/pcapng-writer.js';

const job = JSON.parse(readFileSync(0, 'utf8'));
const w = new PcapngWriter(job.out);
const ids = new Map();
for (const p of job.packets) {
  if (!ids.has(p.iface)) ids.set(p.iface, w.addInterface({ name: p.iface, linktype: 1, tsresol: 9 }));
  w.writePacket({ iface: ids.get(p.iface), tsSec: p.tsSec, tsNsec: p.tsNsec, data: Buffer.from(p.hex, 'hex'), direction: p.direction === 'outbound' ? 2 : 1, comment: p.comment ?? null });
}
w.close();

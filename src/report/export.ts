// Export frames by fate (`--write-pcap FILE --where EXPR`): a pcapng that Wireshark opens, each
// frame keeping its interface and direction and carrying a comment naming its fate and reason.
// The capture is read a second time in step with the replay, so no frame bytes are held.
import { statSync } from 'node:fs';
import { openCapture, type CaptureReader } from '../capture/reader.js';
import { PcapngWriter } from '../capture/pcapng-writer.js';
import type { CaptureInterface } from '../capture/types.js';
import type { ReplayItem } from '../replay-types.js';
import type { ItemPred } from './where.js';
import { ruleText } from './compare.js';

export function fateComment(it: ReplayItem): string {
  const r = it.record;
  let s = `pktlife: ${r.fate}`;
  if (r.reason) s += ` reason=${r.reason}`;
  if (r.egress?.length) s += ` egress=${r.egress.join(',')}`;
  if (r.socket) s += ` socket=${r.socket}`;
  const decided = r.verdicts?.filter((v) => v.verdict !== 'accept' && v.verdict !== 'continue') ?? [];
  for (const v of decided) s += `\n${ruleText(v)}`;
  return s;
}

function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false; // the output does not exist yet (or the capture cannot be opened: the reader says why)
  }
}

export class FateExporter {
  private reader: CaptureReader;
  private writer: PcapngWriter;
  private ifmap = new Map<CaptureInterface, number>();
  written = 0;

  constructor(capture: string, out: string, private readonly where: ItemPred) {
    // writing over the capture being replayed would destroy it (the writer truncates first)
    if (sameFile(capture, out)) throw new Error(`--write-pcap ${out}: that is the capture being replayed; choose another file`);
    this.reader = openCapture(capture);
    this.writer = new PcapngWriter(out);
  }

  /** Call with every replayed item, in order. */
  add(it: ReplayItem): void {
    if (!this.where(it)) return;
    let f = this.reader.next();
    while (f !== null && f.index < it.frame) f = this.reader.next();
    if (f === null || f.index !== it.frame) throw new Error(`export: frame ${it.frame} not found on the second read of the capture`);
    let id = this.ifmap.get(f.iface);
    if (id === undefined) {
      id = this.writer.addInterface({ name: f.iface.name ?? it.iface ?? `if${f.iface.id}`, linktype: f.iface.linktype, snaplen: f.iface.snaplen });
      this.ifmap.set(f.iface, id);
    }
    this.writer.writePacket({ iface: id, tsSec: f.tsSec, tsNsec: f.tsNsec, data: f.data, len: f.len, direction: f.direction, comment: fateComment(it) });
    this.written++;
  }

  close(): void {
    this.writer.close();
    this.reader.close();
  }
}

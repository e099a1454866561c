// The flows view and the conntrack table over the real router capture (captures/router-any.pcap):
// the masqueraded TCP connection is one flow on both sides of the NAT, copies included.
import { describe, expect, it } from 'vitest';
import { replay } from '../../src/replay.js';
import { RowStore } from '../../src/ui/store.js';
import { buildFlows, conntrackTable, flowLine } from '../../src/ui/flows.js';

const CAP = new URL('../../captures/router-any.pcap', import.meta.url).pathname;
const HOST = new URL('../../captures/router-host', import.meta.url).pathname;

describe('flows and conntrack -L in the timeline', () => {
  const s = new RowStore();
  for (const it of replay(CAP, HOST)) s.add(it);
  const flows = buildFlows(s);

  it('one flow per connection, both sides of the masquerade and the outbound copies in it', () => {
    // tcpdump: frames 67-86 are the client's connection to 10.77.2.2:8080 (LAN side, WAN side, copies)
    const tcp = flows.find((f) => /^tcp src=10\.77\.1\.\d+ dst=10\.77\.2\.2 sport=41088 dport=8080/.test(f.name))!;
    expect(tcp).toBeDefined();
    expect(tcp.rows.map((i) => s.frameNo[i])).toEqual(Array.from({ length: 20 }, (_, k) => 67 + k));
    expect(Object.fromEntries(tcp.byFate)).toEqual({ forwarded: 20 });
    expect(tcp.ctState).toBe('TIME_WAIT'); // after FIN, FIN, ACK (tcp_conntracks)
    expect(tcp.nat).toMatch(/masquerade/);
    expect(flowLine(s, tcp)).toMatch(/frames 67-86 \(20: forwarded 20\)  ct TIME_WAIT  nat /);
    // the flow dropped by the forward filter: one frame, dropped
    const drop = flows.find((f) => f.name.startsWith('icmp src=10.77.2.2 dst=10.77.1.'))!;
    expect(Object.fromEntries(drop.byFate)).toEqual({ dropped: 1 });
  });

  it('conntrack -L at a frame lists the entries tracked so far with their state then', () => {
    const at = (frame: number) => conntrackTable(s, frame - 1);
    expect(at(67).find((l) => l.includes('dport=8080'))).toMatch(/^tcp +SYN_SENT +src=10\.77\.1\.\d+ dst=10\.77\.2\.2 sport=41088 dport=8080 .*\(frame 67\)/);
    expect(at(72).find((l) => l.includes('dport=8080'))).toMatch(/ESTABLISHED .*\(frame 71\)/);
    expect(at(66).some((l) => l.includes('dport=8080'))).toBe(false);
  });
});

// The timeline's flows view (key f) and conntrack table (key c), computed from the rows the
// store holds: a connection is named by conntrack's original-direction tuple when the model
// tracked it (so both sides of a NAT are one flow), else by its addresses and ports in either
// direction; an outbound copy (copy_of) belongs to the flow of the frame it copies.
import { Decoded, decodeFrame } from '../packet/decode.js';
import { ipv4BytesToString, ipv6ToString } from '../packet/addr.js';
import { parseCtState } from './conntrack.js';
import type { RowStore } from './store.js';

export interface Flow {
  /** what the flow is named by: "tcp src=.. dst=.. sport=.. dport=.." (conntrack) or "udp a:p <-> b:q" */
  name: string;
  /** rows of its frames, in capture order */
  rows: number[];
  byFate: Map<string, number>;
  /** conntrack's state after its last tracked frame ("ESTABLISHED", "TIME_WAIT" ...), null untracked */
  ctState: string | null;
  /** the NAT binding its first packet made (nf_nat_setup_info), null for none */
  nat: string | null;
}

const PROTO: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6', 132: 'sctp' };
const dec = new Decoded();

/** the frame's protocol name and its two endpoints as decoded from its headers, or null */
function endpoints(s: RowStore, i: number): { proto: string; a: string; b: string } | null {
  const bytes = s.bytes(i);
  if (!bytes.length) return null;
  decodeFrame(bytes, bytes.length, s.linktype[i], dec, bytes.length, false);
  if ((dec.ipVersion !== 4 && dec.ipVersion !== 6) || dec.srcOff < 0 || dec.dstOff < 0) return null;
  const addr = (o: number) => (dec.ipVersion === 4 ? ipv4BytesToString(dec.data, o) : ipv6ToString(dec.data, o));
  const port = (p: number) => (p >= 0 && (dec.proto === 6 || dec.proto === 17 || dec.proto === 132) ? `${dec.ipVersion === 6 ? '.' : ':'}${p}` : '');
  const proto = PROTO[dec.proto] ?? `proto ${dec.proto}`;
  return { proto, a: addr(dec.srcOff) + port(dec.sport), b: addr(dec.dstOff) + port(dec.dport) };
}

/** the conntrack state and tuple the model recorded for row i (its own nf_conntrack_in) */
function ctOf(s: RowStore, i: number): { tuple: string | null; state: string | null; nat: string | null } {
  if (!s.hasCt[i]) return { tuple: null, state: null, nat: null };
  let tuple: string | null = null;
  let state: string | null = null;
  let nat: string | null = null;
  for (const e of s.record(i).events) {
    if (e.fn === 'nf_conntrack_in' && tuple === null) {
      const c = parseCtState(e.what);
      tuple = c.tuple;
      state = c.tcpState ?? (c.ctinfo === 'INVALID' || c.ctinfo === 'UNTRACKED' ? null : c.ctinfo);
    } else if (e.fn === 'nf_nat_setup_info' && nat === null) nat = e.what;
  }
  return { tuple, state, nat };
}

export function buildFlows(s: RowStore): Flow[] {
  const byName = new Map<string, Flow>();
  const flowOfFrame = new Map<number, Flow>();
  const out: Flow[] = [];
  for (let i = 0; i < s.count; i++) {
    let f: Flow | undefined = s.copyOf[i] ? flowOfFrame.get(s.copyOf[i]) : undefined;
    if (!f) {
      const ep = endpoints(s, i);
      const ct = ctOf(s, i);
      let name: string | null = null;
      if (ep && ct.tuple) name = `${ep.proto} ${ct.tuple}`;
      else if (ep) name = ep.a < ep.b ? `${ep.proto} ${ep.a} <-> ${ep.b}` : `${ep.proto} ${ep.b} <-> ${ep.a}`;
      if (name === null) continue; // ARP, NDP's link layer, ... : not a connection
      f = byName.get(name);
      if (!f) {
        f = { name, rows: [], byFate: new Map(), ctState: null, nat: null };
        byName.set(name, f);
        out.push(f);
      }
      if (ct.state) f.ctState = ct.state;
      if (ct.nat && !f.nat) f.nat = ct.nat;
    }
    f.rows.push(i);
    flowOfFrame.set(s.frameNo[i], f);
    const fate = s.fateName(i);
    f.byFate.set(fate, (f.byFate.get(fate) ?? 0) + 1);
  }
  return out;
}

/** one line of the flows view */
export function flowLine(s: RowStore, f: Flow): string {
  const first = s.frameNo[f.rows[0]!];
  const last = s.frameNo[f.rows[f.rows.length - 1]!];
  const fates = [...f.byFate].map(([k, n]) => `${k} ${n}`).join(', ');
  return `${f.name}  frames ${first}-${last} (${f.rows.length}: ${fates})${f.ctState ? `  ct ${f.ctState}` : ''}${f.nat ? `  nat ${f.nat}` : ''}`;
}

/**
 * The conntrack table as it stands after row `upTo`, like `conntrack -L`: one line per entry the
 * model tracked so far (original tuple, its last state, the frame that set it). Timeouts between
 * frames are not applied here: an entry is shown with the state its last frame left.
 */
export function conntrackTable(s: RowStore, upTo: number): string[] {
  const last = new Map<string, { state: string | null; frame: number; nat: string | null; proto: string }>();
  for (let i = 0; i <= upTo && i < s.count; i++) {
    if (!s.hasCt[i] || s.copyOf[i]) continue;
    const ct = ctOf(s, i);
    if (!ct.tuple) continue;
    const prev = last.get(ct.tuple);
    const ep = endpoints(s, i);
    last.set(ct.tuple, { state: ct.state ?? prev?.state ?? null, frame: s.frameNo[i], nat: prev?.nat ?? ct.nat, proto: ep?.proto ?? '?' });
  }
  const lines: string[] = [];
  for (const [t, e] of last) lines.push(`${e.proto.padEnd(7)} ${(e.state ?? '').padEnd(12)} ${t}${e.nat ? `  [${e.nat}]` : ''}  (frame ${e.frame})`);
  return lines;
}

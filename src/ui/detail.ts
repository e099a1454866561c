// The detail view's content as plain lines (pure, so tests read it without a terminal):
// the frame's journey as a vertical timeline with the kernel's function names, the drop
// point, the per-chain verdicts, routing, replies, conntrack/NAT changes and decoded headers.
import type { TimelineEvent } from '../kernel/fate.js';
import { CtIndex, ctView, stateText } from './conntrack.js';
import { decodeHeaders } from './decode.js';
import { FATE_COLOR, fmtDate, fmtTime } from './format.js';
import type { RowStore } from './store.js';

export interface Seg {
  t: string;
  color?: string;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}
export type Line = Seg[];

const ROUTE_FN = /fib|route|rt_|neigh|arp_|ndisc/i;

const val = (v: string | number | boolean): string => String(v);

function eventLines(e: TimelineEvent, indent: string): Line[] {
  const out: Line[] = [];
  if (e.diff) for (const [k, [a, b]] of Object.entries(e.diff)) out.push([{ t: `${indent}${k}: ` , dim: true }, { t: `${val(a)} → ${val(b)}`, color: 'yellow' }]);
  if (e.detail) for (const [k, v] of Object.entries(e.detail)) out.push([{ t: `${indent}${k}: ${val(v)}`, dim: true }]);
  return out;
}

/** `ct` links the frame to the previous frame of its connection (conntrack "before") */
export function buildDetail(s: RowStore, i: number, ct: CtIndex = new CtIndex()): Line[] {
  const r = s.record(i);
  const L: Line[] = [];
  const fate = s.fateName(i);
  const color = FATE_COLOR[fate];
  const head = (t: string): void => {
    L.push([]);
    L.push([{ t: `── ${t} `, bold: true }]);
  };
  const iface = s.ifaceName(i);
  L.push([
    { t: `Frame ${s.frameNo[i]}`, bold: true },
    { t: `  ${fmtDate(s.tsSec[i], s.tsNsec[i])}  +${fmtTime(s, i, 'relative')} s${iface ? `  on ${iface}` : ''}` },
  ]);
  L.push([{ t: s.summary(i) }]);
  const fl: Line = [{ t: fate.toUpperCase(), color, bold: true }];
  if (r.reason) fl.push({ t: `  ${r.reason}`, color: 'red', bold: true });
  if (r.socket) fl.push({ t: `  to socket ${r.socket}` });
  if (r.egress?.length) fl.push({ t: `  out ${r.egress.join(', ')}` });
  L.push(fl);
  // tcpdump -i any captures a forwarded frame twice: on its way in and leaving
  if (r.copy_of !== undefined) L.push([{ t: `↔ the outbound copy of frame ${r.copy_of} (captured again as it left; no pass of its own)`, color: 'cyan' }]);
  const copies = s.copies.get(s.frameNo[i]);
  if (copies) L.push([{ t: `↔ captured again leaving: frame ${copies.join(', ')}`, color: 'cyan' }]);
  for (const u of r.unsupported ?? []) L.push([{ t: `⚠ unsupported: ${u} — this result may differ from the kernel`, color: 'magenta', bold: true }]);
  // a flowtable forwarded it at ingress (nf_flow_offload_ip_hook): the IP stack never saw it
  const fast = r.events.find((e) => (e.fn === 'nf_flow_offload_ip_hook' || e.fn === 'nf_flow_offload_ipv6_hook') && e.what.includes(': flow found'));
  if (fast) L.push([{ t: `⚡ flowtable fast path (${fast.fn}): no prerouting, routing, forward or postrouting`, color: 'cyan', bold: true }]);

  head('Journey');
  if (!r.events.length) L.push([{ t: '  (no events recorded)', dim: true }]);
  let dropShown = false;
  // a reply's steps (another skb: skb "reply") sit indented under a line naming that reply
  let inReply: string | null = null;
  r.events.forEach((e, k) => {
    const rk = e.skb === 'reply' ? String(e.reply ?? '-') : null;
    if (rk !== null && rk !== inReply) {
      const rep = e.reply !== undefined ? r.replies?.[e.reply] : undefined;
      const rl: Line = [{ t: ' │ ', color }, { t: '↳ reply', bold: true, color: rep?.dropped ? 'red' : 'cyan' }];
      rl.push({ t: rep ? ` → ${rep.iface}: ${rep.summary}` : ' (not sent)', dim: !rep });
      if (rep?.dropped) rl.push({ t: `  ✖ dropped ${rep.dropped}`, color: 'red', bold: true });
      L.push(rl);
    }
    inReply = rk;
    const ind = rk !== null ? ' │   ' : '';
    const isDrop = !dropShown && rk === null && r.fate === 'dropped' && e.what.startsWith('drop ');
    if (isDrop) dropShown = true;
    const last = k === r.events.length - 1;
    const mark = isDrop ? '✖' : last ? '◆' : rk !== null ? '○' : '●';
    const line: Line = [
      { t: `${ind} ${mark} `, color: isDrop ? 'red' : color, bold: isDrop },
      { t: e.fn, bold: true, color: isDrop ? 'red' : undefined },
      { t: `  ${e.what}`, color: isDrop ? 'red' : undefined, bold: isDrop },
    ];
    if (e.dev) line.push({ t: `  [${e.dev}]`, color: 'cyan' });
    if (isDrop) line.push({ t: `  ◄ dropped here: ${r.reason ?? e.what.slice(5)}`, color: 'red', bold: true, inverse: true });
    L.push(line);
    L.push(...eventLines(e, ind + (last ? '      ' : ' │    ')));
  });

  if (r.verdicts?.length) {
    head('Netfilter verdicts');
    for (const v of r.verdicts) {
      const vc = v.verdict === 'drop' || v.verdict === 'reject' ? 'red' : v.verdict === 'accept' ? 'green' : 'yellow';
      L.push([
        { t: `  ${v.hook.padEnd(11)} ${v.family} ${v.table} ${v.chain}  ` },
        { t: v.verdict, color: vc, bold: true },
        v.rule
          ? { t: `  rule: ${v.rule}${v.source ? `  (${v.source})` : ''}` }
          : { t: '  (chain policy)', dim: true },
      ]);
    }
  }

  const routes = r.events.filter((e) => ROUTE_FN.test(e.fn));
  if (routes.length) {
    head('Routing & neighbours');
    for (const e of routes) {
      L.push([{ t: `  ${e.fn}`, bold: true }, { t: `  ${e.what}` }, ...(e.dev ? [{ t: `  [${e.dev}]`, color: 'cyan' }] : []), ...(e.skb === 'reply' ? [{ t: '  (reply)', dim: true }] : [])]);
      L.push(...eventLines(e, '      '));
    }
  }

  if (r.replies?.length) {
    head('Replies sent by the kernel');
    for (const p of r.replies) {
      if (p.dropped) L.push([{ t: `  ✖ ${p.iface}  `, color: 'red' }, { t: p.summary }, { t: `  not sent: dropped ${p.dropped}`, color: 'red', bold: true }]);
      else L.push([{ t: `  → ${p.iface}  `, color: 'cyan' }, { t: p.summary }]);
    }
  }

  conntrackLines(s, i, r.events, ct, head, L);

  head('Headers');
  for (const h of decodeHeaders(s.bytes(i), s.linktype[i])) L.push([{ t: `  ${h}` }]);
  return L;
}

/** conntrack state before -> after, the entry's tuple, NAT binding and rewrites (see conntrack.ts) */
function conntrackLines(s: RowStore, i: number, events: TimelineEvent[], ct: CtIndex, head: (t: string) => void, L: Line[]): void {
  const v = ctView(events);
  if (!v) return;
  const dim = (t: string): Seg => ({ t, dim: true });
  const c = v.state;
  if (c || v.confirmed || v.other.length) {
    head('Conntrack');
    // the state before/after as nf_conntrack_in recorded it (ct.state); older records lack it and
    // "before" is derived from the previous frame of the same entry
    const own = v.stateEvent;
    const rec = own?.diff?.['ct.state'];
    if (own?.diff) {
      // ct.state is drawn as before/after below when the entry is named; any other diff as given
      const shown = c?.tuple && rec ? Object.fromEntries(Object.entries(own.diff).filter(([k]) => k !== 'ct.state')) : own.diff;
      if (Object.keys(shown).length) L.push(...eventLines({ ...own, diff: shown, detail: undefined }, '  '));
    }
    if (!c) L.push([dim('  no nf_conntrack_in result recorded for this frame')]);
    else if (c.tuple && rec) {
      L.push([dim('  entry    '), { t: c.tuple }]);
      L.push([dim('  packet   '), { t: c.ctinfo, bold: true }, ...(c.note ? [dim(`  (${c.note})`)] : [])]);
      L.push([dim('  before   '), { t: String(rec[0]), color: 'yellow' }, dim('  (recorded by nf_conntrack_in)')]);
      L.push([dim('  after    '), { t: String(rec[1]), color: 'yellow', bold: true }, ...(v.confirmed ? [dim('  inserted by __nf_conntrack_confirm')] : [])]);
      const end = v.endState;
      if (end && end !== c) L.push([dim('  then     '), { t: stateText(end) || end.ctinfo, color: 'yellow' }, dim(`  after the kernel's reply (${end.ctinfo})`)]);
    }
    else if (!c.tuple) {
      L.push([dim('  packet   '), { t: c.ctinfo, bold: true, color: c.ctinfo === 'INVALID' ? 'red' : undefined }, ...(c.note ? [{ t: `  ${c.note}` }] : [])]);
      if (c.ctinfo === 'INVALID') L.push([dim(c.note?.includes('(entry ') ? '           the entry named is left as it was: an invalid packet does not move it' : '           no entry was found or made for this packet')]);
    } else {
      if (ct.indexed <= i) ct.advance(s, Infinity, i + 1);
      const p = ct.prev[i];
      L.push([dim('  entry    '), { t: c.tuple }]);
      L.push([dim('  packet   '), { t: c.ctinfo, bold: true }, ...(c.note ? [dim(`  (${c.note})`)] : [])]);
      if (p < 0) L.push([dim('  before   '), { t: 'no entry' }, dim('  (no earlier frame of this connection: the replay starts with an empty table)')]);
      else {
        const pc = ctView(s.events(p))!.endState!;
        const gap = s.tsSec[i] - s.tsSec[p] + (s.tsNsec[i] - s.tsNsec[p]) / 1e9;
        const was = ct.confirmed[p] ? stateText(pc) || pc.ctinfo : 'no entry';
        L.push([
          dim('  before   '),
          { t: was, color: 'yellow' },
          dim(`  after frame ${s.frameNo[p]}, ${gap.toFixed(6)} s earlier${ct.confirmed[p] ? '' : ' (its entry was never confirmed)'}; derived, see docs/ui.md`),
        ]);
      }
      L.push([dim('  after    '), { t: stateText(c) || c.ctinfo, color: 'yellow', bold: true }, ...(v.confirmed ? [dim('  inserted by __nf_conntrack_confirm')] : [])]);
      const end = v.endState;
      if (end && end !== c) L.push([dim('  then     '), { t: stateText(end) || end.ctinfo, color: 'yellow' }, dim(`  after the kernel's reply (${end.ctinfo})`)]);
    }
    for (const e of v.other) L.push([{ t: `  ${e.fn}`, bold: true }, { t: `  ${e.what}` }]);
  }
  if (v.bindings.length || v.rewrites.length) {
    head('NAT');
    for (const b of v.bindings) L.push([dim('  binding  '), { t: b }, dim('  (nf_nat_setup_info: first packet of the connection)')]);
    for (const e of v.rewrites) {
      L.push([{ t: `  ${e.what}`, bold: true }, dim('  (nf_nat_packet)')]);
      for (const [k, [a, b]] of Object.entries(e.diff ?? {})) L.push([dim(`    ${k.padEnd(9)}`), { t: `${val(a)} → ${val(b)}`, color: 'yellow' }]);
    }
  }
  if (v.replyEvents.length) {
    head("Conntrack of the kernel's replies");
    for (const e of v.replyEvents) {
      L.push([{ t: `  ${e.fn}`, bold: true }, { t: `  ${e.what}` }]);
      L.push(...eventLines(e, '      '));
    }
  }
}

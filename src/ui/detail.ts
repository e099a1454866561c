// The detail view's content as plain lines (pure, so tests read it without a terminal):
// the frame's journey as a vertical timeline with the kernel's function names, the drop
// point, the per-chain verdicts, routing, replies, conntrack/NAT changes and decoded headers.
import type { TimelineEvent } from '../kernel/fate.js';
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
const CT_FN = /conntrack|nf_ct|nf_nat|nat|masq/i;
const CT_KEY = /^(ct|nat)\b|^ct[._]/i;

const val = (v: string | number | boolean): string => String(v);

function eventLines(e: TimelineEvent, indent: string): Line[] {
  const out: Line[] = [];
  if (e.diff) for (const [k, [a, b]] of Object.entries(e.diff)) out.push([{ t: `${indent}${k}: ` , dim: true }, { t: `${val(a)} → ${val(b)}`, color: 'yellow' }]);
  if (e.detail) for (const [k, v] of Object.entries(e.detail)) out.push([{ t: `${indent}${k}: ${val(v)}`, dim: true }]);
  return out;
}

export function buildDetail(s: RowStore, i: number): Line[] {
  const r = s.records[i];
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
  for (const u of r.unsupported ?? []) L.push([{ t: `⚠ unsupported: ${u} — this result may differ from the kernel`, color: 'magenta', bold: true }]);

  head('Journey');
  if (!r.events.length) L.push([{ t: '  (no events recorded)', dim: true }]);
  let dropShown = false;
  r.events.forEach((e, k) => {
    const isDrop = !dropShown && r.fate === 'dropped' && e.what.startsWith('drop ');
    if (isDrop) dropShown = true;
    const last = k === r.events.length - 1;
    const mark = isDrop ? '✖' : last ? '◆' : '●';
    const line: Line = [
      { t: ` ${mark} `, color: isDrop ? 'red' : color, bold: isDrop },
      { t: e.fn, bold: true, color: isDrop ? 'red' : undefined },
      { t: `  ${e.what}`, color: isDrop ? 'red' : undefined, bold: isDrop },
    ];
    if (e.dev) line.push({ t: `  [${e.dev}]`, color: 'cyan' });
    if (isDrop) line.push({ t: `  ◄ dropped here: ${r.reason ?? e.what.slice(5)}`, color: 'red', bold: true, inverse: true });
    L.push(line);
    L.push(...eventLines(e, last ? '      ' : ' │    '));
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
      L.push([{ t: `  ${e.fn}`, bold: true }, { t: `  ${e.what}` }, ...(e.dev ? [{ t: `  [${e.dev}]`, color: 'cyan' }] : [])]);
      L.push(...eventLines(e, '      '));
    }
  }

  if (r.replies?.length) {
    head('Replies sent by the kernel');
    for (const p of r.replies) L.push([{ t: `  → ${p.iface}  `, color: 'cyan' }, { t: p.summary }]);
  }

  const ct = r.events.filter((e) => CT_FN.test(e.fn) || Object.keys(e.diff ?? {}).some((k) => CT_KEY.test(k)));
  if (ct.length) {
    head('Conntrack & NAT');
    for (const e of ct) {
      L.push([{ t: `  ${e.fn}`, bold: true }, { t: `  ${e.what}` }]);
      L.push(...eventLines(e, '      '));
    }
  }

  head('Headers');
  for (const h of decodeHeaders(s.bytes(i), s.linktype[i])) L.push([{ t: `  ${h}` }]);
  return L;
}

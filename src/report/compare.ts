// Field-by-field comparison of fate records: what golden tests and `pktlife diff` report.
import type { FateRecord, Verdict } from '../kernel/fate.js';

/** The facts a golden file pins; `events` (the timeline wording) is kept only on request. */
export const COMPARED_FIELDS = ['fate', 'reason', 'rule', 'egress', 'replies', 'socket', 'verdicts', 'unsupported'] as const;
export type ComparedField = (typeof COMPARED_FIELDS)[number];

export interface FieldChange {
  field: ComparedField | 'events' | 'missing';
  before: string;
  after: string;
}

/** "input ip filter INPUT: drop by <rule> (<file:line>)" for one base chain's verdict. */
export function ruleText(v: Verdict): string {
  const by = v.rule !== undefined ? ` by ${v.rule}${v.source ? ` (${v.source})` : ''}` : ' by policy';
  return `${v.hook} ${v.family} ${v.table} ${v.chain}: ${v.verdict}${by}`;
}

function fieldText(r: FateRecord, f: ComparedField): string {
  switch (f) {
    case 'fate': return r.fate;
    case 'reason': return r.reason ?? '-';
    case 'rule': {
      // the rules that decided: every verdict but a chain's default accept (a chain that merely
      // let the frame pass says nothing about why it met its fate)
      const d = (r.verdicts ?? []).filter((v) => v.rule !== undefined || v.verdict !== 'accept');
      return d.length ? d.map(ruleText).join('; ') : '-';
    }
    case 'verdicts': return r.verdicts && r.verdicts.length ? r.verdicts.map(ruleText).join('; ') : '-';
    case 'egress': return r.egress && r.egress.length ? r.egress.join(',') : '-';
    case 'replies': return r.replies && r.replies.length ? r.replies.map((x) => `${x.iface}: ${x.summary}${x.dropped ? ` (dropped ${x.dropped})` : ''}`).join('; ') : '-';
    case 'socket': return r.socket ?? '-';
    case 'unsupported': return r.unsupported && r.unsupported.length ? r.unsupported.join('; ') : '-';
  }
}

export function compareRecords(before: FateRecord, after: FateRecord, opts: { events?: boolean } = {}): FieldChange[] {
  const out: FieldChange[] = [];
  for (const f of COMPARED_FIELDS) {
    const a = fieldText(before, f);
    const b = fieldText(after, f);
    if (a !== b) out.push({ field: f, before: a, after: b });
  }
  if (opts.events) {
    const a = JSON.stringify(before.events ?? []);
    const b = JSON.stringify(after.events ?? []);
    if (a !== b) out.push({ field: 'events', before: `${(before.events ?? []).length} events`, after: `${(after.events ?? []).length} events` });
  }
  return out;
}

/** A record as a golden file keeps it: canonical key order, events only when asked for. */
export function goldenLine(r: FateRecord, withEvents: boolean): string {
  const o: Record<string, unknown> = { frame: r.frame, fate: r.fate };
  if (r.reason !== undefined) o.reason = r.reason;
  if (r.egress && r.egress.length) o.egress = r.egress;
  if (r.replies && r.replies.length) o.replies = r.replies;
  if (r.verdicts && r.verdicts.length) o.verdicts = r.verdicts.map((v) => {
    const x: Record<string, unknown> = { hook: v.hook, family: v.family, table: v.table, chain: v.chain, verdict: v.verdict };
    if (v.rule !== undefined) x.rule = v.rule;
    if (v.source !== undefined) x.source = v.source;
    return x;
  });
  if (r.socket !== undefined) o.socket = r.socket;
  if (r.unsupported && r.unsupported.length) o.unsupported = r.unsupported;
  if (withEvents) o.events = r.events;
  return JSON.stringify(o);
}

/** Parse a golden ndjson file; errors name the file and line. */
export function parseGolden(text: string, file: string): FateRecord[] {
  const out: FateRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not JSON: ${(e as Error).message}`);
    }
    const r = o as Partial<FateRecord>;
    if (typeof r !== 'object' || r === null || typeof r.frame !== 'number' || typeof r.fate !== 'string') {
      throw new Error(`${file}:${i + 1}: expected a fate record with "frame" (number) and "fate" (string)`);
    }
    out.push({ ...r, events: r.events ?? [] } as FateRecord);
  }
  return out;
}

// Reading the kernel-recorded fixtures (fixtures/kernel/<scenario>/) and comparing fate records.
// The comparison is field by field on what the kernel's evidence can show: fate, reason, egress,
// replies, verdicts (hook, family, table, chain, verdict) and socket. Events are not compared: the
// recorder only sees the kfree_skb/consume_skb locations, the model gives a full timeline.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FateRecord, Reply, Verdict } from '../../src/kernel/fate.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'kernel');

export interface Scenario {
  name: string;
  dir: string;
  expected: FateRecord[];
}

export function scenarios(): Scenario[] {
  return readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(FIXTURES, d.name, 'expected.ndjson')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const dir = join(FIXTURES, name);
      const expected = readFileSync(join(dir, 'expected.ndjson'), 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l, i) => {
          try {
            return JSON.parse(l) as FateRecord;
          } catch (e) {
            throw new Error(`${dir}/expected.ndjson: line ${i + 1}: ${(e as Error).message}`);
          }
        });
      return { name, dir, expected };
    });
}

export interface KnownDisagreement {
  scenario: string;
  frame: number;
  field: Field;
  reason: string;
}

export const FIELDS = ['fate', 'reason', 'egress', 'replies', 'verdicts', 'socket', 'trace'] as const;
export type Field = (typeof FIELDS)[number];

/**
 * fixtures/kernel/known-disagreements.json: a list of
 * {scenario, frame | frames: [..], field | fields: [..], reason}, one entry per cause; expanded here
 * to one KnownDisagreement per (frame, field).
 */
export function knownDisagreements(): KnownDisagreement[] {
  const p = join(FIXTURES, 'known-disagreements.json');
  if (!existsSync(p)) return [];
  type Entry = { scenario?: string; frame?: number; frames?: number[]; field?: Field; fields?: Field[]; reason?: string };
  const out: KnownDisagreement[] = [];
  for (const e of JSON.parse(readFileSync(p, 'utf8')) as Entry[]) {
    const frames = e.frames ?? (e.frame !== undefined ? [e.frame] : []);
    const fields = e.fields ?? (e.field !== undefined ? [e.field] : []);
    if (!e.scenario || !frames.length || !fields.length || !e.reason || fields.some((f) => !FIELDS.includes(f)) || frames.some((f) => !Number.isInteger(f) || f < 1)) {
      throw new Error(`${p}: entry ${JSON.stringify(e).slice(0, 200)} needs scenario, frame(s), field(s) (${FIELDS.join('|')}) and reason`);
    }
    for (const frame of frames) for (const field of fields) out.push({ scenario: e.scenario, frame, field, reason: e.reason });
  }
  return out;
}

const SEQ = /(seq )(\d+)(?::(\d+))?/;
// the flow of a summary: "IP 10.0.1.1.80 > 10.0.1.2.41000: ..." or "IP6 fd00:1::1.80 > fd00:1::2.42005: ..."
// (an IPv6 address holds colons: the destination ends at the first ": ")
const FLOW = /^IP6? (\S+) > (\S+): /;

/**
 * Host-chosen TCP sequence numbers are random in the kernel and arbitrary in a model; the recorder
 * writes them relative to the kernel's ISN of the flow (evidence/isn.json). A model's replies get the
 * same treatment: the seq of its SYN-ACK is its own ISN ("ISN"); any other host seq number (a RST
 * answering a segment takes the segment's ack, i.e. the kernel's ISN + k from the capture) is
 * written relative to the kernel's ISN of that flow.
 */
export function normaliseIsn(records: FateRecord[], kernelIsn: Record<string, number>): void {
  const rel = (n: string, base: number) => {
    const k = (Number(n) - base + 2 ** 32) % 2 ** 32;
    return k === 0 ? 'ISN' : `ISN+${k}`;
  };
  for (const r of records) {
    for (const rep of r.replies ?? []) {
      const flow = FLOW.exec(rep.summary);
      const m = SEQ.exec(rep.summary);
      if (!flow || !m) continue;
      // a RST|ACK answers a segment without ACK: its seq is 0 (tcp_v4_send_reset), not host-chosen
      if (rep.summary.includes('Flags [R.]') && m[2] === '0') continue;
      const base = rep.summary.includes('Flags [S.]') ? Number(m[2]) : kernelIsn[`${flow[1]}>${flow[2]}`];
      if (base === undefined) continue;
      rep.summary = rep.summary.replace(SEQ, (_s, p: string, a: string, b?: string) => p + rel(a, base) + (b ? ':' + rel(b, base) : ''));
    }
  }
}

/** evidence/isn.json of a scenario ({} when the host answered no SYN) */
export function kernelIsns(dir: string): Record<string, number> {
  const p = join(dir, 'evidence', 'isn.json');
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Record<string, number>) : {};
}

/** the replies that left (a reply the model shows dropped by a rule never reached a peer capture) */
function repliesKey(r: Reply[] | undefined): string {
  return JSON.stringify((r ?? []).filter((x) => x.dropped === undefined).map((x) => `${x.iface} ${x.summary}`).sort());
}

function verdictsKey(v: Verdict[] | undefined): string {
  return JSON.stringify((v ?? []).map((x) => [x.hook, x.family, x.table, x.chain, x.verdict]));
}

/**
 * The fields compared for a frame the host itself sent (pcapng direction outbound, taken from the peer
 * capture by the recorder): what was observed is that the host sent it (fate `sent`: the recorder
 * saw it leave after the application's call), by its interface (egress), and that the host answered
 * nothing to it (replies).
 */
export const HOST_SENT_FIELDS: readonly Field[] = ['fate', 'egress', 'replies'];

/** Fields on which the model's record differs from the kernel's, with both values for the table.
 *  `trace`: the frame's nft monitor trace as the kernel printed it and as the model has it
 *  (kernelTraces / modelTrace); compared when given. */
export function compare(exp: FateRecord, got: FateRecord | undefined, only: readonly Field[] = FIELDS, trace?: { exp: string[]; got: string[] }): { field: Field; exp: string; got: string }[] {
  const out: { field: Field; exp: string; got: string }[] = [];
  if (!got) return [{ field: 'fate', exp: exp.fate, got: '(no record)' }];
  const pairs: [Field, string, string][] = [
    ['fate', exp.fate, got.fate],
    ['reason', exp.reason ?? '', got.reason ?? ''],
    ['egress', JSON.stringify([...(exp.egress ?? [])].sort()), JSON.stringify([...(got.egress ?? [])].sort())],
    ['replies', repliesKey(exp.replies), repliesKey(got.replies)],
    ['verdicts', verdictsKey(exp.verdicts), verdictsKey(got.verdicts)],
    ['socket', exp.socket ?? '', got.socket ?? ''],
  ];
  if (trace) pairs.push(['trace', trace.exp.join(' | '), trace.got.join(' | ')]);
  for (const [field, e, g] of pairs) if (e !== g && only.includes(field)) out.push({ field, exp: e, got: g });
  return out;
}

// ---- nft monitor trace ----------------------------------------------------------------------
// A trace entry is one line of `nft monitor trace` without its "trace id X" and packet lines:
// "inet filter input rule tcp dport 22 accept (verdict accept)" or "inet filter input policy drop".
// Counter values are left out (the monitor prints the counters it cached at its start).

/** the recorder's own trace table (meta nftrace set 1): not part of the host's rule set */
const TRACE_TABLE = /^(inet|bridge) kftrace /;
const COUNTER = /counter packets \d+ bytes \d+/g;

function normaliseRuleText(t: string): string {
  return t.replace(COUNTER, 'counter').replace(/\s+# handle \d+$/, '').replace(/\s+/g, ' ').trim();
}

/** evidence/nft-trace.txt: per frame, the trace entries of the host's chains in the order printed */
export function kernelTraces(dir: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  const p = join(dir, 'evidence', 'nft-trace.txt');
  if (!existsSync(p)) return out;
  let cur: string[] | null = null;
  for (const line of readFileSync(p, 'utf8').split('\n')) {
    const f = /^# frame (\d+)/.exec(line);
    if (f) {
      out.set(Number(f[1]), (cur = []));
      continue;
    }
    const m = /^trace id \S+ (.*)$/.exec(line);
    if (!m || !cur) continue;
    const body = m[1]!.trimEnd();
    if (TRACE_TABLE.test(body) || / packet: /.test(body)) continue;
    const r = /^(\S+ \S+ \S+) rule (.*) \(verdict ([^)]*)\)$/.exec(body);
    cur.push(r ? `${r[1]} rule ${normaliseRuleText(r[2]!)} (verdict ${r[3]})` : body);
  }
  return out;
}

/** host/nft.txt (`nft list ruleset`): the rule lines of every chain, "family table chain" -> texts */
export function nftChainRules(hostDir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const p = join(hostDir, 'nft.txt');
  if (!existsSync(p)) return out;
  let table = '';
  let chain: string[] | null = null;
  let depth = 0;
  for (const raw of readFileSync(p, 'utf8').split('\n')) {
    const line = raw.trim();
    const t = /^table (\S+) (\S+) \{$/.exec(line);
    if (depth === 0 && t) {
      table = `${t[1]} ${t[2]}`;
      depth = 1;
      continue;
    }
    const c = /^chain (\S+) \{$/.exec(line);
    if (depth === 1 && c) {
      out.set(`${table} ${c[1]}`, (chain = []));
      depth = 2;
      continue;
    }
    if (line.endsWith('{')) depth++;
    else if (line === '}') {
      depth--;
      if (depth < 2) chain = null;
      continue;
    }
    if (depth !== 2 || !chain || !line || /^(type|policy|comment) /.test(line)) continue;
    chain.push(normaliseRuleText(line));
  }
  return out;
}

const TRACE_RULE = /^(\S+ \S+ \S+) rule .* \(verdict ([^)]*)\)$/;
const TRACE_POLICY = /^(\S+ \S+ \S+) policy (\S+(?: meta mark 0x[0-9a-f]+)?)$/;

/** the model's trace of the frame's own skb (nft_do_chain steps not tagged as a reply's), with
 *  each rule written as host/nft.txt lists the rule at its position in the chain */
export function modelTrace(r: FateRecord, chains: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const e of r.events) {
    if (e.fn !== 'nft_do_chain' || e.skb === 'reply') continue;
    const rule = TRACE_RULE.exec(e.what);
    if (rule) {
      const pos = Number(e.detail?.position);
      const text = chains.get(rule[1]!)?.[pos - 1];
      out.push(`${rule[1]} rule ${text ?? `#${pos} (not in nft.txt)`} (verdict ${rule[2]})`);
      continue;
    }
    const pol = TRACE_POLICY.exec(e.what);
    out.push(pol ? `${pol[1]} policy ${pol[2]}` : e.what);
  }
  return out;
}

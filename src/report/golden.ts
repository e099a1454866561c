// Golden-file cases: `pktlife test`. A case is a folder with a capture, a host snapshot and
// expected.ndjson; case.json may name other files and options:
//   { "capture": "x.pcapng", "host": "../shared-host", "expected": "expected.ndjson",
//     "iface": "eth0", "checksums": "auto", "rules": ["new-rules.nft"], "events": false,
//     "bpf": ["eth0:xdp=drop"] }   (what eBPF programs return: see --bpf)
// Paths in case.json are relative to the case folder.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadHostArg } from '../host/load.js';
import type { Host } from '../host/types.js';
import type { ChecksumMode, ReplayOptions } from '../kernel/ctx.js';
import type { FateRecord } from '../kernel/fate.js';
import { openReplay } from '../replay.js';
import type { ReplayItem } from '../replay-types.js';
import { compareRecords, goldenLine, parseGolden, type FieldChange } from './compare.js';
import { withRules } from './rules-override.js';

export interface CaseSpec {
  dir: string;
  capture: string;
  host: string;
  expected: string;
  rules: string[];
  opts: ReplayOptions;
  events: boolean;
}

export interface FrameDiff {
  frame: number;
  summary: string;
  changes: FieldChange[];
}

export interface CaseResult {
  spec: CaseSpec;
  frames: number;
  diffs: FrameDiff[];
  /** a problem that stopped the case (bad case.json, unreadable capture, missing golden file) */
  error?: string;
  updated?: boolean;
}

const CAPTURE_RE = /\.(pcap|pcapng|cap)$/i;

function isCaseDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'case.json')) || fs.existsSync(path.join(dir, 'expected.ndjson'));
}

/** Case folders under the given paths (a path is a case itself or holds cases), sorted. */
export function findCases(paths: string[]): string[] {
  const found = new Set<string>();
  const walk = (d: string, depth: number): void => {
    if (isCaseDir(d)) {
      found.add(d);
      return;
    }
    if (depth > 8) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory() && e.name !== 'node_modules' && !e.name.startsWith('.')) walk(path.join(d, e.name), depth + 1);
    }
  };
  for (const p of paths) {
    if (!fs.existsSync(p) || !fs.statSync(p).isDirectory()) throw new Error(`${p}: not a directory`);
    const before = found.size;
    walk(p, 0);
    if (found.size === before && fs.readdirSync(p).some((n) => CAPTURE_RE.test(n))) found.add(p); // a new case without a golden file yet
  }
  return [...found].sort();
}

export function readCaseSpec(dir: string): CaseSpec {
  const cfgPath = path.join(dir, 'case.json');
  let cfg: Record<string, unknown> = {};
  if (fs.existsSync(cfgPath)) {
    try {
      cfg = JSON.parse(fs.readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`${cfgPath}: not JSON: ${(e as Error).message}`);
    }
    if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) throw new Error(`${cfgPath}: expected a JSON object ({"capture": ..., "host": ...}), found ${cfg === null ? 'null' : Array.isArray(cfg) ? 'an array' : typeof cfg}`);
    const known = ['capture', 'host', 'expected', 'iface', 'checksums', 'rules', 'events', 'description', 'bpf'];
    for (const k of Object.keys(cfg)) if (!known.includes(k)) throw new Error(`${cfgPath}: unknown key "${k}" (known: ${known.join(', ')})`);
  }
  const str = (k: string): string | undefined => {
    const v = cfg[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new Error(`${cfgPath}: "${k}" must be a string`);
    return v;
  };
  let capture = str('capture');
  if (capture === undefined) {
    const caps = fs.readdirSync(dir).filter((n) => CAPTURE_RE.test(n)).sort();
    if (caps.length !== 1) throw new Error(`${dir}: expected exactly one .pcap/.pcapng file (found ${caps.length}); name it in case.json "capture"`);
    capture = caps[0]!;
  }
  const checksums = (str('checksums') ?? 'auto') as ChecksumMode;
  if (!['verify', 'trust', 'auto'].includes(checksums)) throw new Error(`${cfgPath}: "checksums" must be verify, trust or auto`);
  const rules = cfg.rules === undefined ? [] : cfg.rules;
  if (!Array.isArray(rules) || rules.some((r) => typeof r !== 'string')) throw new Error(`${cfgPath}: "rules" must be a list of paths`);
  if (cfg.events !== undefined && typeof cfg.events !== 'boolean') throw new Error(`${cfgPath}: "events" must be true or false`);
  const iface = str('iface');
  const bpf = cfg.bpf;
  if (bpf !== undefined && (!Array.isArray(bpf) || bpf.some((b) => typeof b !== 'string'))) throw new Error(`${cfgPath}: "bpf" must be a list of declarations like "eth0:xdp=drop"`);
  // relative to the case folder as given, so messages name paths as the user wrote them (no checkout path)
  const at = (p: string): string => (path.isAbsolute(p) ? p : path.join(dir, p));
  return {
    dir,
    capture: at(capture),
    host: at(str('host') ?? 'host'),
    expected: at(str('expected') ?? 'expected.ndjson'),
    rules: (rules as string[]).map(at),
    opts: { checksums, ...(iface !== undefined ? { iface } : {}), ...(bpf !== undefined ? { bpf: bpf as string[] } : {}) },
    events: cfg.events === true,
  };
}

/** Replay a capture against a host, collecting every item (cases are small by nature). */
export function replayAll(capture: string, host: Host, opts: ReplayOptions): ReplayItem[] {
  // golden files and diffs compare no timeline unless asked (events: true): skip building it
  const src = openReplay(capture, host, { ...opts, events: opts.events === true });
  const out: ReplayItem[] = [];
  try {
    for (let it = src.next(); it !== null; it = src.next()) out.push(it);
  } finally {
    src.close();
  }
  return out;
}

export function goldenText(items: ReplayItem[], withEvents = false): string {
  let s = '';
  for (const it of items) s += goldenLine(it.record, withEvents) + '\n';
  return s;
}

/**
 * Rule files named relative to the case folder in verdict sources and unsupported notes: the
 * loader names them by the path it was given (the case folder as typed, or absolute), and a golden file
 * must not depend on where the checkout sits or on how the folder was named on the command line.
 */
export function caseRelativeSources(items: ReplayItem[], host: Host, dir: string): void {
  const base = path.resolve(dir);
  const subst = [host.nftText, host.nftJson, host.iptables, host.ip6tables, host.ipset]
    .filter((f) => f !== undefined)
    .map((f) => [f.path, path.relative(base, path.resolve(f.path))] as const)
    .filter(([given, rel]) => given !== rel)
    .sort((a, b) => b[0].length - a[0].length); // a longer path first when one prefixes another
  if (!subst.length) return;
  const fix = (s: string): string => {
    for (const [abs, rel] of subst) if (s.includes(abs)) s = s.split(abs).join(rel);
    return s;
  };
  for (const it of items) {
    const r = it.record;
    if (r.verdicts) r.verdicts = r.verdicts.map((v) => (v.source === undefined ? v : { ...v, source: fix(v.source) }));
    if (r.unsupported) r.unsupported = r.unsupported.map(fix);
  }
}

export function runCase(dir: string, update = false): CaseResult {
  let spec: CaseSpec;
  try {
    spec = readCaseSpec(dir);
  } catch (e) {
    const blank: CaseSpec = { dir, capture: '', host: '', expected: '', rules: [], opts: { checksums: 'auto' }, events: false };
    return { spec: blank, frames: 0, diffs: [], error: (e as Error).message };
  }
  let items: ReplayItem[];
  try {
    // the loader of --host: a snapshot directory or NAME.tar.gz, refused without ip-link.json
    const host = spec.rules.length ? withRules(loadHostArg(spec.host), spec.rules) : loadHostArg(spec.host);
    items = replayAll(spec.capture, host, { ...spec.opts, events: spec.events });
    caseRelativeSources(items, host, dir);
  } catch (e) {
    return { spec, frames: 0, diffs: [], error: (e as Error).message };
  }
  if (update) {
    try {
      fs.writeFileSync(spec.expected, goldenText(items, spec.events));
    } catch (e) {
      return { spec, frames: items.length, diffs: [], error: `${spec.expected}: cannot write the golden file: ${(e as Error).message}` };
    }
    return { spec, frames: items.length, diffs: [], updated: true };
  }
  if (!fs.existsSync(spec.expected)) {
    return { spec, frames: items.length, diffs: [], error: `${spec.expected}: no golden file (run with --update to write it)` };
  }
  let expected: FateRecord[];
  try {
    expected = parseGolden(fs.readFileSync(spec.expected, 'utf8'), spec.expected);
  } catch (e) {
    return { spec, frames: items.length, diffs: [], error: (e as Error).message };
  }
  const byFrame = new Map(expected.map((r) => [r.frame, r]));
  const diffs: FrameDiff[] = [];
  for (const it of items) {
    const want = byFrame.get(it.frame);
    byFrame.delete(it.frame);
    if (!want) {
      diffs.push({ frame: it.frame, summary: it.summary, changes: [{ field: 'missing', before: 'not in golden file', after: it.record.fate }] });
      continue;
    }
    const changes = compareRecords(want, it.record, { events: spec.events });
    if (changes.length) diffs.push({ frame: it.frame, summary: it.summary, changes });
  }
  for (const r of [...byFrame.values()].sort((a, b) => a.frame - b.frame)) {
    diffs.push({ frame: r.frame, summary: '(frame not in capture)', changes: [{ field: 'missing', before: r.fate, after: 'not in capture' }] });
  }
  return { spec, frames: items.length, diffs };
}

/** Runner-style report; deterministic (no timings, paths as given). */
export function formatResults(results: CaseResult[], update: boolean): string {
  const lines: string[] = [];
  let passed = 0;
  let failed = 0;
  for (const r of results) {
    if (r.error) {
      failed++;
      lines.push(`FAIL  ${r.spec.dir}`, `    ${r.error}`);
    } else if (update) {
      passed++;
      lines.push(`UPDATED  ${r.spec.dir} (${r.frames} frames) -> ${r.spec.expected}`);
    } else if (r.diffs.length === 0) {
      passed++;
      lines.push(`PASS  ${r.spec.dir} (${r.frames} frames)`);
    } else {
      failed++;
      lines.push(`FAIL  ${r.spec.dir} (${r.frames} frames, ${r.diffs.length} differ)`);
      for (const d of r.diffs) {
        lines.push(`    frame ${d.frame}  ${d.summary}`);
        for (const c of d.changes) lines.push(`      ${c.field}: ${c.before} -> ${c.after}`);
      }
    }
  }
  lines.push('', update ? `${passed} updated, ${failed} failed` : `${passed} passed, ${failed} failed`);
  return lines.join('\n') + '\n';
}

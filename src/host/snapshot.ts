// Record a host snapshot directory: the standard tools' own output, one file per command,
// so a user can produce the same directory by hand (see docs/host-snapshot.md).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { release } from 'node:os';

export interface SnapshotCommand {
  file: string;
  argv: string[];
  /** optional tools (ipset) are skipped silently when absent; all others are reported as missing */
  optional?: boolean;
  /** post-processing of stdout (sysctl: keep net.* sorted) */
  filter?: (out: string) => string;
  /** a file made of several runs of the tool, driven by files written before it (tc-filter.json):
   *  returns the file's text, or null to leave it out */
  compose?: (written: Record<string, string>, exec: (argv: string[]) => string) => string | null;
}

/**
 * tc-filter.json: `{"DEV": {"ingress": <tc -j filter show dev DEV ingress>, "egress": <... egress>}}`
 * for every device tc-qdisc.json shows with an `ingress` or `clsact` qdisc; null when none has.
 * A device with u32 filters also gets `"u32_roots"`: each u32 instance's root table (u32Roots).
 * The tool's JSON is pasted as printed (iproute2's u32 printer repeats keys and leaves a bare
 * string in it: the loader reads it as it is). An `ingress` qdisc has no egress hook: its egress
 * list is [] (measured: `tc filter show dev D egress` on an ingress qdisc lists the ingress filters).
 */
export function composeTcFilters(written: Record<string, string>, exec: (argv: string[]) => string): string | null {
  const text = written['tc-qdisc.json'];
  if (text === undefined || text.trim() === '') return null;
  let qdiscs: unknown;
  try {
    qdiscs = JSON.parse(text);
  } catch (e) {
    throw new SnapshotError(`tc -j qdisc show printed invalid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(qdiscs)) throw new SnapshotError('tc -j qdisc show did not print a JSON array');
  const parts: string[] = [];
  const seen = new Set<string>();
  for (const q of qdiscs as { kind?: unknown; dev?: unknown }[]) {
    if ((q.kind !== 'ingress' && q.kind !== 'clsact') || typeof q.dev !== 'string' || seen.has(q.dev)) continue;
    seen.add(q.dev);
    const ing = exec(['tc', '-j', 'filter', 'show', 'dev', q.dev, 'ingress']).trim() || '[]';
    const egr = q.kind === 'clsact' ? exec(['tc', '-j', 'filter', 'show', 'dev', q.dev, 'egress']).trim() || '[]' : '[]';
    const roots = u32Roots(q.dev, ing, 'ingress', exec).concat(u32Roots(q.dev, egr, 'egress', exec));
    parts.push(`${JSON.stringify(q.dev)}: {"ingress": ${ing}, "egress": ${egr}${roots.length ? `, "u32_roots": [${roots.join(', ')}]` : ''}}`);
  }
  return parts.length ? `{\n${parts.join(',\n')}\n}\n` : null;
}

/** a u32 instance's header line in tc's dump (u32_dump of the tcf_proto, no "options") */
const U32_PROTO = /\{"protocol":"([^"]+)","pref":(\d+),"kind":"u32","chain":(\d+)\}/g;

/**
 * "u32_roots": for every u32 instance of a hook, `tc -j filter get dev D HOOK chain C pref P
 * protocol X handle fff: u32` (u32_get: TC_U32_ROOT answers tp->root). The dumps of both clsact
 * hooks list every table of a pref (the tables are the qdisc's), so only this says whose root is whose.
 */
function u32Roots(dev: string, dump: string, hook: 'ingress' | 'egress', exec: (argv: string[]) => string): string[] {
  const out: string[] = [];
  for (const m of dump.matchAll(U32_PROTO)) {
    const got = exec(['tc', '-j', 'filter', 'get', 'dev', dev, hook, 'chain', m[3]!, 'pref', m[2]!, 'protocol', m[1]!, 'handle', 'fff:', 'u32']).trim();
    const inner = got.startsWith('[') && got.endsWith(']') ? got.slice(1, -1).trim() : '';
    if (inner) out.push(inner);
  }
  return out;
}

/** Keep net.* keys only, sorted by key (sysctl -a order depends on directory walk order). */
export function filterSysctl(out: string): string {
  const lines = out.split('\n').filter((l) => l.startsWith('net.'));
  lines.sort((a, b) => {
    const ka = a.slice(0, a.indexOf(' = ') >>> 0);
    const kb = b.slice(0, b.indexOf(' = ') >>> 0);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return lines.length ? lines.join('\n') + '\n' : '';
}

export const SNAPSHOT_COMMANDS: SnapshotCommand[] = [
  { file: 'ip-link.json', argv: ['ip', '-j', '-d', 'link', 'show'] },
  { file: 'ip-addr.json', argv: ['ip', '-j', 'addr', 'show'] },
  { file: 'ip-route.json', argv: ['ip', '-j', 'route', 'show', 'table', 'all'] },
  { file: 'ip6-route.json', argv: ['ip', '-j', '-6', 'route', 'show', 'table', 'all'] },
  { file: 'ip-rule.json', argv: ['ip', '-j', 'rule', 'show'] },
  { file: 'ip6-rule.json', argv: ['ip', '-j', '-6', 'rule', 'show'] },
  { file: 'ip-neigh.json', argv: ['ip', '-j', 'neigh', 'show'] },
  // proxy entries (ip neigh add proxy ADDR dev DEV: the kernel's pneigh table) are listed apart
  { file: 'ip-neigh-proxy.json', argv: ['ip', '-j', 'neigh', 'show', 'proxy'] },
  { file: 'ip-maddr.json', argv: ['ip', '-j', 'maddr', 'show'] },
  { file: 'bridge-fdb.json', argv: ['bridge', '-j', 'fdb', 'show'] },
  { file: 'bridge-vlan.json', argv: ['bridge', '-j', 'vlan', 'show'] },
  { file: 'nft.txt', argv: ['nft', 'list', 'ruleset'] },
  { file: 'nft.json', argv: ['nft', '-j', 'list', 'ruleset'] },
  { file: 'iptables.rules', argv: ['iptables-save'] },
  { file: 'ip6tables.rules', argv: ['ip6tables-save'] },
  { file: 'ipset.txt', argv: ['ipset', 'save'], optional: true },
  { file: 'nfacct.txt', argv: ['nfacct', 'list'], optional: true },
  { file: 'sysctl.txt', argv: ['sysctl', '-a'], filter: filterSysctl },
  { file: 'ss.txt', argv: ['ss', '-Htuanp'] },
  { file: 'tc-qdisc.json', argv: ['tc', '-j', 'qdisc', 'show'] },
  { file: 'tc-filter.json', argv: ['tc', '-j', 'filter', 'show'], compose: composeTcFilters },
];

export interface SnapshotResult {
  written: string[];
  missingTools: string[];
  meta: SnapshotMeta;
}

export interface SnapshotMeta {
  pktlifeSnapshot: 1;
  netns: string | null;
  kernelRelease: string;
  commands: { file: string; command: string }[];
  missing: { file: string; tool: string }[];
  versions: Record<string, string>;
}

export class SnapshotError extends Error {}

/** Find an executable on PATH (plus the sbin dirs, which non-login root shells may lack). */
export function which(tool: string): string | null {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin']);
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, tool);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

function run(argv: string[], netns: string | null): { code: number | null; out: string; err: string } {
  const [exe, args] = netns ? [which('ip') ?? 'ip', ['netns', 'exec', netns, ...argv]] : [which(argv[0]!) ?? argv[0]!, argv.slice(1)];
  const r = spawnSync(exe, args, { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, LC_ALL: 'C' } });
  if (r.error) return { code: null, out: '', err: String(r.error.message) };
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** First line of `tool --version`-like output, for snapshot.json only. */
function version(tool: string): string | null {
  const flags: Record<string, string[]> = {
    ip: ['-V'],
    bridge: ['-V'],
    ss: ['-V'],
    nft: ['-v'],
    iptables: ['-V'],
    'iptables-save': ['-V'],
    'ip6tables-save': ['-V'],
    ipset: ['-v'],
    sysctl: ['-V'],
    tc: ['-V'],
  };
  const p = which(tool);
  if (!p) return null;
  const r = spawnSync(p, flags[tool] ?? ['--version'], { encoding: 'utf8' });
  const s = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0]?.trim();
  return s || null;
}

export interface SnapshotOptions {
  netns?: string | null;
  /** reporter for missing tools (default: none) */
  warn?: (msg: string) => void;
  /** the commands to run (default SNAPSHOT_COMMANDS; tests substitute their own) */
  commands?: SnapshotCommand[];
}

/**
 * Run every snapshot command and write OUTDIR. A tool absent from PATH is reported and its file
 * omitted; a command that fails is an error naming it (nothing half-written is hidden).
 */
export function takeSnapshot(outDir: string, opts: SnapshotOptions = {}): SnapshotResult {
  const netns = opts.netns ?? null;
  if (netns !== null) {
    const r = run(['true'], netns);
    if (r.code !== 0) throw new SnapshotError(`cannot enter network namespace "${netns}": ${r.err.trim() || `exit ${r.code}`}`);
  }
  const write = (name: string, data: string) => {
    try {
      writeFileSync(join(outDir, name), data);
    } catch (e) {
      throw new SnapshotError(`cannot write ${join(outDir, name)}: ${(e as Error).message}`);
    }
  };
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new SnapshotError(`cannot create ${outDir}: ${(e as Error).message}`);
  }
  const written: string[] = [];
  const missing: { file: string; tool: string }[] = [];
  const commands: { file: string; command: string }[] = [];
  const versions: Record<string, string> = {};
  const outputs: Record<string, string> = {};
  for (const c of opts.commands ?? SNAPSHOT_COMMANDS) {
    const tool = c.argv[0]!;
    if (!which(tool)) {
      missing.push({ file: c.file, tool });
      opts.warn?.(`${tool} not found: ${c.file} not written (loader uses the kernel default)`);
      continue;
    }
    const exec = (argv: string[]): string => {
      const r = run(argv, netns);
      if (r.code !== 0) {
        const cmdText = (netns ? `ip netns exec ${netns} ` : '') + argv.join(' ');
        const hint = process.getuid?.() !== 0 ? ' (not running as root: nft, iptables-save and ss -p need it)' : '';
        throw new SnapshotError(`snapshot command failed (exit ${r.code ?? 'signal'}): ${cmdText}: ${r.err.trim().split('\n').slice(0, 3).join(' | ')}${hint}`);
      }
      return r.out;
    };
    const cmdText = (netns ? `ip netns exec ${netns} ` : '') + c.argv.join(' ') + (c.compose ? ' dev DEV ingress|egress (per device with an ingress/clsact qdisc)' : '');
    let out: string;
    if (c.compose) {
      const composed = c.compose(outputs, exec);
      if (composed === null) continue;
      out = composed;
    } else {
      const raw = exec(c.argv);
      out = c.filter ? c.filter(raw) : raw;
    }
    outputs[c.file] = out;
    write(c.file, out);
    written.push(c.file);
    commands.push({ file: c.file, command: cmdText });
    if (!(tool in versions)) {
      const v = version(tool);
      if (v) versions[tool] = v;
    }
  }
  // `iptables -V`: nf_tables (iptables-nft) or legacy decides which chains the kernel has (docs/rulesets.md)
  if (versions['iptables-save'] && !versions.iptables) {
    const v = version('iptables');
    if (v) versions.iptables = v;
  }
  const meta: SnapshotMeta = {
    pktlifeSnapshot: 1,
    netns,
    kernelRelease: release(),
    commands,
    missing,
    versions,
  };
  write('snapshot.json', JSON.stringify(meta, null, 2) + '\n');
  return { written, missingTools: missing.map((m) => m.tool), meta };
}

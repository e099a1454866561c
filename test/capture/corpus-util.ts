// Shared helpers for tests over the public corpus in ../shared/corpus (relative to the repo root).
import * as fs from 'node:fs';
import * as path from 'node:path';

import { CORPUS } from '../corpus-path.js';
export { CORPUS };
export const corpusPresent = fs.existsSync(path.join(CORPUS, 'manifest.jsonl'));

export interface ManifestIface {
  section?: number;
  id: number | null;
  name: string | null;
  linktype: number;
  tsresol: number;
  snaplen: number;
  tsoffset?: number;
  description?: string;
  fcslen?: number;
}

export interface ManifestEntry {
  file: string;
  format: string;
  expect: 'read' | 'partial' | 'error' | 'read_unsupported_linktype';
  expect_alt?: 'error';
  frames: number;
  linktypes: number[];
  interfaces: ManifestIface[];
  struct: { records: number; total_caplen: number; total_origlen: number; first_ts?: string; last_ts?: string; error?: string };
  total_caplen: number;
  total_origlen: number;
  first_ts: string | null;
  last_ts: string | null;
  ref: string;
  ref_truncated: boolean;
  tshark_non_packet_records?: number;
  notes?: string[] | string;
}

export function loadManifest(): ManifestEntry[] {
  return fs
    .readFileSync(path.join(CORPUS, 'manifest.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ManifestEntry);
}

/** ref/*.tsv rows as objects keyed by tshark field name; non-packet rows (empty encap_type) dropped. */
export function loadRef(ref: string): Record<string, string>[] {
  const text = fs.readFileSync(path.join(CORPUS, ref), 'utf8');
  const lines = text.split('\n').filter((l) => l !== '');
  const head = lines[0]!.split('\t');
  const rows: Record<string, string>[] = [];
  for (let i = 1; i < lines.length; i++) {
    const cols = lines[i]!.split('\t');
    const row: Record<string, string> = {};
    head.forEach((h, j) => (row[h] = cols[j] ?? ''));
    if (row['frame.encap_type'] === '') continue;
    rows.push(row);
  }
  return rows;
}

export function fmtTs(sec: number, nsec: number): string {
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

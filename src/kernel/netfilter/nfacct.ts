// `nfacct list` (nfacct-tools, libnetfilter_acct's nfacct_snprintf): one accounting object a line,
//   { pkts = 00000000000000000000, bytes = 00000000000000000000 } = NAME;
// with a quota the braces hold more fields (quota, mode, overquota). xt_nfacct rules name these
// objects; whether one has a quota decides what its match does (xt_ir.ts 'nfacct').
import { RulesetError } from './ir.js';

export function parseNfacctList(text: string, file: string): Map<string, { quota: boolean }> {
  const out = new Map<string, { quota: boolean }>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (!l) continue;
    const m = /^\{\s*pkts\s*=\s*\d+\s*,\s*bytes\s*=\s*\d+(.*)\}\s*=\s*(\S+?);$/.exec(l);
    if (!m) throw new RulesetError(file, i + 1, 1, `not an nfacct object line: "${l}" (expected "{ pkts = N, bytes = N } = NAME;")`);
    out.set(m[2]!, { quota: /quota/.test(m[1]!) });
  }
  return out;
}

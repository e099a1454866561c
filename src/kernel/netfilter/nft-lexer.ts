// Tokenizer for nft rule-set text (`nft list ruleset` output and nftables.conf style files).
// Newlines are tokens (they end statements, like ';'); '# handle N' comments that `nft -a`
// prints become handle tokens so rules keep the kernel's handle.

import { RulesetError } from './ir.js';

export type TokKind = 'word' | 'str' | 'punct' | 'nl' | 'handle' | 'eof';

export interface Tok {
  t: TokKind;
  v: string;
  line: number;
  col: number;
  file: string;
}

const PUNCT1 = new Set(['{', '}', '(', ')', ';', ',', '&', '|', '^']);

function isWordChar(c: string): boolean {
  return /[A-Za-z0-9_.:/*\-$@%\[\]~+]/.test(c);
}

export function tokenize(text: string, file: string): Tok[] {
  const out: Tok[] = [];
  let i = 0, line = 1, lineStart = 0;
  const n = text.length;
  const push = (t: TokKind, v: string, start: number) => out.push({ t, v, line, col: start - lineStart + 1, file });
  while (i < n) {
    const c = text[i]!;
    if (c === '\n') {
      push('nl', '\n', i);
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    if (c === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) {
      i += text[i + 1] === '\n' ? 2 : 3;
      line++;
      lineStart = i;
      continue;
    }
    if (c === '#') {
      const end = text.indexOf('\n', i);
      const body = text.slice(i, end < 0 ? n : end);
      const m = /^#\s*handle\s+(\d+)\s*$/.exec(body);
      if (m) push('handle', m[1]!, i);
      i = end < 0 ? n : end;
      continue;
    }
    if (c === '\\' && text[i + 1] === '"') {
      // nft 1.0.x lists some device names as \"lo\": a string quoted with escaped quotes
      const end = text.indexOf('\\"', i + 2);
      const nl = text.indexOf('\n', i);
      if (end < 0 || (nl >= 0 && end > nl)) throw new RulesetError(file, line, i - lineStart + 1, 'unterminated string');
      push('str', text.slice(i + 2, end), i);
      i = end + 2;
      continue;
    }
    if (c === '"') {
      const start = i;
      let j = i + 1, s = '';
      while (j < n && text[j] !== '"') {
        if (text[j] === '\n') throw new RulesetError(file, line, start - lineStart + 1, 'unterminated string');
        // \* stays escaped (a literal star in an interface name, not a wildcard)
        if (text[j] === '\\' && j + 1 < n) { s += text[j + 1] === '*' ? '\\*' : text[j + 1]; j += 2; continue; }
        s += text[j];
        j++;
      }
      if (j >= n) throw new RulesetError(file, line, start - lineStart + 1, 'unterminated string');
      push('str', s, start);
      i = j + 1;
      continue;
    }
    if (PUNCT1.has(c)) { push('punct', c, i); i++; continue; }
    if (c === '=' || c === '!' || c === '<' || c === '>') {
      if (text[i + 1] === '=') { push('punct', c + '=', i); i += 2; continue; }
      if ((c === '<' && text[i + 1] === '<') || (c === '>' && text[i + 1] === '>')) { push('punct', c + c, i); i += 2; continue; }
      push('punct', c, i);
      i++;
      continue;
    }
    if (isWordChar(c)) {
      const start = i;
      while (i < n && isWordChar(text[i]!)) i++;
      const w = text.slice(start, i);
      if (w === '.' || w === '-' || w === '/' || w === ':') push('punct', w, start);
      else if (w.length > 1 && w.endsWith(':') && !w.includes('::') && /^[A-Za-z0-9_]+:$/.test(w)) {
        // "22:" before a map value with the colon glued to the key: split it
        push('word', w.slice(0, -1), start);
        push('punct', ':', i - 1);
      } else push('word', w, start);
      continue;
    }
    throw new RulesetError(file, line, i - lineStart + 1, `syntax error, unexpected character '${c}'`);
  }
  out.push({ t: 'eof', v: '', line, col: i - lineStart + 1, file });
  return out;
}

// JSON reading for snapshot files: errors name the file, line:column and what was expected,
// and a Cursor walks parsed values keeping the key path (e.g. "[3].addr_info[0].local").
import { HostError } from '../errors.js';

/** Position (line/column, 1-based) and expectation of the first syntax error, by a strict scan. */
export function jsonSyntaxError(text: string): { line: number; col: number; expected: string } | null {
  let i = 0;
  const n = text.length;
  const fail = (expected: string): never => {
    throw { pos: i, expected };
  };
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('a double-quoted key');
        str();
        ws();
        if (text[i] !== ':') fail("':' after key");
        i++;
        value();
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return; }
        fail("',' or '}'");
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') { i++; return; }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return; }
        fail("',' or ']'");
      }
    } else if (c === '"') str();
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
      if (!m) fail('a number');
      i += m![0].length;
    } else {
      for (const lit of ['true', 'false', 'null']) if (text.startsWith(lit, i)) { i += lit.length; return; }
      fail(i >= n ? 'a value (input ended)' : 'a value');
    }
  };
  const str = () => {
    i++;
    while (i < n && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail('no control characters inside a string');
      i++;
    }
    if (i >= n) fail('closing \'"\' (input ended)');
    i++;
  };
  try {
    value();
    ws();
    if (i < n) fail('end of input');
    return null;
  } catch (e) {
    const { pos, expected } = e as { pos: number; expected: string };
    let line = 1;
    let col = 1;
    for (let k = 0; k < pos && k < n; k++) {
      if (text[k] === '\n') { line++; col = 1; } else col++;
    }
    return { line, col, expected };
  }
}

/** How a tolerant read treats what JSON.parse would not keep as iproute2 means it. */
export interface LooseJsonOptions {
  /** 'first': a repeated key keeps its first value; 'numbered': later ones go to `key#2`, `key#3`... */
  dupKeys: 'first' | 'numbered';
  /** a bare string where a member belongs is kept, trimmed, in the array under the key " bare" */
  bareMembers: boolean;
}

/** A syntax error of parseLooseJson: the offset and what was expected there. */
export class LooseJsonError extends Error {
  constructor(readonly pos: number, readonly expected: string) {
    super(`invalid JSON at ${pos}: expected ${expected}`);
  }
}

/**
 * A JSON reader for iproute2's output, which JSON.parse reads wrongly: JSON.parse keeps the LAST of
 * duplicate keys, where iproute2 prints some objects with duplicates whose first is the one that
 * matters (a route with `encap ip ... dst X` prints the route's "dst" and then the tunnel's "dst"),
 * or whose every copy matters (tc's u32 prints each key as its own "match" member); and tc prints
 * bare strings where a member belongs ("    offset ", " eat "). Slower than JSON.parse, so it is
 * used only when the text needs it. Throws LooseJsonError.
 */
export function parseLooseJson(text: string, opts: LooseJsonOptions): unknown {
  let i = 0;
  const n = text.length;
  const fail = (expected: string): never => {
    throw new LooseJsonError(i, expected);
  };
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\n' || text[i] === '\t' || text[i] === '\r')) i++;
  };
  const str = (): string => {
    const start = i++;
    while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= n) fail('a closing quote');
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const o: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return o;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('a double-quoted key');
        const k = str();
        ws();
        if (opts.bareMembers && (text[i] === ',' || text[i] === '}')) {
          ((o[' bare'] ??= []) as string[]).push(k.trim());
          if (text[i++] === '}') return o;
          continue;
        }
        if (text[i++] !== ':') fail("':'");
        const v = value();
        if (!Object.prototype.hasOwnProperty.call(o, k)) o[k] = v;
        else if (opts.dupKeys === 'numbered') {
          let m = 2;
          while (Object.prototype.hasOwnProperty.call(o, `${k}#${m}`)) m++;
          o[`${k}#${m}`] = v;
        }
        ws();
        const d = text[i++];
        if (d === '}') return o;
        if (d !== ',') {
          i--;
          fail("',' or '}'");
        }
      }
    }
    if (c === '[') {
      i++;
      const a: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return a;
      }
      for (;;) {
        a.push(value());
        ws();
        const d = text[i++];
        if (d === ']') return a;
        if (d !== ',') {
          i--;
          fail("',' or ']'");
        }
      }
    }
    if (c === '"') return str();
    const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) return fail(i >= n ? 'a value (input ended)' : 'a value');
    i += m[0].length;
    return JSON.parse(m[0]);
  };
  const v = value();
  ws();
  if (i !== n) fail('end of input');
  return v;
}

/** The first of duplicate keys wins (see parseLooseJson); syntax errors return undefined (the caller locates them). */
export function parseJsonFirstKeyWins(text: string): unknown {
  try {
    return parseLooseJson(text, { dupKeys: 'first', bareMembers: false });
  } catch {
    return undefined; // LooseJsonError, or a string JSON.parse refuses (bad escape, control character)
  }
}

/** Below this size every file is read first-key-wins; above it only when the caller asks (speed). */
const FIRST_KEY_WINS_MAX = 4 << 20;

export function parseJson(file: string, text: string, opts: { firstKeyWins?: boolean } = {}): unknown {
  if (text.trim() === '') return [];
  if (opts.firstKeyWins || text.length < FIRST_KEY_WINS_MAX) {
    const v = parseJsonFirstKeyWins(text);
    if (v !== undefined) return v;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const where = jsonSyntaxError(text);
    if (where) throw new HostError(file, `line ${where.line} column ${where.col}`, `invalid JSON: expected ${where.expected}`);
    throw new HostError(file, '', `invalid JSON: ${(e as Error).message}`);
  }
}

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** A parsed JSON value with the key path that leads to it, for error messages (built only on error). */
export class Cursor {
  constructor(
    readonly file: string,
    private readonly parentOrPath: Cursor | string,
    readonly value: unknown,
    private readonly key: string | number | null = null,
  ) {}

  get path(): string {
    if (typeof this.parentOrPath === 'string') return this.parentOrPath;
    const p = this.parentOrPath.path;
    const k = this.key!;
    if (typeof k === 'number') return `${p}[${k}]`;
    return Cursor.join(p, k);
  }

  private static join(path: string, key: string): string {
    return /^[A-Za-z_][\w-]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`;
  }

  err(problem: string, key?: string): HostError {
    return new HostError(this.file, key === undefined ? this.path || '(top level)' : Cursor.join(this.path, key), problem);
  }

  array(): Cursor[] {
    if (!Array.isArray(this.value)) throw this.err(`expected an array, found ${kind(this.value)}`);
    return this.value.map((v, i) => new Cursor(this.file, this, v, i));
  }

  private obj(): Record<string, unknown> {
    if (this.value === null || typeof this.value !== 'object' || Array.isArray(this.value)) {
      throw this.err(`expected an object, found ${kind(this.value)}`);
    }
    return this.value as Record<string, unknown>;
  }

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.obj(), key);
  }

  get(key: string): Cursor {
    return new Cursor(this.file, this, this.obj()[key], key);
  }

  optStr(key: string): string | undefined {
    const v = this.obj()[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw this.err(`expected a string, found ${kind(v)}`, key);
    return v;
  }

  str(key: string): string {
    const v = this.optStr(key);
    if (v === undefined) throw this.err('missing (expected a string)', key);
    return v;
  }

  optNum(key: string): number | undefined {
    const v = this.obj()[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw this.err(`expected a number, found ${kind(v)}`, key);
    return v;
  }

  num(key: string): number {
    const v = this.optNum(key);
    if (v === undefined) throw this.err('missing (expected a number)', key);
    return v;
  }

  optBool(key: string): boolean | undefined {
    const v = this.obj()[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw this.err(`expected true/false, found ${kind(v)}`, key);
    return v;
  }

  /** iproute2 prints a set flag as `"key": null` (print_null) and omits it when unset. */
  flag(key: string): boolean {
    const v = this.obj()[key];
    return v !== undefined && v !== false;
  }

  strArray(key: string): string[] {
    const v = this.obj()[key];
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw this.err('expected an array of strings', key);
    return v as string[];
  }
}

// TFTP (UDP 69) as `tcpdump -nn` prints it (print-tftp.c tftp_print), and the `app` object.

import { Out } from './print.js';

const OPS = ['', 'RRQ', 'WRQ', 'DATA', 'ACK', 'ERROR', 'OACK'];
const ERRS = ['EUNDEF', 'ENOTFOUND', 'EACCESS', 'ENOSPACE', 'EBADOP', 'EBADID', 'EEXISTS', 'ENOUSER'];

export function tftpPrint(p: Out, bp: number, length: number): void {
  p.proto = 'tftp';
  p.s += `TFTP, length ${length}`;
  if (length < 2) throw p.truncNow();
  const op = p.u16(bp);
  const name = OPS[op] || `tftp-#${op}`;
  p.s += ', ' + name;
  if (name.startsWith('t')) return;
  bp += 2;
  length -= 2;
  const opts = (): void => {
    while (length !== 0) {
      if (p.u8(bp) !== 0) p.s += ' ';
      const ui = p.printztn(bp, length, p.end);
      if (ui === 0) throw p.truncNow();
      bp += ui;
      length -= ui;
    }
  };
  switch (op) {
    case 1: case 2: {
      if (length === 0) throw p.truncNow();
      p.s += ' "';
      let ui = p.printztn(bp, length, p.end);
      p.s += '"';
      if (ui === 0) throw p.truncNow();
      bp += ui;
      length -= ui;
      if (length === 0) throw p.truncNow();
      p.s += ' ';
      ui = p.printztn(bp, length, p.end);
      if (ui === 0) throw p.truncNow();
      bp += ui;
      length -= ui;
      opts();
      break;
    }
    case 6: opts(); break;
    case 3: case 4:
      if (length < 2) throw p.truncNow();
      p.s += ` block ${p.u16(bp)}`;
      break;
    case 5: {
      if (length < 2) throw p.truncNow();
      const e = p.u16(bp);
      p.s += ' ' + (ERRS[e] ?? `tftp-err-#${e} "`);
      bp += 2;
      length -= 2;
      if (length === 0) throw p.truncNow();
      p.s += ' "';
      const ui = p.printztn(bp, length, p.end);
      p.s += '"';
      if (ui === 0) throw p.truncNow();
      break;
    }
  }
}

export interface TftpApp { proto: 'tftp'; op: string; file?: string; mode?: string; block?: number; error?: number }

export function tftpApp(b: Uint8Array, bp: number, length: number, end: number): TftpApp | null {
  const lim = Math.min(end, bp + length);
  if (bp + 2 > lim) return null;
  const op = (b[bp] << 8) | b[bp + 1];
  const r: TftpApp = { proto: 'tftp', op: OPS[op] || `op-${op}` };
  const str = (o: number): [string, number] | null => {
    let s = '';
    for (let k = o; k < lim; k++) { if (b[k] === 0) return [s, k + 1]; s += String.fromCharCode(b[k]); }
    return null;
  };
  if (op === 1 || op === 2) {
    const f = str(bp + 2);
    if (f) { r.file = f[0]; const m = str(f[1]); if (m) r.mode = m[0]; }
  } else if ((op === 3 || op === 4) && bp + 4 <= lim) r.block = (b[bp + 2] << 8) | b[bp + 3];
  else if (op === 5 && bp + 4 <= lim) r.error = (b[bp + 2] << 8) | b[bp + 3];
  return r;
}

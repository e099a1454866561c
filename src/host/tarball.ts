// A host snapshot packed by `pktlife snapshot --script` (NAME.tar.gz holding NAME/ with the
// snapshot files): read in memory (gunzip, then the ustar headers), nothing extracted to disk.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { HostError } from './errors.js';

/** the regular files of a .tar.gz by their base name (the snapshot's one folder, or its top) */
export function readSnapshotTarball(path: string): Record<string, string> {
  let tar: Buffer;
  try {
    tar = gunzipSync(readFileSync(path));
  } catch (e) {
    throw new HostError(path, '', `not a gzip-compressed tar file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): expected NAME.tar.gz from the script of \`pktlife snapshot --script\``);
  }
  const files: Record<string, string> = {};
  let longName: string | null = null;
  for (let o = 0; o + 512 <= tar.length; ) {
    const h = tar.subarray(o, o + 512);
    if (h.every((b) => b === 0)) break; // end of archive
    const str = (a: number, n: number) => h.subarray(a, a + n).toString('latin1').replace(/\0.*$/s, '');
    const sizeText = str(124, 12).trim();
    if (!/^[0-7]+$/.test(sizeText)) throw new HostError(path, `byte ${o}`, 'tar header with a bad size field (not a tar file, or damaged)');
    const size = parseInt(sizeText, 8);
    const type = str(156, 1) || '0';
    const prefix = h.subarray(257, 262).toString('latin1') === 'ustar' ? str(345, 155) : '';
    const name = longName ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100));
    longName = null;
    const data = tar.subarray(o + 512, o + 512 + size);
    if (data.length < size) throw new HostError(path, `byte ${o}`, `tar entry ${name} is cut short`);
    if (type === 'L') longName = data.toString('utf8').replace(/\0.*$/s, '');
    else if (type === '0' || type === '7') {
      const parts = name.split('/').filter((p) => p !== '' && p !== '.');
      if (parts.length > 2) throw new HostError(path, name, 'a snapshot tarball holds one folder of files, not deeper paths');
      const base = parts[parts.length - 1]!;
      if (base in files) throw new HostError(path, name, `${base} appears twice (more than one snapshot in the tarball?)`);
      files[base] = data.toString('utf8');
    }
    o += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

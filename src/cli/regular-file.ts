import { statSync } from 'node:fs';

/** a regular file (not `-`, a pipe or a device): something worker threads can each read again */
export function isRegularFile(path: string): boolean {
  if (path === '-') return false;
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

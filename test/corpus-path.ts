// Where the public capture corpus lives: $PKTLIFE_CORPUS, else ../shared/corpus beside the
// repository (the workplace layout), else /work/shared/corpus. Tests skip with a message without it.
import * as fs from 'node:fs';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '..');
const candidates = [process.env.PKTLIFE_CORPUS, path.join(repoRoot, '..', 'shared', 'corpus'), '/work/shared/corpus'].filter(
  (p): p is string => typeof p === 'string' && p !== '',
);

export const CORPUS: string = candidates.find((p) => fs.existsSync(path.join(p, 'manifest.jsonl'))) ?? candidates[0]!;

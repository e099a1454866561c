// Loading the timeline UI: the bundle scripts/bundle-ui.mjs makes after tsc (dist/ui-bundle: ink,
// react and the UI in a few files; ~0.5 s less before the first screen) when it is at least as
// new as dist/ui (a later plain `tsc` leaves an old bundle behind: then dist/ui itself).
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ReplaySource } from '../replay-types.js';
import type { BatchFeed } from '../ui/worker-pump.js';

export interface TimelineModule {
  runTimelineUI?: (s: ReplaySource, opts?: { stdin?: NodeJS.ReadStream; feed?: BatchFeed }) => Promise<void>;
}

export async function loadTimelineUI(): Promise<TimelineModule> {
  const bundle = '../ui-bundle/index.js';
  const plain = '../ui/index.js';
  let fresh = false;
  try {
    fresh = statSync(fileURLToPath(new URL(bundle, import.meta.url))).mtimeMs >= statSync(fileURLToPath(new URL(plain, import.meta.url))).mtimeMs;
  } catch {
    fresh = false;
  }
  return (await import(fresh ? bundle : plain)) as TimelineModule;
}

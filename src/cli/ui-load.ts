// Loading the timeline UI: the bundle scripts/bundle-ui.mjs makes after tsc (dist/ui-bundle: ink,
// react and the UI in a few files; ~0.5 s less before the first screen) when it is at least as
// new as dist/ui (a later plain `tsc` leaves an old bundle behind: then dist/ui itself).
import { bundleIsFresh } from './bundle-load.js';
import type { ReplaySource } from '../replay-types.js';
import type { BatchFeed } from '../ui/worker-pump.js';

export interface TimelineModule {
  runTimelineUI?: (s: ReplaySource, opts?: { stdin?: NodeJS.ReadStream; feed?: BatchFeed }) => Promise<void>;
}

export async function loadTimelineUI(): Promise<TimelineModule> {
  const bundle = new URL('../ui-bundle/index.js', import.meta.url);
  const plain = new URL('../ui/index.js', import.meta.url);
  return (await import((bundleIsFresh(bundle, plain) ? bundle : plain).href)) as TimelineModule;
}

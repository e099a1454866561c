// Where main.js loads a command from: the bundle scripts/bundle-cli.mjs makes after tsc
// (dist/cli-bundle: the command and the ~160 modules it imports in a few files; ~0.06 s less CPU
// at start-up than resolving and compiling them one by one) or dist/cli itself.
// The bundle is used when it is at least as new as the command's own module (a later plain `tsc`
// leaves an old bundle behind) and, for `replay`, when no timeline can open: the timeline's
// bundle imports the engine's modules from dist/ and must share them (the registry of shared
// timeline steps, error classes) with the replay that feeds it, which a bundled copy would not.
// PKTLIFE_NO_BUNDLE=1 loads dist/cli (the tests compare the two).
import { statSync } from 'node:fs';

/** a bundle may stand in for its module when it is at least as new (a later plain `tsc` leaves an
 * old bundle behind); false when it is absent (rolldown not installed, running from the sources) */
export function bundleIsFresh(bundle: URL, plain: URL): boolean {
  try {
    return statSync(bundle).mtimeMs >= statSync(plain).mtimeMs;
  } catch {
    return false;
  }
}

/** the commands bundled by scripts/bundle-cli.mjs */
const BUNDLED = new Set(['inspect', 'replay']);

/** can `replay` with these arguments open the timeline? (replay.ts: no --format, stdout a terminal) */
export function replayMayOpenUI(args: readonly string[], stdoutIsTTY: boolean): boolean {
  if (!stdoutIsTTY) return false;
  return !args.some((a) => a === '--format' || a.startsWith('--format='));
}

/** the URL to import for `command`: its bundle when there is a fresh one that may run, else dist/cli's */
export function commandModule(command: string, args: readonly string[], stdoutIsTTY: () => boolean): URL {
  const plain = new URL(`./${command}.js`, import.meta.url);
  if (!BUNDLED.has(command) || process.env.PKTLIFE_NO_BUNDLE === '1') return plain;
  if (command === 'replay' && replayMayOpenUI(args, stdoutIsTTY())) return plain;
  const bundle = new URL(`../cli-bundle/${command}.js`, import.meta.url);
  return bundleIsFresh(bundle, plain) ? bundle : plain;
}

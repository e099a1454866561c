// The two commands whose start-up users feel on every run, `inspect` and `replay` (text, ndjson,
// json), bundled after `tsc` into dist/cli-bundle: loading their ~160 modules one by one (ESM
// resolve, read, stat, compile each) was ~0.06 s of CPU before the first frame. main.js loads the
// bundle when it is at least as new as the command's own dist/cli module (src/cli/bundle-load.ts)
// and no timeline can open: the UI (dist/ui-bundle) imports the engine's modules from dist/ and
// must share them with the replay feeding it. Without rolldown nothing is bundled.
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const cli = path.join(root, 'dist/cli');
const outDir = path.join(root, 'dist/cli-bundle');
let build;
try {
  ({ build } = await import('rolldown'));
} catch {
  console.log('bundle-cli: rolldown is not installed; the commands load dist/cli unbundled');
  process.exit(0);
}
fs.rmSync(outDir, { recursive: true, force: true });
await build({
  // the --jobs worker too: it starts beside the command and shares its modules' chunk
  input: { inspect: path.join(cli, 'inspect.js'), replay: path.join(cli, 'replay.js'), 'jobs-worker': path.join(cli, 'jobs-worker.js') },
  platform: 'node',
  logLevel: 'warn',
  // node's own modules and npm packages stay outside (commander is main.js's; the timeline's
  // bundle is imported by path at run time and never opened from here)
  external: (id) => id.startsWith('node:') || (!id.startsWith('.') && !path.isAbsolute(id)),
  output: { dir: outDir, format: 'esm', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
});

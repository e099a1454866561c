// The timeline UI and the npm modules it loads (ink, react and ~150 small files) bundled into a
// few files in dist/ui-bundle after `tsc`: loading them one by one (resolve, open, stat, parse
// each) took ~0.5 s of the UI's first screen. The engine's modules (dist/kernel, dist/packet...)
// stay outside, shared with the replay that feeds the UI. src/cli/ui-load.ts uses the bundle when
// it is at least as new as dist/ui, else dist/ui itself; without rolldown (a production install)
// nothing is bundled and the unbundled UI runs.
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const ui = path.join(root, 'dist/ui');
const outDir = path.join(root, 'dist/ui-bundle');
let build;
try {
  ({ build } = await import('rolldown'));
} catch {
  console.log('bundle-ui: rolldown is not installed; the timeline loads dist/ui unbundled');
  process.exit(0);
}
fs.rmSync(outDir, { recursive: true, force: true });
await build({
  input: path.join(ui, 'index.js'),
  platform: 'node',
  logLevel: 'warn',
  external: (id, importer) => {
    if (id.startsWith('node:')) return true;
    // ink loads react-devtools-core only with DEV=true: left to Node to find (or not)
    if (id === 'react-devtools-core') return true;
    if (importer && importer.includes(`${path.sep}node_modules${path.sep}`)) return false;
    // our modules outside dist/ui (the engine) stay shared with the replay
    if (id.startsWith('.') && importer) return !path.resolve(path.dirname(importer), id).startsWith(ui + path.sep);
    if (path.isAbsolute(id)) return !id.startsWith(ui + path.sep) && !id.includes(`${path.sep}node_modules${path.sep}`);
    return false;
  },
  output: { dir: outDir, format: 'esm' },
});

// The timeline is loaded from dist/ui-bundle (scripts/bundle-ui.mjs: ink, react and the UI in a
// few files) when that is at least as new as dist/ui, else from dist/ui (src/cli/ui-load.ts).
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadTimelineUI } from '../../src/cli/ui-load.js';

const DIST = path.resolve(__dirname, '../../dist');
const BUNDLE = path.join(DIST, 'ui-bundle');

describe('loading the timeline UI', () => {
  it('falls back to the unbundled UI where there is no bundle (here: the sources)', async () => {
    const m = await loadTimelineUI();
    expect(typeof m.runTimelineUI).toBe('function');
  });

  it.skipIf(!fs.existsSync(path.join(BUNDLE, 'index.js')))('the bundle shares the engine modules with the replay instead of copying them', () => {
    const text = fs.readdirSync(BUNDLE).filter((f) => f.endsWith('.js')).map((f) => fs.readFileSync(path.join(BUNDLE, f), 'utf8')).join('\n');
    // the row store knows shared timeline steps by kernel/fate.js's registry: one copy of it
    expect(text).toMatch(/from "\.\.\/kernel\/fate\.js"/);
    expect(text).not.toMatch(/function isSharedEvent\b/);
    // ink and react are inside (what the bundle is for)
    expect(text).not.toMatch(/from "ink"|from "react"/);
    expect(text).toMatch(/react\.production/);
  });
});

// Colour needs chalk to believe the terminal has colours: set before ink is first imported
// (vitest gives each test file its own module graph).
import { describe, expect, it } from 'vitest';
process.env.FORCE_COLOR = '1';
const React = (await import('react')).default;
const { render } = await import('ink-testing-library');
const { App } = await import('../../src/ui/App.js');
const { ReplayPump } = await import('../../src/ui/pump.js');
const { RowStore } = await import('../../src/ui/store.js');
const { arraySource } = await import('../../src/ui/sources.js');
const { basicItems, SYN81, tcpdumpLines } = await import('./helpers.js');

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('colours', () => {
  it('colours the fate by kind when colour is on, and not at all when off', async () => {
    for (const color of [true, false]) {
      const pump = new ReplayPump(arraySource(basicItems()), new RowStore());
      const r = render(React.createElement(App, { pump, color, width: 100, height: 40 }));
      await wait(150);
      const f = r.lastFrame() ?? '';
      // SGR 31 red / 32 green: the row of the dropped SYN and of the first (delivered) 8080 frame
      const row = (n: number) => f.split('\n').find((l) => new RegExp(`^ +${n} `).test(l.replace(/\x1b\[[0-9;]*m/g, '')))!;
      if (color) {
        expect(row(SYN81)).toMatch(/\x1b\[31m(\x1b\[1m)?dropped/);
        expect(row(tcpdumpLines().findIndex((l) => l.includes('.8080')) + 1)).toMatch(/\x1b\[32mdelivered/);
      } else {
        expect(f).not.toMatch(/\x1b\[(3[0-7]|9[0-7])m/);
      }
      r.unmount();
    }
  });
});

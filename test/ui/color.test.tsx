// Colour needs chalk to believe the terminal has colours: set before ink is first imported
// (vitest gives each test file its own module graph).
import { describe, expect, it, vi } from 'vitest';
process.env.FORCE_COLOR = '1';
const React = (await import('react')).default;
const { render } = await import('ink-testing-library');
const { App } = await import('../../src/ui/App.js');
const { ReplayPump } = await import('../../src/ui/pump.js');
const { RowStore } = await import('../../src/ui/store.js');
const { arraySource } = await import('../../src/ui/sources.js');
const { basicItems, SYN81, tcpdumpLines } = await import('./helpers.js');


describe('colours', () => {
  it('colours the fate by kind when colour is on, and not at all when off', async () => {
    for (const color of [true, false]) {
      const pump = new ReplayPump(arraySource(basicItems()), new RowStore());
      const r = render(React.createElement(App, { pump, color, width: 100, height: 40 }));
      // SGR 31 red / 32 green: the row of the dropped SYN and of the first (delivered) 8080 frame
      const row = (f: string, n: number) => f.split('\n').find((l) => new RegExp(`^ +${n} `).test(l.replace(/\x1b\[[0-9;]*m/g, '')));
      const delivered8080 = tcpdumpLines().findIndex((l) => l.includes('.8080')) + 1;
      // wait for the screen to show both rows with their fates (the pump fills the store
      // asynchronously; how long that takes depends on the machine's load)
      const f = await vi.waitFor(() => {
        const fr = r.lastFrame() ?? '';
        for (const [n, fate] of [[SYN81, 'dropped'], [delivered8080, 'delivered']] as const) {
          if (!row(fr, n)?.replace(/\x1b\[[0-9;]*m/g, '').includes(fate)) throw new Error(`row ${n} not yet shown as ${fate}`);
        }
        return fr;
      }, { timeout: 20_000, interval: 20 });
      if (color) {
        expect(row(f, SYN81)).toMatch(/\x1b\[31m(\x1b\[1m)?dropped/);
        expect(row(f, delivered8080)).toMatch(/\x1b\[32mdelivered/);
      } else {
        expect(f).not.toMatch(/\x1b\[(3[0-7]|9[0-7])m/);
      }
      r.unmount();
    }
  });
});

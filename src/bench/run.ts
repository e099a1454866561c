#!/usr/bin/env node
// `npm run bench [-- SECTION...]`: runs benchmark sections (all when none named).
// A section is a module in src/bench/ exporting `run(ctx)`; add one line to SECTIONS for yours.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface BenchCtx {
  /** scratch directory for generated inputs (bench-out/, gitignored) */
  outDir: string;
  log(line: string): void;
}

export interface BenchSection {
  run(ctx: BenchCtx): Promise<void>;
}

const SECTIONS: Record<string, () => Promise<BenchSection>> = {
  capture: () => import('./capture-bench.js'),
  ui: () => import('./ui-bench.js'),
  netfilter: () => import('./netfilter-bench.js'),
  iptables: () => import('./iptables-bench.js'),
  replay: () => import('./replay-bench.js'),
  cli: () => import('./cli-bench.js'),
  app: () => import('./app-bench.js'),
};

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = args.filter((a) => !(a in SECTIONS));
  if (unknown.length) {
    console.error(`unknown bench section(s): ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}`);
    process.exit(2);
  }
  const names = args.length ? args : Object.keys(SECTIONS);
  const outDir = path.resolve(process.env.PKTLIFE_BENCH_DIR ?? 'bench-out');
  fs.mkdirSync(outDir, { recursive: true });
  const ctx: BenchCtx = { outDir, log: (l) => console.log(l) };
  for (const n of names) {
    console.log(`\n== ${n} ==`);
    const mod = await SECTIONS[n]!();
    await mod.run(ctx);
  }
}

await main();

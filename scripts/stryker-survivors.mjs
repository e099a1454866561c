// A Stryker reporter that writes each surviving (or uncovered) mutant as soon as it is known to
// reports/mutation/<module>.survivors.txt: file:line:col mutator, original -> replacement. Long
// runs on a shared machine can be read (and their survivors worked on) before they finish.
import * as fs from 'node:fs';
import { PluginKind, declareClassPlugin } from '@stryker-mutator/api/plugin';

class SurvivorsReporter {
  constructor() {
    const mod = process.env.MUTATE_MODULE;
    const name = (mod ? mod.replace(/\.ts$/, '').replace(/\//g, '-') : 'all') + (process.env.MUTATE_PART ? `.${process.env.MUTATE_PART}` : '');
    fs.mkdirSync('reports/mutation', { recursive: true });
    this.file = `reports/mutation/${name}.survivors.txt`;
    fs.writeFileSync(this.file, '');
  }
  onMutantTested(r) {
    if (r.status !== 'Survived' && r.status !== 'NoCoverage') return;
    const where = `${r.fileName}:${r.location.start.line}:${r.location.start.column}`;
    fs.appendFileSync(this.file, `${r.status} ${where} ${r.mutatorName}: ${JSON.stringify(r.replacement ?? '')}\n`);
  }
}
SurvivorsReporter.inject = [];

export const strykerPlugins = [declareClassPlugin(PluginKind.Reporter, 'survivors', SurvivorsReporter)];

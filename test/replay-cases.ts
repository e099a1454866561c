// The captures with a host snapshot that tests replay end to end: the bundled captures and every
// kernel fixture that has its snapshot (paths relative to the repository root).
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

export function replayCases(): [capture: string, host: string][] {
  const cases: [string, string][] = [
    ['captures/basic.pcapng', 'captures/basic-host'], ['captures/basic-any.pcap', 'captures/basic-host'],
    ['captures/tcp-close.pcap', 'captures/tcp-close-host'], ['captures/app.pcap', 'captures/app-host'],
    ['captures/nflog.pcap', 'captures/nflog-host'], ['captures/router-any.pcap', 'captures/router-host'],
  ];
  for (const d of fs.readdirSync(path.join(ROOT, 'fixtures/kernel'))) {
    const f = path.join('fixtures/kernel', d, 'frames.pcapng');
    if (fs.existsSync(path.join(ROOT, f)) && fs.existsSync(path.join(ROOT, 'fixtures/kernel', d, 'host'))) cases.push([f, path.join('fixtures/kernel', d, 'host')]);
  }
  return cases;
}

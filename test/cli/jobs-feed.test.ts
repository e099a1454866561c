// A --jobs worker that cannot start (its module missing or failing to load) must end the command
// with an error naming it, not leave the main thread, which waits for batches synchronously and
// never sees the Worker's 'error' event, waiting for ever (jobs-feed.ts BOOTSTRAP).
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { JobsFeed } from '../../src/cli/jobs-feed.js';
import { Out } from '../../src/cli/out.js';

const ROOT = path.resolve(__dirname, '../..');
const CAP = path.join(ROOT, 'captures/tcp-close.pcap');
const MISSING = pathToFileURL(path.join(ROOT, 'dist/cli/no-such-jobs-worker.js'));

describe('a worker thread that fails to start', () => {
  it('replay: asking for a summary throws the worker\'s error', () => {
    const feed = new JobsFeed(CAP, 2, { mode: 'replay-summary' }, MISSING);
    try {
      expect(() => feed.summaryInto(new Out(() => {}), 1)).toThrow(/--jobs: a worker thread failed: .*no-such-jobs-worker/);
    } finally {
      feed.close();
    }
  }, 60_000);

  it('inspect: merging the workers\' lines throws it', () => {
    const feed = new JobsFeed(CAP, 3, { mode: 'inspect-text' }, MISSING);
    try {
      expect(() => feed.copyBefore(new Out(() => {}), Infinity)).toThrow(/--jobs: a worker thread failed/);
    } finally {
      feed.close();
    }
  }, 60_000);

  it('the real worker module gives summaries (the test above fails for the missing module only)', () => {
    const feed = new JobsFeed(CAP, 2, { mode: 'replay-summary' });
    let text = '';
    const out = new Out((s) => (text += s));
    try {
      feed.summaryInto(out, 1);
      out.flush();
    } finally {
      feed.close();
    }
    // frame 1 of tcp-close.pcap: the client's SYN (tcpdump -nn -r prints "IP 10.9.0.2.<port> > 10.9.0.1.8080: Flags [S], ...")
    expect(text).toMatch(/^IP 10\.9\.0\.2\.\d+ > 10\.9\.0\.1\.8080: Flags \[S\]/);
  }, 60_000);
});

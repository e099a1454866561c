// Timestamps the capture format allows but Date does not: the detail pane must not throw.
import { describe, expect, it } from 'vitest';
import { fmtDate, fmtTime } from '../../src/ui/format.js';
import type { RowStore } from '../../src/ui/store.js';

const rows = (sec: number[], nsec: number[]): RowStore => ({ tsSec: Float64Array.from(sec), tsNsec: Uint32Array.from(nsec) }) as unknown as RowStore;

describe('time formats over the whole pcapng range', () => {
  // expected values from GNU date: `date -u -d @1700000000 '+%F %T'`, `date -u -d @18446744073709 +%T`
  it('formats an ordinary timestamp as before', () => {
    expect(fmtDate(1700000000, 5)).toBe('2023-11-14 22:13:20.000000005 UTC');
    expect(fmtTime(rows([1700000000], [123456789]), 0, 'absolute')).toBe('22:13:20.123456');
  });

  it('the largest microsecond pcapng timestamp (2^64-1 us) gives a time of day and a date text, no RangeError', () => {
    const sec = 18446744073709; // floor((2^64-1) / 1e6)
    expect(fmtTime(rows([sec], [551615000]), 0, 'absolute')).toBe('08:01:49.551615');
    expect(fmtDate(sec, 551615000)).toBe('18446744073709.551615000 s after 1970-01-01 UTC');
  });
});

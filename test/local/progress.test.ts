import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LOG_LINE_INTERVAL_MS, ProgressReporter } from '../../local/progress.js';

/** A stream that records what is written to it, a terminal or not. */
function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (chunk: string) => (writes.push(chunk), true) };
}

describe('ProgressReporter', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('writes a start line and then one line every few seconds when the stream is not a terminal', () => {
    // Prepare: 20,000 revocations, 1,000 done every second, as a --file to the local stack goes.
    const out = stream(false);
    const progress = new ProgressReporter(20_000, 'revocations', { stream: out, now: () => Date.now() });

    // Act
    progress.start('revoke: publishing 20,000 revocations in 28 messages to the local stack');
    for (let second = 1; second <= 20; second++) {
      vi.advanceTimersByTime(1000);
      progress.advance(1000);
    }
    progress.finish();
    vi.advanceTimersByTime(60_000);

    // Assess: the start line, then one line per interval (4 in 20 s), nothing after finish.
    expect(out.writes).toHaveLength(1 + 20_000 / LOG_LINE_INTERVAL_MS);
    expect(out.writes[0]).toBe('revoke: publishing 20,000 revocations in 28 messages to the local stack\n');
    // The line at 5 s comes just before the fifth second's step lands.
    expect(out.writes[1]).toBe('4,000/20,000 revocations (20%), 800/s, about 20 s left\n');
    expect(out.writes.every((line) => line.endsWith('\n') && !line.includes('\r'))).toBe(true);
  });

  it('redraws one bar in place on a terminal, with done/total, the rate and the ETA, and ends its line', () => {
    const out = stream(true);
    const progress = new ProgressReporter(10_000, 'revocations', { stream: out, now: () => Date.now() });

    progress.start('not written on a terminal');
    vi.advanceTimersByTime(2000);
    progress.advance(4000);
    progress.finish();

    expect(out.writes.slice(0, -1).every((chunk) => chunk.startsWith('\r') && !chunk.includes('\n'))).toBe(true);
    expect(out.writes.at(-2)).toBe(`\r[############------------------] 4,000/10,000 revocations  40%  2,000/s  ETA 3 s\x1b[K`);
    expect(out.writes.at(-1)).toBe('\n');
    // Finishing after the last step redraws nothing that is already shown.
    expect(out.writes.filter((chunk, index) => chunk === out.writes[index - 1])).toEqual([]);
    expect(out.writes.join('')).not.toContain('not written on a terminal');
  });

  it('writes nothing with quiet, or when there is nothing to count', () => {
    const out = stream(false);
    const quiet = new ProgressReporter(10, 'revocations', { stream: out, quiet: true });
    const empty = new ProgressReporter(0, 'revocations', { stream: out });

    for (const progress of [quiet, empty]) {
      progress.start('starting');
      progress.advance(5);
      vi.advanceTimersByTime(LOG_LINE_INTERVAL_MS * 3);
      progress.finish();
    }

    expect(out.writes).toEqual([]);
  });
});

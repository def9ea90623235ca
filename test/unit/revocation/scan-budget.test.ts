import { describe, expect, it } from 'vitest';
import { isThrottling, ScanBudget } from '../../../lambda/revocation/scan-budget.js';

const throttle = () => Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });

describe('ScanBudget', () => {
  it('halves the pages it keeps in flight on each throttled page, and grows them back as pages are served', async () => {
    // Prepare: 40 pages, four at a time; the first three sends are throttled.
    const budget = new ScanBudget({ concurrency: 4, pagesPerSecond: 0, sleep: async () => {}, random: () => 0 });
    let sends = 0;
    const inFlightAtSend: number[] = [];
    const page = () =>
      budget.page(async () => {
        inFlightAtSend.push(budget.pagesInFlight);
        await new Promise((resolve) => setImmediate(resolve));
        if (++sends <= 3) throw throttle();
        return 'page';
      });

    // Act
    const pages = await Promise.all(Array.from({ length: 40 }, page));

    // Assess: every page served; the gate shrank to one permit after the throttles, the next sends
    // ran at most two at a time (one served page grows it back by one), and it climbed back to four.
    expect(pages.every((result) => result === 'page')).toBe(true);
    expect(budget.throttled).toBe(3);
    expect(budget.lowestConcurrency).toBe(1);
    expect(inFlightAtSend.slice(0, 4)).toEqual([4, 4, 4, 4]);
    expect(Math.max(...inFlightAtSend.slice(4, 8))).toBe(2);
    expect(inFlightAtSend.at(-1)).toBe(4);
  });

  it('starts at most pagesPerSecond pages a second after a burst of its concurrency', async () => {
    const clock = { ms: 0 };
    const budget = new ScanBudget({
      concurrency: 2,
      pagesPerSecond: 10,
      now: () => clock.ms,
      sleep: async (ms) => void (clock.ms += ms),
    });
    const startedAtMs: number[] = [];

    for (let i = 0; i < 12; i++) await budget.page(async () => void startedAtMs.push(clock.ms));

    expect(startedAtMs.slice(0, 2)).toEqual([0, 0]);
    expect(startedAtMs.at(-1)).toBe(1000);
  });

  it('passes on an error that is not throttling at once, without a retry', async () => {
    const budget = new ScanBudget({ concurrency: 2, pagesPerSecond: 0 });
    let sends = 0;

    const error = await budget
      .page(async () => {
        sends++;
        throw Object.assign(new Error('no such table'), { name: 'ResourceNotFoundException' });
      })
      .catch((caught: unknown) => caught);

    expect((error as Error).name).toBe('ResourceNotFoundException');
    expect(sends).toBe(1);
    expect(budget.pagesInFlight).toBe(0);
  });

  it('counts DynamoDB throttling, and nothing else, as throttling', () => {
    expect(
      ['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded'].map((name) =>
        isThrottling(Object.assign(new Error(name), { name })),
      ),
    ).toEqual([true, true, true]);
    expect(isThrottling(Object.assign(new Error('x'), { name: 'InternalServerError' }))).toBe(false);
  });
});

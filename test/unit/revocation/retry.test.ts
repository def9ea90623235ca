import { describe, expect, it } from 'vitest';
import { forEachLimited, Retrier } from '../../../lambda/revocation/index.js';

const named = (name: string, status?: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('Retrier', () => {
  it('retries throttling with full-jitter exponential backoff, then succeeds', async () => {
    const delays: number[] = [];
    const retrier = new Retrier({ sleep: async (ms) => void delays.push(ms), random: () => 0.5 });
    let calls = 0;

    const result = await retrier.run(async () => {
      if (++calls <= 3) throw named('ThrottlingException');
      return 'done';
    });

    expect(result).toBe('done');
    // AWS Architecture Blog, "Exponential Backoff And Jitter": uniform in [0, min(2000, 25 * 2^attempt)).
    expect(delays).toEqual([25, 50, 100]);
  });

  it('caps the backoff at 2 s', () => {
    expect(new Retrier({ random: () => 0.999 }).backoffMs(20)).toBe(1998);
  });

  it('retries a server error by status, and a timeout only when told to', async () => {
    const retrier = new Retrier({ sleep: async () => {} });
    let calls = 0;
    const flaky = (error: Error) => async () => {
      if (++calls === 1) throw error;
      return calls;
    };

    expect(await retrier.run(flaky(named('Whatever', 503)))).toBe(2);
    calls = 0;
    await expect(retrier.run(flaky(named('TimeoutError')))).rejects.toThrow('TimeoutError');
    calls = 0;
    expect(await retrier.run(flaky(named('TimeoutError')), true)).toBe(2);
  });

  it('gives up after its attempts and at once on an error not worth retrying', async () => {
    const retrier = new Retrier({ sleep: async () => {}, maxAttempts: 3 });
    let calls = 0;

    await expect(
      retrier.run(async () => {
        calls++;
        throw named('ProvisionedThroughputExceededException');
      }),
    ).rejects.toThrow();
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      retrier.run(async () => {
        calls++;
        throw named('ConditionalCheckFailedException', 400);
      }),
    ).rejects.toThrow();
    expect(calls).toBe(1);
  });
});

describe('forEachLimited', () => {
  it('runs at most `limit` tasks at once and every item once', async () => {
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];

    await forEachLimited([...Array(20).keys()], 4, async (item) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      seen.push(item);
      inFlight--;
    });

    expect(most).toBe(4);
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });

  it('starts no more tasks after the first failure, and rethrows it', async () => {
    const started: number[] = [];

    const error = await forEachLimited([1, 2, 3, 4, 5], 1, async (item) => {
      started.push(item);
      if (item === 2) throw new Error('two');
    }).catch((caught: unknown) => caught);

    expect((error as Error).message).toBe('two');
    expect(started).toEqual([1, 2]);
  });
});

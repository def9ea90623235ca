/**
 * Retries for DynamoDB requests: throttling and server errors (and, for idempotent writes, timeouts)
 * with exponential backoff and full jitter, on top of the SDK's own attempts.
 */
export class Retrier {
  readonly maxAttempts: number;
  readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(options: RetryOptions = {}) {
    this.maxAttempts = options.maxAttempts ?? 8;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  /**
   * Runs `operation` until it succeeds, fails with an error not worth retrying, or has run
   * `maxAttempts` times. `timeouts` retries request timeouts too: right for idempotent writes,
   * wrong for a read whose caller would rather fail within its own deadline.
   */
  async run<T>(operation: () => Promise<T>, timeouts = false): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (attempt >= this.maxAttempts || !(isRetryable(error) || (timeouts && errorName(error) === 'TimeoutError'))) throw error;
        await this.sleep(this.backoffMs(attempt));
      }
    }
  }

  /** Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in [0, min(cap, base * 2^attempt)). */
  backoffMs(attempt: number): number {
    return Math.floor(this.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt));
  }
}

export interface RetryOptions {
  /** Attempts per request on throttling and server errors, on top of the SDK's own. @default 8 */
  readonly maxAttempts?: number;
  /** For tests: waits between attempts. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** For tests: the jitter source. @default Math.random */
  readonly random?: () => number;
}

const BACKOFF_BASE_MS = 25;
const BACKOFF_CAP_MS = 2000;

const RETRYABLE_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
]);

function isRetryable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return RETRYABLE_ERRORS.has(errorName(error)) || (status !== undefined && status >= 500);
}

/** The SDK's name for a failure (`ConditionalCheckFailedException`, `TimeoutError`, …), or '' for a non-Error. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

/** Runs `task` over `items`, at most `limit` at a time; after the first failure starts no more and rethrows it. */
export async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
}

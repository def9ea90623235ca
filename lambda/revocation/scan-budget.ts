import { errorName } from './retry.js';

/**
 * How hard one cold-start Scan may press on the table (docs/design.md, "Cold-start load"): the
 * requests it keeps in flight, the pages it starts per second, and how it backs off when DynamoDB
 * throttles. A deploy that recycles many instances starts many scans at once; each keeps its
 * budget, and each throttled page halves that scan's concurrency and waits a full-jitter backoff,
 * so together they slow down to what the table serves instead of retrying in lockstep.
 */
export interface ScanBudgetOptions {
  /** Page requests in flight at once. @default 4 */
  readonly concurrency: number;
  /** Pages started per second (a token bucket of `concurrency` tokens); 0 is no limit. @default 0 */
  readonly pagesPerSecond: number;
  /** For tests: waits (and honours the read's deadline). @default setTimeout */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** For tests: the jitter source. @default Math.random */
  readonly random?: () => number;
  /** For tests: the clock of the token bucket, ms. @default performance.now */
  readonly now?: () => number;
}

/** DynamoDB's answers that mean "slow down": the request used no capacity and may be sent again. */
const THROTTLING_ERRORS = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);

/** Whether an error is DynamoDB throttling (as opposed to a fault or a refusal). */
export function isThrottling(error: unknown): boolean {
  return THROTTLING_ERRORS.has(errorName(error));
}

/** Backoff after the n-th throttled attempt of a page: full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
const BACKOFF_BASE_MS = 50;
const BACKOFF_CAP_MS = 5000;

/**
 * The budget of one Scan: a gate of page permits whose size moves AIMD-style (halved on a
 * throttled page, grown by one over the current size per page served, never above the
 * configured concurrency), an optional token bucket of page starts, and the backoff.
 */
export class ScanBudget {
  /** Permits currently allowed (fractional while it grows back). */
  private allowed: number;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private tokens: number;
  private tokensAtMs: number;
  /** Pages that were throttled, and the smallest the gate shrank to: what the load logs. */
  throttled = 0;
  lowestConcurrency: number;
  private readonly sleepFn: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly options: ScanBudgetOptions) {
    this.allowed = options.concurrency;
    this.lowestConcurrency = options.concurrency;
    this.tokens = options.concurrency;
    this.sleepFn = options.sleep ?? abortableSleep;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => performance.now());
    this.tokensAtMs = this.now();
  }

  /** Page requests in flight now. */
  get pagesInFlight(): number {
    return this.inFlight;
  }

  /**
   * Runs one page request within the budget: waits for a permit and a token, and while DynamoDB
   * throttles it, backs off and sends it again, for as long as the read's deadline allows (a
   * throttled page costs no capacity, and giving up would throw away every page read so far).
   */
  async page<T>(send: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      await this.acquire(signal);
      try {
        const result = await send();
        this.release('served');
        return result;
      } catch (error) {
        const throttled = isThrottling(error);
        this.release(throttled ? 'throttled' : 'failed');
        if (!throttled) throw error;
        this.throttled++;
        signal?.throwIfAborted();
        await this.sleepFn(Math.floor(this.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt)), signal);
      }
    }
  }

  private async acquire(signal?: AbortSignal): Promise<void> {
    while (this.inFlight >= Math.max(1, Math.floor(this.allowed))) {
      signal?.throwIfAborted();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    signal?.throwIfAborted();
    this.inFlight++;
    if (this.options.pagesPerSecond === 0) return;
    try {
      await this.takeToken(signal);
    } catch (error) {
      this.release('failed');
      throw error;
    }
  }

  private release(outcome: 'served' | 'throttled' | 'failed'): void {
    this.inFlight--;
    if (outcome === 'served') this.allowed = Math.min(this.options.concurrency, this.allowed + 1 / Math.max(1, this.allowed));
    else if (outcome === 'throttled') {
      this.allowed = Math.max(1, this.allowed / 2);
      this.lowestConcurrency = Math.min(this.lowestConcurrency, Math.floor(this.allowed));
    }
    // Wake everyone: each re-checks the gate, which may have shrunk.
    for (const wake of this.waiting.splice(0)) wake();
  }

  private async takeToken(signal?: AbortSignal): Promise<void> {
    const rate = this.options.pagesPerSecond;
    for (;;) {
      const nowMs = this.now();
      this.tokens = Math.min(this.options.concurrency, this.tokens + ((nowMs - this.tokensAtMs) * rate) / 1000);
      this.tokensAtMs = nowMs;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.sleepFn(Math.ceil(((1 - this.tokens) * 1000) / rate), signal);
    }
  }
}

/** setTimeout as a promise that rejects with the signal's reason once it fires. */
function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

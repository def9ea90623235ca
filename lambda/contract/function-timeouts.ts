/**
 * How long each function may run: the CDK construct deploys these, and the local stack runs the
 * bundles with the same limits, so a batch that times out on AWS times out on a laptop too.
 */
export const FUNCTION_TIMEOUT_SECONDS = {
  /** API Gateway stops waiting for a Lambda authorizer after 10 s (HTTP API quotas). */
  authorizer: 10,
  /** A 256 KB message of a few thousand revocations, with room for the SDK's retries on throttling. */
  ingest: 30,
  /**
   * The scheduled snapshot writer: usually a delta read and one PutObject (seconds), but once an
   * hour, and at its own cold start without a usable snapshot, a Scan of the whole table.
   */
  snapshot: 300,
  /** A key set fetch (JWKS_TIMEOUT_MS, 5 s) and an SNS publish; senders retry what times out. */
  receiver: 10,
  /**
   * The change feed's writer, started every minute, steps until about 5 s of its time remain: 63 s
   * makes a run (about 58 s) end before the next is due. A run longer than the minute would make
   * the next one wait, throttled (one at a time), and Lambda retries a throttled start at growing
   * intervals (1 s, 2 s, 4 s ... up to 5 minutes): runs would start ever later, and the hand-overs
   * grow from seconds to tens of seconds without a feed head.
   */
  feed: 63,
} as const;

/**
 * Longest a request waits on one read of the revocation table (a delta sync, a consistent read):
 * half the authorizer's timeout, so the request still has time to answer. Shorter when the
 * staleness bound says so (docs/design.md, "Read deadlines").
 */
export const READ_DEADLINE_CAP_MS = (FUNCTION_TIMEOUT_SECONDS.authorizer * 1000) / 2;

/**
 * The longest deadline of a read that keeps being abandoned (each one abandoned in a row doubles
 * the next): a read that is slow, not stuck, finishes within it.
 */
export const READ_DEADLINE_MAX_MS = 120_000;

/**
 * Longest the authorizer bundle's module scope waits, at top level, for its cold-start work
 * (revocation load, key prefetch) before it lets Lambda finish the init phase. Lambda allows an
 * on-demand init 10 s and, when it runs longer, starts the init again inside the first invocation
 * (AWS Lambda Developer Guide, "Understanding the Lambda execution environment lifecycle", Init
 * phase); 8 s leaves room for the runtime's own start. A load not done by then goes on in the
 * background and the first request that needs it waits for it, as before.
 */
export const INIT_DEADLINE_MS = 8000;

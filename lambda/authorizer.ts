import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { createAuthorizerHandler } from './authorizer-handler.js';
import { loadAuthorizerConfig } from './config/index.js';
import { AUTHORIZER_METRICS, DEFAULT_METRICS_NAMESPACE, INIT_DEADLINE_MS, METRIC_DIMENSIONS, SERVICE_NAMES } from './contract/index.js';
import { DecisionMetrics } from './decision-metrics.js';
import { FeedStore } from './feed/index.js';
import { powertoolsLog } from './powertools-log.js';
import { createRevocationChecker, createRevocationClient, RevocationStore } from './revocation/index.js';
import { openSnapshotStore } from './snapshot/index.js';
import { KeyResolver, TokenVerifier } from './token/index.js';

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAMES.authorizer });
const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAMES.authorizer,
});
// Module scope runs once per cold start; a bad configuration fails the init loudly, by name, and
// counts as an infrastructure failure so the construct's alarm sees a broken deployment too.
const config = (() => {
  try {
    return loadAuthorizerConfig(process.env);
  } catch (error) {
    metrics.singleMetric().addMetric(AUTHORIZER_METRICS.infrastructureFailures, MetricUnit.Count, 1);
    throw error;
  }
})();
const log = powertoolsLog(logger);

// Timeouts that throw: a hung connection must not hold a request for the whole Lambda timeout;
// the staleness bound decides what happens while DynamoDB is unreachable, not the socket.
const dynamodb = createRevocationClient();
const revocations = createRevocationChecker({
  reader: new RevocationStore(dynamodb, config.revocation.tableName, {
    scanConcurrency: config.revocation.scanConcurrency,
    scanPagesPerSecond: config.revocation.scanPagesPerSecond,
  }),
  // Followed only while a feed writer keeps the change feed current (REVOCATION_FEED_MAX_LAG_MS).
  feedReader: new FeedStore(dynamodb, config.revocation.tableName),
  settings: config.revocation,
  rules: config.rules,
  log,
  // REVOCATION_SNAPSHOT_URI: the cold start reads the snapshot first, then the delta since it.
  snapshotSource: config.revocation.snapshot === undefined ? undefined : openSnapshotStore(config.revocation.snapshot.uri),
  onSnapshotFallback: (reason) => {
    const single = metrics.singleMetric();
    single.addDimension(METRIC_DIMENSIONS.reason, reason);
    single.addMetric(AUTHORIZER_METRICS.snapshotFallbacks, MetricUnit.Count, 1);
  },
});
const keyResolvers = config.issuers.map((issuer) => new KeyResolver(issuer, config.jwks, log));
const decisions = new DecisionMetrics(metrics, () => ({
  revocationEntries: revocations.view.entryCount,
  revocationSyncLagMs: Math.min(revocations.view.viewAgeMs(), Number.MAX_SAFE_INTEGER),
  failOpenAllows: revocations.view.counters.failOpenAllows,
}));

metrics.captureColdStartMetric();

/** What the cold start's preparation loaded, and how long it took. */
export interface ColdStartReport {
  readonly loadMs: number;
  readonly revocations: { readonly jti: number; readonly subject: number; readonly client: number };
}

/**
 * The cold start's preparation (revocation load, key prefetch), started here, during the init
 * phase, and awaited below at top level (up to INIT_DEADLINE_MS), so the first request finds keys
 * and revocations loaded. Requests do not wait for it as such (see authorizer-handler.ts): a load
 * that failed or is still running is retried or joined by the requests that need it.
 */
export const coldStart: Promise<ColdStartReport> = (async () => {
  const startedMs = Date.now();
  await Promise.all([revocations.load(), ...keyResolvers.map((keys) => keys.prefetch())]);
  const report = { loadMs: Date.now() - startedMs, revocations: revocations.view.entries };
  log.info('cold start ready', { ...report, issuers: config.issuers.map((issuer) => issuer.issuer) });
  return report;
})();

/** Lambda entry point for every API Gateway authorizer flavour; see lambda/authorizer-handler.ts. */
export const handler = createAuthorizerHandler({
  verifier: new TokenVerifier(config, keyResolvers),
  revocations,
  log,
  decisions,
  responseMode: config.responseMode,
  request: config.request,
  // The handler logs a failed preparation (and so handles coldStart's rejection).
  initialize: () => coldStart.then(() => undefined),
});

// Top-level await: Lambda's init phase (what provisioned concurrency runs ahead of traffic) lasts
// until the module has evaluated, so an instance comes out of it with its revocations loaded. Bounded
// under Lambda's 10 s init limit (INIT_DEADLINE_MS); a failure here is the handler's to log and
// retry (it holds coldStart's rejection), never a failed init.
const settledInTime = await settlesWithin(coldStart, INIT_DEADLINE_MS);
if (!settledInTime) {
  log.warn('cold start not ready at the init deadline; it goes on, and the first requests wait for it', {
    initDeadlineMs: INIT_DEADLINE_MS,
  });
}

/** Whether `work` settles (either way) within `ms`; leaves no timer behind. */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

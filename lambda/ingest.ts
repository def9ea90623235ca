import type { Context, SNSEvent } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { loadIngestConfig } from './config/index.js';
import { DEFAULT_METRICS_NAMESPACE, SERVICE_NAMES } from './contract/index.js';
import { createIngestHandler, type IngestSummary } from './ingest-handler.js';
import { IngestMetrics } from './ingest-metrics.js';
import { powertoolsLog } from './powertools-log.js';
import { createRevocationClient, RevocationStore } from './revocation/index.js';

// Module scope: runs once per cold start. A bad environment throws here, loudly.
const config = loadIngestConfig(process.env);
const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAMES.ingest;
const logger = new Logger({ serviceName });
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE, serviceName });
// Region, credentials and AWS_ENDPOINT_URL_DYNAMODB come from the standard SDK environment. The
// store retries throttling and timeouts itself, re-stamping each attempt, so the SDK makes one
// attempt per send: a write is then visible at most 1 s (connect) + 2 s (answer) after its
// stamp, well inside the authorizer's default REVOCATION_SYNC_OVERLAP_MS of 5 s.
const store = new RevocationStore(createRevocationClient({ requestTimeoutMs: 2000, maxAttempts: 1 }), config.tableName, {
  raiseChangeHead: config.raiseChangeHead,
});
const log = powertoolsLog(logger);
const ingest = createIngestHandler({ store, config, log, metrics: new IngestMetrics(metrics) });

/** SNS → revocation table. Throws on a refused message or a failed write so Lambda retries, then dead-letters. */
export async function handler(event: SNSEvent, context?: Context): Promise<IngestSummary> {
  if (context !== undefined) logger.addContext(context);
  return ingest(event);
}

import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { loadReceiverConfig, parseClients } from './config/index.js';
import { DEFAULT_METRICS_NAMESPACE, SERVICE_NAMES } from './contract/index.js';
import { powertoolsLog } from './powertools-log.js';
import { ReceiverMetrics } from './receiver-metrics.js';
import { createReceiverHandler, SnsRevocationPublisher, type ClientSecrets, type ReceiverHandler } from './receiver/index.js';
import { describeError } from './shared/index.js';
import { KeyResolver, SignedJwtVerifier, TokenVerifier, type IssuerConfig } from './token/index.js';

// Module scope: runs once per cold start. A bad environment throws here, loudly, by name.
const config = loadReceiverConfig(process.env);
const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAMES.receiver;
const logger = new Logger({ serviceName });
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE, serviceName });
const log = powertoolsLog(logger);

// One resolver per issuer configuration: a token issuer that also transmits SETs shares its keys.
const resolvers = new Map<IssuerConfig, KeyResolver>();
const resolverOf = (issuer: IssuerConfig): KeyResolver => {
  let keys = resolvers.get(issuer);
  if (keys === undefined) resolvers.set(issuer, (keys = new KeyResolver(issuer, config.jwks, log)));
  return keys;
};
const tokenKeys = config.receiver.tokenIssuers.map(resolverOf);
const setKeys = config.receiver.setIssuers.map(resolverOf);
for (const keys of resolvers.values()) void keys.prefetch();

// Region, credentials and AWS_ENDPOINT_URL_SNS come from the standard SDK environment; the region
// defaults to the topic's, so the local stack and tests need no AWS_REGION.
const region = process.env.AWS_REGION ?? config.topicArn.split(':')[3];
const publisher = new SnsRevocationPublisher(new SNSClient({ region, maxAttempts: 2 }), config.topicArn);

/**
 * RECEIVER_CLIENTS from Secrets Manager (RECEIVER_CLIENTS_SECRET_ARN), read once per cold start,
 * again on the next request if that failed: the hashes never appear in the function's configuration.
 */
let clients: Promise<ClientSecrets> | undefined;
function loadClients(): Promise<ClientSecrets> {
  const secretArn = config.clientsSecretArn;
  if (secretArn === undefined) return Promise.resolve(config.receiver.clients);
  clients ??= new SecretsManagerClient({ region: process.env.AWS_REGION ?? secretArn.split(':')[3] })
    .send(new GetSecretValueCommand({ SecretId: secretArn }))
    .then((secret) => parseClients('the RECEIVER_CLIENTS_SECRET_ARN secret', secret.SecretString ?? ''))
    .catch((error: unknown) => {
      clients = undefined;
      log.error('could not read the RFC 7009 clients from Secrets Manager', { secretArn, error: describeError(error) });
      throw error;
    });
  return clients;
}

let receiver: ReceiverHandler | undefined;
async function receiverHandler(): Promise<ReceiverHandler> {
  receiver ??= createReceiverHandler({
    settings: { ...config.receiver, clients: await loadClients() },
    logoutTokens: new SignedJwtVerifier(tokenKeys, config.rules.maxTokenBytes),
    securityEvents: new SignedJwtVerifier(setKeys, config.rules.maxTokenBytes),
    accessTokens: new TokenVerifier({ rules: config.rules, tokenCacheMaxEntries: 0 }, tokenKeys),
    publisher,
    log,
    metrics: new ReceiverMetrics(metrics),
  });
  return receiver;
}
void loadClients().catch(() => undefined);

/** HTTP API (payload 2.0) → OIDC Back-Channel Logout, RFC 8935 SET push, RFC 7009 → revocations on the topic; see lambda/receiver/receiver-handler.ts. */
export async function handler(event: APIGatewayProxyEventV2, context?: Context): Promise<APIGatewayProxyStructuredResultV2> {
  if (context !== undefined) logger.addContext(context);
  return (await receiverHandler())(event);
}

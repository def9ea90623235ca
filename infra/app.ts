/**
 * The example app: `npx cdk deploy` (see docs/deploy.md). Every setting comes from a context value
 * (`-c issuer=https://...`) or, failing that, an environment variable (`JWT_ISSUER=https://...`).
 */
import { Annotations, App, Duration } from 'aws-cdk-lib';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { splitList, type Algorithm } from '../lambda/contract/index.js';
import { RevocationAuthorizerExampleStack } from './example-stack.js';
import type { RevocationAuthorizerProps, TrustedIssuer } from './revocation-authorizer.js';

/** Used when no issuer is configured, so `cdk synth` works anywhere; it trusts no real token. */
const PLACEHOLDER_ISSUER: TrustedIssuer = {
  issuer: 'https://issuer.example.com/',
  jwksUri: 'https://issuer.example.com/.well-known/jwks.json',
  audience: 'example-api',
};

const app = new App();

/** A context value, else an environment variable, else undefined; blank counts as unset. */
function setting(contextKey: string, environmentVariable: string): string | undefined {
  const value: unknown = app.node.tryGetContext(contextKey) ?? process.env[environmentVariable];
  if (value === undefined || value === null) return undefined;
  const text = (typeof value === 'string' ? value : JSON.stringify(value)).trim();
  return text === '' ? undefined : text;
}

function wholeNumber(contextKey: string, environmentVariable: string): number | undefined {
  const value = setting(contextKey, environmentVariable);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new Error(`-c ${contextKey} (or ${environmentVariable}) must be a whole number, got "${value}"`);
  }
  return Number(value);
}

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : splitList(value);
}

function issuers(): { issuers: TrustedIssuer[]; configured: boolean } {
  const json = setting('issuers', 'JWT_ISSUERS');
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new Error('-c issuers (or JWT_ISSUERS) must be a JSON array of {"issuer","jwksUri","audience"[,"algorithms","clientClaim"]}');
    }
    if (!Array.isArray(parsed)) throw new Error('-c issuers (or JWT_ISSUERS) must be a JSON array');
    // The construct validates every field and names the one at fault.
    return { issuers: parsed as TrustedIssuer[], configured: true };
  }
  const issuer = setting('issuer', 'JWT_ISSUER');
  if (issuer === undefined) return { issuers: [PLACEHOLDER_ISSUER], configured: false };
  const jwksUri = setting('jwksUri', 'JWKS_URI');
  const audience = list(setting('audience', 'JWT_AUDIENCE'));
  if (jwksUri === undefined || audience === undefined) {
    throw new Error(
      `issuer ${issuer} also needs its key set URL and accepted audience: -c jwksUri=https://... -c audience=my-api (or JWKS_URI and JWT_AUDIENCE)`,
    );
  }
  return { issuers: [{ issuer, jwksUri, audience }], configured: true };
}

function milliseconds(contextKey: string, environmentVariable: string): Duration | undefined {
  const value = wholeNumber(contextKey, environmentVariable);
  return value === undefined ? undefined : Duration.millis(value);
}

function failMode(): RevocationAuthorizerProps['failMode'] {
  const value = setting('failMode', 'REVOCATION_FAIL_MODE');
  if (value === undefined || value === 'closed' || value === 'open') return value;
  throw new Error(`-c failMode (or REVOCATION_FAIL_MODE) must be closed or open, got "${value}"`);
}

function consistency(): RevocationAuthorizerProps['consistency'] {
  const value = setting('consistency', 'REVOCATION_CONSISTENCY');
  if (value === undefined || value === 'eventual' || value === 'strong') return value;
  throw new Error(`-c consistency (or REVOCATION_CONSISTENCY) must be eventual or strong, got "${value}"`);
}

const { issuers: trustedIssuers, configured } = issuers();
const cacheTtlSeconds = wholeNumber('resultsCacheTtlSeconds', 'AUTHORIZER_CACHE_TTL_SECONDS');
const alarmEmail = setting('alarmEmail', 'ALARM_EMAIL');

const stack = new RevocationAuthorizerExampleStack(app, setting('stackName', 'STACK_NAME') ?? 'RevocationAuthorizerExample', {
  description: 'Revocation-aware JWT authorizer for API Gateway, with an example HTTP API',
  // Deploys to the account and region of the CLI's credentials; without any, synth stays environment-agnostic.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  authorizer: {
    issuers: trustedIssuers,
    algorithms: list(setting('algorithms', 'JWT_ALGORITHMS')) as Algorithm[] | undefined,
    clientClaim: setting('clientClaim', 'JWT_CLIENT_CLAIM'),
    syncInterval: milliseconds('syncIntervalMs', 'REVOCATION_SYNC_INTERVAL_MS'),
    maxStaleness: milliseconds('maxStalenessMs', 'REVOCATION_MAX_STALENESS_MS'),
    failMode: failMode(),
    consistency: consistency(),
    resultsCacheTtl: cacheTtlSeconds === undefined ? undefined : Duration.seconds(cacheTtlSeconds),
    reservedConcurrentExecutions: wholeNumber('reservedConcurrency', 'AUTHORIZER_RESERVED_CONCURRENCY'),
    provisionedConcurrentExecutions: wholeNumber('provisionedConcurrency', 'AUTHORIZER_PROVISIONED_CONCURRENCY'),
    metricsNamespace: setting('metricsNamespace', 'METRICS_NAMESPACE'),
    bundleDirectory: setting('bundleDirectory', 'BUNDLE_DIRECTORY'),
  },
});

if (alarmEmail !== undefined) {
  const alarmTopic = new sns.Topic(stack, 'AlarmTopic', { displayName: 'Revocation authorizer alarms', enforceSSL: true });
  alarmTopic.addSubscription(new subscriptions.EmailSubscription(alarmEmail));
  const action = new cloudwatchActions.SnsAction(alarmTopic);
  for (const alarm of stack.authorizer.alarms) alarm.addAlarmAction(action);
}

if (!configured) {
  Annotations.of(stack).addWarningV2(
    'revocation-authorizer-example:no-issuer',
    `No issuer configured: the authorizer trusts only the placeholder ${PLACEHOLDER_ISSUER.issuer} and refuses every real token. Pass -c issuer=https://... -c jwksUri=https://... -c audience=... (or JWT_ISSUER, JWKS_URI, JWT_AUDIENCE, or JWT_ISSUERS as JSON).`,
  );
}

app.synth();

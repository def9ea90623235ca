import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { RevocationReceiverOptions } from './revocation-receiver.js';
import {
  COGNITO_PRESET,
  DEFAULT_METRICS_NAMESPACE,
  DEFAULT_TOKEN_SOURCES,
  DEFAULTS,
  parseTokenSources,
  type Algorithm,
  type ResponseMode,
  type TokenSource,
} from '../lambda/contract/index.js';

/** One token issuer the authorizer trusts, and what its tokens must satisfy. */
export interface TrustedIssuer {
  /** Compared to the token's `iss` claim exactly, byte for byte. Must be an https URL. */
  readonly issuer: string;
  /**
   * The issuer's JSON Web Key Set URL (https), e.g. `https://issuer.example.com/.well-known/jwks.json`.
   * @default - found by OIDC discovery from `<issuer>/.well-known/openid-configuration` at each cold start
   */
  readonly jwksUri?: string;
  /** Accepted `aud` values: a token passes when any of its audiences is listed. */
  readonly audience: string | readonly string[];
  /**
   * Signature algorithms accepted from this issuer.
   * @default - the construct's `algorithms`
   */
  readonly algorithms?: readonly Algorithm[];
  /**
   * The claim naming the OAuth client (for client revocation and the authorizer context).
   * @default - the construct's `clientClaim`
   */
  readonly clientClaim?: string;
  /**
   * The claim subject cut-offs match.
   * @default - the construct's `subjectClaim`
   */
  readonly subjectClaim?: string;
  /**
   * The claim session revocations match.
   * @default - the construct's `sessionClaim`
   */
  readonly sessionClaim?: string;
}

/** An Amazon Cognito user pool whose access tokens are accepted (JWT_PRESET=cognito). */
export interface CognitoUserPoolTrust {
  /** The pool: its issuer is `https://cognito-idp.<region>.amazonaws.com/<pool id>`, its keys the pool's well-known key set. */
  readonly userPool: cognito.IUserPool;
  /**
   * The app clients whose access tokens pass: each token's `client_id` must be one of theirs
   * (Cognito access tokens carry no `aud`). ID tokens are refused.
   */
  readonly clients: readonly cognito.IUserPoolClient[];
}

/** What the authorizer does when its revocation view cannot be loaded or is too old. */
export type RevocationFailMode = 'closed' | 'open';

/** How the authorizer reads revocations. */
export type RevocationConsistency = 'eventual' | 'strong';

/** Response type of the HTTP API authorizers the construct creates (API Gateway's `enableSimpleResponses`). */
export type HttpResponseType = ResponseMode;

/** Lambda settings passed through to both functions, for teams whose platform requires them. */
export interface RevocationFunctionOptions {
  /**
   * AWS X-Ray tracing. `Tracing.ACTIVE` also grants the functions `xray:PutTraceSegments`.
   * @default - Lambda's default (no active tracing)
   */
  readonly tracing?: lambda.Tracing;
  /**
   * VPC to attach both functions to. They then need a route to DynamoDB (a gateway endpoint) and
   * the authorizer one to each issuer's JWKS URL (NAT or a proxy).
   * @default - not in a VPC
   */
  readonly vpc?: lambda.FunctionOptions['vpc'];
  /** @default - the VPC's private subnets */
  readonly vpcSubnets?: lambda.FunctionOptions['vpcSubnets'];
  /** @default - a security group per function, all outbound allowed */
  readonly securityGroups?: lambda.FunctionOptions['securityGroups'];
  /**
   * Layers, e.g. an observability extension. The bundles need none.
   * @default - none
   */
  readonly layers?: lambda.FunctionOptions['layers'];
}

/** Props of a RevocationAuthorizer. */
export interface RevocationAuthorizerProps {
  /**
   * The issuers whose tokens are accepted; at least one, unless `cognito` is given.
   * @default - none: `cognito` must be given
   */
  readonly issuers?: readonly TrustedIssuer[];

  /**
   * Trust one Amazon Cognito user pool instead of `issuers` (JWT_PRESET=cognito): access tokens of
   * the listed app clients pass, ID tokens are refused, `cognito:groups` and `username` reach the
   * context. Cannot be combined with `issuers`.
   * @default - no Cognito user pool
   */
  readonly cognito?: CognitoUserPoolTrust;

  /**
   * Scopes per route (JWT_ROUTE_SCOPES), like API Gateway's `authorizationScopes`: a token must
   * hold at least one of its route's scopes (`scope` or `scp`), or it is refused with
   * `insufficient_scope` (403). Keys are route keys: `GET /orders/{id}`, `ANY /admin/{proxy+}`,
   * `$default`; REST resources the same way. Routes not listed need no scope. `requireScopes`
   * adds to this. With any route listed, every answer names its route, and a non-zero
   * `resultsCacheTtl` puts the route in the authorizers' identity sources (see docs/deploy.md).
   * @default - no route needs a scope
   */
  readonly routeScopes?: Readonly<Record<string, readonly string[]>>;

  /**
   * The claims the authorizer context carries (JWT_CONTEXT_CLAIMS), each under its own name:
   * strings, numbers and booleans as they are, arrays and objects as JSON text.
   * @default - `iss`, `jti`, `sub`, `client_id`, `scope` (and the subject claim when not `sub`)
   */
  readonly contextClaims?: readonly string[];

  /**
   * Where the token is looked for, in order (JWT_TOKEN_SOURCES): `header:authorization` (Bearer),
   * `header:NAME`, `query:NAME`, `cookie:NAME`. The authorizers' identity sources follow: one header
   * or query source is the identity source; several sources, or a cookie on an HTTP API, leave the
   * authorizer without one, which API Gateway allows only with `resultsCacheTtl` 0.
   * @default ['header:authorization']
   */
  readonly tokenSources?: readonly string[];

  /**
   * Signature algorithms accepted from every issuer that names none of its own.
   * @default - RS256, ES256, PS256 and EdDSA (the functions' built-in default)
   */
  readonly algorithms?: readonly Algorithm[];

  /**
   * The claim naming the OAuth client, e.g. `azp` (Entra ID, Keycloak, WSO2) or `cid` (Okta).
   * @default 'client_id'
   */
  readonly clientClaim?: string;

  /**
   * The claim subject cut-offs match (`JWT_SUBJECT_CLAIM`): `entity_id` for WSO2 Identity Server,
   * whose user and application revocations name that claim's value. The context still forwards
   * `sub` as `sub`.
   * @default 'sub'
   */
  readonly subjectClaim?: string;

  /**
   * The claim session revocations match (`JWT_SESSION_CLAIM`): a session revocation refuses every
   * token whose claim holds the revoked id. `sid` is the OpenID Connect session id; Cognito's access
   * tokens carry `origin_jti`, shared by every token minted from one refresh token. A token without
   * the claim cannot be revoked by session.
   * @default 'origin_jti' with `cognito`, otherwise 'sid'
   */
  readonly sessionClaim?: string;

  /**
   * Clock skew allowed on `exp`, `nbf` and `iat`; also added to every revocation's TTL.
   * @default Duration.seconds(60)
   */
  readonly clockTolerance?: Duration;

  /**
   * Longest `exp - iat` accepted. A subject or client cut-off is kept this long (plus the clock
   * tolerance), so it must cover the longest-lived token the issuers mint.
   * @default Duration.hours(24)
   */
  readonly maxTokenLifetime?: Duration;

  /**
   * Minimum time between two delta reads of the table by a warm authorizer instance: the longest a
   * revocation can go unseen by an instance whose reads succeed (see `worstCaseRevocationDelay`).
   * @default Duration.seconds(1)
   */
  readonly syncInterval?: Duration;

  /**
   * Age of an instance's revocation view beyond which it stops trusting it: decisions fail
   * (`failMode: 'closed'`) or allow without a revocation check (`'open'`). Must exceed `syncInterval`.
   * @default Duration.seconds(30)
   */
  readonly maxStaleness?: Duration;

  /**
   * `closed`: when the revocation view is unavailable or stale the authorizer throws, so API
   * Gateway answers 500 and caches nothing. `open`: it allows verified tokens without the check,
   * counts them in the `FailOpenAllows` metric, and an alarm fires.
   * @default 'closed'
   */
  readonly failMode?: RevocationFailMode;

  /**
   * `strong` adds a consistent DynamoDB read of the token's keys to every request (higher latency
   * and cost, no propagation delay); it also grants GetItem/BatchGetItem to the authorizer.
   * @default 'eventual'
   */
  readonly consistency?: RevocationConsistency;

  /**
   * How long API Gateway caches an authorizer decision per token. Every cached decision can
   * outlive a revocation, so the worst-case revocation delay becomes this TTL plus `syncInterval`.
   * Between 0 and 3600 seconds.
   * @default Duration.seconds(0) - no caching: every request reaches the authorizer
   */
  readonly resultsCacheTtl?: Duration;

  /**
   * What every HTTP API authorizer the construct creates expects back: `simple` (`isAuthorized`,
   * payload 2.0) or `iam` (an IAM policy; CDK creates those with payload 1.0). The function is told
   * the same (AUTHORIZER_RESPONSE_MODE) and answers payload 2.0 in exactly that shape, so one
   * construct serves one kind of HTTP API authorizer; REST APIs are unaffected.
   * @default 'simple'
   */
  readonly httpResponseType?: HttpResponseType;

  /**
   * Reserved concurrency of the authorizer: guarantees it capacity and caps it. Requests beyond
   * the cap are throttled and API Gateway answers 500 for them. Recommended in production (see
   * docs/deploy.md); Lambda refuses a reservation that leaves the account fewer than 100
   * unreserved executions.
   * @default - none: the authorizer shares the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;

  /**
   * Provisioned concurrency of the authorizer: instances kept initialized (revocations loaded),
   * so no request pays a cold start up to this concurrency. Publishes a version and a `live`
   * alias, which API Gateway then invokes. Billed while provisioned.
   * @default 0 - none
   */
  readonly provisionedConcurrentExecutions?: number;

  /**
   * Reserved concurrency of the ingest function: a cap, so a bulk revocation (thousands of
   * messages) queues in Lambda's asynchronous queue (kept up to 6 hours, `AsyncEventAge` alarmed)
   * instead of taking the account's concurrency or saturating the table's index.
   * @default 5
   */
  readonly ingestReservedConcurrentExecutions?: number;

  /**
   * Keep a snapshot of the live revocations in S3 (a bucket, a scheduled snapshot function) so
   * authorizer cold starts read one object and the changes since, instead of scanning the table:
   * fast at millions of revocations, and a deploy's herd of cold starts does not storm the table.
   * A missing, stale or corrupt snapshot is never used (the cold start scans, counted in
   * `SnapshotFallbacks`). `false`: no bucket, no function, every cold start scans.
   * @default true
   */
  readonly snapshots?: boolean;

  /**
   * How often the snapshot function writes the snapshot (an EventBridge schedule): whole minutes,
   * 1 to 60. A cold start also reads the changes since the snapshot, so this bounds that delta,
   * not how current decisions are.
   * @default Duration.minutes(1)
   */
  readonly snapshotInterval?: Duration;

  /**
   * Oldest snapshot an authorizer cold start uses (REVOCATION_SNAPSHOT_MAX_AGE_MS); an older one is
   * refused and the cold start scans. At least twice `snapshotInterval`.
   * @default Duration.minutes(5)
   */
  readonly snapshotMaxAge?: Duration;

  /**
   * The change feed, for large fleets (infra/revocation-feed.ts; docs/deploy.md, "The change feed"):
   * a writer function (`feed.mjs` of the bundle directory) reads the change index each second and
   * publishes new revocations as pages that every authorizer instance reads, instead of each
   * instance querying the index; the ingest then raises the change head only while no feed is live
   * (one head read per batch). It adds REVOCATION_FEED_MAX_LAG_MS (5 s) to the bound of
   * `worstCaseRevocationDelay` (typically a revocation waits one 1 s step more). Off by default: its
   * heartbeat writes all 32 head items every second (about 2.8 million write units a day, ≈ $52 a
   * month per region holding the table, plus ≈ $17 of an always-running function): worth it for a
   * large fleet, which without it cannot exceed about 545 instances at 100 revocations/s
   * (docs/scale.md, "Delta sync and the fleet"). With `replicaRegions` it runs in this region only.
   * @default false
   */
  readonly changeFeed?: boolean;

  /**
   * Memory of the authorizer function, in MiB. Lambda allots CPU in proportion to memory, and a
   * cold start is CPU-bound (module parse, key import, loading every live revocation).
   * @default 1024
   */
  readonly authorizerMemorySize?: number;

  /**
   * Further authorizer environment variables, for the tuning variables without a prop of their own
   * (JWT_REQUIRED_CLAIMS, JWT_TYP, JWT_TYP_REQUIRED, JWT_MAX_TOKEN_BYTES, JWT_MAX_TOKEN_AGE_SECONDS,
   * JWKS_TIMEOUT_MS, JWKS_COOLDOWN_MS, JWKS_CACHE_MAX_AGE_MS, JWKS_MAX_BYTES, REVOCATION_SCAN_SEGMENTS,
   * REVOCATION_SYNC_OVERLAP_MS, TOKEN_CACHE_MAX_ENTRIES, NODE_OPTIONS). Variables the construct
   * sets from its props are refused here.
   * @default - none
   */
  readonly authorizerEnvironment?: Readonly<Record<string, string>>;

  /**
   * Further ingest environment variables (INGEST_WRITE_CONCURRENCY, NODE_OPTIONS, and
   * INGEST_RAISE_CHANGE_HEAD, which `changeFeed` sets to `auto`: raised only while no feed is
   * live). Variables the construct sets from its props are refused here.
   * @default - none
   */
  readonly ingestEnvironment?: Readonly<Record<string, string>>;

  /**
   * Tracing, VPC and layers for both functions.
   * @default - none of them
   */
  readonly functionOptions?: RevocationFunctionOptions;

  /**
   * Level of the functions' structured logs (POWERTOOLS_LOG_LEVEL).
   * @default 'INFO'
   */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

  /**
   * Retention of both functions' log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * CloudWatch namespace of the functions' EMF metrics (POWERTOOLS_METRICS_NAMESPACE). Give each
   * deployment in one account and region its own, or their dashboards and alarms mix.
   * @default 'RevocationAuthorizer'
   */
  readonly metricsNamespace?: string;

  /**
   * Action for every alarm, e.g. `new cw_actions.SnsAction(opsTopic)`.
   * @default - the alarms change state without notifying anyone
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;

  /**
   * Name of the CloudWatch dashboard.
   * @default - a name generated by CloudFormation
   */
  readonly dashboardName?: string;

  /**
   * A revocation table to use instead of creating one: a point-in-time restore, or a table a
   * previous stack retained. It must have the schema of lambda/contract/table-schema.ts (key, TTL
   * attribute and `changes` index); `tableName`, `tableRemovalPolicy` and
   * `tableDeletionProtection` do not apply to it.
   * @default - a new table
   */
  readonly existingTable?: dynamodb.ITable;

  /**
   * Regions, besides this stack's, that hold a replica of the revocation table: the table becomes a
   * DynamoDB global table (TableV2, AWS::DynamoDB::GlobalTable) replicated to each. The topic, the
   * ingest and the receiver stay in this region; deploy a `RevocationAuthorizerReplica` in a stack
   * of each replica region for an authorizer reading its local replica. Needs a stack with an
   * explicit region. Not with `existingTable`, and not for a deployed stack's table:
   * CloudFormation cannot turn an AWS::DynamoDB::Table into a global table (docs/deploy.md,
   * "Multi-region", has the migration).
   * @default - none: a single-region table (AWS::DynamoDB::Table)
   */
  readonly replicaRegions?: readonly string[];

  /**
   * Physical name of the revocation table. Changing it later makes CloudFormation replace the
   * table with an empty one (the old one is retained, not used): see the runbook in docs/deploy.md.
   * @default - a name generated by CloudFormation
   */
  readonly tableName?: string;

  /**
   * What happens to the revocation table when it leaves the stack. Losing it un-revokes every
   * token, hence retained unless you opt out.
   * @default RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;

  /**
   * DynamoDB deletion protection: the table cannot be deleted, by CloudFormation or by hand, until
   * it is turned off.
   * @default - true, unless `tableRemovalPolicy` is DESTROY
   */
  readonly tableDeletionProtection?: boolean;

  /**
   * A topic to subscribe the ingest function to instead of creating one. Its owner must add the
   * publish restrictions to its policy (the construct cannot change an imported topic's policy,
   * and warns); `grantPublish` still grants the publisher's side.
   * @default - a new topic
   */
  readonly existingTopic?: sns.ITopic;

  /**
   * Physical name of the revocation topic.
   * @default - a name generated by CloudFormation
   */
  readonly topicName?: string;

  /**
   * KMS key for the topic and both dead-letter queues. A key you bring must let
   * `sns.amazonaws.com` use kms:GenerateDataKey* and kms:Decrypt (the subscription's DLQ), and
   * every publisher use the same two actions.
   * @default - a new customer-managed key with rotation enabled
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Directory holding `authorizer.mjs`, `ingest.mjs`, `snapshot.mjs` (and `feed.mjs`, with
   * `changeFeed`) as written by `npm run build`.
   * @default - `dist/` at the root of this repository
   */
  readonly bundleDirectory?: string;

  /**
   * Package each bundle's source map (`authorizer.mjs.map`, `ingest.mjs.map`, about 1 MB each)
   * beside it in the function's zip. Node reads it only when the function's NODE_OPTIONS holds
   * `--enable-source-maps` (set it through `authorizerEnvironment` / `ingestEnvironment`), and
   * then stack traces name the TypeScript sources; otherwise the map is dead weight in every zip.
   * @default false - the zips hold only the bundles
   */
  readonly includeSourceMaps?: boolean;
  /**
   * The revocation receiver: a function behind its own HTTP API accepting OIDC Back-Channel Logout
   * tokens, SETs pushed per RFC 8935 (SSF: CAEP, RISC) and RFC 7009 revocation requests, publishing
   * them as revocations to the topic (docs/receiver.md).
   * @default - no receiver
   */
  readonly receiver?: RevocationReceiverOptions;
}

/** Options of an additional HTTP API authorizer from `createHttpAuthorizer`. */
export interface HttpAuthorizerOptions {
  /**
   * Name of the authorizer in API Gateway.
   * @default - the id
   */
  readonly authorizerName?: string;
  /**
   * Decision cache TTL, 0 to 3600 seconds.
   * @default - the construct's `resultsCacheTtl`
   */
  readonly resultsCacheTtl?: Duration;
  /**
   * A construct of the stack whose routes use this authorizer, when that is not the construct's
   * stack: the function reference and API Gateway's invoke permission are then made there, so
   * only that stack depends on this one.
   * @default - the construct's stack
   */
  readonly scope?: Construct;
}

/** Options of a REST API authorizer from the construct's factories. */
export interface RestAuthorizerOptions {
  /**
   * Where the authorizer construct is created. Pass a construct of the RestApi's stack when the
   * API lives in another stack than this construct.
   * @default - this construct
   */
  readonly scope?: Construct;
  /**
   * Name of the authorizer in API Gateway.
   * @default - a name generated from the construct path
   */
  readonly authorizerName?: string;
  /**
   * Decision cache TTL, 0 to 3600 seconds.
   * @default - the construct's `resultsCacheTtl`
   */
  readonly resultsCacheTtl?: Duration;
}

/** Options of a REST TOKEN authorizer. */
export interface RestTokenAuthorizerOptions extends RestAuthorizerOptions {
  /**
   * Regular expression the Authorization header must match before API Gateway invokes the
   * authorizer; a mismatch is answered 401 without an invocation.
   * @default - none: every request with the header is passed to the authorizer
   */
  readonly validationRegex?: string;
}

/** The construct's props with every default applied. */
export interface ResolvedSettings {
  readonly issuers: readonly TrustedIssuer[];
  readonly cognito: CognitoUserPoolTrust | undefined;
  readonly routeScopes: Readonly<Record<string, readonly string[]>>;
  readonly contextClaims: readonly string[] | undefined;
  /** Parsed; the props' own list is checked by validateProps. */
  readonly tokenSources: readonly TokenSource[];
  readonly algorithms: readonly Algorithm[] | undefined;
  readonly clientClaim: string;
  readonly subjectClaim: string;
  readonly sessionClaim: string;
  readonly clockTolerance: Duration;
  readonly maxTokenLifetime: Duration;
  readonly syncInterval: Duration;
  readonly maxStaleness: Duration;
  readonly failMode: RevocationFailMode;
  readonly consistency: RevocationConsistency;
  readonly resultsCacheTtl: Duration;
  readonly httpResponseType: HttpResponseType;
  readonly reservedConcurrentExecutions: number | undefined;
  readonly provisionedConcurrentExecutions: number;
  readonly ingestReservedConcurrentExecutions: number;
  readonly authorizerMemorySize: number;
  readonly snapshots: boolean;
  readonly snapshotInterval: Duration;
  readonly snapshotMaxAge: Duration;
  readonly changeFeed: boolean;
  readonly authorizerEnvironment: Readonly<Record<string, string>>;
  readonly ingestEnvironment: Readonly<Record<string, string>>;
  readonly functionOptions: RevocationFunctionOptions;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly logRetention: logs.RetentionDays;
  readonly metricsNamespace: string;
  readonly tableRemovalPolicy: RemovalPolicy;
  readonly tableDeletionProtection: boolean;
}

/** Every default of the construct's props, in one place. */
export function resolveProps(props: RevocationAuthorizerProps): ResolvedSettings {
  const tableRemovalPolicy = props.tableRemovalPolicy ?? RemovalPolicy.RETAIN;
  return {
    // JSON from context may lack the array: validation then names the prop instead of crashing.
    issuers: props.issuers ?? [],
    cognito: props.cognito,
    routeScopes: props.routeScopes ?? {},
    contextClaims: props.contextClaims,
    tokenSources: parseTokenSources(Array.isArray(props.tokenSources) ? props.tokenSources.join(',') : DEFAULT_TOKEN_SOURCES).sources,
    algorithms: props.algorithms,
    // The functions' own defaults (lambda/contract/defaults.ts), so an unset prop means what an unset variable means.
    clientClaim: props.clientClaim ?? DEFAULTS.clientClaim,
    subjectClaim: props.subjectClaim ?? DEFAULTS.subjectClaim,
    sessionClaim: props.sessionClaim ?? (props.cognito === undefined ? DEFAULTS.sessionClaim : COGNITO_PRESET.sessionClaim),
    clockTolerance: props.clockTolerance ?? Duration.seconds(DEFAULTS.clockToleranceSeconds),
    maxTokenLifetime: props.maxTokenLifetime ?? Duration.seconds(DEFAULTS.maxTokenLifetimeSeconds),
    syncInterval: props.syncInterval ?? Duration.millis(DEFAULTS.syncIntervalMs),
    maxStaleness: props.maxStaleness ?? Duration.millis(DEFAULTS.maxStalenessMs),
    failMode: props.failMode ?? DEFAULTS.failMode,
    consistency: props.consistency ?? DEFAULTS.consistency,
    resultsCacheTtl: props.resultsCacheTtl ?? Duration.seconds(0),
    httpResponseType: props.httpResponseType ?? 'simple',
    reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    provisionedConcurrentExecutions: props.provisionedConcurrentExecutions ?? 0,
    ingestReservedConcurrentExecutions: props.ingestReservedConcurrentExecutions ?? 5,
    authorizerMemorySize: props.authorizerMemorySize ?? 1024,
    snapshots: props.snapshots ?? true,
    snapshotInterval: props.snapshotInterval ?? Duration.minutes(DEFAULTS.snapshotIntervalMinutes),
    snapshotMaxAge: props.snapshotMaxAge ?? Duration.millis(DEFAULTS.snapshotMaxAgeMs),
    changeFeed: props.changeFeed ?? false,
    authorizerEnvironment: withReplicatedOverlap(props),
    ingestEnvironment: props.ingestEnvironment ?? {},
    functionOptions: props.functionOptions ?? {},
    logLevel: props.logLevel ?? 'INFO',
    logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    metricsNamespace: props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE,
    tableRemovalPolicy,
    // Protection would make a DESTROY policy fail the stack deletion.
    tableDeletionProtection: props.tableDeletionProtection ?? tableRemovalPolicy !== RemovalPolicy.DESTROY,
  };
}

/**
 * REVOCATION_SYNC_OVERLAP_MS for a table with `replicaRegions`, unless `authorizerEnvironment` sets
 * it: a delta read in a replica region finds a revocation only if it reaches that region's change
 * index within the overlap of its stamp, and the default 5 s leaves replication about 1 s after the
 * ingest's write and the index's own lag (docs/deploy.md, "Worst-case cross-region propagation";
 * the ReplicationLatency alarm is set from the same figure). 15 s leaves it 11 s.
 */
export const REPLICATED_SYNC_OVERLAP_MS = 15_000;

function withReplicatedOverlap(props: RevocationAuthorizerProps): Readonly<Record<string, string>> {
  const environment = props.authorizerEnvironment ?? {};
  const replicated = Array.isArray(props.replicaRegions) && props.replicaRegions.length > 0;
  return replicated && environment.REVOCATION_SYNC_OVERLAP_MS === undefined
    ? { ...environment, REVOCATION_SYNC_OVERLAP_MS: String(REPLICATED_SYNC_OVERLAP_MS) }
    : environment;
}

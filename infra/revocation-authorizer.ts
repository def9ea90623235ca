import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SnsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  DEFAULT_METRICS_NAMESPACE,
  DEFAULTS,
  FUNCTION_TIMEOUT_SECONDS,
  REVOCATION_TABLE_SCHEMA,
  type Algorithm,
} from '../lambda/contract/index.js';
import { authorizerEnvironment, ingestEnvironment } from './function-environment.js';
import { RevocationMonitoring } from './monitoring.js';
import { RevocationAuthorizerPropsError } from './props-error.js';
import { validateCacheTtl, validateProps, type ResolvedSettings } from './props-validation.js';

/** One token issuer the authorizer trusts, and what its tokens must satisfy. */
export interface TrustedIssuer {
  /** Compared to the token's `iss` claim exactly, byte for byte. Must be an https URL. */
  readonly issuer: string;
  /** The issuer's JSON Web Key Set URL (https), e.g. `https://issuer.example.com/.well-known/jwks.json`. */
  readonly jwksUri: string;
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
}

/** What the authorizer does when its revocation view cannot be loaded or is too old. */
export type RevocationFailMode = 'closed' | 'open';

/** How the authorizer reads revocations. */
export type RevocationConsistency = 'eventual' | 'strong';

/** Props of {@link RevocationAuthorizer}. */
export interface RevocationAuthorizerProps {
  /** The issuers whose tokens are accepted; at least one. */
  readonly issuers: readonly TrustedIssuer[];

  /**
   * Signature algorithms accepted from every issuer that names none of its own.
   * @default - RS256, ES256, PS256 and EdDSA (the functions' built-in default)
   */
  readonly algorithms?: readonly Algorithm[];

  /**
   * The claim naming the OAuth client, e.g. `azp` (Entra ID, Keycloak) or `cid` (Okta).
   * @default 'client_id'
   */
  readonly clientClaim?: string;

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
   * Reserved concurrency of the authorizer: guarantees it capacity and caps it. Requests beyond
   * the cap are throttled and API Gateway answers 500 for them.
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
   * Memory of the authorizer function, in MiB. Lambda allots CPU in proportion to memory, and a
   * cold start is CPU-bound (module parse, key import, loading every live revocation).
   * @default 1024
   */
  readonly authorizerMemorySize?: number;

  /**
   * Further authorizer environment variables, for the tuning variables without a prop of their own
   * (JWT_REQUIRED_CLAIMS, JWT_TYP, JWT_TYP_REQUIRED, JWT_MAX_TOKEN_BYTES, JWT_MAX_TOKEN_AGE_SECONDS,
   * JWKS_TIMEOUT_MS, JWKS_COOLDOWN_MS, JWKS_CACHE_MAX_AGE_MS, REVOCATION_SCAN_SEGMENTS,
   * REVOCATION_SYNC_OVERLAP_MS, TOKEN_CACHE_MAX_ENTRIES, NODE_OPTIONS). Variables the construct
   * sets from its props are refused here.
   * @default - none
   */
  readonly authorizerEnvironment?: Readonly<Record<string, string>>;

  /**
   * Further ingest environment variables (INGEST_WRITE_CONCURRENCY, NODE_OPTIONS). Variables the
   * construct sets from its props are refused here.
   * @default - none
   */
  readonly ingestEnvironment?: Readonly<Record<string, string>>;

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
   * Physical name of the revocation table.
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
   * Directory holding `authorizer.mjs` and `ingest.mjs` as written by `npm run build`.
   * @default - `dist/` at the root of this repository
   */
  readonly bundleDirectory?: string;
}

/** Options of an additional HTTP API authorizer from {@link RevocationAuthorizer.createHttpAuthorizer}. */
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

/** Repository root `dist/`, where `npm run build` writes the bundles (scripts/build.mjs). */
const DEFAULT_BUNDLE_DIRECTORY = fileURLToPath(new URL('../dist/', import.meta.url));

/**
 * A revocation-aware JWT authorizer for API Gateway: the revocation table, the topic revocations
 * are published to, the ingest function that applies them, the authorizer function, and their
 * dead-letter queues, alarms and dashboard.
 *
 * Attach `httpAuthorizer` to HTTP API routes; use `createRestTokenAuthorizer` or
 * `createRestRequestAuthorizer` for REST APIs; call `grantPublish` for whatever publishes
 * revocations.
 */
export class RevocationAuthorizer extends Construct {
  /** The revocation table (schema: lambda/contract/table-schema.ts). */
  readonly table: dynamodb.Table;
  /** The topic revocation messages are published to. */
  readonly topic: sns.Topic;
  /** The key encrypting the topic and the dead-letter queues. */
  readonly encryptionKey: kms.IKey;
  /** The authorizer function. */
  readonly authorizerFunction: lambda.Function;
  /** What API Gateway invokes: the `live` alias with provisioned concurrency, else the function. */
  readonly authorizerHandler: lambda.IFunction;
  /** The function that applies revocation messages to the table. */
  readonly ingestFunction: lambda.Function;
  /** Messages SNS could not deliver to the ingest function. */
  readonly deliveryDeadLetterQueue: sqs.Queue;
  /** Invocations of the ingest function that failed after every retry (Lambda on-failure destination). */
  readonly ingestFailureQueue: sqs.Queue;
  /** Authorizer for HTTP API routes: simple responses, payload 2.0, token from the Authorization header. Binds to one HttpApi. */
  readonly httpAuthorizer: HttpLambdaAuthorizer;
  /** Decision cache TTL used unless an authorizer factory is given another. */
  readonly resultsCacheTtl: Duration;
  /**
   * How long an allowed token can keep passing after its revocation reached the table, while the
   * authorizer's reads succeed: `resultsCacheTtl + syncInterval` (plus the sub-second propagation
   * of the table's index). While reads fail it grows to `resultsCacheTtl + maxStaleness`.
   */
  readonly worstCaseRevocationDelay: Duration;
  /** Every alarm the construct created. */
  readonly alarms: readonly cloudwatch.Alarm[];
  /** The operations dashboard. */
  readonly dashboard: cloudwatch.Dashboard;

  private readonly consistency: RevocationConsistency;
  /** Accounts whose principals may publish; the topic policy denies every other account. */
  private readonly publisherAccounts = new Set<string>();

  constructor(scope: Construct, id: string, props: RevocationAuthorizerProps) {
    super(scope, id);

    // Every default in one place.
    const bundleDirectory = resolve(props.bundleDirectory ?? DEFAULT_BUNDLE_DIRECTORY);
    const settings: ResolvedSettings = {
      issuers: props.issuers,
      algorithms: props.algorithms,
      // The functions' own defaults (lambda/contract/defaults.ts), so an unset prop means what an unset variable means.
      clientClaim: props.clientClaim ?? DEFAULTS.clientClaim,
      clockTolerance: props.clockTolerance ?? Duration.seconds(DEFAULTS.clockToleranceSeconds),
      maxTokenLifetime: props.maxTokenLifetime ?? Duration.seconds(DEFAULTS.maxTokenLifetimeSeconds),
      syncInterval: props.syncInterval ?? Duration.millis(DEFAULTS.syncIntervalMs),
      maxStaleness: props.maxStaleness ?? Duration.millis(DEFAULTS.maxStalenessMs),
      failMode: props.failMode ?? DEFAULTS.failMode,
      consistency: props.consistency ?? DEFAULTS.consistency,
      resultsCacheTtl: props.resultsCacheTtl ?? Duration.seconds(0),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      provisionedConcurrentExecutions: props.provisionedConcurrentExecutions ?? 0,
      authorizerMemorySize: props.authorizerMemorySize ?? 1024,
      authorizerEnvironment: props.authorizerEnvironment ?? {},
      ingestEnvironment: props.ingestEnvironment ?? {},
      logLevel: props.logLevel ?? 'INFO',
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      metricsNamespace: props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE,
      tableRemovalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
    };
    validateProps(settings);

    this.consistency = settings.consistency;
    this.resultsCacheTtl = settings.resultsCacheTtl;
    this.worstCaseRevocationDelay = Duration.millis(settings.resultsCacheTtl.toMilliseconds() + settings.syncInterval.toMilliseconds());
    this.publisherAccounts.add(Stack.of(this).account);

    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: attribute(REVOCATION_TABLE_SCHEMA.partitionKey),
      timeToLiveAttribute: REVOCATION_TABLE_SCHEMA.timeToLiveAttribute,
      // Traffic is spiky (cold-start scans, bursts of revocations) and small: on-demand fits.
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: settings.tableRemovalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: REVOCATION_TABLE_SCHEMA.changesIndex.name,
      partitionKey: attribute(REVOCATION_TABLE_SCHEMA.changesIndex.partitionKey),
      sortKey: attribute(REVOCATION_TABLE_SCHEMA.changesIndex.sortKey),
      projectionType: PROJECTION_TYPES[REVOCATION_TABLE_SCHEMA.changesIndex.projectionType],
    });

    // A customer-managed key rather than alias/aws/sns: the AWS-managed key's policy cannot be
    // changed, so neither other AWS services (EventBridge, S3 notifications) nor other accounts
    // could publish to the topic, and SNS could not write to an encrypted dead-letter queue.
    this.encryptionKey =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        description: 'Encrypts the JWT revocation topic and its dead-letter queues',
        enableKeyRotation: true,
        // It protects only in-flight messages of resources deleted with the stack (the table is
        // encrypted by DynamoDB's own key), so it goes with them, after KMS's waiting period.
        removalPolicy: RemovalPolicy.DESTROY,
      });

    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      displayName: 'JWT revocations',
      masterKey: this.encryptionKey,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyPublishFromOtherAccounts',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          // Accounts granted through grantPublish are added as they are granted.
          StringNotEquals: { 'aws:PrincipalAccount': Lazy.list({ produce: () => [...this.publisherAccounts] }) },
          // AWS services granted through grantPublish call as service principals, with no account.
          Bool: { 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );

    this.deliveryDeadLetterQueue = this.encryptedQueue('DeliveryDeadLetterQueue');
    this.ingestFailureQueue = this.encryptedQueue('IngestFailureQueue');
    // AWS SNS docs (sns-dead-letter-queues): an encrypted DLQ needs a key policy letting SNS use
    // the key. The queue policy CDK adds restricts SendMessage to this topic (aws:SourceArn).
    const keyPolicy = this.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowSnsToWriteEncryptedDeadLetterQueue',
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
      }),
    );
    if (!keyPolicy.statementAdded) {
      Annotations.of(this).addWarningV2(
        'revocation-authorizer:imported-key',
        'encryptionKey is imported: add a key policy statement allowing sns.amazonaws.com kms:GenerateDataKey* and kms:Decrypt, or SNS cannot dead-letter undeliverable revocations',
      );
    }

    const common = {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
    } as const;

    const ingestLogGroup = new logs.LogGroup(this, 'IngestLogGroup', { retention: settings.logRetention });
    this.ingestFunction = new lambda.Function(this, 'IngestFunction', {
      ...common,
      description: 'Applies revocation messages from the topic to the revocation table',
      code: bundleCode(bundleDirectory, 'ingest'),
      handler: 'ingest.handler',
      role: this.functionRole('IngestRole', ingestLogGroup),
      logGroup: ingestLogGroup,
      // I/O-bound (conditional writes in parallel) and rarely invoked: 512 MiB buys a quicker
      // cold start than the minimum at a negligible cost.
      memorySize: 512,
      // A 256 KB message holds a few thousand revocations, written INGEST_WRITE_CONCURRENCY at a
      // time; 30 s also leaves room for the SDK's retries when DynamoDB throttles.
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.ingest),
      // SNS invokes asynchronously. Writes are idempotent and monotonic, so retries are safe;
      // events waiting for concurrency are kept for Lambda's maximum of 6 hours, and what still
      // fails is kept 14 days in the on-failure queue for inspection and redrive.
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.ingestFailureQueue),
      environment: ingestEnvironment(settings, this.table.tableName),
    });
    this.ingestFunction.addEventSource(new SnsEventSource(this.topic, { deadLetterQueue: this.deliveryDeadLetterQueue }));
    this.grantRevocationWrites(this.ingestFunction);

    const authorizerLogGroup = new logs.LogGroup(this, 'AuthorizerLogGroup', { retention: settings.logRetention });
    this.authorizerFunction = new lambda.Function(this, 'AuthorizerFunction', {
      ...common,
      description: 'Verifies JWTs for API Gateway and refuses revoked ones',
      code: bundleCode(bundleDirectory, 'authorizer'),
      handler: 'authorizer.handler',
      role: this.functionRole('AuthorizerRole', authorizerLogGroup),
      logGroup: authorizerLogGroup,
      memorySize: settings.authorizerMemorySize,
      // API Gateway stops waiting for a Lambda authorizer after 10 s (HTTP API quotas), so a
      // longer timeout would only bill time nobody waits for. 10 s covers the worst cold start:
      // a JWKS fetch (JWKS_TIMEOUT_MS, 5 s) and the parallel scan of every live revocation.
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.authorizer),
      reservedConcurrentExecutions: settings.reservedConcurrentExecutions,
      environment: authorizerEnvironment(this, settings, this.table.tableName),
    });
    this.authorizerHandler =
      settings.provisionedConcurrentExecutions > 0
        ? new lambda.Alias(this, 'AuthorizerAlias', {
            aliasName: 'live',
            version: this.authorizerFunction.currentVersion,
            provisionedConcurrentExecutions: settings.provisionedConcurrentExecutions,
          })
        : this.authorizerFunction;
    this.grantReadRevocations(this.authorizerFunction);

    this.httpAuthorizer = this.createHttpAuthorizer(id);

    if (settings.failMode === 'open') {
      Annotations.of(this).addWarningV2(
        'revocation-authorizer:fail-open',
        `failMode is 'open': while the revocation view is unavailable or older than ${settings.maxStaleness.toHumanString()}, revoked tokens are allowed (counted in FailOpenAllows, which has an alarm)`,
      );
    }

    const monitoring = new RevocationMonitoring(this, 'Monitoring', {
      namespace: settings.metricsNamespace,
      authorizerFunction: this.authorizerFunction,
      ingestFunction: this.ingestFunction,
      deliveryDeadLetterQueue: this.deliveryDeadLetterQueue,
      ingestFailureQueue: this.ingestFailureQueue,
      maxStaleness: settings.maxStaleness,
      failMode: settings.failMode,
      alarmAction: props.alarmAction,
      dashboardName: props.dashboardName,
    });
    this.alarms = monitoring.alarms;
    this.dashboard = monitoring.dashboard;
  }

  /**
   * Lets the grantee publish revocation messages: sns:Publish on the topic and use of its key.
   * An IAM principal of another account also gets its account added to the topic policy; an AWS
   * service principal (e.g. `events.amazonaws.com`) should carry an `aws:SourceArn` condition.
   */
  grantPublish(grantee: iam.IGrantable): iam.Grant {
    const account = grantee.grantPrincipal.principalAccount;
    if (account !== undefined) this.publisherAccounts.add(account);
    return this.topic.grantPublish(grantee);
  }

  /**
   * Lets the grantee read revocations the way the authorizer does: Scan of the table (cold-start
   * load), Query of the `changes` index (delta sync), and with strong consistency GetItem and
   * BatchGetItem of the table.
   */
  grantReadRevocations(grantee: iam.IGrantable): iam.Grant {
    const indexArn = `${this.table.tableArn}/index/${REVOCATION_TABLE_SCHEMA.changesIndex.name}`;
    let grant = iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Scan'], resourceArns: [this.table.tableArn] });
    grant = grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [indexArn] }));
    if (this.consistency === 'strong') {
      grant = grant.combine(
        iam.Grant.addToPrincipal({
          grantee,
          actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
          resourceArns: [this.table.tableArn],
        }),
      );
    }
    return grant;
  }

  /**
   * A further HTTP API authorizer on the same function, for another HttpApi: API Gateway binds an
   * HttpLambdaAuthorizer to a single API, and `httpAuthorizer` is bound to the first one using it.
   */
  createHttpAuthorizer(id: string, options: HttpAuthorizerOptions = {}): HttpLambdaAuthorizer {
    return new HttpLambdaAuthorizer(id, this.authorizerHandler, {
      authorizerName: options.authorizerName ?? id,
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ['$request.header.Authorization'],
      resultsCacheTtl: this.cacheTtl(options.resultsCacheTtl),
    });
  }

  /** A REST API TOKEN authorizer reading the Authorization header. */
  createRestTokenAuthorizer(id: string, options: RestTokenAuthorizerOptions = {}): apigw.TokenAuthorizer {
    return new apigw.TokenAuthorizer(options.scope ?? this, id, {
      handler: this.authorizerHandler,
      identitySource: apigw.IdentitySource.header('Authorization'),
      resultsCacheTtl: this.cacheTtl(options.resultsCacheTtl),
      authorizerName: options.authorizerName,
      validationRegex: options.validationRegex,
    });
  }

  /** A REST API REQUEST authorizer whose identity source is the Authorization header. */
  createRestRequestAuthorizer(id: string, options: RestAuthorizerOptions = {}): apigw.RequestAuthorizer {
    return new apigw.RequestAuthorizer(options.scope ?? this, id, {
      handler: this.authorizerHandler,
      identitySources: [apigw.IdentitySource.header('Authorization')],
      resultsCacheTtl: this.cacheTtl(options.resultsCacheTtl),
      authorizerName: options.authorizerName,
    });
  }

  private cacheTtl(requested: Duration | undefined): Duration {
    const ttl = requested ?? this.resultsCacheTtl;
    const problem = validateCacheTtl(ttl);
    if (problem !== undefined) throw new RevocationAuthorizerPropsError([problem]);
    return ttl;
  }

  /** Conditional UpdateItem on the table: all the ingest needs. */
  private grantRevocationWrites(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:UpdateItem'], resourceArns: [this.table.tableArn] });
  }

  /** A role that may only write its own log group; callers add the rest with grants. */
  private functionRole(id: string, logGroup: logs.LogGroup): iam.Role {
    const role = new iam.Role(this, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    return role;
  }

  private encryptedQueue(id: string): sqs.Queue {
    return new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      // SQS's maximum: time to notice, fix and redrive.
      retentionPeriod: Duration.days(14),
    });
  }
}

const PROJECTION_TYPES = {
  ALL: dynamodb.ProjectionType.ALL,
  KEYS_ONLY: dynamodb.ProjectionType.KEYS_ONLY,
} as const;

function attribute(key: { readonly name: string; readonly type: 'S' | 'N' }): dynamodb.Attribute {
  return { name: key.name, type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER };
}

/** Just one function's bundle and its source map, so each function's zip holds only its own code. */
function bundleCode(directory: string, name: 'authorizer' | 'ingest'): lambda.Code {
  const file = join(directory, `${name}.mjs`);
  if (!existsSync(file)) {
    throw new RevocationAuthorizerPropsError([
      {
        prop: 'bundleDirectory',
        message: `${file} does not exist. Run \`npm run build\` first, or point bundleDirectory at a directory holding authorizer.mjs and ingest.mjs`,
      },
    ]);
  }
  return lambda.Code.fromAsset(directory, { exclude: ['*', `!${name}.mjs`, `!${name}.mjs.map`] });
}

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, Duration, Lazy, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
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
  FUNCTION_TIMEOUT_SECONDS,
  SERVICE_NAMES,
  identitySourcesFor,
  REVOCATION_TABLE_SCHEMA,
  tokenAuthorizerHeader,
  type TokenSource,
} from '../lambda/contract/index.js';
import { authorizerEnvironment, ingestEnvironment } from './function-environment.js';
import { RevocationMonitoring } from './monitoring.js';
import { receiverEnvironment, RevocationReceiver } from './revocation-receiver.js';
import { RevocationAuthorizerPropsError } from './props-error.js';
import { routeScopesProblem, validateCacheTtl, validateProps } from './props-validation.js';
import {
  resolveProps,
  type HttpAuthorizerOptions,
  type RestAuthorizerOptions,
  type RestTokenAuthorizerOptions,
  type RevocationAuthorizerProps,
  type RevocationConsistency,
} from './props.js';
import { PublisherAllowlist } from './publisher-access.js';

/** Repository root `dist/`, where `npm run build` writes the bundles (scripts/build.mjs). */
const DEFAULT_BUNDLE_DIRECTORY = fileURLToPath(new URL('../dist/', import.meta.url));

/**
 * SQS's largest message. A Lambda on-failure record wraps the whole SNS event, so the record of a
 * message near SNS's 256 KiB limit exceeds SQS's 256 KiB default and Lambda would drop it (counted
 * only in DestinationDeliveryFailures): the queues take the most SQS allows.
 */
const MAX_SQS_MESSAGE_BYTES = 1_048_576;

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
  /** The revocation table (schema: lambda/contract/table-schema.ts): created, or `existingTable`. */
  readonly table: dynamodb.ITable;
  /** The topic revocation messages are published to: created, or `existingTopic`. */
  readonly topic: sns.ITopic;
  /** The revocation receiver's function, when the `receiver` prop is given. */
  readonly receiverFunction?: lambda.Function;
  /** The revocation receiver's HTTP API, URLs and alarms, when the `receiver` prop is given. */
  readonly receiver?: RevocationReceiver;
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
  /**
   * Authorizer for HTTP API routes: payload 2.0, token from the Authorization header, simple
   * responses unless `httpResponseType` is `iam`. Binds to one HttpApi.
   */
  readonly httpAuthorizer: HttpLambdaAuthorizer;
  /** Decision cache TTL used unless an authorizer factory is given another. */
  readonly resultsCacheTtl: Duration;
  /** Every alarm the construct created. */
  readonly alarms: readonly cloudwatch.Alarm[];
  /** The operations dashboard. */
  readonly dashboard: cloudwatch.Dashboard;

  private readonly consistency: RevocationConsistency;
  private readonly httpResponseType: HttpLambdaResponseType;
  private readonly syncInterval: Duration;
  /** Cache TTL of every authorizer created so far: the longest bounds the revocation delay. */
  private readonly cacheTtls: Duration[] = [];
  private readonly publishers: PublisherAllowlist;
  /** The authorizer handler as seen from other stacks, one reference per stack. */
  private readonly handlersByStack = new Map<Stack, lambda.IFunction>();
  /** JWT_ROUTE_SCOPES: the `routeScopes` prop and every `requireScopes` call, rendered at synthesis. */
  private readonly routeScopes: Record<string, string[]> = {};
  private routeScopesInEnvironment = false;
  private readonly tokenSources: readonly TokenSource[];
  /** REST authorizers whose decision cache is keyed without the route: refused at synthesis if any route has scopes. */
  private readonly routelessCachedAuthorizers: string[] = [];

  constructor(scope: Construct, id: string, props: RevocationAuthorizerProps) {
    super(scope, id);

    const settings = resolveProps(props);
    validateProps(settings, props);
    const bundleDirectory = resolve(props.bundleDirectory ?? DEFAULT_BUNDLE_DIRECTORY);
    const stack = Stack.of(this);

    this.consistency = settings.consistency;
    this.resultsCacheTtl = settings.resultsCacheTtl;
    this.syncInterval = settings.syncInterval;
    this.httpResponseType = settings.httpResponseType === 'iam' ? HttpLambdaResponseType.IAM : HttpLambdaResponseType.SIMPLE;
    this.publishers = new PublisherAllowlist(stack.account);

    this.table = props.existingTable ?? this.createTable(props.tableName, settings.tableRemovalPolicy, settings.tableDeletionProtection);

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

    this.topic =
      props.existingTopic ??
      new sns.Topic(this, 'Topic', {
        topicName: props.topicName,
        displayName: 'JWT revocations',
        masterKey: this.encryptionKey,
        enforceSSL: true,
      });

    this.deliveryDeadLetterQueue = this.encryptedQueue('DeliveryDeadLetterQueue');
    this.ingestFailureQueue = this.encryptedQueue('IngestFailureQueue');
    // AWS SNS docs (sns-dead-letter-queues): an encrypted DLQ needs a key policy letting SNS use
    // the key. The queue policy CDK adds restricts SendMessage to this topic (aws:SourceArn); here
    // aws:SourceAccount, since the topic's ARN would make the key depend on the topic it encrypts.
    const keyPolicy = this.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowSnsToWriteEncryptedDeadLetterQueue',
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    if (!keyPolicy.statementAdded) {
      Annotations.of(this).addWarningV2(
        'revocation-authorizer:imported-key',
        'encryptionKey is imported: add a key policy statement allowing sns.amazonaws.com kms:GenerateDataKey* and kms:Decrypt, or SNS cannot dead-letter undeliverable revocations',
      );
    }

    const common = {
      ...settings.functionOptions,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
    } as const;

    const ingestLogGroup = new logs.LogGroup(this, 'IngestLogGroup', { retention: settings.logRetention });
    this.ingestFunction = new lambda.Function(this, 'IngestFunction', {
      ...common,
      description: 'Applies revocation messages from the topic to the revocation table',
      code: bundleCode(bundleDirectory, 'ingest', props.includeSourceMaps ?? false),
      handler: 'ingest.handler',
      role: this.functionRole('IngestRole', ingestLogGroup),
      logGroup: ingestLogGroup,
      // I/O-bound (conditional writes in parallel) and rarely invoked: 512 MiB buys a quicker
      // cold start than the minimum at a negligible cost.
      memorySize: 512,
      // A 256 KB message holds a few thousand revocations, written INGEST_WRITE_CONCURRENCY at a
      // time; 30 s also leaves room for the SDK's retries when DynamoDB throttles.
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.ingest),
      // A cap: a bulk revocation waits in Lambda's asynchronous queue rather than fanning out.
      reservedConcurrentExecutions: settings.ingestReservedConcurrentExecutions,
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
    // SqsDestination grants through queue.grantSendMessages, which lets the role use the queues'
    // key (kms:GenerateDataKey*, kms:ReEncrypt*): wildcards over one key's action variants.
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      acknowledgeNag(
        this.ingestFunction.role!,
        `AwsSolutions-IAM5[Action::${action}]`,
        `${action} names a family of KMS actions on the one key encrypting the failure queue, the resource of the statement; CDK's queue.grantSendMessages grants it for SQS server-side encryption`,
      );
    }

    this.restrictTopicPolicy(stack);

    for (const fn of [this.ingestFunction]) acknowledgeRuntime(fn);

    const authorizerLogGroup = new logs.LogGroup(this, 'AuthorizerLogGroup', { retention: settings.logRetention });
    this.authorizerFunction = new lambda.Function(this, 'AuthorizerFunction', {
      ...common,
      description: 'Verifies JWTs for API Gateway and refuses revoked ones',
      code: bundleCode(bundleDirectory, 'authorizer', props.includeSourceMaps ?? false),
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
    const alias =
      settings.provisionedConcurrentExecutions > 0
        ? new lambda.Alias(this, 'AuthorizerAlias', {
            aliasName: 'live',
            version: this.authorizerFunction.currentVersion,
            provisionedConcurrentExecutions: settings.provisionedConcurrentExecutions,
          })
        : undefined;
    this.authorizerHandler = alias ?? this.authorizerFunction;
    acknowledgeRuntime(this.authorizerFunction);
    this.grantReadRevocations(this.authorizerFunction);

    this.tokenSources = settings.tokenSources;
    for (const [routeKey, scopes] of Object.entries(settings.routeScopes)) this.requireScopes(routeKey, scopes);
    this.node.addValidation({ validate: () => this.validateCacheKeys() });

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
      authorizerAlias: alias,
      ingestFunction: this.ingestFunction,
      table: this.table,
      deliveryDeadLetterQueue: this.deliveryDeadLetterQueue,
      ingestFailureQueue: this.ingestFailureQueue,
      maxStaleness: settings.maxStaleness,
      failMode: settings.failMode,
      alarmAction: props.alarmAction,
      dashboardName: props.dashboardName,
    });
    const alarms = [...monitoring.alarms];
    this.alarms = alarms;
    this.dashboard = monitoring.dashboard;

    if (props.receiver !== undefined) {
      const receiverLogGroup = new logs.LogGroup(this, 'ReceiverLogGroup', { retention: settings.logRetention });
      // The issuer variables the authorizer reads (JWT_ISSUERS, JWT_PRESET, JWT_* rules, JWKS_*):
      // the receiver verifies logout tokens and RFC 7009's access tokens against the same issuers.
      const shared = Object.fromEntries(
        Object.entries(authorizerEnvironment(this, settings, this.table.tableName)).filter(
          ([name]) =>
            name.startsWith('JWT_') ||
            name.startsWith('JWKS_') ||
            name === 'POWERTOOLS_METRICS_NAMESPACE' ||
            name === 'POWERTOOLS_LOG_LEVEL',
        ),
      );
      this.receiverFunction = new lambda.Function(this, 'ReceiverFunction', {
        ...common,
        description: 'Receives OIDC back-channel logouts, pushed SETs (SSF, CAEP, RISC) and RFC 7009 revocations; publishes revocations',
        code: bundleCode(bundleDirectory, 'receiver', props.includeSourceMaps ?? false),
        handler: 'receiver.handler',
        role: this.functionRole('ReceiverRole', receiverLogGroup),
        logGroup: receiverLogGroup,
        memorySize: 512,
        timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.receiver),
        environment: {
          ...shared,
          ...receiverEnvironment(props.receiver, this.topic.topicArn, stack),
          POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.receiver,
        },
      });
      acknowledgeRuntime(this.receiverFunction);
      this.grantPublish(this.receiverFunction);
      acknowledgeNag(
        this.receiverFunction.role!,
        'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        'kms:GenerateDataKey* on the revocation topic key only: what publishing to an encrypted topic needs (topic.grantPublish)',
      );
      props.receiver.clientsSecret?.grantRead(this.receiverFunction);
      this.receiver = new RevocationReceiver(this, 'Receiver', {
        ...props.receiver,
        function: this.receiverFunction,
        namespace: settings.metricsNamespace,
        alarmAction: props.alarmAction,
      });
      alarms.push(...this.receiver.alarms);
    }
  }

  /**
   * How long an allowed token can keep passing after its revocation reached the table, while the
   * authorizer's reads succeed: the longest decision cache TTL of the authorizers created so far
   * (the default `resultsCacheTtl` counts, as `httpAuthorizer` uses it) plus `syncInterval` (plus
   * the sub-second propagation of the table's index). While reads fail, `maxStaleness` replaces
   * `syncInterval`.
   */
  get worstCaseRevocationDelay(): Duration {
    const longestTtlMs = Math.max(...this.cacheTtls.map((ttl) => ttl.toMilliseconds()));
    return Duration.millis(longestTtlMs + this.syncInterval.toMilliseconds());
  }

  /**
   * Lets the grantee publish revocation messages: sns:Publish on the topic and use of its key,
   * and admits it through the topic policy's Deny: an IAM principal by its account (from the
   * principal or its ARN) or organization, an AWS service principal for the accounts its
   * `aws:SourceAccount` condition names (default: this stack's account). Throws for a principal
   * whose account cannot be known, e.g. `AnyPrincipal`.
   */
  grantPublish(grantee: iam.IGrantable): iam.Grant {
    this.publishers.admit(grantee.grantPrincipal);
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
   * Requires a token to hold at least one of `scopes` on `routeKey` (added to JWT_ROUTE_SCOPES),
   * the way a route's `authorizationScopes` does for API Gateway's JWT authorizer, and returns
   * `httpAuthorizer` to attach to that route:
   * `api.addRoutes({ path: '/admin/{proxy+}', methods: [HttpMethod.GET], integration, authorizer: revocation.requireScopes('GET /admin/{proxy+}', ['admin']) })`.
   * A route key given again gains the scopes (any one of them suffices). The scopes hold for
   * that route key on every API this function serves, REST resources included
   * (`GET /orders/{id}`). Throws for a route key or scope API Gateway would not accept.
   */
  requireScopes(routeKey: string, scopes: readonly string[]): HttpLambdaAuthorizer {
    const problem = routeScopesProblem(routeKey, scopes);
    if (problem !== undefined)
      throw new RevocationAuthorizerPropsError([{ prop: `requireScopes(${JSON.stringify(routeKey)})`, message: problem }]);
    this.routeScopes[routeKey] = [...new Set([...(this.routeScopes[routeKey] ?? []), ...scopes])];
    if (!this.routeScopesInEnvironment) {
      this.routeScopesInEnvironment = true;
      // Rendered at synthesis, so routes added after this call are in it too.
      this.authorizerFunction.addEnvironment('JWT_ROUTE_SCOPES', Lazy.string({ produce: () => JSON.stringify(this.routeScopes) }));
    }
    // Undefined only during the constructor, which assigns it right after the routeScopes prop.
    return this.httpAuthorizer;
  }

  /**
   * A further HTTP API authorizer on the same function, for another HttpApi: API Gateway binds an
   * HttpLambdaAuthorizer to a single API, and `httpAuthorizer` is bound to the first one using it.
   * Its identity source is the one token source (`tokenSources`), plus `$context.routeKey` when
   * results are cached and some route has scopes, so a decision is cached per token and route.
   */
  createHttpAuthorizer(id: string, options: HttpAuthorizerOptions = {}): HttpLambdaAuthorizer {
    const ttl = this.cacheTtl(options.resultsCacheTtl);
    const identity = identitySourcesFor(this.tokenSources, 'http');
    if (identity === undefined && ttl.toSeconds() > 0) throw this.noIdentitySourceError('http');
    const cached = ttl.toSeconds() > 0;
    return new HttpLambdaAuthorizer(id, this.handlerFor(options.scope), {
      authorizerName: options.authorizerName ?? id,
      responseTypes: [this.httpResponseType],
      identitySource: Lazy.list(
        { produce: () => [...(identity ?? []), ...(cached && this.hasRouteScopes ? ['$context.routeKey'] : [])] },
        { omitEmpty: true },
      ),
      resultsCacheTtl: ttl,
    });
  }

  /**
   * A REST API TOKEN authorizer reading the first header of `tokenSources` (the Authorization
   * header by default). A TOKEN authorizer's cache key is the token alone, so with scopes on any
   * route its `resultsCacheTtl` must be 0 (checked at synthesis).
   */
  createRestTokenAuthorizer(id: string, options: RestTokenAuthorizerOptions = {}): apigw.TokenAuthorizer {
    const header = tokenAuthorizerHeader(this.tokenSources);
    if (header === undefined) {
      throw new RevocationAuthorizerPropsError([
        {
          prop: 'tokenSources',
          message:
            'lists no header, and a TOKEN authorizer reads only a header: use createRestRequestAuthorizer for query or cookie sources',
        },
      ]);
    }
    const ttl = this.cacheTtl(options.resultsCacheTtl);
    if (ttl.toSeconds() > 0) this.routelessCachedAuthorizers.push(`TOKEN authorizer ${id}`);
    return new apigw.TokenAuthorizer(options.scope ?? this, id, {
      handler: this.handlerFor(options.scope),
      identitySource: apigw.IdentitySource.header(header),
      resultsCacheTtl: ttl,
      authorizerName: options.authorizerName,
      validationRegex: options.validationRegex,
    });
  }

  /**
   * A REST API REQUEST authorizer whose identity source is the one token source (`tokenSources`:
   * a header, a query parameter, or the Cookie header), none for several. With a decision cache
   * and scopes on some route, `context.httpMethod` and `context.resourcePath` join it, so a
   * decision is cached per token and method (call `requireScopes` before this, or pass
   * `routeScopes`; synthesis fails otherwise).
   */
  createRestRequestAuthorizer(id: string, options: RestAuthorizerOptions = {}): apigw.RequestAuthorizer {
    const ttl = this.cacheTtl(options.resultsCacheTtl);
    const identity = identitySourcesFor(this.tokenSources, 'rest');
    if (identity === undefined && ttl.toSeconds() > 0) throw this.noIdentitySourceError('rest');
    const byRoute = ttl.toSeconds() > 0 && this.hasRouteScopes;
    if (ttl.toSeconds() > 0 && !byRoute) this.routelessCachedAuthorizers.push(`REQUEST authorizer ${id}`);
    return new apigw.RequestAuthorizer(options.scope ?? this, id, {
      handler: this.handlerFor(options.scope),
      identitySources: [...(identity ?? []), ...(byRoute ? ['context.httpMethod', 'context.resourcePath'] : [])],
      resultsCacheTtl: ttl,
      authorizerName: options.authorizerName,
    });
  }

  private get hasRouteScopes(): boolean {
    return Object.keys(this.routeScopes).length > 0;
  }

  private noIdentitySourceError(api: 'http' | 'rest'): RevocationAuthorizerPropsError {
    return new RevocationAuthorizerPropsError([
      {
        prop: 'resultsCacheTtl',
        message: `must be 0 with tokenSources ${JSON.stringify(this.tokenSources.map((source) => `${source.kind}:${source.name}`))}: API Gateway keys its decision cache by the identity source, and ${api === 'http' ? 'several sources, or a cookie on an HTTP API,' : 'several sources'} leave the authorizer without one (it would answer 401 to a request lacking any listed source)`,
      },
    ]);
  }

  /** With scopes on some route, a decision cached without the route could let a token into a route it lacks the scope for. */
  private validateCacheKeys(): string[] {
    if (!this.hasRouteScopes) return [];
    return this.routelessCachedAuthorizers.map(
      (name) =>
        `${name} caches decisions by token alone (resultsCacheTtl > 0) while routes have scopes (routeScopes / requireScopes): a decision cached on one route would answer for the others. Use resultsCacheTtl 0${name.startsWith('REQUEST') ? ', or declare the scopes before creating the authorizer so the route joins its identity sources' : ''}`,
    );
  }

  /**
   * The handler as the given scope's stack should reference it. An authorizer in another stack
   * (the API's) would otherwise put API Gateway's invoke permission in this stack, naming the
   * API's ARN, while the API's stack names the function: a cycle. A reference made in the API's
   * stack carries the permission there, so only that stack depends on this one.
   */
  private handlerFor(scope: Construct | undefined): lambda.IFunction {
    const stack = scope === undefined ? Stack.of(this) : Stack.of(scope);
    if (stack === Stack.of(this)) return this.authorizerHandler;
    let handler = this.handlersByStack.get(stack);
    if (handler === undefined) {
      handler = lambda.Function.fromFunctionAttributes(stack, `${Names.uniqueId(this)}AuthorizerHandler`, {
        functionArn: this.authorizerHandler.functionArn,
        // Same account and region: lets CDK add the invoke permission in that stack.
        sameEnvironment: true,
      });
      this.handlersByStack.set(stack, handler);
    }
    return handler;
  }

  private cacheTtl(requested: Duration | undefined): Duration {
    const ttl = requested ?? this.resultsCacheTtl;
    const problem = validateCacheTtl(ttl);
    if (problem !== undefined) throw new RevocationAuthorizerPropsError([problem]);
    this.cacheTtls.push(ttl);
    return ttl;
  }

  private createTable(tableName: string | undefined, removalPolicy: RemovalPolicy, deletionProtection: boolean): dynamodb.Table {
    const table = new dynamodb.Table(this, 'Table', {
      tableName,
      partitionKey: attribute(REVOCATION_TABLE_SCHEMA.partitionKey),
      timeToLiveAttribute: REVOCATION_TABLE_SCHEMA.timeToLiveAttribute,
      // Traffic is spiky (cold-start scans, bursts of revocations) and small: on-demand fits.
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Losing the table un-revokes every token: neither a stray delete nor a stack deletion.
      deletionProtection,
      removalPolicy,
    });
    table.addGlobalSecondaryIndex({
      indexName: REVOCATION_TABLE_SCHEMA.changesIndex.name,
      partitionKey: attribute(REVOCATION_TABLE_SCHEMA.changesIndex.partitionKey),
      sortKey: attribute(REVOCATION_TABLE_SCHEMA.changesIndex.sortKey),
      projectionType: PROJECTION_TYPES[REVOCATION_TABLE_SCHEMA.changesIndex.projectionType],
    });
    return table;
  }

  /**
   * The topic policy's Deny statements: only granted publishers (see grantPublish), and only the
   * ingest function may subscribe, since messages carry whole bearer tokens (`type: token`, WSO2's
   * `revokedToken`): any other subscriber would receive them.
   */
  private restrictTopicPolicy(stack: Stack): void {
    const statements = [
      ...this.publishers.denyStatements(this.topic.topicArn),
      new iam.PolicyStatement({
        sid: 'DenySubscribeExceptIngestFunction',
        effect: iam.Effect.DENY,
        principals: [new iam.StarPrincipal()],
        actions: ['sns:Subscribe'],
        resources: [this.topic.topicArn],
        // SNS condition keys: sns:Endpoint is the subscribed function's ARN.
        conditions: { StringNotEquals: { 'sns:Endpoint': this.ingestFunction.functionArn } },
      }),
    ];
    const added = statements.map((statement) => this.topic.addToResourcePolicy(statement).statementAdded);
    if (added.includes(false)) {
      Annotations.of(this).addWarningV2(
        'revocation-authorizer:imported-topic',
        `existingTopic is imported, so its policy is not changed: its owner must deny sns:Publish to every account but ${stack.account} and those granted with grantPublish, and sns:Subscribe to every endpoint but the ingest function (docs/deploy.md shows the statements)`,
      );
    }
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
    const queue = new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      maxMessageSizeBytes: MAX_SQS_MESSAGE_BYTES,
      // SQS's maximum: time to notice, fix and redrive.
      retentionPeriod: Duration.days(14),
    });
    acknowledgeNag(
      queue,
      'AwsSolutions-SQS3',
      'This queue is itself a dead-letter queue (the SNS subscription redrive policy, or the ingest function on-failure destination), which cdk-nag cannot see; a dead-letter queue has none of its own',
    );
    return queue;
  }
}

/**
 * Records why a cdk-nag (AwsSolutionsChecks) finding does not apply, on the construct it is about;
 * inert without cdk-nag. A finding fixed is better: these are the ones that are not defects.
 */
export function acknowledgeNag(construct: Construct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}

function acknowledgeRuntime(fn: lambda.Function): void {
  acknowledgeNag(
    fn,
    'AwsSolutions-L1',
    'nodejs22.x is the runtime the bundles are built and tested for (scripts/build.mjs targets node22); a newer one moves together with that target',
  );
}

const PROJECTION_TYPES = {
  ALL: dynamodb.ProjectionType.ALL,
  KEYS_ONLY: dynamodb.ProjectionType.KEYS_ONLY,
} as const;

function attribute(key: { readonly name: string; readonly type: 'S' | 'N' }): dynamodb.Attribute {
  return { name: key.name, type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER };
}

/**
 * Just one function's bundle (and its source map when asked for), so each function's zip holds
 * only its own code: the map is about 1 MB, more than the bundle, and of use only with
 * `--enable-source-maps`.
 */
function bundleCode(directory: string, name: 'authorizer' | 'ingest' | 'receiver', includeSourceMap: boolean): lambda.Code {
  const file = join(directory, `${name}.mjs`);
  if (!existsSync(file)) {
    throw new RevocationAuthorizerPropsError([
      {
        prop: 'bundleDirectory',
        message: `${file} does not exist. Run \`npm run build\` first, or point bundleDirectory at a directory holding authorizer.mjs and ingest.mjs`,
      },
    ]);
  }
  const keep = includeSourceMap ? [`!${name}.mjs`, `!${name}.mjs.map`] : [`!${name}.mjs`];
  return lambda.Code.fromAsset(directory, { exclude: ['*', ...keep] });
}

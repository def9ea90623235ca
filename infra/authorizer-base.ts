import { Annotations, Duration, Lazy, Names, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { identitySourcesFor, tokenAuthorizerHeader, type TokenSource } from '../lambda/contract/index.js';
import { createAuthorizerFunction, grantReadRevocations, type AuthorizerFunctionOptions } from './authorizer-function.js';
import { feedMaxLagMs } from './function-environment.js';
import { createSnapshotBucket, createSnapshotFunction, grantReadSnapshot, SNAPSHOT_KEY, snapshotUriOf } from './revocation-snapshots.js';
import { RevocationAuthorizerPropsError } from './props-error.js';
import { routeScopesProblem, validateCacheTtl } from './props-validation.js';
import type { HttpAuthorizerOptions, RestAuthorizerOptions, RestTokenAuthorizerOptions, RevocationConsistency } from './props.js';

/**
 * The authorizer side shared by {@link RevocationAuthorizer} (the primary region: table, topic,
 * ingest and authorizer) and RevocationAuthorizerReplica (a replica region of its global table: an
 * authorizer reading the local replica): the function, the authorizer factories, route scopes and
 * the read grant. A subclass calls `buildAuthorizer` once, in its constructor, after its table.
 */
export abstract class RevocationAuthorizerBase extends Construct {
  /** The revocation table the authorizer reads (in a replica region, the local replica). */
  abstract readonly table: dynamodb.ITable;
  /** The authorizer function. */
  readonly authorizerFunction!: lambda.Function;
  /** What API Gateway invokes: the `live` alias with provisioned concurrency, else the function. */
  readonly authorizerHandler!: lambda.IFunction;
  /**
   * Authorizer for HTTP API routes: payload 2.0, token from the Authorization header, simple
   * responses unless `httpResponseType` is `iam`. Binds to one HttpApi.
   */
  readonly httpAuthorizer!: HttpLambdaAuthorizer;
  /** Decision cache TTL used unless an authorizer factory is given another. */
  readonly resultsCacheTtl!: Duration;
  /** This region's revocation snapshot bucket (`snapshots`, the default); undefined when snapshots are off. */
  readonly snapshotBucket: s3.Bucket | undefined;
  /** This region's scheduled snapshot writer, reading this region's table; undefined when snapshots are off. */
  readonly snapshotFunction: lambda.Function | undefined;
  /** The snapshot's object key in `snapshotBucket`. */
  readonly snapshotKey = SNAPSHOT_KEY;

  private consistency: RevocationConsistency = 'eventual';
  private httpResponseType = HttpLambdaResponseType.SIMPLE;
  private syncInterval = Duration.seconds(0);
  private changeFeed = false;
  /** With `changeFeed`, REVOCATION_FEED_MAX_LAG_MS as the authorizer reads it; 0 without. */
  private feedLagMs = 0;
  /** Cache TTL of every authorizer created so far: the longest bounds the revocation delay. */
  private readonly cacheTtls: Duration[] = [];
  /** The authorizer handler as seen from other stacks, one reference per stack. */
  private readonly handlersByStack = new Map<Stack, lambda.IFunction>();
  /** JWT_ROUTE_SCOPES: the `routeScopes` prop and every `requireScopes` call, rendered at synthesis. */
  private readonly routeScopes: Record<string, string[]> = {};
  private routeScopesInEnvironment = false;
  private tokenSources: readonly TokenSource[] = [];
  /** REST authorizers whose decision cache is keyed without the route: refused at synthesis if any route has scopes. */
  private readonly routelessCachedAuthorizers: string[] = [];

  /**
   * Creates the authorizer function, grants it its reads of `table`, applies the route scopes and
   * creates `httpAuthorizer` (named `id`); warns of fail-open. Returns the function's alias, when provisioned.
   */
  protected buildAuthorizer(id: string, options: AuthorizerFunctionOptions): lambda.Alias | undefined {
    const { settings } = options;
    this.consistency = settings.consistency;
    this.syncInterval = settings.syncInterval;
    this.changeFeed = settings.changeFeed;
    this.feedLagMs = settings.changeFeed ? feedMaxLagMs(settings) : 0;
    this.tokenSources = settings.tokenSources;
    this.httpResponseType = settings.httpResponseType === 'iam' ? HttpLambdaResponseType.IAM : HttpLambdaResponseType.SIMPLE;
    const built = createAuthorizerFunction(this, options);
    // Readonly to users; assigned here once, as a constructor would.
    const self = this as { -readonly [K in keyof RevocationAuthorizerBase]: RevocationAuthorizerBase[K] };
    self.resultsCacheTtl = settings.resultsCacheTtl;
    self.authorizerFunction = built.fn;
    self.authorizerHandler = built.handler;
    this.grantReadRevocations(built.fn);
    for (const [routeKey, scopes] of Object.entries(settings.routeScopes)) this.requireScopes(routeKey, scopes);
    this.node.addValidation({ validate: () => this.validateCacheKeys() });
    self.httpAuthorizer = this.createHttpAuthorizer(id);
    if (settings.failMode === 'open') {
      Annotations.of(this).addWarningV2(
        'revocation-authorizer:fail-open',
        `failMode is 'open': while the revocation view is unavailable or older than ${settings.maxStaleness.toHumanString()}, revoked tokens are allowed (counted in FailOpenAllows, which has an alarm)`,
      );
    }
    return built.alias;
  }

  /**
   * `buildAuthorizer` with this region's snapshot: with `snapshots`, a bucket of this region, the
   * authorizer reading it at cold start (a snapshot of the local table, neither a cross-region object
   * nor a Scan), and the scheduled writer that keeps it current from this region's table.
   */
  protected buildAuthorizerWithSnapshots(id: string, options: Omit<AuthorizerFunctionOptions, 'snapshotUri'>): lambda.Alias | undefined {
    const bucket = options.settings.snapshots ? createSnapshotBucket(this) : undefined;
    const alias = this.buildAuthorizer(id, { ...options, snapshotUri: bucket === undefined ? undefined : snapshotUriOf(bucket) });
    // Readonly to users; assigned here once, as a constructor would.
    const self = this as { -readonly [K in keyof RevocationAuthorizerBase]: RevocationAuthorizerBase[K] };
    self.snapshotBucket = bucket;
    if (bucket === undefined) return alias;
    this.grantReadSnapshot(this.authorizerFunction);
    self.snapshotFunction = createSnapshotFunction(this, {
      ...options,
      bucket,
      grantReadRevocations: (grantee) => this.grantReadRevocations(grantee),
    });
    return alias;
  }

  /**
   * Lets the grantee read this region's revocation snapshot the way the authorizer does
   * (s3:GetObject on the object, s3:ListBucket on the bucket).
   * @throws when snapshots are off.
   */
  grantReadSnapshot(grantee: iam.IGrantable): iam.Grant {
    if (this.snapshotBucket === undefined)
      throw new RevocationAuthorizerPropsError([{ prop: 'snapshots', message: 'is false: there is no snapshot to grant' }]);
    return grantReadSnapshot(grantee, this.snapshotBucket);
  }

  /**
   * How long an allowed token can keep passing after its revocation reached the table, while the
   * authorizer's reads succeed: the longest decision cache TTL of the authorizers created so far
   * (the default `resultsCacheTtl` counts, as `httpAuthorizer` uses it) plus `syncInterval` (plus
   * the sub-second propagation of the table's index, and in a replica region the global table's
   * replication: docs/deploy.md, "Multi-region"). With `changeFeed`, plus REVOCATION_FEED_MAX_LAG_MS
   * (`authorizerEnvironment`, else 5 s, at most half of `maxStaleness`): an instance follows a feed
   * whose writer last read the change index up to that long ago and counts itself fresh from that
   * read, which covers the writer's gap between scheduled runs (about 2-3 s once a minute).
   * Typically a revocation waits only for the writer's next step (FEED_INTERVAL_MS, 1 s) and a sync
   * interval. While reads fail, `maxStaleness` replaces `syncInterval`.
   */
  get worstCaseRevocationDelay(): Duration {
    const longestTtlMs = Math.max(...this.cacheTtls.map((ttl) => ttl.toMilliseconds()));
    return Duration.millis(longestTtlMs + this.syncInterval.toMilliseconds() + this.feedLagMs);
  }

  /**
   * Lets the grantee read revocations the way the authorizer does: Scan of the table (cold-start
   * load), Query of the `changes` index (delta sync), GetItem of the change-head items only
   * (`head#…`, a condition on the partition key), with `changeFeed` BatchGetItem of the feed's
   * pages only (`feed#…`), and with strong consistency GetItem and BatchGetItem of the table.
   */
  grantReadRevocations(grantee: iam.IGrantable): iam.Grant {
    return grantReadRevocations(grantee, this.table, this.consistency, this.changeFeed);
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
    // Undefined only while buildAuthorizer runs, which assigns it right after the routeScopes prop.
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
}

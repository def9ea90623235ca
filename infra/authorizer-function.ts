import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { FUNCTION_TIMEOUT_SECONDS, REVOCATION_TABLE_SCHEMA } from '../lambda/contract/index.js';
import { authorizerEnvironment } from './function-environment.js';
import { RevocationAuthorizerPropsError } from './props-error.js';
import type { ResolvedSettings } from './props.js';

/** Repository root `dist/`, where `npm run build` writes the bundles (scripts/build.mjs). */
export const DEFAULT_BUNDLE_DIRECTORY = fileURLToPath(new URL('../dist/', import.meta.url));

/** What the authorizer function is built from, in the primary region or a replica region. */
export interface AuthorizerFunctionOptions {
  readonly settings: ResolvedSettings;
  /** REVOCATION_TABLE_NAME: a global table has the same name in every region. */
  readonly tableName: string;
  readonly bundleDirectory: string;
  readonly includeSourceMaps: boolean;
  /** REVOCATION_SNAPSHOT_URI, when snapshots are on (the bucket of the construct's own region). */
  readonly snapshotUri?: string | undefined;
}

/** The authorizer function and what API Gateway invokes: its `live` alias with provisioned concurrency, else the function. */
export interface AuthorizerFunction {
  readonly fn: lambda.Function;
  readonly alias: lambda.Alias | undefined;
  readonly handler: lambda.IFunction;
}

/** Creates the authorizer function (`AuthorizerFunction`, its log group and role, the `live` alias when provisioned) in `scope`. */
export function createAuthorizerFunction(scope: Construct, options: AuthorizerFunctionOptions): AuthorizerFunction {
  const { settings } = options;
  const logGroup = new logs.LogGroup(scope, 'AuthorizerLogGroup', { retention: settings.logRetention });
  const fn = new lambda.Function(scope, 'AuthorizerFunction', {
    ...settings.functionOptions,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    description: 'Verifies JWTs for API Gateway and refuses revoked ones',
    code: bundleCode(options.bundleDirectory, 'authorizer', options.includeSourceMaps),
    handler: 'authorizer.handler',
    role: functionRole(scope, 'AuthorizerRole', logGroup),
    logGroup,
    memorySize: settings.authorizerMemorySize,
    // API Gateway stops waiting for a Lambda authorizer after 10 s (HTTP API quotas), so a
    // longer timeout would only bill time nobody waits for. 10 s covers the worst cold start:
    // a JWKS fetch (JWKS_TIMEOUT_MS, 5 s) and the parallel scan of every live revocation.
    timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.authorizer),
    reservedConcurrentExecutions: settings.reservedConcurrentExecutions,
    environment: authorizerEnvironment(scope, settings, options.tableName, options.snapshotUri),
  });
  const alias =
    settings.provisionedConcurrentExecutions > 0
      ? new lambda.Alias(scope, 'AuthorizerAlias', {
          aliasName: 'live',
          version: fn.currentVersion,
          provisionedConcurrentExecutions: settings.provisionedConcurrentExecutions,
        })
      : undefined;
  acknowledgeRuntime(fn);
  return { fn, alias, handler: alias ?? fn };
}

/**
 * Lets the grantee read revocations the way the authorizer does: Scan of the table (cold-start
 * load), Query of the `changes` index (delta sync), GetItem of the change-head items only, with the
 * change feed BatchGetItem of its page items only, and with strong consistency GetItem and
 * BatchGetItem of the table.
 */
export function grantReadRevocations(
  grantee: iam.IGrantable,
  table: dynamodb.ITable,
  consistency: ResolvedSettings['consistency'],
  changeFeed = false,
): iam.Grant {
  const indexArn = `${table.tableArn}/index/${REVOCATION_TABLE_SCHEMA.changesIndex.name}`;
  let grant = iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Scan'], resourceArns: [table.tableArn] });
  grant = grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [indexArn] }));
  grant = grant.combine(
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem'],
      resourceArns: [table.tableArn],
      // dynamodb:LeadingKeys is the partition key value (DynamoDB's IAM condition keys): the
      // change head's items (`head#0` …), one of which a warm instance reads every sync interval.
      conditions: leadingKeys(REVOCATION_TABLE_SCHEMA.head.keyPrefix),
    }),
  );
  if (changeFeed) {
    // The feed's pages (`feed#slot#replica`), which an instance reads when the head shows new ones.
    grant = grant.combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['dynamodb:BatchGetItem'],
        resourceArns: [table.tableArn],
        conditions: leadingKeys(REVOCATION_TABLE_SCHEMA.feed.keyPrefix),
      }),
    );
  }
  if (consistency === 'strong') {
    grant = grant.combine(
      iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'], resourceArns: [table.tableArn] }),
    );
  }
  return grant;
}

/** An IAM condition: every item a request touches has a partition key starting with `prefix`. */
export function leadingKeys(prefix: string): Record<string, Record<string, unknown>> {
  return { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${prefix}*`] } };
}

/**
 * Records why a cdk-nag (AwsSolutionsChecks) finding does not apply, on the construct it is about;
 * inert without cdk-nag. A finding fixed is better: these are the ones that are not defects.
 */
export function acknowledgeNag(construct: Construct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}

/** The runtime finding, acknowledged for each of the project's functions. */
export function acknowledgeRuntime(fn: lambda.Function): void {
  acknowledgeNag(
    fn,
    'AwsSolutions-L1',
    'nodejs22.x is the runtime the bundles are built and tested for (scripts/build.mjs targets node22); a newer one moves together with that target',
  );
}

/** A role that may only write its own log group; callers add the rest with grants. */
export function functionRole(scope: Construct, id: string, logGroup: logs.LogGroup): iam.Role {
  const role = new iam.Role(scope, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  return role;
}

/**
 * Just one function's bundle (and its source map when asked for), so each function's zip holds
 * only its own code: the map is about 1 MB, more than the bundle, and of use only with
 * `--enable-source-maps`.
 */
export function bundleCode(
  directory: string,
  name: 'authorizer' | 'feed' | 'ingest' | 'receiver' | 'snapshot',
  includeSourceMap: boolean,
): lambda.Code {
  const file = join(directory, `${name}.mjs`);
  if (!existsSync(file)) {
    throw new RevocationAuthorizerPropsError([
      {
        prop: 'bundleDirectory',
        message: `${file} does not exist. Run \`npm run build\` first, or point bundleDirectory at a directory holding authorizer.mjs and ingest.mjs${name === 'feed' ? ' (and feed.mjs, for changeFeed)' : ''}`,
      },
    ]);
  }
  const keep = includeSourceMap ? [`!${name}.mjs`, `!${name}.mjs.map`] : [`!${name}.mjs`];
  return lambda.Code.fromAsset(directory, { exclude: ['*', ...keep] });
}

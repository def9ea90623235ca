import { resolve } from 'node:path';
import { Stack, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { RevocationAuthorizerBase } from './authorizer-base.js';
import { DEFAULT_BUNDLE_DIRECTORY } from './authorizer-function.js';
import { RevocationMonitoring } from './monitoring.js';
import { RevocationAuthorizerPropsError } from './props-error.js';
import { resolveProps } from './props.js';
import { replicaSourceOf } from './replica-source.js';
import type { RevocationAuthorizer } from './revocation-authorizer.js';

/** Props of {@link RevocationAuthorizerReplica}. */
export interface RevocationAuthorizerReplicaProps {
  /**
   * The construct of the primary region, whose `replicaRegions` lists this stack's region. Its
   * props configure this authorizer (issuers, claims, sync, cache, fail mode, concurrency,
   * `routeScopes`); `requireScopes` calls on it do not carry over: call them here too.
   */
  readonly primary: RevocationAuthorizer;
  /**
   * Where this region's alarms notify: an action in this region (an SNS topic of the primary
   * region cannot be a CloudWatch alarm action here).
   * @default - no action
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
  /**
   * Name of this region's dashboard; dashboard names are unique in the account.
   * @default - a name CloudFormation generates
   */
  readonly dashboardName?: string;
}

/**
 * The authorizer of a replica region of a {@link RevocationAuthorizer}'s global table
 * (`replicaRegions`): an authorizer function reading the local replica, with the same factories
 * (`httpAuthorizer`, `createRestTokenAuthorizer`, `requireScopes`, …), alarms and dashboard, and
 * with `snapshots` (the default) its own snapshot bucket and writer reading the local replica, so
 * cold starts here read a local object. No table, topic, ingest or change feed writer of its own:
 * revocations are published in the primary region, and they and the feed's pages reach this
 * replica by DynamoDB's replication. Put it in a stack of the replica region, in the same account.
 */
export class RevocationAuthorizerReplica extends RevocationAuthorizerBase {
  /** The local replica of the primary's global table. */
  readonly table: dynamodb.ITable;
  /** Every alarm the construct created. */
  readonly alarms: readonly cloudwatch.Alarm[];
  /** The operations dashboard of this region. */
  readonly dashboard: cloudwatch.Dashboard;
  constructor(scope: Construct, id: string, props: RevocationAuthorizerReplicaProps) {
    super(scope, id);
    const source = replicaSourceOf(props.primary);
    if (source === undefined) {
      throw new RevocationAuthorizerPropsError([{ prop: 'primary', message: 'must be a RevocationAuthorizer' }]);
    }
    const stack = Stack.of(this);
    const primaryStack = Stack.of(props.primary);
    const problem = replicaStackProblem(stack, primaryStack, props.primary.node.path, source.replicaRegions);
    if (problem !== undefined) throw new RevocationAuthorizerPropsError([{ prop: 'primary', message: problem }]);

    const settings = resolveProps(source.props);
    // A global table has one name in every region. From another region's stack the primary's
    // table name resolves to its physical name (CDK generates one when it is referenced across
    // environments), and the ARN is this region's.
    this.table = dynamodb.TableV2.fromTableName(this, 'Table', source.tableName);
    const bundleDirectory = resolve(source.props.bundleDirectory ?? DEFAULT_BUNDLE_DIRECTORY);
    const alias = this.buildAuthorizerWithSnapshots(id, {
      settings,
      tableName: this.table.tableName,
      bundleDirectory,
      includeSourceMaps: source.props.includeSourceMaps ?? false,
    });
    const monitoring = new RevocationMonitoring(this, 'Monitoring', {
      namespace: settings.metricsNamespace,
      authorizerFunction: this.authorizerFunction,
      authorizerAlias: alias,
      snapshotFunction: this.snapshotFunction,
      table: this.table,
      maxStaleness: settings.maxStaleness,
      failMode: settings.failMode,
      alarmAction: props.alarmAction,
      dashboardName: props.dashboardName,
    });
    this.alarms = monitoring.alarms;
    this.dashboard = monitoring.dashboard;
  }
}

/** Why `stack` cannot hold a replica authorizer of the primary in `primaryStack`, if it cannot. */
function replicaStackProblem(
  stack: Stack,
  primaryStack: Stack,
  primaryPath: string,
  replicaRegions: readonly string[],
): string | undefined {
  if (Token.isUnresolved(stack.region)) {
    return `needs a stack with an explicit region (new Stack(app, '${stack.stackName}', { env: { account, region } })): the authorizer reads the table's replica in that region`;
  }
  if (stack.region === primaryStack.region) {
    return `${primaryPath} is in ${stack.region} already, with its own authorizer: a replica authorizer goes in a stack of one of its replicaRegions`;
  }
  if (!replicaRegions.includes(stack.region)) {
    const listed = replicaRegions.length === 0 ? 'it has none' : `it has ${replicaRegions.join(', ')}`;
    return `${primaryPath} holds no replica of its table in ${stack.region} (${listed}): add '${stack.region}' to its replicaRegions`;
  }
  if (!Token.isUnresolved(stack.account) && !Token.isUnresolved(primaryStack.account) && stack.account !== primaryStack.account) {
    return `is in account ${primaryStack.account}, this stack in ${stack.account}: the table's replicas are in the primary's account, so deploy this stack there`;
  }
  return undefined;
}

import { Stack, Token, type RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { REVOCATION_TABLE_SCHEMA } from '../lambda/contract/index.js';
import { RevocationAuthorizerPropsError } from './props-error.js';

/** How the revocation table is created. */
export interface RevocationTableOptions {
  readonly tableName: string | undefined;
  readonly removalPolicy: RemovalPolicy;
  readonly deletionProtection: boolean;
  /** Regions besides the stack's holding a replica: none for a single-region table. */
  readonly replicaRegions: readonly string[];
}

/**
 * The revocation table (schema: lambda/contract/table-schema.ts): an AWS::DynamoDB::Table, or with
 * replica regions an AWS::DynamoDB::GlobalTable (TableV2, global tables version 2019.11.21) with a
 * replica in each: the same schema, TTL, point-in-time recovery and deletion protection in every
 * region. Both under the same construct id, so turning `replicaRegions` on for a deployed stack
 * fails CloudFormation's update (a resource's type cannot change) instead of replacing the table
 * with an empty one (docs/deploy.md, "Multi-region", has the migration).
 */
export function createRevocationTable(scope: Construct, id: string, options: RevocationTableOptions): dynamodb.ITable {
  const { tableName, removalPolicy, deletionProtection, replicaRegions } = options;
  const index = REVOCATION_TABLE_SCHEMA.changesIndex;
  const changesIndex = {
    indexName: index.name,
    partitionKey: attribute(index.partitionKey),
    sortKey: attribute(index.sortKey),
    projectionType: PROJECTION_TYPES[index.projectionType],
  };
  if (replicaRegions.length > 0) {
    checkReplicaStack(Stack.of(scope), replicaRegions);
    return new dynamodb.TableV2(scope, id, {
      tableName,
      partitionKey: attribute(REVOCATION_TABLE_SCHEMA.partitionKey),
      timeToLiveAttribute: REVOCATION_TABLE_SCHEMA.timeToLiveAttribute,
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection,
      removalPolicy,
      globalSecondaryIndexes: [changesIndex],
      replicas: replicaRegions.map((region) => ({ region })),
    });
  }
  const table = new dynamodb.Table(scope, id, {
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
  table.addGlobalSecondaryIndex(changesIndex);
  return table;
}

/** What `replicaRegions` needs of the stack it is in, which validateProps cannot see. */
function checkReplicaStack(stack: Stack, replicaRegions: readonly string[]): void {
  if (Token.isUnresolved(stack.region)) {
    throw new RevocationAuthorizerPropsError([
      {
        prop: 'replicaRegions',
        message: `needs a stack with an explicit region (new Stack(app, '${stack.stackName}', { env: { account, region } })): a global table's replicas are placed relative to it`,
      },
    ]);
  }
  if (replicaRegions.includes(stack.region)) {
    throw new RevocationAuthorizerPropsError([
      { prop: 'replicaRegions', message: `must not list ${stack.region}, the stack's own region: the table is there already` },
    ]);
  }
}

const PROJECTION_TYPES = {
  ALL: dynamodb.ProjectionType.ALL,
  KEYS_ONLY: dynamodb.ProjectionType.KEYS_ONLY,
} as const;

function attribute(key: { readonly name: string; readonly type: 'S' | 'N' }): dynamodb.Attribute {
  return { name: key.name, type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER };
}

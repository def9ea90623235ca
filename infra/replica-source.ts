import type { Construct } from 'constructs';
import type { RevocationAuthorizerProps } from './props.js';

/** What a RevocationAuthorizerReplica takes from the primary construct. */
export interface ReplicaSource {
  /** The primary's props: the replica's authorizer is configured the same way. */
  readonly props: RevocationAuthorizerProps;
  readonly replicaRegions: readonly string[];
  /** The global table's name, the same in every region. */
  readonly tableName: string;
}

const sources = new WeakMap<Construct, ReplicaSource>();

/** Records what replicas of `primary` start from; called by RevocationAuthorizer's constructor. */
export function registerReplicaSource(primary: Construct, source: ReplicaSource): void {
  sources.set(primary, source);
}

/** What replicas of `primary` start from, or undefined for a construct that is no RevocationAuthorizer. */
export function replicaSourceOf(primary: Construct): ReplicaSource | undefined {
  return sources.get(primary);
}

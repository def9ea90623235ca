/**
 * The CloudWatch metric contract between the functions (which emit these as EMF through
 * Powertools Metrics) and the CDK construct (whose dashboard and alarms read them).
 *
 * Plain constants, no Lambda or CDK types: the handlers and `infra/` import the same names.
 *
 * A CloudWatch metric is identified by namespace, name and its exact set of dimensions, so an
 * alarm only sees a datapoint emitted with the same dimension set. Powertools adds a `service`
 * dimension (from POWERTOOLS_SERVICE_NAME) to every metric; the per-metric dimensions below are
 * added on top of it with `addDimension` (one dimension set), never with `addDimensions` (which
 * publishes a second, separate set).
 */

/** Namespace the construct sets as POWERTOOLS_METRICS_NAMESPACE unless the user picks another. */
export const DEFAULT_METRICS_NAMESPACE = 'RevocationAuthorizer';

/** Name of the dimension Powertools adds to every metric. */
export const SERVICE_DIMENSION = 'service';

/** POWERTOOLS_SERVICE_NAME of each function, and so the `service` dimension of its metrics. */
export const SERVICE_NAMES = {
  authorizer: 'revocation-authorizer',
  ingest: 'revocation-ingest',
  snapshot: 'revocation-snapshot',
  receiver: 'revocation-receiver',
  /** The change feed's writer (docs/scale.md, "The change feed"). */
  feed: 'revocation-feed',
} as const;

/** Metrics the authorizer emits. */
export const AUTHORIZER_METRICS = {
  /** Count, one per decision. Dimensions: service, decision (allow|deny), reason. */
  decisions: 'Decisions',
  /** Count, one per cold start. Powertools' captureColdStartMetric (service, function_name). */
  coldStart: 'ColdStart',
  /** Milliseconds: age of the in-process revocation view when a decision used it. Dimensions: service. */
  revocationSyncLagMs: 'RevocationSyncLagMs',
  /** Count (a gauge): live revocations held in the instance's view. Dimensions: service. */
  revocationEntries: 'RevocationEntries',
  /** Count: requests allowed only because the fail mode is open and the view was unusable. Dimensions: service. */
  failOpenAllows: 'FailOpenAllows',
  /**
   * Count, one per invocation that threw for a reason other than the token (keys or revocation
   * state unavailable, a failed cold start, a misconfiguration): API Gateway answered 500. Unlike
   * Lambda's `Errors`, it leaves out the `Unauthorized` a REST authorizer throws for a bad token.
   * Dimensions: service.
   */
  infrastructureFailures: 'InfrastructureFailures',
  /**
   * Count, one per cold-start load that did not use the revocation snapshot (REVOCATION_SNAPSHOT_URI
   * set, the snapshot refused or unreadable) and scanned the table instead. Dimensions: service,
   * reason (a SnapshotRefusalReason: missing, too_old, checksum, ...). The snapshot function emits
   * it too, under its own service, for its own loads.
   */
  snapshotFallbacks: 'SnapshotFallbacks',
} as const;

/** Metrics the snapshot function emits (besides SnapshotFallbacks, above). */
export const SNAPSHOT_METRICS = {
  /** Bytes, one per snapshot written. Dimensions: service. */
  snapshotBytes: 'SnapshotBytes',
  /** Count (a gauge): revocations in the snapshot written. Dimensions: service. */
  snapshotEntries: 'SnapshotEntries',
} as const;

/** Metrics the change-feed writer emits (docs/scale.md, "The change feed"), one set per step. */
export const FEED_METRICS = {
  /** Count of pages written. Dimensions: service. */
  feedPages: 'FeedPages',
  /** Count of revocations published in them. Dimensions: service. */
  feedEntries: 'FeedEntries',
  /** Count of steps that failed (a read or write failed, or another writer was ahead). Dimensions: service. */
  feedStepFailures: 'FeedStepFailures',
  /**
   * Milliseconds from the start of the previous step's read of the change index to this step's
   * head write: how long a revocation may wait to be in the feed. Dimensions: service.
   */
  feedLagMs: 'FeedLagMs',
  /**
   * Count of revocations read from the change index that no page could carry (logged one by one):
   * instances that follow the feed miss them until they read the index themselves. Dimensions: service.
   */
  feedEntriesSkipped: 'FeedEntriesSkipped',
} as const;

/** Metrics the ingest function emits. */
export const INGEST_METRICS = {
  /** Count of revocations that changed the table. Dimensions: service, kind (jti|subject|client|session). */
  revocationsApplied: 'RevocationsApplied',
  /** Count of revocations that changed nothing (older, duplicate or replayed). Dimensions: service. */
  revocationsUnchanged: 'RevocationsUnchanged',
  /** Count of messages refused as a whole. Dimensions: service, reason. */
  messagesRejected: 'MessagesRejected',
  /**
   * Count of messages accepted but holding nothing a JWT can match (a WSO2 `Default` event: an
   * opaque token's revocation), so nothing was written. Routine, never dead-lettered. Dimensions: service.
   */
  messagesNotApplicable: 'MessagesNotApplicable',
} as const;

/** Metrics the receiver emits (one per request). */
export const RECEIVER_METRICS = {
  /** Count of deliveries answered 2xx (logout tokens, SETs, RFC 7009 requests). Dimensions: service, endpoint. */
  deliveriesAccepted: 'DeliveriesAccepted',
  /**
   * Count of deliveries refused (4xx: a token or SET that failed a check, bad client credentials,
   * a malformed request). The construct's alarm reads it. Dimensions: service, endpoint.
   */
  deliveriesRefused: 'DeliveriesRefused',
  /** Count of deliveries that failed on our side (5xx: keys unavailable, SNS refused the publish). Dimensions: service, endpoint. */
  deliveriesFailed: 'DeliveriesFailed',
  /** Count of SET events acknowledged with nothing to revoke (unknown or informational event types, RFC 8935 §2.2). Dimensions: service. */
  eventsIgnored: 'EventsIgnored',
  /** Count of revocations published to the topic. Dimensions: service. */
  revocationsPublished: 'RevocationsPublished',
} as const;

/** Dimension names added per metric, on top of {@link SERVICE_DIMENSION}. */
export const METRIC_DIMENSIONS = {
  /** On Decisions: `allow` or `deny`. */
  decision: 'decision',
  /** On Decisions (a RejectionReason for a deny, `allowed` for an allow), MessagesRejected and SnapshotFallbacks. */
  reason: 'reason',
  /** On RevocationsApplied: `jti`, `subject`, `client` or `session`. */
  kind: 'kind',
  /** On the receiver's delivery counts: `backchannelLogout`, `securityEvents` or `tokenRevocation`. */
  endpoint: 'endpoint',
} as const;

/** The values of the `decision` dimension. */
export const DECISIONS = { allow: 'allow', deny: 'deny' } as const;

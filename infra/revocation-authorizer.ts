import { resolve } from 'node:path';
import { Annotations, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
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
import type { Construct } from 'constructs';
import { FUNCTION_TIMEOUT_SECONDS, REVOCATION_TABLE_SCHEMA, SERVICE_NAMES } from '../lambda/contract/index.js';
import { RevocationAuthorizerBase } from './authorizer-base.js';
import {
  acknowledgeNag,
  acknowledgeRuntime,
  bundleCode,
  DEFAULT_BUNDLE_DIRECTORY,
  functionRole,
  leadingKeys,
} from './authorizer-function.js';
import { authorizerEnvironment, ingestEnvironment, syncOverlapMs } from './function-environment.js';
import { RevocationMonitoring } from './monitoring.js';
import { receiverEnvironment, RevocationReceiver } from './revocation-receiver.js';
import { RevocationAuthorizerPropsError } from './props-error.js';
import { validateProps } from './props-validation.js';
import { resolveProps, type RevocationAuthorizerProps } from './props.js';
import { PublisherAllowlist } from './publisher-access.js';
import { registerReplicaSource } from './replica-source.js';
import { createFeedFunction } from './revocation-feed.js';
import { createRevocationTable } from './revocation-table.js';

export { acknowledgeNag } from './authorizer-function.js';

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
export class RevocationAuthorizer extends RevocationAuthorizerBase {
  /**
   * The revocation table (schema: lambda/contract/table-schema.ts): created (a global table with
   * `replicaRegions`), or `existingTable`.
   */
  readonly table: dynamodb.ITable;
  /** The regions holding a replica of the table besides this stack's (`replicaRegions`). */
  readonly replicaRegions: readonly string[];
  /** The topic revocation messages are published to: created, or `existingTopic`. */
  readonly topic: sns.ITopic;
  /** The revocation receiver's function, when the `receiver` prop is given. */
  readonly receiverFunction?: lambda.Function;
  /** The revocation receiver's HTTP API, URLs and alarms, when the `receiver` prop is given. */
  readonly receiver?: RevocationReceiver;
  /** The key encrypting the topic and the dead-letter queues. */
  readonly encryptionKey: kms.IKey;
  /** The function that applies revocation messages to the table. */
  readonly ingestFunction: lambda.Function;
  /** Messages SNS could not deliver to the ingest function. */
  readonly deliveryDeadLetterQueue: sqs.Queue;
  /** Invocations of the ingest function that failed after every retry (Lambda on-failure destination). */
  readonly ingestFailureQueue: sqs.Queue;
  /** Every alarm the construct created. */
  readonly alarms: readonly cloudwatch.Alarm[];
  /** The operations dashboard. */
  readonly dashboard: cloudwatch.Dashboard;
  /** The change feed's scheduled writer (`changeFeed`); undefined when the feed is off. */
  readonly feedFunction: lambda.Function | undefined;

  private readonly publishers: PublisherAllowlist;

  constructor(scope: Construct, id: string, props: RevocationAuthorizerProps) {
    super(scope, id);

    const settings = resolveProps(props);
    validateProps(settings, props);
    const bundleDirectory = resolve(props.bundleDirectory ?? DEFAULT_BUNDLE_DIRECTORY);
    const stack = Stack.of(this);

    this.publishers = new PublisherAllowlist(stack.account);

    this.replicaRegions = [...(props.replicaRegions ?? [])];
    this.table =
      props.existingTable ??
      createRevocationTable(this, 'Table', {
        tableName: props.tableName,
        removalPolicy: settings.tableRemovalPolicy,
        deletionProtection: settings.tableDeletionProtection,
        replicaRegions: this.replicaRegions,
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
      role: functionRole(this, 'IngestRole', ingestLogGroup),
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
    this.grantRevocationWrites(this.ingestFunction, settings.changeFeed);
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

    const alias = this.buildAuthorizerWithSnapshots(id, {
      settings,
      tableName: this.table.tableName,
      bundleDirectory,
      includeSourceMaps: props.includeSourceMaps ?? false,
    });
    // In this region only: its pages and head replicate with the global table to every replica.
    this.feedFunction = settings.changeFeed
      ? createFeedFunction(this, { settings, table: this.table, bundleDirectory, includeSourceMaps: props.includeSourceMaps ?? false })
      : undefined;
    registerReplicaSource(this, { props, replicaRegions: this.replicaRegions, tableName: this.table.tableName });

    const monitoring = new RevocationMonitoring(this, 'Monitoring', {
      namespace: settings.metricsNamespace,
      authorizerFunction: this.authorizerFunction,
      authorizerAlias: alias,
      ingest: {
        ingestFunction: this.ingestFunction,
        deliveryDeadLetterQueue: this.deliveryDeadLetterQueue,
        ingestFailureQueue: this.ingestFailureQueue,
      },
      snapshotFunction: this.snapshotFunction,
      feedFunction: this.feedFunction,
      table: this.table,
      replication: { receivingRegions: this.replicaRegions, syncOverlapMs: syncOverlapMs(settings) },
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
        Object.entries(authorizerEnvironment(this, settings, this.table.tableName, undefined)).filter(
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
        role: functionRole(this, 'ReceiverRole', receiverLogGroup),
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

  /**
   * Conditional UpdateItem on the table: all the ingest needs, and with `changeFeed` GetItem of the
   * change-head items only (`head#…`): INGEST_RAISE_CHANGE_HEAD=auto reads one after each batch to
   * see whether a feed is live. Denied, that read would count as "no feed" and every batch would
   * raise the head anyway.
   */
  private grantRevocationWrites(grantee: iam.IGrantable, changeFeed: boolean): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:UpdateItem'], resourceArns: [this.table.tableArn] });
    if (!changeFeed) return grant;
    return grant.combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['dynamodb:GetItem'],
        resourceArns: [this.table.tableArn],
        conditions: leadingKeys(REVOCATION_TABLE_SCHEMA.head.keyPrefix),
      }),
    );
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

import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { FUNCTION_TIMEOUT_SECONDS } from '../lambda/contract/index.js';
import { acknowledgeNag, acknowledgeRuntime, bundleCode, functionRole } from './authorizer-function.js';
import { snapshotEnvironment } from './function-environment.js';
import type { ResolvedSettings } from './props.js';

/** The snapshot's object key in the snapshot bucket. */
export const SNAPSHOT_KEY = 'revocations.snapshot';

/** `s3://bucket/revocations.snapshot`: REVOCATION_SNAPSHOT_URI of the functions reading or writing it. */
export function snapshotUriOf(bucket: s3.IBucket): string {
  return `s3://${bucket.bucketName}/${SNAPSHOT_KEY}`;
}

/**
 * The snapshot's bucket: encrypted (S3-managed keys), public access blocked, TLS only. Not
 * versioned: the object is rewritten every interval and derived from the table, so old versions
 * would only cost (the writer rescans the whole table every hour, which is the recovery from a
 * bad snapshot). Retained on stack deletion, as CDK does for buckets: empty and delete it by hand.
 */
export function createSnapshotBucket(scope: Construct): s3.Bucket {
  const bucket = new s3.Bucket(scope, 'SnapshotBucket', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    lifecycleRules: [{ id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) }],
  });
  acknowledgeNag(
    bucket,
    'AwsSolutions-S1',
    'The bucket holds one object, a snapshot derived from the revocation table, rewritten every snapshotInterval by the snapshot function and read at authorizer cold starts; both are in the functions’ logs and CloudTrail data events if enabled. Server access logs would add a second bucket of noise',
  );
  return bucket;
}

/**
 * Lets the grantee read the snapshot the way the authorizer does: s3:GetObject on the snapshot
 * object, and s3:ListBucket on the bucket (without it, S3 answers a snapshot not yet written with
 * AccessDenied rather than NoSuchKey, and the fallback's reason reads `unavailable`).
 */
export function grantReadSnapshot(grantee: iam.IGrantable, bucket: s3.IBucket): iam.Grant {
  return iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [bucket.arnForObjects(SNAPSHOT_KEY)] }).combine(
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [bucket.bucketArn] }),
  );
}

/** What the snapshot writer is built from. */
export interface SnapshotFunctionOptions {
  readonly settings: ResolvedSettings;
  readonly tableName: string;
  readonly bucket: s3.IBucket;
  readonly bundleDirectory: string;
  readonly includeSourceMaps: boolean;
  /** Grants the writer the authorizer's reads of the table (it reads it as the authorizer does). */
  readonly grantReadRevocations: (grantee: iam.IGrantable) => unknown;
}

/** The scheduled snapshot writer: one at a time, no retries (the next run is a minute away). */
export function createSnapshotFunction(scope: Construct, options: SnapshotFunctionOptions): lambda.Function {
  const { settings, bucket } = options;
  const logGroup = new logs.LogGroup(scope, 'SnapshotLogGroup', { retention: settings.logRetention });
  const fn = new lambda.Function(scope, 'SnapshotFunction', {
    ...settings.functionOptions,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    description: 'Writes the revocation snapshot that authorizer cold starts read',
    code: bundleCode(options.bundleDirectory, 'snapshot', options.includeSourceMaps),
    handler: 'snapshot.handler',
    role: functionRole(scope, 'SnapshotRole', logGroup),
    logGroup,
    // Its view is the authorizer's (about 25 bytes per revocation), and a Scan's pages pass
    // through it at its cold start and every hour: the authorizer's memory suffices.
    memorySize: settings.authorizerMemorySize,
    timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.snapshot),
    // One writer at a time: a run still going when the next is due makes that one wait, not race.
    reservedConcurrentExecutions: 1,
    retryAttempts: 0,
    maxEventAge: Duration.minutes(1),
    environment: snapshotEnvironment(settings, options.tableName, snapshotUriOf(bucket)),
  });
  acknowledgeRuntime(fn);
  options.grantReadRevocations(fn);
  grantReadSnapshot(fn, bucket);
  iam.Grant.addToPrincipal({ grantee: fn, actions: ['s3:PutObject'], resourceArns: [bucket.arnForObjects(SNAPSHOT_KEY)] });
  new events.Rule(scope, 'SnapshotSchedule', {
    description: 'Runs the revocation snapshot writer',
    schedule: events.Schedule.rate(settings.snapshotInterval),
    targets: [new targets.LambdaFunction(fn, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
  });
  return fn;
}

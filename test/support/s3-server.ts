import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/**
 * A real S3-compatible server (the npm `s3rver`, objects on disk in a temporary directory) on a
 * free loopback port: the snapshot's S3 path is tested over HTTP against it, through the AWS SDK,
 * not against a mock. s3rver accepts any credentials and serves path-style URLs, which the
 * snapshot store uses whenever AWS_ENDPOINT_URL_S3 is set.
 */
export interface LocalS3 {
  readonly endpoint: string;
  /** Environment that points the AWS SDK (and the bundles) at it. */
  readonly env: Record<string, string>;
  /** A client for the test itself: put, corrupt or delete snapshots. */
  readonly client: S3Client;
  stop(): Promise<void>;
}

export async function startS3(buckets: readonly string[]): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), 'revocation-authorizer-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const env = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_ENDPOINT_URL_S3: endpoint };
  const client = new S3Client({
    region: env.AWS_REGION,
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    env,
    client,
    async stop() {
      client.destroy();
      // The bundles' kept-alive connections would hold close() until they time out.
      server.httpServer?.closeAllConnections();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

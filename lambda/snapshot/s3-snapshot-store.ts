import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SnapshotSink, SnapshotSource } from '../revocation/index.js';
import { describeError, SnapshotRefusedError } from '../shared/index.js';

/**
 * A snapshot as an S3 object. Read with one GetObject whose body is streamed into the decoder (a
 * size cap from Content-Length and again while reading, the caller's deadline as the request's
 * abort signal, which also ends the body); written with one PutObject, which S3 applies atomically
 * per object: a reader gets the previous object or the new one, never a mix.
 */
export class S3SnapshotStore implements SnapshotSource, SnapshotSink {
  readonly uri: string;

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    readonly key: string,
  ) {
    this.uri = `s3://${bucket}/${key}`;
  }

  async *read(maxBytes: number, signal: AbortSignal): AsyncIterable<Uint8Array> {
    let body: Readable;
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key }), { abortSignal: signal });
      body = response.Body as Readable;
      if (response.ContentLength !== undefined && response.ContentLength > maxBytes) {
        body.destroy();
        throw new SnapshotRefusedError('too_large', `${this.uri} is ${response.ContentLength} bytes, more than ${maxBytes}`);
      }
    } catch (error) {
      if (error instanceof SnapshotRefusedError) throw error;
      // NoSuchKey needs s3:ListBucket: without it S3 answers AccessDenied for a missing key too.
      const missing =
        (error as { name?: string }).name === 'NoSuchKey' ||
        (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;
      throw new SnapshotRefusedError(missing ? 'missing' : 'unavailable', `cannot read ${this.uri}: ${describeError(error)}`, {
        cause: error,
      });
    }
    // The SDK aborts the request on the signal; the body, already flowing, is ended here.
    const stop = () => body.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', stop, { once: true });
    try {
      let total = 0;
      for await (const chunk of body) {
        total += (chunk as Uint8Array).length;
        if (total > maxBytes) throw new SnapshotRefusedError('too_large', `${this.uri} is more than ${maxBytes} bytes`);
        yield chunk as Uint8Array;
      }
    } catch (error) {
      if (error instanceof SnapshotRefusedError) throw error;
      throw new SnapshotRefusedError('unavailable', `reading ${this.uri} failed: ${describeError(error)}`, { cause: error });
    } finally {
      signal.removeEventListener('abort', stop);
      body.destroy();
    }
  }

  async write(parts: readonly Uint8Array[], byteLength: number, signal?: AbortSignal): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.key,
        // The parts are views of the live tables: streamed as they are, never joined into a copy.
        Body: Readable.from(parts, { objectMode: false }),
        ContentLength: byteLength,
        ContentType: 'application/octet-stream',
      }),
      { abortSignal: signal },
    );
  }
}

/**
 * An S3 client for snapshots: endpoint, region and credentials from the environment (AWS_REGION,
 * AWS_ENDPOINT_URL_S3, ...); path-style addressing when an endpoint is given (S3-compatible
 * servers rarely serve bucket sub-domains). No SDK checksum of its own: the snapshot carries a
 * SHA-256 that every reader checks, end to end, and the SDK's default CRC32 for PutObject would
 * need aws-chunked trailers that S3-compatible servers do not all speak.
 */
export function createSnapshotS3Client(options: { readonly forcePathStyle?: boolean } = {}): S3Client {
  const client = new S3Client({
    forcePathStyle: options.forcePathStyle ?? false,
    maxAttempts: 2,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true },
  });
  // As for DynamoDB (revocation-store.ts): the logger middleware's copy of each response costs CPU and logs nothing.
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}

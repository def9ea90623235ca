import type { SnapshotSink, SnapshotSource } from '../revocation/index.js';
import { FileSnapshotStore } from './file-snapshot-store.js';
import { createSnapshotS3Client, S3SnapshotStore } from './s3-snapshot-store.js';
import { parseSnapshotUri } from './snapshot-location.js';

/** A snapshot's location, to read from and write to. */
export type SnapshotStore = SnapshotSource & SnapshotSink;

/**
 * The store a snapshot URI names: a file, or an S3 object through a client made here (path-style
 * when `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` points the SDK at an S3-compatible server).
 * @throws TypeError for a URI that is neither (the configuration checks it first).
 */
export function openSnapshotStore(uri: string, env: Readonly<Record<string, string | undefined>> = process.env): SnapshotStore {
  const location = parseSnapshotUri(uri);
  if (location.kind === 'file') return new FileSnapshotStore(location.path);
  const customEndpoint = (env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? '') !== '';
  return new S3SnapshotStore(createSnapshotS3Client({ forcePathStyle: customEndpoint }), location.bucket, location.key);
}

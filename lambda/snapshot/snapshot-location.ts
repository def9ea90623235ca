import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where a revocation snapshot lives: an S3 object, or a file (the local stack, tests). */
export type SnapshotLocation =
  | { readonly kind: 's3'; readonly uri: string; readonly bucket: string; readonly key: string }
  | { readonly kind: 'file'; readonly uri: string; readonly path: string };

// S3's bucket naming rules (general purpose buckets): 3 to 63 lower-case letters, digits, dots and
// hyphens, starting and ending with a letter or digit.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** S3's limit on an object key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

/** What REVOCATION_SNAPSHOT_URI (and `npm run snapshot -- --out`) must look like. */
export const SNAPSHOT_URI_SHAPE = 's3://BUCKET/KEY or file:///ABSOLUTE/PATH';

/**
 * Reads a snapshot URI: `s3://bucket/key` or `file:///absolute/path`.
 * @throws TypeError naming what is wrong.
 */
export function parseSnapshotUri(uri: string): SnapshotLocation {
  if (uri.startsWith('s3://')) {
    const rest = uri.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? '' : rest.slice(slash + 1);
    if (!BUCKET_NAME.test(bucket)) throw new TypeError(`"${bucket}" is not an S3 bucket name`);
    if (key === '' || key.endsWith('/')) throw new TypeError('the S3 URI names no object key (s3://BUCKET/KEY)');
    if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new TypeError(`the object key is longer than S3's ${MAX_KEY_BYTES} bytes`);
    return { kind: 's3', uri, bucket, key };
  }
  if (uri.startsWith('file:')) {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new TypeError('not a valid file: URL');
    }
    if (url.search !== '' || url.hash !== '') throw new TypeError('a file: URL for a snapshot takes no query or fragment');
    if (url.hostname !== '' && url.hostname !== 'localhost')
      throw new TypeError('a file: URL must name a local path (file:///ABSOLUTE/PATH)');
    const path = fileURLToPath(url);
    if (path.endsWith('/')) throw new TypeError('a file: URL for a snapshot must name a file, not a directory');
    return { kind: 'file', uri: pathToFileURL(path).href, path };
  }
  throw new TypeError(`must be ${SNAPSHOT_URI_SHAPE}`);
}

/** Why `uri` is not a snapshot URI, or undefined when it is. */
export function snapshotUriProblem(uri: string): string | undefined {
  try {
    parseSnapshotUri(uri);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EnvReader, type Environment } from '../lambda/config/index.js';
import { readStackState } from './stack-state.js';

/** The snapshot file the local stack keeps current, and its authorizer reads at cold start. */
export const LOCAL_SNAPSHOT_FILE = 'revocations.snapshot';

/** `file://` URI of the local stack's snapshot in `dataDir`. */
export function localSnapshotUri(dataDir: string): string {
  return pathToFileURL(join(dataDir, LOCAL_SNAPSHOT_FILE)).href;
}

/** Where `npm run snapshot` reads the revocation table. */
export type SnapshotTableTarget =
  /** AWS_ENDPOINT_URL_DYNAMODB, or the running local stack's dynalite. */
  | { readonly kind: 'endpoint'; readonly endpoint: string; readonly chosenBy: 'AWS_ENDPOINT_URL_DYNAMODB' | 'state file' }
  /** The local stack's data on disk, with no stack running: the CLI opens it itself. */
  | { readonly kind: 'data'; readonly path: string }
  /** The table on AWS (region and credentials from the SDK's usual sources). */
  | { readonly kind: 'aws' };

/**
 * Where to read, from the environment: AWS_ENDPOINT_URL_DYNAMODB if set; else the local stack
 * running on DATA_DIR (its state file); else DATA_DIR's table on disk when there is one; else
 * AWS. The default output is the local stack's snapshot file in DATA_DIR, except on AWS, where
 * `--out` must say where.
 */
export function resolveSnapshotTarget(
  env: Environment,
  cwd = process.cwd(),
): { table: SnapshotTableTarget; dataDir: string; defaultOut: string | undefined } {
  const read = new EnvReader(env);
  const dataDir = resolve(cwd, read.string('DATA_DIR', '.data'));
  const endpoint = read.optional('AWS_ENDPOINT_URL_DYNAMODB');
  const state = readStackState(dataDir);
  const table: SnapshotTableTarget =
    endpoint !== undefined
      ? { kind: 'endpoint', endpoint, chosenBy: 'AWS_ENDPOINT_URL_DYNAMODB' }
      : state !== undefined
        ? { kind: 'endpoint', endpoint: state.dynamodbEndpoint, chosenBy: 'state file' }
        : existsSync(join(dataDir, 'dynamodb'))
          ? { kind: 'data', path: join(dataDir, 'dynamodb') }
          : { kind: 'aws' };
  return { table, dataDir, defaultOut: table.kind === 'aws' ? undefined : localSnapshotUri(dataDir) };
}

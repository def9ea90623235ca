import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  EnvReader,
  loadAuthorizerConfig,
  loadFeedWriterConfig,
  loadIngestConfig,
  loadSnapshotWriterConfig,
  type Environment,
  type FeedWriterConfig,
} from '../lambda/config/index.js';
import { DEFAULT_TOKEN_SOURCES, parseTokenSources, type TokenSource } from '../lambda/contract/index.js';
import { ConfigurationError } from '../lambda/shared/index.js';
import { LOCAL_PATHS, RESERVED_PREFIX } from './local-routes.js';
import { LOCAL_APIS, readRouteTable, RouteTable, type LocalApi } from './route-table.js';
import { localSnapshotUri } from './snapshot-target.js';

/** The local stack's settings, read once from the environment (README.md, "Configuration"). */
export interface LocalStackConfig {
  /** Address every port binds to. @default 127.0.0.1 (nothing is reachable from other machines) */
  readonly host: string;
  /** The HTTP API gateway, and the stack's own endpoints under /_local. @default 3000 */
  readonly port: number;
  /** dynalite. @default 8000 */
  readonly dynamodbPort: number;
  /** Absolute; holds the DynamoDB data, the demo issuer key, the dead-letter file. @default .data */
  readonly dataDir: string;
  /** @default us-east-1 */
  readonly region: string;
  /** @default revocations */
  readonly tableName: string;
  /** An HTTP backend to proxy allowed requests to, instead of the echo backend. */
  readonly upstreamUrl: URL | undefined;
  /** `demo` unless JWT_ISSUER, JWT_ISSUERS or JWKS_URI is set: then only that issuer is trusted. */
  readonly issuerMode: 'demo' | 'external';
  /** The demo issuer's `aud`. @default JWT_AUDIENCE, else local-api */
  readonly demoAudience: string;
  /** Where dist/authorizer.mjs and dist/ingest.mjs are: dist/ of this repository. */
  readonly bundleDir: string;
  /**
   * The authorizer's REVOCATION_SYNC_INTERVAL_MS: a revocation written now is enforced by the
   * gateway's warm authorizer from this long after the write on. @default 1000
   */
  readonly revocationSyncIntervalMs: number;
  /**
   * Where the stack keeps a revocation snapshot current (dist/snapshot.mjs) and its authorizer reads
   * one at cold start: REVOCATION_SNAPSHOT_URI, else file://DATA_DIR/revocations.snapshot; undefined
   * when LOCAL_SNAPSHOT_INTERVAL_MS is 0.
   */
  readonly snapshotUri: string | undefined;
  /** How often the stack writes the snapshot (and once more at shutdown). @default 60000 */
  readonly snapshotIntervalMs: number;
  /**
   * The change-feed writer's settings (FEED_INTERVAL_MS, REVOCATION_SYNC_OVERLAP_MS) when
   * LOCAL_CHANGE_FEED is on: the stack then runs the writer in its process against its table, as
   * the feed function does on AWS. @default undefined (off)
   */
  readonly changeFeed: FeedWriterConfig | undefined;
  /** The API Gateway flavour the gateway plays (LOCAL_API). @default http-v2 */
  readonly api: LocalApi;
  /** The routes the gateway matches (LOCAL_ROUTES, LOCAL_ROUTES_FILE). @default the JWT_ROUTE_SCOPES keys and `$default` */
  readonly routes: RouteTable;
  /** The authorizer's JWT_TOKEN_SOURCES: what the gateway checks as the identity source. */
  readonly tokenSources: readonly TokenSource[];
}

const REPOSITORY_ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');

/**
 * Reads the stack's variables and checks the two functions' configuration as they will see it, so
 * every problem, the stack's and the functions', is reported at once, each naming its variable.
 */
export function loadLocalStackConfig(env: Environment, cwd = process.cwd()): LocalStackConfig {
  const read = new EnvReader(env);
  const port = read.integer('PORT', 3000, 'a TCP port', 0, 65_535);
  const dynamodbPort = read.integer('DYNAMODB_PORT', 8000, 'a TCP port', 0, 65_535);
  if (port !== 0 && port === dynamodbPort) read.problems.push(`PORT and DYNAMODB_PORT must differ, both are ${port}`);
  const upstream = read.optional('UPSTREAM_URL');
  let upstreamUrl: URL | undefined;
  if (upstream !== undefined) {
    try {
      upstreamUrl = new URL(upstream);
      if (upstreamUrl.protocol !== 'http:' && upstreamUrl.protocol !== 'https:') throw new TypeError('not http');
    } catch {
      read.problems.push(`UPSTREAM_URL must be an http:// or https:// URL, got "${upstream}"`);
    }
  }
  const external = ['JWT_ISSUER', 'JWT_ISSUERS', 'JWKS_URI'].some((name) => read.optional(name) !== undefined);
  const demoAudience = read.string('JWT_AUDIENCE', 'local-api');
  // The functions read their own variables at their cold start, after the stack has started
  // dynalite and the gateway; checked here too, a wrong one stops the start before anything runs
  // and appears in the same list as the stack's own. The demo issuer's values are stand-ins of
  // the same shape as those the stack gives the authorizer once its port is known.
  const functionEnv: Record<string, string | undefined> = external
    ? { ...env }
    : {
        ...env,
        JWT_ISSUER: `http://localhost:${port}${RESERVED_PREFIX}/issuer`,
        JWT_AUDIENCE: demoAudience,
        JWKS_URI: `http://127.0.0.1:${port}${LOCAL_PATHS.jwks}`,
      };
  const snapshotIntervalMs = read.integer('LOCAL_SNAPSHOT_INTERVAL_MS', 60_000, 'milliseconds (0 turns the snapshot off)', 0);
  const dataDir = resolve(cwd, read.string('DATA_DIR', '.data'));
  const snapshotUri = snapshotIntervalMs === 0 ? undefined : (read.optional('REVOCATION_SNAPSHOT_URI') ?? localSnapshotUri(dataDir));
  if (snapshotUri !== undefined) functionEnv.REVOCATION_SNAPSHOT_URI = snapshotUri;
  const authorizer = collectProblems(read.problems, () => loadAuthorizerConfig(functionEnv));
  collectProblems(read.problems, () => loadIngestConfig(functionEnv));
  if (snapshotUri !== undefined) collectProblems(read.problems, () => loadSnapshotWriterConfig(functionEnv));
  const changeFeed = read.boolean('LOCAL_CHANGE_FEED', false)
    ? collectProblems(read.problems, () => loadFeedWriterConfig(functionEnv))
    : undefined;
  const api = read.oneOf('LOCAL_API', LOCAL_APIS, 'http-v2');
  const routes = readRouteTable(env, cwd);
  read.problems.push(...routes.problems);
  const config: LocalStackConfig = {
    host: read.string('HOST', '127.0.0.1'),
    port,
    dynamodbPort,
    dataDir,
    region: read.string('AWS_REGION', read.string('AWS_DEFAULT_REGION', 'us-east-1')),
    tableName: read.string('REVOCATION_TABLE_NAME', 'revocations'),
    upstreamUrl,
    issuerMode: external ? 'external' : 'demo',
    demoAudience,
    bundleDir: resolve(REPOSITORY_ROOT, 'dist'),
    revocationSyncIntervalMs: authorizer?.revocation.syncIntervalMs ?? 1000,
    snapshotUri,
    snapshotIntervalMs,
    changeFeed,
    api,
    routes: routes.table,
    tokenSources: authorizer?.request.tokenSources ?? parseTokenSources(DEFAULT_TOKEN_SOURCES).sources,
  };
  if (read.problems.length > 0) throw new ConfigurationError(read.problems);
  return Object.freeze(config);
}

/** Runs a function's config loader; its problems join `problems` (once each: both functions read some variables). */
function collectProblems<T>(problems: string[], load: () => T): T | undefined {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    for (const problem of error.problems) if (!problems.includes(problem)) problems.push(problem);
    return undefined;
  }
}

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { describeError } from '../lambda/shared/index.js';
import { FUNCTION_TIMEOUT_SECONDS } from '../lambda/contract/index.js';
import { startChangeFeed } from './change-feed.js';
import { SERVICE_NAMES } from '../lambda/contract/index.js';
import { DemoIssuer } from './demo-issuer.js';
import { localDynamoClient, startDynamoServer, urlHost, type DynamoServer } from './dynamo-server.js';
import { echoBackend } from './echo-backend.js';
import { createGateway } from './gateway.js';
import { LambdaFunction } from './lambda-runtime.js';
import { closeServer, listen } from './listen.js';
import { createLocalRoutes, LOCAL_PATHS, RESERVED_PREFIX } from './local-routes.js';
import { createReceiverRoute, demoClientHashes } from './receiver-route.js';
import { SnsSubscription } from './sns-delivery.js';
import { createSnsEndpoint, localTopicArn } from './sns-endpoint.js';
import type { LocalStackConfig } from './stack-config.js';
import { claimDataDir, removeStackState, writeStackState, type StackState } from './stack-state.js';
import { upstreamProxy } from './upstream-proxy.js';

export interface LocalStack {
  readonly config: LocalStackConfig;
  readonly state: StackState;
  /** The issuer the authorizer trusts: the demo issuer's URL, or JWT_ISSUER(S). */
  readonly trustedIssuer: string;
  /** The authorizer's cold start (revocation load, key prefetch), finished before the stack is ready. */
  readonly coldStart: ColdStartOutcome;
  /** Stops taking requests, lets running ones (and their revocation writes) finish, closes the data. */
  stop(): Promise<void>;
}

/** How the authorizer's cold-start preparation ended; a failed one is retried by requests, as on Lambda. */
export type ColdStartOutcome =
  { readonly ok: true; readonly loadMs: number; readonly revocations: number } | { readonly ok: false; readonly error: string };

export interface StackOutput {
  /** Lines for the console: access log, dead-letter notices. */
  readonly log: (line: string) => void;
}

/** How long shutdown waits for requests in flight before cutting connections. */
const DRAIN_TIMEOUT_MS = 5000;

/**
 * Starts the whole product on one machine, in this order: dynalite with the table; the gateway's
 * port (its /_local endpoints answer at once, API requests wait for the stack to be ready, so the
 * authorizer's cold start can fetch the demo JWKS from it); the two bundles, each imported once
 * with its environment set on process.env first (they read it at module scope).
 */
export async function startLocalStack(config: LocalStackConfig, output: StackOutput): Promise<LocalStack> {
  const bundles = {
    authorizer: join(config.bundleDir, 'authorizer.mjs'),
    ingest: join(config.bundleDir, 'ingest.mjs'),
    snapshot: join(config.bundleDir, 'snapshot.mjs'),
    receiver: join(config.bundleDir, 'receiver.mjs'),
  };
  for (const [name, path] of Object.entries(bundles)) {
    if (name === 'snapshot' && config.snapshotUri === undefined) continue;
    if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build (npm start does it first)`);
  }
  await mkdir(config.dataDir, { recursive: true });
  await claimDataDir(config.dataDir);
  let dynamo: DynamoServer;
  try {
    dynamo = await startDynamoServer({
      host: config.host,
      port: config.dynamodbPort,
      path: join(config.dataDir, 'dynamodb'),
      region: config.region,
      tableName: config.tableName,
    });
  } catch (error) {
    await removeStackState(config.dataDir);
    throw error;
  }

  const cleanups: (() => Promise<void>)[] = [() => removeStackState(config.dataDir), () => dynamo.stop()];
  try {
    return await startRest(config, output, bundles, dynamo, cleanups);
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    throw error;
  }
}

async function startRest(
  config: LocalStackConfig,
  output: StackOutput,
  bundles: { authorizer: string; ingest: string; receiver: string; snapshot: string },
  dynamo: DynamoServer,
  cleanups: (() => Promise<void>)[],
): Promise<LocalStack> {
  const api = { apiId: 'local', region: config.region };
  const topicArn = localTopicArn(config.region);
  const deadLetterPath = join(config.dataDir, 'dead-letter.jsonl');
  let markReady!: () => void;
  let failStart!: (error: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failStart = reject;
  });
  // Requests waiting on a start that failed get a 500, and nobody else observes the rejection.
  ready.catch(() => {});
  let isReady = false;
  let authorizer: LambdaFunction | undefined;
  let ingest: LambdaFunction | undefined;
  let snapshotWriter: LambdaFunction | undefined;
  let receiver: LambdaFunction | undefined;
  let subscription: SnsSubscription | undefined;
  let demoIssuer: DemoIssuer | undefined;
  let trustedIssuer = '';

  const sns = createSnsEndpoint({
    region: config.region,
    enforcedWithinMs: config.revocationSyncIntervalMs,
    deliver: async (publication) => {
      await ready;
      return subscription!.deliver(publication);
    },
  });
  const server = createServer(
    createGateway({
      api,
      authorize: (event) => authorizer!.invoke(event),
      backend: config.upstreamUrl ? upstreamProxy(config.upstreamUrl) : echoBackend(api),
      reservedPrefix: RESERVED_PREFIX,
      localRoutes: createLocalRoutes({
        get demoIssuer() {
          return demoIssuer;
        },
        sns,
        receiver: createReceiverRoute({ api, receiver: () => receiver, enforcedWithinMs: config.revocationSyncIntervalMs }),
        status: () => ({
          ready: isReady,
          issuer: trustedIssuer,
          topicArn,
          tableName: config.tableName,
          dynamodbEndpoint: dynamo.endpoint,
          backend: config.upstreamUrl?.href ?? 'echo',
          api: config.api,
          routes: config.routes.keys,
        }),
      }),
      ready,
      accessLog: output.log,
      flavour: config.api,
      routes: config.routes,
      tokenSources: config.tokenSources,
    }),
  );
  const port = await listen(server, config.port, config.host, 'PORT');
  const closeGateway = () => closeServer(server, DRAIN_TIMEOUT_MS);
  cleanups.push(closeGateway);
  const gatewayUrl = `http://${config.host === '127.0.0.1' || config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : urlHost(config.host)}:${port}`;
  const loopbackUrl = `http://${urlHost(config.host)}:${port}`;

  try {
    const lambdaEnv: Record<string, string> = {
      AWS_REGION: config.region,
      // Only dynalite is ever called: dummy credentials keep the SDK from looking for real ones.
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      REVOCATION_TABLE_NAME: config.tableName,
      // EMF metric lines are for CloudWatch; on a console they are noise unless asked for.
      POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
      // The authorizer's cold start reads it; dist/snapshot.mjs keeps it current (below).
      ...(config.snapshotUri === undefined ? {} : { REVOCATION_SNAPSHOT_URI: config.snapshotUri }),
    };
    if (config.issuerMode === 'demo') {
      demoIssuer = await DemoIssuer.open({
        keyPath: join(config.dataDir, 'demo-issuer-key.json'),
        issuer: `http://localhost:${port}${RESERVED_PREFIX}/issuer`,
        audience: config.demoAudience,
      });
      Object.assign(lambdaEnv, {
        JWT_ISSUER: demoIssuer.issuer,
        JWT_AUDIENCE: demoIssuer.audience,
        JWKS_URI: `${loopbackUrl}${LOCAL_PATHS.jwks}`,
      });
      trustedIssuer = demoIssuer.issuer;
    } else {
      trustedIssuer = process.env.JWT_ISSUER ?? process.env.JWT_ISSUERS ?? '';
    }
    // The receiver publishes to this stack's SNS endpoint, as it publishes to the topic on AWS.
    Object.assign(lambdaEnv, {
      REVOCATION_TOPIC_ARN: topicArn,
      AWS_ENDPOINT_URL_SNS: `${loopbackUrl}${LOCAL_PATHS.sns}`,
      ...(config.issuerMode === 'demo' &&
      process.env.RECEIVER_CLIENTS === undefined &&
      process.env.RECEIVER_CLIENTS_SECRET_ARN === undefined
        ? { RECEIVER_CLIENTS: JSON.stringify(demoClientHashes()) }
        : {}),
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    Object.assign(process.env, lambdaEnv);

    authorizer = await loadFunction({
      name: SERVICE_NAMES.authorizer,
      bundlePath: bundles.authorizer,
      timeoutMs: FUNCTION_TIMEOUT_SECONDS.authorizer * 1000,
      region: config.region,
    });
    ingest = await loadFunction({
      name: SERVICE_NAMES.ingest,
      bundlePath: bundles.ingest,
      timeoutMs: FUNCTION_TIMEOUT_SECONDS.ingest * 1000,
      region: config.region,
    });
    if (config.snapshotUri !== undefined) {
      snapshotWriter = await loadFunction({
        name: SERVICE_NAMES.snapshot,
        bundlePath: bundles.snapshot,
        timeoutMs: FUNCTION_TIMEOUT_SECONDS.snapshot * 1000,
        region: config.region,
      });
    }
    subscription = new SnsSubscription({ subscriber: ingest, deadLetterPath, log: output.log });
    receiver = await loadFunction({
      name: SERVICE_NAMES.receiver,
      bundlePath: bundles.receiver,
      timeoutMs: FUNCTION_TIMEOUT_SECONDS.receiver * 1000,
      region: config.region,
    });
  } catch (error) {
    failStart(error);
    throw error;
  }
  // Ready means the first request finds every revocation loaded: the authorizer's load runs
  // after its import, in the background, and takes seconds at tens of thousands of entries.
  const coldStart = await coldStartOf(authorizer);

  const state: StackState = {
    pid: process.pid,
    gatewayUrl,
    snsEndpoint: `${loopbackUrl}${LOCAL_PATHS.sns}`,
    receiverUrl: `${gatewayUrl}${LOCAL_PATHS.receiver}`,
    topicArn,
    region: config.region,
    dynamodbEndpoint: dynamo.endpoint,
    deadLetterPath,
    ...(demoIssuer ? { demoIssuer: demoIssuer.issuer } : {}),
    startedAt: new Date().toISOString(),
  };
  await writeStackState(config.dataDir, state);
  isReady = true;
  markReady();

  // The snapshot the next start's authorizer reads: written now, every interval, and at shutdown,
  // as the scheduled function does on AWS. A failed write is reported, never fatal.
  const writeSnapshot = async (when: string): Promise<void> => {
    if (snapshotWriter === undefined) return;
    const result = await snapshotWriter.invoke({ source: 'local-stack', when });
    if (!result.ok) output.log(`revocation snapshot not written (${when}): ${result.error.errorType}: ${result.error.errorMessage}`);
  };
  void writeSnapshot('start');
  const snapshotTimer =
    snapshotWriter === undefined ? undefined : setInterval(() => void writeSnapshot('interval'), config.snapshotIntervalMs).unref();

  // LOCAL_CHANGE_FEED: the feed writer, in this process, on a client of its own (closed at shutdown).
  const feedClient = config.changeFeed === undefined ? undefined : localDynamoClient(dynamo.endpoint, config.region);
  const changeFeed =
    config.changeFeed === undefined || feedClient === undefined
      ? undefined
      : startChangeFeed({
          client: feedClient,
          tableName: config.tableName,
          overlapMs: config.changeFeed.syncOverlapMs,
          intervalMs: config.changeFeed.intervalMs,
          output: output.log,
        });

  const functions = [authorizer, ingest, receiver];
  let stopping: Promise<void> | undefined;
  return {
    config,
    state,
    trustedIssuer,
    coldStart,
    stop() {
      // No new requests; requests in flight finish (a Publish is answered only once its
      // revocation is written); the functions go idle; the state file goes; LevelDB closes last.
      stopping ??= (async () => {
        await closeGateway();
        clearInterval(snapshotTimer);
        await Promise.all(functions.map((fn) => fn.idle()));
        await snapshotWriter?.idle();
        await writeSnapshot('shutdown');
        await changeFeed?.stop();
        feedClient?.destroy();
        await removeStackState(config.dataDir);
        await dynamo.stop();
      })();
      return stopping;
    },
  };
}

async function coldStartOf(authorizer: LambdaFunction): Promise<ColdStartOutcome> {
  if (authorizer.coldStart === undefined) return { ok: false, error: 'the authorizer bundle exports no coldStart promise' };
  try {
    const report = (await authorizer.coldStart) as { loadMs?: unknown; revocations?: Record<string, unknown> } | undefined;
    const counts = Object.values(report?.revocations ?? {}).filter((count): count is number => typeof count === 'number');
    return { ok: true, loadMs: Number(report?.loadMs), revocations: counts.reduce((sum, count) => sum + count, 0) };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

async function loadFunction(options: Parameters<typeof LambdaFunction.load>[0]): Promise<LambdaFunction> {
  try {
    return await LambdaFunction.load(options);
  } catch (error) {
    throw new Error(`${options.name} (${options.bundlePath}) failed its cold start: ${describeError(error)}`, { cause: error });
  }
}

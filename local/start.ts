/**
 * `npm start`: the whole product on one machine. Reads PORT, DYNAMODB_PORT, DATA_DIR (and HOST,
 * UPSTREAM_URL, JWT_ISSUER/JWT_AUDIENCE/JWKS_URI; see docs/local.md), starts the stack, prints
 * where everything is, and shuts down cleanly on SIGINT or SIGTERM.
 */
import './quiet-node-warning.js';
import { relative } from 'node:path';
import { ConfigurationError } from '../lambda/shared/index.js';
import { LOCAL_PATHS } from './local-routes.js';
import { loadLocalStackConfig, type LocalStackConfig } from './stack-config.js';
import { startLocalStack, type LocalStack } from './stack.js';

/** Longest a shutdown may take before the process gives up on it. */
const SHUTDOWN_TIMEOUT_MS = 15_000;

let stack: LocalStack | undefined;
/** What asked the stack to stop: a signal, or the reader of its output going away. */
let stopRequested: NodeJS.Signals | 'EPIPE' | undefined;

function requestStop(reason: NonNullable<typeof stopRequested>): void {
  // A signal may arrive twice (sent to the process group, and forwarded by npm): one shutdown.
  if (stopRequested !== undefined) return;
  stopRequested = reason;
  if (stack !== undefined) void shutDown(stack, reason);
}

// Installed before anything starts, so a signal during start-up also ends in a clean stop.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => requestStop(signal));
// `npm start | head`: once the reader has gone, a write fails with EPIPE, which would otherwise
// kill the process mid-write; stop cleanly instead, as for SIGTERM (nobody is left to read why).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') requestStop('EPIPE');
  });
}
// On Lambda an unhandled rejection ends the instance; here it must not end the whole stack.
process.on('unhandledRejection', (reason) => {
  console.error(`unhandled rejection in the local stack: ${reason instanceof Error ? reason.stack : String(reason)}`);
});

try {
  const config: LocalStackConfig = loadLocalStackConfig(process.env);
  stack = await startLocalStack(config, { log: (line) => console.log(line) });
} catch (error) {
  const problems = error instanceof ConfigurationError ? error.problems : [error instanceof Error ? error.message : String(error)];
  console.error(`local stack not started:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  process.exit(1);
}

if (stopRequested !== undefined) await shutDown(stack, stopRequested);
else console.log(banner(stack));

async function shutDown(running: LocalStack, reason: NonNullable<typeof stopRequested>): Promise<void> {
  console.log(`${reason === 'EPIPE' ? 'output closed' : reason}: stopping the local stack…`);
  setTimeout(() => {
    console.error(`shutdown took longer than ${SHUTDOWN_TIMEOUT_MS / 1000} s; exiting anyway`);
    process.exit(1);
  }, SHUTDOWN_TIMEOUT_MS).unref();
  try {
    await running.stop();
  } catch (error) {
    console.error(`shutdown failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  }
  console.log(`stopped; data kept in ${displayPath(running.config.dataDir)}`);
  process.exit(0);
}

function banner({ config, state, trustedIssuer, coldStart }: LocalStack): string {
  const url = state.gatewayUrl;
  const data = displayPath(config.dataDir);
  // The CLIs find the stack on port 3000 unless told otherwise.
  const port = new URL(url).port;
  const npm = (script: string) => `${port === '3000' ? '' : `PORT=${port} `}npm run ${script} --`;
  const issuer = config.issuerMode === 'demo' ? 'demo issuer' : `trusting ${trustedIssuer}`;
  // performance.now() counts from the process start: the build before it is npm's.
  const readyIn = `${(performance.now() / 1000).toFixed(1)} s`;
  const headline = coldStart.ok
    ? `Local stack ready in ${readyIn} (${issuer}; the authorizer loaded ${count(coldStart.revocations, 'revocation')} in ${Math.round(coldStart.loadMs)} ms)`
    : `Local stack ready in ${readyIn} (${issuer}), but the authorizer's cold start failed: ${coldStart.error}; requests retry it`;
  const lines = [
    '',
    headline,
    `  API, through the authorizer   ${url}/  (${apiDescription(config)}backend: ${config.upstreamUrl?.href ?? 'echo'})`,
    ...(config.issuerMode === 'demo'
      ? [`  demo issuer                   ${url}${LOCAL_PATHS.token}?sub=alice&client=web  (JWKS ${url}${LOCAL_PATHS.jwks})`]
      : []),
    `  SNS endpoint                  ${state.snsEndpoint}  (topic ${state.topicArn})`,
    `  revocation receiver           ${url}${LOCAL_PATHS.receiver}/oidc/backchannel-logout  (also /ssf/events, /oauth2/revoke)`,
    `  DynamoDB (dynalite)           ${state.dynamodbEndpoint}  (table ${config.tableName}, data in ${data}/)`,
    `  dead letters                  ${displayPath(state.deadLetterPath)}`,
    '',
    'Try it:',
    config.issuerMode === 'demo' ? `  TOKEN=$(${npm('token')} --sub alice --client web)` : '  TOKEN=<an access token from your issuer>',
    `  curl -i ${url}/hello -H "Authorization: Bearer $TOKEN"      # 200: the echo shows the claims`,
    `  echo "$TOKEN" | ${npm('revoke')} --token -`,
    `  curl -i ${url}/hello -H "Authorization: Bearer $TOKEN"      # 403`,
    '',
    `Ctrl-C stops the stack; revocations stay in ${data}/.`,
  ];
  return lines.join('\n');
}

/** The flavour and the routes when they are not the default (an HTTP API, payload 2.0, `$default` alone), as `…; `. */
function apiDescription(config: LocalStackConfig): string {
  const names = {
    'http-v2': 'HTTP API payload 2.0',
    'http-v1': 'HTTP API payload 1.0',
    'rest-token': 'REST API, TOKEN authorizer',
    'rest-request': 'REST API, REQUEST authorizer',
  } as const;
  const routes = config.routes.keys;
  const defaultRoutes = routes.length === 1 && routes[0] === '$default';
  if (config.api === 'http-v2' && defaultRoutes) return '';
  return `${names[config.api]}${defaultRoutes ? '' : `, routes ${routes.join(', ')}`}; `;
}

function count(value: number, noun: string): string {
  return `${value.toLocaleString('en-US')} ${noun}${value === 1 ? '' : 's'}`;
}

function displayPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere !== '' && !fromHere.startsWith('..') ? fromHere : path;
}

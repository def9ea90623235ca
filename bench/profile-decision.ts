/**
 * Where a fresh decision's time goes: the decision path wired from the TypeScript sources (as
 * lambda/authorizer.ts wires it: Powertools logger and metrics, key resolver against a local JWKS
 * server, revocation view loaded with 100,000 entries from memory instead of DynamoDB, the
 * verified-token cache full), fresh tokens of one algorithm through the handler while V8's
 * sampling profiler runs, and only then. Not part of `npm run bench`; for the optimisation work:
 *
 *   npx tsx bench/profile-decision.ts [RS256|PS256|ES256|EdDSA] [TOKENS] [stages]     (default RS256 4000)
 *
 * TOKEN_CACHE_MAX_ENTRIES, if set, is passed to the verifier (0 turns its cache off).
 *
 * With `stages`, no profiler: the stages' own time per decision instead, from timing wrappers put
 * around the exported methods the handler reaches (TokenVerifier.verify, TokenParser.parse,
 * SignatureVerifier.verifyEncoded, findRevocation, ContextBuilder.contextOf), with each token
 * verified by a bare crypto.verify just before it goes through the handler. Medians per stage;
 * the wrappers add about 0.1 µs each, which the sampler's inflation of native calls does not.
 *
 * Prints self time per function (the JavaScript itself; V8 builtins such as JSON.parse and
 * native code count in the function that calls them), inclusive time of the path's stages, and
 * crypto.verify's own time on the same tokens for scale; writes the .cpuprofile (open it in
 * Chrome DevTools or speedscope) to the temporary directory, path printed.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { constants, createPublicKey, KeyObject, randomUUID, verify } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ContextBuilder } from '../lambda/api-gateway/index.js';
import { createAuthorizerHandler } from '../lambda/authorizer-handler.js';
import { loadAuthorizerConfig } from '../lambda/config/index.js';
import { DecisionMetrics } from '../lambda/decision-metrics.js';
import { powertoolsLog } from '../lambda/powertools-log.js';
import { createRevocationChecker, type Revocation } from '../lambda/revocation/index.js';
import { KeyResolver, SignatureVerifier, TokenParser, TokenVerifier } from '../lambda/token/index.js';
import { httpApiV2Event } from '../test/support/api-gateway-events.js';
import { TestIssuer } from '../test/support/issuer.js';
import { median } from './support/stats.js';
import { BENCH_ALGORITHMS, signBenchToken, type BenchAlgorithm } from './support/tokens.js';

const alg = (process.argv[2] ?? 'RS256') as BenchAlgorithm;
if (!BENCH_ALGORITHMS.includes(alg)) throw new Error(`algorithm must be one of ${BENCH_ALGORITHMS.join(', ')}, got ${alg}`);
const TOKENS = Number(process.argv[3] ?? 4000);
const STAGES = process.argv[4] === 'stages';
const WARMUP = 1000;
const ISSUER = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI';

const issuer = await TestIssuer.start({ algorithms: [...new Set<BenchAlgorithm>([alg, 'EdDSA'])], issuer: ISSUER });
const nowSeconds = Math.floor(Date.now() / 1000);
const revocations: Revocation[] = Array.from({ length: 100_000 }, () => ({
  kind: 'jti',
  issuer: ISSUER,
  jti: randomUUID(),
  expiresAtEpochSeconds: nowSeconds + 3600,
}));

// TOKEN_CACHE_MAX_ENTRIES passes through, to see what the verified-token cache costs (0: none).
const config = loadAuthorizerConfig({
  ...issuer.env,
  ...(process.env.TOKEN_CACHE_MAX_ENTRIES === undefined ? {} : { TOKEN_CACHE_MAX_ENTRIES: process.env.TOKEN_CACHE_MAX_ENTRIES }),
});
const log = powertoolsLog(new Logger({ serviceName: 'profile' }));
const revocationChecker = createRevocationChecker({
  reader: {
    scanLive: async (_segments, _now, visit) => {
      for (const revocation of revocations) visit(revocation);
      return { items: revocations.length, expired: 0, skipped: 0 };
    },
    queryChanges: async () => ({ items: 0, expired: 0, skipped: 0 }),
    getForToken: async () => [],
  },
  settings: config.revocation,
  rules: config.rules,
  log,
});
const keys = config.issuers.map((entry) => new KeyResolver(entry, config.jwks, log));
const handler = createAuthorizerHandler({
  verifier: new TokenVerifier(config, keys),
  revocations: revocationChecker,
  log,
  decisions: new DecisionMetrics(new Metrics({ namespace: 'profile', serviceName: 'profile' }), () => ({
    revocationEntries: 0,
    revocationSyncLagMs: 0,
    failOpenAllows: 0,
  })),
  initialize: async () => {
    await Promise.all([revocationChecker.load(), ...keys.map((key) => key.prefetch())]);
  },
});

function token(tokenAlg: BenchAlgorithm): { event: string; data: Buffer; signature: Buffer } {
  const key = issuer.key(tokenAlg);
  const signed = signBenchToken(
    tokenAlg,
    { kid: key.kid, privateKey: KeyObject.from(key.privateKey) },
    { issuer: ISSUER, audience: issuer.audience, nowSeconds },
  );
  return { event: JSON.stringify(httpApiV2Event(`Bearer ${signed.token}`)), data: signed.data, signature: signed.signature };
}

async function decide(event: string): Promise<void> {
  const answer = await handler(JSON.parse(event) as Parameters<typeof handler>[0]);
  if (!('isAuthorized' in answer) || answer.isAuthorized !== true) throw new Error(`refused a valid token: ${JSON.stringify(answer)}`);
}

// Signed before anything runs; the cache full of other tokens, as on a busy instance.
const tokens = Array.from({ length: WARMUP + TOKENS }, () => token(alg));
for (let i = 0; i < 10_500; i++) await decide(token('EdDSA').event);
for (const prepared of tokens.slice(0, WARMUP)) await decide(prepared.event);

if (STAGES) await measureStages();

/** The `stages` mode: stage medians from timing wrappers, beside crypto.verify of each token. */
async function measureStages(): Promise<never> {
  const spent = { verify: 0, parse: 0, signature: 0, revocation: 0, context: 0 };
  const timed = (target: object, method: string, stage: keyof typeof spent) => {
    const original = (target as Record<string, (...args: unknown[]) => unknown>)[method]!;
    (target as Record<string, unknown>)[method] = function (this: unknown, ...args: unknown[]) {
      const start = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        spent[stage] += performance.now() - start;
      }
    };
  };
  timed(TokenVerifier.prototype, 'verify', 'verify');
  timed(TokenParser.prototype, 'parse', 'parse');
  timed(SignatureVerifier.prototype, 'verifyEncoded', 'signature');
  timed(revocationChecker, 'findRevocation', 'revocation');
  timed(ContextBuilder.prototype, 'contextOf', 'context');
  const publicKey = createPublicKey({ key: issuer.key(alg).publicJwk, format: 'jwk' } as Parameters<typeof createPublicKey>[0]);
  const key =
    alg === 'ES256'
      ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const }
      : alg === 'PS256'
        ? { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
        : publicKey;
  const rows: Record<string, number[]> = {
    'crypto.verify alone': [],
    handler: [],
    'TokenParser.parse': [],
    'SignatureVerifier.verifyEncoded': [],
    'rest of TokenVerifier.verify (issuer, header, key, claims, revocation ids, verified-token cache)': [],
    findRevocation: [],
    'ContextBuilder.contextOf': [],
    'rest of the handler (event, token source, metrics, response, async return)': [],
  };
  // The first 200 of the measured tokens warm the wrappers up; the warm-up tokens were decided already.
  const measured = tokens.slice(WARMUP);
  for (const prepared of measured.slice(0, 200)) await decide(prepared.event);
  for (const prepared of measured.slice(200)) {
    let start = performance.now();
    if (!verify(alg === 'EdDSA' ? null : 'sha256', prepared.data, key, prepared.signature)) throw new Error('bad signature');
    rows['crypto.verify alone']!.push((performance.now() - start) * 1000);
    const event = JSON.parse(prepared.event) as Parameters<typeof handler>[0];
    for (const stage of Object.keys(spent) as (keyof typeof spent)[]) spent[stage] = 0;
    start = performance.now();
    await handler(event);
    const total = performance.now() - start;
    const values = [
      total,
      spent.parse,
      spent.signature,
      spent.verify - spent.parse - spent.signature,
      spent.revocation,
      spent.context,
      total - spent.verify - spent.revocation - spent.context,
    ];
    Object.values(rows)
      .slice(1)
      .forEach((samples, k) => samples.push(values[k]! * 1000));
  }
  const limit = median(rows['crypto.verify alone']!);
  console.log(`${alg}: ${measured.length - 200} fresh tokens, median µs per decision (each stage's own median; they need not add up)`);
  for (const [name, samples] of Object.entries(rows)) {
    const value = median(samples);
    const ratio = name === 'handler' ? `  (${(value / limit).toFixed(2)}× crypto.verify)` : '';
    console.log(`${name === 'crypto.verify alone' || name === 'handler' ? '' : '  '}${value.toFixed(2).padStart(7)}  ${name}${ratio}`);
  }
  await issuer.stop();
  process.exit(0);
}

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 50 });
await session.post('Profiler.start');
const started = performance.now();
for (const prepared of tokens.slice(WARMUP)) await decide(prepared.event);
const elapsedMs = performance.now() - started;
const { profile } = await session.post('Profiler.stop');
session.disconnect();

const publicKey = createPublicKey({ key: issuer.key(alg).publicJwk, format: 'jwk' } as Parameters<typeof createPublicKey>[0]);
const bare: number[] = [];
for (const prepared of tokens.slice(WARMUP)) {
  const key =
    alg === 'ES256'
      ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const }
      : alg === 'PS256'
        ? { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
        : publicKey;
  const start = performance.now();
  if (!verify(alg === 'EdDSA' ? null : 'sha256', prepared.data, key, prepared.signature)) throw new Error('bad signature');
  bare.push((performance.now() - start) * 1000);
}

const directory = await mkdtemp(join(tmpdir(), 'revocation-authorizer-profile-'));
const file = join(directory, `decision-${alg}.cpuprofile`);
await writeFile(file, JSON.stringify(profile));

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
const nodes = new Map<number, ProfileNode>((profile.nodes as ProfileNode[]).map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of nodes.values()) for (const child of node.children ?? []) parent.set(child, node.id);
const fileOf = (node: ProfileNode) => node.callFrame.url.replace(/^file:\/\/.*?\/(lambda|node_modules|bench|test)\//, '$1/');
const where = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'}  ${fileOf(node)}${url ? `:${lineNumber + 1}` : ''}`;
};
const self = new Map<string, number>();
// Inclusive: every function on the sample's stack, once per sample, named with its file.
const inclusive = new Map<string, number>();
const samples = profile.samples ?? [];
const deltas = profile.timeDeltas ?? [];
// Only the decisions: samples under `decide` (the loop body) and the collector's (which runs on
// their allocations); the inspector's own work around Profiler.start/stop is left out.
const inDecision = (leafId: number): boolean => {
  for (let id: number | undefined = leafId; id !== undefined; id = parent.get(id)) {
    const name = nodes.get(id)!.callFrame.functionName;
    if (name === 'decide' || name === '(garbage collector)') return true;
  }
  return false;
};
let total = 0;
for (let i = 0; i < samples.length; i++) {
  const micros = deltas[i] ?? 0;
  if (!inDecision(samples[i]!)) continue;
  total += micros;
  const leaf = nodes.get(samples[i]!)!;
  self.set(where(leaf), (self.get(where(leaf)) ?? 0) + micros);
  const seen = new Set<string>();
  for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
    const node = nodes.get(id)!;
    const name = `${node.callFrame.functionName || '(anonymous)'}  ${fileOf(node)}`;
    if (!seen.has(name)) {
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + micros);
    }
  }
}
const perToken = (micros: number) =>
  `${(micros / TOKENS).toFixed(2).padStart(7)} µs/token  ${((micros / total) * 100).toFixed(1).padStart(5)}%`;
console.log(
  `${alg}: ${TOKENS} fresh tokens in ${elapsedMs.toFixed(0)} ms = ${((elapsedMs * 1000) / TOKENS).toFixed(1)} µs per decision ` +
    `(profiled, 50 µs sampling); crypto.verify alone on the same tokens: median ${median(bare).toFixed(1)} µs`,
);
console.log(
  `\nSelf time, top 30 (${(total / 1000).toFixed(0)} ms sampled in decisions and GC = ${(total / TOKENS).toFixed(1)} µs per decision; ` +
    '`decide` is this script: JSON.parse of the event, as the Lambda runtime does):',
);
for (const [name, micros] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${perToken(micros)}  ${name}`);
console.log('\nInclusive time, functions of lambda/ and node:crypto (top 30):');
for (const [name, micros] of [...inclusive]
  .filter(([name]) => name.includes('lambda/') || name.includes('node:internal/crypto') || name.startsWith('decide'))
  .sort((a, b) => b[1] - a[1])
  .slice(0, 30))
  console.log(`${perToken(micros)}  ${name}`);
console.log(`\nProfile: ${file}`);
await issuer.stop();
process.exit(0);

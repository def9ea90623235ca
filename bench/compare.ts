/**
 * Before/after of the decision path: the working tree's lambda/ against the one of a git revision,
 * both built into handlers in this one process and called in turn for each token, beside
 * crypto.verify. Not part of `npm run bench`; for checking what an optimisation bought:
 *
 *   npx tsx bench/compare.ts [REVISION]        (default HEAD)
 *
 * The handlers are wired as lambda/authorizer.ts wires them (Powertools logger and metrics, key
 * resolver against a local JWKS server, revocation view loaded with 100,000 entries from memory
 * instead of DynamoDB), from the TypeScript sources. Prints median µs and ratios.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { execFileSync } from 'node:child_process';
import { createPublicKey, KeyObject, randomUUID, verify } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { httpApiV2Event } from '../test/support/api-gateway-events.js';
import { TestIssuer } from '../test/support/issuer.js';
import { median } from './support/stats.js';
import { signBenchToken } from './support/tokens.js';

const revision = process.argv[2] ?? 'HEAD';
const ISSUER = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI';
const ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
const TOKENS = Number(process.env.BENCH_FRESH_TOKENS ?? 3000);

// Inside the repository, so that the old sources resolve node_modules as the current ones do.
const beforeRoot = resolve('bench', `.compare-${process.pid}`);
mkdirSync(beforeRoot, { recursive: true });
execFileSync('sh', ['-c', `git archive ${JSON.stringify(revision)} lambda | tar -x -C ${JSON.stringify(beforeRoot)}`]);
process.on('exit', () => rmSync(beforeRoot, { recursive: true, force: true }));

const issuer = await TestIssuer.start({ algorithms: [...ALGORITHMS], issuer: ISSUER });
const nowSeconds = Math.floor(Date.now() / 1000);
const revocations = Array.from({ length: 100_000 }, () => ({
  kind: 'jti' as const,
  issuer: ISSUER,
  jti: randomUUID(),
  expiresAtEpochSeconds: nowSeconds + 3600,
}));

type Handler = (event: unknown) => Promise<{ isAuthorized?: boolean }>;

/* eslint-disable @typescript-eslint/no-explicit-any -- two versions of the same modules, typed loosely */
async function handlerFrom(root: string): Promise<Handler> {
  const load = (path: string): Promise<any> => import(pathToFileURL(resolve(root, path)).href);
  const { createAuthorizerHandler } = await load('lambda/authorizer-handler.ts');
  const { DecisionMetrics } = await load('lambda/decision-metrics.ts');
  const { powertoolsLog } = await load('lambda/powertools-log.ts');
  // Revisions before the folders by data path kept everything in lambda/core/.
  const flat = existsSync(resolve(root, 'lambda/core'));
  const { loadAuthorizerConfig } = await load(flat ? 'lambda/core/config.ts' : 'lambda/config/index.ts');
  const { KeyResolver } = await load(flat ? 'lambda/core/key-resolver.ts' : 'lambda/token/index.ts');
  const { TokenVerifier } = await load(flat ? 'lambda/core/verify-token.ts' : 'lambda/token/index.ts');
  const { RevocationSync } = flat ? await load('lambda/core/revocation-sync.ts') : { RevocationSync: undefined };
  const { createRevocationChecker } = flat ? { createRevocationChecker: undefined } : await load('lambda/revocation/index.ts');
  const config = loadAuthorizerConfig({ ...issuer.env });
  const log = powertoolsLog(new Logger({ serviceName: 'compare' }));
  const reader = {
    scanLive: async (_segments: number, _now: number, visit: (revocation: unknown) => void) => {
      for (const revocation of revocations) visit(revocation);
      return { items: revocations.length, expired: 0, skipped: 0 };
    },
    queryChanges: async () => ({ items: 0, expired: 0, skipped: 0 }),
    getForToken: async () => [],
  };
  const options = { reader, settings: config.revocation, rules: config.rules, log };
  const sync = flat ? new RevocationSync(options) : createRevocationChecker(options);
  const keys = config.issuers.map((entry: unknown) => new KeyResolver(entry, config.jwks, log));
  const decisions = new DecisionMetrics(new Metrics({ namespace: 'compare', serviceName: 'compare' }), () => ({
    revocationEntries: 0,
    revocationSyncLagMs: 0,
    failOpenAllows: 0,
  }));
  return createAuthorizerHandler({
    verifier: new TokenVerifier(config, keys),
    revocations: sync,
    log,
    decisions,
    initialize: async () => {
      await Promise.all([sync.load(), ...keys.map((key: any) => key.prefetch())]);
    },
  });
}
/* eslint-enable @typescript-eslint/no-explicit-any */

const handlers: Record<'before' | 'after', Handler> = { before: await handlerFrom(beforeRoot), after: await handlerFrom('.') };

function token(alg: (typeof ALGORITHMS)[number]) {
  const key = issuer.key(alg);
  const signed = signBenchToken(
    alg,
    { kid: key.kid, privateKey: KeyObject.from(key.privateKey) },
    { issuer: ISSUER, audience: issuer.audience, nowSeconds },
  );
  return { alg, event: JSON.stringify(httpApiV2Event(`Bearer ${signed.token}`)), data: signed.data, signature: signed.signature };
}

async function call(name: 'before' | 'after', event: string): Promise<number> {
  const parsed = JSON.parse(event) as unknown;
  const start = performance.now();
  const answer = await handlers[name](parsed);
  const elapsed = performance.now() - start;
  if (answer.isAuthorized !== true) throw new Error(`${name} refused a valid token: ${JSON.stringify(answer)}`);
  return elapsed * 1000;
}

// Both verified-token caches full, as on a busy instance.
for (let i = 0; i < 10_500; i++) {
  const filler = token('EdDSA');
  await call('before', filler.event);
  await call('after', filler.event);
}

console.log(`lambda/ at ${revision} (before) against the working tree (after); median µs of ${TOKENS} fresh tokens per algorithm`);
for (const alg of ALGORITHMS) {
  const publicKey = createPublicKey({ key: issuer.key(alg).publicJwk, format: 'jwk' } as Parameters<typeof createPublicKey>[0]);
  const tokens = Array.from({ length: TOKENS }, () => token(alg));
  const samples = { crypto: [] as number[], before: [] as number[], after: [] as number[] };
  const order = ['crypto', 'before', 'after'] as const;
  for (let i = 0; i < tokens.length; i++) {
    for (let k = 0; k < order.length; k++) {
      const name = order[(i + k) % order.length]!;
      const prepared = tokens[i]!;
      let micros: number;
      if (name === 'crypto') {
        const start = performance.now();
        const key = alg === 'ES256' ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const } : publicKey;
        if (!verify(alg === 'EdDSA' ? null : 'sha256', prepared.data, key, prepared.signature)) throw new Error('bad signature');
        micros = (performance.now() - start) * 1000;
      } else {
        micros = await call(name, prepared.event);
      }
      if (i >= tokens.length / 4) samples[name].push(micros);
    }
  }
  const repeated = { before: [] as number[], after: [] as number[] };
  for (let i = 0; i < 40_000; i++) {
    const name = i % 2 === 0 ? 'before' : 'after';
    const micros = await call(name, tokens[(i >> 1) % 64]!.event);
    if (i >= 10_000) repeated[name].push(micros);
  }
  const limit = median(samples.crypto);
  const before = median(samples.before);
  const after = median(samples.after);
  console.log(
    `${alg.padEnd(6)} fresh: crypto.verify ${limit.toFixed(1)}, before ${before.toFixed(1)} (${(before / limit).toFixed(2)}×), after ${after.toFixed(1)} (${(after / limit).toFixed(2)}×)` +
      ` | repeated: before ${median(repeated.before).toFixed(2)}, after ${median(repeated.after).toFixed(2)}`,
  );
}
await issuer.stop();
process.exit(0);

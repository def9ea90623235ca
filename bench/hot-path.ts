/**
 * Child process of `npm run bench`: the decision path of the BUILT authorizer (dist/authorizer.mjs)
 * on a warm instance, beside its baselines, in one process.
 *
 * - Fresh tokens: every token is new to the instance (its verified-token cache is full of other
 *   tokens, as on a busy instance). Per token, in a rotating order: the handler with a real HTTP
 *   API payload 2.0 event, node:crypto's one-shot verify of the same signature (the physical
 *   limit), and aws-jwt-verify's verifySync. jose's jwtVerify runs in a pass of its own (see
 *   measureJose).
 * - Repeated tokens: the same few tokens again and again, each call with a new event object parsed
 *   from JSON (as the Lambda runtime does), so the token is a new string every time.
 *
 * Environment: the AWS SDK variables pointing at a dynalite whose table REVOCATION_TABLE_NAME is
 * already seeded; BENCH_ISSUER; BENCH_FRESH_TOKENS, BENCH_REPEATED_CALLS. Prints `@@RESULT {json}`.
 */
import { createPublicKey, KeyObject, randomUUID, sign, verify, type KeyObject as Key } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { JwtVerifier } from 'aws-jwt-verify';
import { importJWK, jwtVerify, type CryptoKey as JoseKey } from 'jose';
import { httpApiV2Event } from '../test/support/api-gateway-events.js';
import { TestIssuer, type SigningAlgorithm } from '../test/support/issuer.js';
import { reportResult } from './support/processes.js';
import { summarize, type Summary } from './support/stats.js';

export const ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const satisfies readonly SigningAlgorithm[];
export type BenchAlgorithm = (typeof ALGORITHMS)[number];

const FRESH = Number(process.env.BENCH_FRESH_TOKENS ?? 3000);
const WARMUP = Math.max(300, Math.floor(FRESH / 3));
const REPEATED_CALLS = Number(process.env.BENCH_REPEATED_CALLS ?? 30_000);
const REPEATED_WARMUP = 10_000;
const REPEATED_TOKENS = 64;
/** More than TOKEN_CACHE_MAX_ENTRIES (10,000 by default): the cache is full and evicting, as when busy. */
const CACHE_FILL_TOKENS = 10_500;

type Handler = (event: unknown) => Promise<{ isAuthorized?: boolean }>;

interface PreparedToken {
  readonly alg: BenchAlgorithm;
  /** The token as JSON text: parsed anew for each contender, so none finds it already hashed. */
  readonly tokenJson: string;
  /** The HTTP API payload 2.0 event carrying it, as JSON text: parsed per call, as the runtime does. */
  readonly eventJson: string;
  /** The signing input and signature as bytes, for the bare crypto.verify. */
  readonly data: Buffer;
  readonly signature: Buffer;
}

export interface FreshFigures {
  readonly handler: Summary;
  readonly cryptoVerify: Summary;
  readonly awsJwtVerify: Summary;
  /** jose in its own pass, with crypto.verify interleaved there for its ratio. */
  readonly jose: Summary;
  readonly cryptoVerifyBesideJose: Summary;
}

export interface HotPathResult {
  readonly importMs: number;
  readonly firstDecisionMs: number;
  readonly tokenCharacters: Record<BenchAlgorithm, number>;
  readonly fresh: Record<BenchAlgorithm, FreshFigures>;
  readonly repeated: Record<BenchAlgorithm, Summary>;
  readonly freshTokensPerAlgorithm: number;
  readonly warmupTokensPerAlgorithm: number;
  readonly repeatedCalls: number;
}

const issuer = await TestIssuer.start({ algorithms: [...ALGORITHMS], issuer: process.env.BENCH_ISSUER });
const publicKeys = new Map<BenchAlgorithm, Key>();
const privateKeys = new Map<BenchAlgorithm, Key>();
for (const alg of ALGORITHMS) {
  publicKeys.set(alg, createPublicKey({ key: issuer.key(alg).publicJwk, format: 'jwk' } as Parameters<typeof createPublicKey>[0]));
  privateKeys.set(alg, KeyObject.from(issuer.key(alg).privateKey));
}
const nowSeconds = Math.floor(Date.now() / 1000);

/** An access token shaped like Cognito's (UUID sub and jti, a client, scopes), signed with node:crypto. */
function signToken(alg: BenchAlgorithm): PreparedToken {
  const header = { kid: issuer.key(alg).kid, alg, typ: 'at+jwt' };
  const payload = {
    sub: randomUUID(),
    iss: issuer.issuer,
    client_id: '1example23456789abcdefghij',
    aud: issuer.audience,
    scope: 'openid profile orders/read orders/write',
    iat: nowSeconds,
    nbf: nowSeconds,
    exp: nowSeconds + 3600,
    jti: randomUUID(),
    username: `user-${randomUUID().slice(0, 8)}`,
  };
  const signingInput = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const data = Buffer.from(signingInput);
  const privateKey = privateKeys.get(alg)!;
  const signature =
    alg === 'EdDSA'
      ? sign(null, data, privateKey)
      : alg === 'ES256'
        ? sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })
        : sign('sha256', data, privateKey);
  const token = `${signingInput}.${signature.toString('base64url')}`;
  return { alg, tokenJson: JSON.stringify(token), eventJson: JSON.stringify(httpApiV2Event(`Bearer ${token}`)), data, signature };
}

/** The bare signature check: node:crypto's one-shot verify with the key already imported. */
function bareVerify(prepared: PreparedToken): boolean {
  const key = publicKeys.get(prepared.alg)!;
  switch (prepared.alg) {
    case 'RS256':
      return verify('sha256', prepared.data, key, prepared.signature);
    case 'ES256':
      return verify('sha256', prepared.data, { key, dsaEncoding: 'ieee-p1363' }, prepared.signature);
    default:
      return verify(null, prepared.data, key, prepared.signature);
  }
}

// Baselines, each set up as its documentation says, with the key set already held.
const awsVerifier = JwtVerifier.create({ issuer: issuer.issuer, audience: issuer.audience, jwksUri: issuer.jwksUri });
awsVerifier.cacheJwks({ keys: issuer.keys.map((key) => key.publicJwk) } as Parameters<typeof awsVerifier.cacheJwks>[0]);
const joseKeys = new Map<BenchAlgorithm, JoseKey>();
for (const alg of ALGORITHMS) joseKeys.set(alg, (await importJWK(issuer.key(alg).publicJwk, alg)) as JoseKey);
const joseOptions = { issuer: issuer.issuer, audience: issuer.audience, algorithms: [...ALGORITHMS] };

// The bundle reads its environment at module scope: set it first, then import, as Lambda does.
Object.assign(process.env, issuer.env);
const importStart = performance.now();
const { handler } = (await import(pathToFileURL(resolve('dist/authorizer.mjs')).href)) as { handler: Handler };
const importMs = performance.now() - importStart;

// Every token is signed before anything is timed.
const fresh = new Map<BenchAlgorithm, PreparedToken[]>();
for (const alg of ALGORITHMS)
  fresh.set(
    alg,
    Array.from({ length: WARMUP + FRESH }, () => signToken(alg)),
  );
const repeated = new Map<BenchAlgorithm, PreparedToken[]>();
for (const alg of ALGORITHMS)
  repeated.set(
    alg,
    Array.from({ length: REPEATED_TOKENS }, () => signToken(alg)),
  );
const cacheFill = Array.from({ length: CACHE_FILL_TOKENS }, () => signToken('EdDSA'));

// The cold start: loads the seeded revocations and the key set, then decides.
const firstStart = performance.now();
await expectAllowed(cacheFill[0]!);
const firstDecisionMs = performance.now() - firstStart;
for (const prepared of cacheFill) await expectAllowed(prepared);

async function expectAllowed(prepared: PreparedToken): Promise<void> {
  const answer = await handler(JSON.parse(prepared.eventJson));
  if (answer.isAuthorized !== true) throw new Error(`the authorizer refused a valid ${prepared.alg} token: ${JSON.stringify(answer)}`);
}

type Contender = 'handler' | 'cryptoVerify' | 'awsJwtVerify';
const CONTENDERS: readonly Contender[] = ['handler', 'cryptoVerify', 'awsJwtVerify'];

/** One call of `contender` on `prepared`, in µs. Every answer is checked: a refusal would time an error path. */
async function timeOnce(contender: Contender | 'jose', prepared: PreparedToken): Promise<number> {
  switch (contender) {
    case 'handler': {
      const event = JSON.parse(prepared.eventJson) as unknown;
      const start = performance.now();
      const answer = await handler(event);
      const elapsed = performance.now() - start;
      if (answer.isAuthorized !== true) throw new Error(`handler refused a valid ${prepared.alg} token: ${JSON.stringify(answer)}`);
      return elapsed * 1000;
    }
    case 'cryptoVerify': {
      const start = performance.now();
      const ok = bareVerify(prepared);
      const elapsed = performance.now() - start;
      if (!ok) throw new Error(`crypto.verify refused a valid ${prepared.alg} token`);
      return elapsed * 1000;
    }
    case 'awsJwtVerify': {
      const token = JSON.parse(prepared.tokenJson) as string;
      const start = performance.now();
      const payload = awsVerifier.verifySync(token);
      const elapsed = performance.now() - start;
      if (typeof payload.jti !== 'string') throw new Error('aws-jwt-verify returned no payload');
      return elapsed * 1000;
    }
    case 'jose': {
      const token = JSON.parse(prepared.tokenJson) as string;
      const start = performance.now();
      const { payload } = await jwtVerify(token, joseKeys.get(prepared.alg)!, joseOptions);
      const elapsed = performance.now() - start;
      if (typeof payload.jti !== 'string') throw new Error('jose returned no payload');
      return elapsed * 1000;
    }
  }
}

async function measureFresh(alg: BenchAlgorithm): Promise<Omit<FreshFigures, 'jose' | 'cryptoVerifyBesideJose'>> {
  const tokens = fresh.get(alg)!;
  const samples: Record<Contender, number[]> = { handler: [], cryptoVerify: [], awsJwtVerify: [] };
  for (let i = 0; i < tokens.length; i++) {
    for (let k = 0; k < CONTENDERS.length; k++) {
      const contender = CONTENDERS[(i + k) % CONTENDERS.length]!;
      const micros = await timeOnce(contender, tokens[i]!);
      if (i >= WARMUP) samples[contender].push(micros);
    }
  }
  return {
    handler: summarize(samples.handler),
    cryptoVerify: summarize(samples.cryptoVerify),
    awsJwtVerify: summarize(samples.awsJwtVerify),
  };
}

/**
 * jose apart: its WebCrypto verify resolves on a thread-pool thread while the main thread waits in
 * the event loop, and whatever runs right after that wait runs slower (measured: interleaving jose
 * with the others inflated their medians by up to 2x), so it gets a pass of its own, beside
 * crypto.verify for a ratio taken in the same conditions.
 */
async function measureJose(alg: BenchAlgorithm): Promise<Pick<FreshFigures, 'jose' | 'cryptoVerifyBesideJose'>> {
  const tokens = fresh.get(alg)!;
  const jose: number[] = [];
  const crypto: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const joseMicros = await timeOnce('jose', tokens[i]!);
    const cryptoMicros = await timeOnce('cryptoVerify', tokens[i]!);
    if (i >= WARMUP) {
      jose.push(joseMicros);
      crypto.push(cryptoMicros);
    }
  }
  return { jose: summarize(jose), cryptoVerifyBesideJose: summarize(crypto) };
}

async function measureRepeated(alg: BenchAlgorithm): Promise<Summary> {
  const tokens = repeated.get(alg)!;
  const samples: number[] = [];
  for (let i = 0; i < REPEATED_WARMUP + REPEATED_CALLS; i++) {
    const micros = await timeOnce('handler', tokens[i % tokens.length]!);
    if (i >= REPEATED_WARMUP) samples.push(micros);
  }
  return summarize(samples);
}

const freshResults = {} as Record<BenchAlgorithm, FreshFigures>;
for (const alg of ALGORITHMS) freshResults[alg] = { ...(await measureFresh(alg)), ...(await measureJose(alg)) };
const repeatedResults = {} as Record<BenchAlgorithm, Summary>;
for (const alg of ALGORITHMS) repeatedResults[alg] = await measureRepeated(alg);

await issuer.stop();
const result: HotPathResult = {
  importMs,
  firstDecisionMs,
  tokenCharacters: Object.fromEntries(
    ALGORITHMS.map((alg) => [alg, (JSON.parse(fresh.get(alg)![0]!.tokenJson) as string).length]),
  ) as Record<BenchAlgorithm, number>,
  fresh: freshResults,
  repeated: repeatedResults,
  freshTokensPerAlgorithm: FRESH,
  warmupTokensPerAlgorithm: WARMUP,
  repeatedCalls: REPEATED_CALLS,
};
reportResult(result);
process.exit(0);

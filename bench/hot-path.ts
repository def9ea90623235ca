/**
 * Child process of `npm run bench`: the decision path of the BUILT authorizer (dist/authorizer.mjs)
 * on a warm instance, beside its baselines, in one process, on the same tokens.
 *
 * - Fresh tokens, in rounds: each round takes the next slice of never-presented tokens per
 *   algorithm and runs every contender on each token, the order rotating from token to token and
 *   from round to round: the handler with a real HTTP API payload 2.0 event, node:crypto's one-shot
 *   verify of the same signature (the floor), fast-jwt's and aws-jwt-verify's synchronous
 *   verifiers. Then jose's pass over the same slice (see joseSlice for why apart). Figures are the
 *   median over rounds of each round's median, with the spread of the round medians; ratios are
 *   taken round by round.
 * - Repeated tokens: the same few tokens again and again, each call with a new event parsed from
 *   JSON (as the Lambda runtime does), so the token is a new string every time.
 * - The handler is timed twice per call: in-handler (the awaited call) and with the runtime's own
 *   JSON work around it (JSON.parse of the event, JSON.stringify of the answer).
 *
 * Tokens come signed from the issuer process (BENCH_TOKENS_FILE), which also serves the key set:
 * nothing here blocks the event loop for long while the cold start fetches keys.
 *
 * Environment: the AWS SDK variables pointing at a dynalite whose table REVOCATION_TABLE_NAME is
 * already seeded; BENCH_TOKENS_FILE; BENCH_ROUNDS, BENCH_TOKENS_PER_ROUND, BENCH_REPEATED_PER_ROUND.
 * Prints `@@RESULT {json}`.
 */
import { constants, createPublicKey, verify, webcrypto, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { JwtVerifier } from 'aws-jwt-verify';
import { createVerifier } from 'fast-jwt';
import { importJWK, jwtVerify, type CryptoKey as JoseKey } from 'jose';
import { DEFAULTS } from '../lambda/contract/index.js';
import { reportResult } from './support/processes.js';
import { spreadOf, summarize, type RoundSpread, type Summary } from './support/stats.js';
import { BENCH_ALGORITHMS, eventJsonOf, type BenchAlgorithm, type SignedTokens } from './support/tokens.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const PER_ROUND = Number(process.env.BENCH_TOKENS_PER_ROUND ?? 300);
const REPEATED_PER_ROUND = Number(process.env.BENCH_REPEATED_PER_ROUND ?? 1500);
const REPEATED_WARMUP = 10_000;
const REQUIRED_CLAIMS = [...DEFAULTS.requiredClaims];
const FIRST_DECISION_ATTEMPTS = 5;

type Handler = (event: unknown) => Promise<{ isAuthorized?: boolean }>;

interface PreparedToken {
  readonly alg: BenchAlgorithm;
  /** The token as JSON text: parsed anew for each contender, so none finds it already hashed. */
  readonly tokenJson: string;
  /** The HTTP API payload 2.0 event carrying it, as JSON text: parsed per call, as the runtime does. */
  readonly eventJson: string;
  /** The signing input and signature as bytes, for the bare crypto.verify and WebCrypto's verify. */
  readonly data: Buffer;
  readonly signature: Buffer;
}

/** One contender's figures: the spread of its round medians, and every sample pooled. */
export interface ContenderFigures {
  readonly perRound: RoundSpread;
  readonly samples: Summary;
}

export type FreshContender = 'handler' | 'cryptoVerify' | 'fastJwt' | 'awsJwtVerify';
export type JoseContender = 'jose' | 'subtleVerify' | 'cryptoVerifyBesideJose';

export interface FreshFigures {
  /** In-handler: the awaited handler call. */
  readonly handler: ContenderFigures;
  /** The same calls with the runtime's JSON work: JSON.parse of the event, JSON.stringify of the answer. */
  readonly handlerWithRuntime: ContenderFigures;
  readonly cryptoVerify: ContenderFigures;
  readonly fastJwt: ContenderFigures;
  /** aws-jwt-verify 5 supports RS256, ES256 and EdDSA, not PS256. */
  readonly awsJwtVerify: ContenderFigures | null;
  /** jose's pass: jwtVerify, WebCrypto's verify alone, and crypto.verify, on the same tokens. */
  readonly jose: ContenderFigures;
  readonly subtleVerify: ContenderFigures;
  readonly cryptoVerifyBesideJose: ContenderFigures;
  /** The two parts of the runtime's JSON work: JSON.parse of the event, JSON.stringify of the answer. */
  readonly runtimeJsonParse: ContenderFigures;
  readonly runtimeJsonStringify: ContenderFigures;
  /** Ratios of round medians, round by round. */
  readonly ratios: Record<string, RoundSpread>;
}

export interface RepeatedFigures {
  readonly handler: ContenderFigures;
  readonly handlerWithRuntime: ContenderFigures;
  readonly runtimeJsonParse: ContenderFigures;
  readonly runtimeJsonStringify: ContenderFigures;
}

export interface HotPathResult {
  readonly importMs: number;
  readonly firstDecisionMs: number;
  readonly firstDecisionAttempts: number;
  readonly tokenCharacters: Record<BenchAlgorithm, number>;
  readonly eventCharacters: Record<BenchAlgorithm, number>;
  readonly fresh: Record<BenchAlgorithm, FreshFigures>;
  readonly repeated: Record<BenchAlgorithm, RepeatedFigures>;
  readonly rounds: number;
  readonly tokensPerRound: number;
  readonly warmupTokens: number;
  readonly repeatedPerRound: number;
  readonly versions: Record<string, string>;
}

const signed = JSON.parse(await readFile(process.env.BENCH_TOKENS_FILE!, 'utf8')) as SignedTokens;
const WARMUP = signed.fresh.RS256.length - ROUNDS * PER_ROUND;
if (WARMUP < 0)
  throw new Error(`BENCH_TOKENS_FILE holds ${signed.fresh.RS256.length} tokens per algorithm, fewer than ${ROUNDS * PER_ROUND}`);

function prepare(alg: BenchAlgorithm, token: string): PreparedToken {
  const lastDot = token.lastIndexOf('.');
  return {
    alg,
    tokenJson: JSON.stringify(token),
    eventJson: eventJsonOf(token),
    data: Buffer.from(token.slice(0, lastDot)),
    signature: Buffer.from(token.slice(lastDot + 1), 'base64url'),
  };
}
const fresh = new Map(BENCH_ALGORITHMS.map((alg) => [alg, signed.fresh[alg].map((token) => prepare(alg, token))]));
const repeated = new Map(BENCH_ALGORITHMS.map((alg) => [alg, signed.repeated[alg].map((token) => prepare(alg, token))]));
const cacheFill = signed.cacheFill.map((token) => prepare('EdDSA', token));

// Baselines, each set up as its documentation says, with the keys already held and the same
// checks asked of each where it has them (issuer, audience, algorithm, the claims we require).
const jwkOf = (alg: BenchAlgorithm) => signed.keys.find((key) => key.alg === alg)!.publicJwk;
const publicKeys = new Map<BenchAlgorithm, KeyObject>(
  BENCH_ALGORITHMS.map((alg) => [alg, createPublicKey({ key: jwkOf(alg), format: 'jwk' } as Parameters<typeof createPublicKey>[0])]),
);
const fastJwtVerifiers = new Map(
  BENCH_ALGORITHMS.map((alg) => [
    alg,
    createVerifier({
      key: publicKeys.get(alg)!.export({ type: 'spki', format: 'pem' }) as string,
      algorithms: [alg],
      allowedIss: signed.issuer,
      allowedAud: signed.audience,
      requiredClaims: REQUIRED_CLAIMS,
      cache: false,
    }),
  ]),
);
const awsVerifier = JwtVerifier.create({ issuer: signed.issuer, audience: signed.audience, jwksUri: signed.jwksUri });
awsVerifier.cacheJwks({ keys: signed.keys.filter((key) => key.alg !== 'PS256').map((key) => key.publicJwk) } as Parameters<
  typeof awsVerifier.cacheJwks
>[0]);
const joseKeys = new Map<BenchAlgorithm, JoseKey>();
for (const alg of BENCH_ALGORITHMS) joseKeys.set(alg, (await importJWK(jwkOf(alg), alg)) as JoseKey);
const SUBTLE_PARAMS: Record<BenchAlgorithm, Parameters<typeof webcrypto.subtle.verify>[0]> = {
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
  PS256: { name: 'RSA-PSS', saltLength: 32 },
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
  EdDSA: { name: 'Ed25519' },
};

/** The bare signature check: node:crypto's one-shot verify with the key already imported. */
function bareVerify(prepared: PreparedToken): boolean {
  const key = publicKeys.get(prepared.alg)!;
  switch (prepared.alg) {
    case 'RS256':
      return verify('sha256', prepared.data, key, prepared.signature);
    case 'PS256':
      return verify('sha256', prepared.data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, prepared.signature);
    case 'ES256':
      return verify('sha256', prepared.data, { key, dsaEncoding: 'ieee-p1363' }, prepared.signature);
    default:
      return verify(null, prepared.data, key, prepared.signature);
  }
}

// The bundle reads its environment at module scope: set it first, then import, as Lambda does.
Object.assign(process.env, { JWT_ISSUER: signed.issuer, JWT_AUDIENCE: signed.audience, JWKS_URI: signed.jwksUri });
const importStart = performance.now();
const { handler } = (await import(pathToFileURL(resolve('dist/authorizer.mjs')).href)) as { handler: Handler };
const importMs = performance.now() - importStart;

// The cold start: loads the seeded revocations and the key set, then decides. DynamoDB's client
// has fixed request timeouts; on a loaded machine dynalite can miss one, and the view then retries
// its load on the next request, as on Lambda: so a few attempts, counted, not a deadline.
const firstStart = performance.now();
let firstDecisionAttempts = 0;
for (;;) {
  firstDecisionAttempts++;
  try {
    await expectAllowed(cacheFill[0]!);
    break;
  } catch (error) {
    if (firstDecisionAttempts >= FIRST_DECISION_ATTEMPTS) throw error;
    process.stderr.write(`[hot-path] first decision failed (${String(error)}); trying again\n`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 1000));
  }
}
const firstDecisionMs = performance.now() - firstStart;
// The verified-token cache full of other tokens, as on a busy instance.
for (const prepared of cacheFill) await expectAllowed(prepared);

async function expectAllowed(prepared: PreparedToken): Promise<void> {
  const answer = await handler(JSON.parse(prepared.eventJson));
  if (answer.isAuthorized !== true) throw new Error(`the authorizer refused a valid ${prepared.alg} token: ${JSON.stringify(answer)}`);
}

/** Samples of one slice: contender → µs per token. */
type Samples = Partial<Record<FreshContender | JoseContender | RuntimeJson | 'handlerWithRuntime', number[]>>;
/** The runtime's JSON work around a handler call, timed apart too. */
type RuntimeJson = 'runtimeJsonParse' | 'runtimeJsonStringify';

function push(samples: Samples, name: keyof Samples, micros: number): void {
  (samples[name] ??= []).push(micros);
}

/** One call of `contender` on `prepared`, its µs pushed to `samples`. Every answer is checked: a refusal would time an error path. */
async function timeOnce(contender: FreshContender | JoseContender, prepared: PreparedToken, samples: Samples): Promise<void> {
  switch (contender) {
    case 'handler': {
      const runtimeStart = performance.now();
      const event = JSON.parse(prepared.eventJson) as unknown;
      const start = performance.now();
      const answer = await handler(event);
      const end = performance.now();
      const body = JSON.stringify(answer);
      const runtimeEnd = performance.now();
      if (answer.isAuthorized !== true) throw new Error(`handler refused a valid ${prepared.alg} token: ${body}`);
      push(samples, 'handler', (end - start) * 1000);
      push(samples, 'handlerWithRuntime', (runtimeEnd - runtimeStart) * 1000);
      push(samples, 'runtimeJsonParse', (start - runtimeStart) * 1000);
      push(samples, 'runtimeJsonStringify', (runtimeEnd - end) * 1000);
      return;
    }
    case 'cryptoVerify':
    case 'cryptoVerifyBesideJose': {
      const start = performance.now();
      const ok = bareVerify(prepared);
      const elapsed = performance.now() - start;
      if (!ok) throw new Error(`crypto.verify refused a valid ${prepared.alg} token`);
      push(samples, contender, elapsed * 1000);
      return;
    }
    case 'fastJwt': {
      const token = JSON.parse(prepared.tokenJson) as string;
      const start = performance.now();
      const payload = fastJwtVerifiers.get(prepared.alg)!(token) as { jti?: unknown };
      const elapsed = performance.now() - start;
      if (typeof payload.jti !== 'string') throw new Error('fast-jwt returned no payload');
      push(samples, contender, elapsed * 1000);
      return;
    }
    case 'awsJwtVerify': {
      const token = JSON.parse(prepared.tokenJson) as string;
      const start = performance.now();
      const payload = awsVerifier.verifySync(token);
      const elapsed = performance.now() - start;
      if (typeof payload.jti !== 'string') throw new Error('aws-jwt-verify returned no payload');
      push(samples, contender, elapsed * 1000);
      return;
    }
    case 'jose': {
      const token = JSON.parse(prepared.tokenJson) as string;
      const start = performance.now();
      const { payload } = await jwtVerify(token, joseKeys.get(prepared.alg)!, {
        issuer: signed.issuer,
        audience: signed.audience,
        algorithms: [prepared.alg],
        requiredClaims: REQUIRED_CLAIMS,
      });
      const elapsed = performance.now() - start;
      if (typeof payload.jti !== 'string') throw new Error('jose returned no payload');
      push(samples, contender, elapsed * 1000);
      return;
    }
    case 'subtleVerify': {
      const start = performance.now();
      const ok = await webcrypto.subtle.verify(SUBTLE_PARAMS[prepared.alg], joseKeys.get(prepared.alg)!, prepared.signature, prepared.data);
      const elapsed = performance.now() - start;
      if (!ok) throw new Error(`WebCrypto refused a valid ${prepared.alg} token`);
      push(samples, contender, elapsed * 1000);
      return;
    }
  }
}

/** Every contender on each token of the slice, in an order that rotates from token to token and round to round. */
async function mainSlice(alg: BenchAlgorithm, tokens: readonly PreparedToken[], round: number, samples: Samples): Promise<void> {
  const contenders: FreshContender[] = ['handler', 'cryptoVerify', 'fastJwt', ...(alg === 'PS256' ? [] : ['awsJwtVerify' as const])];
  for (let i = 0; i < tokens.length; i++) {
    for (let k = 0; k < contenders.length; k++) await timeOnce(contenders[(i + round + k) % contenders.length]!, tokens[i]!, samples);
  }
}

/**
 * jose apart: it verifies through WebCrypto, whose verify runs on a libuv thread-pool thread
 * while the main thread waits in the event loop; each call pays two cross-thread wake-ups, whose
 * cost depends on what else the machine (and, in a VM, its host) is doing at that moment, not on
 * this process. Interleaved with the synchronous contenders, whatever runs right after such a wait
 * runs slower too, which would tax their figures. So jose gets its own pass over the same tokens,
 * beside WebCrypto's verify alone (the floor of any WebCrypto-based verifier, the wake-ups
 * included) and crypto.verify (for its ratio in the same conditions).
 */
async function joseSlice(tokens: readonly PreparedToken[], round: number, samples: Samples): Promise<void> {
  const contenders: JoseContender[] = ['jose', 'subtleVerify', 'cryptoVerifyBesideJose'];
  for (let i = 0; i < tokens.length; i++) {
    for (let k = 0; k < contenders.length; k++) await timeOnce(contenders[(i + round + k) % contenders.length]!, tokens[i]!, samples);
  }
}

const perRound = new Map<BenchAlgorithm, Map<keyof Samples, number[]>>(BENCH_ALGORITHMS.map((alg) => [alg, new Map()]));
const pooled = new Map<BenchAlgorithm, Map<keyof Samples, number[]>>(BENCH_ALGORITHMS.map((alg) => [alg, new Map()]));
const medianOf = (values: readonly number[]) => summarize(values).median;

for (let round = -1; round < ROUNDS; round++) {
  for (const alg of BENCH_ALGORITHMS) {
    // Round -1 is the warm-up: the first WARMUP tokens, discarded.
    const tokens =
      round < 0 ? fresh.get(alg)!.slice(0, WARMUP) : fresh.get(alg)!.slice(WARMUP + round * PER_ROUND, WARMUP + (round + 1) * PER_ROUND);
    const samples: Samples = {};
    await mainSlice(alg, tokens, round + 1, samples);
    await joseSlice(tokens, round + 1, samples);
    if (round < 0) continue;
    for (const [name, values] of Object.entries(samples) as [keyof Samples, number[]][]) {
      const rounds = perRound.get(alg)!;
      if (!rounds.has(name)) rounds.set(name, []);
      rounds.get(name)!.push(medianOf(values));
      const all = pooled.get(alg)!;
      if (!all.has(name)) all.set(name, []);
      all.get(name)!.push(...values);
    }
  }
}

function figures(alg: BenchAlgorithm, name: keyof Samples): ContenderFigures {
  return { perRound: spreadOf(perRound.get(alg)!.get(name)!), samples: summarize(pooled.get(alg)!.get(name)!) };
}

function ratio(alg: BenchAlgorithm, numerator: keyof Samples, denominator: keyof Samples): RoundSpread {
  const top = perRound.get(alg)!.get(numerator)!;
  const bottom = perRound.get(alg)!.get(denominator)!;
  return spreadOf(top.map((value, round) => value / bottom[round]!));
}

const freshResults = {} as Record<BenchAlgorithm, FreshFigures>;
for (const alg of BENCH_ALGORITHMS) {
  const hasAws = perRound.get(alg)!.has('awsJwtVerify');
  freshResults[alg] = {
    handler: figures(alg, 'handler'),
    handlerWithRuntime: figures(alg, 'handlerWithRuntime'),
    cryptoVerify: figures(alg, 'cryptoVerify'),
    fastJwt: figures(alg, 'fastJwt'),
    awsJwtVerify: hasAws ? figures(alg, 'awsJwtVerify') : null,
    jose: figures(alg, 'jose'),
    subtleVerify: figures(alg, 'subtleVerify'),
    cryptoVerifyBesideJose: figures(alg, 'cryptoVerifyBesideJose'),
    runtimeJsonParse: figures(alg, 'runtimeJsonParse'),
    runtimeJsonStringify: figures(alg, 'runtimeJsonStringify'),
    ratios: {
      handlerToCryptoVerify: ratio(alg, 'handler', 'cryptoVerify'),
      handlerWithRuntimeToCryptoVerify: ratio(alg, 'handlerWithRuntime', 'cryptoVerify'),
      handlerToFastJwt: ratio(alg, 'handler', 'fastJwt'),
      fastJwtToCryptoVerify: ratio(alg, 'fastJwt', 'cryptoVerify'),
      ...(hasAws
        ? {
            handlerToAwsJwtVerify: ratio(alg, 'handler', 'awsJwtVerify'),
            awsJwtVerifyToCryptoVerify: ratio(alg, 'awsJwtVerify', 'cryptoVerify'),
          }
        : {}),
      joseToCryptoVerify: ratio(alg, 'jose', 'cryptoVerifyBesideJose'),
      joseToSubtleVerify: ratio(alg, 'jose', 'subtleVerify'),
      subtleVerifyToCryptoVerify: ratio(alg, 'subtleVerify', 'cryptoVerifyBesideJose'),
    },
  };
}

// Repeated tokens, in rounds too; no fresh token meanwhile, so none of them leaves the cache.
const REPEATED_FIGURES = ['handler', 'handlerWithRuntime', 'runtimeJsonParse', 'runtimeJsonStringify'] as const;
const emptyRepeated = () =>
  Object.fromEntries(REPEATED_FIGURES.map((name) => [name, [] as number[]])) as Record<(typeof REPEATED_FIGURES)[number], number[]>;
const repeatedRounds = new Map(BENCH_ALGORITHMS.map((alg) => [alg, emptyRepeated()]));
const repeatedPooled = new Map(BENCH_ALGORITHMS.map((alg) => [alg, emptyRepeated()]));
for (const alg of BENCH_ALGORITHMS) {
  const warm: Samples = {};
  for (let i = 0; i < REPEATED_WARMUP; i++) await timeOnce('handler', repeated.get(alg)![i % repeated.get(alg)!.length]!, warm);
}
for (let round = 0; round < ROUNDS; round++) {
  for (const alg of BENCH_ALGORITHMS) {
    const tokens = repeated.get(alg)!;
    const samples: Samples = {};
    for (let i = 0; i < REPEATED_PER_ROUND; i++) await timeOnce('handler', tokens[(i + round) % tokens.length]!, samples);
    for (const name of REPEATED_FIGURES) {
      repeatedRounds.get(alg)![name].push(medianOf(samples[name]!));
      repeatedPooled.get(alg)![name].push(...samples[name]!);
    }
  }
}
const repeatedResults = Object.fromEntries(
  BENCH_ALGORITHMS.map((alg) => {
    const rounds = repeatedRounds.get(alg)!;
    const all = repeatedPooled.get(alg)!;
    return [
      alg,
      Object.fromEntries(REPEATED_FIGURES.map((name) => [name, { perRound: spreadOf(rounds[name]), samples: summarize(all[name]) }])),
    ];
  }),
) as unknown as Record<BenchAlgorithm, RepeatedFigures>;

const versionOf = async (name: string) =>
  (JSON.parse(await readFile(resolve('node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
const result: HotPathResult = {
  importMs,
  firstDecisionMs,
  firstDecisionAttempts,
  tokenCharacters: Object.fromEntries(BENCH_ALGORITHMS.map((alg) => [alg, signed.fresh[alg][0]!.length])) as Record<BenchAlgorithm, number>,
  eventCharacters: Object.fromEntries(BENCH_ALGORITHMS.map((alg) => [alg, fresh.get(alg)![0]!.eventJson.length])) as Record<
    BenchAlgorithm,
    number
  >,
  fresh: freshResults,
  repeated: repeatedResults,
  rounds: ROUNDS,
  tokensPerRound: PER_ROUND,
  warmupTokens: WARMUP,
  repeatedPerRound: REPEATED_PER_ROUND,
  versions: {
    'fast-jwt': await versionOf('fast-jwt'),
    'aws-jwt-verify': await versionOf('aws-jwt-verify'),
    jose: await versionOf('jose'),
  },
};
reportResult(result);
process.exit(0);

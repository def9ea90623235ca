/**
 * Child process of `npm run bench`: the token issuer. It makes one key pair per algorithm, signs
 * every token the decision-path bench will present (written to BENCH_TOKENS_FILE), and only then
 * serves the key set over HTTP until stdin closes. Signing ~30,000 tokens takes seconds of CPU; done
 * here, it never blocks the process that measures, nor the JWKS endpoint that process's cold start
 * fetches from (a blocked in-process JWKS server once made the bench fail with a JWKS timeout).
 *
 * Environment: BENCH_ISSUER, BENCH_TOKENS_FILE, BENCH_FRESH_TOKENS (per algorithm, warm-up
 * included), BENCH_REPEATED_TOKENS, BENCH_CACHE_FILL_TOKENS. Prints `@@READY {json}` once serving.
 */
import { KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { TestIssuer } from '../../test/support/issuer.js';
import { BENCH_ALGORITHMS, signBenchToken, type BenchAlgorithm, type IssuerReady, type SignedTokens } from './tokens.js';

const tokensFile = process.env.BENCH_TOKENS_FILE;
if (tokensFile === undefined) throw new Error('BENCH_TOKENS_FILE must name the file to write the tokens to');
const freshCount = Number(process.env.BENCH_FRESH_TOKENS ?? 3500);
const repeatedCount = Number(process.env.BENCH_REPEATED_TOKENS ?? 64);
const cacheFillCount = Number(process.env.BENCH_CACHE_FILL_TOKENS ?? 10_500);
const issuer = await TestIssuer.start({ algorithms: [...BENCH_ALGORITHMS], issuer: process.env.BENCH_ISSUER });
const nowSeconds = Math.floor(Date.now() / 1000);
const privateKeys = new Map(BENCH_ALGORITHMS.map((alg) => [alg, KeyObject.from(issuer.key(alg).privateKey)]));

const claims = { issuer: issuer.issuer, audience: issuer.audience, nowSeconds };
const signToken = (alg: BenchAlgorithm): string =>
  signBenchToken(alg, { kid: issuer.key(alg).kid, privateKey: privateKeys.get(alg)! }, claims).token;

const started = performance.now();
const byAlgorithm = (count: number) =>
  Object.fromEntries(BENCH_ALGORITHMS.map((alg) => [alg, Array.from({ length: count }, () => signToken(alg))])) as Record<
    BenchAlgorithm,
    string[]
  >;
const tokens: SignedTokens = {
  issuer: issuer.issuer,
  audience: issuer.audience,
  jwksUri: issuer.jwksUri,
  keys: BENCH_ALGORITHMS.map((alg) => ({ alg, kid: issuer.key(alg).kid, publicJwk: issuer.key(alg).publicJwk })),
  fresh: byAlgorithm(freshCount),
  repeated: byAlgorithm(repeatedCount),
  cacheFill: Array.from({ length: cacheFillCount }, () => signToken('EdDSA')),
};
const signingMs = performance.now() - started;
await writeFile(tokensFile, JSON.stringify(tokens));
const ready: IssuerReady = { jwksUri: issuer.jwksUri, tokensFile: tokensFile, signingMs };
process.stdout.write(`@@READY ${JSON.stringify(ready)}\n`);
process.stdin.resume();
process.stdin.on('end', () => void issuer.stop().then(() => process.exit(0)));

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
import { constants, KeyObject, randomUUID, sign } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { TestIssuer } from '../../test/support/issuer.js';
import { BENCH_ALGORITHMS, type BenchAlgorithm, type IssuerReady, type SignedTokens } from './tokens.js';

const tokensFile = process.env.BENCH_TOKENS_FILE;
if (tokensFile === undefined) throw new Error('BENCH_TOKENS_FILE must name the file to write the tokens to');
const freshCount = Number(process.env.BENCH_FRESH_TOKENS ?? 3500);
const repeatedCount = Number(process.env.BENCH_REPEATED_TOKENS ?? 64);
const cacheFillCount = Number(process.env.BENCH_CACHE_FILL_TOKENS ?? 10_500);
const issuer = await TestIssuer.start({ algorithms: [...BENCH_ALGORITHMS], issuer: process.env.BENCH_ISSUER });
const nowSeconds = Math.floor(Date.now() / 1000);
const privateKeys = new Map(BENCH_ALGORITHMS.map((alg) => [alg, KeyObject.from(issuer.key(alg).privateKey)]));

/** An access token shaped like Cognito's (UUID sub and jti, a client, scopes), signed with node:crypto. */
const signToken = (alg: BenchAlgorithm): string => {
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
  const key = privateKeys.get(alg)!;
  const signature =
    alg === 'EdDSA'
      ? sign(null, data, key)
      : alg === 'ES256'
        ? sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' })
        : alg === 'PS256'
          ? sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
          : sign('sha256', data, key);
  return `${signingInput}.${signature.toString('base64url')}`;
};

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

import { createPublicKey, type JsonWebKey as NodeJwk } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAuthorizerConfig, type AuthorizerConfig } from '../../lambda/config/index.js';
import { SUPPORTED_ALGORITHMS, type Algorithm } from '../../lambda/contract/index.js';
import { silentLog, TokenRejectedError, type RejectionReason } from '../../lambda/shared/index.js';
import { KeyResolver, parseToken, SignatureVerifier, TokenVerifier, type ParsedToken } from '../../lambda/token/index.js';
import { TestIssuer } from '../support/issuer.js';
import { describeWithFixtures, sharedFixtures } from './shared-fixtures.js';

const signatures = new SignatureVerifier();
const verifySignature = signatures.verify.bind(signatures);

/**
 * C2SP Wycheproof vectors (github.com/C2SP/wycheproof, testvectors_v1/, at the commit in
 * ../shared/fixtures/wycheproof/WYCHEPROOF_COMMIT; Apache-2.0), read in place, through the code a
 * token takes: every public key is served in a JWKS by a local HTTP server and imported by our
 * KeyResolver (jose's key selection: kid, alg ↔ kty/crv, use, key_ops; then our key/alg binding),
 * and every signature is checked by our verifySignature. Counts are asserted exactly, so a change
 * in behaviour, or in the vector files, fails a test that names it.
 *
 * Wycheproof results: `valid` must verify, `invalid` must not, `acceptable` may go either way
 * (the test pins which way we go). Flags name the kind of case; each file's `notes` explain them.
 */

const wycheproof = sharedFixtures('wycheproof');

interface JwsVector {
  readonly tcId: number;
  readonly comment: string;
  readonly jws: string | Record<string, unknown>;
  readonly result: 'valid' | 'invalid';
  readonly flags: readonly string[];
}
interface JwsGroup {
  readonly comment: string;
  readonly public?: Record<string, unknown>;
  readonly tests: readonly JwsVector[];
}
interface SignatureVector {
  readonly tcId: number;
  readonly comment: string;
  readonly msg: string;
  readonly sig: string;
  readonly result: 'valid' | 'invalid' | 'acceptable';
  readonly flags: readonly string[];
}
interface SignatureGroup {
  readonly publicKeyJwk?: NodeJwk;
  readonly keyJwk?: NodeJwk;
  readonly publicKeyPem: string;
  readonly tests: readonly SignatureVector[];
}

// One HTTP server for the whole file; each key set is served under its own path.
const keySets = new Map<string, { keys: unknown[] }>();
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const keySet = keySets.get(request.url ?? '');
    if (keySet === undefined) response.writeHead(404).end();
    else response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(keySet));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

/** An authorizer configuration trusting one issuer whose key set is `keys`, for every algorithm we support. */
function serveKeySet(path: string, keys: unknown[], algorithms: readonly Algorithm[] = SUPPORTED_ALGORITHMS): AuthorizerConfig {
  keySets.set(path, { keys });
  return loadAuthorizerConfig({
    JWT_ISSUER: 'https://wycheproof.example/',
    JWT_AUDIENCE: 'https://api.example.com',
    JWKS_URI: `${baseUrl}${path}`,
    JWT_ALGORITHMS: algorithms.join(','),
  });
}

function keyResolverFor(config: AuthorizerConfig): KeyResolver {
  return new KeyResolver(config.issuers[0]!, config.jwks, silentLog);
}

type Tally = Record<string, number>;

function count(tally: Tally, key: string): void {
  tally[key] = (tally[key] ?? 0) + 1;
}

/** `{ 'valid accepted': 9, … }` → "9 valid accepted, …", for test names. */
function describeTally(tally: Tally): string {
  return Object.entries(tally)
    .map(([outcome, n]) => `${n} ${outcome}`)
    .join(', ');
}

describeWithFixtures('Wycheproof vectors', wycheproof, () => {
  describe('json_web_signature_test.json, through our parser, header check, key set and signature check', () => {
    /**
     * The signature stage of TokenVerifier.verify, stage by stage with the same functions, stopping
     * before the claims: Wycheproof's payloads are `foo` or RFC 7520's prose, not access-token claims.
     * 'passed' means the token reached the claims stage.
     */
    async function signatureStage(jws: string, verifier: TokenVerifier, config: AuthorizerConfig, keys: KeyResolver) {
      try {
        const parsed = parseStructure(jws, config.rules.maxTokenBytes);
        // TokenVerifier's own header check (alg allowlist, crit, b64, kid, typ); private, reached by name.
        const alg = verifier['checkHeader'](parsed, config.issuers[0]!);
        const key = await keys.resolve(alg, parsed.header.kid as string | undefined, Date.now());
        return verifySignature(alg, key, parsed.signingInput, parsed.signature) ? 'passed' : 'bad_signature';
      } catch (error) {
        if (error instanceof TokenRejectedError) return error.reason;
        throw error;
      }
    }

    /**
     * Stage one, parseToken. It also requires the payload to be a JSON object (RFC 7519 §7.2 step
     * 10), which no Wycheproof payload is: when that is all that is wrong, the header and signature
     * come from parsing a copy whose payload is `{}`, and the signature is checked over the
     * original. A payload segment that is empty or not canonical base64url stays a refusal.
     */
    function parseStructure(jws: string, maxTokenBytes: number): ParsedToken {
      try {
        return parseToken(jws, maxTokenBytes);
      } catch (refusal) {
        const [header, payload, signature, ...rest] = jws.split('.');
        if (rest.length > 0 || signature === undefined || payload === undefined || !isCanonicalBase64url(payload)) throw refusal;
        return { ...parseToken(`${header}.e30.${signature}`, maxTokenBytes), signingInput: `${header}.${payload}` };
      }
    }

    function isCanonicalBase64url(segment: string): boolean {
      return /^[A-Za-z0-9_-]+$/.test(segment) && Buffer.from(segment, 'base64url').toString('base64url') === segment;
    }

    /** Why a valid vector is refused by design: a short name, the reason we refuse it with, and the rule. */
    interface Exception {
      readonly category: 'empty payload' | 'not base64url' | 'HMAC' | 'JWK alg differs';
      readonly reason: RejectionReason;
      readonly why: string;
    }

    /** The exception a valid vector falls under, or undefined when it must pass; checked in the verifier's order. */
    function documentedException(vector: JwsVector, group: JwsGroup): Exception | undefined {
      if (vector.result !== 'valid' || typeof vector.jws !== 'string') return undefined;
      const [header = '', payload = ''] = vector.jws.split('.');
      if (payload === '') {
        return { category: 'empty payload', reason: 'malformed_token', why: 'a JWT payload is a JSON object (RFC 7519 §7.2)' };
      }
      if (!/^[A-Za-z0-9_.-]*$/.test(vector.jws)) {
        // Wycheproof marks these valid because lenient decoders skip the stray character.
        return { category: 'not base64url', reason: 'malformed_token', why: 'one token, one spelling (RFC 7515 §2)' };
      }
      const alg = JSON.parse(Buffer.from(header, 'base64url').toString()).alg as string;
      if (alg.startsWith('HS')) {
        return { category: 'HMAC', reason: 'algorithm_not_allowed', why: 'never a shared secret (RFC 8725 §3.1)' };
      }
      if (group.public?.alg !== undefined && group.public.alg !== alg) {
        // RFC 7520's Figure 20 (PS384 under a key published for PS256) and Figure 27 (ES512 under "ES521").
        return { category: 'JWK alg differs', reason: 'unknown_key', why: "a JWK's alg binds the key (RFC 7517 §4.4)" };
      }
      return undefined;
    }

    interface JwsOutcome {
      readonly group: number;
      readonly vector: JwsVector;
      readonly jws: string;
      readonly outcome: string;
      readonly exception: Exception | undefined;
      /** What the whole TokenVerifier.verify answered: a refusal reason, 'allowed', or the error thrown. */
      readonly whole: string;
    }
    const outcomes: JwsOutcome[] = [];

    beforeAll(async () => {
      const file = wycheproof.readJson<{ testGroups: JwsGroup[] }>('json_web_signature_test.json');
      for (const [index, group] of file.testGroups.entries()) {
        // The issuer publishes the group's public key; a group with only a secret key publishes none.
        const config = serveKeySet(`/jws/${index}`, group.public === undefined ? [] : [group.public]);
        const keys = keyResolverFor(config);
        const verifier = new TokenVerifier(config, [keys]);
        for (const vector of group.tests) {
          const jws = typeof vector.jws === 'string' ? vector.jws : JSON.stringify(vector.jws);
          let whole: string;
          try {
            await verifier.verify(jws, Date.now());
            whole = 'allowed';
          } catch (error) {
            whole = error instanceof TokenRejectedError ? error.reason : String(error);
          }
          const outcome = await signatureStage(jws, verifier, config, keys);
          outcomes.push({ group: index, vector, jws, outcome, exception: documentedException(vector, group), whole });
        }
      }
    });

    it('runs all 401 vectors', () => {
      expect(outcomes).toHaveLength(401);
    });

    it('passes all 26 valid vectors of algorithms we verify through the signature stage', () => {
      const valid = outcomes.filter((o) => o.vector.result === 'valid' && o.exception === undefined);
      expect(valid.filter((o) => o.outcome !== 'passed').map((o) => `${o.vector.tcId} ${o.vector.comment}: ${o.outcome}`)).toEqual([]);
      const byAlgorithm: Tally = {};
      for (const o of valid) count(byAlgorithm, JSON.parse(Buffer.from(o.jws.split('.')[0]!, 'base64url').toString()).alg);
      expect(byAlgorithm).toEqual({ ES256: 2, RS256: 7, RS384: 3, RS512: 3, PS256: 5, PS384: 3, PS512: 3 });
    });

    it('refuses all 355 invalid vectors: 293 bad_signature, 38 malformed_token, 12 algorithm_not_allowed, 11 unknown_key, 1 unsupported_token', () => {
      const reasons: Tally = {};
      for (const o of outcomes.filter((o) => o.vector.result === 'invalid')) count(reasons, o.outcome);
      expect(reasons).toEqual({
        bad_signature: 293,
        malformed_token: 38,
        algorithm_not_allowed: 12,
        unknown_key: 11,
        unsupported_token: 1,
      });
    });

    it('refuses 20 valid vectors for documented reasons: 8 HMAC, 6 empty payload, 4 JWK alg differs, 2 not base64url', () => {
      const refused = outcomes.filter((o) => o.exception !== undefined);
      expect(refused.filter((o) => o.outcome !== o.exception!.reason).map((o) => `${o.vector.tcId}: ${o.outcome}`)).toEqual([]);
      const byCategory: Tally = {};
      for (const o of refused) count(byCategory, o.exception!.category);
      expect(byCategory).toEqual({ HMAC: 8, 'empty payload': 6, 'JWK alg differs': 4, 'not base64url': 2 });
    });

    it('passes the JWK-alg and empty-payload exceptions once what they are refused for is taken away: the signatures themselves verify', async () => {
      const file = wycheproof.readJson<{ testGroups: JwsGroup[] }>('json_web_signature_test.json');
      const passed: string[] = [];
      for (const o of outcomes.filter((o) => o.exception?.category === 'JWK alg differs' || o.exception?.category === 'empty payload')) {
        const { alg: _alg, ...withoutAlg } = file.testGroups[o.group]!.public!;
        const config = serveKeySet(`/jws/${o.group}/without-alg`, [withoutAlg]);
        const keys = keyResolverFor(config);
        const [header, payload, signature] = o.jws.split('.') as [string, string, string];
        const alg = JSON.parse(Buffer.from(header, 'base64url').toString()).alg as Algorithm;
        const key = await keys.resolve(alg, file.testGroups[o.group]!.public!.kid as string, Date.now());
        if (verifySignature(alg, key, `${header}.${payload}`, Buffer.from(signature, 'base64url'))) passed.push(`${o.vector.tcId}`);
      }
      expect(passed).toHaveLength(10);
    });

    it('refuses every vector through TokenVerifier.verify with a TokenRejectedError (none is an access token), never another error', () => {
      const whole: Tally = {};
      for (const o of outcomes) count(whole, o.whole);
      expect(whole).toEqual({ malformed_token: 400, unsupported_token: 1 });
    });
  });

  /**
   * A Wycheproof signature file checked under one JOSE algorithm. `expected` counts outcomes by
   * `${result} ${outcome}`, outcome being accepted, refused, or `key refused: reason` when our key
   * resolver will not hand out the group's key for that algorithm.
   */
  interface SignatureFile {
    readonly file: string;
    readonly alg: Algorithm;
    readonly expected: Tally;
    /** Why the outcome is what it is, where that is not "valid accepted, invalid refused". */
    readonly note?: string;
  }

  const standard = (file: string, alg: Algorithm, valid: number, invalid: number, acceptableRefused = 0): SignatureFile => ({
    file,
    alg,
    expected: {
      'valid accepted': valid,
      'invalid refused': invalid,
      ...(acceptableRefused ? { 'acceptable refused': acceptableRefused } : {}),
    },
    ...(acceptableRefused
      ? { note: "acceptable: PKCS#1 DigestInfo without the NULL parameter (flag MissingNull); OpenSSL's verify refuses it" }
      : {}),
  });

  const SIGNATURE_FILES: readonly SignatureFile[] = [
    standard('rsa_signature_2048_sha256_test.json', 'RS256', 9, 249, 1),
    standard('rsa_signature_3072_sha256_test.json', 'RS256', 8, 250, 1),
    standard('rsa_signature_4096_sha256_test.json', 'RS256', 7, 250, 1),
    standard('rsa_signature_2048_sha384_test.json', 'RS384', 7, 250, 1),
    standard('rsa_signature_3072_sha384_test.json', 'RS384', 7, 251, 1),
    standard('rsa_signature_4096_sha384_test.json', 'RS384', 7, 251, 1),
    standard('rsa_signature_2048_sha512_test.json', 'RS512', 8, 250, 1),
    standard('rsa_signature_3072_sha512_test.json', 'RS512', 8, 251, 1),
    standard('rsa_signature_4096_sha512_test.json', 'RS512', 7, 251, 1),
    standard('rsa_pss_2048_sha256_mgf1_32_test.json', 'PS256', 63, 45),
    standard('rsa_pss_3072_sha256_mgf1_32_test.json', 'PS256', 63, 45),
    standard('rsa_pss_4096_sha256_mgf1_32_test.json', 'PS256', 63, 45),
    standard('rsa_pss_2048_sha384_mgf1_48_test.json', 'PS384', 95, 46),
    standard('rsa_pss_4096_sha384_mgf1_48_test.json', 'PS384', 95, 46),
    standard('rsa_pss_4096_sha512_mgf1_64_test.json', 'PS512', 132, 47),
    standard('ecdsa_secp256r1_sha256_p1363_test.json', 'ES256', 173, 89),
    standard('ecdsa_secp384r1_sha384_p1363_test.json', 'ES384', 193, 87),
    standard('ecdsa_secp521r1_sha512_p1363_test.json', 'ES512', 231, 87),
    standard('ed25519_test.json', 'EdDSA', 88, 63),
    standard('ed25519_test.json', 'Ed25519', 88, 63),
    // Not JOSE algorithms: the same keys and signatures must get nowhere under the nearest JOSE one.
    {
      file: 'rsa_pss_2048_sha256_mgf1_0_test.json',
      alg: 'PS256',
      expected: { 'valid refused': 61, 'invalid refused': 41, 'invalid accepted': 1 },
      note: "salt length 0 is not PS256's 32 (RFC 7518 §3.5); the one accepted is tcId 69, 's_len changed to 32', a genuine PS256 signature",
    },
    {
      file: 'rsa_pss_2048_sha256_mgf1sha1_20_test.json',
      alg: 'PS256',
      expected: { 'valid refused': 63, 'invalid refused': 45 },
      note: 'MGF1 with SHA-1 and a 20-byte salt is not PS256',
    },
    {
      file: 'rsa_pss_4096_sha512_mgf1_32_test.json',
      alg: 'PS512',
      expected: { 'valid refused': 132, 'invalid refused': 45 },
      note: "a 32-byte salt is not PS512's 64",
    },
    {
      file: 'ecdsa_secp256r1_sha512_p1363_test.json',
      alg: 'ES256',
      expected: { 'valid refused': 242, 'invalid refused': 90 },
      note: 'P-256 with SHA-512 is no JOSE algorithm; ES256 hashes with SHA-256',
    },
    {
      file: 'ecdsa_secp256r1_sha512_p1363_test.json',
      alg: 'ES512',
      expected: { 'valid key refused: unknown_key': 242, 'invalid key refused: unknown_key': 90 },
      note: 'ES512 is P-521: a P-256 key is never handed out for it',
    },
    {
      file: 'ed448_test.json',
      alg: 'EdDSA',
      expected: { 'valid key refused: unknown_key': 17, 'invalid key refused: unknown_key': 70 },
      note: "jose's key selection gives EdDSA only Ed25519 keys, so an Ed448 key in a key set is never used",
    },
  ];

  /*
   * What these files exercise in the signature module: ES256/384/512 signatures must be exactly
   * 64/96/132 bytes (R || S, RFC 7518 §3.4) before OpenSSL sees them, and a high S is accepted
   * (ECDSA allows both S and n − S; see the malleability test below); PS* uses exactly the salt
   * length of RFC 7518 §3.5 with MGF1 over the message hash; RSA keys under 2048 bits are refused
   * by the key/alg binding, and no group here has one (all are 2048 to 4096 bits, so no key
   * refusal is counted for RS* or PS*).
   */
  describe('signature files, each group key served in a JWKS and imported by our KeyResolver, each test checked by verifySignature', () => {
    /**
     * A group's public key as its issuer would publish it: the file's own JWK (keeping its `alg`,
     * e.g. PS256) or, where the file gives only PEM, the JWK node:crypto exports from it. `kid`
     * is set per group (the files use "none" for all) so one key set serves the whole file.
     */
    function publishedJwk(group: SignatureGroup, index: number): Record<string, unknown> {
      const jwk = group.publicKeyJwk ?? group.keyJwk ?? createPublicKey(group.publicKeyPem).export({ format: 'jwk' });
      return { ...jwk, kid: `group-${index}` };
    }

    async function run(file: SignatureFile): Promise<{ tally: Tally; accepted: SignatureVector[] }> {
      const { testGroups } = wycheproof.readJson<{ testGroups: SignatureGroup[] }>(file.file);
      const config = serveKeySet(`/signature/${file.file}/${file.alg}`, testGroups.map(publishedJwk), [file.alg]);
      const keys = keyResolverFor(config);
      const tally: Tally = {};
      const accepted: SignatureVector[] = [];
      for (const [index, group] of testGroups.entries()) {
        let key;
        let keyRefusal: string | undefined;
        try {
          key = await keys.resolve(file.alg, `group-${index}`, Date.now());
        } catch (error) {
          if (!(error instanceof TokenRejectedError)) throw error;
          keyRefusal = `key refused: ${error.reason}`;
        }
        for (const vector of group.tests) {
          // verifySignature takes the signing input as text and verifies its latin1 bytes: any byte string round-trips.
          const message = Buffer.from(vector.msg, 'hex').toString('latin1');
          const ok = key !== undefined && verifySignature(file.alg, key, message, Buffer.from(vector.sig, 'hex'));
          if (ok) accepted.push(vector);
          count(tally, `${vector.result} ${keyRefusal ?? (ok ? 'accepted' : 'refused')}`);
        }
      }
      return { tally, accepted };
    }

    for (const file of SIGNATURE_FILES) {
      it(`${file.alg}, ${file.file}: ${describeTally(file.expected)}${file.note ? ` (${file.note})` : ''}`, async () => {
        const { tally, accepted } = await run(file);
        expect(tally).toEqual(file.expected);
        if (file.expected['invalid accepted'] !== undefined) {
          expect(accepted.filter((v) => v.result === 'invalid').map((v) => `${v.tcId} ${v.comment}`)).toEqual(['69 s_len changed to 32']);
        }
      });
    }
  });

  describe('ECDSA signature malleability', () => {
    let issuer: TestIssuer;
    beforeAll(async () => {
      issuer = await TestIssuer.start({ algorithms: ['ES256'] });
    });
    afterAll(async () => {
      await issuer?.stop();
    });

    it("accepts a token's twin signed (r, n − s), as Wycheproof's valid 'signature malleability' vectors say, and gives the twin the same revocation key", async () => {
      // P-256 group order (SEC 2 §2.4.2).
      const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
      const token = await issuer.token({ jti: undefined }, { key: issuer.key('ES256') });
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const bytes = Buffer.from(signature, 'base64url');
      const s = BigInt(`0x${bytes.subarray(32).toString('hex')}`);
      const twinS = Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex');
      const twin = `${header}.${payload}.${Buffer.concat([bytes.subarray(0, 32), twinS]).toString('base64url')}`;
      const config = loadAuthorizerConfig({ ...issuer.env, JWT_REQUIRED_CLAIMS: 'iss,sub,aud,exp,iat' });
      const verifier = new TokenVerifier(config, [keyResolverFor(config)]);

      const original = await verifier.verify(token, Date.now());
      const malleated = await verifier.verify(twin, Date.now());

      expect(twin).not.toBe(token);
      // A jti-less token is revoked by the hash of its signed part, which the twin shares.
      expect(malleated.tokenId).toBe(original.tokenId);
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac, generateKeyPairSync, KeyObject, randomUUID } from 'node:crypto';
import { exportJWK, importJWK, type CryptoKey } from 'jose';
import { type AuthorizerConfig, loadAuthorizerConfig } from '../lambda/config/index.js';
import { JwksUnavailableError, type RejectionReason, silentLog, TokenRejectedError } from '../lambda/shared/index.js';
import { storedId } from '../lambda/revocation/index.js';
import { KeyResolver, tokenHash, TokenVerifier } from '../lambda/token/index.js';
import { createSigningKey, signRaw, TestIssuer, type SigningKey } from './support/issuer.js';

let issuer: TestIssuer;
let attacker: SigningKey;

beforeAll(async () => {
  issuer = await TestIssuer.start();
  attacker = await createSigningKey('RS256', issuer.key('RS256').kid);
});
afterAll(() => issuer.stop());

function verifierFor(env: Record<string, string> = {}): { verifier: TokenVerifier; config: AuthorizerConfig; keys: KeyResolver[] } {
  const config = loadAuthorizerConfig({ ...issuer.env, ...env });
  const keys = config.issuers.map((entry) => new KeyResolver(entry, config.jwks, silentLog));
  return { verifier: new TokenVerifier(config, keys), config, keys };
}

async function rejection(promise: unknown): Promise<TokenRejectedError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TokenRejectedError) return error;
    throw error;
  }
  throw new Error('expected the token to be refused, it was accepted');
}

async function reasonFor(token: string, env: Record<string, string> = {}, nowMs = Date.now()): Promise<RejectionReason> {
  const { verifier } = verifierFor(env);
  return (await rejection((async () => verifier.verify(token, nowMs))())).reason;
}

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('TokenVerifier', () => {
  describe('accepts', () => {
    it.each(['RS256', 'ES256', 'PS256', 'EdDSA'] as const)('a valid %s token and returns its claims', async (alg) => {
      const { verifier } = verifierFor();
      const jti = randomUUID();
      const token = await issuer.token({ jti, sub: 'alice', client_id: 'app-7' }, { key: issuer.key(alg) });

      const verified = await verifier.verify(token, Date.now());

      expect(verified).toMatchObject({
        issuer: issuer.issuer,
        subject: 'alice',
        tokenId: jti,
        clientId: 'app-7',
        scope: 'read write',
      });
    });

    it('a token whose aud array contains an accepted audience', async () => {
      const token = await issuer.token({ aud: ['https://other.example.com', issuer.audience] });
      await expect(Promise.resolve(verifierFor().verifier.verify(token, Date.now()))).resolves.toMatchObject({ subject: 'user-1' });
    });

    it('a token that expired less than the clock tolerance ago', async () => {
      const now = Math.floor(Date.now() / 1000);
      const token = await issuer.token({ iat: now - 600, exp: now - 59 });
      await expect(Promise.resolve(verifierFor().verifier.verify(token, now * 1000))).resolves.toBeDefined();
    });

    it('typ JWT and application/at+jwt in any case, and no typ at all by default', async () => {
      const { verifier } = verifierFor();
      for (const typ of ['JWT', 'Application/AT+JWT', undefined]) {
        const token = await issuer.token({}, { header: { typ } });
        await expect(Promise.resolve(verifier.verify(token, Date.now()))).resolves.toBeDefined();
      }
    });

    it('a client claim configured by name, such as azp', async () => {
      const token = await issuer.token({ azp: 'spa-client', client_id: undefined });
      const verified = await verifierFor({ JWT_CLIENT_CLAIM: 'azp' }).verifier.verify(token, Date.now());
      expect(verified.clientId).toBe('spa-client');
    });

    it('a token without jti when jti is not required, identified by its SHA-256', async () => {
      const token = await issuer.token({ jti: undefined });
      const verified = await verifierFor({ JWT_REQUIRED_CLAIMS: 'iss sub aud exp iat' }).verifier.verify(token, Date.now());
      expect(verified.tokenId).toBe(tokenHash(token));
      expect(verified.tokenId).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
    });

    it('a token without jti, carrying its signature as WSO2 revokes it (and, for ECDSA, the re-spelled twin) as ids', async () => {
      // Prepare
      const { verifier } = verifierFor({ JWT_REQUIRED_CLAIMS: 'iss sub aud exp iat' });
      const rsa = await issuer.token({ jti: undefined }, { key: issuer.key('RS256') });
      const ec = await issuer.token({ jti: undefined }, { key: issuer.key('ES256') });
      const withJti = await issuer.token({}, { key: issuer.key('ES256') });

      // Act
      const [byRsa, byEc, byJti] = await Promise.all([rsa, ec, withJti].map((token) => verifier.verify(token, Date.now())));

      // Assess
      expect(byRsa!.signatureIds).toEqual([rsa.split('.')[2]]);
      expect(byEc!.signatureIds).toHaveLength(2);
      expect(byEc!.signatureIds[0]).toBe(ec.split('.')[2]);
      const [header, payload] = ec.split('.');
      const twin = `${header}.${payload}.${byEc!.signatureIds[1]}`;
      const byTwin = await verifier.verify(twin, Date.now());
      expect(byTwin.signatureIds).toEqual([byEc!.signatureIds[1], byEc!.signatureIds[0]]);
      expect(byTwin.tokenId).toBe(byEc!.tokenId);
      expect(byJti!.signatureIds).toEqual([]);
    });

    it('the subject claim JWT_SUBJECT_CLAIM names, beside sub', async () => {
      const token = await issuer.token({ sub: 'alice@carbon.super', entity_id: '8b4c6d0e-user' });
      const verified = await verifierFor({ JWT_SUBJECT_CLAIM: 'entity_id' }).verifier.verify(token, Date.now());
      expect(verified).toMatchObject({ sub: 'alice@carbon.super', subject: '8b4c6d0e-user', subjectClaim: 'entity_id' });
    });

    it('the session claim JWT_SESSION_CLAIM names, mapped once to the id session revocations are stored under', async () => {
      // Prepare: a sid over 1024 bytes is stored as its hash (storedId); a token without the claim has no session.
      const longSid = 's'.repeat(2000);
      const withSid = await issuer.token({ sid: 'oidc-session-1' });
      const withLongSid = await issuer.token({ sid: longSid });
      const cognito = await issuer.token({ origin_jti: 'c0ffee-origin' });

      // Act
      const bySid = await verifierFor().verifier.verify(withSid, Date.now());
      const byLongSid = await verifierFor().verifier.verify(withLongSid, Date.now());
      const byOrigin = await verifierFor({ JWT_SESSION_CLAIM: 'origin_jti' }).verifier.verify(cognito, Date.now());
      const without = await verifierFor().verifier.verify(cognito, Date.now());

      // Assess
      expect([bySid.sessionId, bySid.revocationIds.session]).toEqual(['oidc-session-1', 'oidc-session-1']);
      expect([byLongSid.sessionId, byLongSid.revocationIds.session]).toEqual([longSid, storedId(longSid)]);
      expect(byOrigin.revocationIds.session).toBe('c0ffee-origin');
      expect([without.sessionId, without.revocationIds.session]).toEqual([undefined, undefined]);
    });

    it('scp arrays as a space-separated scope', async () => {
      const token = await issuer.token({ scope: undefined, scp: ['orders.read', 'orders.write'] });
      expect((await verifierFor().verifier.verify(token, Date.now())).scope).toBe('orders.read orders.write');
    });
  });

  describe('refuses, RFC 8725 attacks', () => {
    it.each(['none', 'None', 'NONE', 'nOnE'])('alg %s, signed or not', async (alg) => {
      const header = b64({ alg, typ: 'at+jwt' });
      const payload = b64(issuer.claims());
      expect(await reasonFor(`${header}.${payload}.`)).toBe('algorithm_not_allowed');
      expect(await reasonFor(`${header}.${payload}.${b64('sig')}`)).toBe('algorithm_not_allowed');
    });

    it('HS256 keyed with the issuer RSA public key (algorithm confusion)', async () => {
      const header = b64({ alg: 'HS256', kid: issuer.key('RS256').kid, typ: 'at+jwt' });
      const payload = b64(issuer.claims());
      const secret = JSON.stringify(issuer.key('RS256').publicJwk);
      const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
      expect(await reasonFor(`${header}.${payload}.${signature}`)).toBe('algorithm_not_allowed');
    });

    it('a token signed by an attacker key under the issuer kid', async () => {
      const token = await issuer.token({}, { key: attacker });
      expect(await reasonFor(token)).toBe('bad_signature');
    });

    it.each(['jwk', 'jku', 'x5u', 'x5c'])('an attacker key offered in the %s header', async (field) => {
      const attackerJwk = attacker.publicJwk;
      const value = {
        jwk: attackerJwk,
        jku: 'https://attacker.example.com/jwks.json',
        x5u: 'https://attacker.example.com/cert.pem',
        x5c: ['MIIBattacker'],
      }[field];
      const withRealKid = await issuer.token({}, { key: attacker, header: { [field]: value } });
      const withOwnKid = await issuer.token({}, { key: attacker, header: { [field]: value, kid: 'attacker-kid' } });
      expect(await reasonFor(withRealKid)).toBe('bad_signature');
      expect(await reasonFor(withOwnKid)).toBe('unknown_key');
    });

    it('a tampered payload', async () => {
      const [header, , signature] = (await issuer.token()).split('.');
      const forged = b64(issuer.claims({ sub: 'admin', scope: 'admin' }));
      expect(await reasonFor(`${header}.${forged}.${signature}`)).toBe('bad_signature');
    });

    it('a signature moved onto another header (alg swapped from RS256 to PS256)', async () => {
      const [, payload, signature] = (await issuer.token()).split('.');
      const header = b64({ alg: 'PS256', kid: issuer.key('RS256').kid, typ: 'at+jwt' });
      expect(await reasonFor(`${header}.${payload}.${signature}`)).toBe('bad_signature');
    });

    it('an algorithm that does not fit the named key (ES256 header, RSA kid)', async () => {
      const token = await issuer.token({}, { key: issuer.key('ES256'), header: { kid: issuer.key('RS256').kid } });
      expect(await reasonFor(token)).toBe('unknown_key');
    });

    it('an algorithm outside the configured allowlist', async () => {
      const token = await issuer.token({}, { key: issuer.key('PS256') });
      expect(await reasonFor(token, { JWT_ALGORITHMS: 'RS256,ES256' })).toBe('algorithm_not_allowed');
    });

    it('an RSA key shorter than 2048 bits in the key set', async () => {
      const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const jwk = { ...(await exportJWK(weak.publicKey)), kid: 'weak', use: 'sig' };
      const weakKey: SigningKey = { alg: 'RS256', kid: 'weak', publicJwk: jwk, privateKey: weak.privateKey as never };
      issuer.keys.push(weakKey);
      try {
        const token = signRaw(JSON.stringify({ alg: 'RS256', kid: 'weak' }), JSON.stringify(issuer.claims()), weakKey);
        expect(await reasonFor(token)).toBe('unknown_key');
      } finally {
        issuer.keys.pop();
      }
    });

    it.each([
      ['an unknown crit extension', { crit: ['exp-ext'], 'exp-ext': 1 }, 'unsupported_header'],
      ['an empty crit list', { crit: [] }, 'unsupported_header'],
      ['b64 false (unencoded payload)', { b64: false, crit: ['b64'] }, 'unsupported_header'],
      ['b64 false without crit', { b64: false }, 'unsupported_header'],
      ['typ of another token kind', { typ: 'logout+jwt' }, 'wrong_type'],
      ['a numeric kid', { kid: 42 }, 'malformed_token'],
    ] as const)('a header with %s', async (_, header, reason) => {
      const key = issuer.key('RS256');
      const token = signRaw(JSON.stringify({ alg: 'RS256', kid: key.kid, ...header }), JSON.stringify(issuer.claims()), key);
      expect(await reasonFor(token)).toBe(reason);
    });

    it('a token without typ when JWT_TYP_REQUIRED is true', async () => {
      const token = await issuer.token({}, { header: { typ: undefined } });
      expect(await reasonFor(token, { JWT_TYP_REQUIRED: 'true' })).toBe('wrong_type');
    });
  });

  describe('refuses, claims', () => {
    const now = Math.floor(Date.now() / 1000);
    it.each([
      ['expired beyond the tolerance', { iat: now - 3600, exp: now - 61 }, 'expired'],
      ['not valid before a time beyond the tolerance', { nbf: now + 61 }, 'not_yet_valid'],
      ['issued in the future beyond the tolerance', { iat: now + 61, exp: now + 3600 }, 'issued_in_future'],
      ['a lifetime over the maximum', { iat: now, exp: now + 86_401 }, 'lifetime_too_long'],
      ['an issuer differing only by a trailing slash', { iss: 'https://issuer.example.com' }, 'unknown_issuer'],
      ['an issuer in another case', { iss: 'https://ISSUER.example.com/' }, 'unknown_issuer'],
      ['a numeric iss', { iss: 12 }, 'missing_claim'],
      ['another audience', { aud: 'https://api.example.com/other' }, 'wrong_audience'],
      ['an empty aud array', { aud: [] }, 'wrong_audience'],
      ['an aud array of numbers', { aud: [1, 2] }, 'invalid_claim'],
      ['exp as a string', { exp: String(now + 3600) }, 'invalid_claim'],
      ['iat as a string', { iat: String(now) }, 'invalid_claim'],
      ['no jti', { jti: undefined }, 'missing_claim'],
      ['no sub', { sub: undefined }, 'missing_claim'],
      ['no exp', { exp: undefined }, 'missing_claim'],
      ['an empty sub', { sub: '' }, 'invalid_claim'],
      ['a numeric client_id', { client_id: 7 }, 'invalid_claim'],
    ] as const)('%s', async (_, claims, reason) => {
      const token = await issuer.token(claims as Record<string, unknown>);
      expect(await reasonFor(token, {}, now * 1000)).toBe(reason);
    });

    it('a token without iat that would outlive the maximum lifetime (revocation entries would not)', async () => {
      const env = { JWT_REQUIRED_CLAIMS: 'iss sub aud exp jti' };
      const longLived = await issuer.token({ iat: undefined, exp: now + 86_400 + 61 });
      const withinLifetime = await issuer.token({ iat: undefined, exp: now + 3600 });

      expect(await reasonFor(longLived, env, now * 1000)).toBe('lifetime_too_long');
      await expect(Promise.resolve(verifierFor(env).verifier.verify(withinLifetime, now * 1000))).resolves.toMatchObject({
        issuedAtEpochSeconds: undefined,
      });
    });

    it('a token older than JWT_MAX_TOKEN_AGE_SECONDS', async () => {
      const token = await issuer.token({ iat: now - 400, exp: now + 3000 });
      expect(await reasonFor(token, { JWT_MAX_TOKEN_AGE_SECONDS: '300' }, now * 1000)).toBe('too_old');
    });

    it('a huge aud array that does not name us', async () => {
      const aud = Array.from({ length: 200 }, (_, index) => `https://api-${index}.example.com`);
      const token = await issuer.token({ aud });
      const error = await rejection((async () => verifierFor({ JWT_MAX_TOKEN_BYTES: '65536' }).verifier.verify(token, Date.now()))());
      expect(error.reason).toBe('wrong_audience');
      expect(error.failedAssertion?.actual).toEqual({ type: 'array', length: 200 });
    });
  });

  describe('refuses, structure', () => {
    it.each([
      ['an empty string', '', 'malformed_token'],
      ['two segments', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0', 'malformed_token'],
      ['four segments', 'a.b.c.d', 'malformed_token'],
      ['a JWE (five segments)', 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d', 'unsupported_token'],
      ['JWS JSON serialization', '{"payload":"e30","signatures":[]}', 'unsupported_token'],
      ['standard base64 characters', 'eyJh+GciOiJSUzI1NiJ9.e30.abc', 'malformed_token'],
      ['base64 padding', 'eyJhbGciOiJSUzI1NiJ9=.e30.abc', 'malformed_token'],
      ['whitespace inside', 'eyJhbGciOiJSUzI1NiJ9 .e30.abc', 'malformed_token'],
      ['a segment of length 1 mod 4', 'eyJhbGciOiJSUzI1NiJ9a.e30.abc', 'malformed_token'],
      ['a header that is not JSON', `${b64('not json')}.${b64({})}.abc`, 'malformed_token'],
      ['a header that is a JSON array', `${b64([1])}.${b64({})}.abc`, 'malformed_token'],
      ['a payload that is a JSON string', `${b64({ alg: 'RS256' })}.${b64('"x"')}.abc`, 'malformed_token'],
      ['a header that is not UTF-8', `${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.${b64({})}.abc`, 'malformed_token'],
    ] as const)('%s', async (_, token, reason) => {
      expect(await reasonFor(token)).toBe(reason);
    });

    it('non-canonical base64url in the signature (unused bits set)', async () => {
      const token = await issuer.token({}, { key: issuer.key('ES256') });
      // A 64-byte ES256 signature encodes to 86 characters: the last one carries 4 unused bits.
      const last = token.at(-1)!;
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const sibling = alphabet[alphabet.indexOf(last) | 1]!;
      expect(Buffer.from(sibling, 'base64url')).toEqual(Buffer.from(last, 'base64url'));
      expect(await reasonFor(token.slice(0, -1) + sibling)).toBe('malformed_token');
    });

    it('duplicate claim names, even when the last one is the valid value', async () => {
      const key = issuer.key('RS256');
      const claims = JSON.stringify(issuer.claims());
      const payload = `{"sub":"admin",${claims.slice(1)}`;
      const token = signRaw(JSON.stringify({ alg: 'RS256', kid: key.kid }), payload, key);
      expect(await reasonFor(token)).toBe('malformed_token');
    });

    it('duplicate header names spelled with an escape', async () => {
      const key = issuer.key('RS256');
      const token = signRaw(`{"alg":"RS256","kid":"${key.kid}","\\u0061lg":"RS256"}`, JSON.stringify(issuer.claims()), key);
      expect(await reasonFor(token)).toBe('malformed_token');
    });

    it('a token over JWT_MAX_TOKEN_BYTES before decoding it', async () => {
      const token = await issuer.token({ padding: 'x'.repeat(9000) });
      const error = await rejection((async () => verifierFor().verifier.verify(token, Date.now()))());
      expect(error.reason).toBe('token_too_large');
      expect(error.failedAssertion).toMatchObject({ expected: 8192 });
    });
  });

  describe('keys', () => {
    it('fetches an unknown kid again only once per cooldown', async () => {
      const { verifier, keys } = verifierFor({ JWKS_COOLDOWN_MS: '60000' });
      await keys[0]!.prefetch();
      const before = issuer.jwksFetches;
      for (let i = 0; i < 20; i++) {
        const token = await issuer.token({}, { key: attacker, header: { kid: `storm-${i}` } });
        expect((await rejection((async () => verifier.verify(token, Date.now()))())).reason).toBe('unknown_key');
      }
      expect(issuer.jwksFetches - before).toBe(0);
    });

    it('picks up a rotated-in key when a token names its kid', async () => {
      const { verifier, keys } = verifierFor({ JWKS_COOLDOWN_MS: '0' });
      await keys[0]!.prefetch();
      const rotated = await createSigningKey('RS256', `rotated-${randomUUID()}`);
      issuer.keys.push(rotated);
      try {
        const token = await issuer.token({}, { key: rotated });
        await expect(Promise.resolve(verifier.verify(token, Date.now()))).resolves.toMatchObject({ subject: 'user-1' });
      } finally {
        issuer.keys.pop();
      }
    });

    it('throws JwksUnavailableError, not a deny, when the key set cannot be fetched and no key is held', async () => {
      for (const mode of ['error', 'garbage', 'hang'] as const) {
        issuer.mode = mode;
        try {
          const token = await issuer.token();
          const { verifier } = verifierFor({ JWKS_TIMEOUT_MS: '500' });
          await expect(Promise.resolve().then(() => verifier.verify(token, Date.now()))).rejects.toBeInstanceOf(JwksUnavailableError);
        } finally {
          issuer.mode = 'ok';
        }
      }
    });

    it('keeps verifying with held keys while the key set endpoint is down, past its max age', async () => {
      const { verifier, keys } = verifierFor({ JWKS_CACHE_MAX_AGE_MS: '1000', JWKS_COOLDOWN_MS: '0' });
      await keys[0]!.prefetch();
      issuer.mode = 'error';
      try {
        const later = Date.now() + 5000;
        const token = await issuer.token();
        await expect(Promise.resolve(verifier.verify(token, later))).resolves.toBeDefined();
        await new Promise((resolve) => setTimeout(resolve, 50)); // let the background refresh fail
        const another = await issuer.token();
        await expect(Promise.resolve(verifier.verify(another, later + 1000))).resolves.toBeDefined();
      } finally {
        issuer.mode = 'ok';
      }
    });
  });

  describe('remembered tokens', () => {
    it('answers a repeated token synchronously with the same result', async () => {
      const { verifier, keys } = verifierFor();
      await keys[0]!.prefetch(); // as the handler does at cold start
      const token = await issuer.token();
      const first = await verifier.verify(token, Date.now());

      const second = verifier.verify(token, Date.now());

      expect(second).not.toBeInstanceOf(Promise);
      expect(second).toBe(first);
    });

    it('never outlives the token exp', async () => {
      const { verifier } = verifierFor();
      const now = Math.floor(Date.now() / 1000);
      const token = await issuer.token({ iat: now, exp: now + 120 });
      await verifier.verify(token, now * 1000);

      const error = await rejection((async () => verifier.verify(token, (now + 120 + 60) * 1000))());

      expect(error.reason).toBe('expired');
    });

    it('is not remembered under a key set that replaced the one its key came from', async () => {
      // Prepare: a stand-in key resolver whose set is replaced while a key is being resolved.
      const { config } = verifierFor();
      const key = issuer.key('RS256');
      const publicKey = KeyObject.from((await importJWK(key.publicJwk, 'RS256')) as CryptoKey);
      const keys = {
        issuer: config.issuers[0]!,
        generation: 1,
        resolve: (): KeyObject | Promise<KeyObject> =>
          Promise.resolve().then(() => {
            keys.generation = 2; // the set changed meanwhile, and no longer holds this key
            return publicKey;
          }),
      };
      const verifier = new TokenVerifier(config, [keys as unknown as KeyResolver]);
      const token = await issuer.token();
      await verifier.verify(token, Date.now());
      keys.resolve = () => Promise.reject(new TokenRejectedError('unknown_key', 'not in the current key set'));

      // Act
      const error = await rejection((async () => verifier.verify(token, Date.now()))());

      // Assess
      expect(error.reason).toBe('unknown_key');
    });

    it('never outlives the key set it was verified under', async () => {
      const { verifier, keys } = verifierFor({ JWKS_COOLDOWN_MS: '0' });
      const token = await issuer.token();
      await verifier.verify(token, Date.now());
      const removed = issuer.keys.shift()!;
      try {
        await keys[0]!.prefetch(); // the issuer rotated the key out

        const error = await rejection((async () => verifier.verify(token, Date.now()))());

        expect(error.reason).toBe('unknown_key');
      } finally {
        issuer.keys.unshift(removed);
      }
    });
  });
});

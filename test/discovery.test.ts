import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadAuthorizerConfig } from '../lambda/config/index.js';
import { DISCOVERY_MAX_BYTES } from '../lambda/contract/index.js';
import { JwksUnavailableError } from '../lambda/shared/index.js';
import { KeyResolver, TokenVerifier } from '../lambda/token/index.js';
import { createSigningKey, type SigningKey } from './support/issuer.js';
import { LogRecorder } from './support/log-recorder.js';
import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { createRevocationTable } from '../local/table-admin.js';
import { httpApiV2Event } from './support/api-gateway-events.js';
import { BundleProcess } from './support/bundle-process.js';
import { startDynalite } from './support/dynalite.js';

/**
 * OIDC discovery (OpenID Connect Discovery 1.0 §4) against a real local HTTP server: a loopback
 * issuer with a path component, serving its configuration document and its key set. The document
 * is the example of §4.2 ("OpenID Provider Configuration Response"), its URLs moved to this server.
 */

interface Provider {
  /** What /realms/test/.well-known/openid-configuration answers: a document, a status, a raw body. */
  document: () => { status: number; body: string };
  discoveryFetches: number;
  jwksFetches: number;
}

let server: Server;
let base = '';
let issuer = '';
let key: SigningKey;
const provider: Provider = { document: () => ({ status: 200, body: '{}' }), discoveryFetches: 0, jwksFetches: 0 };

/** The §4.2 example document with this server's issuer and key set URL. */
function exampleDocument(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    issuer,
    authorization_endpoint: `${issuer}/connect/authorize`,
    token_endpoint: `${issuer}/connect/token`,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS256', 'ES256'],
    userinfo_endpoint: `${issuer}/connect/userinfo`,
    check_session_iframe: `${issuer}/connect/check_session`,
    end_session_endpoint: `${issuer}/connect/end_session`,
    jwks_uri: `${issuer}/jwks.json`,
    registration_endpoint: `${issuer}/connect/register`,
    scopes_supported: ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'],
    response_types_supported: ['code', 'code id_token', 'id_token', 'token id_token'],
    acr_values_supported: ['urn:mace:incommon:iap:silver', 'urn:mace:incommon:iap:bronze'],
    subject_types_supported: ['public', 'pairwise'],
    userinfo_signing_alg_values_supported: ['RS256', 'ES256', 'HS256'],
    userinfo_encryption_alg_values_supported: ['RSA1_5', 'A128KW'],
    userinfo_encryption_enc_values_supported: ['A128CBC-HS256', 'A128GCM'],
    id_token_signing_alg_values_supported: ['RS256', 'ES256', 'HS256'],
    id_token_encryption_alg_values_supported: ['RSA1_5', 'A128KW'],
    id_token_encryption_enc_values_supported: ['A128CBC-HS256', 'A128GCM'],
    request_object_signing_alg_values_supported: ['none', 'RS256', 'ES256'],
    display_values_supported: ['page', 'popup'],
    claim_types_supported: ['normal', 'distributed'],
    claims_supported: [
      'sub',
      'iss',
      'auth_time',
      'acr',
      'name',
      'given_name',
      'family_name',
      'nickname',
      'profile',
      'picture',
      'website',
      'email',
      'email_verified',
      'locale',
      'zoneinfo',
      'http://example.info/claims/groups',
    ],
    claims_parameter_supported: true,
    service_documentation: 'http://server.example.com/connect/service_documentation.html',
    ui_locales_supported: ['en-US', 'en-GB', 'en-CA', 'fr-FR', 'fr-CA'],
    ...overrides,
  });
}

beforeAll(async () => {
  key = await createSigningKey('RS256');
  server = createServer((request, response) => {
    if (request.url === '/realms/test/.well-known/openid-configuration') {
      provider.discoveryFetches++;
      const { status, body } = provider.document();
      response
        .writeHead(status, { 'content-type': 'application/json', ...(status === 301 ? { location: `${base}/elsewhere` } : {}) })
        .end(body);
      return;
    }
    if (request.url === '/realms/test/jwks.json') {
      provider.jwksFetches++;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [key.publicJwk] }));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer = `${base}/realms/test`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});
afterEach(() => {
  provider.document = () => ({ status: 200, body: exampleDocument() });
  provider.discoveryFetches = 0;
  provider.jwksFetches = 0;
});

function token(claims: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: issuer, sub: 'alice', aud: 'api', iat: now, exp: now + 600, jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' })
    .sign(key.privateKey);
}

/** A verifier trusting the issuer without JWKS_URI: its keys must come by discovery. */
function verifierWithoutJwksUri(env: Record<string, string> = {}) {
  const config = loadAuthorizerConfig({ JWT_ISSUER: issuer, JWT_AUDIENCE: 'api', JWKS_COOLDOWN_MS: '200', ...env });
  const log = new LogRecorder();
  const keys = config.issuers.map((entry) => new KeyResolver(entry, config.jwks, log));
  return { verifier: new TokenVerifier(config, keys), keys: keys[0]!, log };
}

async function failure(promise: unknown): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('OIDC discovery', () => {
  it("uses a loopback issuer's discovery document when JWKS_URI is absent, fetched once with the cold-start prefetch", async () => {
    provider.document = () => ({ status: 200, body: exampleDocument() });
    const { verifier, keys } = verifierWithoutJwksUri();

    await keys.prefetch();
    const first = await verifier.verify(await token({ jti: 'first' }), Date.now());
    const second = await verifier.verify(await token({ jti: 'second' }), Date.now());

    expect(first).toMatchObject({ issuer, tokenId: 'first' });
    expect(second).toMatchObject({ tokenId: 'second' });
    expect(provider.discoveryFetches).toBe(1);
    expect(provider.jwksFetches).toBe(1);
  });

  it('discovers on the first request when the cold start could not, the key set cached from then on', async () => {
    provider.document = () => ({ status: 200, body: exampleDocument() });
    const { verifier } = verifierWithoutJwksUri();

    await verifier.verify(await token(), Date.now());
    await verifier.verify(await token(), Date.now());

    expect(provider.discoveryFetches).toBe(1);
  });

  it('refuses a document whose issuer differs, even by a trailing slash, with a clear log line, and fails closed', async () => {
    provider.document = () => ({ status: 200, body: exampleDocument({ issuer: `${issuer}/` }) });
    const { verifier, keys, log } = verifierWithoutJwksUri();

    await keys.prefetch();
    const error = await failure(verifier.verify(await token(), Date.now()));

    expect(error).toBeInstanceOf(JwksUnavailableError);
    expect(log.lines.find((line) => line.message === 'OIDC discovery refused')).toMatchObject({
      level: 'error',
      extra: { issuer, discoveryUrl: `${issuer}/.well-known/openid-configuration`, problem: 'issuer_mismatch' },
    });
    expect(provider.jwksFetches).toBe(0);
  });

  it.each([
    [
      'a jwks_uri that is plain http on another host',
      () => exampleDocument({ jwks_uri: 'http://keys.example.com/jwks.json' }),
      'insecure_jwks_uri',
    ],
    ['no jwks_uri', () => exampleDocument({ jwks_uri: undefined }), 'no_jwks_uri'],
    ['a body over the size bound', () => exampleDocument({ padding: 'x'.repeat(DISCOVERY_MAX_BYTES) }), 'too_large'],
    ['a repeated member name', () => `{"issuer":${JSON.stringify(issuer)},"issuer":"x","jwks_uri":"${issuer}/jwks.json"}`, 'not_json'],
  ])('refuses %s', async (_, body, problem) => {
    provider.document = () => ({ status: 200, body: body() });
    const { verifier, log } = verifierWithoutJwksUri();

    expect(await failure(verifier.verify(await token(), Date.now()))).toBeInstanceOf(JwksUnavailableError);
    expect(log.lines.some((line) => line.extra.problem === problem)).toBe(true);
  });

  it('does not follow a redirect: the document must be the issuer own', async () => {
    provider.document = () => ({ status: 301, body: '' });
    const { verifier, log } = verifierWithoutJwksUri();

    expect(await failure(verifier.verify(await token(), Date.now()))).toBeInstanceOf(JwksUnavailableError);
    expect(log.lines.at(-1)).toMatchObject({ level: 'warn', extra: { problem: 'http_status' } });
  });

  it('retries a failed discovery at most once per cooldown, then recovers', async () => {
    provider.document = () => ({ status: 503, body: 'unavailable' });
    const { verifier } = verifierWithoutJwksUri();
    const jwt = await token();

    expect(await failure(verifier.verify(jwt, Date.now()))).toBeInstanceOf(JwksUnavailableError);
    expect(await failure(verifier.verify(jwt, Date.now()))).toBeInstanceOf(JwksUnavailableError);
    expect(provider.discoveryFetches).toBe(1);

    provider.document = () => ({ status: 200, body: exampleDocument() });
    await new Promise((done) => setTimeout(done, 250));
    expect(await verifier.verify(jwt, Date.now())).toMatchObject({ issuer });
    expect(provider.discoveryFetches).toBe(2);
  });
});

describe('OIDC discovery in the built bundle', () => {
  it('trusts an issuer given without JWKS_URI: dist/authorizer.mjs discovers its key set during the cold start', async () => {
    provider.document = () => ({ status: 200, body: exampleDocument() });
    const dynamo = await startDynalite();
    await createRevocationTable(dynamo.client, 'revocations');
    const bundle = new BundleProcess('authorizer', {
      ...dynamo.env,
      REVOCATION_TABLE_NAME: 'revocations',
      POWERTOOLS_METRICS_DISABLED: 'true',
      AUTHORIZER_RESPONSE_MODE: 'simple',
      JWT_ISSUER: issuer,
      JWT_AUDIENCE: 'api',
    });
    try {
      const invocation = await bundle.invoke(httpApiV2Event(`Bearer ${await token({ sub: 'alice', jti: 'bundle-1' })}`));

      expect(invocation).toEqual({ ok: true, result: { isAuthorized: true, context: { iss: issuer, jti: 'bundle-1', sub: 'alice' } } });
      expect(provider.discoveryFetches).toBe(1);
    } finally {
      await bundle.stop();
      await dynamo.stop();
    }
  });
});

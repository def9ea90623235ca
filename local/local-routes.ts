import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DemoIssuer } from './demo-issuer.js';
import { MAX_DEMO_TTL_SECONDS } from './demo-issuer.js';
import { sendJson, sendMessage } from './gateway.js';
import { LOCAL_RECEIVER_PREFIX } from '../lambda/contract/index.js';

/** Every path the stack keeps for itself; all other paths go through the authorizer. */
export const RESERVED_PREFIX = '/_local';

export const LOCAL_PATHS = {
  health: `${RESERVED_PREFIX}/health`,
  jwks: `${RESERVED_PREFIX}/jwks.json`,
  token: `${RESERVED_PREFIX}/token`,
  sns: `${RESERVED_PREFIX}/sns`,
  receiver: LOCAL_RECEIVER_PREFIX,
} as const;

export interface LocalRoutesOptions {
  /** Undefined when an external issuer is trusted: then /_local/token and /_local/jwks.json answer 404. */
  readonly demoIssuer: DemoIssuer | undefined;
  readonly sns: (request: IncomingMessage, response: ServerResponse, body: Buffer) => Promise<void>;
  /** The revocation receiver's routes, under /_local/receiver/ (local/receiver-route.ts). */
  readonly receiver?: (request: IncomingMessage, response: ServerResponse, body: Buffer) => Promise<void>;
  /** What /_local/health reports; `ready` false answers 503. */
  readonly status: () => { ready: boolean } & Record<string, unknown>;
}

/**
 * The stack's own endpoints:
 * - `GET /_local/health`: 200 once the stack is ready (503 while starting), with its settings;
 * - `GET /_local/jwks.json`: the demo issuer's key set;
 * - `GET|POST /_local/token?sub=alice&client=web[&scope=…][&ttl=3600][&jti=…][&sid=…][&format=json]`:
 *   mints a demo access token, as text (or JSON with format=json or Accept: application/json);
 * - `POST /_local/sns`: the SNS Query API (Publish, PublishBatch) for the revocation topic;
 * - `POST /_local/receiver/oidc/backchannel-logout`, `…/ssf/events`, `…/oauth2/revoke`: the
 *   revocation receiver, invoked as its HTTP API would;
 * - `/_local/token?…&logout=1[&sid=…]`: a logout token for the back-channel logout endpoint instead.
 */
export function createLocalRoutes(options: LocalRoutesOptions) {
  return async function localRoutes(request: IncomingMessage, response: ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '');
    if (path.startsWith(`${LOCAL_PATHS.receiver}/`)) {
      if (options.receiver === undefined) return sendMessage(response, 404, 'Not Found');
      return options.receiver(request, response, body);
    }
    switch (path) {
      case LOCAL_PATHS.sns:
        return options.sns(request, response, body);
      case LOCAL_PATHS.health: {
        const status = options.status();
        return sendJson(response, status.ready ? 200 : 503, status);
      }
      case LOCAL_PATHS.jwks:
        if (options.demoIssuer === undefined)
          return sendMessage(response, 404, 'Not Found: the demo issuer is off because an external issuer is configured');
        return sendJson(response, 200, options.demoIssuer.jwks, { 'cache-control': 'max-age=300' });
      case LOCAL_PATHS.token:
        return mint(options.demoIssuer, request, url, body, response);
      case RESERVED_PREFIX:
        return sendJson(response, 200, { endpoints: LOCAL_PATHS, ...options.status() });
      default:
        return sendMessage(response, 404, 'Not Found');
    }
  };
}

async function mint(
  issuer: DemoIssuer | undefined,
  request: IncomingMessage,
  url: URL,
  body: Buffer,
  response: ServerResponse,
): Promise<void> {
  if (issuer === undefined) {
    return sendMessage(response, 404, 'Not Found: the demo issuer is off because an external issuer is configured; get tokens from it');
  }
  if (request.method !== 'GET' && request.method !== 'POST') return sendMessage(response, 405, 'Method Not Allowed');
  const params = new URLSearchParams(url.search);
  if (request.method === 'POST' && body.length > 0) {
    const type = request.headers['content-type'] ?? '';
    if (type.startsWith('application/json')) {
      let fields: unknown;
      try {
        fields = JSON.parse(body.toString('utf8'));
      } catch {
        return sendMessage(response, 400, 'the body must be a JSON object or a form');
      }
      if (typeof fields !== 'object' || fields === null) return sendMessage(response, 400, 'the body must be a JSON object or a form');
      for (const [name, value] of Object.entries(fields)) params.set(name, String(value));
    } else {
      for (const [name, value] of new URLSearchParams(body.toString('utf8'))) params.set(name, value);
    }
  }
  const ttlText = params.get('ttl');
  const ttlSeconds = ttlText === null ? undefined : Number(ttlText);
  if (ttlSeconds !== undefined && !(Number.isSafeInteger(ttlSeconds) && ttlSeconds >= 1 && ttlSeconds <= MAX_DEMO_TTL_SECONDS)) {
    return sendMessage(response, 400, `ttl must be a whole number of seconds from 1 to ${MAX_DEMO_TTL_SECONDS}, got "${ttlText}"`);
  }
  for (const name of ['sub', 'client', 'scope', 'jti', 'sid']) {
    if (params.get(name) === '') return sendMessage(response, 400, `${name} must not be empty`);
  }
  const logout = params.get('logout');
  if (logout !== null && logout !== '1' && logout !== 'true')
    return sendMessage(response, 400, `logout must be 1 or true, got "${logout}"`);
  const minted =
    logout !== null
      ? await issuer.mintLogoutToken({
          sub: params.get('sub') ?? (params.get('sid') === null ? 'demo-user' : undefined),
          sid: params.get('sid') ?? undefined,
        })
      : await issuer.mint({
          sub: params.get('sub') ?? 'demo-user',
          clientId: params.get('client') ?? params.get('client_id') ?? undefined,
          scope: params.get('scope') ?? undefined,
          ttlSeconds,
          jti: params.get('jti') ?? undefined,
          sid: params.get('sid') ?? undefined,
        });
  const wantsJson = params.get('format') === 'json' || (request.headers.accept ?? '').includes('application/json');
  if (wantsJson) {
    return sendJson(response, 200, {
      access_token: minted.token,
      token_type: 'Bearer',
      expires_in: (minted.claims.exp as number) - (minted.claims.iat as number),
      claims: minted.claims,
    });
  }
  const text = `${minted.token}\n`;
  response.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  response.end(text);
}

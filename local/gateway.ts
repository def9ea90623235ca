import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { DEFAULT_TOKEN_SOURCES, parseTokenSources, type ParsedRoute, type TokenSource } from '../lambda/contract/index.js';
import { authorizerEvent, readHttpApiRequest, type HttpApiIdentity, type HttpApiRequest } from './http-api-event.js';
import { loggableString } from '../lambda/shared/index.js';
import type { InvocationResult } from './lambda-runtime.js';
import { evaluatePolicyResponse } from './policy.js';
import { identityValues, methodArn, requestEventV1, restTokenEvent } from './rest-api-event.js';
import { RouteTable, type LocalApi } from './route-table.js';

/** What an integration answers; the gateway writes it out as is. */
export interface BackendResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer | string;
}

/** What the integration is told about the request besides its content. */
export interface RouteInfo {
  readonly api: LocalApi;
  readonly route: ParsedRoute;
  /** The principal an IAM policy answer named (payload 1.0 and REST). */
  readonly principalId?: string;
}

/** The route's integration: the echo backend, or the HTTP proxy to UPSTREAM_URL. */
export type Backend = (request: HttpApiRequest, authorizerContext: Record<string, unknown>, info?: RouteInfo) => Promise<BackendResponse>;

/** Handles the stack's own paths (JWKS, token minting, SNS, health). */
export type LocalRoutes = (request: IncomingMessage, response: ServerResponse, body: Buffer) => Promise<void>;

export interface GatewayOptions {
  readonly api: HttpApiIdentity;
  /** Invokes the authorizer function. Not called until `ready` resolves. */
  readonly authorize: (event: unknown) => Promise<InvocationResult>;
  readonly backend: Backend;
  /** Paths under this prefix go to `localRoutes`; every other path goes through the authorizer. */
  readonly reservedPrefix: string;
  readonly localRoutes: LocalRoutes;
  /** API requests wait for this: the port opens early so the demo issuer's JWKS is up during the authorizer's cold start. */
  readonly ready: Promise<void>;
  /** One line per API request. */
  readonly accessLog?: (line: string) => void;
  /** Which API Gateway flavour to play (LOCAL_API). @default http-v2 */
  readonly flavour?: LocalApi;
  /** The routes requests are matched against (LOCAL_ROUTES). @default `$default` alone */
  readonly routes?: RouteTable;
  /** Where the authorizer looks for the token (JWT_TOKEN_SOURCES): decides the identity source. @default header:authorization */
  readonly tokenSources?: readonly TokenSource[];
}

/** API Gateway's payload limit for HTTP APIs. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

/**
 * An API Gateway API with routes (`$default` alone unless told), a Lambda authorizer with no result
 * caching, and an integration, in one of four flavours (LOCAL_API): an HTTP API with payload 2.0
 * and simple responses (default) or payload 1.0 and IAM policies, a REST API with a TOKEN or a
 * REQUEST authorizer. Answers what API Gateway answers on its own:
 * - 404 when no route matches;
 * - 401 without the identity source (the authorizer is not invoked), the identity source being
 *   what the CDK construct would declare for the token sources (none for several);
 * - REST: 401 when the authorizer throws `Unauthorized`; 403 for an explicit or implicit deny;
 * - HTTP APIs: 403 when the authorizer says no;
 * - 500 when the authorizer fails or answers something API Gateway would not accept (not a
 *   simple response; not a policy; a context value that is not a string, number or boolean).
 */
export function createGateway(options: GatewayOptions): RequestListener {
  return (request, response) => {
    handle(options, request, response).catch((error: unknown) => {
      options.accessLog?.(`gateway error: ${error instanceof Error ? error.stack : String(error)}`);
      if (!response.headersSent) sendMessage(response, 500, 'Internal Server Error');
      else response.destroy();
    });
  };
}

async function handle(options: GatewayOptions, incoming: IncomingMessage, response: ServerResponse): Promise<void> {
  const startedMs = performance.now();
  const body = await readBody(incoming, MAX_REQUEST_BYTES);
  if (body === undefined) {
    sendMessage(response, 413, 'Request Entity Too Large');
    return;
  }
  const path = (incoming.url ?? '/').split('?', 1)[0]!;
  if (path === options.reservedPrefix || path.startsWith(`${options.reservedPrefix}/`)) {
    await options.localRoutes(incoming, response, body);
    return;
  }

  await options.ready;
  const request = readHttpApiRequest(incoming, body);
  response.setHeader('apigw-requestid', request.requestId);
  const log = (status: number, outcome: string) =>
    options.accessLog?.(`${status} ${request.method} ${request.rawPath} ${outcome} ${Math.round(performance.now() - startedMs)} ms`);
  const api = options.flavour ?? 'http-v2';
  const isRest = api === 'rest-token' || api === 'rest-request';

  const route = (options.routes ?? RouteTable.DEFAULT).match(request.method, request.rawPath);
  if (route === undefined) {
    sendMessage(response, 404, 'Not Found');
    log(404, '(no route matches)');
    return;
  }
  const identity = identityValues(api, options.tokenSources ?? DEFAULT_SOURCES, request);
  if (identity === undefined) {
    sendMessage(response, 401, 'Unauthorized');
    log(401, '(no identity source: the token is missing)');
    return;
  }
  const event =
    api === 'http-v2'
      ? authorizerEvent(options.api, request, route, identity)
      : api === 'rest-token'
        ? restTokenEvent(options.api, request, identity[0]!)
        : requestEventV1(options.api, api, request, route, identity);
  const invocation = await options.authorize(event);
  if (!invocation.ok) {
    // A REST API answers 401 when the authorizer fails with exactly `Unauthorized`; anything else is 500.
    if (isRest && invocation.error.errorMessage === 'Unauthorized') {
      sendMessage(response, 401, 'Unauthorized');
      log(401, '(authorizer: Unauthorized)');
      return;
    }
    sendMessage(response, 500, 'Internal Server Error');
    log(500, `(authorizer failed: ${invocation.error.errorType}: ${invocation.error.errorMessage})`);
    return;
  }

  let context: Record<string, unknown>;
  let principalId: string | undefined;
  if (api === 'http-v2') {
    const decision = readSimpleResponse(invocation.result);
    if (decision === undefined) {
      sendMessage(response, 500, 'Internal Server Error');
      log(500, '(authorizer answer is not a simple response: isAuthorized must be a boolean)');
      return;
    }
    if (!decision.isAuthorized) {
      sendMessage(response, 403, 'Forbidden');
      log(403, `(denied${reasonOf(decision.context)})`);
      return;
    }
    context = decision.context;
  } else {
    const decision = evaluatePolicyResponse(invocation.result, methodArn(options.api, api, request));
    if (decision.kind === 'invalid') {
      sendMessage(response, 500, 'Internal Server Error');
      log(500, `(authorizer answer is not a valid policy response: ${decision.why})`);
      return;
    }
    if (decision.kind !== 'allow') {
      const message = !isRest
        ? 'Forbidden'
        : decision.kind === 'explicit-deny'
          ? 'User is not authorized to access this resource with an explicit deny'
          : 'User is not authorized to access this resource';
      sendMessage(response, 403, message);
      log(
        403,
        decision.kind === 'explicit-deny' ? `(denied${reasonOf(decision.context)})` : '(denied: no Allow statement covers the method)',
      );
      return;
    }
    context = decision.context;
    principalId = (invocation.result as { principalId?: string }).principalId;
  }
  const answer = await options.backend(request, context, { api, route, ...(principalId === undefined ? {} : { principalId }) });
  response.writeHead(answer.statusCode, answer.headers);
  response.end(answer.body);
  // A sub may be long or hold control characters (a line break would forge an access log line).
  const sub = typeof context.sub === 'string' ? loggableString(context.sub) : undefined;
  log(answer.statusCode, `(allowed${sub === undefined ? '' : `: sub ${typeof sub === 'string' ? sub : JSON.stringify(sub)}`})`);
}

const DEFAULT_SOURCES = parseTokenSources(DEFAULT_TOKEN_SOURCES).sources;

function reasonOf(context: Record<string, unknown>): string {
  return typeof context.reason === 'string' ? `: ${context.reason}` : '';
}

/**
 * An HTTP API simple response: `isAuthorized` a boolean, `context` an optional object of values.
 * API Gateway answers 500 to anything else, so this returns undefined for it.
 */
export function readSimpleResponse(result: unknown): { isAuthorized: boolean; context: Record<string, unknown> } | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const { isAuthorized, context } = result as { isAuthorized?: unknown; context?: unknown };
  if (typeof isAuthorized !== 'boolean') return undefined;
  if (context === undefined || context === null) return { isAuthorized, context: {} };
  if (typeof context !== 'object' || Array.isArray(context)) return undefined;
  return { isAuthorized, context: context as Record<string, unknown> };
}

/** The whole body, or undefined once it exceeds `limit` bytes (the rest is drained, so an answer can still be sent). */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** API Gateway's own error bodies: `{"message":"Unauthorized"}` and the like. */
export function sendMessage(response: ServerResponse, statusCode: number, message: string): void {
  const body = JSON.stringify({ message });
  response.writeHead(statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

export function sendJson(response: ServerResponse, statusCode: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = `${JSON.stringify(value)}\n`;
  response.writeHead(statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  response.end(body);
}

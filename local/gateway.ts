import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { authorizerEvent, identitySource, readHttpApiRequest, type HttpApiIdentity, type HttpApiRequest } from './http-api-event.js';
import { loggableString } from '../lambda/shared/index.js';
import type { InvocationResult } from './lambda-runtime.js';

/** What an integration answers; the gateway writes it out as is. */
export interface BackendResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer | string;
}

/** The route's integration: the echo backend, or the HTTP proxy to UPSTREAM_URL. */
export type Backend = (request: HttpApiRequest, authorizerContext: Record<string, unknown>) => Promise<BackendResponse>;

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
}

/** API Gateway's payload limit for HTTP APIs. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

/**
 * An HTTP API with one `$default` route, a Lambda authorizer (payload 2.0, simple responses,
 * identity source `$request.header.Authorization`, no result caching) and an integration.
 * Answers exactly what API Gateway answers on its own: 401 without the identity source (the
 * authorizer is not invoked), 403 when the authorizer says no, 500 when it fails or answers
 * something that is not a simple response.
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

  if (identitySource(request) === undefined) {
    sendMessage(response, 401, 'Unauthorized');
    log(401, '(no Authorization header)');
    return;
  }
  const invocation = await options.authorize(authorizerEvent(options.api, request));
  if (!invocation.ok) {
    sendMessage(response, 500, 'Internal Server Error');
    log(500, `(authorizer failed: ${invocation.error.errorType}: ${invocation.error.errorMessage})`);
    return;
  }
  const decision = readSimpleResponse(invocation.result);
  if (decision === undefined) {
    sendMessage(response, 500, 'Internal Server Error');
    log(500, '(authorizer answer is not a simple response: isAuthorized must be a boolean)');
    return;
  }
  if (!decision.isAuthorized) {
    sendMessage(response, 403, 'Forbidden');
    log(403, `(denied${typeof decision.context.reason === 'string' ? `: ${decision.context.reason}` : ''})`);
    return;
  }
  const answer = await options.backend(request, decision.context);
  response.writeHead(answer.statusCode, answer.headers);
  response.end(answer.body);
  // A sub may be long or hold control characters (a line break would forge an access log line).
  const sub = typeof decision.context.sub === 'string' ? loggableString(decision.context.sub) : undefined;
  log(answer.statusCode, `(allowed${sub === undefined ? '' : `: sub ${typeof sub === 'string' ? sub : JSON.stringify(sub)}`})`);
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

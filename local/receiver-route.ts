import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LOCAL_RECEIVER_PREFIX, parseRouteKey, RECEIVER_ROUTES, type ParsedRoute } from '../lambda/contract/index.js';
import { sendJson } from './gateway.js';
import { DEFAULT_ROUTE, integrationEvent, readHttpApiRequest, type HttpApiIdentity } from './http-api-event.js';
import type { LambdaFunction } from './lambda-runtime.js';

export interface ReceiverRouteOptions {
  readonly api: HttpApiIdentity;
  /** The receiver function (dist/receiver.mjs). */
  readonly receiver: () => LambdaFunction | undefined;
  /**
   * Waited after a 2xx answer, as `npm run revoke` waits: the revocation is written when the
   * receiver answers (the local SNS endpoint answers once the ingest wrote it), and the gateway's
   * authorizer sees it within its sync interval; so the next request is refused.
   */
  readonly enforcedWithinMs: number;
}

/**
 * The RFC 7009 clients of the local stack with the demo issuer (unless RECEIVER_CLIENTS is set):
 * client_id → secret. Demo credentials, as public as the demo issuer that signs whatever it is asked to.
 */
export const DEMO_CLIENTS: Readonly<Record<string, string>> = { web: 'web-secret', 'demo-client': 'demo-client-secret' };

/** {@link DEMO_CLIENTS} as RECEIVER_CLIENTS holds them: client_id → `sha256:<hex>`. */
export function demoClientHashes(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(DEMO_CLIENTS).map(([clientId, secret]) => [
      clientId,
      `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex')}`,
    ]),
  );
}

const ROUTES: ReadonlyMap<string, ParsedRoute> = new Map(
  Object.values(RECEIVER_ROUTES).map((path) => [path, parseRouteKey(`POST ${path}`) as ParsedRoute]),
);

/**
 * `/_local/receiver/…`: the receiver's HTTP API, played as API Gateway plays it (payload 2.0, the
 * route key `POST /oidc/backchannel-logout` and so on, a binary body base64-encoded), the prefix
 * taken off the path. The function's structured answer becomes the HTTP answer.
 */
export function createReceiverRoute(options: ReceiverRouteOptions) {
  return async function receiverRoute(request: IncomingMessage, response: ServerResponse, body: Buffer): Promise<void> {
    const receiver = options.receiver();
    if (receiver === undefined) return sendJson(response, 503, { message: 'Service Unavailable: the stack is starting' });
    const read = readHttpApiRequest(request, body);
    const rawPath = read.rawPath.slice(LOCAL_RECEIVER_PREFIX.length) || '/';
    const route = read.method === 'POST' ? (ROUTES.get(rawPath) ?? DEFAULT_ROUTE) : DEFAULT_ROUTE;
    const event = integrationEvent(options.api, { ...read, rawPath }, {}, route) as unknown as Record<string, unknown>;
    delete (event.requestContext as Record<string, unknown>).authorizer;
    const result = await receiver.invoke(event);
    if (!result.ok) return sendJson(response, 500, { message: 'Internal Server Error' });
    const answer = (result.result ?? {}) as {
      statusCode?: number;
      headers?: Record<string, string>;
      body?: string;
      isBase64Encoded?: boolean;
    };
    const statusCode = answer.statusCode ?? 200;
    if (statusCode >= 200 && statusCode < 300) await new Promise((done) => setTimeout(done, options.enforcedWithinMs));
    const payload =
      answer.body === undefined ? Buffer.alloc(0) : Buffer.from(answer.body, answer.isBase64Encoded === true ? 'base64' : 'utf8');
    response.writeHead(statusCode, { ...answer.headers, 'content-length': payload.length });
    response.end(payload);
  };
}

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Backend } from './gateway.js';

/** Prefix of the request headers that carry the authorizer context to an HTTP upstream. */
export const AUTHORIZER_HEADER_PREFIX = 'x-authorizer-';

// RFC 9110 §7.6.1: connection-specific headers are not forwarded by a proxy.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** API Gateway's integration timeout for HTTP APIs. */
const INTEGRATION_TIMEOUT_MS = 30_000;

/**
 * An HTTP proxy integration on the `$default` route: the request path and query are appended to
 * UPSTREAM_URL, headers and body pass through, and each authorizer context value is sent as an
 * `x-authorizer-<name>` header: what a parameter mapping
 * `overwrite:header.x-authorizer-sub = $context.authorizer.sub` does on AWS. Headers of that name
 * sent by the client are dropped, so a client cannot pose as the authorizer.
 */
export function upstreamProxy(upstreamUrl: URL): Backend {
  const basePath = upstreamUrl.pathname.replace(/\/+$/, '');
  return (request, authorizerContext) =>
    new Promise((resolve) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (HOP_BY_HOP.has(name) || name.startsWith(AUTHORIZER_HEADER_PREFIX) || name === 'host') continue;
        headers[name] = value;
      }
      if (request.cookies.length > 0) headers.cookie = request.cookies.join('; ');
      for (const [name, value] of Object.entries(authorizerContext)) {
        if (value === undefined || value === null) continue;
        headers[`${AUTHORIZER_HEADER_PREFIX}${name.toLowerCase()}`] = typeof value === 'string' ? value : JSON.stringify(value);
      }
      headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${request.sourceIp}` : request.sourceIp;
      headers['x-forwarded-proto'] = 'http';
      headers['content-length'] = String(request.body.length);
      const target = new URL(upstreamUrl);
      target.pathname = basePath + request.rawPath;
      target.search = request.rawQueryString;
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const upstream = send(target, { method: request.method, headers, timeout: INTEGRATION_TIMEOUT_MS }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const responseHeaders: Record<string, string | string[]> = {};
          for (const [name, value] of Object.entries(answer.headers)) {
            if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'content-length') responseHeaders[name] = value;
          }
          resolve({ statusCode: answer.statusCode ?? 502, headers: responseHeaders, body: Buffer.concat(chunks) });
        });
        answer.on('error', () => resolve(integrationFailure(500, 'Internal Server Error')));
      });
      upstream.on('timeout', () => {
        upstream.destroy();
        resolve(integrationFailure(503, 'Service Unavailable'));
      });
      upstream.on('error', () => resolve(integrationFailure(500, 'Internal Server Error')));
      upstream.end(request.body);
    });
}

function integrationFailure(statusCode: number, message: string) {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message }) };
}

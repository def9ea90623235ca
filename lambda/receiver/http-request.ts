import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { DeliveryRefusedError, badRequest } from './errors.js';

/** What the receiver reads of an HTTP API payload 2.0 event. */
export interface ReceiverRequest {
  readonly method: string;
  /** The route's path (`/oidc/backchannel-logout`), from the route key, else the raw path. */
  readonly path: string;
  /** Header names lower-cased (payload 2.0 already does; a direct invoke may not). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/**
 * Reads the event, the body decoded (payload 2.0 base64-encodes bodies it does not take for
 * text) and refused past `maxBodyBytes` before decoding: the body is unauthenticated input.
 */
export function readRequest(event: APIGatewayProxyEventV2, maxBodyBytes: number): ReceiverRequest {
  const http = event?.requestContext?.http;
  const method = typeof http?.method === 'string' ? http.method.toUpperCase() : '';
  const routeKey = typeof event?.routeKey === 'string' ? event.routeKey : '$default';
  const path =
    routeKey !== '$default' && routeKey.includes(' ')
      ? routeKey.slice(routeKey.indexOf(' ') + 1)
      : String(event?.rawPath ?? http?.path ?? '');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event?.headers ?? {})) {
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  const raw = typeof event?.body === 'string' ? event.body : '';
  // base64 is 4/3 of the bytes it carries: a cheap bound before decoding anything.
  const encodedLimit = event?.isBase64Encoded === true ? Math.ceil(maxBodyBytes / 3) * 4 + 4 : maxBodyBytes * 4;
  if (raw.length > encodedLimit) throw tooLarge(maxBodyBytes);
  const body = event?.isBase64Encoded === true ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (body.length > maxBodyBytes) throw tooLarge(maxBodyBytes);
  return { method, path, headers, body };
}

function tooLarge(maxBodyBytes: number): DeliveryRefusedError {
  return new DeliveryRefusedError(413, 'invalid_request', `request body is larger than ${maxBodyBytes} bytes`, 'body_too_large');
}

/** The media type of Content-Type, lower-cased, without parameters; '' when absent. */
export function mediaType(request: ReceiverRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Refuses a body whose Content-Type is not `expected` (415: the endpoint cannot read it). */
export function requireMediaType(request: ReceiverRequest, expected: string): void {
  if (mediaType(request) !== expected) {
    throw new DeliveryRefusedError(415, 'invalid_request', `Content-Type must be ${expected}`, 'unsupported_media_type');
  }
}

/**
 * An `application/x-www-form-urlencoded` body (the HTML URL-encoded form serialization that RFC
 * 6749 Appendix B and OIDC Back-Channel Logout §2.5 name). A parameter given twice is refused:
 * RFC 6749 §3.1, "Request and response parameters MUST NOT be included more than once".
 */
export function readForm(request: ReceiverRequest): ReadonlyMap<string, string> {
  requireMediaType(request, 'application/x-www-form-urlencoded');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(request.body);
  } catch {
    throw badRequest('the form body is not UTF-8');
  }
  const form = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(text)) {
    if (form.has(name)) throw badRequest(`parameter ${printableName(name)} is given more than once (RFC 6749 §3.1)`);
    form.set(name, value);
  }
  return form;
}

/** A parameter name as a message may show it: short and printable, or not at all. */
export function printableName(name: string): string {
  return /^[A-Za-z0-9_.-]{1,40}$/.test(name) ? name : '(unprintable name)';
}

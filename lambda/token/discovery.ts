import { DISCOVERY_MAX_BYTES } from '../contract/index.js';
import { BodyTooLargeError, readBoundedBody } from './bounded-body.js';
import { parseJsonObject } from './strict-json.js';

/** Why a discovery failed: the `problem` of its log line. */
export type DiscoveryProblemKind =
  'unreachable' | 'http_status' | 'too_large' | 'not_json' | 'issuer_mismatch' | 'no_jwks_uri' | 'insecure_jwks_uri';

/** A discovery document that could not be fetched or cannot be used. */
export class DiscoveryError extends Error {
  constructor(
    readonly problem: DiscoveryProblemKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DiscoveryError';
  }
}

/** Which metadata document names an issuer's key set: an OpenID Provider's, or a Shared Signals transmitter's. */
export type DiscoveryKind = 'openid' | 'ssf';

/**
 * Where an issuer's metadata is:
 * - `openid`: OpenID Connect Discovery 1.0 §4: the issuer with any terminating `/` removed,
 *   followed by `/.well-known/openid-configuration`;
 * - `ssf`: Shared Signals Framework 1.0, "Obtaining Transmitter Configuration Metadata":
 *   `/.well-known/ssf-configuration` inserted between the host and the path (RFC 8615), any
 *   terminating `/` of the path removed first.
 */
export function discoveryUrl(issuer: string, kind: DiscoveryKind = 'openid'): string {
  if (kind === 'openid') return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.origin}/.well-known/ssf-configuration${path}`;
}

/** Whether a URL may be fetched for keys: https, or plain http on a loopback host (the local stack, tests). */
export function isAllowedKeyUrl(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/**
 * Fetches the issuer's discovery document and returns its `jwks_uri`. Refuses (DiscoveryError):
 * an answer other than 200 (redirects are not followed: the document must be the issuer's own),
 * a body over DISCOVERY_MAX_BYTES or that is not one strict JSON object, an `issuer` member not
 * identical to the configured issuer (§4.3: it MUST be, or a document served elsewhere could
 * name another issuer's keys), a `jwks_uri` missing or not https (http only on loopback).
 */
export async function discoverJwksUri(issuer: string, timeoutMs: number, kind: DiscoveryKind = 'openid'): Promise<string> {
  const url = discoveryUrl(issuer, kind);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new DiscoveryError('unreachable', `cannot fetch ${url}`, { cause: error });
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new DiscoveryError(
      'http_status',
      `${url} answered HTTP ${response.status}${response.status >= 300 && response.status < 400 ? ' (redirects are not followed)' : ''}`,
    );
  }
  const text = await readBounded(response, url);
  const document = parseJsonObject(text);
  if (document === undefined) throw new DiscoveryError('not_json', `${url} is not a JSON object (or repeats a member name)`);
  if (document.issuer !== issuer) {
    throw new DiscoveryError(
      'issuer_mismatch',
      `${url} names issuer ${JSON.stringify(summary(document.issuer))}, not the configured ${JSON.stringify(issuer)} (${kind === 'openid' ? 'OpenID Connect Discovery 1.0 §4.3' : 'Shared Signals Framework 1.0, Transmitter Configuration Validation'} requires them identical)`,
    );
  }
  const jwksUri = document.jwks_uri;
  if (typeof jwksUri !== 'string' || jwksUri === '') throw new DiscoveryError('no_jwks_uri', `${url} has no jwks_uri`);
  let parsed: URL;
  try {
    parsed = new URL(jwksUri);
  } catch {
    throw new DiscoveryError('no_jwks_uri', `${url} has a jwks_uri that is not an absolute URL: ${JSON.stringify(summary(jwksUri))}`);
  }
  if (!isAllowedKeyUrl(parsed)) {
    throw new DiscoveryError(
      'insecure_jwks_uri',
      `${url} has a jwks_uri that is not https (plain http only on localhost): ${JSON.stringify(summary(jwksUri))}`,
    );
  }
  return jwksUri;
}

async function readBounded(response: Response, url: string): Promise<string> {
  let body: Buffer;
  try {
    body = await readBoundedBody(response, DISCOVERY_MAX_BYTES);
  } catch (error) {
    if (error instanceof BodyTooLargeError)
      throw new DiscoveryError('too_large', `${url} is ${error.message}, over ${DISCOVERY_MAX_BYTES}`);
    throw new DiscoveryError('unreachable', `reading ${url} failed`, { cause: error });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new DiscoveryError('not_json', `${url} is not UTF-8`);
  }
}

/** A value from the document as a log line may show it: strings cut at 200 characters, others by type. */
function summary(value: unknown): string {
  if (typeof value === 'string') return value.length > 200 ? `${value.slice(0, 200)}…` : value;
  return value === undefined ? '(absent)' : `(${typeof value})`;
}

import { createHash, timingSafeEqual } from 'node:crypto';
import { badRequest, DeliveryRefusedError } from './errors.js';
import type { ReceiverRequest } from './http-request.js';

/** RECEIVER_CLIENTS: client_id → SHA-256 of its secret (32 bytes). */
export type ClientSecrets = ReadonlyMap<string, Buffer>;

// Compared against when the client is unknown, so an unknown client costs what a wrong secret does.
const UNKNOWN_CLIENT_DIGEST = createHash('sha256').update('unknown client').digest();

/**
 * RFC 7009 §2.1: the endpoint first authenticates the client, per RFC 6749 §2.3. Two methods:
 * - HTTP Basic (RFC 6749 §2.3.1, `client_secret_basic`): the id and secret are each
 *   form-urlencoded (Appendix B) before being joined with `:` and base64-encoded, so they are
 *   decoded that way here (`+` is a space, `%3A` a colon);
 * - `client_id` and `client_secret` in the form body (`client_secret_post`).
 * Using both is refused (§2.3: "MUST NOT use more than one authentication method in each
 * request", `invalid_request`). A missing, unknown or wrong credential is `invalid_client`, 401
 * with `WWW-Authenticate: Basic` (RFC 6749 §5.2). The secret is hashed and compared in constant
 * time against the stored SHA-256; the secret itself is never stored or logged.
 * @returns the authenticated client_id
 */
export function authenticateClient(request: ReceiverRequest, form: ReadonlyMap<string, string>, clients: ClientSecrets): string {
  const authorization = request.headers.authorization;
  const inBody = form.has('client_secret');
  if (authorization !== undefined && (inBody || (form.has('client_id') && form.get('client_id') !== basicClientId(authorization)))) {
    throw badRequest('the client authenticated with more than one method (RFC 6749 §2.3)', 'multiple_client_authentication');
  }
  let clientId: string | undefined;
  let secret: string | undefined;
  if (authorization !== undefined) {
    ({ clientId, secret } = readBasic(authorization));
  } else if (inBody) {
    clientId = form.get('client_id');
    secret = form.get('client_secret');
  }
  if (clientId === undefined || secret === undefined || clientId === '')
    throw invalidClient('no client authentication included', 'missing_client_authentication');
  const expected = clients.get(clientId);
  const given = createHash('sha256').update(secret, 'utf8').digest();
  const matches = timingSafeEqual(given, expected ?? UNKNOWN_CLIENT_DIGEST);
  if (expected === undefined || !matches) throw invalidClient('client authentication failed', 'bad_client_credentials');
  return clientId;
}

/** The RFC 6749 §5.2 answer to a failed client authentication; the handler adds WWW-Authenticate. */
export function invalidClient(message: string, reason: string): DeliveryRefusedError {
  return new DeliveryRefusedError(401, 'invalid_client', message, reason);
}

function readBasic(authorization: string): { clientId: string; secret: string } {
  const match = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(authorization);
  if (match === null) throw invalidClient('the Authorization header is not HTTP Basic credentials', 'unsupported_client_authentication');
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw invalidClient('the Basic credentials hold no colon', 'malformed_client_authentication');
  try {
    return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    throw invalidClient('the Basic credentials are not form-urlencoded', 'malformed_client_authentication');
  }
}

/** The client_id of Basic credentials, or undefined when they cannot be read (readBasic then says why). */
function basicClientId(authorization: string): string | undefined {
  try {
    return readBasic(authorization).clientId;
  } catch {
    return undefined;
  }
}

/** RFC 6749 Appendix B: application/x-www-form-urlencoded, `+` for a space. */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/** `sha256:<hex>` → the 32-byte digest; undefined when the value has another shape. */
export function parseSecretHash(value: string): Buffer | undefined {
  return /^sha256:[0-9a-f]{64}$/.test(value) ? Buffer.from(value.slice('sha256:'.length), 'hex') : undefined;
}

import type { Algorithm } from '../contract/index.js';
import { TokenRejectedError } from '../shared/index.js';

// RFC 7515 §4.1.11: a recipient must refuse a `crit` it does not understand, and this verifier
// understands no extension. That also refuses RFC 7797 unencoded payloads, which require crit.
const UNDERSTOOD_CRITICAL_HEADERS: readonly string[] = [];

/**
 * The JOSE header rules every JWT verified here follows, whatever its kind (access token, logout
 * token, SET): `alg` in the issuer's allowlist (RFC 8725 §3.1: never `none`, never HMAC), no `crit`
 * extension, no unencoded payload, `kid` a string. Header-supplied keys (`jwk`, `jku`, `x5u`,
 * `x5c`) are not read at all. `typ` is left to the caller: each kind has its own rule.
 * @returns the algorithm, to select the key with.
 */
export function checkJwsHeader(header: Readonly<Record<string, unknown>>, algorithms: readonly Algorithm[]): Algorithm {
  const { alg, crit, b64, kid } = header;
  if (typeof alg !== 'string' || !(algorithms as readonly string[]).includes(alg)) {
    throw new TokenRejectedError('algorithm_not_allowed', 'alg is not allowed for this issuer', { actual: alg, expected: algorithms });
  }
  if (crit !== undefined) {
    const names = Array.isArray(crit) ? crit : [crit];
    const unknown = names.filter((name) => !UNDERSTOOD_CRITICAL_HEADERS.includes(name as string));
    if (unknown.length > 0 || names.length === 0) {
      throw new TokenRejectedError('unsupported_header', 'crit names extensions this verifier does not understand', { actual: crit });
    }
  }
  if (b64 !== undefined) {
    throw new TokenRejectedError('unsupported_header', 'b64 (RFC 7797 unencoded payload) is not accepted');
  }
  if (kid !== undefined && typeof kid !== 'string') {
    throw new TokenRejectedError('malformed_token', 'kid must be a string', { actual: kid });
  }
  return alg as Algorithm;
}

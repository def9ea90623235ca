import { JwksUnavailableError, TokenRejectedError } from '../shared/index.js';
import type { TokenVerifier, VerifiedToken } from '../token/index.js';
import { authenticateClient, type ClientSecrets } from './client-authentication.js';
import { badRequest, DeliveryRefusedError } from './errors.js';
import { readForm, type ReceiverRequest } from './http-request.js';
import type { OutgoingRevocation } from './revocation-messages.js';

/** What an RFC 7009 request comes to: the client, and the revocation to publish, if any. */
export interface TokenRevocationRequest {
  readonly clientId: string;
  /** Undefined: an invalid token, answered 200 with nothing revoked (RFC 7009 §2.2). */
  readonly revocation: OutgoingRevocation | undefined;
  /** Why nothing is revoked, for the log line: the verifier's reason. */
  readonly invalidTokenReason?: string;
}

/**
 * RFC 7009 §2.1, in its order: authenticate the client (client-authentication.ts), read `token`
 * (REQUIRED) and `token_type_hint` (OPTIONAL), then verify the token with the authorizer's own
 * verifier and rules (JWT_ISSUER, JWT_AUDIENCE, JWT_TYP…), and check it was issued to this client
 * (the issuer's client claim, JWT_CLIENT_CLAIM; else refused: `unauthorized_client`, RFC 6749 §5.2).
 * - A token that does not verify (forged, expired, another issuer's, garbage) is an invalid token:
 *   200 with nothing revoked (§2.2: the purpose, that the token is unusable, is achieved).
 * - `unsupported_token_type` (§2.2.1) for what this server cannot revoke: an encrypted token (JWE),
 *   or a `token_type_hint=refresh_token` whose token is no JWT this authorizer accepts (refresh
 *   tokens are revoked at the authorization server, not here). A hint naming an access token that
 *   turns out to be one is searched anyway (§2.1), and an unknown hint is ignored (§2.2).
 * - Keys unavailable: JwksUnavailableError, answered 503 (§2.2.1: the client retries later).
 * The revocation is the token's jti (or, for a jti-less token, the id the authorizer derives from
 * it) with its exp: the token itself never goes on the topic.
 */
export async function readTokenRevocation(
  request: ReceiverRequest,
  clients: ClientSecrets,
  verifier: TokenVerifier,
  nowMs: number,
): Promise<TokenRevocationRequest> {
  const form = readForm(request);
  const clientId = authenticateClient(request, form, clients);
  const token = form.get('token');
  if (token === undefined || token === '') throw badRequest('the token parameter is required (RFC 7009 §2.1)', 'missing_token');
  const hint = form.get('token_type_hint');
  let verified: VerifiedToken;
  try {
    verified = await verifier.verify(token, nowMs);
  } catch (error) {
    if (error instanceof JwksUnavailableError) throw error;
    if (!(error instanceof TokenRejectedError)) throw error;
    if (
      error.reason === 'unsupported_token' ||
      (hint === 'refresh_token' && (error.reason === 'malformed_token' || error.reason === 'token_too_large'))
    ) {
      throw new DeliveryRefusedError(
        400,
        'unsupported_token_type',
        'this server revokes only JWT access tokens its authorizer accepts',
        'unsupported_token_type',
      );
    }
    return { clientId, revocation: undefined, invalidTokenReason: error.reason };
  }
  if (verified.clientId !== clientId) {
    throw new DeliveryRefusedError(
      400,
      'unauthorized_client',
      'the token was not issued to this client (RFC 7009 §2.1)',
      'token_of_another_client',
    );
  }
  return {
    clientId,
    revocation: { type: 'jti', jti: verified.tokenId, iss: verified.issuer, exp: Math.ceil(verified.expiresAtEpochSeconds) },
  };
}

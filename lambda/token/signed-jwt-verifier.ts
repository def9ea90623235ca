import { TokenRejectedError } from '../shared/index.js';
import { checkJwsHeader } from './header-check.js';
import type { KeyResolver } from './key-resolver.js';
import { parseToken, type ParsedToken } from './parse-token.js';
import type { IssuerConfig } from './settings.js';
import { SignatureVerifier } from './signature.js';

/** A JWT whose structure and signature passed; its claims are the caller's to check. */
export interface SignedJwt {
  readonly header: ParsedToken['header'];
  readonly payload: ParsedToken['payload'];
  /** The configured issuer whose key verified the signature (its `issuer` equals the `iss` claim). */
  readonly issuer: IssuerConfig;
}

/**
 * Stages one and two of the verifier (structure → signature) for JWTs that are not access tokens
 * (logout tokens, Security Event Tokens): the same strict parser, exact `iss` match, header rules
 * (checkJwsHeader), the issuer's key set (KeyResolver: `kid` and `alg` bound to the key, never a
 * header-supplied key) and signature check as the authorizer's. `typ` and the claims differ per
 * kind, so the caller checks them, on a payload whose signature verified.
 *
 * Throws TokenRejectedError for a token to refuse, JwksUnavailableError when keys cannot be fetched.
 */
export class SignedJwtVerifier {
  private readonly issuers: ReadonlyMap<string, KeyResolver>;
  private readonly signatures = new SignatureVerifier();

  constructor(
    keyResolvers: readonly KeyResolver[],
    private readonly maxTokenBytes: number,
  ) {
    this.issuers = new Map(keyResolvers.map((keys) => [keys.issuer.issuer, keys]));
  }

  /** The issuers whose tokens this verifier accepts. */
  get issuerNames(): readonly string[] {
    return [...this.issuers.keys()];
  }

  async verify(token: string, nowMs: number): Promise<SignedJwt> {
    const parsed = parseToken(token, this.maxTokenBytes);
    const iss = parsed.payload.iss;
    if (typeof iss !== 'string') throw new TokenRejectedError('missing_claim', 'iss is missing or not a string', { claim: 'iss' });
    // Exact match, byte for byte (RFC 8725 §3.8).
    const keys = this.issuers.get(iss);
    if (keys === undefined) throw new TokenRejectedError('unknown_issuer', 'iss is not a trusted issuer', { claim: 'iss', actual: iss });
    const alg = checkJwsHeader(parsed.header, keys.issuer.algorithms);
    const key = await keys.resolve(alg, parsed.header.kid as string | undefined, nowMs);
    if (!this.signatures.verify(alg, key, parsed.signingInput, parsed.signature)) {
      throw new TokenRejectedError('bad_signature', 'signature does not verify with the issuer key');
    }
    return { header: parsed.header, payload: parsed.payload, issuer: keys.issuer };
  }
}

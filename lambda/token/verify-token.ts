import type { KeyObject } from 'node:crypto';
import type { Algorithm } from '../contract/index.js';
import { revocationIdsOf } from '../revocation/index.js';
import { isPromise, TokenRejectedError, type MaybePromise } from '../shared/index.js';
import { checkClaims } from './claims.js';
import { checkJwsHeader } from './header-check.js';
import { checkIssuerRules } from './issuer-rules.js';
import type { KeyResolver } from './key-resolver.js';
import { TokenParser, type ParsedJws } from './parse-token.js';
import { normalizeType, type IssuerConfig, type VerifierSettings } from './settings.js';
import { signatureIds } from './signature-ids.js';
import { SignatureVerifier } from './signature.js';
import { tokenHash } from './token-hash.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import type { VerifiedToken } from './verified-token.js';

const NO_SIGNATURE_IDS: readonly string[] = Object.freeze([]);

/**
 * verifyToken: JWT in, VerifiedToken out, in three stages so nothing unverified is ever trusted:
 * structure (size, encoding, JSON) → signature (issuer's key, allowlisted algorithm) → claims.
 *
 * A token that passed is remembered (bounded, per instance) until its exp or its issuer's key set
 * changes, so a client presenting the same token again costs a map lookup. The revocation check is
 * not part of this and runs on every request, remembered token or not.
 *
 * Created once per cold start: it owns the per-instance memos of the request path (the token
 * cache, the parser's header memo and buffers, the last issuer and header check).
 */
export class TokenVerifier {
  private readonly issuers: ReadonlyMap<string, { config: IssuerConfig; keys: KeyResolver }>;
  private readonly cache: VerifiedTokenCache;
  private readonly parser = new TokenParser();
  private readonly signatures = new SignatureVerifier();
  // Consecutive tokens mostly share their issuer and, byte for byte, their header, which the parser
  // then hands over as one frozen object: the last lookup and the last header check are kept.
  private lastIssuer: { iss: string; entry: { config: IssuerConfig; keys: KeyResolver } } | undefined;
  private lastHeaderCheck: { header: ParsedJws['header']; issuer: IssuerConfig; alg: Algorithm } | undefined;

  constructor(
    private readonly config: VerifierSettings,
    keyResolvers: readonly KeyResolver[],
  ) {
    this.issuers = new Map(keyResolvers.map((keys) => [keys.issuer.issuer, { config: keys.issuer, keys }]));
    this.cache = new VerifiedTokenCache(config.tokenCacheMaxEntries);
  }

  /**
   * Resolves to the verified token, synchronously when it was verified before. Throws
   * TokenRejectedError for a token to refuse, JwksUnavailableError when keys cannot be fetched.
   */
  verify(token: string, nowMs: number): MaybePromise<VerifiedToken> {
    const nowSeconds = nowMs / 1000;
    const remembered = this.cache.get(token, nowSeconds);
    if (remembered !== undefined && remembered.keyGeneration === this.issuers.get(remembered.token.issuer)?.keys.generation) {
      return remembered.token;
    }

    const parsed = this.parser.parse(token, this.config.rules.maxTokenBytes);
    const issuer = this.issuerOf(parsed);
    const checked = this.lastHeaderCheck;
    const alg =
      checked !== undefined && checked.header === parsed.header && checked.issuer === issuer.config
        ? checked.alg
        : this.checkHeader(parsed, issuer.config);
    const kid = parsed.header.kid as string | undefined;
    // Read before the key: a key set replaced while the key is being resolved must not vouch for
    // a token verified with a key from the set before it.
    const keyGeneration = issuer.keys.generation;
    const key = issuer.keys.resolve(alg, kid, nowMs);
    if (isPromise(key)) {
      return key.then((resolved) => this.finish(token, parsed, issuer, alg, resolved, keyGeneration, nowMs));
    }
    return this.finish(token, parsed, issuer, alg, key, keyGeneration, nowMs);
  }

  private finish(
    token: string,
    parsed: ParsedJws,
    issuer: { config: IssuerConfig; keys: KeyResolver },
    alg: Algorithm,
    key: KeyObject,
    keyGeneration: number,
    nowMs: number,
  ): VerifiedToken {
    if (!this.signatures.verifyEncoded(alg, key, parsed.signingInput, parsed.encodedSignature)) {
      throw new TokenRejectedError('bad_signature', 'signature does not verify with the issuer key');
    }
    const claims = checkClaims(parsed.payload, issuer.config, this.config.rules, nowMs / 1000);
    if (issuer.config.tokenUse !== undefined || issuer.config.audienceClaim !== undefined) checkIssuerRules(parsed.payload, issuer.config);
    const tokenId = claims.jti ?? tokenHash(token);
    // WSO2 revokes a token without jti by its signature: computed once here, a remembered token
    // carries them to every later request.
    const sigIds =
      claims.jti === undefined
        ? signatureIds(alg, parsed.encodedSignature, Buffer.from(parsed.encodedSignature, 'base64url'))
        : NO_SIGNATURE_IDS;
    const verified: VerifiedToken = {
      issuer: issuer.config.issuer,
      sub: claims.sub,
      subject: claims.subject,
      subjectClaim: issuer.config.subjectClaim,
      tokenId,
      signatureIds: sigIds,
      clientId: claims.clientId,
      sessionId: claims.sessionId,
      // Once per verified token (the cache keeps them), so no request maps an id again.
      revocationIds: revocationIdsOf(tokenId, claims.subject, claims.clientId, sigIds, claims.sessionId),
      issuedAtEpochSeconds: claims.issuedAtEpochSeconds,
      expiresAtEpochSeconds: claims.expiresAtEpochSeconds,
      scope: claims.scope,
      claims: parsed.payload,
    };
    // Remembered only if the key set did not change while the key was resolved (see verify).
    if (keyGeneration === issuer.keys.generation) {
      this.cache.set(token, { token: verified, keyGeneration }, claims.acceptableUntilEpochSeconds);
    }
    return verified;
  }

  private issuerOf(parsed: ParsedJws): { config: IssuerConfig; keys: KeyResolver } {
    const iss = parsed.payload.iss;
    if (this.lastIssuer !== undefined && iss === this.lastIssuer.iss) return this.lastIssuer.entry;
    if (typeof iss !== 'string') {
      throw new TokenRejectedError('missing_claim', 'iss is missing or not a string', { claim: 'iss' });
    }
    // Exact match, byte for byte: no trailing-slash or case folding (RFC 8725 §3.8).
    const issuer = this.issuers.get(iss);
    if (issuer === undefined) {
      throw new TokenRejectedError('unknown_issuer', 'iss is not a trusted issuer', { claim: 'iss', actual: iss });
    }
    this.lastIssuer = { iss, entry: issuer };
    return issuer;
  }

  private checkHeader(parsed: Pick<ParsedJws, 'header'>, issuer: IssuerConfig): Algorithm {
    const alg = checkJwsHeader(parsed.header, issuer.algorithms);
    const typ = parsed.header.typ;
    const rules = this.config.rules;
    if (typ === undefined) {
      if (rules.typeRequired) throw new TokenRejectedError('wrong_type', 'typ header is required', { expected: rules.acceptedTypes });
    } else if (typeof typ !== 'string' || !rules.acceptedTypes.includes(normalizeType(typ))) {
      // RFC 9068 §4: access tokens are at+jwt; refusing other types keeps ID tokens and
      // logout tokens from being replayed as access tokens.
      throw new TokenRejectedError('wrong_type', 'typ is not an accepted token type', { actual: typ, expected: rules.acceptedTypes });
    }
    // Only a header that passed is remembered; its object is frozen and the issuer's config too.
    this.lastHeaderCheck = { header: parsed.header, issuer, alg };
    return alg;
  }
}

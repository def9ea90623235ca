import { KeyObject } from 'node:crypto';
import { createRemoteJWKSet, customFetch, errors, jwksCache, type JWKSCacheInput, type RemoteJWKSet } from 'jose';
import type { Algorithm } from '../contract/index.js';
import {
  describeError,
  errorCode,
  JwksTooLargeError,
  JwksUnavailableError,
  TokenRejectedError,
  type Log,
  type MaybePromise,
} from '../shared/index.js';
import { BodyTooLargeError, readBoundedBody } from './bounded-body.js';
import { DiscoveryError, discoverJwksUri, discoveryUrl } from './discovery.js';
import type { IssuerConfig, JwksSettings } from './settings.js';
import { keyMismatch } from './signature.js';

/**
 * One issuer's signing keys: jose's remote key set does the fetching (timeout, a refetch on an
 * unknown `kid` at most once per cooldown, shared in-flight fetches) and the key selection
 * (`kid`, `alg` ↔ `kty`/`crv`, `use`, `key_ops`); this class adds what a long-lived Lambda
 * instance needs on top:
 * - keys already resolved are answered synchronously from a memo, dropped whenever the set changes;
 * - a held key set is refreshed in the background after `cacheMaxAgeMs`, and kept if that fails,
 *   so an outage of the issuer does not break warm instances that already hold its keys.
 *
 * - an issuer configured without a key set URL has it found by OIDC discovery (discovery.ts): at
 *   cold start with the key prefetch, again with each background refresh (a changed `jwks_uri`
 *   replaces the key set), kept when a later discovery fails; until one succeeds, tokens of the
 *   issuer fail as an unreachable key set does (500), one attempt per cooldown at most.
 *
 * Header-supplied keys (`jwk`, `jku`, `x5u`, `x5c`) are never consulted: only `alg` and `kid`
 * reach the key set.
 */
export class KeyResolver {
  private remote: RemoteJWKSet | undefined;
  /** The key set URL: configured, or discovered; undefined until discovery succeeds. */
  private jwksUri: string | undefined;
  // jose writes `uat` here after every successful fetch: our signal that the key set changed.
  // Replaced (with the remote set) when discovery names another key set URL.
  private fetched: JWKSCacheInput = {};
  private discovering: Promise<RemoteJWKSet> | undefined;
  private lastDiscoveryFailureMs = Number.NEGATIVE_INFINITY;
  // By alg, then kid: two lookups of short strings cost less than building and hashing `${alg} ${kid}`.
  private memo = new Map<Algorithm, Map<string | undefined, KeyObject>>();
  private memoFetchedAt: number | undefined;
  private refreshing: Promise<void> | undefined;
  private lastRefreshAttemptMs = 0;
  private lastFetchFailureMs = Number.NEGATIVE_INFINITY;

  constructor(
    readonly issuer: IssuerConfig,
    private readonly settings: JwksSettings,
    private readonly log: Log,
  ) {
    if (issuer.jwksUri !== undefined) this.useKeySet(issuer.jwksUri);
  }

  private useKeySet(jwksUri: string, keySet = this.createKeySet(jwksUri)): RemoteJWKSet {
    this.fetched = keySet.fetched;
    this.remote = keySet.remote;
    this.jwksUri = jwksUri;
    return keySet.remote;
  }

  private createKeySet(jwksUri: string): { remote: RemoteJWKSet; fetched: JWKSCacheInput } {
    const fetched: JWKSCacheInput = {};
    const remote = createRemoteJWKSet(new URL(jwksUri), {
      timeoutDuration: this.settings.timeoutMs,
      cooldownDuration: this.settings.cooldownMs,
      // Age is handled here, by a background refresh that keeps the old keys on failure; jose's
      // own max age would refetch in the request path and fail the request when the fetch fails.
      cacheMaxAge: Infinity,
      [jwksCache]: fetched,
      [customFetch]: (url, init) => this.fetchCapped(url, init),
    });
    return { remote, fetched };
  }

  /**
   * fetch, with the body read up to JWKS_MAX_BYTES and no further: a key set endpoint that answers
   * without end (a 60 MB set took 447 MB of memory) is cut off at the limit, refused with
   * JwksTooLargeError, and jose keeps the key set it holds. A declared Content-Length over the
   * limit is refused before reading; a compressed body is counted as decoded.
   */
  private async fetchCapped(url: string, init: RequestInit): Promise<Response> {
    const response = await fetch(url, init);
    // jose refuses anything but 200 by its status alone; its body is not needed.
    if (response.status !== 200 || response.body === null) {
      await response.body?.cancel().catch(() => {});
      return new Response(null, { status: response.status, headers: response.headers });
    }
    try {
      return new Response(await readBoundedBody(response, this.settings.maxBytes), { status: 200, headers: response.headers });
    } catch (error) {
      if (error instanceof BodyTooLargeError) throw this.tooLarge(error.bytes, error.declared);
      throw error;
    }
  }

  private tooLarge(bytes: number, declared: boolean): JwksTooLargeError {
    const error = new JwksTooLargeError(
      `the key set of ${this.issuer.issuer} is ${declared ? '' : 'more than '}${bytes} bytes, over JWKS_MAX_BYTES (${this.settings.maxBytes}); refused`,
    );
    this.log.error('issuer key set refused: larger than JWKS_MAX_BYTES; keeping the keys already held', {
      code: error.code,
      issuer: this.issuer.issuer,
      jwksUri: this.jwksUri,
      maxBytes: this.settings.maxBytes,
      [declared ? 'declaredBytes' : 'bytesRead']: bytes,
    });
    return error;
  }

  /** Changes whenever a fetch replaced the key set; cached verifications compare against it. */
  get generation(): number {
    return this.fetched.uat ?? 0;
  }

  /** Fetches the key set now, at cold start, so the first request does not pay for it. Never throws. */
  async prefetch(): Promise<void> {
    let remote: RemoteJWKSet;
    try {
      remote = await this.remoteKeySet(Date.now());
    } catch {
      return; // logged by discover
    }
    try {
      await remote.reload();
    } catch (error) {
      this.log.warn('could not prefetch the issuer key set; the first request will try again', {
        code: errorCode(error),
        issuer: this.issuer.issuer,
        jwksUri: this.jwksUri,
        error: describeError(error),
      });
    }
  }

  /** The remote key set, after discovering its URL when the issuer was configured without one. */
  private remoteKeySet(nowMs: number): MaybePromise<RemoteJWKSet> {
    if (this.remote !== undefined) return this.remote;
    if (this.discovering !== undefined) return this.discovering;
    if (nowMs - this.lastDiscoveryFailureMs < this.retryAfterFailureMs) {
      throw new JwksUnavailableError(`the OIDC discovery of ${this.issuer.issuer} failed recently; no key set is known yet`);
    }
    this.discovering = this.discover(nowMs)
      .then((jwksUri) => this.useKeySet(jwksUri))
      .finally(() => {
        this.discovering = undefined;
      });
    return this.discovering;
  }

  /** Runs one discovery; logs a failure (an issuer mismatch as an error) and throws JwksUnavailableError. */
  private async discover(nowMs: number): Promise<string> {
    try {
      return await discoverJwksUri(this.issuer.issuer, this.settings.timeoutMs, this.issuer.discovery);
    } catch (error) {
      this.lastDiscoveryFailureMs = nowMs;
      const problem = error instanceof DiscoveryError ? error.problem : 'unreachable';
      const extra = {
        issuer: this.issuer.issuer,
        discoveryUrl: discoveryUrl(this.issuer.issuer, this.issuer.discovery),
        problem,
        error: describeError(error),
        ...(error instanceof Error && error.cause !== undefined ? { cause: describeError(error.cause) } : {}),
      };
      // A document naming another issuer is a misconfiguration (or someone else's document), not an outage.
      if (problem === 'issuer_mismatch' || problem === 'insecure_jwks_uri') this.log.error('OIDC discovery refused', extra);
      else this.log.warn('OIDC discovery failed; tokens of this issuer fail until it succeeds', extra);
      throw new JwksUnavailableError(
        `OIDC discovery of ${this.issuer.issuer} failed: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  /**
   * The key for a token header, synchronously when already resolved. Rejects with
   * TokenRejectedError('unknown_key') when no key matches, JwksUnavailableError when the key set
   * cannot be fetched and no key for the token is held.
   */
  resolve(alg: Algorithm, kid: string | undefined, nowMs: number): MaybePromise<KeyObject> {
    if (this.memoFetchedAt !== this.fetched.uat) {
      this.memo = new Map();
      this.memoFetchedAt = this.fetched.uat;
    }
    if (this.fetched.uat !== undefined && nowMs - this.fetched.uat > this.settings.cacheMaxAgeMs) {
      this.refreshInBackground(nowMs);
    }
    const key = this.memo.get(alg)?.get(kid);
    if (key !== undefined) return key;
    if (this.remote === undefined) return this.resolveAfterDiscovery(alg, kid, nowMs);
    return this.resolveFromKeySet(this.remote, alg, kid, nowMs);
  }

  private async resolveAfterDiscovery(alg: Algorithm, kid: string | undefined, nowMs: number): Promise<KeyObject> {
    const remote = await this.remoteKeySet(nowMs);
    return this.resolveFromKeySet(remote, alg, kid, nowMs);
  }

  private async resolveFromKeySet(remote: RemoteJWKSet, alg: Algorithm, kid: string | undefined, nowMs: number): Promise<KeyObject> {
    // jose rate-limits refetches only after a successful fetch. While the issuer is down, a stream
    // of tokens naming unknown kids would each start a fetch; fail those fast instead.
    if (nowMs - this.lastFetchFailureMs < this.retryAfterFailureMs && !this.holdsKid(kid)) {
      // The kid is the token's, unverified: it stays out of the message, which is logged.
      throw new JwksUnavailableError(`the key set of ${this.issuer.issuer} could not be fetched recently and holds no key the token names`);
    }
    const fetchedAtStart = this.fetched.uat;
    let cryptoKey;
    try {
      cryptoKey = await remote({ alg, kid });
    } catch (error) {
      const translated = this.translate(error, alg, kid);
      if (translated instanceof JwksUnavailableError) this.lastFetchFailureMs = nowMs;
      throw translated;
    }
    const key = KeyObject.from(cryptoKey);
    const mismatch = keyMismatch(alg, key);
    if (mismatch !== undefined) {
      throw new TokenRejectedError('unknown_key', `the key the token names cannot verify ${alg}: ${mismatch}`, { actual: kid });
    }
    // Only a key resolved from the set the memo belongs to, with no fetch landing meanwhile: a
    // key from a set replaced during the await could be one the new set no longer holds.
    if (fetchedAtStart === this.fetched.uat && this.memoFetchedAt === fetchedAtStart) {
      let byKid = this.memo.get(alg);
      if (byKid === undefined) this.memo.set(alg, (byKid = new Map()));
      byKid.set(kid, key);
    }
    return key;
  }

  /** How long after a failed fetch requests for keys not held fail without fetching again. */
  private get retryAfterFailureMs(): number {
    return Math.min(this.settings.cooldownMs, 5000);
  }

  private holdsKid(kid: string | undefined): boolean {
    const keys = this.fetched.jwks?.keys;
    return keys !== undefined && (kid === undefined || keys.some((jwk) => jwk.kid === kid));
  }

  private translate(error: unknown, alg: Algorithm, kid: string | undefined): Error {
    if (error instanceof errors.JWKSNoMatchingKey) {
      return new TokenRejectedError('unknown_key', `no key in the issuer's key set matches the token's kid and ${alg}`, { actual: kid });
    }
    if (error instanceof errors.JWKSMultipleMatchingKeys) {
      return new TokenRejectedError('unknown_key', `several keys match ${alg} and the token names none with kid`);
    }
    return new JwksUnavailableError(`cannot fetch the key set of ${this.issuer.issuer} from ${this.jwksUri ?? '(not discovered)'}`, {
      cause: error,
    });
  }

  /** Reloads the key set; first, for a discovered one, discovers again, switching sets if its URL changed. */
  private async refresh(nowMs: number): Promise<void> {
    if (this.issuer.jwksUri === undefined) {
      let jwksUri: string | undefined;
      try {
        jwksUri = await this.discover(nowMs);
      } catch {
        // Logged by discover; the key set already held is kept and reloaded below.
      }
      if (jwksUri !== undefined && jwksUri !== this.jwksUri) {
        this.log.info('OIDC discovery names a new key set URL; switching to it', {
          issuer: this.issuer.issuer,
          jwksUri,
          was: this.jwksUri,
        });
        const next = this.createKeySet(jwksUri);
        // Only a set that loads replaces the one held: a new URL that does not answer keeps the old keys.
        await next.remote.reload();
        this.useKeySet(jwksUri, next);
        return;
      }
    }
    await this.remote?.reload();
  }

  private refreshInBackground(nowMs: number): void {
    if (this.refreshing !== undefined || nowMs - this.lastRefreshAttemptMs < this.settings.cooldownMs) return;
    this.lastRefreshAttemptMs = nowMs;
    this.refreshing = this.refresh(nowMs)
      .catch((error: unknown) => {
        this.log.warn('key set refresh failed; keeping the keys already held', {
          code: errorCode(error),
          issuer: this.issuer.issuer,
          error: describeError(error),
        });
      })
      .finally(() => {
        this.refreshing = undefined;
      });
  }
}

/**
 * The revocation receiver's contract with infra/ and local/: its routes, its defaults and limits.
 * The function applies the defaults (config/receiver-config.ts), the construct creates the routes
 * and the local stack serves them under {@link LOCAL_RECEIVER_PREFIX}.
 */

/** The receiver's routes, each `POST`: OIDC Back-Channel Logout 1.0, RFC 8935 SET push, RFC 7009 revocation. */
export const RECEIVER_ROUTES = {
  backchannelLogout: '/oidc/backchannel-logout',
  securityEvents: '/ssf/events',
  tokenRevocation: '/oauth2/revoke',
} as const;
export type ReceiverEndpoint = keyof typeof RECEIVER_ROUTES;

/** Where the local stack serves the receiver's routes (`http://localhost:3000/_local/receiver/oidc/backchannel-logout`). */
export const LOCAL_RECEIVER_PREFIX = '/_local/receiver';

export const RECEIVER_DEFAULTS = {
  /**
   * RECEIVER_MAX_BODY_BYTES: the largest request body read, decoded. A logout token or a SET is a
   * few KB; 64 KiB leaves room for large RSA signatures and many claims, and bounds what an
   * unauthenticated request can make the function parse.
   */
  maxBodyBytes: 65_536,
  /**
   * RECEIVER_REPLAY_CACHE_MAX_ENTRIES: `jti`s of logout tokens and SETs remembered per instance.
   * Once full, the oldest is forgotten (a replay of it would only republish an idempotent revocation).
   */
  replayCacheMaxEntries: 100_000,
} as const;

export const RECEIVER_LIMITS = {
  maxBodyBytes: { min: 1024, max: 1_048_576 },
  replayCacheMaxEntries: { min: 0, max: 10_000_000 },
} as const;

/** The format of one RECEIVER_CLIENTS value: `sha256:` and the hex SHA-256 of the client secret's UTF-8 bytes. */
export const CLIENT_SECRET_HASH = /^sha256:[0-9a-f]{64}$/;

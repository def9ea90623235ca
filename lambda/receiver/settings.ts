import type { IssuerConfig } from '../token/index.js';
import type { ClientSecrets } from './client-authentication.js';

/** What the receiver reads of its configuration (config/receiver-config.ts). */
export interface ReceiverSettings {
  /** RECEIVER_AUDIENCE: accepted `aud` values of logout tokens and SETs. @default JWT_AUDIENCE (every trusted issuer's audiences) */
  readonly audiences: readonly string[];
  /** The trusted token issuers (JWT_ISSUER / JWT_ISSUERS): logout tokens come from them, revocations name them. */
  readonly tokenIssuers: readonly IssuerConfig[];
  /** RECEIVER_SET_ISSUERS: SET transmitters and their keys. @default the trusted token issuers */
  readonly setIssuers: readonly IssuerConfig[];
  /** RECEIVER_CLIENTS: RFC 7009 clients, client_id → SHA-256 of the secret. @default none: every revocation request is 401 */
  readonly clients: ClientSecrets;
  /** RECEIVER_MAX_BODY_BYTES. @default 65536 */
  readonly maxBodyBytes: number;
  /** RECEIVER_REPLAY_CACHE_MAX_ENTRIES. @default 100000 */
  readonly replayCacheMaxEntries: number;
  /** JWT_CLOCK_TOLERANCE_SECONDS, as the authorizer and ingest read it. */
  readonly clockToleranceSeconds: number;
  /** JWT_MAX_TOKEN_LIFETIME_SECONDS: bounds a logout token's lifetime and how long a SET's jti is remembered. */
  readonly maxTokenLifetimeSeconds: number;
}

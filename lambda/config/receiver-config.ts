import { DEFAULTS, RECEIVER_DEFAULTS, RECEIVER_LIMITS, splitList } from '../contract/index.js';
import { parseSecretHash, type ClientSecrets, type ReceiverSettings } from '../receiver/index.js';
import { ConfigurationError } from '../shared/index.js';
import { isAllowedKeyUrl, type IssuerConfig, type JwksSettings, type TokenRules } from '../token/index.js';
import { EnvReader, type Environment } from './env-reader.js';
import { checkJwksUri, readAlgorithms, readIssuers } from './issuers.js';
import { readTokenRules } from './load-config.js';

/** The receiver function's configuration: the authorizer's issuers and token rules, and its own settings. */
export interface ReceiverConfig {
  readonly receiver: ReceiverSettings;
  /** The authorizer's rules, for RFC 7009's access tokens. */
  readonly rules: TokenRules;
  readonly jwks: JwksSettings;
  /** REVOCATION_TOPIC_ARN: where revocations are published. */
  readonly topicArn: string;
  /**
   * RECEIVER_CLIENTS_SECRET_ARN: a Secrets Manager secret holding RECEIVER_CLIENTS' JSON, read at
   * cold start (the CDK construct's way: no client hash in the function's configuration).
   */
  readonly clientsSecretArn: string | undefined;
}

/**
 * Reads and validates the receiver's environment once; reports every problem at once. Besides the
 * authorizer's issuer variables (JWT_ISSUER, JWT_AUDIENCE, JWKS_URI or JWT_ISSUERS, JWT_*):
 * - RECEIVER_AUDIENCE: accepted `aud` of logout tokens and SETs (comma list); default: every
 *   trusted issuer's audiences (JWT_AUDIENCE);
 * - RECEIVER_SET_ISSUERS: SET transmitters, a comma list of issuers or JSON
 *   `[{"issuer","jwksUri"?,"algorithms"?}]`; a trusted token issuer listed without a key set uses
 *   its keys, another transmitter without one is discovered from `/.well-known/ssf-configuration`;
 *   default: the trusted token issuers;
 * - RECEIVER_CLIENTS: JSON `{"client_id":"sha256:<hex of the secret>"}`, or RECEIVER_CLIENTS_SECRET_ARN;
 * - REVOCATION_TOPIC_ARN (required), RECEIVER_MAX_BODY_BYTES, RECEIVER_REPLAY_CACHE_MAX_ENTRIES.
 */
export function loadReceiverConfig(env: Environment): ReceiverConfig {
  const read = new EnvReader(env);
  const rules = readTokenRules(read, undefined);
  const tokenIssuers = readIssuers(read, read.optional('JWT_PRESET') === 'cognito' ? 'cognito' : undefined);
  const jwks: JwksSettings = {
    timeoutMs: read.integer('JWKS_TIMEOUT_MS', DEFAULTS.jwksTimeoutMs, 'milliseconds', 1),
    cooldownMs: read.integer('JWKS_COOLDOWN_MS', DEFAULTS.jwksCooldownMs, 'milliseconds'),
    cacheMaxAgeMs: read.integer('JWKS_CACHE_MAX_AGE_MS', DEFAULTS.jwksCacheMaxAgeMs, 'milliseconds', 1000),
    maxBytes: read.integer('JWKS_MAX_BYTES', DEFAULTS.jwksMaxBytes, 'bytes', 1024, 67_108_864),
  };
  const audiences = read.list('RECEIVER_AUDIENCE', [...new Set(tokenIssuers.flatMap((issuer) => issuer.audiences))]);
  if (audiences.length === 0) read.problems.push('RECEIVER_AUDIENCE must list the aud values logout tokens and SETs are sent to');
  const setIssuers = readSetIssuers(read, tokenIssuers);
  const secretArn = read.optional('RECEIVER_CLIENTS_SECRET_ARN');
  const clientsJson = read.optional('RECEIVER_CLIENTS');
  if (secretArn !== undefined && clientsJson !== undefined)
    read.problems.push('set either RECEIVER_CLIENTS or RECEIVER_CLIENTS_SECRET_ARN, not both');
  const clients = clientsJson === undefined ? new Map() : readClients(read, 'RECEIVER_CLIENTS', clientsJson);
  const topicArn = read.optional('REVOCATION_TOPIC_ARN');
  if (topicArn === undefined) read.problems.push('REVOCATION_TOPIC_ARN must name the revocation SNS topic the receiver publishes to');
  else if (!/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]{1,256}$/.test(topicArn))
    read.problems.push(`REVOCATION_TOPIC_ARN must be an SNS topic ARN, got "${topicArn}"`);
  const receiver: ReceiverSettings = {
    audiences,
    tokenIssuers,
    setIssuers,
    clients,
    maxBodyBytes: read.integer(
      'RECEIVER_MAX_BODY_BYTES',
      RECEIVER_DEFAULTS.maxBodyBytes,
      'bytes',
      RECEIVER_LIMITS.maxBodyBytes.min,
      RECEIVER_LIMITS.maxBodyBytes.max,
    ),
    replayCacheMaxEntries: read.integer(
      'RECEIVER_REPLAY_CACHE_MAX_ENTRIES',
      RECEIVER_DEFAULTS.replayCacheMaxEntries,
      'entries',
      RECEIVER_LIMITS.replayCacheMaxEntries.min,
      RECEIVER_LIMITS.replayCacheMaxEntries.max,
    ),
    clockToleranceSeconds: rules.clockToleranceSeconds,
    maxTokenLifetimeSeconds: rules.maxTokenLifetimeSeconds,
  };
  if (read.problems.length > 0) throw new ConfigurationError(read.problems);
  return { receiver, rules, jwks, topicArn: topicArn!, clientsSecretArn: secretArn };
}

/**
 * RECEIVER_CLIENTS' JSON (from the variable or the secret): an object of client_id →
 * `sha256:<64 hex digits>`, the SHA-256 of the client secret's UTF-8 bytes. Problems go to `read`.
 */
export function readClients(read: EnvReader, name: string, json: string): ClientSecrets {
  const clients = new Map<string, Buffer>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    read.problems.push(`${name} must be a JSON object of client_id → "sha256:<hex of the secret>", got invalid JSON`);
    return clients;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    read.problems.push(`${name} must be a JSON object of client_id → "sha256:<hex of the secret>"`);
    return clients;
  }
  for (const [clientId, value] of Object.entries(parsed)) {
    const digest = typeof value === 'string' ? parseSecretHash(value) : undefined;
    // The value is a hash, but still: a message names the client, never the value.
    if (clientId === '' || digest === undefined)
      read.problems.push(
        `${name}["${clientId.slice(0, 64)}"] must be "sha256:" and 64 lower-case hex digits (the SHA-256 of the client secret)`,
      );
    else clients.set(clientId, digest);
  }
  return clients;
}

/** {@link readClients} outside of a configuration load (the secret read at cold start): throws ConfigurationError. */
export function parseClients(name: string, json: string): ClientSecrets {
  const read = new EnvReader({});
  const clients = readClients(read, name, json);
  if (read.problems.length > 0) throw new ConfigurationError(read.problems);
  return clients;
}

function readSetIssuers(read: EnvReader, tokenIssuers: readonly IssuerConfig[]): IssuerConfig[] {
  const value = read.optional('RECEIVER_SET_ISSUERS');
  if (value === undefined) return [...tokenIssuers];
  const byName = new Map(tokenIssuers.map((issuer) => [issuer.issuer, issuer]));
  const entries: { issuer: unknown; jwksUri?: unknown; algorithms?: unknown }[] = [];
  if (value.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((entry) => typeof entry === 'object' && entry !== null)) {
      read.problems.push('RECEIVER_SET_ISSUERS must be a comma list of issuers or a JSON array of {"issuer"[,"jwksUri","algorithms"]}');
      return [];
    }
    entries.push(...(parsed as typeof entries));
  } else {
    entries.push(...splitList(value).map((issuer) => ({ issuer })));
  }
  const transmitters: IssuerConfig[] = [];
  entries.forEach((entry, index) => {
    const where = `RECEIVER_SET_ISSUERS[${index}]`;
    const { issuer, jwksUri } = entry;
    if (typeof issuer !== 'string' || issuer === '') {
      read.problems.push(`${where}.issuer must be a non-empty string`);
      return;
    }
    if (transmitters.some((known) => known.issuer === issuer)) read.problems.push(`${where}: "${issuer}" is listed twice`);
    const known = byName.get(issuer);
    const algorithms =
      entry.algorithms === undefined
        ? (known?.algorithms ?? readAlgorithms(read, 'JWT_ALGORITHMS', read.optional('JWT_ALGORITHMS')))
        : Array.isArray(entry.algorithms) && entry.algorithms.every((alg) => typeof alg === 'string')
          ? readAlgorithms(read, `${where}.algorithms`, entry.algorithms.join(','))
          : (read.problems.push(`${where}.algorithms must be an array of algorithm names`), []);
    if (jwksUri !== undefined) {
      if (typeof jwksUri !== 'string') read.problems.push(`${where}.jwksUri must be a URL string`);
      else checkJwksUri(read, `${where}.jwksUri`, jwksUri);
    }
    // A token issuer that also transmits, listed without keys of its own: the same keys, the same resolver.
    if (known !== undefined && jwksUri === undefined && entry.algorithms === undefined) {
      transmitters.push(known);
      return;
    }
    if (jwksUri === undefined && !isHttpsUrl(issuer)) {
      read.problems.push(`${where} "${issuer}" is not an https URL, so its key set cannot be discovered (SSF 1.0): give its jwksUri`);
    }
    transmitters.push({
      issuer,
      jwksUri: typeof jwksUri === 'string' ? jwksUri : undefined,
      discovery: 'ssf',
      audiences: [],
      algorithms,
      clientClaim: known?.clientClaim ?? DEFAULTS.clientClaim,
      subjectClaim: known?.subjectClaim ?? DEFAULTS.subjectClaim,
      sessionClaim: known?.sessionClaim ?? DEFAULTS.sessionClaim,
    });
  });
  return transmitters;
}

function isHttpsUrl(value: string): boolean {
  try {
    return isAllowedKeyUrl(new URL(value));
  } catch {
    return false;
  }
}

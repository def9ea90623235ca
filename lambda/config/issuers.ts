import {
  COGNITO_ISSUER,
  COGNITO_PRESET,
  DEFAULT_ALGORITHMS,
  DEFAULTS,
  splitList,
  SUPPORTED_ALGORITHMS,
  type Algorithm,
  type Preset,
} from '../contract/index.js';
import { ANY_ISSUER, issuerProblem } from '../revocation/index.js';
import { isAllowedKeyUrl, type IssuerConfig } from '../token/index.js';
import type { EnvReader } from './env-reader.js';

/**
 * The trusted issuers from JWT_ISSUER (with JWT_AUDIENCE, JWKS_URI) or JWT_ISSUERS, JWT_ALGORITHMS,
 * JWT_CLIENT_CLAIM, JWT_SUBJECT_CLAIM, and what JWT_PRESET changes in them. An issuer without a
 * key set URL is found by OIDC discovery, so it must be an https URL (http only on loopback).
 */
export function readIssuers(read: EnvReader, preset: Preset | undefined): IssuerConfig[] {
  const json = read.optional('JWT_ISSUERS');
  const single = read.optional('JWT_ISSUER');
  const defaultAlgorithms = readAlgorithms(
    read,
    'JWT_ALGORITHMS',
    read.optional('JWT_ALGORITHMS') ?? (preset === 'cognito' ? COGNITO_PRESET.algorithms.join(',') : undefined),
  );
  const defaultClaims = {
    clientClaim: read.string('JWT_CLIENT_CLAIM', DEFAULTS.clientClaim),
    subjectClaim: read.string('JWT_SUBJECT_CLAIM', DEFAULTS.subjectClaim),
    // Cognito's RevokeToken ends every access token minted from one refresh token: they share `origin_jti`.
    sessionClaim: read.string('JWT_SESSION_CLAIM', preset === 'cognito' ? COGNITO_PRESET.sessionClaim : DEFAULTS.sessionClaim),
  };
  if (json !== undefined && single !== undefined) {
    read.problems.push('set either JWT_ISSUERS (JSON, several issuers) or JWT_ISSUER with JWKS_URI, not both');
    return [];
  }
  const issuers =
    json !== undefined
      ? readIssuersJson(read, json, defaultAlgorithms, defaultClaims, preset)
      : readSingleIssuer(read, single, defaultAlgorithms, defaultClaims, preset);
  return issuers.map((issuer) => (preset === 'cognito' ? applyCognitoPreset(read, issuer) : issuer));
}

function readSingleIssuer(
  read: EnvReader,
  single: string | undefined,
  defaultAlgorithms: readonly Algorithm[],
  defaultClaims: ClaimNames,
  preset: Preset | undefined,
): IssuerConfig[] {
  if (single === undefined) {
    read.problems.push('JWT_ISSUER must name the trusted token issuer (or use JWT_ISSUERS for several)');
    return [];
  }
  const jwksUri = read.optional('JWKS_URI');
  if (jwksUri !== undefined) checkJwksUri(read, 'JWKS_URI', jwksUri);
  const audiences = read.list('JWT_AUDIENCE', []);
  if (audiences.length === 0) {
    read.problems.push(
      preset === 'cognito'
        ? 'JWT_AUDIENCE must list the accepted app client ids (Cognito access tokens carry client_id, matched against this list)'
        : 'JWT_AUDIENCE must list the accepted audience values',
    );
  }
  if (splitList(single).includes(ANY_ISSUER)) {
    read.problems.push(`JWT_ISSUER "${ANY_ISSUER}" is reserved: it marks revocations that apply to every issuer`);
  }
  const names = splitList(single);
  names.forEach((issuer, index) => checkIssuerRule(read, names.length === 1 ? 'JWT_ISSUER' : `JWT_ISSUER entry ${index + 1}`, issuer));
  return names.map((issuer) => {
    if (jwksUri === undefined && preset === undefined) checkDiscoverable(read, 'JWT_ISSUER', issuer, 'JWKS_URI');
    return { issuer, jwksUri, audiences, algorithms: defaultAlgorithms, ...defaultClaims };
  });
}

/**
 * JWT_PRESET=cognito on one issuer: its `iss` must be a user pool's; its key set is the pool's
 * well-known one unless given; `token_use: access` is required; without `aud` the `client_id` is
 * matched against the audience list (contract/presets.ts).
 */
function applyCognitoPreset(read: EnvReader, issuer: IssuerConfig): IssuerConfig {
  if (!COGNITO_ISSUER.test(issuer.issuer)) {
    read.problems.push(
      `JWT_PRESET=cognito expects the user pool's issuer, https://cognito-idp.<region>.amazonaws.com/<user pool id>, got "${issuer.issuer}"`,
    );
  }
  return {
    ...issuer,
    jwksUri: issuer.jwksUri ?? `${issuer.issuer}${COGNITO_PRESET.jwksPath}`,
    tokenUse: COGNITO_PRESET.tokenUse,
    audienceClaim: COGNITO_PRESET.audienceClaim,
  };
}

/** An issuer without a key set URL is discovered (OIDC Discovery 1.0 §4): it must be an https URL (http on loopback). */
export function checkDiscoverable(read: EnvReader, name: string, issuer: string, instead: string): void {
  let url: URL | undefined;
  try {
    url = new URL(issuer);
  } catch {
    url = undefined;
  }
  if (url === undefined || !isAllowedKeyUrl(url)) {
    read.problems.push(
      `${name} "${issuer}" is not an https URL, so its key set cannot be found by OIDC discovery: set ${instead} to the issuer key set URL (https://...)`,
    );
  }
}

function readIssuersJson(
  read: EnvReader,
  json: string,
  defaultAlgorithms: readonly Algorithm[],
  defaultClaims: ClaimNames,
  preset: Preset | undefined,
): IssuerConfig[] {
  const shape = 'a JSON array of {"issuer","audience"[,"jwksUri","algorithms","clientClaim","subjectClaim","sessionClaim"]}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    read.problems.push(`JWT_ISSUERS must be ${shape}, got invalid JSON`);
    return [];
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    read.problems.push(`JWT_ISSUERS must be ${shape}, got ${JSON.stringify(parsed)}`);
    return [];
  }
  const issuers: IssuerConfig[] = [];
  parsed.forEach((entry: unknown, index) => {
    const where = `JWT_ISSUERS[${index}]`;
    if (typeof entry !== 'object' || entry === null) {
      read.problems.push(`${where} must be an object`);
      return;
    }
    const record = entry as Record<string, unknown>;
    const issuer = record.issuer;
    const jwksUri = record.jwksUri;
    const audience = record.audience;
    const audiences = typeof audience === 'string' ? [audience] : audience;
    if (typeof issuer !== 'string' || issuer === '') read.problems.push(`${where}.issuer must be a non-empty string`);
    if (jwksUri === undefined) {
      if (typeof issuer === 'string' && issuer !== '' && preset === undefined)
        checkDiscoverable(read, `${where}.issuer`, issuer, `${where}.jwksUri`);
    } else if (typeof jwksUri !== 'string') read.problems.push(`${where}.jwksUri must be a URL string, or left out to use OIDC discovery`);
    else checkJwksUri(read, `${where}.jwksUri`, jwksUri);
    if (!isNonEmptyStringArray(audiences)) read.problems.push(`${where}.audience must be a string or a non-empty array of strings`);
    const algorithms =
      record.algorithms === undefined
        ? defaultAlgorithms
        : Array.isArray(record.algorithms) && record.algorithms.every((alg) => typeof alg === 'string')
          ? readAlgorithms(read, `${where}.algorithms`, record.algorithms.join(','))
          : (read.problems.push(`${where}.algorithms must be an array of algorithm names`), defaultAlgorithms);
    const clientClaim = record.clientClaim ?? defaultClaims.clientClaim;
    if (typeof clientClaim !== 'string' || clientClaim === '') read.problems.push(`${where}.clientClaim must be a claim name`);
    const subjectClaim = record.subjectClaim ?? defaultClaims.subjectClaim;
    if (typeof subjectClaim !== 'string' || subjectClaim === '') read.problems.push(`${where}.subjectClaim must be a claim name`);
    const sessionClaim = record.sessionClaim ?? defaultClaims.sessionClaim;
    if (typeof sessionClaim !== 'string' || sessionClaim === '') read.problems.push(`${where}.sessionClaim must be a claim name`);
    if (issuer === ANY_ISSUER)
      read.problems.push(`${where}.issuer "${ANY_ISSUER}" is reserved: it marks revocations that apply to every issuer`);
    else if (typeof issuer === 'string' && issuer !== '') checkIssuerRule(read, `${where}.issuer`, issuer);
    if (
      typeof issuer === 'string' &&
      (jwksUri === undefined || typeof jwksUri === 'string') &&
      isNonEmptyStringArray(audiences) &&
      typeof clientClaim === 'string' &&
      typeof subjectClaim === 'string' &&
      typeof sessionClaim === 'string'
    ) {
      if (issuers.some((known) => known.issuer === issuer)) read.problems.push(`${where}.issuer "${issuer}" is listed twice`);
      issuers.push({ issuer, jwksUri, audiences, algorithms, clientClaim, subjectClaim, sessionClaim });
    }
  });
  return issuers;
}

/** The claims each issuer's revocations by client, subject and session match. */
interface ClaimNames {
  readonly clientClaim: string;
  readonly subjectClaim: string;
  readonly sessionClaim: string;
}

export function readAlgorithms(read: EnvReader, name: string, value: string | undefined): readonly Algorithm[] {
  if (value === undefined) return DEFAULT_ALGORITHMS;
  const requested = splitList(value);
  const unsupported = requested.filter((alg) => !(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg));
  if (unsupported.length > 0 || requested.length === 0) {
    read.problems.push(
      `${name} must list algorithms from ${SUPPORTED_ALGORITHMS.join(', ')}; not allowed: ${unsupported.join(', ') || '(empty)'}`,
    );
    return DEFAULT_ALGORITHMS;
  }
  return requested as Algorithm[];
}

export function checkJwksUri(read: EnvReader, name: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    read.problems.push(`${name} must be an absolute URL, got "${value}"`);
    return;
  }
  // Plain HTTP only on loopback, where the local stack serves its demo issuer.
  if (!isAllowedKeyUrl(url)) {
    read.problems.push(`${name} must use https (plain http is allowed only on localhost), got "${value}"`);
  }
}

function isNonEmptyStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every((entry) => typeof entry === 'string' && entry !== '');
}

/**
 * Every trusted issuer must be one a revocation can name (issuerProblem: the table key holds it
 * beside any stored id), or its tokens would be allowed and never revocable.
 */
function checkIssuerRule(read: EnvReader, name: string, issuer: string): void {
  const problem = issuerProblem(issuer);
  if (problem !== undefined) {
    read.problems.push(`${name} ${problem}: revocations could not name it, so its tokens could never be revoked`);
  }
}

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { splitList, type Algorithm } from '../lambda/contract/index.js';
import type { RevocationAuthorizerProps, TrustedIssuer } from './props.js';

/** Trusted when the app is told to synthesize without an issuer, for learning; it trusts no real token. */
export const PLACEHOLDER_ISSUER: TrustedIssuer = {
  issuer: 'https://issuer.example.com/',
  jwksUri: 'https://issuer.example.com/.well-known/jwks.json',
  audience: 'example-api',
};

/** Every setting the example app reads, as a context key and a key of an environment file. */
export const SETTING_KEYS = [
  'issuer',
  'jwksUri',
  'audience',
  'issuers',
  'algorithms',
  'clientClaim',
  'subjectClaim',
  'sessionClaim',
  'syncIntervalMs',
  'maxStalenessMs',
  'failMode',
  'consistency',
  'resultsCacheTtlSeconds',
  'reservedConcurrency',
  'provisionedConcurrency',
  'ingestReservedConcurrency',
  'metricsNamespace',
  'alarmEmail',
  'stackName',
  'bundleDirectory',
  'allowPlaceholderIssuer',
] as const;
type SettingKey = (typeof SETTING_KEYS)[number];

/** The example app's settings are invalid; the message names the setting and where it came from. */
export class AppSettingsError extends Error {
  readonly code = 'ERR_APP_SETTINGS';
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** What the example app builds from its settings. */
export interface ExampleAppSettings {
  readonly stackName: string;
  readonly authorizer: RevocationAuthorizerProps;
  readonly alarmEmail: string | undefined;
  /** True when no issuer was configured and `allowPlaceholderIssuer` let the placeholder in. */
  readonly placeholderIssuer: boolean;
}

/**
 * Reads the example app's settings from CDK context only: `-c key=value`, `"context"` in cdk.json,
 * and the JSON file `-c config=PATH` names (one committed file per environment, e.g.
 * infra/environments/production.json), context values overriding the file's. Environment
 * variables are never read, so a shell left set up for the local stack cannot leak into a deploy.
 */
export function readAppSettings(context: (key: string) => unknown, cwd = process.cwd()): ExampleAppSettings {
  const file = readConfigFile(context('config'), cwd);
  const raw = (key: SettingKey): { value: unknown; source: string } | undefined => {
    const fromContext = context(key);
    if (!isBlank(fromContext)) return { value: fromContext, source: `-c ${key}` };
    if (file !== undefined && !isBlank(file.values[key])) return { value: file.values[key], source: `"${key}" in ${file.path}` };
    return undefined;
  };
  const text = (key: SettingKey): string | undefined => {
    const setting = raw(key);
    if (setting === undefined) return undefined;
    const { value } = setting;
    return typeof value === 'string'
      ? value.trim()
      : typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : JSON.stringify(value);
  };
  const list = (key: SettingKey): string[] | undefined => {
    const setting = raw(key);
    if (setting === undefined) return undefined;
    if (Array.isArray(setting.value) && setting.value.every((entry) => typeof entry === 'string')) return setting.value;
    if (typeof setting.value === 'string') return splitList(setting.value);
    throw new AppSettingsError(
      `${setting.source} must be a comma-separated list or a list of strings, got ${JSON.stringify(setting.value)}`,
    );
  };
  const wholeNumber = (key: SettingKey, unit: string): number | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new AppSettingsError(`${raw(key)!.source} must be a whole number of ${unit}, got "${value}"`);
    return Number(value);
  };
  const oneOf = <const T extends string>(key: SettingKey, allowed: readonly T[]): T | undefined => {
    const value = text(key);
    if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined;
    throw new AppSettingsError(`${raw(key)!.source} must be ${allowed.join(' or ')}, got "${value}"`);
  };

  const allowPlaceholder = oneOf('allowPlaceholderIssuer', ['true', 'false']) === 'true';
  const configured = readIssuers(raw, text, list);
  if (configured === undefined && !allowPlaceholder) {
    throw new AppSettingsError(
      'no issuer configured: set "issuer", "jwksUri" and "audience" (or "issuers") in your environment file (-c config=infra/environments/NAME.json) or with -c. To synthesize only for learning, with a placeholder issuer that trusts no real token, pass -c allowPlaceholderIssuer=true',
    );
  }
  const issuers = configured ?? [PLACEHOLDER_ISSUER];
  if (!allowPlaceholder && issuers.some((entry) => entry?.issuer === PLACEHOLDER_ISSUER.issuer)) {
    throw new AppSettingsError(
      `issuer ${PLACEHOLDER_ISSUER.issuer} is the learning placeholder (as in infra/environments/example.json): a deployment trusting it refuses every real token. Set your issuer, or pass -c allowPlaceholderIssuer=true to synthesize anyway`,
    );
  }

  const milliseconds = (key: SettingKey) => {
    const value = wholeNumber(key, 'milliseconds');
    return value === undefined ? undefined : Duration.millis(value);
  };
  const cacheTtlSeconds = wholeNumber('resultsCacheTtlSeconds', 'seconds');
  return {
    stackName: text('stackName') ?? 'RevocationAuthorizerExample',
    alarmEmail: text('alarmEmail'),
    placeholderIssuer: configured === undefined,
    authorizer: {
      issuers,
      algorithms: list('algorithms') as Algorithm[] | undefined,
      clientClaim: text('clientClaim'),
      subjectClaim: text('subjectClaim'),
      sessionClaim: text('sessionClaim'),
      syncInterval: milliseconds('syncIntervalMs'),
      maxStaleness: milliseconds('maxStalenessMs'),
      failMode: oneOf('failMode', ['closed', 'open']),
      consistency: oneOf('consistency', ['eventual', 'strong']),
      resultsCacheTtl: cacheTtlSeconds === undefined ? undefined : Duration.seconds(cacheTtlSeconds),
      reservedConcurrentExecutions: wholeNumber('reservedConcurrency', 'executions'),
      provisionedConcurrentExecutions: wholeNumber('provisionedConcurrency', 'executions'),
      ingestReservedConcurrentExecutions: wholeNumber('ingestReservedConcurrency', 'executions'),
      metricsNamespace: text('metricsNamespace'),
      bundleDirectory: text('bundleDirectory'),
    },
  };
}

/** The issuers from `issuers` (a JSON list), or from `issuer`, `jwksUri` and `audience`; undefined when none is set. */
function readIssuers(
  raw: (key: SettingKey) => { value: unknown; source: string } | undefined,
  text: (key: SettingKey) => string | undefined,
  list: (key: SettingKey) => string[] | undefined,
): TrustedIssuer[] | undefined {
  const shape = 'a JSON list of {"issuer","jwksUri","audience"[,"algorithms","clientClaim","subjectClaim","sessionClaim"]}';
  const several = raw('issuers');
  if (several !== undefined) {
    let parsed = several.value;
    if (typeof parsed === 'string') {
      try {
        parsed = JSON.parse(parsed);
      } catch {
        throw new AppSettingsError(`${several.source} must be ${shape}, got invalid JSON`);
      }
    }
    if (!Array.isArray(parsed)) throw new AppSettingsError(`${several.source} must be ${shape}, got ${JSON.stringify(parsed)}`);
    if (raw('issuer') !== undefined) throw new AppSettingsError(`set either "issuers" or "issuer", not both (${several.source})`);
    // The construct checks every field of every entry and names the one at fault.
    return parsed as TrustedIssuer[];
  }
  const issuer = text('issuer');
  if (issuer === undefined) return undefined;
  const jwksUri = text('jwksUri');
  const audience = list('audience');
  if (jwksUri === undefined || audience === undefined || audience.length === 0) {
    throw new AppSettingsError(`issuer ${issuer} also needs "jwksUri" (its key set URL) and "audience" (the accepted aud values)`);
  }
  return [{ issuer, jwksUri, audience }];
}

function readConfigFile(path: unknown, cwd: string): { path: string; values: Record<string, unknown> } | undefined {
  if (isBlank(path)) return undefined;
  if (typeof path !== 'string') throw new AppSettingsError(`-c config must be the path of a JSON file, got ${JSON.stringify(path)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(resolve(cwd, path), 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not valid JSON';
    throw new AppSettingsError(`-c config=${path}: ${reason}. It must name a JSON file of settings, e.g. infra/environments/example.json`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AppSettingsError(`${path} must hold a JSON object of settings, e.g. {"issuer": "https://...", ...}`);
  }
  const unknown = Object.keys(parsed).filter((key) => !(SETTING_KEYS as readonly string[]).includes(key) && !key.startsWith('//'));
  if (unknown.length > 0) {
    throw new AppSettingsError(
      `${path}: unknown setting ${unknown.map((key) => `"${key}"`).join(', ')}; known: ${SETTING_KEYS.join(', ')}`,
    );
  }
  return { path, values: parsed as Record<string, unknown> };
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

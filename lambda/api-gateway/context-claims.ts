import { CONTEXT_LIMITS } from '../contract/index.js';
import type { Log } from '../shared/index.js';
import type { VerifiedToken } from '../token/index.js';

/** Context values reach the backend as `$context.authorizer.*`; REST allows only flat primitives. */
export type AuthorizerContext = Readonly<Record<string, string | number | boolean>>;

/** Which claims the context carries (JWT_CONTEXT_CLAIMS, or the default and a preset's additions). */
export interface ContextPlan {
  /** The default context: `iss`, `jti`, `sub`, `client_id`, `scope` and the subject claim (see defaultContext). */
  readonly includeDefault: boolean;
  /** Further claims, each under its own name, flattened (see flattenClaim). */
  readonly claims: readonly string[];
}

/** JWT_CONTEXT_CLAIMS unset, no preset. */
export const DEFAULT_CONTEXT_PLAN: ContextPlan = Object.freeze({ includeDefault: true, claims: Object.freeze([]) });

const EMPTY: AuthorizerContext = Object.freeze({});

/**
 * Builds the authorizer context of a verified token. With further claims (JWT_CONTEXT_CLAIMS, a
 * preset), once per token: a remembered token (the verified-token cache hands back the same
 * object) gets the same frozen context again, its claims flattened and its omissions logged once.
 * The default context alone is built afresh each time: five fields cost less than a WeakMap entry
 * per new token (bench/compare.ts: 0.4–0.9 µs per fresh decision, 0.05 µs per repeated one).
 *
 * API Gateway accepts only string, number and boolean context values for REST APIs and payload
 * 1.0 ("Output from an API Gateway Lambda authorizer": no JSON object or array); HTTP API payload
 * 2.0 would take more, but one rule for every flavour gives a backend the same shape behind any
 * of them. A value over CONTEXT_LIMITS, or one that would take the context over its total, is left
 * out (never cut: a cut JSON array is no array) and logged once, when the token's context is built.
 * The token itself is never part of the context: only claims of its verified payload are.
 */
export class ContextBuilder {
  private readonly built = new WeakMap<VerifiedToken, AuthorizerContext>();

  constructor(
    private readonly plan: ContextPlan = DEFAULT_CONTEXT_PLAN,
    private readonly log?: Log,
  ) {}

  contextOf(token: VerifiedToken): AuthorizerContext {
    if (this.plan.claims.length === 0) return this.build(token);
    // The WeakMap holds a context only while its token is remembered.
    let context = this.built.get(token);
    if (context === undefined) {
      context = this.build(token);
      this.built.set(token, context);
    }
    return context;
  }

  private build(token: VerifiedToken): AuthorizerContext {
    const context: Record<string, string | number | boolean> = this.plan.includeDefault ? defaultContext(token) : {};
    // The byte count bounds only the further claims (the default context is never cut), so a
    // plan without them skips it: a native byteLength call per name and value of every new token.
    if (this.plan.claims.length > 0) this.addClaims(context, token);
    // The default context always holds iss and jti.
    return this.plan.includeDefault || Object.keys(context).length > 0 ? Object.freeze(context) : EMPTY;
  }

  /** The plan's further claims, each while the context stays within CONTEXT_LIMITS. */
  private addClaims(context: Record<string, string | number | boolean>, token: VerifiedToken): void {
    let totalBytes = 0;
    for (const [name, value] of Object.entries(context)) totalBytes += byteLength(name) + byteLength(String(value));
    const omitted: { claim: string; bytes: number; why: string }[] = [];
    for (const claim of this.plan.claims) {
      // A name already set by the default context keeps its value; __proto__ is refused by config, and here.
      if (Object.hasOwn(context, claim) || claim === '__proto__') continue;
      const value = flattenClaim(token.claims[claim]);
      if (value === undefined) continue;
      const bytes = byteLength(String(value));
      if (bytes > CONTEXT_LIMITS.valueMaxBytes) {
        omitted.push({ claim, bytes, why: `value over ${CONTEXT_LIMITS.valueMaxBytes} bytes` });
        continue;
      }
      const entryBytes = byteLength(claim) + bytes;
      if (totalBytes + entryBytes > CONTEXT_LIMITS.totalMaxBytes) {
        omitted.push({ claim, bytes, why: `context over ${CONTEXT_LIMITS.totalMaxBytes} bytes` });
        continue;
      }
      totalBytes += entryBytes;
      context[claim] = value;
    }
    if (omitted.length > 0) {
      this.log?.warn('claims left out of the authorizer context', { omitted, sub: token.sub, jti: token.tokenId, iss: token.issuer });
    }
  }
}

/**
 * A claim as a context value: a string as is, a finite number or a boolean as is, an array or an
 * object as its JSON text (`["admin","ops"]`, `{"country":"NL"}`), null or absent left out.
 * JSON, not a space- or comma-joined list: group names and custom claims may hold spaces and
 * commas, and a backend reads any of them back with one JSON.parse.
 */
export function flattenClaim(value: unknown): string | number | boolean | undefined {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'object') return JSON.stringify(value);
  return undefined;
}

/**
 * The context when JWT_CONTEXT_CLAIMS is unset: `iss`, `jti`, `sub`, the client claim's value as
 * `client_id`, `scope` (an `scp` array joined with spaces), and, when JWT_SUBJECT_CLAIM names
 * another claim (WSO2's `entity_id`), that claim's value under its own name unless the name is
 * already taken.
 */
export function defaultContext(token: VerifiedToken): Record<string, string> {
  const context: Record<string, string> = { iss: token.issuer, jti: token.tokenId };
  if (token.sub !== undefined) context.sub = token.sub;
  if (token.clientId !== undefined) context.client_id = token.clientId;
  if (token.scope !== undefined) context.scope = token.scope;
  const subjectClaim = token.subjectClaim;
  if (subjectClaim !== 'sub' && token.subject !== undefined && !Object.hasOwn(context, subjectClaim) && subjectClaim !== '__proto__') {
    context[subjectClaim] = token.subject;
  }
  return context;
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

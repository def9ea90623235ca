import { matchRoute, parseRouteKey, routeResource, type ParsedRoute } from '../contract/index.js';
import type { AuthorizerRequest } from './events.js';

/** One route of JWT_ROUTE_SCOPES, or a route met on the way that is not listed. */
export interface RouteRule {
  readonly key: string;
  /** The scopes any one of which a token must hold; empty for a route that is not listed. */
  readonly scopes: readonly string[];
  /** The ARN tail after `api-id/stage/` covering every request of the route (see routeResource). */
  readonly resource: string;
}

/** At most this many unlisted route keys are remembered (hand-built events may invent any). */
const MAX_REMEMBERED_ROUTES = 1000;

/**
 * JWT_ROUTE_SCOPES, compiled once: which route a request is for, and which scopes it needs.
 *
 * The route comes from the event, without allocating on the way:
 * - HTTP API payload 2.0: `routeKey` (`GET /orders/{id}`, `$default`);
 * - WebSocket `$connect` (a REQUEST event): `requestContext.routeKey`;
 * - REST REQUEST and HTTP API payload 1.0: `httpMethod` and `resource` (the resource as defined,
 *   `/orders/{id}`), matched as `METHOD /resource`, then `ANY /resource`;
 * - REST TOKEN: only `methodArn`, which holds the invoked path (`GET/orders/42`), not the
 *   resource: its method and path are matched against the listed routes as API Gateway matches
 *   routes (most specific first). A path the API routes to an unlisted, more specific resource is
 *   taken for the listed one, so with TOKEN authorizers list every resource, or use REQUEST.
 */
export class RouteScopes {
  private readonly byKey = new Map<string, RouteRule>();
  /** `resource` → method (or ANY) → rule: REST and payload 1.0 look up without building a key. */
  private readonly byResource = new Map<string, Map<string, RouteRule>>();
  private readonly routes: (ParsedRoute & { readonly rule: RouteRule })[] = [];
  private readonly unlisted = new Map<string, RouteRule>();
  private readonly unlistedByResource = new Map<string, Map<string, RouteRule>>();
  private lastMethodArn: string | undefined;
  private lastMethodArnRule: RouteRule | undefined;
  private lastExactArn: string | undefined;
  private lastExactRule: RouteRule | undefined;

  /** @param scopes route key → scopes, already validated (config/load-config.ts). */
  constructor(scopes: Readonly<Record<string, readonly string[]>>) {
    for (const [key, routeScopes] of Object.entries(scopes)) {
      const route = parseRouteKey(key);
      if ('problem' in route) throw new RangeError(route.problem);
      const rule: RouteRule = Object.freeze({ key, scopes: Object.freeze([...routeScopes]), resource: routeResource(route) });
      this.byKey.set(key, rule);
      this.routes.push({ ...route, rule });
      if (route.kind === 'path') {
        let methods = this.byResource.get(route.path);
        if (methods === undefined) this.byResource.set(route.path, (methods = new Map()));
        methods.set(route.method, rule);
      }
    }
  }

  /** Whether any route is listed: then every allow names its route rather than the whole stage. */
  get size(): number {
    return this.byKey.size;
  }

  /**
   * The route of a request: its rule when listed, a rule without scopes for a route the event
   * names but the list does not. When the event does not say (a TOKEN event whose path matches no
   * listed route, a hand-built event), a rule without scopes covering exactly the invoked ARN, so
   * an allow never names more than the request; undefined only for an event without an ARN.
   */
  routeOf(request: AuthorizerRequest): RouteRule | undefined {
    return this.namedRouteOf(request) ?? this.exactRuleOf(request.resourceArn);
  }

  private namedRouteOf(request: AuthorizerRequest): RouteRule | undefined {
    const event = request.event as {
      routeKey?: unknown;
      resource?: unknown;
      httpMethod?: unknown;
      requestContext?: { routeKey?: unknown } | null;
    };
    if (request.flavour === 'http-v2') return typeof event.routeKey === 'string' ? this.ruleOf(event.routeKey) : undefined;
    if (request.flavour === 'rest-token') return this.ruleOfMethodArn(request.resourceArn);
    const contextRouteKey = event.requestContext?.routeKey;
    if (typeof contextRouteKey === 'string') return this.ruleOf(contextRouteKey);
    const { resource, httpMethod } = event;
    if (typeof resource !== 'string' || typeof httpMethod !== 'string') return undefined;
    if (resource.startsWith('$')) return this.ruleOf(resource);
    const methods = this.byResource.get(resource);
    const listed = methods?.get(httpMethod) ?? methods?.get('ANY');
    if (listed !== undefined) return listed;
    let unlisted = this.unlistedByResource.get(resource)?.get(httpMethod);
    if (unlisted === undefined) {
      unlisted = this.ruleOf(`${httpMethod} ${resource}`);
      if (unlisted !== undefined && this.unlistedByResource.size < MAX_REMEMBERED_ROUTES) {
        let byMethod = this.unlistedByResource.get(resource);
        if (byMethod === undefined) this.unlistedByResource.set(resource, (byMethod = new Map()));
        byMethod.set(httpMethod, unlisted);
      }
    }
    return unlisted;
  }

  private ruleOf(key: string): RouteRule | undefined {
    const listed = this.byKey.get(key) ?? this.unlisted.get(key);
    if (listed !== undefined) return listed;
    const route = parseRouteKey(key);
    if ('problem' in route) return undefined;
    const rule: RouteRule = Object.freeze({ key, scopes: Object.freeze([]), resource: routeResource(route) });
    if (this.unlisted.size < MAX_REMEMBERED_ROUTES) this.unlisted.set(key, rule);
    return rule;
  }

  private exactRuleOf(resourceArn: string | undefined): RouteRule | undefined {
    if (resourceArn === undefined) return undefined;
    if (resourceArn === this.lastExactArn) return this.lastExactRule;
    // The ARN tail after `api-id/stage/`: `GET/orders/42`.
    const tail = resourceArn.split('/').slice(2).join('/');
    const rule: RouteRule | undefined = tail === '' ? undefined : Object.freeze({ key: tail, scopes: Object.freeze([]), resource: tail });
    this.lastExactArn = resourceArn;
    this.lastExactRule = rule;
    return rule;
  }

  private ruleOfMethodArn(methodArn: string | undefined): RouteRule | undefined {
    if (methodArn === undefined) return undefined;
    if (methodArn === this.lastMethodArn) return this.lastMethodArnRule;
    // arn:aws:execute-api:region:account:api-id/stage/METHOD/path…
    const [, , method, ...path] = methodArn.split('/');
    const matched = method === undefined ? undefined : matchRoute(this.routes, method, `/${path.join('/')}`)?.rule;
    this.lastMethodArn = methodArn;
    this.lastMethodArnRule = matched;
    return matched;
  }
}

/**
 * Whether a space-separated scope string (`scope`, RFC 8693 §4.2; an `scp` array arrives joined)
 * holds any of `wanted`: a scan of the string, no split, so nothing is allocated per request.
 */
export function hasAnyScope(scope: string | undefined, wanted: readonly string[]): boolean {
  if (scope === undefined) return false;
  for (const candidate of wanted) {
    let from = 0;
    for (;;) {
      const at = scope.indexOf(candidate, from);
      if (at === -1) break;
      const end = at + candidate.length;
      if ((at === 0 || scope.charCodeAt(at - 1) === 0x20) && (end === scope.length || scope.charCodeAt(end) === 0x20)) return true;
      from = at + 1;
    }
  }
  return false;
}

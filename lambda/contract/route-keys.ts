/**
 * Route keys as API Gateway writes them (`GET /orders/{id}`, `ANY /admin/{proxy+}`, `$default`,
 * WebSocket's `$connect`): parsed for JWT_ROUTE_SCOPES, matched against a method and path where an
 * event carries no route key (REST TOKEN events, the local gateway), and turned into the part of
 * an execute-api ARN that covers every request of the route. Plain functions, no imports.
 */

/** HTTP methods a route key may name; `ANY` matches every method. */
export const ROUTE_METHODS = ['ANY', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/** Keys that name a route without a method and path: HTTP API `$default`, WebSocket `$connect`. */
export const SPECIAL_ROUTE_KEYS = ['$default', '$connect'] as const;

/** A parsed route key. */
export type ParsedRoute =
  | { readonly kind: 'special'; readonly key: string }
  | {
      readonly kind: 'path';
      readonly key: string;
      readonly method: string;
      /** The path as written, starting with `/`. */
      readonly path: string;
      /** The path's segments: literal text, `{name}` (one segment) or `{name+}` (the rest, last only). */
      readonly segments: readonly RouteSegment[];
    };

export type RouteSegment = { readonly literal: string } | { readonly parameter: string; readonly greedy: boolean };

const PARAMETER = /^\{([A-Za-z0-9._-]+)(\+?)\}$/;

/**
 * Parses a route key (HTTP API route syntax, "Working with routes for HTTP APIs"; REST resources
 * are written the same way: `METHOD /resource/{param}`). Returns a problem for anything else.
 */
export function parseRouteKey(key: string): ParsedRoute | { readonly problem: string } {
  if ((SPECIAL_ROUTE_KEYS as readonly string[]).includes(key)) return { kind: 'special', key };
  const space = key.indexOf(' ');
  if (space === -1) return { problem: `"${key}" is not a route key: use METHOD /path, $default or $connect` };
  const method = key.slice(0, space);
  const path = key.slice(space + 1);
  if (!(ROUTE_METHODS as readonly string[]).includes(method)) {
    return { problem: `"${key}": the method must be one of ${ROUTE_METHODS.join(', ')}` };
  }
  if (!path.startsWith('/') || /\s/.test(path)) return { problem: `"${key}": the path must start with / and hold no spaces` };
  const segments: RouteSegment[] = [];
  const parts = path === '/' ? [] : path.slice(1).split('/');
  for (const [index, part] of parts.entries()) {
    if (part === '') return { problem: `"${key}": the path has an empty segment` };
    const parameter = PARAMETER.exec(part);
    if (parameter !== null) {
      const greedy = parameter[2] === '+';
      if (greedy && index !== parts.length - 1) return { problem: `"${key}": a greedy {${parameter[1]}+} must be the last segment` };
      segments.push({ parameter: parameter[1]!, greedy });
    } else if (/[{}*]/.test(part)) {
      return { problem: `"${key}": "${part}" is neither literal text nor a {parameter}` };
    } else {
      segments.push({ literal: part });
    }
  }
  return { kind: 'path', key, method, path, segments };
}

/**
 * The part of an execute-api ARN after `api-id/stage/` that covers every request the route
 * serves: `GET /orders/{id}` → `GET/orders/*`, `ANY /admin/{proxy+}` → `*` + `/admin/*`,
 * `$default` → `*`, `$connect` → `$connect`. In an IAM Resource `*` matches any run of
 * characters, `/` included, so one statement covers every path of the route.
 */
export function routeResource(route: ParsedRoute): string {
  if (route.kind === 'special') return route.key === '$default' ? '*' : route.key;
  const method = route.method === 'ANY' ? '*' : route.method;
  const path = route.segments.map((segment) => ('literal' in segment ? segment.literal : '*')).join('/');
  return `${method}/${path}`;
}

/**
 * The route of `routes` that serves `method` and `path`, as API Gateway picks it: the most specific
 * match (a literal segment before a `{parameter}`, a `{parameter}` before a greedy `{proxy+}`, a
 * method before `ANY`), else `$default` when listed, else undefined. `path` is the request path
 * without the stage, starting with `/`.
 */
export function matchRoute<T extends ParsedRoute>(routes: readonly T[], method: string, path: string): T | undefined {
  const parts = path === '/' || path === '' ? [] : path.replace(/^\//, '').split('/');
  let best: T | undefined;
  let bestScore: number[] | undefined;
  for (const route of routes) {
    if (route.kind !== 'path') continue;
    if (route.method !== 'ANY' && route.method !== method) continue;
    const score = matchScore(route.segments, parts);
    if (score === undefined) continue;
    score.push(route.method === 'ANY' ? 0 : 1);
    if (bestScore === undefined || compareScores(score, bestScore) > 0) {
      best = route;
      bestScore = score;
    }
  }
  return best ?? routes.find((route) => route.kind === 'special' && route.key === '$default');
}

/** Per segment 3 (literal), 2 (parameter) or 1 (greedy), or undefined when the path does not match. */
function matchScore(segments: readonly RouteSegment[], parts: readonly string[]): number[] | undefined {
  const score: number[] = [];
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!;
    if ('literal' in segment) {
      if (parts[index] !== segment.literal) return undefined;
      score.push(3);
    } else if (segment.greedy) {
      // A greedy variable matches one segment or more ("Working with routes for HTTP APIs").
      if (parts.length <= index) return undefined;
      score.push(1);
      return score;
    } else {
      if (parts[index] === undefined || parts[index] === '') return undefined;
      score.push(2);
    }
  }
  return parts.length === segments.length ? score : undefined;
}

function compareScores(a: readonly number[], b: readonly number[]): number {
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

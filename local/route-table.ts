import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { matchRoute, parseRouteKey, type ParsedRoute } from '../lambda/contract/index.js';

/** The flavour of API the local gateway plays (LOCAL_API). */
export const LOCAL_APIS = ['http-v2', 'http-v1', 'rest-token', 'rest-request'] as const;
export type LocalApi = (typeof LOCAL_APIS)[number];

/** The routes the local gateway matches, in API Gateway's order of specificity. */
export class RouteTable {
  constructor(readonly routes: readonly ParsedRoute[]) {}

  /** Only `$default`: every request matches it (the stack without LOCAL_ROUTES). */
  static readonly DEFAULT = new RouteTable([{ kind: 'special', key: '$default' }]);

  /** The route serving a request, or undefined (API Gateway answers 404 Not Found). */
  match(method: string, path: string): ParsedRoute | undefined {
    return matchRoute(this.routes, method, path);
  }

  get keys(): readonly string[] {
    return this.routes.map((route) => route.key);
  }
}

/**
 * The route keys of LOCAL_ROUTES (separated by commas or new lines) or of the file LOCAL_ROUTES_FILE
 * names (one per line, `#` comments), else the keys of JWT_ROUTE_SCOPES and `$default`, else
 * `$default` alone. Returns the table, or the problems found, each naming its variable.
 */
export function readRouteTable(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): { readonly table: RouteTable; readonly problems: readonly string[] } {
  const problems: string[] = [];
  const inline = env.LOCAL_ROUTES?.trim() || undefined;
  const file = env.LOCAL_ROUTES_FILE?.trim() || undefined;
  let keys: string[];
  let source: string;
  if (inline !== undefined && file !== undefined) {
    return { table: RouteTable.DEFAULT, problems: ['set LOCAL_ROUTES or LOCAL_ROUTES_FILE, not both'] };
  }
  if (inline !== undefined) {
    keys = inline.split(/[,\n]/);
    source = 'LOCAL_ROUTES';
  } else if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(resolve(cwd, file), 'utf8');
    } catch (error) {
      return { table: RouteTable.DEFAULT, problems: [`LOCAL_ROUTES_FILE cannot be read: ${(error as Error).message}`] };
    }
    keys = text.split('\n').map((line) => line.replace(/#.*$/, ''));
    source = `LOCAL_ROUTES_FILE (${file})`;
  } else {
    keys = ['$default', ...routeScopeKeys(env.JWT_ROUTE_SCOPES)];
    source = 'JWT_ROUTE_SCOPES';
  }
  const routes: ParsedRoute[] = [];
  for (const key of keys.map((entry) => entry.trim()).filter((entry) => entry !== '')) {
    const route = parseRouteKey(key);
    if ('problem' in route) problems.push(`${source}: ${route.problem}`);
    else if (!routes.some((known) => known.key === key)) routes.push(route);
  }
  if (routes.length === 0 && problems.length === 0) problems.push(`${source} lists no route`);
  return { table: problems.length === 0 ? new RouteTable(routes) : RouteTable.DEFAULT, problems };
}

/** The keys of a JWT_ROUTE_SCOPES value, or none when it is not a JSON object (the authorizer's own check reports that). */
function routeScopeKeys(json: string | undefined): string[] {
  if (json === undefined || json.trim() === '') return [];
  try {
    const parsed: unknown = JSON.parse(json);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.keys(parsed) : [];
  } catch {
    return [];
  }
}

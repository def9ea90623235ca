/**
 * Where the authorizer looks for the token (JWT_TOKEN_SOURCES), and which API Gateway identity
 * source expresses a list of them. The functions parse the variable with this module, the CDK
 * construct derives each authorizer's identity source from it, the local gateway checks requests
 * against the same identity source. Plain functions, no imports.
 */

/** `header`: a request header; `query`: a query string parameter; `cookie`: a cookie. */
export type TokenSourceKind = 'header' | 'query' | 'cookie';

/** One place a token may be: `header:authorization` (the Bearer scheme), `header:NAME`, `query:NAME`, `cookie:NAME`. */
export interface TokenSource {
  readonly kind: TokenSourceKind;
  /** Header names lower-cased (they compare case-insensitively); query and cookie names as given. */
  readonly name: string;
}

/** JWT_TOKEN_SOURCES: the Authorization header, Bearer scheme (RFC 6750 §2.1). */
export const DEFAULT_TOKEN_SOURCES = 'header:authorization';

/** At most this many sources: each is looked at in turn on every request. */
export const MAX_TOKEN_SOURCES = 8;

// RFC 9110 §5.6.2 token: header field names; RFC 6265 §4.1.1 cookie-name is a token too.
const TOKEN_CHARACTERS = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
// A query parameter name as API Gateway passes it (decoded): anything printable but the delimiters.
const QUERY_NAME = /^[^\s&=#?]{1,128}$/;

/**
 * Parses JWT_TOKEN_SOURCES (entries separated by commas or whitespace, looked at in that order).
 * Returns the sources, or the problems found, each naming the entry.
 */
export function parseTokenSources(value: string): { readonly sources: readonly TokenSource[]; readonly problems: readonly string[] } {
  const problems: string[] = [];
  const sources: TokenSource[] = [];
  const entries = value.split(/[\s,]+/).filter((entry) => entry !== '');
  if (entries.length === 0) problems.push('lists no source');
  if (entries.length > MAX_TOKEN_SOURCES) problems.push(`lists ${entries.length} sources, at most ${MAX_TOKEN_SOURCES} are allowed`);
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const kind = colon === -1 ? entry : entry.slice(0, colon).toLowerCase();
    const rawName = colon === -1 ? '' : entry.slice(colon + 1);
    if (kind !== 'header' && kind !== 'query' && kind !== 'cookie') {
      problems.push(`"${entry}" is not header:NAME, query:NAME or cookie:NAME`);
      continue;
    }
    const valid = kind === 'query' ? QUERY_NAME.test(rawName) : TOKEN_CHARACTERS.test(rawName);
    if (!valid) {
      problems.push(`"${entry}" does not name a ${kind === 'query' ? 'query parameter' : kind}`);
      continue;
    }
    const name = kind === 'header' ? rawName.toLowerCase() : rawName;
    if (sources.some((source) => source.kind === kind && source.name === name)) {
      problems.push(`"${entry}" is listed twice`);
      continue;
    }
    sources.push({ kind, name });
  }
  return { sources: problems.length === 0 ? sources : [], problems };
}

/** The list as JWT_TOKEN_SOURCES spells it, e.g. `header:authorization,query:access_token`. */
export function formatTokenSources(sources: readonly TokenSource[]): string {
  return sources.map((source) => `${source.kind}:${source.name}`).join(',');
}

/** Whether the list is the default one: the Authorization header alone. */
export function isDefaultTokenSources(sources: readonly TokenSource[]): boolean {
  return sources.length === 1 && sources[0]!.kind === 'header' && sources[0]!.name === 'authorization';
}

/** The kinds of API an identity source is written for. */
export type IdentitySourceDialect = 'http' | 'rest' | 'websocket';

/**
 * The identity sources an authorizer reading `sources` can declare, or undefined when none can.
 *
 * API Gateway refuses a request (401, the authorizer not invoked) unless every identity source is
 * present, so a list of alternatives (a header *or* a query parameter) has no identity source: only
 * a list of one source does. HTTP APIs have no identity source for a cookie (payload 2.0 moves
 * cookies out of the headers); REST and WebSocket APIs can name the whole Cookie header.
 * ("Working with AWS Lambda authorizers for HTTP APIs", Identity sources; REST `identitySource`
 * of `AWS::ApiGateway::Authorizer`.)
 */
export function identitySourcesFor(sources: readonly TokenSource[], dialect: IdentitySourceDialect): readonly string[] | undefined {
  if (sources.length !== 1) return undefined;
  const source = sources[0]!;
  const prefix = dialect === 'http' ? '$request' : dialect === 'rest' ? 'method.request' : 'route.request';
  if (source.kind === 'header') return [`${prefix}.header.${headerCase(source.name)}`];
  if (source.kind === 'query') return [`${prefix}.querystring.${source.name}`];
  return dialect === 'http' ? undefined : [`${prefix}.header.Cookie`];
}

/**
 * The header a REST TOKEN authorizer reads (its only identity source): the first header source,
 * or undefined when the list has none. A TOKEN event carries that header's value alone.
 */
export function tokenAuthorizerHeader(sources: readonly TokenSource[]): string | undefined {
  const header = sources.find((source) => source.kind === 'header');
  return header === undefined ? undefined : headerCase(header.name);
}

/** `x-access-token` → `X-Access-Token`: how identity sources are usually written (names compare case-insensitively). */
function headerCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}

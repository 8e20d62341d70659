import { NodeError } from "../errors";

/** The route label of requests no route matched. */
export const UNMATCHED_ROUTE = "unmatched";

/** The `http.request.method` value of methods outside the standard set, as the HTTP semantic conventions ask. */
export const OTHER_METHOD = "_OTHER";

const KNOWN_METHODS: ReadonlySet<string> = new Set([
  "CONNECT",
  "DELETE",
  "GET",
  "HEAD",
  "OPTIONS",
  "PATCH",
  "POST",
  "PUT",
  "QUERY",
  "TRACE",
]);

/**
 * The method as it goes into attributes and metric labels: one of the
 * standard methods, or `_OTHER`, so a client cannot grow the label set.
 *
 * @param method - the request method as received
 * @returns the method, or `_OTHER`
 */
export function normaliseMethod(method: string): string {
  return KNOWN_METHODS.has(method) ? method : OTHER_METHOD;
}

/** Finds the route template of a path; `undefined` when none matches. */
export type RouteMatcher = (path: string) => string | undefined;

interface CompiledRoute {
  readonly route: string;
  readonly segments: readonly string[];
  /** Ends in `*`: matches any rest of the path. */
  readonly rest: boolean;
}

function compile(pattern: string, index: number): CompiledRoute {
  if (typeof pattern !== "string" || !pattern.startsWith("/")) {
    throw new NodeError(
      "ERR_INVALID_OPTION",
      `routes[${index}]: expected a path pattern starting with "/", got ${JSON.stringify(pattern)}`,
    );
  }
  const parts = pattern.split("/").slice(1);
  const rest = parts[parts.length - 1] === "*";
  if (rest) parts.pop();
  if (parts.slice(0, -1).some((p) => p === "")) {
    throw new NodeError(
      "ERR_INVALID_OPTION",
      `routes[${index}]: empty segment in ${JSON.stringify(pattern)}`,
    );
  }
  return { route: pattern, segments: parts, rest };
}

function matches(route: CompiledRoute, parts: readonly string[]): boolean {
  const { segments, rest } = route;
  if (rest ? parts.length < segments.length : parts.length !== segments.length) return false;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    const part = parts[i] as string;
    if (segment.startsWith(":")) {
      if (part === "") return false;
    } else if (segment !== part) {
      return false;
    }
  }
  return true;
}

/**
 * Compiles a table of route patterns into a matcher. A pattern is a path
 * whose segments are literal, `:name` (any one non-empty segment) or a final
 * `*` (any rest, including nothing). The first pattern that matches wins.
 *
 * @param patterns - e.g. `["/orders", "/orders/:id", "/static/*"]`
 * @returns a matcher returning the pattern itself, or `undefined`
 * @throws NodeError `ERR_INVALID_OPTION` for a pattern that does not start with `/`
 */
export function compileRoutes(patterns: readonly string[]): RouteMatcher {
  const routes = patterns.map(compile);
  return (path) => {
    const parts = path.split("/").slice(1);
    for (const route of routes) if (matches(route, parts)) return route.route;
    return undefined;
  };
}

// A segment that is an identifier rather than a name: digits, a UUID, a long
// hex string, or a long token mixing letters and digits.
const ID_SEGMENT =
  /^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{12,}|(?=[^/]*\d)[\w-]{20,})$/i;

const RECENT_PATHS = 1024;

/**
 * The default grouping when no routes are configured: identifier-looking
 * segments become `:id` (`/orders/123` → `/orders/:id`), and at most
 * `maxRoutes` distinct templates are kept; paths beyond them, and paths
 * answered 404, are `unmatched`. Templates are guesses, so they label
 * metrics and access logs but never become `http.route`.
 */
export function createPathTemplater(maxRoutes: number): (path: string, status: number) => string {
  const seen = new Set<string>();
  // Most traffic repeats a few exact paths: their template is remembered
  // rather than rebuilt segment by segment. Bounded: emptied when full.
  const recent = new Map<string, string>();
  return (path, status) => {
    // 404s are what scanners produce: they must not take the template slots.
    if (status === 404) return UNMATCHED_ROUTE;
    const known = recent.get(path);
    if (known !== undefined) return known;
    let template = "";
    for (const part of path.split("/").slice(1)) {
      template += ID_SEGMENT.test(part) ? "/:id" : `/${part}`;
    }
    if (template === "") template = "/";
    if (!seen.has(template)) {
      if (seen.size >= maxRoutes) return UNMATCHED_ROUTE;
      seen.add(template);
    }
    if (recent.size >= RECENT_PATHS) recent.clear();
    recent.set(path, template);
    return template;
  };
}

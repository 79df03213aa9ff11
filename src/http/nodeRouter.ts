/**
 * uWS's routing for the node transport: patterns of `/`-separated segments, each static, `:name` (one segment) or
 * a final `*` (the rest, one segment or more). Of the routes that match, the most specific wins whatever the order of
 * registration, as in uWS's router: compared segment by segment, static before parameter before wildcard; then a
 * route for the method before an `any` route; then the first registered. A handler may yield (a WebSocket route
 * given a request that is no upgrade), and the next match runs.
 */

const STATIC = 0;
const PARAM = 1;
const WILDCARD = 2;
type SegmentKind = typeof STATIC | typeof PARAM | typeof WILDCARD;

interface Segment {
  kind: SegmentKind;
  text: string;
}

export interface Route<H> {
  /** Lower-case method, or '*' for any. */
  method: string;
  segments: Segment[];
  handler: H;
  order: number;
}

export interface RouteMatch<H> {
  route: Route<H>;
  /** The `:name` segments' values, in order, undecoded. */
  params: string[];
}

function parsePattern(pattern: string): Segment[] {
  const parts = pattern.split('/').slice(1);
  return parts.map((text, index) => {
    if (text === '*' && index === parts.length - 1) return { kind: WILDCARD, text };
    if (text.startsWith(':')) return { kind: PARAM, text };
    return { kind: STATIC, text };
  });
}

export class NodeRouter<H> {
  private readonly routes: Route<H>[] = [];

  add(method: string, pattern: string, handler: H): void {
    this.routes.push({ method, segments: parsePattern(pattern), handler, order: this.routes.length });
  }

  /** The routes matching this method and path (no query), most specific first. */
  match(method: string, path: string): RouteMatch<H>[] {
    const parts = path.split('/').slice(1);
    const found: RouteMatch<H>[] = [];
    for (const route of this.routes) {
      if (route.method !== method && route.method !== '*') continue;
      const params = matchSegments(route.segments, parts);
      if (params !== null) found.push({ route, params });
    }
    if (found.length > 1) found.sort((a, b) => compareRoutes(a.route, b.route));
    return found;
  }
}

function matchSegments(segments: readonly Segment[], parts: readonly string[]): string[] | null {
  const params: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as Segment;
    if (segment.kind === WILDCARD) return i < parts.length ? params : null;
    const part = parts[i];
    if (part === undefined) return null;
    if (segment.kind === PARAM) params.push(part);
    else if (segment.text !== part) return null;
  }
  return segments.length === parts.length ? params : null;
}

function compareRoutes<H>(a: Route<H>, b: Route<H>): number {
  const length = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const difference = (a.segments[i] as Segment).kind - (b.segments[i] as Segment).kind;
    if (difference !== 0) return difference;
  }
  const anyA = a.method === '*' ? 1 : 0;
  const anyB = b.method === '*' ? 1 : 0;
  return anyA - anyB || a.order - b.order;
}

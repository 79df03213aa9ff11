import { httpStatusOf, reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import { cookieValue, csrfMatches, sameHost, SESSION_COOKIE, type AdminGate, type Principal } from './adminGate.js';
import { clientAddress } from './clientAddress.js';
import { readBody, RequestAbortedError } from './readBody.js';
import { respond, respondText } from './respond.js';
import type { HttpRequest, HttpResponse } from './uws.js';

/** What an admin endpoint is handed: the request as read synchronously, its JSON body, and who sent it. */
export interface AdminCall {
  readonly method: 'get' | 'post';
  /** The route's parameters in order, URI-decoded. */
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  /** The parsed JSON body of a POST (undefined for GET). */
  readonly body: unknown;
  /** The peer's address (login rate limits). */
  readonly ip: string;
  /** Null only on public endpoints (login, the page itself). */
  readonly principal: Principal | null;
  /** The session cookie's secret, when the request carries one (sign-out ends that session). */
  readonly sessionSecret: string | null;
}

/** An endpoint's answer: JSON (the default), or a text/HTML body with its content type. */
export interface AdminAnswer {
  status: number;
  json?: unknown;
  text?: string;
  contentType?: string;
  headers?: Readonly<Record<string, string>>;
}

export interface AdminEndpoint {
  /** `operator`: 401 without a session or token; `public`: the login page and the login call. */
  access: 'operator' | 'public';
  run(call: AdminCall): Promise<AdminAnswer>;
}

export interface AdminEndpointDeps {
  gate: AdminGate;
  logger: Logger;
  /** TRUST_PROXY_HOPS: how many proxies' X-Forwarded-For entries to believe for the client's address. */
  trustProxyHops?: number;
}

/** Every admin answer carries these: nothing is framed, sniffed, cached or leaks a referrer; scripts only from us. */
export const ADMIN_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
});

const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Adapts an endpoint to a uWS route: 404 while the console is off, 401 without a valid principal, 403 for a cookie
 * session's POST without its CSRF token (and for a POST that is not JSON or comes from another origin), 400 for a
 * body that is not JSON; typed errors become their status (src/errors.ts httpStatusOf) with their message, others a
 * 500 whose reason is logged, never sent.
 */
export function adminRoute(deps: AdminEndpointDeps, method: 'get' | 'post', endpoint: AdminEndpoint): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => {
    const state = { aborted: false };
    // Everything from `req` is read before the first await (uWS invalidates it after the handler returns).
    const headers = {
      cookie: req.getHeader('cookie'),
      authorization: req.getHeader('authorization'),
      csrf: req.getHeader('x-csrf-token'),
      contentType: req.getHeader('content-type'),
      origin: req.getHeader('origin'),
      host: req.getHeader('host'),
      forwardedFor: req.getHeader('x-forwarded-for'),
    };
    const params: string[] = [];
    for (let i = 0; ; i++) {
      const value = req.getParameter(i);
      if (value === '' || i > 8) break;
      params.push(safeDecode(value));
    }
    const query = new URLSearchParams(req.getQuery() ?? '');
    const ip = clientAddress(Buffer.from(res.getRemoteAddressAsText()).toString(), headers.forwardedFor, deps.trustProxyHops ?? 0);
    const body = method === 'post' ? readBody(res, BODY_LIMIT_BYTES, state) : null;
    if (body === null) {
      res.onAborted(() => {
        state.aborted = true;
      });
    }
    const answer = (reply: AdminAnswer): void => {
      const contentType = reply.contentType ?? 'application/json';
      const text = reply.text ?? JSON.stringify(reply.json ?? null);
      respond(res, state, reply.status, contentType, text, { ...ADMIN_SECURITY_HEADERS, ...reply.headers });
    };
    const run = async (): Promise<void> => {
      if (!(await deps.gate.enabled())) {
        // Read (and drop) a body first: uWS wants onData for a POST before the answer.
        await body?.catch(() => undefined);
        respondText(res, state, 404, 'not found');
        return;
      }
      const principal = await deps.gate.authenticate(headers);
      const raw = await body;
      if (endpoint.access === 'operator' && principal === null) {
        answer({ status: 401, json: { error: 'sign in first' }, headers: { 'WWW-Authenticate': 'Bearer realm="admin"' } });
        return;
      }
      let parsed: unknown;
      if (method === 'post') {
        const refused = postRefusal(headers, principal);
        if (refused !== null) {
          answer({ status: 403, json: { error: refused } });
          return;
        }
        const bytes = raw ?? Buffer.alloc(0);
        try {
          parsed = bytes.length === 0 ? {} : (JSON.parse(bytes.toString('utf8')) as unknown);
        } catch {
          answer({ status: 400, json: { error: 'the body is not JSON' } });
          return;
        }
      }
      answer(await endpoint.run({ method, params, query, body: parsed, ip, principal, sessionSecret: cookieValue(headers.cookie, SESSION_COOKIE) ?? null }));
    };
    void run().catch((error: unknown) => {
      if (error instanceof RequestAbortedError) return;
      const status = httpStatusOf(error);
      if (status >= 500) {
        deps.logger.warn({ err: reasonOf(error) }, 'admin request failed');
        answer({ status, json: { error: 'the request failed; see the server log' } });
      } else {
        answer({ status, json: { error: reasonOf(error) } });
      }
    });
  };
}

/**
 * Why a POST is refused before it runs, or null. Only JSON is taken (a cross-site form cannot send it without a
 * preflight we never answer); a browser's Origin must be this host; a cookie session must send its CSRF token.
 */
function postRefusal(headers: { csrf: string; contentType: string; origin: string; host: string }, principal: Principal | null): string | null {
  if (!/^application\/json\b/i.test(headers.contentType)) return 'send the body as application/json';
  if (headers.origin !== '' && !sameHost(headers.origin, headers.host)) return 'cross-origin request refused';
  if (principal?.kind === 'session' && !csrfMatches(headers.csrf, principal.csrfToken ?? '')) return 'missing or wrong CSRF token';
  return null;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

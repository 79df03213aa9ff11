import { z } from 'zod';
import { BadInputError, NotFoundError, TooManyRequestsError } from '../errors.js';
import { isUuid } from '../db/isUuid.js';
import type { Logger } from '../log.js';
import { LEAD_FIELDS } from '../leads/lead.js';
import { ADMIN_SECURITY_HEADERS, adminRoute, type AdminAnswer, type AdminCall, type AdminEndpoint } from './adminEndpoint.js';
import type { AdminAsset } from './adminAssets.js';
import { SESSION_COOKIE, type AdminGate, type Principal } from './adminGate.js';
import { adminLiveSocket } from './adminLiveSocket.js';
import type { AdminServices } from './adminServices.js';
import { respond, respondText } from './respond.js';
import { ADMIN_ROUTES } from './routes.js';
import type { TemplatedApp } from './uws.js';

export interface AdminApiDeps {
  gate: AdminGate;
  services: AdminServices;
  logger: Logger;
  /** The page's files (src/admin/public and the vendored Preact + htm), by name under /admin/assets/. */
  assets: ReadonlyMap<string, AdminAsset>;
  /** `Secure` on the session cookie (PUBLIC_URL is https). */
  secureCookie: boolean;
  /** How long a signed-in session lasts, in seconds (the cookie's Max-Age). */
  sessionSeconds: number;
  /** TRUST_PROXY_HOPS (the client's address for the sign-in limit). */
  trustProxyHops: number;
}

const LoginSchema = z.object({ name: z.string().trim().min(1).max(80), password: z.string().min(1).max(1024) });
const RetrySchema = z.object({ force: z.boolean().default(false) });
const NoteSchema = z.object({ note: z.string().trim().min(1, 'a note is needed').max(2000) });
const ReasonSchema = z.object({ reason: z.string().trim().min(1, 'a reason is needed').max(2000) });
const ApproveSchema = z.object({ set: z.partialRecord(z.enum(LEAD_FIELDS), z.string().trim().min(1).max(200)).default({}) });

/** Parses a body with a schema; a refusal is a 400 naming what is wrong. */
function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new BadInputError(result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return result.data;
}

/** A route's lead id parameter: a malformed one cannot exist. */
function leadIdOf(call: AdminCall): string {
  const id = call.params[0] ?? '';
  if (!isUuid(id)) throw new NotFoundError('no lead with this id');
  return id;
}

const ok = (json: unknown): AdminAnswer => ({ status: 200, json });
const who = (call: AdminCall): Principal => call.principal as Principal;

/** Registers the console: its page, the JSON API under /admin/api/, and the live calls socket. */
export function registerAdminApi(app: TemplatedApp, deps: AdminApiDeps): void {
  const { services, gate } = deps;
  const route = (method: 'get' | 'post', pattern: string, endpoint: AdminEndpoint): void => {
    app[method](pattern, adminRoute({ gate, logger: deps.logger, trustProxyHops: deps.trustProxyHops }, method, endpoint));
  };
  const operator = (run: (call: AdminCall) => Promise<AdminAnswer>): AdminEndpoint => ({ access: 'operator', run });

  // The page: one HTML shell (it routes itself, by the URL's fragment), and its files.
  const page = deps.assets.get('index.html');
  const servePage: AdminEndpoint = {
    access: 'public',
    run: async () => ({ status: 200, text: page?.body.toString('utf8') ?? 'console page missing', contentType: 'text/html; charset=utf-8' }),
  };
  route('get', ADMIN_ROUTES.page, servePage);
  route('get', `${ADMIN_ROUTES.page}/`, servePage);
  app.get(ADMIN_ROUTES.assets, (res, req) => {
    const state = { aborted: false };
    const name = req.getUrl().slice(ADMIN_ROUTES.assets.length - 1);
    const asset = deps.assets.get(name);
    void gate
      .enabled()
      .then((on) => {
        if (!on || asset === undefined) respondText(res, state, 404, 'not found');
        else respond(res, state, 200, asset.contentType, asset.body.toString('utf8'), ADMIN_SECURITY_HEADERS);
      })
      .catch(() => respondText(res, state, 500, 'unavailable'));
    res.onAborted(() => {
      state.aborted = true;
    });
  });

  // Signing in and out (the accounts module audits both and rate-limits sign-in).
  route('post', ADMIN_ROUTES.login, {
    access: 'public',
    run: async (call): Promise<AdminAnswer> => {
      const { name, password } = parse(LoginSchema, call.body);
      try {
        const session = await services.accounts.login(name, password, call.ip);
        return {
          status: 200,
          json: { operator: session.operator.name, csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() },
          headers: { 'Set-Cookie': sessionCookie(session.sessionSecret, deps.sessionSeconds, deps.secureCookie) },
        };
      } catch (error) {
        if (!(error instanceof TooManyRequestsError)) throw error;
        const seconds = Math.max(1, Math.ceil(error.retryAfterMs / 1000));
        return { status: 429, json: { error: `too many failed sign-ins; try again in ${seconds} s` }, headers: { 'Retry-After': String(seconds) } };
      }
    },
  });
  route(
    'post',
    ADMIN_ROUTES.logout,
    operator(async (call) => {
      if (who(call).kind === 'session' && call.sessionSecret !== null) await services.accounts.logout(call.sessionSecret);
      return { status: 200, json: { signedOut: true }, headers: { 'Set-Cookie': sessionCookie('', 0, deps.secureCookie) } };
    }),
  );
  // Who the page is signed in as (null: show the sign-in form); public, so a signed-out page asks without an error.
  route('get', ADMIN_ROUTES.me, {
    access: 'public',
    run: async (call) => {
      const principal = call.principal;
      return ok(principal === null ? { operator: null } : { operator: principal.name, kind: principal.kind, csrfToken: principal.csrfToken });
    },
  });

  // Live calls and the machine's drawing.
  route('get', ADMIN_ROUTES.live, operator(async () => ok({ calls: [...services.live.list(), ...(await services.liveElsewhere())] })));
  app.ws(ADMIN_ROUTES.liveSocket, adminLiveSocket({ gate, live: services.live, elsewhere: () => services.liveElsewhere(), logger: deps.logger }));
  route('get', ADMIN_ROUTES.machine, operator(async () => ok(await services.machineLayout())));

  // Calls (every conversation) and one call's whole record.
  route('get', ADMIN_ROUTES.calls, operator(async (call) => ok(await services.conversations.list(call.query))));
  route(
    'get',
    ADMIN_ROUTES.call,
    operator(async (call) => {
      const detail = await services.conversations.detail(call.params[0] ?? '');
      if (detail === null) throw new NotFoundError('no conversation with this id');
      const auditLog = await services.audit.forConversation(detail.leadId, detail.sessionKey);
      return ok({ ...detail, audit: auditLog });
    }),
  );

  // Failed leads: retry through the outbox (as `leads failed retry`), or resolve with a note.
  route('get', ADMIN_ROUTES.failed, operator(async (call) => ok({ leads: await services.failed.list(call.query.get('all') === 'true') })));
  route(
    'post',
    ADMIN_ROUTES.failedRetry,
    operator(async (call) => {
      const id = leadIdOf(call);
      const { force } = parse(RetrySchema, call.body);
      // Audited by the retry itself (as the CLI's is), with its outcome.
      const result = await services.failed.retry(id, { force, by: who(call).name });
      if (result.outcome === 'not-found') throw new NotFoundError('no failed lead with this id');
      return { status: result.outcome === 'refused' || result.outcome === 'already-resolved' ? 409 : 200, json: result };
    }),
  );
  route(
    'post',
    ADMIN_ROUTES.failedResolve,
    operator(async (call) => {
      const id = leadIdOf(call);
      const { note } = parse(NoteSchema, call.body);
      return ok(await services.failed.resolve(id, note, who(call).name));
    }),
  );

  // The review queue: approve (with the person's values for disputed fields), or reject with a reason.
  route('get', ADMIN_ROUTES.review, operator(async () => ok(await services.review.queue())));
  route(
    'post',
    ADMIN_ROUTES.reviewApprove,
    operator(async (call) => {
      const id = leadIdOf(call);
      const { set } = parse(ApproveSchema, call.body);
      return ok({ id, ...(await services.review.approve(id, set as Record<string, string>, who(call).name)) });
    }),
  );
  route(
    'post',
    ADMIN_ROUTES.reviewReject,
    operator(async (call) => {
      const id = leadIdOf(call);
      const { reason } = parse(ReasonSchema, call.body);
      return ok({ id, state: await services.review.reject(id, reason, who(call).name) });
    }),
  );

  route('get', ADMIN_ROUTES.quality, operator(async (call) => ok(await services.quality(call.query))));
  route(
    'get',
    ADMIN_ROUTES.audit,
    operator(async (call) => {
      const leadId = call.query.get('leadId');
      if (leadId !== null && !isUuid(leadId)) throw new BadInputError('leadId: not a lead id');
      return ok({ entries: leadId === null ? await services.audit.recent(200) : await services.audit.forLead(leadId) });
    }),
  );
  // Anything else under the API is a JSON 404 (not the page).
  app.any(ADMIN_ROUTES.apiAny, (res) => {
    respond(res, { aborted: false }, 404, 'application/json', JSON.stringify({ error: 'no such endpoint' }), ADMIN_SECURITY_HEADERS);
  });
}

/** The session cookie: HttpOnly, SameSite=Strict, scoped to /admin, Secure behind https; empty with Max-Age 0 signs out. */
export function sessionCookie(secret: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${secret}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

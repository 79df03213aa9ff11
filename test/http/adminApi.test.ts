import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { placeScriptedCall, startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import { DEMO_CALLS } from '../../src/demo/demoCalls.js';
import { ADMIN_ROUTES } from '../../src/http/routes.js';
import { capturedLogs } from '../support/capturedLogs.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

/**
 * The console's HTTP side through the real server: off without any operator, who may ask what, the session cookie,
 * CSRF, the sign-in rate limit, bearer tokens, sign-out, the audit log, the live calls socket; no secret in the logs.
 */
const PASSWORD = 'a long enough password';
const ADMIN_TOKEN = 'automation-token-0123456789';

let database: TestDatabase;
let lab: VoiceLab;
const logs = capturedLogs('debug');
let callCount = 0;
const nextSid = () => `CAadminapi${String(++callCount).padStart(24, '0')}`;

beforeAll(async () => {
  database = await createTestDatabase();
  lab = await startVoiceLab({ env: { ...database.env, LOG_LEVEL: 'debug' }, logger: logs.logger, overrides: { db: database.db } });
});
afterAll(async () => {
  await lab?.close();
  await database?.close();
});

const url = (path: string) => `${lab.app.url}${path}`;
const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

async function signIn(name: string, password = PASSWORD): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const response = await fetch(url(ADMIN_ROUTES.login), json({ name, password }));
  expect(response.status).toBe(200);
  const setCookie = response.headers.get('set-cookie') ?? '';
  const body = (await response.json()) as { csrfToken: string; operator: string };
  expect(body.operator).toBe(name);
  return { cookie: setCookie.split(';')[0] ?? '', csrf: body.csrfToken, setCookie };
}

/** Waits for the console to answer (the gate counts operators at most once a second). */
async function consoleOn(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if ((await fetch(url('/admin'))).status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('console never came on');
}

function openSocket(headers: Record<string, string>): Promise<{ socket: WebSocket; messages: Array<Record<string, unknown>> } | { status: number }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${lab.app.port}${ADMIN_ROUTES.liveSocket}`, { headers });
    const messages: Array<Record<string, unknown>> = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data)) as Record<string, unknown>));
    socket.on('close', (code) => messages.push({ type: `closed ${code}` }));
    socket.once('open', () => resolve({ socket, messages }));
    socket.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    socket.once('error', () => resolve({ status: -1 }));
  });
}

describe('the console over HTTP', () => {
  it('is off (404) with no operator and no ADMIN_TOKEN, and says so at start-up; an operator turns it on', async () => {
    expect((await fetch(url('/admin'))).status).toBe(404);
    expect((await fetch(url(ADMIN_ROUTES.calls))).status).toBe(404);
    expect((await fetch(url(ADMIN_ROUTES.login), json({ name: 'x', password: 'y' }))).status).toBe(404);
    expect(await openSocket({})).toEqual({ status: 404 });
    expect(logs.entries().some((e) => String(e['msg']).includes('operations console (/admin) is off'))).toBe(true);

    await lab.app.operators.addOperator('alice', PASSWORD);
    await consoleOn();
    const page = await fetch(url('/admin'));
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const vendor = await fetch(url('/admin/assets/vendor/preact-htm.js'));
    expect(vendor.status).toBe(200);
    expect(vendor.headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(url('/admin/assets/nothing-here.js'))).status).toBe(404);
    expect((await fetch(url('/admin/api/no-such-endpoint'))).status).toBe(404);
  });

  it('answers 401 without a session or token, and signs in with a cookie the browser keeps to itself', async () => {
    for (const path of [ADMIN_ROUTES.calls, ADMIN_ROUTES.live, ADMIN_ROUTES.failed, ADMIN_ROUTES.review, ADMIN_ROUTES.quality, ADMIN_ROUTES.machine, ADMIN_ROUTES.audit]) {
      expect((await fetch(url(path))).status, path).toBe(401);
    }
    expect((await fetch(url(ADMIN_ROUTES.me))).status).toBe(200);
    expect(await (await fetch(url(ADMIN_ROUTES.me))).json()).toEqual({ operator: null });
    const wrong = await fetch(url(ADMIN_ROUTES.login), json({ name: 'alice', password: 'not the password' }));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    // An unknown name gets the same answer as a wrong password: nothing tells which accounts exist.
    const unknown = await fetch(url(ADMIN_ROUTES.login), json({ name: 'nobody', password: PASSWORD }));
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toEqual(await wrong.json());

    const { cookie, setCookie } = await signIn('alice');
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/admin/);
    expect(setCookie).toMatch(/Max-Age=\d+/);
    // PUBLIC_URL is not https here: no Secure flag (the browser would drop the cookie over http).
    expect(setCookie).not.toMatch(/Secure/);
    const me = await fetch(url(ADMIN_ROUTES.me), { headers: { cookie } });
    expect(await me.json()).toMatchObject({ operator: 'alice', kind: 'session' });
    expect((await fetch(url(ADMIN_ROUTES.calls), { headers: { cookie } })).status).toBe(200);
    expect((await fetch(url(ADMIN_ROUTES.calls), { headers: { cookie: 'psb_session=forged-secret-value' } })).status).toBe(401);
  });

  it('refuses a session POST without its CSRF token, from another origin, or not as JSON', async () => {
    const { cookie, csrf } = await signIn('alice');
    const resolve = (headers: Record<string, string>, init: Partial<RequestInit> = {}) =>
      fetch(url('/admin/api/failed/00000000-0000-4000-8000-000000000000/resolve'), { ...json({ note: 'checked' }, { cookie, ...headers }), ...init });
    expect((await resolve({})).status).toBe(403);
    expect((await resolve({ 'x-csrf-token': 'another-token' })).status).toBe(403);
    expect((await resolve({ 'x-csrf-token': csrf, origin: 'https://evil.example' })).status).toBe(403);
    expect((await resolve({ 'x-csrf-token': csrf, 'content-type': 'text/plain' })).status).toBe(403);
    // With all of it, the request reaches the rules: an unknown lead.
    const through = await resolve({ 'x-csrf-token': csrf, origin: lab.app.url });
    expect(through.status).toBe(404);
    expect(await through.json()).toMatchObject({ error: expect.stringMatching(/no failed lead/) });
    // Bad input is a 400 with what is wrong.
    const blank = await fetch(url('/admin/api/failed/00000000-0000-4000-8000-000000000000/resolve'), json({ note: '' }, { cookie, 'x-csrf-token': csrf }));
    expect(blank.status).toBe(400);
    expect(await blank.json()).toMatchObject({ error: expect.stringContaining('note') });
    const notJson = await fetch(url(ADMIN_ROUTES.logout), { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: '{not json' });
    expect(notJson.status).toBe(400);
  });

  it('rate-limits sign-in per account: after five failures even the right password waits', async () => {
    await lab.app.operators.addOperator('bruno', PASSWORD);
    for (let i = 0; i < 5; i++) expect((await fetch(url(ADMIN_ROUTES.login), json({ name: 'bruno', password: `wrong password ${i}` }))).status).toBe(401);
    const throttled = await fetch(url(ADMIN_ROUTES.login), json({ name: 'bruno', password: PASSWORD }));
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another account from the same address is not locked out by bruno's failures (the address limit is higher).
    await signIn('alice');
  });


  it('takes an operator API token and ADMIN_TOKEN as bearer tokens (no CSRF: no cookie), and audits who acted', async () => {
    const token = await lab.app.operators.createApiToken('alice', 'reports');
    const calls = await fetch(url(ADMIN_ROUTES.calls), { headers: { authorization: `Bearer ${token}` } });
    expect(calls.status).toBe(200);
    expect(await calls.json()).toMatchObject({ rows: expect.any(Array), total: expect.any(Number) });
    expect((await fetch(url(ADMIN_ROUTES.calls), { headers: { authorization: 'Bearer psb_not-a-real-token-at-all' } })).status).toBe(401);

    // A failed lead, retried by the token's operator: the audit log says alice did it.
    lab.npa.failNext(1, 422);
    const callSid = nextSid();
    const { output } = await placeScriptedCall(lab, { ...DEMO_CALLS[0]!, callSid });
    expect(output.outcome).toBe('failed');
    for (let i = 0; i < 100 && (await lab.app.repos.failed.get(output.leadId)) === null; i++) await new Promise((r) => setTimeout(r, 50));
    const retried = await fetch(url(`/admin/api/failed/${output.leadId}/retry`), json({}, { authorization: `Bearer ${token}` }));
    expect(retried.status).toBe(200);
    expect(await retried.json()).toMatchObject({ outcome: 'succeeded' });
    const again = await fetch(url(`/admin/api/failed/${output.leadId}/retry`), json({}, { authorization: `Bearer ${token}` }));
    expect(again.status).toBe(409);
    const audit = await fetch(url(`${ADMIN_ROUTES.audit}?leadId=${output.leadId}`), { headers: { authorization: `Bearer ${token}` } });
    expect(((await audit.json()) as { entries: unknown[] }).entries).toEqual([
      expect.objectContaining({ operator: 'alice', action: 'lead.retry', detail: expect.objectContaining({ outcome: 'succeeded' }) }),
      expect.objectContaining({ operator: 'alice', action: 'lead.retry', detail: expect.objectContaining({ outcome: 'already-resolved' }) }),
    ]);
    // The call's detail carries the same audit log, and the NPA request and answer.
    const byCall = (await (await fetch(url(`/admin/api/calls/${callSid}`), { headers: { authorization: `Bearer ${token}` } })).json()) as {
      audit: Array<{ action: string }>;
      lead: { npa: { answer: { kind: string } } };
    };
    expect(byCall.audit.map((a) => a.action)).toEqual(['lead.retry', 'lead.retry']);
    expect(byCall.lead.npa.answer.kind).toBe('accepted');
  });

  it('signs out: the session is gone and the cookie cleared', async () => {
    const { cookie, csrf } = await signIn('alice');
    const out = await fetch(url(ADMIN_ROUTES.logout), json({}, { cookie, 'x-csrf-token': csrf }));
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/psb_session=;.*Max-Age=0/);
    expect((await fetch(url(ADMIN_ROUTES.calls), { headers: { cookie } })).status).toBe(401);
    const actions = (await lab.app.repos.audit.recent({ limit: 50 })).map((a) => a.action);
    expect(actions).toContain('operator.logout');
    expect(actions).toContain('operator.login');
  });

  it('streams live calls over the socket to a signed-in operator only, with the fields captured', async () => {
    expect(await openSocket({})).toEqual({ status: 401 });
    const { cookie } = await signIn('alice');
    expect(await openSocket({ cookie, origin: 'https://evil.example' })).toEqual({ status: 403 });
    const opened = await openSocket({ cookie, origin: lab.app.url });
    if (!('socket' in opened)) throw new Error(`socket refused: ${opened.status}`);
    const { socket, messages } = opened;
    const callSid = nextSid();
    await placeScriptedCall(lab, { ...DEMO_CALLS[0]!, callSid });
    const final = () => messages.some((m) => (m['call'] as { callSid?: string; state?: string } | undefined)?.callSid === callSid && (m['call'] as { state?: string }).state === 'saved-success');
    for (let i = 0; i < 200 && !final(); i++) await new Promise((r) => setTimeout(r, 50));
    socket.close();
    expect(messages[0]).toMatchObject({ type: 'calls', calls: expect.any(Array) });
    const updates = messages.filter((m) => m['type'] === 'call').map((m) => m['call'] as { callSid: string; state: string; captured: Record<string, { value: unknown }> });
    const ours = updates.filter((c) => c.callSid === callSid);
    // On failure, what the socket did say (message types, calls and states; no personal data).
    const heard = JSON.stringify(messages.map((m) => [m['type'], (m['call'] as { callSid?: string } | undefined)?.callSid, (m['call'] as { state?: string } | undefined)?.state]));
    const closes = JSON.stringify(logs.entries().filter((e) => e['event'] === 'live_socket_closed'));
    expect(ours.at(-1)?.state, `${heard} ${closes}`).toBe('saved-success');
    expect(ours.at(-1)?.captured['zip_code']?.value).toBeTruthy();
  });

  it('shows the calls other live instances are running, from their session rows, in the list and on the socket', async () => {
    await lab.app.repos.instances.register('instance-b');
    const callSid = 'CAelsewhereapi0000000000000000001';
    await lab.app.repos.sessions.open({
      channel: 'voice',
      sessionKey: callSid,
      state: { phase: 'streaming', callSid, instanceId: 'instance-b', leadId: randomUUID(), timings: { streaming: new Date().toISOString() } },
    });
    const { cookie } = await signIn('alice');
    const listed = (await (await fetch(url(ADMIN_ROUTES.live), { headers: { cookie } })).json()) as { calls: Array<{ callSid: string; instanceId: string; state: string }> };
    expect(listed.calls).toContainEqual(expect.objectContaining({ callSid, instanceId: 'instance-b', state: 'streaming' }));
    const opened = await openSocket({ cookie });
    if (!('socket' in opened)) throw new Error(`socket refused: ${opened.status}`);
    for (let i = 0; i < 100 && !opened.messages.some((m) => m['type'] === 'elsewhere'); i++) await new Promise((r) => setTimeout(r, 20));
    opened.socket.close();
    const elsewhere = opened.messages.find((m) => m['type'] === 'elsewhere') as { calls: Array<{ callSid: string }> } | undefined;
    expect(elsewhere?.calls.map((c) => c.callSid)).toContain(callSid);
    // Once that instance stops, its calls are no longer live anywhere.
    await lab.app.repos.instances.stop('instance-b');
    const after = (await (await fetch(url(ADMIN_ROUTES.live), { headers: { cookie } })).json()) as { calls: Array<{ callSid: string }> };
    expect(after.calls.map((c) => c.callSid)).not.toContain(callSid);
  });

  it('writes no password, session secret or token into the logs', async () => {
    const text = logs.text();
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain('psb_session=');
    expect(text).not.toMatch(/psb_[A-Za-z0-9_-]{20,}/);
  });
});

describe('the sign-in limit per address, behind a trusted proxy', () => {
  it('counts the address the proxy saw: twenty failures lock that address out, not another one', async () => {
    const proxied = await startVoiceLab({ env: { ...database.env, TRUST_PROXY_HOPS: '1' }, logger: database.logger, overrides: { db: database.db } });
    try {
      const login = (from: string, name: string, password: string) =>
        fetch(`${proxied.app.url}${ADMIN_ROUTES.login}`, json({ name, password }, { 'x-forwarded-for': from }));
      // Twenty wrong guesses, each at another name (no account's own limit is reached), from one address.
      for (let i = 0; i < 20; i++) expect((await login('198.51.100.1', `guess-${i}`, 'wrong wrong wrong')).status).toBe(401);
      expect((await login('198.51.100.1', 'alice', PASSWORD)).status).toBe(429);
      // Another address (a client's forged entry before the proxy's is not believed) signs in.
      expect((await login('198.51.100.1, 198.51.100.2', 'alice', PASSWORD)).status).toBe(200);
    } finally {
      await proxied.close();
    }
  });
});

describe('the console behind https', () => {
  it('marks the session cookie Secure when PUBLIC_URL is https', async () => {
    const https = await startVoiceLab({ env: { ...database.env, PUBLIC_URL: 'https://voice.example.com', ADMIN_TOKEN }, logger: database.logger, overrides: { db: database.db } });
    try {
      const response = await fetch(`${https.app.url}${ADMIN_ROUTES.login}`, json({ name: 'alice', password: PASSWORD }));
      expect(response.status).toBe(200);
      expect(response.headers.get('set-cookie')).toMatch(/; Secure/);
      // ADMIN_TOKEN is a principal of its own in the audit log.
      const me = await fetch(`${https.app.url}${ADMIN_ROUTES.me}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(await me.json()).toMatchObject({ operator: 'ADMIN_TOKEN', kind: 'env' });
    } finally {
      await https.close();
    }
  });
});

import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeScriptedCall, startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import { scriptFromTranscript } from '../../src/fakes/fakeOpenAI.js';
import { DEMO_CALLS } from '../../src/demo/demoCalls.js';
import { conversationFromChatRequest } from '../../src/fakes/fakeOpenAI.js';
import { extractOffline } from '../../src/extraction/offline/extractOffline.js';
import { readVoiceState } from '../../src/db/entities/sessionState.js';
import { launchChromium, screenshot } from '../support/browser.js';
import { sampleConversation } from '../support/sharedTranscripts.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { TWO_NUMBERS_CALL } from '../support/twoNumbersCall.js';

/**
 * The operations console in a real browser (Debian's Chromium driven by playwright-core) against the real server,
 * its database and the fakes of OpenAI and the NPA API: sign-in, the live view and its drawing, a retry, a review
 * approval, the recording player, and the refusals (wrong password, an action without its CSRF token).
 */
const OPERATOR = 'ops-anna';
const PASSWORD = 'correct horse battery';

let database: TestDatabase;
let lab: VoiceLab;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let callCount = 0;
/** What the page threw or logged as an error: a console with a script error fails its test. */
const pageErrors: string[] = [];
// The page's globals, for the functions playwright runs in it (the test's own types are Node's).
declare const document: any;
declare const window: any;
const nextSid = () => `CAbrowser${String(++callCount).padStart(25, '0')}`;

beforeAll(async () => {
  database = await createTestDatabase();
  lab = await startVoiceLab({ env: { ...database.env, REVIEW_POLICY: 'hold' }, logger: database.logger, overrides: { db: database.db } });
  await lab.app.operators.addOperator(OPERATOR, PASSWORD);
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    // A refused request (the wrong password's 401) is logged by the browser itself; script errors are not that.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text());
  });
  await signIn(page);
  await page.getByRole('navigation', { name: 'Sections' }).waitFor();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await lab?.close();
  await database?.close();
});

async function signIn(target: Page, password = PASSWORD): Promise<void> {
  await target.goto(`${lab.app.url}/admin`);
  await target.getByLabel('Operator name').fill(OPERATOR);
  await target.getByLabel('Password').fill(password);
  await target.getByRole('button', { name: 'Sign in' }).click();
}

describe('the operations console in a browser', () => {
  it('refuses a wrong password, and says so', async () => {
    const other = await context.browser()!.newContext();
    const tab = await other.newPage();
    await signIn(tab, 'not the password at all');
    await expect.poll(() => tab.getByRole('alert').textContent()).toContain('wrong name or password');
    await expect(tab.getByRole('navigation', { name: 'Sections' }).count()).resolves.toBe(0);
    await other.close();
  });

  it('shows a call live, its state moving to saved-success on the drawing', async () => {
    await page.goto(`${lab.app.url}/admin#/live`);
    await page.locator('svg.statechart').waitFor();
    // Every state the page shows for the call, as it changes.
    await page.evaluate(() => {
      const seen: string[] = (window.seenStates = []);
      new window.MutationObserver(() => {
        for (const node of document.querySelectorAll('svg.statechart [data-current="true"]')) {
          const id = node.getAttribute('data-state') ?? '';
          if (seen.at(-1) !== id) seen.push(id);
        }
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    const callSid = nextSid();
    // The demo's first call: the agent records each confirmed field live.
    const demo = DEMO_CALLS[0]!;
    const placed = placeScriptedCall(lab, { ...demo, callSid });
    const row = page.locator(`tr[data-call="${callSid}"]`);
    await row.waitFor({ timeout: 20_000 });
    const { output } = await placed;
    expect(output.outcome).toBe('succeeded');
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 10_000 }).toBe('saved-success');
    await page.locator('svg.statechart [data-state="saved-success"][data-current="true"]').waitFor({ timeout: 10_000 });
    const seen = (await page.evaluate(() => window.seenStates)) as string[];
    expect(seen.at(-1)).toBe('saved-success');
    // The path so far is traced: the states the call went through are marked visited on the drawing.
    const visited = await page.locator('svg.statechart [data-visited="true"]').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-state')));
    expect(visited).toEqual(expect.arrayContaining(['connecting', 'extracting', 'saved-success']));
    // The fields the agent recorded, values shown to the signed-in operator.
    const captured = readVoiceState((await lab.app.repos.sessions.getByKey(callSid))?.state).captured ?? {};
    expect(captured.zip_code?.value).toBeTruthy();
    await expect(row.textContent()).resolves.toContain(String(captured.zip_code?.value));
    await screenshot(page, 'live-view');
    // Ended, the call is replayed from its session's record: from its first phase to its last.
    await page.getByText("This call has ended: replayed from its session's record.").waitFor();
    await page.getByRole('button', { name: 'Replay the call' }).click();
    await expect.poll(() => page.getByTestId('replay-step').textContent()).toMatch(/^1 of \d+: connecting/);
    await expect.poll(() => page.getByTestId('replay-step').textContent(), { timeout: 10_000 }).toMatch(/^(\d+) of \1: saved-success/);
  }, 60_000);

  it('plays the call recording from the call detail and seeks by clicking a turn', async () => {
    // In real time (both sides), so the recording holds the seconds the call lasted.
    const callSid = nextSid();
    lab.openai.setRealTime(true);
    const { output } = await placeScriptedCall(lab, {
      callSid,
      from: '+14045550111',
      realTime: true,
      script: [
        { agent: 'Thanks for calling Power Sport Buyers! May I have your full name, please?' },
        { caller: 'Mark Lee.', afterAudioMs: 400 },
        { agent: 'Thanks, Mark Lee. A buyer will call you back shortly. Goodbye!' },
        { endCall: true },
      ],
    }).finally(() => lab.openai.setRealTime(false));
    const session = await lab.app.repos.sessions.getByKey(callSid);
    await page.goto(`${lab.app.url}/admin#/calls/${session?.id}`);
    const audio = page.locator('audio[data-testid="recording"]');
    await audio.waitFor();
    // canplay: the browser has fetched and decoded enough of the WAV to play it.
    await page.waitForFunction(() => (document.querySelector('audio[data-testid="recording"]')?.readyState ?? 0) >= 3);
    const turn = page.locator('button.turn').last();
    const startMs = Number(await turn.getAttribute('data-start'));
    expect(startMs).toBeGreaterThan(0);
    await page.evaluate(() => {
      window.seeked = false;
      document.querySelector('audio[data-testid="recording"]').addEventListener('seeked', () => (window.seeked = true));
    });
    await turn.click();
    await page.waitForFunction(() => window.seeked === true);
    const position = (await page.evaluate(() => document.querySelector('audio[data-testid="recording"]').currentTime)) as number;
    expect(position).toBeGreaterThanOrEqual(startMs / 1000 - 0.05);
    expect(output.leadId).toBeTruthy();
    await screenshot(page, 'call-detail');
    // Playing it is in the audit log.
    const audit = await lab.app.repos.audit.recent({ limit: 20 });
    expect(audit.map((a: { action: string }) => a.action)).toContain('recording.play');
  }, 60_000);

  it('retries a failed lead from the page: it moves to succeeded', async () => {
    // The NPA API refuses it (a 4xx is not retried): a failed lead, kept for a person to retry.
    lab.npa.failNext(1, 422);
    const callSid = nextSid();
    const sample = sampleConversation('public-03.json');
    const { output } = await placeScriptedCall(lab, { callSid, from: sample.callerPhone ?? '', script: scriptFromTranscript(sample) });
    expect(output.outcome).toBe('failed');
    for (let i = 0; i < 100 && (await lab.app.repos.failed.get(output.leadId)) === null; i++) await new Promise((r) => setTimeout(r, 100));
    await page.goto(`${lab.app.url}/admin#/failed`);
    const row = page.locator(`tr[data-lead="${output.leadId}"]`);
    await page.getByRole('heading', { name: 'Failed leads' }).waitFor();
    await row.getByRole('button', { name: 'Retry', exact: true }).click();
    await expect.poll(() => page.getByTestId('failed-notice').textContent(), { timeout: 15_000 }).toContain(`${output.leadId}: sent`);
    // Resolved, it leaves the list of unresolved failed leads.
    await expect.poll(() => row.count()).toBe(0);
    expect(await lab.app.repos.succeeded.get(output.leadId)).not.toBeNull();
    expect((await lab.app.repos.failed.get(output.leadId))?.resolvedAt).not.toBeNull();
    expect(lab.npa.accepted.has(output.leadId)).toBe(true);
    const audit = await lab.app.repos.audit.forLead(output.leadId);
    expect(audit).toContainEqual(expect.objectContaining({ operator: OPERATOR, action: 'lead.retry' }));
  }, 60_000);

  it('approves a lead in review from the page: it reaches the NPA API once', async () => {
    // The caller says two numbers; the LLM takes the old one (it was said, so it is not dropped as unsupported)
    // and the offline reader the new one: the witnesses disagree on the phone.
    lab.openai.setChatResponder((body) => {
      const conversation = conversationFromChatRequest(body);
      if (!conversation) throw new Error('no transcript');
      const lead = extractOffline(conversation).lead;
      return { ...lead, vehicle_year: lead.vehicle_year === null ? null : String(lead.vehicle_year), phone: '+14045550199' };
    });
    const callSid = nextSid();
    const { output } = await placeScriptedCall(lab, { callSid, from: '+14045550100', script: scriptFromTranscript({ turns: TWO_NUMBERS_CALL }) });
    expect(output.outcome).toBe('review');
    await page.goto(`${lab.app.url}/admin#/review`);
    await expect.poll(() => page.getByTestId('review-size').textContent()).toBe('1');
    const item = page.locator(`article[data-lead="${output.leadId}"]`);
    // The number the caller gave as theirs (the offline reader's), over the old one the LLM took.
    await item.getByRole('group', { name: 'phone' }).getByRole('radio', { name: /\+14045550141/ }).check({ timeout: 10_000 });
    await screenshot(page, 'review');
    await item.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => page.getByTestId('review-notice').textContent(), { timeout: 15_000 }).toContain(`${output.leadId}: approved`);
    await expect.poll(() => lab.npa.requests.filter((r) => r.headers['idempotency-key'] === output.leadId).length, { timeout: 15_000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(lab.npa.requests.filter((r) => r.headers['idempotency-key'] === output.leadId)).toHaveLength(1);
    expect(await lab.app.repos.succeeded.get(output.leadId)).not.toBeNull();
    expect(lab.npa.requests.find((r) => r.headers['idempotency-key'] === output.leadId)?.body).toMatchObject({ phone: '+14045550141' });
    const audit = await lab.app.repos.audit.forLead(output.leadId);
    expect(audit).toContainEqual(expect.objectContaining({ operator: OPERATOR, action: 'review.edit', detail: expect.objectContaining({ set: { phone: '+14045550141' } }) }));
    await expect.poll(() => page.getByTestId('review-size').textContent()).toBe('0');
  }, 60_000);

  it('finds a call by the caller\'s name on the Calls page, and draws the quality charts', async () => {
    await page.goto(`${lab.app.url}/admin#/calls`);
    await page.getByRole('searchbox', { name: 'Phone or name' }).fill('john carter');
    await page.getByRole('button', { name: 'Search' }).click();
    const rows = page.getByTestId('calls').locator('tbody tr');
    const texts = () => rows.evaluateAll((trs) => trs.map((tr) => tr.textContent ?? ''));
    // The answer replaces the unfiltered list: every row is his, and there is at least one.
    await expect.poll(async () => {
      const all = await texts();
      return all.length > 0 && all.every((text) => /John Carter/.test(text));
    }).toBe(true);
    expect((await texts()).length).toBeLessThan(await page.evaluate(async () => ((await (await fetch('/admin/api/calls')).json()) as { total: number }).total));
    // The outcome filter: every call whose lead failed (the short call of the recording test is one), and no other.
    await page.getByRole('searchbox', { name: 'Phone or name' }).fill('');
    await page.getByLabel('Outcome').selectOption('failed');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(async () => {
      const all = await texts();
      return all.length > 0 && all.every((t) => /failed/.test(t)) && !all.some((t) => /John Carter/.test(t));
    }).toBe(true);

    await page.goto(`${lab.app.url}/admin#/quality`);
    await page.getByRole('img', { name: 'Calls per hour, by outcome' }).waitFor();
    await expect(page.getByRole('img', { name: 'Calls per hour, by outcome' }).locator('rect').count()).resolves.toBeGreaterThan(0);
    await expect(page.getByTestId('review-rate').textContent()).resolves.toMatch(/Review rate: [\d.]+ %/);
    await screenshot(page, 'quality');
  }, 60_000);

  it('refuses an action without its CSRF token, and one with another token', async () => {
    const id = randomUUID();
    const status = (headers: Record<string, string>) =>
      page.evaluate(
        async ({ path, headers: h }) => (await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', ...h }, body: JSON.stringify({ note: 'x' }) })).status,
        { path: `/admin/api/failed/${id}/resolve`, headers },
      );
    expect(await status({})).toBe(403);
    expect(await status({ 'x-csrf-token': 'not-the-token' })).toBe(403);
    // With the page's own token the same request gets through to the rules (an unknown lead: 404).
    const token = await page.evaluate(async () => ((await (await fetch('/admin/api/me')).json()) as { csrfToken: string }).csrfToken);
    expect(await status({ 'x-csrf-token': token })).toBe(404);
  });

  it('ran without a script error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});

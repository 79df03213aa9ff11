import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeScriptedCall, startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import { DEMO_CALLS } from '../../src/demo/demoCalls.js';
import { launchChromium } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

/**
 * The console for people who use a keyboard or a screen reader: axe-core's WCAG 2 A/AA rules on every page (with
 * data on it), and the keyboard path from the skip link through the navigation.
 */
const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const PASSWORD = 'accessible password 1';

// The page's globals, for the functions playwright runs in it.
declare const window: any;
declare const document: any;

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

let database: TestDatabase;
let lab: VoiceLab;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  database = await createTestDatabase();
  lab = await startVoiceLab({ env: database.env, logger: database.logger, overrides: { db: database.db } });
  await lab.app.operators.addOperator('ada', PASSWORD);
  // Data on every page: a succeeded call, and a failed one.
  await placeScriptedCall(lab, { ...DEMO_CALLS[0]!, callSid: 'CAa11y00000000000000000000000000001' });
  lab.npa.failNext(1, 422);
  await placeScriptedCall(lab, { ...DEMO_CALLS[0]!, callSid: 'CAa11y00000000000000000000000000002' });
  browser = await launchChromium();
  // Only so that axe's script can be injected: the console's own CSP allows no inline script.
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await lab?.close();
  await database?.close();
});

/** axe's serious and critical WCAG 2 A/AA violations on the page as it is now. */
async function violations(target: Page): Promise<string[]> {
  await target.addScriptTag({ path: AXE_PATH });
  const found = (await target.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
    return result.violations;
  })) as Violation[];
  return found
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

describe('the console, for keyboard and screen-reader users', () => {
  it('the sign-in page passes axe and signs in from the keyboard alone', async () => {
    await page.goto(`${lab.app.url}/admin`);
    await page.getByLabel('Operator name').waitFor();
    expect(await violations(page)).toEqual([]);
    // The name field has focus; type, tab to the password, type, Enter.
    await page.keyboard.type('ada');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Sections' }).waitFor();
  });

  it.each([
    ['live calls', '#/live', 'Live calls'],
    ['calls', '#/calls', 'Calls'],
    ['a call', '#/calls/CAa11y00000000000000000000000000001', 'Call CAa11y00000000000000000000000000001'],
    ['failed leads', '#/failed', 'Failed leads'],
    ['review', '#/review', 'Review queue'],
    ['quality', '#/quality', 'Quality'],
  ])('the %s page passes axe (WCAG 2 A and AA, serious and critical)', async (_, hash, heading) => {
    await page.goto(`${lab.app.url}/admin${hash}`);
    await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor();
    // Let the page's data arrive (its tables or its "none" line).
    await page.waitForLoadState('networkidle');
    expect(await violations(page)).toEqual([]);
  });

  it('the keyboard reaches the skip link first, then the sections; Enter opens one', async () => {
    // A fresh load: the focus starts at the top of the document.
    await page.goto('about:blank');
    await page.goto(`${lab.app.url}/admin#/live`);
    await page.getByRole('heading', { level: 1, name: 'Live calls', exact: true }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to the content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.goto(`${lab.app.url}/admin#/live`);
    await page.getByRole('heading', { level: 1, name: 'Live calls', exact: true }).waitFor();
    // Brand, then the sections in order.
    await page.getByRole('link', { name: 'Live calls' }).focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Calls');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Calls', exact: true }).waitFor();
    expect(await page.getByRole('link', { name: 'Calls', exact: true }).getAttribute('aria-current')).toBe('page');
  });
});

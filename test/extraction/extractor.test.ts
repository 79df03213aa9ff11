import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { ExtractionError } from '../../src/errors.js';
import { chatResponderFromExtractor, startFakeOpenAI, type FakeOpenAI } from '../../src/fakes/fakeOpenAI.js';
import { createLogger } from '../../src/log.js';
import { NO_CALLER_TURN, createExtractor } from '../../src/extraction/extractor.js';
import type { Conversation, Lead } from '../../src/leads/lead.js';
import { extractOffline } from '../../src/extraction/offline/extractOffline.js';
import { sampleFile } from '../support/sharedTranscripts.js';

const KEY = 'sk-test-combined';
const logger = createLogger('silent');
const call = sampleFile('public-01.json') as Conversation;

let fake: FakeOpenAI;

/** The lead as the model would write it (raw strings) from a normalized one. */
const raw = (lead: Lead): Record<string, string | null> => ({
  ...lead,
  vehicle_year: lead.vehicle_year === null ? null : String(lead.vehicle_year),
});

function config(timeoutMs = 5000) {
  return parseConfig({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: fake.httpUrl, EXTRACTION_TIMEOUT_MS: String(timeoutMs) });
}

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: KEY });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.chatMode('ok');
  // The fake model reads what it was sent with the offline extractor, as the demo does.
  fake.setChatResponder(chatResponderFromExtractor(extractOffline));
});

describe('createExtractor', () => {
  it('without OPENAI_API_KEY uses only the offline extractor and calls nobody', async () => {
    const before = fake.chatRequests.length;
    const combined = await createExtractor(parseConfig({ OPENAI_BASE_URL: fake.httpUrl }), { logger }).extract(call);
    expect(combined.source).toBe('offline');
    expect(combined.result).toEqual(extractOffline(call));
    expect(combined.offline).toEqual(combined.result);
    expect(combined.llmError).toBeUndefined();
    expect(combined.disagreements).toEqual([]);
    expect(fake.chatRequests.length).toBe(before);
  });

  it('with a key, submits the LLM result (client built from config) and finds no disagreement when both agree', async () => {
    const before = fake.chatRequests.length;
    const combined = await createExtractor(config(), { logger }).extract(call);
    expect(fake.chatRequests.length).toBe(before + 1);
    expect(combined.source).toBe('llm');
    expect(combined.llmError).toBeUndefined();
    expect(combined.result.lead).toEqual(extractOffline(call).lead);
    expect(combined.disagreements).toEqual([]);
  });

  it('records the fields on which the LLM and the offline extractor disagree; what the caller never said is not taken', async () => {
    const offline = extractOffline(call).lead;
    fake.setChatResponder(() => ({ ...raw(offline), vehicle_model: 'Road Glide', zip_code: '30094' }));
    const combined = await createExtractor(config(), { logger }).extract(call);
    expect(combined.source).toBe('llm');
    // Neither "Road Glide" nor 30094 was said: the offline reading's values (from the caller's words) stand in.
    expect(combined.result.lead).toEqual(offline);
    expect(combined.result.complete).toBe(true);
    expect(combined.offline.lead).toEqual(offline);
    expect(combined.disagreements).toEqual([
      { field: 'zip_code', llm: '30094', offline: offline.zip_code },
      { field: 'vehicle_model', llm: 'Road Glide', offline: offline.vehicle_model },
    ]);
  });

  it('keeps an LLM value the caller did say, where the offline reader missed it', async () => {
    const offline = extractOffline(call).lead;
    const said = { ...call, turns: [...call.turns, { role: 'user' as const, text: 'Oh and it is really a Road Glide, sorry.' }] };
    fake.setChatResponder(() => ({ ...raw(offline), vehicle_model: 'Road Glide' }));
    const combined = await createExtractor(config(), { logger }).extract(said);
    expect(combined.result.lead.vehicle_model).toBe('Road Glide');
  });

  it('asks the LLM again about a disputed field, but not when told reask: false', async () => {
    const offline = extractOffline(call).lead;
    // "Carder" is one slip from "Carter": supported by what the caller said, yet not the same name.
    fake.setChatResponder(() => ({ ...raw(offline), full_name: 'John Carder' }));
    const extractor = createExtractor(config(), { logger });

    const before = fake.chatRequests.length;
    const once = await extractor.extract(call, { reask: false });
    expect(fake.chatRequests.length).toBe(before + 1);
    expect(once.decision?.reasked).toBe(false);
    expect(once.decision?.disputed).toEqual(['full_name']);

    const twice = await extractor.extract(call);
    expect(fake.chatRequests.length).toBe(before + 3);
    expect(twice.decision?.reasked).toBe(true);
  });

  it('does not ask the LLM about a conversation with no caller turn, whatever it would answer', async () => {
    const requestsBefore = fake.chatRequests.length;
    fake.setChatResponder(() => raw(extractOffline(call).lead));
    const silent = { callerPhone: call.callerPhone, turns: call.turns.filter((t) => t.role === 'assistant') };
    const combined = await createExtractor(config(), { logger }).extract(silent);
    expect(fake.chatRequests.length).toBe(requestsBefore);
    expect(combined).toMatchObject({ source: 'offline', llmError: NO_CALLER_TURN });
    expect(combined.result.complete).toBe(false);
    expect(combined.result.missing).toEqual(['full_name', 'zip_code', 'phone', 'vehicle_year', 'vehicle_make', 'vehicle_model']);
  });

  // The 500 case leaves room for the client's one retry and its backoff; the timeout case has a short deadline.
  it.each([
    ['http-500', 5000, 'extraction failed: OpenAI 500'],
    ['malformed-json', 5000, 'extraction failed: malformed model output'],
    ['timeout', 300, 'extraction failed: timeout after 225 ms'],
  ] as const)('falls back to offline when the LLM fails (%s)', async (mode, timeoutMs, reason) => {
    fake.chatMode(mode);
    const combined = await createExtractor(config(timeoutMs), { logger }).extract(call);
    expect(combined.source).toBe('offline');
    expect(combined.result).toEqual(extractOffline(call));
    expect(combined.llmError).toBe(reason);
    expect(combined.disagreements).toEqual([]);
  });

  it('falls back when no server answers at all', async () => {
    const unreachable = parseConfig({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
    const combined = await createExtractor(unreachable, { logger }).extract(call);
    expect(combined).toMatchObject({ source: 'offline', llmError: 'extraction failed: OpenAI unreachable' });
  });

  it('throws when its caller aborts, rather than passing off the offline result', async () => {
    fake.chatMode('timeout');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(createExtractor(config(), { logger }).extract(call, { signal: controller.signal })).rejects.toBeInstanceOf(
      ExtractionError,
    );
  });

  it('uses an injected client, and null means offline only even with a key', async () => {
    const before = fake.chatRequests.length;
    const combined = await createExtractor(config(), { logger, client: null }).extract(call);
    expect(combined.source).toBe('offline');
    expect(fake.chatRequests.length).toBe(before);
  });
});

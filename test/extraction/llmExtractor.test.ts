import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { ExtractionError } from '../../src/errors.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../src/fakes/fakeOpenAI.js';
import { createLogger } from '../../src/log.js';
import type { Conversation } from '../../src/leads/lead.js';
import {
  createLlmExtractor,
  formatConversationForModel,
  parseConversationFromModelInput,
} from '../../src/extraction/llmExtractor.js';
import { createOpenAIClient } from '../../src/extraction/openaiClient.js';
import { sampleFile } from '../support/sharedTranscripts.js';

const KEY = 'sk-test-llm';
const logger = createLogger('silent');
const call = sampleFile('public-01.json') as Conversation;

let fake: FakeOpenAI;

function extractor(timeoutMs = 5000, key = KEY, baseUrl = fake.httpUrl) {
  const config = parseConfig({ OPENAI_API_KEY: key, OPENAI_BASE_URL: baseUrl, EXTRACTION_TIMEOUT_MS: String(timeoutMs) });
  const client = createOpenAIClient(config);
  if (!client) throw new Error('expected a client');
  return createLlmExtractor({ client, model: 'gpt-4o-mini', timeoutMs, logger });
}

async function failure(promise: Promise<unknown>): Promise<ExtractionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExtractionError);
  return error as ExtractionError;
}

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: KEY });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.chatMode('ok');
  fake.setChatResponder(() => ({
    full_name: 'john carter',
    zip_code: '30093',
    phone: '404-555-0111',
    vehicle_year: 'twenty nineteen',
    vehicle_make: 'harley davidson',
    vehicle_model: 'Street Glide',
  }));
});

describe('createOpenAIClient', () => {
  it('is null without an API key', () => {
    expect(createOpenAIClient(parseConfig({}))).toBeNull();
  });
});

describe('LLM extractor against the fake Chat Completions server', () => {
  it('sends a strict JSON schema at temperature 0 and normalizes the answer', async () => {
    const before = fake.chatRequests.length;
    const result = await extractor().extract(call);
    expect(result.lead).toEqual({
      full_name: 'John Carter',
      zip_code: '30093',
      phone: '+14045550111',
      vehicle_year: 2019,
      vehicle_make: 'Harley-Davidson',
      vehicle_model: 'Street Glide',
    });
    expect(result.complete).toBe(true);
    const request = fake.chatRequests[before];
    expect(request).toMatchObject({ model: 'gpt-4o-mini', temperature: 0 });
    expect(request?.authorization).toBe(`Bearer ${KEY}`);
    const format = request?.response_format as {
      type: string;
      json_schema: { name: string; strict: boolean; schema: { properties: Record<string, { type: unknown }>; required: string[] } };
    };
    expect(format.type).toBe('json_schema');
    expect(format.json_schema).toMatchObject({ name: 'lead', strict: true });
    expect(format.json_schema.schema.properties.zip_code?.type).toEqual(['string', 'null']);
    expect(format.json_schema.schema.required).toHaveLength(6);
    const messages = request?.messages as Array<{ role: string; content: string }>;
    expect(messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(messages[1]?.content).toContain('Caller ID: +14045550111');
    expect(messages[1]?.content).toContain('CALLER: It\'s a 2019 Harley-Davidson Street Glide.');
  });

  it('turns CALLER_ID into the caller ID and reports an Alaska ZIP as an error', async () => {
    fake.setChatResponder(() => ({
      full_name: 'Ann Lee',
      zip_code: '99501',
      phone: 'CALLER_ID',
      vehicle_year: '2020',
      vehicle_make: 'Honda',
      vehicle_model: 'Rebel 500',
    }));
    const result = await extractor().extract({ callerPhone: '+19075550100', turns: [] });
    expect(result.lead.phone).toBe('+19075550100');
    expect(result.errors).toContain('zip_code');
    expect(result.complete).toBe(false);
  });

  it('HTTP 500 (after its one retry) is an ExtractionError naming the status', async () => {
    fake.chatMode('http-500');
    const before = fake.chatRequests.length;
    const error = await failure(extractor().extract(call));
    expect(error.message).toBe('extraction failed: OpenAI 500');
    expect(fake.chatRequests.length - before).toBe(2);
  });

  it('a server that never answers times out at the deadline', async () => {
    fake.chatMode('timeout');
    const startedAt = Date.now();
    const error = await failure(extractor(300).extract(call));
    expect(error.message).toBe('extraction failed: timeout after 300 ms');
    expect(Date.now() - startedAt).toBeLessThan(2000);
  });

  it('malformed JSON, a schema violation and a refusal are each readable failures', async () => {
    fake.chatMode('malformed-json');
    expect((await failure(extractor().extract(call))).message).toBe('extraction failed: malformed model output');
    fake.chatMode('schema-violation');
    expect((await failure(extractor().extract(call))).message).toBe(
      'extraction failed: model output does not match the lead schema',
    );
    fake.chatMode('refusal');
    expect((await failure(extractor().extract(call))).message).toBe('extraction failed: model refused');
  });

  it('a wrong key, an unreachable server and an abort are failures too', async () => {
    expect((await failure(extractor(5000, 'sk-wrong').extract(call))).message).toBe('extraction failed: OpenAI 401');
    expect((await failure(extractor(5000, KEY, 'http://127.0.0.1:9/v1').extract(call))).message).toBe(
      'extraction failed: OpenAI unreachable',
    );
    fake.chatMode('timeout');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect((await failure(extractor().extract(call, controller.signal))).message).toBe('extraction failed: aborted');
  });
});

describe('the transcript as the model reads it', () => {
  it('round-trips through the user message', () => {
    const conversation: Conversation = {
      callerPhone: '+14045550111',
      turns: [
        { role: 'assistant', text: 'Name?' },
        { role: 'user', text: 'John\nCarter' },
      ],
    };
    expect(parseConversationFromModelInput(formatConversationForModel(conversation))).toEqual({
      callerPhone: '+14045550111',
      turns: [
        { role: 'assistant', text: 'Name?' },
        { role: 'user', text: 'John Carter' },
      ],
    });
    expect(parseConversationFromModelInput(formatConversationForModel({ turns: [] })).callerPhone).toBeNull();
  });
});

import { connect as netConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import {
  MULAW_BYTES_PER_MS,
  linearToMulaw,
  mulawToLinear,
  scriptFromTranscript,
  scriptWithCapture,
  startFakeOpenAI,
  type FakeOpenAI,
  type FakeOpenAIOptions,
} from '../../src/fakes/fakeOpenAI.js';
import { sampleFile } from '../support/sharedTranscripts.js';

const KEY = 'sk-test-fake';
type Event = { type: string; [key: string]: unknown };

/** A plain `ws` client that keeps every server event and can wait for one. */
class Client {
  readonly events: Event[] = [];
  private waiters: Array<() => void> = [];
  closeCode: number | null = null;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.events.push(JSON.parse(data.toString()) as Event);
      for (const w of [...this.waiters]) w();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      for (const w of [...this.waiters]) w();
    });
  }
  send(event: Event): void {
    this.ws.send(JSON.stringify(event));
  }
  /** Caller audio: `ms` of mu-law silence, as the relay would append it. */
  audio(ms: number): void {
    this.send({ type: 'input_audio_buffer.append', audio: Buffer.alloc(ms * MULAW_BYTES_PER_MS, 0xff).toString('base64') });
  }
  of(type: string): Event[] {
    return this.events.filter((e) => e.type === type);
  }
  types(): string[] {
    return this.events.map((e) => e.type);
  }
  waitFor(type: string, count = 1, timeoutMs = 5000): Promise<Event> {
    return this.until(() => this.of(type)[count - 1], `${count} x ${type}`, timeoutMs);
  }
  waitClosed(timeoutMs = 5000): Promise<number> {
    return this.until(() => this.closeCode ?? undefined, 'close', timeoutMs);
  }
  private until<T>(get: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const value = get();
        if (value === undefined) return;
        this.waiters = this.waiters.filter((w) => w !== check);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${this.types().join(',')}`)), timeoutMs);
      this.waiters.push(check);
      check();
    });
  }
}

let fake: FakeOpenAI | undefined;
const clients: WebSocket[] = [];

async function start(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  fake = await startFakeOpenAI({ apiKey: KEY, ...options });
  return fake;
}

function open(url: string, headers: Record<string, string> = { Authorization: `Bearer ${KEY}` }, extra = {}): Promise<Client> {
  const ws = new WebSocket(`${url}?model=gpt-realtime`, { headers, ...extra });
  clients.push(ws);
  const client = new Client(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

const sessionUpdate = {
  type: 'session.update',
  session: {
    type: 'realtime',
    audio: { input: { format: { type: 'audio/pcmu' } }, output: { format: { type: 'audio/pcmu' }, voice: 'marin' } },
  },
};

function audioBytes(client: Client, itemId?: unknown): number {
  return client
    .of('response.output_audio.delta')
    .filter((e) => itemId === undefined || e.item_id === itemId)
    .reduce((n, e) => n + Buffer.from(e.delta as string, 'base64').length, 0);
}

afterEach(async () => {
  for (const ws of clients.splice(0)) ws.terminate();
  await fake?.close();
  fake = undefined;
});

/** One 20 ms frame of caller audio: the fake takes no caller turn before any caller audio, as the real server. */
const CALLER_FRAME = { type: 'input_audio_buffer.append', audio: Buffer.alloc(160, 0xff).toString('base64') };

describe('fake OpenAI Realtime', () => {
  it('greets on response.create with audio sized to the text, and records the session', async () => {
    const f = await start();
    const client = await open(f.realtimeUrl);
    await client.waitFor('session.created');
    client.send(sessionUpdate);
    const updated = await client.waitFor('session.updated');
    expect((updated.session as { audio: { output: { voice: string } } }).audio.output.voice).toBe('marin');
    const conn = await f.waitForConnection();
    expect(conn.model).toBe('gpt-realtime');
    expect(conn.sessionUpdates).toEqual([sessionUpdate.session]);

    await new Promise((r) => setTimeout(r, 50));
    expect(client.of('response.created')).toHaveLength(0); // nothing before response.create

    client.send({ type: 'response.create' });
    const done = await client.waitFor('response.done');
    const text = 'Thanks for calling Power Sport Buyers! I can help you get an offer on your vehicle. May I have your full name, please?';
    const words = text.split(' ').length;
    expect(audioBytes(client)).toBe(words * 60 * MULAW_BYTES_PER_MS);
    expect(client.of('response.output_audio_transcript.delta').map((e) => e.delta).join('')).toBe(text);
    expect((await client.waitFor('response.output_audio_transcript.done')).transcript).toBe(text);
    const added = client.of('conversation.item.added')[0];
    expect(added?.previous_item_id).toBeNull();
    expect((done.response as { status: string }).status).toBe('completed');
    const order = client.types().filter((t) => t.startsWith('response.') && !t.includes('delta'));
    expect(order).toEqual([
      'response.created',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_audio.done',
      'response.output_audio_transcript.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.done',
    ]);
  });

  it('streams at real-time pace when asked, fast otherwise', async () => {
    const f = await start({ msPerWord: 50 });
    f.enqueueScript([{ agent: 'one two three four five six seven eight' }]); // 400 ms of audio
    f.enqueueScript([{ agent: 'one two three four five six seven eight' }]);
    const timed = async (): Promise<number> => {
      const client = await open(f.realtimeUrl);
      client.send({ type: 'response.create' });
      await client.waitFor('response.created');
      const t0 = Date.now();
      await client.waitFor('response.done');
      expect(audioBytes(client)).toBe(400 * MULAW_BYTES_PER_MS);
      return Date.now() - t0;
    };
    expect(await timed()).toBeLessThan(200);
    f.setPacing({ realTime: true, chunkMs: 20 });
    expect(await timed()).toBeGreaterThanOrEqual(350);
  });

  it('produces decodable mu-law (round trip within quantization)', () => {
    for (const sample of [0, 100, -100, 1000, -5000, 20000, -32000]) {
      const back = mulawToLinear(linearToMulaw(sample));
      expect(Math.abs(back - sample)).toBeLessThanOrEqual(Math.max(8, Math.abs(sample) / 16));
    }
  });

  it('refuses a wrong key with 401, failed connections with 500, and can delay the upgrade', async () => {
    const f = await start();
    await expect(open(f.realtimeUrl, { Authorization: 'Bearer nope' })).rejects.toThrow('HTTP 401');
    f.failNextConnections(1);
    await expect(open(f.realtimeUrl)).rejects.toThrow('HTTP 500');
    const ok = await open(f.realtimeUrl);
    await ok.waitFor('session.created');
    expect(f.refusedUpgrades).toBe(2);
    expect(f.connections).toHaveLength(1);

    f.setConnectDelay(300);
    await expect(open(f.realtimeUrl, undefined, { handshakeTimeout: 100 })).rejects.toThrow(/timed out/i);
    await new Promise((r) => setTimeout(r, 400));
    expect(f.connections).toHaveLength(1); // the abandoned upgrade opened nothing
  });

  it('runs caller turns once enough caller audio arrived, chaining previous_item_id', async () => {
    const f = await start();
    f.enqueueScript([{ agent: 'May I have your full name?' }, { caller: 'John Carter.', afterAudioMs: 100 }, { agent: 'Thanks.' }]);
    const client = await open(f.realtimeUrl);
    client.send({ type: 'response.create' });
    await client.waitFor('response.done');
    client.audio(60);
    await new Promise((r) => setTimeout(r, 50));
    expect(client.of('input_audio_buffer.speech_started')).toHaveLength(0);
    client.audio(60);
    const started = await client.waitFor('input_audio_buffer.speech_started');
    const transcription = await client.waitFor('conversation.item.input_audio_transcription.completed');
    expect(transcription.transcript).toBe('John Carter.');
    expect(transcription.item_id).toBe(started.item_id);
    const agentItem = client.of('conversation.item.added')[0]?.item as { id: string };
    const committed = await client.waitFor('input_audio_buffer.committed');
    expect(committed.previous_item_id).toBe(agentItem.id);
    await client.waitFor('response.done', 2);
    const items = client.of('conversation.item.added');
    expect(items.map((e) => (e.item as { role: string }).role)).toEqual(['assistant', 'user', 'assistant']);
    expect(items[2]?.previous_item_id).toBe(started.item_id);
    const conn = await f.waitForConnection();
    expect(conn.callerAudioBytes).toBe(120 * MULAW_BYTES_PER_MS);
    expect(conn.eventsReceived.filter((t) => t === 'input_audio_buffer.append')).toHaveLength(2);
  });

  it('can deliver a transcription late, after the next agent response began', async () => {
    const f = await start();
    f.enqueueScript([{ agent: 'Name?' }, { caller: 'John.', transcriptDelayMs: 100 }, { agent: 'Thanks John.' }]);
    const client = await open(f.realtimeUrl);
    client.send(CALLER_FRAME);
    client.send({ type: 'response.create' });
    await client.waitFor('conversation.item.input_audio_transcription.completed');
    const types = client.types();
    expect(types.lastIndexOf('response.created')).toBeLessThan(types.indexOf('conversation.item.input_audio_transcription.completed'));
    expect(client.of('response.created')).toHaveLength(2);
  });

  it('takes no caller turn before any caller audio (the greeting can come before the stream)', async () => {
    const f = await start();
    f.enqueueScript([{ agent: 'Name?' }, { caller: 'John.' }]);
    const client = await open(f.realtimeUrl);
    client.send({ type: 'response.create' });
    await client.waitFor('response.done');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(client.of('conversation.item.input_audio_transcription.completed')).toHaveLength(0);
    client.send(CALLER_FRAME);
    const completed = await client.waitFor('conversation.item.input_audio_transcription.completed');
    expect(completed.transcript).toBe('John.');
  });

  it('reports a failed caller transcription', async () => {
    const f = await start();
    f.enqueueScript([{ agent: 'Name?' }, { callerTranscriptionFails: true }]);
    const client = await open(f.realtimeUrl);
    client.send(CALLER_FRAME);
    client.send({ type: 'response.create' });
    const failed = await client.waitFor('conversation.item.input_audio_transcription.failed');
    expect(failed.item_id).toBe(client.of('input_audio_buffer.committed')[0]?.item_id);
  });

  it('barge-in: speech_started mid-audio cancels the response; truncate is recorded and checked', async () => {
    const f = await start({ realTime: true, chunkMs: 20 });
    const longText = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen';
    f.enqueueScript([{ agent: longText }, { bargeIn: true, afterAgentAudioMs: 200 }, { caller: 'Wait, stop.' }]);
    const client = await open(f.realtimeUrl);
    client.send(CALLER_FRAME);
    client.send({ type: 'response.create' });
    const started = await client.waitFor('input_audio_buffer.speech_started');
    expect(client.of('response.done')).toHaveLength(0); // the agent was still talking
    const done = await client.waitFor('response.done');
    expect((done.response as { status: string }).status).toBe('cancelled');
    const agentItemId = (client.of('conversation.item.added')[0]?.item as { id: string }).id;
    const sent = audioBytes(client, agentItemId) / MULAW_BYTES_PER_MS;
    expect(sent).toBeGreaterThanOrEqual(200);
    expect(sent).toBeLessThan(15 * 60);
    const transcription = await client.waitFor('conversation.item.input_audio_transcription.completed');
    expect(transcription.item_id).toBe(started.item_id);
    expect(client.of('input_audio_buffer.speech_started')).toHaveLength(1);

    client.send({ type: 'conversation.item.truncate', item_id: agentItemId, content_index: 0, audio_end_ms: 120 });
    const truncated = await client.waitFor('conversation.item.truncated');
    expect(truncated.audio_end_ms).toBe(120);
    client.send({ type: 'conversation.item.truncate', item_id: agentItemId, content_index: 0, audio_end_ms: sent + 500 });
    const error = await client.waitFor('error');
    expect((error.error as { message: string }).message).toMatch(/shorter than/);
    const conn = await f.waitForConnection();
    expect(conn.truncates.map((t) => t.audio_end_ms)).toEqual([120, sent + 500]);
    await new Promise((r) => setTimeout(r, 100));
    expect(audioBytes(client, agentItemId) / MULAW_BYTES_PER_MS).toBe(sent); // no audio after the cancel
  });

  it('ends the call with an end_call function call and accepts its output', async () => {
    const f = await start();
    f.enqueueScript([{ agent: 'Goodbye!' }, { endCall: true }]);
    const client = await open(f.realtimeUrl);
    client.send({ type: 'response.create' });
    const args = await client.waitFor('response.function_call_arguments.done');
    expect(args).toMatchObject({ name: 'end_call', arguments: '{}' });
    const item = (await client.waitFor('response.output_item.added', 2)).item as { type: string; call_id: string };
    expect(item).toMatchObject({ type: 'function_call', name: 'end_call', call_id: args.call_id });
    await client.waitFor('response.done', 2);
    client.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: args.call_id, output: '{"ok":true}' } });
    const added = await client.waitFor('conversation.item.added', 3);
    expect(added.item).toMatchObject({ type: 'function_call_output', call_id: args.call_id });
    const conn = await f.waitForConnection();
    expect(conn.itemsCreated).toHaveLength(1);
  });

  it('records a field the way the real model calls a tool, and speaks next only after the output and a response.create', async () => {
    const f = await start();
    f.enqueueScript([
      { agent: 'And your ZIP code?' },
      { recordField: { field: 'zip_code', value: '99501' } },
      { agent: 'Sorry, we do not buy in Alaska. Is the vehicle in the lower 48?' },
    ]);
    const client = await open(f.realtimeUrl);
    client.send({ type: 'response.create' });
    const args = await client.waitFor('response.function_call_arguments.done');
    expect(args).toMatchObject({ name: 'record_lead_field', arguments: '{"field":"zip_code","value":"99501"}' });
    const item = (await client.waitFor('response.output_item.added', 2)).item as { type: string; call_id: string };
    expect(item).toMatchObject({ type: 'function_call', name: 'record_lead_field', call_id: args.call_id });
    await client.waitFor('response.done', 2);
    const conn = await f.waitForConnection();
    // Without the output and a response.create the agent does not go on.
    await new Promise((r) => setTimeout(r, 50));
    expect(client.of('response.created')).toHaveLength(2);
    const refusal = '{"status":"refused","field":"zip_code","reason":"the ZIP code is in Alaska"}';
    client.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: args.call_id, output: refusal } });
    await client.waitFor('conversation.item.added', 3);
    await new Promise((r) => setTimeout(r, 50));
    expect(client.of('response.created')).toHaveLength(2);
    client.send({ type: 'response.create' });
    const reask = await client.waitFor('response.output_audio_transcript.done', 2);
    expect(reask.transcript).toMatch(/lower 48/);
    expect(conn.functionCalls).toEqual([
      { name: 'record_lead_field', callId: args.call_id, arguments: '{"field":"zip_code","value":"99501"}', output: refusal, answered: true },
    ]);
  });

  it('a refused end_call: the next step answers it; with no step left the fake calls end_call again', async () => {
    const f = await start();
    f.enqueueScript([{ agent: 'Thanks, a buyer will call you back.' }, { endCall: true }, { agent: 'Sorry, one more thing: your phone number?' }, { endCall: true }]);
    const client = await open(f.realtimeUrl);
    client.send({ type: 'response.create' });
    const refuse = async (n: number): Promise<void> => {
      const args = await client.waitFor('response.function_call_arguments.done', n);
      const output = '{"ok":false,"status":"missing","missing":["phone"]}';
      client.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: args.call_id, output } });
      client.send({ type: 'response.create' });
    };
    await refuse(1);
    expect((await client.waitFor('response.output_audio_transcript.done', 2)).transcript).toMatch(/phone number/);
    await refuse(2);
    // The script has no step left: end_call again, by itself.
    const third = await client.waitFor('response.function_call_arguments.done', 3);
    expect(third).toMatchObject({ name: 'end_call' });
    client.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: third.call_id, output: '{"ok":true}' } });
    const conn = await f.waitForConnection();
    await conn.scriptDone;
    expect(conn.functionCalls.map((c) => [c.name, c.output])).toEqual([
      ['end_call', '{"ok":false,"status":"missing","missing":["phone"]}'],
      ['end_call', '{"ok":false,"status":"missing","missing":["phone"]}'],
      ['end_call', '{"ok":true}'],
    ]);
  });

  it('scriptWithCapture records the expected lead before the agent\'s last turn, as the model passes values', () => {
    const call = sampleFile('public-01.json') as Parameters<typeof scriptWithCapture>[0];
    const script = scriptWithCapture(call);
    const plain = scriptFromTranscript(call);
    expect(script).toHaveLength(plain.length + 6);
    expect(script.slice(-8)).toEqual([
      { recordField: { field: 'full_name', value: 'John Carter' } },
      { recordField: { field: 'zip_code', value: '30093' } },
      { recordField: { field: 'phone', value: '4045550111' } },
      { recordField: { field: 'vehicle_year', value: '2019' } },
      { recordField: { field: 'vehicle_make', value: 'Harley-Davidson' } },
      { recordField: { field: 'vehicle_model', value: 'Street Glide' } },
      plain.at(-2),
      { endCall: true },
    ]);
    // A field the lead does not hold is not recorded.
    const partial = scriptWithCapture({ turns: call.turns, expected: { lead: { full_name: 'John Carter', vehicle_year: null } } });
    expect(partial.filter((step) => 'recordField' in step)).toEqual([{ recordField: { field: 'full_name', value: 'John Carter' } }]);
  });

  it('drops the socket abruptly', async () => {
    const f = await start();
    f.enqueueScript([{ agent: 'Hello.' }, { dropSocket: true }]);
    const client = await open(f.realtimeUrl);
    client.send({ type: 'response.create' });
    expect(await client.waitClosed()).toBe(1006);
  });

  it('answers unknown events and bad session updates with error events', async () => {
    const f = await start();
    const client = await open(f.realtimeUrl);
    client.send({ type: 'no.such.event', event_id: 'c1' });
    const error = await client.waitFor('error');
    expect((error.error as { event_id: string }).event_id).toBe('c1');
    client.send({ type: 'session.update', session: { voice: 'marin' } }); // the beta shape, without type
    await client.waitFor('error', 2);
    client.ws.send('not json');
    await client.waitFor('error', 3);
    expect((await f.waitForConnection()).sessionUpdates).toHaveLength(0);
  });

  it('can start on its own, and gives the default script past the queue', async () => {
    const f = await start({ startOn: 'connect', defaultScript: [{ agent: 'Default hello.' }] });
    f.enqueueScript([{ agent: 'Scripted hello.' }]);
    const first = await open(f.realtimeUrl);
    const second = await open(f.realtimeUrl);
    expect((await first.waitFor('response.output_audio_transcript.done')).transcript).toBe('Scripted hello.');
    expect((await second.waitFor('response.output_audio_transcript.done')).transcript).toBe('Default hello.');
    expect((await f.waitForConnection(1)).responseCreates).toBe(0);
  });

  it('turns a sample transcript into a script that ends with end_call, or a hang-up cue', async () => {
    const call = sampleFile('public-01.json') as {
      turns: Array<{ role: 'assistant' | 'user'; text: string }>;
    };
    const script = scriptFromTranscript(call);
    expect(script).toHaveLength(call.turns.length + 1);
    expect(script[script.length - 1]).toEqual({ endCall: true });
    const early = scriptFromTranscript({ turns: call.turns.slice(0, 2) }, { afterAudioMs: 20 });
    expect(early).toEqual([{ agent: call.turns[0]?.text }, { caller: call.turns[1]?.text, afterAudioMs: 20 }, { callerHangsUp: true }]);

    const f = await start();
    f.enqueueScript(early);
    const client = await open(f.realtimeUrl);
    const conn = await f.waitForConnection();
    const cue = new Promise<void>((resolve) => conn.cues.once('callerHangsUp', resolve));
    client.send({ type: 'response.create' });
    await client.waitFor('response.done');
    client.audio(40);
    await cue;
    expect((await client.waitFor('conversation.item.input_audio_transcription.completed')).transcript).toBe(call.turns[1]?.text);
  });

  it("works with the SDK's OpenAIRealtimeWS only through a plain-socket createConnection (it forces wss)", async () => {
    const f = await start();
    const sdk = new OpenAI({ apiKey: KEY, baseURL: f.httpUrl });
    const rt = new OpenAIRealtimeWS(
      { model: 'gpt-realtime', options: { createConnection: () => netConnect(f.port, '127.0.0.1') } },
      sdk,
    );
    expect(rt.url.protocol).toBe('wss:');
    const created = new Promise<string>((resolve) => rt.on('session.created', (e) => resolve(e.type)));
    expect(await created).toBe('session.created');
    rt.close();

    const plain = new OpenAIRealtimeWS({ model: 'gpt-realtime' }, sdk);
    const failure = await new Promise<string>((resolve) => plain.on('error', (e) => resolve(e.message)));
    expect(failure).toMatch(/EPROTO|wrong version number|SSL/i);
    plain.close();
  });
});

describe('fake OpenAI Chat Completions', () => {
  const body = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({ model: 'gpt-4o-mini', temperature: 0, messages: [{ role: 'user', content: 'hi' }], ...extra });
  const post = (f: FakeOpenAI, init: RequestInit = {}) =>
    fetch(`${f.httpUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: body(),
      ...init,
    });

  it('answers a chat.completion whose content is the responder lead, and records the request', async () => {
    const f = await start({ chatResponder: () => ({ full_name: 'John Carter', zip_code: '30093' }) });
    const res = await post(f, { body: body({ response_format: { type: 'json_schema' } }) });
    expect(res.status).toBe(200);
    const json = (await res.json()) as { object: string; choices: Array<{ message: { content: string }; finish_reason: string }> };
    expect(json.object).toBe('chat.completion');
    expect(JSON.parse(json.choices[0]?.message.content ?? '')).toEqual({ full_name: 'John Carter', zip_code: '30093' });
    expect(f.chatRequests[0]).toMatchObject({ model: 'gpt-4o-mini', temperature: 0, response_format: { type: 'json_schema' } });
  });

  it('switches to failures: 500, malformed JSON, schema violation, refusal, timeout; checks the key', async () => {
    const f = await start();
    expect((await post(f, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    f.chatMode('http-500');
    expect((await post(f)).status).toBe(500);
    f.chatMode('malformed-json');
    const malformed = (await (await post(f)).json()) as { choices: Array<{ message: { content: string } }> };
    expect(() => JSON.parse(malformed.choices[0]?.message.content ?? '')).toThrow();
    f.chatMode('schema-violation');
    const violation = (await (await post(f)).json()) as { choices: Array<{ message: { content: string } }> };
    expect(JSON.parse(violation.choices[0]?.message.content ?? '')).not.toHaveProperty('zip_code');
    f.chatMode('refusal');
    const refusal = (await (await post(f)).json()) as { choices: Array<{ message: { content: null; refusal: string } }> };
    expect(refusal.choices[0]?.message).toMatchObject({ content: null, refusal: expect.any(String) });
    f.chatMode('timeout');
    await expect(post(f, { signal: AbortSignal.timeout(150) })).rejects.toThrow();
    expect((await fetch(`${f.httpUrl}/nothing`)).status).toBe(404);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { placeScriptedCall, startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import { createCallInspector, type CallInspector } from '../../src/inspect/callInspector.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

/** What the inspector streamed: JSON events as a WebSocket inspector (Stately's bridge) receives them. */
describe('the call inspector', () => {
  let database: TestDatabase;
  let lab: VoiceLab;
  let receiver: WebSocketServer;
  let inspector: CallInspector;
  const received: string[] = [];

  beforeAll(async () => {
    receiver = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => receiver.once('listening', () => resolve()));
    receiver.on('connection', (socket) => socket.on('message', (data) => received.push(data.toString())));
    const { port } = receiver.address() as { port: number };
    database = await createTestDatabase();
    inspector = createCallInspector({ url: `ws://127.0.0.1:${port}`, logger: database.logger });
    lab = await startVoiceLab({
      env: database.env,
      logger: database.logger,
      overrides: { db: database.db, inspect: inspector.inspect },
    });
  });
  afterAll(async () => {
    await lab?.close();
    inspector?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
    await database?.close();
  });

  it('streams every state of a call, with no personal data', async () => {
    const { output } = await placeScriptedCall(lab, {
      callSid: 'CAinspect000000000000000000000000001',
      from: '+14045550111',
      script: [
        { agent: 'Thanks for calling Power Sport Buyers! May I have your full name, please?' },
        { caller: 'My name is Johnathan Quixote.' },
        { agent: "Thanks, Johnathan Quixote. What's your ZIP code?" },
        { caller: '30093.' },
        { agent: 'Got it. Have a great day, goodbye!' },
        { endCall: true },
      ],
    });
    expect(output.outcome).toBe('failed');
    // Delivery is asynchronous: wait for the final snapshot to arrive.
    const deadline = Date.now() + 5_000;
    while (!received.some((m) => m.includes('"saved-failure"')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const events = received.map((m) => JSON.parse(m) as { type: string; snapshot?: { value?: unknown } });
    const states = new Set(
      events.filter((e) => e.type === '@xstate.snapshot').map((e) => JSON.stringify(e.snapshot?.value)),
    );
    for (const state of ['"connecting"', '{"streaming":"conversing"}', '"awaiting-transcript"', '"extracting"', '"saved-failure"']) {
      expect(states, `state ${state} not streamed`).toContain(state);
    }
    const all = received.join('\n');
    expect(all).toContain('CAinspect000000000000000000000000001');
    for (const secret of ['Quixote', 'Johnathan', '4045550111', '30093']) expect(all).not.toContain(secret);
  });

  it('streams live capture (FIELD_CAPTURED and the captured context) with the values redacted', async () => {
    const callSid = 'CAinspect000000000000000000000000002';
    const { output } = await placeScriptedCall(lab, {
      callSid,
      from: '+14045550111',
      script: [
        { agent: 'Thanks for calling Power Sport Buyers! May I have your full name, please?' },
        { caller: 'Rosalind Featherstonehaugh.' },
        { recordField: { field: 'full_name', value: 'Rosalind Featherstonehaugh' } },
        { agent: "Thanks. What's your ZIP code?" },
        { caller: '85008.' },
        { recordField: { field: 'zip_code', value: '85008' } },
        { agent: 'Got it. Have a great day, goodbye!' },
        { endCall: true },
      ],
    });
    expect(output.outcome).toBe('failed');
    const deadline = Date.now() + 5_000;
    const mine = () => received.filter((m) => m.includes(callSid) || m.includes('FIELD_CAPTURED'));
    while (!mine().some((m) => m.includes('"saved-failure"')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const all = received.join('\n');
    const captured = received
      .map((m) => JSON.parse(m) as { type: string; event?: { type?: string; field?: string; captured?: unknown } })
      .filter((e) => e.type === '@xstate.event' && e.event?.type === 'FIELD_CAPTURED')
      .map((e) => e.event);
    expect(captured).toEqual([
      { type: 'FIELD_CAPTURED', field: 'full_name', captured: { value: '[redacted]', at: expect.any(String), attempts: 1 } },
      { type: 'FIELD_CAPTURED', field: 'zip_code', captured: { value: '[redacted]', at: expect.any(String), attempts: 1 } },
    ]);
    for (const secret of ['Rosalind', 'Featherstonehaugh', '85008']) expect(all).not.toContain(secret);
  });
});

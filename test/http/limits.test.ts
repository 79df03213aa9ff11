import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVoiceLab, type VoiceLab } from '../../src/demo/voiceLab.js';
import { MAX_TWILIO_MESSAGE_BYTES, STREAM_MAX_DROPPED_MESSAGES, STREAM_MESSAGE_BURST } from '../../src/http/mediaStreamSocket.js';
import { MAX_WEBHOOK_BODY_BYTES } from '../../src/http/twilioForm.js';
import { BUSY_MESSAGE } from '../../src/twilio/twiml.js';
import { ROUTES } from '../../src/http/routes.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { callForm, eventually, postForm } from '../security/signedLab.js';
import { completeSampleCall } from '../security/sampleCall.js';
import { mediaFrame, openRawStream, startFrame } from '../security/streamFrames.js';

describe('limits: body size, message size, message rate, concurrent calls', () => {
  let database: TestDatabase;
  let lab: VoiceLab;

  beforeAll(async () => {
    database = await createTestDatabase();
    lab = await startVoiceLab({ env: database.env, logger: database.logger, overrides: { db: database.db } });
  });
  afterAll(async () => {
    await lab?.close();
    await database?.close();
  });

  it('answers 413 to a webhook body over the limit, and opens nothing', async () => {
    const callSid = 'CAlimit0000000000000000000000000001';
    const form = { ...callForm(callSid), Padding: 'x'.repeat(MAX_WEBHOOK_BODY_BYTES) };
    const response = await postForm(lab, ROUTES.voiceWebhook, form);
    expect(response.status).toBe(413);
    expect(lab.app.registry.get(callSid)).toBeUndefined();
    // The server still answers.
    expect((await fetch(`${lab.app.url}/healthz`)).status).toBe(200);
  });

  it('closes only the socket that sends a message over the size limit', async () => {
    const bystander = await openRawStream(lab);
    const before = lab.app.metrics.get('twilio_messages_oversize_total');
    const offender = await openRawStream(lab);
    offender.send(`{"event":"media","pad":"${'a'.repeat(MAX_TWILIO_MESSAGE_BYTES)}"}`);
    await offender.closed;
    await eventually(() => (lab.app.metrics.get('twilio_messages_oversize_total') === before + 1 ? true : undefined), 'the oversize counter');
    expect(bystander.isOpen).toBe(true);
    bystander.ws.close();
  });

  it('drops messages over the rate, counts them, and closes a connection that keeps flooding; another call completes meanwhile', async () => {
    const floodSid = 'CAflood00000000000000000000000000001';
    const streamSid = 'MZflood00000000000000000000000000001';
    await lab.webhook(floodSid, '+14045550999');
    const flood = await openRawStream(lab);
    flood.send(startFrame(floodSid, streamSid));
    const limited = lab.app.metrics.get('twilio_messages_rate_limited_total');
    const abusive = lab.app.metrics.get('twilio_streams_closed_abusive_total');

    // The flood and a normal call run at the same time; the flood keeps sending until the server closes it.
    let sent = 0;
    const flooding = (async () => {
      while (flood.isOpen && sent < 50_000) {
        for (let n = 0; n < 500; n++) flood.send(mediaFrame(streamSid, ++sent));
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const normal = completeSampleCall(lab, 'CAnormal0000000000000000000000000001');

    const closed = await flood.closed;
    await flooding;
    expect(closed.code).toBe(1008);
    expect(lab.app.metrics.get('twilio_streams_closed_abusive_total')).toBe(abusive + 1);
    expect(lab.app.metrics.get('twilio_messages_rate_limited_total') - limited).toBeGreaterThan(STREAM_MAX_DROPPED_MESSAGES);
    expect(sent).toBeGreaterThan(STREAM_MESSAGE_BURST + STREAM_MAX_DROPPED_MESSAGES);

    const { output, agentFrames } = await normal;
    expect(output.outcome).toBe('succeeded');
    expect(agentFrames).toBeGreaterThan(0);
    // The flooded call itself ended (its socket closed) and still saved exactly one lead row.
    const flooded = await lab.outcomeOf(floodSid);
    expect(flooded.endReason).toBe('caller-hangup');
    const rows = [...(await lab.app.repos.failed.list()), ...(await lab.app.repos.succeeded.list())];
    expect(rows.filter((row) => row.id === flooded.leadId)).toHaveLength(1);
  });
});

describe('MAX_CALLS', () => {
  let database: TestDatabase;
  let lab: VoiceLab;

  beforeAll(async () => {
    database = await createTestDatabase();
    lab = await startVoiceLab({ env: { ...database.env, MAX_CALLS: '1', PREWARM_TTL_MS: '1000' }, logger: database.logger, overrides: { db: database.db } });
  });
  afterAll(async () => {
    await lab?.close();
    await database?.close();
  });

  it('answers the polite busy TwiML above the limit and opens nothing for that call', async () => {
    const first = await lab.webhook('CAcap00000000000000000000000000001', '+14045550111');
    expect(first.body).toContain('<Stream');
    const before = lab.app.metrics.get('calls_rejected_busy_total');
    const second = await lab.webhook('CAcap00000000000000000000000000002', '+14045550112');
    expect(second.status).toBe(200);
    expect(second.body).toContain(`<Say>${BUSY_MESSAGE}</Say><Hangup/>`);
    expect(second.body).not.toContain('<Stream');
    expect(lab.app.metrics.get('calls_rejected_busy_total')).toBe(before + 1);
    expect(lab.app.registry.get('CAcap00000000000000000000000000002')).toBeUndefined();
    expect(lab.app.registry.size).toBe(1);
    // A retried webhook for the call already live is not refused.
    expect((await lab.webhook('CAcap00000000000000000000000000001', '+14045550111')).body).toContain('<Stream');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VoiceLab } from '../../src/demo/voiceLab.js';
import { ROUTES } from '../../src/http/routes.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import {
  AUTH_TOKEN,
  callForm,
  connectSigned,
  eventually,
  postForm,
  signPost,
  signUpgrade,
  sleep,
  startSignedLab,
  streamParameters,
} from '../security/signedLab.js';

/**
 * Production mode (TWILIO_AUTH_TOKEN and PUBLIC_URL set): every Twilio request must carry Twilio's signature of the
 * exact public URL it was sent to. Refused requests answer 403 and open nothing: no call, no session row.
 */
describe('Twilio signatures: valid, tampered, missing and replayed requests', () => {
  let database: TestDatabase;
  let lab: VoiceLab;
  let sid = 0;
  const nextSid = () => `CAsig${String(++sid).padStart(30, '0')}`;

  beforeAll(async () => {
    database = await createTestDatabase();
    // Calls opened without a stream end soon, so closing the lab does not wait on them.
    lab = await startSignedLab(database, { env: { PREWARM_TTL_MS: '2000' } });
  });
  afterAll(async () => {
    await lab?.close();
    await database?.close();
  });

  /** Nothing was opened for this CallSid: no live call, and (after the writes a call would queue) no session row. */
  async function expectNothingOpened(callSid: string): Promise<void> {
    expect(lab.app.registry.get(callSid)).toBeUndefined();
    await sleep(100);
    expect(await lab.app.repos.sessions.getByKey(callSid)).toBeNull();
  }

  describe('voice webhook', () => {
    it('accepts Twilio’s signature and answers the stream TwiML with a one-time stream token', async () => {
      const callSid = nextSid();
      const form = callForm(callSid);
      const response = await postForm(lab, ROUTES.voiceWebhook, form, { 'x-twilio-signature': signPost(ROUTES.voiceWebhook, form) });
      expect(response.status).toBe(200);
      expect(response.body).toContain('<Stream url="wss://voice.psb.example/twilio/voice/stream">');
      expect(response.body).toContain(`<Connect action="https://voice.psb.example${ROUTES.afterStream}">`);
      expect(streamParameters(response.body).streamToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(lab.app.registry.get(callSid)).toBeDefined();
      // Hang the call up (no stream) so it does not linger: a stopped stream is the simplest way.
      await eventually(async () => (await lab.app.repos.sessions.getByKey(callSid)) ?? undefined, 'the session row');
    });

    const refusals: Array<{ name: string; request: (callSid: string) => { path: string; form: Record<string, string>; headers: Record<string, string> } }> = [
      {
        name: 'missing signature',
        request: (callSid) => ({ path: ROUTES.voiceWebhook, form: callForm(callSid), headers: {} }),
      },
      {
        name: 'empty signature',
        request: (callSid) => ({ path: ROUTES.voiceWebhook, form: callForm(callSid), headers: { 'x-twilio-signature': '' } }),
      },
      {
        name: 'garbage signature',
        request: (callSid) => ({ path: ROUTES.voiceWebhook, form: callForm(callSid), headers: { 'x-twilio-signature': 'bm90IGEgc2lnbmF0dXJl' } }),
      },
      {
        name: 'tampered parameters (From changed after signing)',
        request: (callSid) => {
          const form = callForm(callSid);
          const signature = signPost(ROUTES.voiceWebhook, form);
          return { path: ROUTES.voiceWebhook, form: { ...form, From: '+19995550000' }, headers: { 'x-twilio-signature': signature } };
        },
      },
      {
        name: 'tampered parameters (a parameter added)',
        request: (callSid) => {
          const form = callForm(callSid);
          const signature = signPost(ROUTES.voiceWebhook, form);
          return { path: ROUTES.voiceWebhook, form: { ...form, Extra: '1' }, headers: { 'x-twilio-signature': signature } };
        },
      },
      {
        name: 'signed with another auth token',
        request: (callSid) => {
          const form = callForm(callSid);
          return { path: ROUTES.voiceWebhook, form, headers: { 'x-twilio-signature': signPost(ROUTES.voiceWebhook, form, undefined, 'another-token') } };
        },
      },
      {
        name: 'replayed from the after-stream URL',
        request: (callSid) => {
          const form = callForm(callSid);
          return { path: ROUTES.voiceWebhook, form, headers: { 'x-twilio-signature': signPost(ROUTES.afterStream, form) } };
        },
      },
      {
        name: 'replayed from another host (signed for that host, sent with its Host header)',
        request: (callSid) => {
          const form = callForm(callSid);
          return {
            path: ROUTES.voiceWebhook,
            form,
            headers: { host: 'other.example', 'x-twilio-signature': signPost(ROUTES.voiceWebhook, form, 'https://other.example') },
          };
        },
      },
      {
        name: 'replayed over http instead of https',
        request: (callSid) => {
          const form = callForm(callSid);
          return { path: ROUTES.voiceWebhook, form, headers: { 'x-twilio-signature': signPost(ROUTES.voiceWebhook, form, 'http://voice.psb.example') } };
        },
      },
      {
        name: 'the right signature with a query string added',
        request: (callSid) => {
          const form = callForm(callSid);
          return { path: `${ROUTES.voiceWebhook}?x=1`, form, headers: { 'x-twilio-signature': signPost(ROUTES.voiceWebhook, form) } };
        },
      },
    ];

    it.each(refusals)('refuses $name with 403 and opens nothing', async ({ request }) => {
      const callSid = nextSid();
      const before = lab.app.metrics.get('twilio_signature_rejected_total');
      const { path, form, headers } = request(callSid);
      const response = await postForm(lab, path, form, headers);
      expect(response.status).toBe(403);
      expect(response.body).not.toContain('<Response>');
      expect(lab.app.metrics.get('twilio_signature_rejected_total')).toBe(before + 1);
      await expectNothingOpened(callSid);
    });

    it('refuses the webhook’s signature replayed against the after-stream and recording webhooks', async () => {
      const callSid = nextSid();
      const form = callForm(callSid);
      const signature = signPost(ROUTES.voiceWebhook, form);
      for (const path of [ROUTES.afterStream, ROUTES.recording]) {
        const response = await postForm(lab, path, form, { 'x-twilio-signature': signature });
        expect(response.status, path).toBe(403);
      }
      await expectNothingOpened(callSid);
      const recordingForm = { CallSid: callSid, RecordingSid: 'RE0123', RecordingUrl: 'https://api.twilio.com/r/RE0123' };
      const recording = await postForm(lab, ROUTES.recording, recordingForm, {
        'x-twilio-signature': signPost(ROUTES.afterStream, recordingForm),
      });
      expect(recording.status).toBe(403);
      expect(await lab.app.repos.sessions.getByKey(callSid)).toBeNull();
    });
  });

  describe('media stream upgrade', () => {
    /** A call opened by a signed webhook; returns the stream parameters its TwiML carries. */
    async function signedCall(callSid: string): Promise<Record<string, string>> {
      const form = callForm(callSid);
      const response = await postForm(lab, ROUTES.voiceWebhook, form, { 'x-twilio-signature': signPost(ROUTES.voiceWebhook, form) });
      expect(response.status).toBe(200);
      return streamParameters(response.body);
    }

    it('accepts the signed upgrade with the call’s stream token; the call streams', async () => {
      const callSid = nextSid();
      const parameters = await signedCall(callSid);
      const before = lab.app.metrics.get('twilio_streams_opened_total');
      const caller = await connectSigned(lab, { callSid, parameters });
      expect(lab.app.metrics.get('twilio_streams_opened_total')).toBe(before + 1);
      caller.sendFrames(10, 'speech');
      // The agent's greeting comes back over this stream.
      await eventually(() => (caller.received.media.length > 0 ? true : undefined), 'agent audio');
      await caller.hangUp();
      const output = await lab.outcomeOf(callSid);
      expect(output.endReason).toBe('caller-hangup');
    });

    const refusedUpgrades: Array<{ name: string; signature: () => string | null; path?: string }> = [
      { name: 'missing signature', signature: () => null },
      { name: 'garbage signature', signature: () => 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
      { name: 'signed with another auth token', signature: () => signUpgrade(undefined, 'another-token') },
      { name: 'replayed from another host', signature: () => signUpgrade('https://other.example') },
      { name: 'the webhook’s signature replayed on the upgrade', signature: () => signPost(ROUTES.voiceWebhook, callForm('CAx')) },
      { name: 'the right signature with a query string added', signature: () => signUpgrade(), path: '/twilio/voice/stream?callSid=CAx' },
    ];

    it.each(refusedUpgrades)('refuses an upgrade with $name: 403, no socket, no call', async ({ signature, path }) => {
      const callSid = nextSid();
      const parameters = await signedCall(callSid);
      const opened = lab.app.metrics.get('twilio_streams_opened_total');
      const rejected = lab.app.metrics.get('twilio_signature_rejected_total');
      await expect(connectSigned(lab, { callSid, parameters, signature: signature(), ...(path ? { path } : {}) })).rejects.toThrow(
        'upgrade refused: 403',
      );
      expect(lab.app.metrics.get('twilio_streams_opened_total')).toBe(opened);
      expect(lab.app.metrics.get('twilio_signature_rejected_total')).toBe(rejected + 1);
    });

    it('closes a signed upgrade whose start names no signed webhook’s call: nothing is opened', async () => {
      const callSid = nextSid();
      const before = lab.app.metrics.get('twilio_streams_unbound_total');
      const caller = await connectSigned(lab, { callSid });
      const closed = await caller.closed;
      expect(closed.code).toBe(1000);
      expect(lab.app.metrics.get('twilio_streams_unbound_total')).toBe(before + 1);
      await expectNothingOpened(callSid);
    });

    it('closes a replayed upgrade that presents a wrong or already used stream token; the real stream keeps its call', async () => {
      const callSid = nextSid();
      const parameters = await signedCall(callSid);
      const before = lab.app.metrics.get('twilio_streams_unbound_total');

      const forged = await connectSigned(lab, { callSid, parameters: { ...parameters, streamToken: 'forged-token-forged-token' } });
      await forged.closed;
      expect(lab.app.metrics.get('twilio_streams_unbound_total')).toBe(before + 1);

      const real = await connectSigned(lab, { callSid, parameters });
      real.sendFrames(5, 'speech');
      await eventually(() => (real.received.media.length > 0 ? true : undefined), 'agent audio on the real stream');

      // The captured upgrade signature and the token, replayed: the token is spent, the stream is refused.
      const replay = await connectSigned(lab, { callSid, parameters });
      await replay.closed;
      expect(lab.app.metrics.get('twilio_streams_unbound_total')).toBe(before + 2);
      expect(replay.received.media).toHaveLength(0);

      await real.hangUp();
      expect((await lab.outcomeOf(callSid)).endReason).toBe('caller-hangup');
    });

    it('keeps the auth token out of every answer', async () => {
      const callSid = nextSid();
      const form = callForm(callSid);
      const bodies = [
        (await postForm(lab, ROUTES.voiceWebhook, form, { 'x-twilio-signature': signPost(ROUTES.voiceWebhook, form) })).body,
        (await postForm(lab, ROUTES.voiceWebhook, form, { 'x-twilio-signature': 'bad' })).body,
        await (await fetch(`${lab.app.url}/metrics`)).text(),
      ];
      for (const body of bodies) expect(body).not.toContain(AUTH_TOKEN);
    });
  });
});

import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/http/routes.js';
import { httpUrlFor, streamUrlFor, verifyTwilioSignature } from '../../src/twilio/signature.js';

const TOKEN = 'test-auth-token-0123456789abcdef';

describe('verifyTwilioSignature', () => {
  const url = httpUrlFor('https://voice.example.com', ROUTES.voiceWebhook);
  const params = { CallSid: 'CA123', From: '+15555550100', To: '+15555550199' };

  it('accepts Twilio signatures of the webhook and of the stream upgrade', () => {
    const signature = twilio.getExpectedTwilioSignature(TOKEN, url, params);
    expect(verifyTwilioSignature({ authToken: TOKEN, signature, url, params })).toBe(true);
    const streamUrl = streamUrlFor('https://voice.example.com', ROUTES.stream);
    const upgrade = twilio.getExpectedTwilioSignature(TOKEN, streamUrl, {});
    expect(verifyTwilioSignature({ authToken: TOKEN, signature: upgrade, url: streamUrl })).toBe(true);
  });

  it('refuses a signature for other parameters, another URL or another token', () => {
    const signature = twilio.getExpectedTwilioSignature(TOKEN, url, params);
    expect(verifyTwilioSignature({ authToken: TOKEN, signature, url, params: { ...params, From: '+15555550101' } })).toBe(false);
    expect(verifyTwilioSignature({ authToken: TOKEN, signature, url: `${url}x`, params })).toBe(false);
    expect(verifyTwilioSignature({ authToken: 'other-token', signature, url, params })).toBe(false);
    expect(verifyTwilioSignature({ authToken: TOKEN, signature: 'garbage', url, params })).toBe(false);
  });

  it('refuses a missing signature', () => {
    expect(verifyTwilioSignature({ authToken: TOKEN, signature: undefined, url, params })).toBe(false);
    expect(verifyTwilioSignature({ authToken: TOKEN, signature: '', url, params })).toBe(false);
    expect(verifyTwilioSignature({ authToken: TOKEN, signature: null, url, params })).toBe(false);
  });
});

describe('public URLs', () => {
  it('builds the stream and webhook URLs from PUBLIC_URL', () => {
    expect(streamUrlFor('https://voice.example.com', ROUTES.stream)).toBe('wss://voice.example.com/twilio/voice/stream');
    expect(streamUrlFor('https://voice.example.com/', ROUTES.stream)).toBe('wss://voice.example.com/twilio/voice/stream');
    expect(streamUrlFor('https://example.com:8443/psb/', ROUTES.stream)).toBe('wss://example.com:8443/psb/twilio/voice/stream');
    expect(streamUrlFor('http://127.0.0.1:8080', ROUTES.stream)).toBe('ws://127.0.0.1:8080/twilio/voice/stream');
    expect(httpUrlFor('https://voice.example.com', ROUTES.voiceWebhook)).toBe('https://voice.example.com/twilio/voice-realtime-proxied');
    expect(httpUrlFor('http://127.0.0.1:8080/?x=1', ROUTES.voiceWebhook)).toBe('http://127.0.0.1:8080/twilio/voice-realtime-proxied');
  });
});

import { describe, expect, it } from 'vitest';
import { recordingWavUrl, redirectTarget, TWILIO_API_BASE } from '../../src/voicemail/recordingUrlPolicy.js';

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const RECORDING = 'RE0123456789abcdef0123456789abcdef';
const allowed = { apiBase: TWILIO_API_BASE, accountSid: ACCOUNT };
const recordingUrl = `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT}/Recordings/${RECORDING}`;

describe('recordingWavUrl', () => {
  it("appends .wav to one of our account's recordings on api.twilio.com, with credentials", () => {
    const verdict = recordingWavUrl(recordingUrl, allowed);
    expect(verdict).toEqual({ ok: true, url: new URL(`${recordingUrl}.wav`), withCredentials: true });
  });

  it('accepts a base with a path and a trailing slash (a fake or a proxy)', () => {
    const verdict = recordingWavUrl(`http://127.0.0.1:8080/twilio/2010-04-01/Accounts/${ACCOUNT}/Recordings/${RECORDING}`, {
      apiBase: 'http://127.0.0.1:8080/twilio/',
      accountSid: ACCOUNT,
    });
    expect(verdict.ok && verdict.url.pathname).toBe(`/twilio/2010-04-01/Accounts/${ACCOUNT}/Recordings/${RECORDING}.wav`);
  });

  it.each([
    ['a host that merely starts with the base', `https://api.twilio.com.evil.example/2010-04-01/Accounts/${ACCOUNT}/Recordings/${RECORDING}`, 'not the Twilio API host'],
    ['credentials that make the base a user name', `https://api.twilio.com@evil.example/2010-04-01/Accounts/${ACCOUNT}/Recordings/${RECORDING}`, 'the URL carries credentials'],
    ['plain http to the API host', recordingUrl.replace('https:', 'http:'), 'not the Twilio API host'],
    ['another port', recordingUrl.replace('api.twilio.com', 'api.twilio.com:8443'), 'not the Twilio API host'],
    ['an internal address', `http://169.254.169.254/2010-04-01/Accounts/${ACCOUNT}/Recordings/${RECORDING}`, 'not the Twilio API host'],
    ['another account', recordingUrl.replace(ACCOUNT, 'ACffffffffffffffffffffffffffffffff'), 'a recording of another account'],
    ['another resource', `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT}/Calls/CA123`, 'not a recording resource path'],
    ['a path that climbs out', `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT}/Recordings/../../../x`, 'not a recording resource path'],
    ['an extension already', `${recordingUrl}.mp3`, 'not a recording resource path'],
    ['a query', `${recordingUrl}?RequestedChannels=2`, 'the URL has a query or fragment'],
    ['not a URL', 'RE0123', 'not a URL'],
    ['a file URL', 'file:///etc/passwd', 'not a URL'],
  ])('refuses %s', (_what, url, reason) => {
    expect(recordingWavUrl(url, allowed)).toEqual({ ok: false, reason });
  });
});

describe('redirectTarget', () => {
  const from = new URL(`${recordingUrl}.wav`);

  it('keeps the credentials on the API origin, relative locations included', () => {
    expect(redirectTarget(from, '/2010-04-01/elsewhere.wav', TWILIO_API_BASE)).toEqual({
      ok: true,
      url: new URL('https://api.twilio.com/2010-04-01/elsewhere.wav'),
      withCredentials: true,
    });
  });

  it('follows https on another host without the credentials (a signed media URL)', () => {
    const signed = 'https://media.example-cdn.net/RE1.wav?X-Amz-Signature=abc';
    expect(redirectTarget(from, signed, TWILIO_API_BASE)).toEqual({ ok: true, url: new URL(signed), withCredentials: false });
  });

  it.each([
    ['a downgrade to http', 'http://api.twilio.com/x.wav', 'a redirect to a non-https URL on another origin'],
    ['http elsewhere', 'http://10.0.0.5/x.wav', 'a redirect to a non-https URL on another origin'],
    ['credentials in the URL', 'https://user:pw@media.example-cdn.net/x.wav', 'a redirect URL with credentials'],
    ['no Location', null, 'a redirect without a Location'],
    ['another scheme', 'file:///etc/passwd', 'a redirect to something that is not a URL'],
  ])('refuses %s', (_what, location, reason) => {
    expect(redirectTarget(from, location, TWILIO_API_BASE)).toEqual({ ok: false, reason });
  });

  it('lets a local http base redirect within its own origin only (the fake)', () => {
    const base = 'http://127.0.0.1:4000';
    const local = new URL(`${base}/2010-04-01/Accounts/${ACCOUNT}/Recordings/${RECORDING}.wav`);
    expect(redirectTarget(local, '/media/RE1.wav', base)).toMatchObject({ ok: true, withCredentials: true });
    expect(redirectTarget(local, 'http://127.0.0.1:4001/media/RE1.wav', base)).toMatchObject({ ok: false });
  });
});

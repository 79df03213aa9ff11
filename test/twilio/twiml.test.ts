import { describe, expect, it } from 'vitest';
import { apologyTwiml, busyTwiml, streamTwiml } from '../../src/twilio/twiml.js';

describe('TwiML', () => {
  it('connects the call to the stream with parameters, then hangs up', () => {
    const xml = streamTwiml({
      streamUrl: 'wss://voice.example.com/twilio/voice/stream',
      parameters: { callSid: 'CA123', from: '+15555550100' },
    });
    expect(xml).toContain(
      '<Response><Connect><Stream url="wss://voice.example.com/twilio/voice/stream">' +
        '<Parameter name="callSid" value="CA123"/><Parameter name="from" value="+15555550100"/>' +
        '</Stream></Connect><Hangup/></Response>',
    );
    expect(xml.startsWith('<?xml')).toBe(true);
  });

  it('escapes values', () => {
    const xml = streamTwiml({ streamUrl: 'wss://h/s?a=1&b=2', parameters: { from: '<"&>' } });
    expect(xml).toContain('url="wss://h/s?a=1&amp;b=2"');
    expect(xml).toContain('value="&lt;&quot;&amp;>"');
  });

  it('says the line is busy, or apologises, and hangs up', () => {
    expect(busyTwiml()).toMatch(/<Say>[^<]*busy[^<]*<\/Say><Hangup\/><\/Response>$/);
    expect(apologyTwiml()).toMatch(/<Say>[^<]*sorry[^<]*<\/Say><Hangup\/><\/Response>$/);
  });
});

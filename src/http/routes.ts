/**
 * Every path the server serves, in one place: server.ts registers from it, the webhooks build their TwiML URLs
 * from it, and tests and tools request it. twilio/ takes paths as parameters and never imports this.
 */
export const ROUTES = Object.freeze({
  /** Twilio's voice webhook: answers with TwiML that connects the call to the media stream. */
  voiceWebhook: '/twilio/voice-realtime-proxied',
  /** `<Connect action>`: Twilio asks what to do once the stream closed. */
  afterStream: '/twilio/voice/after-stream',
  /** `<Record action>`: the message a caller left after the model failed. */
  recording: '/twilio/voice/recording',
  /** Twilio's messaging webhook. */
  sms: '/twilio/sms',
  /** The Media Streams WebSocket. */
  stream: '/twilio/voice/stream',
  healthz: '/healthz',
  readyz: '/readyz',
  metrics: '/metrics',
} as const);

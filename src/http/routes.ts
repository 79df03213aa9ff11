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
  /** An operator's download of a call's recording (ADMIN_TOKEN; `?kind=voicemail` for the message left after the tone). */
  adminRecording: '/admin/api/calls/:callSid/recording',
} as const);

/** The operations console (src/http/adminApi.ts): its page, its files, its JSON API and the live calls socket. */
export const ADMIN_ROUTES = Object.freeze({
  page: '/admin',
  assets: '/admin/assets/*',
  apiAny: '/admin/api/*',
  login: '/admin/api/login',
  logout: '/admin/api/logout',
  me: '/admin/api/me',
  live: '/admin/api/live',
  liveSocket: '/admin/api/live/socket',
  machine: '/admin/api/machine',
  calls: '/admin/api/calls',
  call: '/admin/api/calls/:id',
  failed: '/admin/api/failed',
  failedRetry: '/admin/api/failed/:id/retry',
  failedResolve: '/admin/api/failed/:id/resolve',
  review: '/admin/api/review',
  reviewApprove: '/admin/api/review/:id/approve',
  reviewReject: '/admin/api/review/:id/reject',
  quality: '/admin/api/quality',
  audit: '/admin/api/audit',
} as const);

/** The admin path of one call's recording. */
export const adminRecordingPath = (callSid: string): string => ROUTES.adminRecording.replace(':callSid', encodeURIComponent(callSid));

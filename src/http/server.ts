import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { CallRegistry } from '../calls/callRegistry.js';
import type { Database } from '../db/orm.js';
import type { RecordingRepository } from '../db/recordingRepository.js';
import type { RecordingStore } from '../recordings/recordingStore.js';
import { adminRecordingHandler } from './adminRecordingRoute.js';
import { registerAdminApi, type AdminApiDeps } from './adminApi.js';
import { StreamTokens } from '../security/streamTokens.js';
import { mediaStreamBehavior, type StreamClaimer, type StreamSocketData } from './mediaStreamSocket.js';
import { recordingWebhookHandler, type VoicemailReader } from './recordingWebhook.js';
import { smsWebhookHandler } from './smsWebhook.js';
import type { SmsConversations } from '../sms/smsConversations.js';
import type { Metrics } from './metrics.js';
import { metricsHandler } from './metricsRoute.js';
import { respondJson, respondText } from './respond.js';
import { uWS, type TemplatedApp, type us_listen_socket } from './uws.js';
import { ROUTES } from './routes.js';
import { afterStreamHandler, voiceWebhookHandler } from './voiceWebhooks.js';

/** What `/readyz` reports: ready while the database or the spool can keep a lead. */
export interface Readiness {
  ready: boolean;
  database: 'ok' | 'unavailable';
  spool: 'ok' | 'unwritable' | 'not checked';
}

export interface ServerDeps {
  config: Config;
  logger: Logger;
  registry: CallRegistry;
  metrics: Metrics;
  db: Database;
  sms: SmsConversations;
  /** Asks the database (and, when it does not answer, the spool) whether a new call's lead could be kept. */
  readiness: () => Promise<Readiness>;
  /** Where recordings are listed and kept, for the admin download. */
  recordings: { repository: RecordingRepository; store: RecordingStore };
  /** Reads a voicemail for its call's lead, in the background (src/voicemail). */
  readVoicemail?: VoicemailReader;
  /** Claims a call's stream in its session row for this instance (adoption across instances). */
  claimStream: StreamClaimer;
  /** Whether a call another instance ran should hear the apology after its stream. */
  apologyElsewhere?: (callSid: string) => Promise<boolean>;
  /** The operations console (/admin): who may use it, what it does, its page. Without it there is no console. */
  admin?: Omit<AdminApiDeps, 'logger'>;
}

export interface HttpServer {
  readonly port: number;
  close(): void;
}

/** Builds the app (on the transport uws.ts chose): Twilio webhooks, the media stream socket, health, readiness and metrics. */
export function createApp(deps: ServerDeps): TemplatedApp {
  const app = uWS.App();
  // A stream token lives as long as Twilio may take to open the stream after the webhook.
  const streamTokens = new StreamTokens(deps.config.PREWARM_TTL_MS);
  app.post(ROUTES.voiceWebhook, voiceWebhookHandler({ ...deps, streamTokens }));
  app.post(ROUTES.afterStream, afterStreamHandler({ ...deps, streamTokens }));
  app.post(ROUTES.recording, recordingWebhookHandler(deps));
  app.post(ROUTES.sms, smsWebhookHandler(deps));
  app.ws<StreamSocketData>(ROUTES.stream, mediaStreamBehavior({ ...deps, streamTokens }));

  app.get(ROUTES.healthz, (res) => {
    respondJson(res, { aborted: false }, 200, { status: 'ok' });
  });
  // Ready while a new call's lead can be kept: the database answers, or the spool holds its disk reserve. With
  // neither, new calls hear the busy message (CallRegistry), and this fails so traffic goes elsewhere.
  app.get(ROUTES.readyz, (res) => {
    const state = { aborted: false };
    res.onAborted(() => {
      state.aborted = true;
    });
    deps
      .readiness()
      .then(({ ready, database, spool }) =>
        respondJson(res, state, ready ? 200 : 503, { status: ready ? 'ready' : 'cannot keep leads', database, spool, calls: deps.registry.size }),
      )
      .catch(() => respondJson(res, state, 503, { status: 'readiness check failed' }));
  });
  app.get(ROUTES.metrics, metricsHandler({ metrics: deps.metrics, logger: deps.logger, token: deps.config.METRICS_TOKEN }));
  // The console answers 404 while it is off: no operator account and no ADMIN_TOKEN (bootstrap says so at start-up).
  const admin = deps.admin;
  if (admin !== undefined) {
    app.get(
      ROUTES.adminRecording,
      adminRecordingHandler({
        logger: deps.logger,
        gate: admin.gate,
        recordings: deps.recordings.repository,
        store: deps.recordings.store,
        onPlay: async (principal, callSid, kind) => {
          await admin.services.audit.record({ operator: principal.name, action: 'recording.play', sessionKey: callSid, detail: { kind } });
        },
      }),
    );
    registerAdminApi(app, { ...admin, logger: deps.logger });
  }
  app.any('/*', (res) => {
    respondText(res, { aborted: false }, 404, 'not found');
  });
  return app;
}

/** Listens on host:port (0 picks a free port). */
export function listen(app: TemplatedApp, host: string, port: number): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    app.listen(host, port, (socket: us_listen_socket | false) => {
      if (socket === false) {
        reject(new Error(`cannot listen on ${host}:${port}`));
        return;
      }
      resolve({
        port: uWS.us_socket_local_port(socket),
        close: () => uWS.us_listen_socket_close(socket),
      });
    });
  });
}

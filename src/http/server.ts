import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { CallRegistry } from '../calls/callRegistry.js';
import type { Database } from '../db/orm.js';
import { StreamTokens } from '../security/streamTokens.js';
import { mediaStreamBehavior, type StreamSocketData } from './mediaStreamSocket.js';
import { recordingWebhookHandler } from './recordingWebhook.js';
import { smsWebhookHandler } from './smsWebhook.js';
import type { SmsConversations } from '../sms/smsConversations.js';
import type { Metrics } from './metrics.js';
import { respondJson, respondText } from './respond.js';
import { uWS, type TemplatedApp, type us_listen_socket } from './uws.js';
import { ROUTES } from './routes.js';
import { afterStreamHandler, voiceWebhookHandler } from './voiceWebhooks.js';

export interface ServerDeps {
  config: Config;
  logger: Logger;
  registry: CallRegistry;
  metrics: Metrics;
  db: Database;
  sms: SmsConversations;
}

export interface HttpServer {
  readonly port: number;
  close(): void;
}

/** Builds the uWS app: Twilio webhooks, the media stream socket, health, readiness and metrics. */
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
  // The server is created after the migrations ran, so ready means the database still answers.
  app.get(ROUTES.readyz, (res) => {
    const state = { aborted: false };
    res.onAborted(() => {
      state.aborted = true;
    });
    deps.db
      .ping()
      .then(() => respondJson(res, state, 200, { status: 'ready', calls: deps.registry.size }))
      .catch(() => respondJson(res, state, 503, { status: 'database unavailable' }));
  });
  app.get(ROUTES.metrics, (res) => {
    respondText(res, { aborted: false }, 200, deps.metrics.render());
  });
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
        port: uWS.us_socket_local_port(socket as unknown as Parameters<typeof uWS.us_socket_local_port>[0]),
        close: () => uWS.us_listen_socket_close(socket),
      });
    });
  });
}

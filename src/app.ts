import type { InspectionEvent, Observer } from 'xstate';
import twilio from 'twilio';
import type { CallOutput } from '../machines/callTypes.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { reasonOf } from './errors.js';
import type { Call } from './calls/call.js';
import type { CallControl, CallDeps, CallExtractor } from './calls/callActors.js';
import { CallRegistry } from './calls/callRegistry.js';
import { initORM, type Database } from './db/orm.js';
import { createApp, listen, type HttpServer } from './http/server.js';
import { Metrics } from './http/metrics.js';
import { uwsIsNative } from './http/uws.js';
import { createExtractor } from './leads/extractLead.js';
import { LeadStore } from './leads/leadStore.js';
import { createNpaClient, npaOptionsFrom } from './leads/npaClient.js';
import { createModelConnector, type ModelConnector } from './realtime/modelConnection.js';
import { buildSessionUpdate } from './realtime/sessionConfig.js';

/** Parts a test or the demo may replace; everything else is built from the config. */
export interface AppOverrides {
  db?: Database;
  connector?: ModelConnector;
  extractor?: CallExtractor;
  callControl?: CallControl | null;
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  onCallDone?: (call: Call, output: CallOutput) => void;
}

export interface App {
  readonly port: number;
  readonly url: string;
  readonly db: Database;
  readonly store: LeadStore;
  readonly registry: CallRegistry;
  readonly metrics: Metrics;
  /** Stops taking calls, lets live calls save their leads (up to `drainMs`), closes the database. */
  close(drainMs?: number): Promise<void>;
}

/** Builds and starts the whole service: database and migrations, call registry, HTTP and WebSocket server. */
export async function bootstrap(config: Config, logger: Logger, overrides: AppOverrides = {}): Promise<App> {
  if (!uwsIsNative) logger.warn('uWebSockets.js native binary not loaded: running on the slow JavaScript fallback');
  if (config.TWILIO_AUTH_TOKEN === undefined) {
    logger.warn('TWILIO_AUTH_TOKEN is not set: Twilio requests are NOT verified');
  } else if (config.PUBLIC_URL === undefined) {
    logger.warn('PUBLIC_URL is not set: signed Twilio requests cannot be verified and will be refused');
  }

  let ready = false;
  const db = overrides.db ?? (await initORM(config, { logger }));
  ready = true;
  const store = new LeadStore(db);
  const metrics = new Metrics();
  const npa = createNpaClient(npaOptionsFrom(config, logger));
  const deps: CallDeps = {
    config,
    logger,
    connector:
      overrides.connector ??
      createModelConnector({
        url: config.OPENAI_REALTIME_URL,
        model: config.OPENAI_REALTIME_MODEL,
        apiKey: config.OPENAI_API_KEY,
      }),
    extractor: overrides.extractor ?? createExtractor(config, { logger }),
    pipeline: { db, store, npa, logger },
    callControl: overrides.callControl === undefined ? twilioCallControl(config) : overrides.callControl,
    sessionUpdate: JSON.stringify(buildSessionUpdate({ voice: config.OPENAI_REALTIME_VOICE })),
  };
  const registry = new CallRegistry({
    deps,
    maxCalls: config.MAX_CALLS,
    timeouts: {
      modelConnectMs: config.MODEL_CONNECT_TIMEOUT_MS,
      streamStartMs: config.PREWARM_TTL_MS,
      maxCallMs: config.MAX_CALL_MS,
      goodbyePlaybackMs: config.GOODBYE_PLAYBACK_TIMEOUT_MS,
      transcriptWaitMs: config.TRANSCRIPT_WAIT_MS,
      extractionMs: config.EXTRACTION_TIMEOUT_MS,
      submissionMs: config.SUBMISSION_TIMEOUT_MS,
    },
    ...(overrides.inspect ? { inspect: overrides.inspect } : {}),
    onCallDone: (call, output) => {
      metrics.count(`leads_${output.outcome}_total`);
      if (output.outcome === 'lost') call.logger.error({ event: 'lead_lost', reason: output.reason }, 'lead_lost');
      overrides.onCallDone?.(call, output);
    },
  });
  metrics.gauge('calls_live', () => registry.size);

  const uwsApp = createApp({ config, logger, registry, metrics, db, isReady: () => ready });
  let server: HttpServer;
  try {
    server = await listen(uwsApp, config.HOST, config.PORT);
  } catch (error) {
    await db.close();
    throw error;
  }
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;
  logger.info({ port: server.port, database: db.kind, uwsNative: uwsIsNative }, 'server listening');

  return {
    port: server.port,
    url: `http://${host}:${server.port}`,
    db,
    store,
    registry,
    metrics,
    async close(drainMs = 30_000) {
      server.close();
      const drained = await Promise.race([
        registry.drain().then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), drainMs).unref()),
      ]);
      if (!drained) logger.warn({ live: registry.size }, 'drain timeout: calls still live at shutdown');
      registry.clear();
      if (!overrides.db) await db.close();
    },
  };
}

/** Ends calls through Twilio's REST API when credentials are configured. */
function twilioCallControl(config: Config): CallControl | null {
  if (config.TWILIO_SID === undefined || config.TWILIO_AUTH_TOKEN === undefined) return null;
  const client = twilio(config.TWILIO_SID, config.TWILIO_AUTH_TOKEN);
  return {
    async endCall(callSid) {
      try {
        await client.calls(callSid).update({ status: 'completed' });
      } catch (error) {
        throw new Error(`Twilio REST hang-up failed: ${reasonOf(error)}`);
      }
    },
  };
}

import type { InspectionEvent, Observer } from 'xstate';
import { join } from 'node:path';
import twilio from 'twilio';
import type { CallOutput } from '../machines/callTypes.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { reasonOf } from './errors.js';
import type { Call } from './calls/call.js';
import type { CallControl, CallDeps } from './calls/callDeps.js';
import { CallRegistry } from './calls/callRegistry.js';
import { apologyFromSession } from './calls/apologyFromSession.js';
import { initORM, type Database } from './db/orm.js';
import { createRepositories, type Repositories } from './db/repositories.js';
import { createApp, listen, type HttpServer, type Readiness } from './http/server.js';
import { SmsConversations } from './sms/smsConversations.js';
import { Metrics } from './http/metrics.js';
import { cachedReading } from './http/cachedReading.js';
import { timedExtractor } from './calls/timedExtractor.js';
import { transportKind, transportReason, uwsIsNative } from './http/uws.js';
import { createExtractor, type Extractor } from './extraction/extractor.js';
import { createNpaClient, npaOptionsFrom } from './npa/npaClient.js';
import { createModelConnector, type ModelConnector } from './realtime/modelConnection.js';
import { buildSessionUpdate } from './realtime/sessionConfig.js';
import { createLeadOutbox, type LeadOutbox } from './outbox/leadOutbox.js';
import { LeadIntake } from './outbox/leadIntake.js';
import { LeadSpool } from './outbox/leadSpool.js';
import type { SpoolWriter } from './outbox/spoolWriter.js';
import { OutboxWorker } from './outbox/outboxWorker.js';
import { InstanceHeartbeat, randomInstanceId } from './outbox/instanceHeartbeat.js';
import { sweepAbandonedCalls, sweepAbandonedSmsConversations } from './outbox/recoverySweep.js';
import { reliabilityOf, type ReliabilityConfig } from './outbox/reliabilityConfig.js';
import { createRecordingStore } from './recordings/createRecordingStore.js';
import { recordingStoreOptions } from './recordings/recordingStoreConfig.js';
import { RecordingArchive } from './recordings/recordingArchive.js';
import type { RecordingStore } from './recordings/recordingStore.js';
import { greetingPrompt } from './realtime/agentInstructions.js';
import { readVoicemail } from './voicemail/voicemailLead.js';
import { voicemailServicesFrom } from './voicemail/voicemailServices.js';
import { LiveCalls } from './admin/liveCalls.js';
import { LoginLimiter } from './admin/loginLimiter.js';
import { OperatorAccounts, SESSION_LIFETIME_MS } from './admin/operatorAccounts.js';
import { AdminGate } from './http/adminGate.js';
import { loadAdminAssets } from './http/adminAssets.js';
import { consoleServices } from './consoleServices.js';

/** Parts a test or the demo may replace; everything else is built from the config. */
export interface AppOverrides {
  db?: Database;
  connector?: ModelConnector;
  extractor?: Extractor;
  callControl?: CallControl | null;
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  onCallDone?: (call: Call, output: CallOutput) => void;
  /** Durability knobs (outbox, recovery, drain); defaults from DEFAULT_RELIABILITY. */
  reliability?: Partial<ReliabilityConfig>;
  /** How the spool writes to disk (tests: a disk that fills up); the real file system by default. */
  spoolWriter?: SpoolWriter;
  /** Where recordings are kept; built from the config (RECORDINGS_DIR or RECORDINGS_S3_*) by default. */
  recordingStore?: RecordingStore;
}

export interface App {
  readonly port: number;
  readonly url: string;
  /** This process in the instances table (INSTANCE_ID, or random at start). */
  readonly instanceId: string;
  readonly db: Database;
  readonly repos: Repositories;
  readonly registry: CallRegistry;
  readonly metrics: Metrics;
  readonly outbox: LeadOutbox;
  readonly intake: LeadIntake;
  readonly worker: OutboxWorker;
  readonly spool: LeadSpool;
  /** Call and voicemail recordings: their store, the partial files a crash left, the retention sweep. */
  readonly recordings: RecordingArchive;
  /** Operator accounts of the console (what `leads operators` does, for tests and the demo). */
  readonly operators: OperatorAccounts;
  /** The calls live on this instance, as the console's live view shows them. */
  readonly live: LiveCalls;
  /**
   * One round of upkeep: check both stores (remaking the spool's reserve), store the leads held in memory, replay
   * the spool into the database, then recover abandoned calls and texts.
   */
  maintain(): Promise<void>;
  /**
   * Stops taking calls (the webhook answers busy), lets live calls save their leads (up to `drainMs`, default
   * DRAIN_TIMEOUT_MS), finishes the outbox passes under way, stores the leads held in memory (database, else
   * spool), replays the spool once more, closes the database.
   */
  close(drainMs?: number): Promise<void>;
  /** The second signal: waits only for spool writes under way (so none is torn), at most `maxMs`; held leads are lost. */
  abort(maxMs?: number): Promise<void>;
}

/** Builds and starts the whole service: database and migrations, call registry, HTTP and WebSocket server. */
export async function bootstrap(config: Config, logger: Logger, overrides: AppOverrides = {}): Promise<App> {
  logger.info({ transport: transportKind, reason: transportReason }, 'HTTP and WebSocket transport chosen');
  // With a token, parseConfig has made sure PUBLIC_URL is set (Twilio signs it).
  if (config.TWILIO_AUTH_TOKEN === undefined) logger.warn('TWILIO_AUTH_TOKEN is not set: Twilio requests are NOT verified');

  const db = overrides.db ?? (await initORM(config, { logger }));
  const repos = createRepositories(db);
  const metrics = new Metrics();
  const npa = createNpaClient({ ...npaOptionsFrom(config, logger), onRequest: (ms, result) => metrics.npaRequestObserved(ms, result) });
  const reliability: ReliabilityConfig = { ...reliabilityOf(config), ...overrides.reliability };
  const instanceId = config.INSTANCE_ID ?? randomInstanceId();
  const outbox = createLeadOutbox({ ...config, ...reliability }, { repos, npa, logger }, { instanceId });
  const spool = new LeadSpool(config.DATA_DIR, logger, {
    maxTries: config.SPOOL_MAX_TRIES,
    reserveBytes: config.SPOOL_RESERVE_BYTES,
    ...(overrides.spoolWriter ? { writer: overrides.spoolWriter } : {}),
  });
  // Before the first call: the spool's disk space is held before it is needed.
  if (!(await spool.ensureReserve())) logger.warn({ bytes: config.SPOOL_RESERVE_BYTES }, 'spool reserve could not be made: the spool is not ready');
  const intake = new LeadIntake({ repos, outbox, spool, logger, memoryQueueMax: config.LEAD_MEMORY_QUEUE_MAX });
  const worker = new OutboxWorker(outbox, logger, reliability.OUTBOX_POLL_MS);
  const extractor = overrides.extractor ?? createExtractor(config, { logger });
  // Recordings being written (one file per live call) and voicemails being downloaded: local to this instance.
  const recordingsWorkDir = join(config.DATA_DIR, 'recordings-partial');
  const recordings = new RecordingArchive({
    store: overrides.recordingStore ?? createRecordingStore(recordingStoreOptions(config)),
    workDir: recordingsWorkDir,
    recordings: repos.recordings,
    sessions: repos.sessions,
    logger,
  });
  const recordingOn = config.RECORDING === 'on' && (await recordings.prepare());
  logger.info({ event: 'recording', status: recordingOn ? 'on' : 'off', store: recordings.store.kind }, recordingOn ? 'calls are recorded' : 'calls are not recorded');
  const live = new LiveCalls({ instanceId });
  const deps: CallDeps = {
    logger,
    connector:
      overrides.connector ??
      createModelConnector({
        url: config.OPENAI_REALTIME_URL,
        model: config.OPENAI_REALTIME_MODEL,
        apiKey: config.OPENAI_API_KEY,
      }),
    extractor: timedExtractor(extractor, (ms, source) => metrics.extractionObserved(ms, source, 'voice')),
    intake,
    sessions: repos.sessions,
    heartbeatMs: reliability.HEARTBEAT_MS,
    instanceId,
    refusedStates: config.REFUSED_STATES,
    callControl: overrides.callControl === undefined ? twilioCallControl(config) : overrides.callControl,
    sessionUpdate: JSON.stringify(buildSessionUpdate({ voice: config.OPENAI_REALTIME_VOICE })),
    observeWait: (kind, ms) => metrics.waitObserved(kind, ms),
    greetingPrompt: greetingPrompt(recordingOn ? config.RECORDING_NOTICE : null),
    ...(recordingOn ? { recordings } : {}),
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
      dbWriteMs: config.DB_WRITE_TIMEOUT_MS,
      submissionMs: config.SUBMISSION_TIMEOUT_MS,
    },
    // The console's live view hears every call actor's events; a test's or the demo's inspector hears them too.
    inspect: (event) => {
      live.inspect(event);
      const extra = overrides.inspect;
      if (typeof extra === 'function') extra(event);
      else extra?.next?.(event);
    },
    canKeepLeads: () => intake.canKeepLeads(),
    onCallDone: (call, output, lifetimeMs) => {
      // A call handed off to the instance that took its stream has no lead here: that instance counts it.
      if (output.outcome === 'handed-off') metrics.count('calls_handed_off_total');
      else metrics.callEnded({ ...output, durationMs: lifetimeMs });
      if (output.outcome === 'lost') call.logger.error({ event: 'lead_lost', reason: output.reason }, 'lead_lost');
      overrides.onCallDone?.(call, output);
    },
  });
  metrics.gauge('calls_live', () => registry.size);
  metrics.gauge('spool_queued', () => spool.queuedCount);
  metrics.gauge('spool_dead_letters', () => spool.deadLetterCount);
  metrics.gauge('leads_held_in_memory', () => intake.heldCount);
  metrics.gauge('spool_ready', () => (spool.ready ? 1 : 0));
  metrics.gauge('outbox_pending', cachedReading(() => repos.outbox.countPending()));
  metrics.gauge('leads_in_review', cachedReading(() => repos.decisions.countOpenReviews()));
  metrics.gauge('uws_native', () => (uwsIsNative ? 1 : 0));

  /** Asks both stores whether they can write now (the spool only when the database cannot), and notes it. */
  const checkStores = async (): Promise<Readiness> => {
    const database = await db.ping().then(
      () => true,
      () => false,
    );
    intake.noteDatabase(database);
    const spoolReady = database ? spool.ready : await spool.ensureReserve();
    return {
      ready: database || spoolReady,
      database: database ? 'ok' : 'unavailable',
      spool: spoolReady ? 'ok' : database ? 'not checked' : 'unwritable',
    };
  };

  // Texts are read by the same extractor as calls; without a key they are read offline, exactly as before.
  const smsLlm =
    config.OPENAI_API_KEY === undefined
      ? null
      : {
          extractor: timedExtractor(extractor, (ms, source) => metrics.extractionObserved(ms, source, 'sms')),
          turnWaitMs: config.SMS_LLM_TURN_WAIT_MS,
          voteWaitMs: config.SMS_LLM_VOTE_WAIT_MS,
        };
  const sms = new SmsConversations({ sessions: repos.sessions, intake, logger, llm: smsLlm, refusedStates: config.REFUSED_STATES });
  // Voicemails left after a model failure, read in the background; shutdown waits for them (bounded).
  const voicemails = new Set<Promise<unknown>>();
  const voicemailDeps = {
    repos,
    outbox,
    extractor,
    archive: recordings,
    services: voicemailServicesFrom(config),
    logger,
    workDir: recordingsWorkDir,
  };
  const startVoicemail = (input: { callSid: string; recordingSid: string; recordingUrl: string; durationSeconds: number | null }): void => {
    const task = readVoicemail(voicemailDeps, input).finally(() => voicemails.delete(task));
    voicemails.add(task);
  };
  // The operations console (/admin): operator accounts, or ADMIN_TOKEN for automation; off (404) with neither.
  const operators = new OperatorAccounts(repos, { limiter: new LoginLimiter() });
  const gate = new AdminGate(
    {
      sessionFor: (secret) => operators.sessionFor(secret),
      operatorForToken: (token) => operators.operatorForToken(token),
      count: async () => (await operators.listOperators()).length,
    },
    config.ADMIN_TOKEN,
  );
  const admin = {
    gate,
    services: consoleServices({ config, logger, repos, outbox, accounts: operators, live, instanceId, graceMs: reliability.RECOVERY_GRACE_MS }),
    assets: await loadAdminAssets(),
    secureCookie: config.PUBLIC_URL?.startsWith('https:') ?? false,
    sessionSeconds: Math.floor(SESSION_LIFETIME_MS / 1000),
    trustProxyHops: config.TRUST_PROXY_HOPS,
  };
  const uwsApp = createApp({
    config,
    logger,
    registry,
    metrics,
    db,
    sms,
    readiness: checkStores,
    recordings: { repository: repos.recordings, store: recordings.store },
    readVoicemail: startVoicemail,
    claimStream: (callSid, claim) => repos.sessions.claimStream(callSid, { ...claim, instanceId }),
    apologyElsewhere: (callSid) => apologyFromSession(repos.sessions, callSid),
    admin,
  });
  // The gate's own rule, its count not kept: an operator added right after start turns the console on at once.
  const consoleOn = await gate.enabled();
  gate.forgetCount();
  if (!consoleOn) {
    logger.warn('the operations console (/admin) is off: no operator account and no ADMIN_TOKEN (add one with `leads operators add NAME`)');
  }
  let server: HttpServer;
  let instance: InstanceHeartbeat | undefined;
  try {
    // Registered before the first call, sweep or claim; a previous run under this id left its claims: free them now.
    instance = await InstanceHeartbeat.start(repos.instances, { id: instanceId, heartbeatMs: reliability.HEARTBEAT_MS, logger });
    const releasedClaims = await outbox.releaseOwnClaims();
    logger.info({ event: 'instance_started', instanceId, releasedClaims }, 'instance started');
    server = await listen(uwsApp, config.HOST, config.PORT);
  } catch (error) {
    await instance?.stop();
    await db.close();
    throw error;
  }

  const replaySpool = () => spool.replay((record) => intake.replay(record));
  /** Leads held in memory go to the database, else the spool; at shutdown, what neither takes is lost, loudly. */
  const storeHeld = async (atShutdown: boolean): Promise<number> => {
    if (intake.heldCount === 0) return 0;
    const { stored, spooled, left } = await intake.retryHeld();
    if (atShutdown) {
      for (const lead of left) {
        logger.error({ event: 'lead_lost', leadId: lead.id, reason: 'shutdown: neither the database nor the spool could take the lead' }, 'lead_lost');
      }
      if (left.length > 0) metrics.leadsEnded('lost', 'shutdown: neither the database nor the spool could take the lead', left.length);
    }
    return stored + spooled;
  };
  let lastRetentionSweep = 0;
  const maintain = async (): Promise<void> => {
    try {
      await checkStores();
      await spool.ensureReserve();
      const fromMemory = await storeHeld(false);
      const { replayed, dead } = await replaySpool();
      if (replayed > 0) metrics.count('leads_spool_replayed_total', replayed);
      if (dead > 0) metrics.count('leads_spool_dead_total', dead);
      // The sweeps run whatever the spool holds; they leave alone the sessions whose lead is in it (a rebuild from
      // the session's stale row would take the spooled lead's id), and the calls live here.
      const recovered = await sweepAbandonedCalls(
        { repos, intake, logger, refusedStates: config.REFUSED_STATES },
        { instanceId, graceMs: reliability.RECOVERY_GRACE_MS, isLive: (key) => registry.get(key) !== undefined, held: spool },
      );
      if (recovered > 0) metrics.count('leads_recovered_total', recovered);
      // Recordings a crash left on this machine's disk go to the store (their calls are not live here any more).
      await recordings.recoverPartials((callSid) => registry.get(callSid) !== undefined);
      if (Date.now() - lastRetentionSweep >= RETENTION_SWEEP_EVERY_MS) {
        lastRetentionSweep = Date.now();
        await recordings
          .sweepExpired(config.RECORDING_RETENTION_DAYS)
          .catch((error: unknown) => logger.warn({ err: reasonOf(error) }, 'recording retention sweep failed; will try again tomorrow'));
      }
      const texts = await sweepAbandonedSmsConversations({ repos, intake, logger, refusedStates: config.REFUSED_STATES }, { idleMs: config.SMS_ABANDON_MS, held: spool });
      if (texts > 0) metrics.count('leads_sms_abandoned_total', texts);
      if (fromMemory + replayed + recovered + texts > 0) worker.kick();
    } catch (error) {
      logger.warn({ err: reasonOf(error) }, 'reliability upkeep failed; will try again');
    }
  };
  worker.start();
  let upkeep: Promise<void> = maintain();
  const upkeepTimer = setInterval(() => {
    upkeep = upkeep.then(maintain);
  }, reliability.RECOVERY_SWEEP_MS);
  upkeepTimer.unref();
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;
  logger.info({ port: server.port, database: db.kind, transport: transportKind }, 'server listening');
  if (consoleOn) logger.info({ url: `http://${host}:${server.port}/admin` }, 'operations console on');

  return {
    port: server.port,
    url: `http://${host}:${server.port}`,
    instanceId,
    db,
    repos,
    registry,
    metrics,
    outbox,
    intake,
    worker,
    spool,
    recordings,
    operators,
    live,
    maintain: () => (upkeep = upkeep.then(maintain)),
    async close(drainMs = reliability.DRAIN_TIMEOUT_MS) {
      // The server stays open while draining: new calls hear the busy message, live calls keep their streams.
      const drained = await Promise.race([
        registry.drain().then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), drainMs).unref()),
      ]);
      // Calls still live lose their process, not their lead: the transcript is in their session for the sweep.
      if (!drained) logger.warn({ live: registry.size }, 'drain timeout: calls still live at shutdown');
      server.close();
      clearInterval(upkeepTimer);
      await upkeep;
      // A voicemail being read finishes (its lead may be sent) before the outbox stops; bounded by the drain.
      await Promise.race([Promise.allSettled([...voicemails]), new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
      await worker.stop();
      // Flush: leads held in memory go to the database or the spool; anything spooled goes in now if it can.
      await storeHeld(true).catch((error: unknown) => logger.error({ err: reasonOf(error) }, 'storing held leads at shutdown failed'));
      await replaySpool().catch((error: unknown) => logger.warn({ err: reasonOf(error) }, 'spool replay at shutdown failed; kept on disk'));
      registry.clear();
      live.stop();
      await instance?.stop();
      if (!overrides.db) await db.close();
    },
    async abort(maxMs = 1_000) {
      await Promise.race([spool.flush(), new Promise((resolve) => setTimeout(resolve, maxMs).unref())]);
      // No time to store them: the leads held in memory go with the process.
      if (intake.heldCount > 0) {
        logger.error({ event: 'lead_lost', held: intake.heldCount, reason: 'second signal: leads held in memory not stored' }, 'lead_lost');
        metrics.leadsEnded('lost', 'second signal: leads held in memory not stored', intake.heldCount);
      }
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

/** The retention sweep runs at start and then once a day. */
const RETENTION_SWEEP_EVERY_MS = 24 * 60 * 60_000;


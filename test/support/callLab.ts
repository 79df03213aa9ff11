import { join } from 'node:path';
import { Call } from '../../src/calls/call.js';
import { callActors } from '../../src/calls/callActors.js';
import type { CallControl, CallDeps } from '../../src/calls/callDeps.js';
import type { Repositories } from '../../src/db/repositories.js';
import { createExtractor, type Extractor } from '../../src/extraction/extractor.js';
import { startFakeNpa, type FakeNpa } from '../../src/fakes/fakeNpa.js';
import type { Turn } from '../../src/leads/lead.js';
import type { Logger } from '../../src/log.js';
import { createNpaClient } from '../../src/npa/npaClient.js';
import { LeadSpool } from '../../src/outbox/leadSpool.js';
import { buildSessionUpdate } from '../../src/realtime/sessionConfig.js';
import { callMachine } from '../../machines/callMachine.js';
import type { CallTimeouts } from '../../machines/callTypes.js';
import { FakeModelConnector } from './fakeModelConnector.js';
import { leadStack } from './leadStack.js';
import { modelEvents as m, numberedFrame } from './relayFakes.js';
import type { TestDatabase } from './testDatabase.js';

/** Every call timeout well past any test's own timeout: a call that ends, ends by what the test did. */
export const CALM_TIMEOUTS: CallTimeouts = {
  modelConnectMs: 60_000,
  streamStartMs: 60_000,
  maxCallMs: 60_000,
  goodbyePlaybackMs: 60_000,
  transcriptWaitMs: 60_000,
  extractionMs: 60_000,
  dbWriteMs: 60_000,
  submissionMs: 60_000,
};

/** An in-memory CallControl: records the REST hang-ups asked for, and can fail them. */
export class RecordingCallControl implements CallControl {
  readonly ended: string[] = [];
  failWith: Error | null = null;

  async endCall(callSid: string): Promise<void> {
    this.ended.push(callSid);
    if (this.failWith !== null) throw this.failWith;
  }
}

export interface CallLab {
  deps: CallDeps;
  connector: FakeModelConnector;
  callControl: RecordingCallControl;
  repos: Repositories;
  npa: FakeNpa;
  spool: LeadSpool;
  close(): Promise<void>;
}

/**
 * What a call runs on, the way the app builds it, over the test database: the real repositories, outbox and
 * LeadIntake (with a spool in the database's DATA_DIR), the fake NPA server, the offline extractor; the model
 * connector and Twilio's REST hang-up are in-memory fakes of their interfaces.
 */
export async function startCallLab(
  database: TestDatabase,
  options: { logger?: Logger; extractor?: Extractor; heartbeatMs?: number } = {},
): Promise<CallLab> {
  const logger = options.logger ?? database.logger;
  const npa = await startFakeNpa({ username: 'psb', password: 'pw' });
  const npaClient = createNpaClient({ url: npa.url, username: 'psb', password: 'pw', timeoutMs: 5_000, maxAttempts: 1, logger });
  const spool = new LeadSpool(join(database.dataDir, `spool-${Math.random().toString(16).slice(2)}`), logger);
  const { repos, intake } = leadStack(database.db, npaClient, logger, { maxAttempts: 1, spool });
  const connector = new FakeModelConnector();
  const callControl = new RecordingCallControl();
  const deps: CallDeps = {
    logger,
    connector,
    extractor: options.extractor ?? createExtractor(database.config, { logger, client: null }),
    intake,
    sessions: repos.sessions,
    instanceId: 'call-lab',
    callControl,
    sessionUpdate: JSON.stringify(buildSessionUpdate({ voice: 'alloy' })),
    heartbeatMs: options.heartbeatMs ?? 3_600_000,
  };
  return { deps, connector, callControl, repos, npa, spool, close: () => npa.close() };
}

/**
 * Calls over one CallDeps outside a registry: the machine is provided once with the real implementations, which
 * find their call by CallSid here (as the registry does).
 */
export class CallBench {
  private readonly calls = new Map<string, Call>();
  private readonly machine: ReturnType<typeof callMachine.provide>;

  constructor(private readonly deps: CallDeps) {
    this.machine = callMachine.provide(
      callActors((callSid) => {
        const call = this.calls.get(callSid);
        if (call === undefined) throw new Error('call is not live in this process');
        return call;
      }, deps),
    );
  }

  /** Creates and starts a call (or, with `register: false`, one its implementations cannot find). */
  start(options: {
    callSid: string;
    callerPhone?: string | null;
    leadId: string;
    timeouts?: Partial<CallTimeouts>;
    register?: boolean;
  }): Call {
    const call = new Call(this.deps, {
      callSid: options.callSid,
      callerPhone: options.callerPhone ?? null,
      leadId: options.leadId,
      timeouts: { ...CALM_TIMEOUTS, ...options.timeouts },
      machine: this.machine,
    });
    if (options.register !== false) this.calls.set(options.callSid, call);
    return call.start();
  }
}

/**
 * The model's events for a conversation, as the Realtime API sends them: each turn a conversation item chained to
 * the one before; the agent's turns with audio (a delta, its transcript, audio done), the caller's with their
 * transcription. `pendingCaller` leaves the caller turns at those indexes untranscribed (their item only).
 */
export function conversationEvents(turns: Turn[], options: { pendingCaller?: number[]; idPrefix?: string } = {}): string[] {
  const prefix = options.idPrefix ?? 'item';
  return turns.flatMap((turn, i) => {
    const id = `${prefix}_${i}`;
    const previous = i === 0 ? null : `${prefix}_${i - 1}`;
    if (turn.role === 'user') {
      const added = m.itemAdded(id, 'user', previous);
      return options.pendingCaller?.includes(i) ? [added] : [added, m.callerTranscript(id, turn.text)];
    }
    return [m.itemAdded(id, 'assistant', previous), m.audioDelta(id, numberedFrame(i)), m.agentTranscriptDone(id, turn.text), m.audioDone(id)];
  });
}

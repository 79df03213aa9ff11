import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startFakeNpa, type FakeNpa } from '../../src/fakes/fakeNpa.js';
import { chatResponderFromExtractor, startFakeOpenAI, type FakeOpenAI } from '../../src/fakes/fakeOpenAI.js';
import { FakeTwilioCaller } from '../../src/fakes/fakeTwilioCaller.js';
import { extractOffline } from '../../src/extraction/offline/extractOffline.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { ROUTES } from '../../src/http/routes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The real server (by default `node --import tsx src/main.ts`) in a child process, configured only by its environment. */
export class ServerProcess {
  readonly logs: Array<Record<string, unknown>> = [];
  private exitPromise: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  ) {
    this.exitPromise = exit;
  }

  /**
   * Starts it and resolves once it logs `server listening` (with the port it chose). `command` replaces the
   * arguments after node (default: the sources through tsx), run in `cwd` (default: the repository).
   */
  static start(env: Record<string, string>, command: { args?: string[]; cwd?: string } = {}): Promise<ServerProcess> {
    const child = spawn(process.execPath, command.args ?? ['--import', 'tsx', 'src/main.ts'], {
      cwd: command.cwd ?? ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs: Array<Record<string, unknown>> = [];
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve, reject) => {
      let server: ServerProcess | undefined;
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return;
        }
        (server?.logs ?? logs).push(entry);
        if (!server && entry['msg'] === 'server listening') {
          server = new ServerProcess(child, Number(entry['port']), exit);
          server.logs.push(...logs);
          resolve(server);
        }
      });
      void exit.then(({ code, signal }) => {
        if (!server) reject(new Error(`server exited before listening (code ${code}, signal ${signal}): ${stderr.slice(-2000)}`));
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exitPromise;
  }

  /** SIGKILL: no handler runs, nothing is flushed. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exitPromise;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Twilio's voice webhook, as Twilio posts it. */
  async webhook(callSid: string, from: string): Promise<{ status: number; body: string }> {
    const response = await fetch(`${this.url}${ROUTES.voiceWebhook}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ CallSid: callSid, From: from, To: '+18005550100', AccountSid: 'AC_test' }),
    });
    return { status: response.status, body: await response.text() };
  }

  /** Places the call: webhook, then the media stream, streaming caller audio. */
  async call(callSid: string, from: string): Promise<FakeTwilioCaller> {
    const hook = await this.webhook(callSid, from);
    if (hook.status !== 200 || !hook.body.includes('<Stream')) throw new Error(`webhook answered ${hook.status}: ${hook.body}`);
    const caller = await FakeTwilioCaller.connect({ url: `ws://127.0.0.1:${this.port}${ROUTES.stream}`, callSid, from, realTime: false });
    caller.startStreaming();
    return caller;
  }
}

/** Polls `check` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The fakes and database a child-process server runs against, and the environment that points it at them. */
export interface ProcessFakes {
  database: TestDatabase;
  openai: FakeOpenAI;
  npa: FakeNpa;
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts a test database, a fake OpenAI (its "LLM" reads with the offline extractor) and a fake NPA, and returns the
 * environment for `ServerProcess.start`: one NPA attempt per pass (the outbox retries), short waits, a fast sweep.
 */
export async function startProcessFakes(extraEnv: Record<string, string> = {}): Promise<ProcessFakes> {
  const [database, openai, npa] = await Promise.all([
    createTestDatabase(),
    startFakeOpenAI({ apiKey: 'sk-test', chatResponder: chatResponderFromExtractor(extractOffline) }),
    startFakeNpa({ username: 'psb', password: 'pw' }),
  ]);
  const env: Record<string, string> = {
    DATABASE_URL: database.url ?? '',
    DATA_DIR: database.dataDir,
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: openai.httpUrl,
    OPENAI_REALTIME_URL: openai.realtimeUrl,
    NPA_API_URL: npa.url,
    NPA_API_USERNAME: 'psb',
    NPA_API_PASSWORD: 'pw',
    NPA_MAX_ATTEMPTS: '1',
    NPA_TIMEOUT_MS: '1500',
    NPA_TIMEOUT_MAX_MS: '1500',
    TRANSCRIPT_WAIT_MS: '300',
    OUTBOX_POLL_MS: '200',
    RECOVERY_GRACE_MS: '1000',
    RECOVERY_SWEEP_MS: '300',
    HEARTBEAT_MS: '300',
    ...extraEnv,
  };
  return {
    database,
    openai,
    npa,
    env,
    close: async () => {
      await Promise.all([database.close(), openai.close(), npa.close()]);
    },
  };
}

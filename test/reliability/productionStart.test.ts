// The production start, as the Docker image runs it: `npm run build`'s output under plain node, with the
// Dockerfile's own CMD and HEALTHCHECK, no npm, no tsx and no devDependencies. A SIGTERM during a live call (what
// docker stop, systemd and Kubernetes send) lets the call finish and save its lead, drains, exits 0, closes the port.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/db/migrationsList.js';
import { scriptFromTranscript, type ScriptStep } from '../../src/fakes/fakeOpenAI.js';
import type { FakeTwilioCaller } from '../../src/fakes/fakeTwilioCaller.js';
import { dockerfileCommand } from '../support/dockerfile.js';
import { sampleConversation } from '../support/sharedTranscripts.js';
import { eventually, ServerProcess, startProcessFakes, type ProcessFakes } from './serverProcess.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The image's WORKDIR as a temp directory: dist/, bin/, package.json, node_modules (production only), .env. */
let app: string;
let buildMs = 0;
let fakes: ProcessFakes;
const servers: ServerProcess[] = [];
const callers: FakeTwilioCaller[] = [];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node ...args` (an image command: its leading "node" is this node) in the app directory. */
function runNode(argv: string[], env: Record<string, string>, cwd = app): Promise<Run> {
  expect(argv[0]).toBe('node');
  return new Promise((resolve) => {
    execFile(process.execPath, argv.slice(1), { cwd, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** `npm run build`'s tsc, into `outDir`. Type checking is `npm run lint`'s job; --noCheck emits the same files, faster. */
async function build(outDir: string): Promise<void> {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [tool, ...args] = (pkg.scripts['build'] ?? '').split(' ');
  expect(tool).toBe('tsc');
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const run = await runNode(['node', tsc, ...args, '--noCheck', '--outDir', outDir], {}, ROOT);
  if (run.code !== 0) throw new Error(`build failed: ${run.stdout}${run.stderr}`);
}

/** node_modules as `npm ci --omit=dev` leaves it, and without tsx: links to the repository's packages, minus those. */
async function productionNodeModules(target: string): Promise<void> {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  const absent = new Set([...Object.keys(pkg.devDependencies), 'tsx']);
  const source = join(ROOT, 'node_modules');
  await mkdir(target);
  for (const entry of await readdir(source)) {
    if (entry.startsWith('.')) continue;
    if (!entry.startsWith('@')) {
      if (!absent.has(entry)) await symlink(join(source, entry), join(target, entry), 'dir');
      continue;
    }
    await mkdir(join(target, entry));
    for (const name of await readdir(join(source, entry))) {
      if (!absent.has(`${entry}/${name}`)) await symlink(join(source, entry, name), join(target, entry, name), 'dir');
    }
  }
}

beforeAll(async () => {
  app = await mkdtemp(join(tmpdir(), 'psb-image-'));
  const started = Date.now();
  await build(join(app, 'dist'));
  buildMs = Date.now() - started;
  // What the Dockerfile's last stage copies besides dist/ and node_modules.
  await cp(join(ROOT, 'package.json'), join(app, 'package.json'));
  await cp(join(ROOT, 'bin'), join(app, 'bin'), { recursive: true });
  await cp(join(ROOT, 'src', 'admin', 'public'), join(app, 'src', 'admin', 'public'), { recursive: true });
  await productionNodeModules(join(app, 'node_modules'));
  // Read through --env-file-if-exists; the environment wins over it (PORT=0 from the test, not 1).
  await writeFile(join(app, '.env'), 'INSTANCE_ID=from-dotenv\nPORT=1\n');
  fakes = await startProcessFakes({ DRAIN_TIMEOUT_MS: '20000' });
}, 180_000);

afterAll(async () => {
  for (const caller of callers) caller.terminate();
  for (const server of servers) if (server.child.exitCode === null && server.child.signalCode === null) await server.kill();
  await fakes?.close();
  if (app) await rm(app, { recursive: true, force: true });
});

async function sessionOf(callSid: string): Promise<{ transcript: number; phase: string | null; leadId: string | null }> {
  const rows = await fakes.database.db.em().execute<{ n: number | null; phase: string | null; lead_id: string | null }[]>(
    `select jsonb_array_length(state->'transcript') as n, state->>'phase' as phase, state->>'leadId' as lead_id
       from conversation_sessions where session_key = ?`,
    [callSid],
  );
  return { transcript: rows[0]?.n ?? 0, phase: rows[0]?.phase ?? null, leadId: rows[0]?.lead_id ?? null };
}

/** Whether something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('the production start (node on the build, the Dockerfile CMD)', { timeout: 90_000 }, () => {
  it('SIGTERM during a live call: the call finishes and its lead is saved, the drain runs, exit 0, the port closes', async ({ annotate }) => {
    await annotate(`build (tsc --noCheck) ${(buildMs / 1000).toFixed(1)} s`);
    const cmd = dockerfileCommand('CMD');
    expect(cmd[0]).toBe('node');
    // The image's command, run by node itself: no npm, no shell, no tsx between the signal and the server.
    const server = await ServerProcess.start(fakes.env, { args: cmd.slice(1), cwd: app });
    servers.push(server);
    expect(server.child.spawnfile).toBe(process.execPath);
    expect(server.logs.find((l) => l['msg'] === 'instance started')).toMatchObject({ instanceId: 'from-dotenv' });

    const healthcheck = dockerfileCommand('HEALTHCHECK');
    const healthy = await runNode(healthcheck, { PORT: String(server.port), HOST: '127.0.0.1' });
    expect(healthy).toMatchObject({ code: 0, stdout: expect.stringMatching(/^200 .*"status":"ready"/) });

    const conversation = sampleConversation('public-02.json');
    const script: ScriptStep[] = scriptFromTranscript(conversation);
    // A pause after the caller's first answer: the signal arrives while the call is live.
    script.splice(2, 0, { wait: 4_000 });
    fakes.openai.enqueueScript(script);
    const callSid = 'CAprodstart00000000000000000000001';
    callers.push(await server.call(callSid, conversation.callerPhone ?? '+14045550111'));
    await eventually(async () => ((await sessionOf(callSid)).transcript >= 2 ? true : undefined), 20_000, 'the call to be under way');
    expect((await sessionOf(callSid)).phase).toBe('streaming');

    server.signal('SIGTERM');
    const { code, signal } = await server.exited();
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(server.logs.find((l) => l['msg'] === 'shutting down: draining calls')).toMatchObject({ signal: 'SIGTERM', live: 1 });
    expect(server.logs.at(-1)?.['msg']).toBe('shutdown complete');
    expect(await listening(server.port)).toBe(false);
    expect((await runNode(healthcheck, { PORT: String(server.port), HOST: '127.0.0.1' })).code).toBe(1);

    // The call ran to its end: its lead reached NPA and is a succeeded lead, as the compiled `leads` CLI lists it.
    const { leadId } = await sessionOf(callSid);
    expect(leadId).not.toBeNull();
    expect(fakes.npa.accepted.has(leadId!)).toBe(true);
    const listed = await runNode(['node', 'bin/leads.js', 'succeeded', 'list', '--json'], { DATABASE_URL: fakes.env['DATABASE_URL']!, DATA_DIR: fakes.env['DATA_DIR']! });
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ id: string }>).map((r) => r.id)).toContain(leadId);
  });

  it('the compiled migrations run under plain node: `leads db migrate` from the build on an empty database', async () => {
    const name = `psb_t_${randomBytes(6).toString('hex')}_empty`;
    const em = fakes.database.db.em();
    await em.execute(`create database "${name}"`);
    try {
      const url = new URL(fakes.env['DATABASE_URL']!);
      url.pathname = `/${name}`;
      const run = await runNode(['node', 'bin/leads.js', 'db', 'migrate'], { DATABASE_URL: url.toString(), DATA_DIR: fakes.env['DATA_DIR']! });
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout.trim()).toBe(`applied ${MIGRATIONS.length} migration(s): ${MIGRATIONS.map((m) => m.name).join(', ')}`);
    } finally {
      await em.execute(`drop database if exists "${name}" with (force)`);
    }
  });

  it('a configuration mistake: one line on stderr naming the variable, exit 2, before anything starts', async () => {
    const cmd = dockerfileCommand('CMD');
    const mistakes: Array<[Record<string, string>, RegExp]> = [
      [{ TWILIO_AUTH_TOKEN: 'token' }, /^Invalid configuration: PUBLIC_URL: must be set with TWILIO_AUTH_TOKEN /],
      [{ PORT: '' }, /^Invalid configuration: PORT: is empty /],
      [{ PUBLIC_URL: 'http://voice.psb.example' }, /^Invalid configuration: PUBLIC_URL: must be https:\/\/ for a host that is not loopback /],
    ];
    for (const [env, line] of mistakes) {
      const run = await runNode(cmd, { ...fakes.env, HOST: '127.0.0.1', PORT: '0', ...env });
      expect(run).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(line) });
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});

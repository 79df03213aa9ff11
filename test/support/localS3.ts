import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./s3rverProcess.ts', import.meta.url));

/** A local S3-compatible server (s3rver) on a free port, keeping its objects in a temporary directory. */
export interface LocalS3 {
  endpoint: string;
  /** The account s3rver checks signatures against. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Stops the server and deletes its directory. */
  stop(): Promise<void>;
}

export async function startLocalS3(): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), 'psb-s3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', SCRIPT, directory], {
    stdio: 'pipe',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const line = stdout.split('\n')[0];
        if (stdout.includes('\n') && line !== undefined) resolve((JSON.parse(line) as { port: number }).port);
      });
      child.once('exit', (code) => reject(new Error(`s3rver exited before listening (${code}): ${stderr}`)));
    });
    return {
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      async stop() {
        child.stdin.end();
        await exited;
        await rm(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    child.kill();
    await exited;
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

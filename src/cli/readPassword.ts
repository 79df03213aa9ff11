import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CliError, EXIT } from './exitCodes.js';

/** Longest line read from a pipe (a password is far shorter; this bounds what a wrong pipe makes us buffer). */
const PIPED_MAX_BYTES = 8 * 1024;

export type PasswordInput = NodeJS.ReadableStream & { isTTY?: boolean };

/**
 * Reads a new password: from a terminal, asked twice with nothing echoed; from a pipe or file, its first line
 * (without the line ending). The password is never written anywhere.
 */
export async function readNewPassword(input: PasswordInput, prompt: NodeJS.WritableStream): Promise<string> {
  if (!input.isTTY) return readLine(input);
  const terminal = hiddenLines(input);
  try {
    const first = await terminal.ask(prompt, 'Password: ');
    const second = await terminal.ask(prompt, 'Repeat it: ');
    if (first !== second) throw new CliError('the two passwords differ; nothing changed', EXIT.USAGE);
    return first;
  } finally {
    terminal.close();
  }
}

/**
 * Lines from a terminal with echo off: readline writes its echo through an output that drops everything. Lines are
 * queued, so one typed (or pasted) before its question is asked is not lost.
 */
function hiddenLines(input: PasswordInput): { ask(prompt: NodeJS.WritableStream, question: string): Promise<string>; close(): void } {
  const muted = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const rl = createInterface({ input, output: muted, terminal: true });
  const lines: string[] = [];
  let waiting: { resolve(line: string): void; reject(error: Error): void } | undefined;
  let ended: CliError | undefined;
  const end = (error: CliError): void => {
    ended ??= error;
    waiting?.reject(ended);
    waiting = undefined;
  };
  rl.on('line', (line) => {
    if (waiting) {
      waiting.resolve(line);
      waiting = undefined;
    } else lines.push(line);
  });
  rl.on('SIGINT', () => {
    end(new CliError('cancelled; nothing changed', EXIT.USAGE));
    rl.close();
  });
  rl.on('close', () => end(new CliError('no password given; nothing changed', EXIT.USAGE)));
  return {
    ask(prompt, question) {
      prompt.write(question);
      const next = lines.shift();
      const answer =
        next !== undefined
          ? Promise.resolve(next)
          : ended
            ? Promise.reject(ended)
            : new Promise<string>((resolve, reject) => (waiting = { resolve, reject }));
      // The newline the muted echo did not write, also after Ctrl-C.
      const newline = (): void => void prompt.write('\n');
      return answer.finally(newline);
    },
    close() {
      rl.close();
    },
  };
}

/** The first line of a piped stdin. */
function readLine(input: PasswordInput): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const finish = (error: Error | null): void => {
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.removeListener('error', onError);
      input.pause();
      if (error) return reject(error);
      const text = Buffer.concat(chunks).toString('utf8');
      const newline = text.indexOf('\n');
      const line = (newline === -1 ? text : text.slice(0, newline)).replace(/\r$/, '');
      resolve(line);
    };
    const onData = (chunk: Buffer | string): void => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(buffer);
      bytes += buffer.length;
      if (buffer.includes(0x0a)) finish(null);
      else if (bytes > PIPED_MAX_BYTES) finish(new CliError('the password line on stdin is too long', EXIT.USAGE));
    };
    const onEnd = (): void => finish(null);
    const onError = (error: Error): void => finish(error);
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
    input.resume();
  });
}

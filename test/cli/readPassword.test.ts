import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/exitCodes.js';
import { readNewPassword } from '../../src/cli/readPassword.js';

/** A stream that says it is a terminal (readline then handles it as one), and what was written to the "screen". */
function terminal(): { input: PassThrough & { isTTY: boolean }; screen: PassThrough; shown(): string } {
  const input = Object.assign(new PassThrough(), { isTTY: true });
  const screen = new PassThrough();
  let text = '';
  screen.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { input, screen, shown: () => text };
}

describe('readNewPassword', () => {
  it('on a terminal asks twice and echoes nothing of what is typed', async () => {
    const { input, screen, shown } = terminal();
    const reading = readNewPassword(input, screen);
    input.write('s3cret enough\n');
    input.write('s3cret enough\n');
    await expect(reading).resolves.toBe('s3cret enough');
    expect(shown()).toBe('Password: \nRepeat it: \n');
  });

  it('takes both lines typed (or pasted) at once', async () => {
    const { input, screen } = terminal();
    const reading = readNewPassword(input, screen);
    input.write('pasted password\npasted password\n');
    await expect(reading).resolves.toBe('pasted password');
  });

  it('refuses two different answers, and an input that ends before the second', async () => {
    const differ = terminal();
    const reading = readNewPassword(differ.input, differ.screen);
    differ.input.write('first password\nsecond password\n');
    await expect(reading).rejects.toThrow(new CliError('the two passwords differ; nothing changed', 2));

    const ended = terminal();
    const cut = readNewPassword(ended.input, ended.screen);
    ended.input.end('only one line\n');
    await expect(cut).rejects.toThrow('no password given; nothing changed');
  });

  it('from a pipe reads the first line, without its line ending, and prompts nothing', async () => {
    const input = new PassThrough();
    const screen = new PassThrough();
    let shown = '';
    screen.on('data', (chunk: Buffer) => (shown += chunk.toString()));
    const reading = readNewPassword(input, screen);
    input.write('piped pass');
    input.write('word\r\nsecond line\n');
    await expect(reading).resolves.toBe('piped password');
    expect(shown).toBe('');
    // A pipe that ends without a newline: what came is the line.
    const short = new PassThrough();
    const unterminated = readNewPassword(short, screen);
    short.end('no newline at end');
    await expect(unterminated).resolves.toBe('no newline at end');
  });

  it('refuses a piped line far longer than any password', async () => {
    const input = new PassThrough();
    const reading = readNewPassword(input, new PassThrough());
    input.write('x'.repeat(10_000));
    await expect(reading).rejects.toThrow('the password line on stdin is too long');
  });
});

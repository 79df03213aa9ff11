import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createRecordingStore } from '../recordings/createRecordingStore.js';
import { recordingStoreOptions } from '../recordings/recordingStoreConfig.js';
import { echo } from './echo.js';
import { CliError, EXIT, type ExitCode } from './exitCodes.js';
import type { CliContext } from './io.js';
import { withRepositories } from './withRepositories.js';

const USAGE = 'usage: leads recording CALLSID --out FILE [--voicemail]';

/**
 * `leads recording CALLSID --out FILE [--voicemail]`: writes the call's recording (or the voicemail left after the
 * tone) as a WAV file, from whichever store the config names. The file appears whole or not at all.
 */
export async function recordingCommand(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args,
    options: { out: { type: 'string' }, voicemail: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const [callSid, ...extra] = positionals;
  if (callSid === undefined || extra.length > 0 || values.out === undefined || values.out === '') throw new CliError(USAGE, EXIT.USAGE);
  const kind = values.voicemail ? 'voicemail' : 'call';
  const recording = await withRepositories(ctx, (repos) => repos.recordings.forCall(callSid, kind));
  if (recording === null) throw new CliError(`no ${kind} recording for ${echo(callSid)}`, EXIT.NOT_FOUND);
  if (recording.status === 'deleted') {
    throw new CliError(`the ${kind} recording of ${echo(callSid)} was deleted by the retention policy`, EXIT.NOT_FOUND);
  }
  const store = createRecordingStore(recordingStoreOptions(ctx.config));
  const body = await store.read(recording.key);
  if (body === null) throw new CliError(`the ${kind} recording of ${echo(callSid)} is missing from its store (${recording.store}:${recording.key})`, EXIT.FAILED);
  const out = values.out;
  const partial = `${out}.partial`;
  try {
    await pipeline(body, createWriteStream(partial, { flags: 'w' }));
    await rename(partial, out);
  } catch (error) {
    await rm(partial, { force: true }).catch(() => undefined);
    throw error;
  }
  ctx.io.out(`${out}: ${recording.bytes} bytes, ${(recording.durationMs / 1000).toFixed(1)} s, ${recording.channels} channel(s), ${recording.status}`);
  return EXIT.OK;
}

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConversationSchema, type Conversation, type ExtractionResult } from '../leads/lead.js';
import { reasonOf } from '../errors.js';
import { echo } from './echo.js';
import { CliError, EXIT, type ExitCode } from './exitCodes.js';
import type { CliContext } from './io.js';

/** `leads extract [--offline] FILE`: prints the extraction of one call as JSON. */
export async function extractCommand(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args, options: { offline: { type: 'boolean', default: false } }, allowPositionals: true });
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) throw new CliError('usage: leads extract [--offline] FILE', EXIT.USAGE);
  const conversation = await readConversation(file);

  let result: ExtractionResult;
  try {
    if (values.offline || ctx.config.OPENAI_API_KEY === undefined) {
      if (!values.offline) ctx.io.err('leads: OPENAI_API_KEY is not set; using the offline extractor');
      // Loaded on demand: only this command needs the extractors (and the OpenAI SDK).
      const { extractOffline } = await import('../extraction/offline/extractOffline.js');
      result = extractOffline(conversation, new Date(), ctx.config.REFUSED_STATES);
    } else {
      const { createExtractor } = await import('../extraction/extractor.js');
      const combined = await createExtractor(ctx.config, { logger: ctx.logger }).extract(conversation);
      if (combined.llmError !== undefined) {
        ctx.io.err(`leads: LLM extraction failed (${combined.llmError}); using the offline extractor`);
      }
      result = combined.result;
    }
  } catch (error) {
    throw new CliError(`extraction failed: ${reasonOf(error)}`, EXIT.FAILED);
  }
  const { lead, complete, errors, missing } = result;
  ctx.io.out(JSON.stringify({ lead, complete, errors, missing }, null, 2));
  return EXIT.OK;
}

/** Reads and checks a call file; every problem becomes one readable line and exit code 2. */
export async function readConversation(file: string): Promise<Conversation> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : reasonOf(error);
    throw new CliError(`cannot read ${echo(file)}: ${why}`, EXIT.USAGE);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${echo(file)} is not valid JSON: ${reasonOf(error)}`, EXIT.USAGE);
  }
  const parsed = ConversationSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'top level';
    throw new CliError(`${echo(file)} is not a call transcript ({callerPhone, turns}): ${where}: ${issue?.message ?? 'invalid'}`, EXIT.USAGE);
  }
  return parsed.data;
}

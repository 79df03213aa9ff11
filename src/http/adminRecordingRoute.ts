import type { Readable } from 'node:stream';
import { z } from 'zod';
import { reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { RecordingRepository } from '../db/recordingRepository.js';
import type { RecordingStore } from '../recordings/recordingStore.js';
import { contentRange, parseRange } from './byteRange.js';
import type { AdminGate, Principal } from './adminGate.js';
import { respond, respondText, TEXT_PLAIN } from './respond.js';
import { streamBody } from './streamBody.js';
import type { HttpRequest, HttpResponse } from './uws.js';
import { CallSidSchema } from './voiceWebhooks.js';

export interface AdminRecordingDeps {
  logger: Logger;
  /** Who may listen: a signed-in operator, an operator's API token or ADMIN_TOKEN (404 while the console is off). */
  gate: AdminGate;
  recordings: RecordingRepository;
  store: RecordingStore;
  /** Told when someone starts playing a recording (a request from its first byte): the audit log's `recording.play`. */
  onPlay?: (principal: Principal, callSid: string, kind: 'call' | 'voicemail') => Promise<void>;
}

const KindSchema = z.enum(['call', 'voicemail']).default('call');

/**
 * `GET /admin/api/calls/:callSid/recording[?kind=voicemail]`: the call's WAV, for an operator. Range requests get
 * 206 with exactly those bytes (a browser's `<audio>` seeks with them); 401 without an operator, 404 for a call
 * with no recording (or one the retention sweep deleted: 410).
 */
export function adminRecordingHandler(deps: AdminRecordingDeps): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => {
    const state: { aborted: boolean; onAbort?: () => void } = { aborted: false };
    // Headers, parameters and the query can be read only before the first await.
    const auth = { authorization: req.getHeader('authorization'), cookie: req.getHeader('cookie') };
    const callSid = CallSidSchema.safeParse(req.getParameter(0));
    const kind = KindSchema.safeParse(new URLSearchParams(req.getQuery() ?? '').get('kind') ?? undefined);
    const rangeHeader = req.getHeader('range');
    res.onAborted(() => {
      state.aborted = true;
      state.onAbort?.();
    });
    const logger = deps.logger.child(callSid.success ? { callSid: callSid.data } : {});
    const run = async (): Promise<void> => {
      if (!(await deps.gate.enabled())) {
        respondText(res, state, 404, 'not found');
        return;
      }
      const principal = await deps.gate.authenticate(auth);
      if (principal === null) {
        respond(res, state, 401, TEXT_PLAIN, 'unauthorized', { 'WWW-Authenticate': 'Bearer realm="admin"' });
        return;
      }
      if (!callSid.success || !kind.success) {
        respondText(res, state, 404, 'no such recording');
        return;
      }
      // A player's first request asks from byte 0 (or for all of it); its seeks are not new plays.
      if (deps.onPlay && /^(|bytes=0-\d*)$/.test(rangeHeader.trim())) await deps.onPlay(principal, callSid.data, kind.data);
      await serve(deps, res, state, callSid.data, kind.data, rangeHeader);
    };
    void run().catch((error: unknown) => {
      logger.warn({ err: reasonOf(error) }, 'recording could not be served');
      respondText(res, state, 500, 'recording unavailable');
    });
  };
}

async function serve(
  deps: AdminRecordingDeps,
  res: HttpResponse,
  state: { aborted: boolean; onAbort?: () => void },
  callSid: string,
  kind: 'call' | 'voicemail',
  rangeHeader: string,
): Promise<void> {
  const recording = await deps.recordings.forCall(callSid, kind);
  if (recording === null) {
    respondText(res, state, 404, 'no such recording');
    return;
  }
  if (recording.status === 'deleted') {
    respondText(res, state, 410, 'recording deleted by the retention policy');
    return;
  }
  const stored = await deps.store.stat(recording.key);
  if (stored === null) {
    respondText(res, state, 404, 'recording missing from its store');
    return;
  }
  const size = stored.bytes;
  const range = parseRange(rangeHeader, size);
  const common = {
    'Accept-Ranges': 'bytes',
    'Content-Disposition': `inline; filename="${callSid}${kind === 'voicemail' ? '-voicemail' : ''}.wav"`,
  };
  if (range.kind === 'unsatisfiable') {
    respond(res, state, 416, TEXT_PLAIN, 'range not satisfiable', { ...common, 'Content-Range': contentRange(range, size) });
    return;
  }
  const body: Readable | null = await deps.store.read(recording.key, range.kind === 'partial' ? range : undefined);
  if (body === null) {
    respondText(res, state, 404, 'recording missing from its store');
    return;
  }
  if (state.aborted) {
    body.destroy();
    return;
  }
  const length = range.kind === 'partial' ? range.end - range.start + 1 : size;
  res.cork(() => {
    res.writeStatus(range.kind === 'partial' ? '206 Partial Content' : '200 OK');
    res.writeHeader('Content-Type', 'audio/wav');
    res.writeHeader('Cache-Control', 'private, no-store');
    for (const [name, value] of Object.entries(common)) res.writeHeader(name, value);
    if (range.kind === 'partial') res.writeHeader('Content-Range', contentRange(range, size));
  });
  await streamBody(res, state, body, length);
}

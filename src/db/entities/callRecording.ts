import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ConversationSessionSchema } from './conversationSession.js';

/** `call`: the conversation as the caller heard it (two channels); `voicemail`: the message left after the tone. */
export const RECORDING_KINDS = ['call', 'voicemail'] as const;
export type RecordingKind = (typeof RECORDING_KINDS)[number];

/**
 * `complete`: the call ended and the file was stored whole; `partial`: the process died mid-call and the file was
 * repaired and stored on restart (it plays up to its last flush); `deleted`: the retention sweep removed the file.
 */
export const RECORDING_STATUSES = ['complete', 'partial', 'deleted'] as const;
export type RecordingStatus = (typeof RECORDING_STATUSES)[number];

/**
 * One stored recording of a call. Leads reach it through their session (every lead row has `session_id`): one
 * link, so a recording stored after the lead (or a voicemail added days later) is found without touching lead rows.
 */
export const CallRecordingSchema = defineEntity({
  name: 'CallRecording',
  tableName: 'call_recordings',
  properties: {
    id: p.uuid().primary(),
    session: p.manyToOne(ConversationSessionSchema).ref().nullable().deleteRule('set null').index(),
    callSid: p.text(),
    kind: p.enum([...RECORDING_KINDS]),
    status: p.enum([...RECORDING_STATUSES]),
    /** Which store holds it (`directory` or `s3`) and its key there. */
    store: p.text(),
    storeKey: p.text(),
    durationMs: p.integer(),
    bytes: p.bigint('number'),
    channels: p.smallint(),
    sampleRate: p.integer(),
    /** `pcm_s16le` (our recordings) or what Twilio sent for a voicemail (`audio/wav`). */
    format: p.text(),
    /** Where it came from besides the relay: Twilio's RecordingSid for a voicemail. */
    sourceRef: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    deletedAt: p.datetime().nullable(),
  },
  uniques: [{ name: 'call_recordings_call_sid_kind_unique', properties: ['callSid', 'kind'] }],
  indexes: [
    {
      name: 'call_recordings_retention_index',
      expression: `create index "call_recordings_retention_index" on "call_recordings" ("created_at") where "status" <> 'deleted'`,
    },
  ],
});

export type CallRecordingRow = InferEntity<typeof CallRecordingSchema>;

import { randomUUID } from 'node:crypto';
import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { CallRecordingSchema, type CallRecordingRow, type RecordingKind, type RecordingStatus } from './entities/index.js';
import type { Database } from './orm.js';

/** A stored recording, as the console, the CLI and the admin API show it (never its audio). */
export interface RecordingRecord {
  id: string;
  sessionId: string | null;
  callSid: string;
  kind: RecordingKind;
  status: RecordingStatus;
  store: string;
  key: string;
  durationMs: number;
  bytes: number;
  channels: number;
  sampleRate: number;
  format: string;
  sourceRef: string | null;
  createdAt: Date;
  deletedAt: Date | null;
}

/** A recording to record: what the row holds but its id, session (found by CallSid), dates; never deleted yet. */
export type NewRecording = Omit<RecordingRecord, 'id' | 'sessionId' | 'status' | 'sourceRef' | 'createdAt' | 'deletedAt'> & {
  status: Exclude<RecordingStatus, 'deleted'>;
  sourceRef?: string | null;
};

/** The call_recordings table. */
export class RecordingRepository {
  constructor(private readonly db: Database) {}

  /**
   * Records a stored recording against the call's session (created when the call left none, as after a crash that
   * lost it); a second save of the same call and kind replaces the first (a repaired partial file stored again).
   * Raw SQL: an upsert on (call_sid, kind) whose session comes from a subquery.
   */
  async save(row: NewRecording, em: EntityManager = this.db.em()): Promise<RecordingRecord> {
    const rows = await em.execute<Array<{ id: string }>>(
      `insert into call_recordings (id, session_id, call_sid, kind, status, store, store_key, duration_ms, bytes, channels,
         sample_rate, format, source_ref, created_at, deleted_at)
       values (?, (select id from conversation_sessions where session_key = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), null)
       on conflict (call_sid, kind) do update set
         session_id = coalesce(excluded.session_id, call_recordings.session_id), status = excluded.status,
         store = excluded.store, store_key = excluded.store_key, duration_ms = excluded.duration_ms, bytes = excluded.bytes,
         channels = excluded.channels, sample_rate = excluded.sample_rate, format = excluded.format,
         source_ref = excluded.source_ref, deleted_at = null
       returning id`,
      [
        randomUUID(),
        row.callSid,
        row.callSid,
        row.kind,
        row.status,
        row.store,
        row.key,
        Math.round(row.durationMs),
        row.bytes,
        row.channels,
        row.sampleRate,
        row.format,
        row.sourceRef ?? null,
      ],
    );
    const id = rows[0]?.id;
    if (id === undefined) throw new Error('recording upsert returned no row');
    const saved = await em.fork().findOne(CallRecordingSchema, { id });
    if (saved === null) throw new Error('recording row vanished after its upsert');
    return recordingRecord(saved);
  }

  /** The call's recording of `kind` (deleted ones too: their row says when they went). */
  async forCall(callSid: string, kind: RecordingKind = 'call'): Promise<RecordingRecord | null> {
    const row = await this.db.em().findOne(CallRecordingSchema, { callSid, kind });
    return row && recordingRecord(row);
  }

  /** Every recording of the given sessions, by session id (a lead's link: lead rows carry their session). */
  async forSessions(sessionIds: readonly string[]): Promise<Map<string, RecordingRecord[]>> {
    const bySession = new Map<string, RecordingRecord[]>();
    const ids = [...new Set(sessionIds)];
    if (ids.length === 0) return bySession;
    const rows = await this.db.em().find(CallRecordingSchema, { session: { $in: ids } }, { orderBy: { createdAt: 'asc', kind: 'asc' } });
    for (const row of rows) {
      const record = recordingRecord(row);
      if (record.sessionId === null) continue;
      const list = bySession.get(record.sessionId) ?? [];
      list.push(record);
      bySession.set(record.sessionId, list);
    }
    return bySession;
  }

  /** Recordings not deleted yet and created before `before`, oldest first: the retention sweep's work. */
  async expired(before: Date, limit: number): Promise<RecordingRecord[]> {
    const rows = await this.db.em().find(
      CallRecordingSchema,
      { status: { $ne: 'deleted' }, createdAt: { $lt: before } },
      { orderBy: { createdAt: 'asc' }, limit },
    );
    return rows.map(recordingRecord);
  }

  /** The file is gone from the store: the row stays, saying when. */
  async markDeleted(id: string, em: EntityManager = this.db.em()): Promise<void> {
    await em.nativeUpdate(CallRecordingSchema, { id, status: { $ne: 'deleted' } }, { status: 'deleted', deletedAt: raw('now()') });
  }
}

/** What a lead or session shows of a recording: where it is and what it holds. */
export type RecordingLink = Pick<RecordingRecord, 'kind' | 'status' | 'store' | 'key' | 'durationMs' | 'bytes' | 'channels'>;

export const recordingLink = (r: RecordingRecord): RecordingLink => ({
  kind: r.kind,
  status: r.status,
  store: r.store,
  key: r.key,
  durationMs: r.durationMs,
  bytes: r.bytes,
  channels: r.channels,
});

function recordingRecord(row: CallRecordingRow): RecordingRecord {
  return {
    id: row.id,
    sessionId: row.session?.id ?? null,
    callSid: row.callSid,
    kind: row.kind,
    status: row.status,
    store: row.store,
    key: row.storeKey,
    durationMs: row.durationMs,
    bytes: Number(row.bytes),
    channels: row.channels,
    sampleRate: row.sampleRate,
    format: row.format,
    sourceRef: row.sourceRef ?? null,
    createdAt: row.createdAt,
    deletedAt: row.deletedAt ?? null,
  };
}

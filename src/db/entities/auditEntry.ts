import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** What an audit entry may record; `detail` says what changed. */
export const AUDIT_ACTIONS = [
  'lead.retry',
  'lead.resolve',
  'review.approve',
  'review.edit',
  'review.reject',
  'recording.play',
  'operator.login',
  'operator.logout',
  'operator.add',
  'operator.remove',
  'operator.password',
  'operator.token',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * One action an operator took. `operator` is the name as text (`ADMIN_TOKEN` for the environment's token), not a
 * foreign key, so the entry outlives a removed account. `sessionKey` is the conversation's key (a CallSid, or
 * `sms:<lead id>`) when the action concerned one.
 */
export const AuditEntrySchema = defineEntity({
  name: 'AuditEntry',
  tableName: 'audit_log',
  properties: {
    id: p.uuid().primary(),
    at: p.datetime().index(),
    operator: p.text(),
    action: p.text(),
    leadId: p.uuid().nullable().index(),
    sessionKey: p.text().nullable(),
    detail: p.json<Record<string, unknown>>(),
  },
});

export type AuditEntryRow = InferEntity<typeof AuditEntrySchema>;

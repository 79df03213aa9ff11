import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * An operator of the operations console: a login name (stored lowercased) and a scrypt hash of the password
 * (src/admin/passwords.ts). Removing one deletes the row; their sessions and tokens go with it (cascade), the audit
 * log keeps their name as text.
 */
export const OperatorSchema = defineEntity({
  name: 'Operator',
  tableName: 'operators',
  properties: {
    id: p.uuid().primary(),
    name: p.text().unique(),
    passwordHash: p.text(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});

export type OperatorRow = InferEntity<typeof OperatorSchema>;

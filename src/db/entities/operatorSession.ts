import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { OperatorSchema } from './operator.js';

/**
 * A signed-in browser session. `id` is the SHA-256 (hex) of the session secret the cookie carries: a copy of this
 * table does not let anyone sign in. `expiresAt` is absolute; `lastSeenAt` says when it was last used.
 */
export const OperatorSessionSchema = defineEntity({
  name: 'OperatorSession',
  tableName: 'operator_sessions',
  properties: {
    id: p.text().primary(),
    operator: p.manyToOne(OperatorSchema).ref().deleteRule('cascade').index(),
    csrfToken: p.text(),
    createdAt: p.datetime().onCreate(() => new Date()),
    expiresAt: p.datetime().index(),
    lastSeenAt: p.datetime(),
    ip: p.text().nullable(),
  },
});

export type OperatorSessionRow = InferEntity<typeof OperatorSessionSchema>;

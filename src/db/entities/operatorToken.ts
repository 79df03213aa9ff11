import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { OperatorSchema } from './operator.js';

/** An API bearer token of an operator; only its SHA-256 (hex) is stored, the token is shown once when created. */
export const OperatorTokenSchema = defineEntity({
  name: 'OperatorToken',
  tableName: 'operator_tokens',
  properties: {
    id: p.uuid().primary(),
    operator: p.manyToOne(OperatorSchema).ref().deleteRule('cascade').index(),
    tokenHash: p.text().unique(),
    label: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastUsedAt: p.datetime().nullable(),
  },
});

export type OperatorTokenRow = InferEntity<typeof OperatorTokenSchema>;

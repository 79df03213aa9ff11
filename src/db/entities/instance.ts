import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * One server process (an instance), by its id (INSTANCE_ID, or random at start). It stamps `heartbeat_at` every
 * HEARTBEAT_MS while it runs and `stopped_at` when it shuts down cleanly; the other instances read it to know whose
 * calls and outbox claims have lost their process. `started_at` tells a restarted instance (same id) its previous
 * run's sessions from its own.
 */
export const InstanceSchema = defineEntity({
  name: 'Instance',
  tableName: 'instances',
  properties: {
    id: p.text().primary(),
    startedAt: p.datetime(),
    heartbeatAt: p.datetime(),
    stoppedAt: p.datetime().nullable(),
  },
});

export type Instance = InferEntity<typeof InstanceSchema>;

import { raw } from '@mikro-orm/core';
import { InstanceSchema } from './entities/index.js';
import type { Database } from './orm.js';

/** How long an instance that stopped, or stopped beating, is kept before its row is pruned. */
const PRUNE_AFTER_MS = 24 * 60 * 60_000;

/**
 * The SQL condition "the instance whose id is `idSql` is dead": it shut down, or its heartbeat is older than the
 * grace (the one `?` binding, in ms). An id with no row is not known dead. Other repositories' claim queries use it,
 * so the liveness test and the claim are one statement.
 */
export function instanceDeadSql(idSql: string): string {
  return `exists (select 1 from instances i where i.id = ${idSql}
    and (i.stopped_at is not null or i.heartbeat_at < now() - (? * interval '1 millisecond')))`;
}

/**
 * The SQL condition "the instance whose id is `idSql` is alive": it has a row, has not stopped, and beat within the
 * grace (the one `?` binding, in ms). The opposite of instanceDeadSql for a known instance; an unknown one is neither.
 */
export function instanceAliveSql(idSql: string): string {
  return `exists (select 1 from instances i where i.id = ${idSql}
    and i.stopped_at is null and i.heartbeat_at >= now() - (? * interval '1 millisecond'))`;
}

/** The instances table: one row per server process id, its start, heartbeat and clean stop (database clock). */
export class InstanceRepository {
  constructor(private readonly db: Database) {}

  /**
   * This process starts as `id`: (re)stamps its start and heartbeat and clears a previous stop, and prunes rows of
   * instances dead for a day. Raw SQL: an upsert stamped with the database's clock, the one every instance compares.
   */
  async register(id: string): Promise<void> {
    await this.db.em().transactional(async (em) => {
      await em.execute(
        `insert into instances (id, started_at, heartbeat_at, stopped_at) values (?, now(), now(), null)
         on conflict (id) do update set started_at = now(), heartbeat_at = now(), stopped_at = null`,
        [id],
        'run',
      );
      await em.execute(
        `delete from instances where id <> ? and coalesce(stopped_at, heartbeat_at) < now() - (? * interval '1 millisecond')`,
        [id, PRUNE_AFTER_MS],
        'run',
      );
    });
  }

  /** The heartbeat, on the database's clock. */
  async beat(id: string): Promise<void> {
    await this.db.em().nativeUpdate(InstanceSchema, { id }, { heartbeatAt: raw('now()') });
  }

  /** A clean shutdown: the instance holds nothing any more, and anything it left may be taken over at once. */
  async stop(id: string): Promise<void> {
    await this.db.em().nativeUpdate(InstanceSchema, { id }, { stoppedAt: raw('now()'), heartbeatAt: raw('now()') });
  }
}

import { AuditRepository } from './auditRepository.js';
import { DecisionRepository } from './decisionRepository.js';
import { FailedLeadRepository } from './failedLeadRepository.js';
import { InstanceRepository } from './instanceRepository.js';
import type { Database } from './orm.js';
import { OperatorRepository } from './operatorRepository.js';
import { OutboxRepository } from './outboxRepository.js';
import { RecordingRepository } from './recordingRepository.js';
import { SessionRepository } from './sessionRepository.js';
import { SucceededLeadRepository } from './succeededLeadRepository.js';

/** One repository per table, over one database. */
export interface Repositories {
  readonly db: Database;
  readonly sessions: SessionRepository;
  readonly failed: FailedLeadRepository;
  readonly succeeded: SucceededLeadRepository;
  readonly outbox: OutboxRepository;
  readonly instances: InstanceRepository;
  readonly decisions: DecisionRepository;
  readonly recordings: RecordingRepository;
  readonly operators: OperatorRepository;
  readonly audit: AuditRepository;
}

export function createRepositories(db: Database): Repositories {
  return Object.freeze({
    db,
    sessions: new SessionRepository(db),
    failed: new FailedLeadRepository(db),
    succeeded: new SucceededLeadRepository(db),
    outbox: new OutboxRepository(db),
    instances: new InstanceRepository(db),
    decisions: new DecisionRepository(db),
    recordings: new RecordingRepository(db),
    operators: new OperatorRepository(db),
    audit: new AuditRepository(db),
  });
}

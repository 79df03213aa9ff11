import { ConversationSessionSchema } from './conversationSession.js';
import { SucceededLeadSchema } from './succeededLead.js';
import { FailedLeadSchema } from './failedLead.js';
import { LeadOutboxSchema } from './leadOutbox.js';
import { InstanceSchema } from './instance.js';
import { LeadDecisionSchema } from './leadDecision.js';
import { CallRecordingSchema } from './callRecording.js';
import { OperatorSchema } from './operator.js';
import { OperatorSessionSchema } from './operatorSession.js';
import { OperatorTokenSchema } from './operatorToken.js';
import { AuditEntrySchema } from './auditEntry.js';

export { ConversationSessionSchema, type ConversationSession } from './conversationSession.js';
export { SucceededLeadSchema, type SucceededLead } from './succeededLead.js';
export { FailedLeadSchema, type FailedLead, type FailedRetry } from './failedLead.js';
export { LeadOutboxSchema, type LeadOutboxRow } from './leadOutbox.js';
export { InstanceSchema, type Instance } from './instance.js';
export {
  CallRecordingSchema,
  RECORDING_KINDS,
  RECORDING_STATUSES,
  type CallRecordingRow,
  type RecordingKind,
  type RecordingStatus,
} from './callRecording.js';
export { LeadDecisionSchema, REVIEW_STATES, type LeadDecisionRow, type ReviewState } from './leadDecision.js';
export { OperatorSchema, type OperatorRow } from './operator.js';
export { OperatorSessionSchema, type OperatorSessionRow } from './operatorSession.js';
export { OperatorTokenSchema, type OperatorTokenRow } from './operatorToken.js';
export { AuditEntrySchema, AUDIT_ACTIONS, type AuditAction, type AuditEntryRow } from './auditEntry.js';

/** Every entity, for the ORM config. */
export const ENTITIES = [
  ConversationSessionSchema,
  SucceededLeadSchema,
  FailedLeadSchema,
  LeadOutboxSchema,
  InstanceSchema,
  LeadDecisionSchema,
  CallRecordingSchema,
  OperatorSchema,
  OperatorSessionSchema,
  OperatorTokenSchema,
  AuditEntrySchema,
];

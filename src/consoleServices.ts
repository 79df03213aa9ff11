import type { Config } from './config.js';
import type { Logger } from './log.js';
import type { Repositories } from './db/repositories.js';
import { ConversationQueries } from './db/conversationQueries.js';
import type { LeadOutbox } from './outbox/leadOutbox.js';
import { retryFailedLead } from './outbox/retryFailedLeads.js';
import { resolveFailedLead } from './outbox/resolveFailedLead.js';
import { approveReview, rejectReview } from './outbox/leadReview.js';
import { conversationDetail } from './admin/callDetail.js';
import { listConversations } from './admin/callList.js';
import { callMachineLayout } from './admin/machineGraph.js';
import { qualityReport } from './admin/qualityReport.js';
import { reviewQueue } from './admin/reviewQueue.js';
import type { LiveCalls } from './admin/liveCalls.js';
import { liveCallsElsewhere } from './admin/liveElsewhere.js';
import type { OperatorAccounts } from './admin/operatorAccounts.js';
import type { AdminServices } from './http/adminServices.js';

/**
 * What the console's endpoints do, wired from the same modules the `leads` command uses: a retry is
 * `retryFailedLead` (as `leads failed retry`), an approval `approveReview` (as `leads review approve`), and so on.
 * No rule lives here; this only hands each call to its module.
 */
export function consoleServices(deps: {
  config: Config;
  logger: Logger;
  repos: Repositories;
  outbox: LeadOutbox;
  accounts: OperatorAccounts;
  live: LiveCalls;
  /** This instance, and how long another may be silent before it counts as dead (its calls are then not live). */
  instanceId: string;
  graceMs: number;
}): AdminServices {
  const { repos, outbox, logger, config } = deps;
  const queries = new ConversationQueries(repos.db);
  const leadDeps = { repos, outbox, logger };
  return {
    live: deps.live,
    liveElsewhere: () => liveCallsElsewhere(queries, { instanceId: deps.instanceId, graceMs: deps.graceMs }),
    accounts: deps.accounts,
    audit: {
      record: (entry) => repos.audit.record(entry),
      forLead: (leadId) => repos.audit.forLead(leadId),
      forConversation: (leadId, sessionKey) => repos.audit.forConversation(leadId, sessionKey),
      recent: (limit) => repos.audit.recent({ limit }),
    },
    machineLayout: () => callMachineLayout(),
    conversations: {
      list: (query) => listConversations(queries, Object.fromEntries(query)),
      detail: async (id) => {
        const detail = await conversationDetail(repos, id);
        return detail === null ? null : { ...detail, leadId: detail.session.leadId, sessionKey: detail.session.sessionKey };
      },
    },
    failed: {
      list: (includeResolved) => repos.failed.list({ includeResolved }),
      retry: (id, { force, by }) => retryFailedLead(leadDeps, id, { force, by }),
      resolve: (id, note, by) => resolveFailedLead(leadDeps, id, note, by),
    },
    review: {
      queue: () => reviewQueue(repos),
      approve: (id, set, by) => approveReview(leadDeps, { id, set, by }, { refusedStates: config.REFUSED_STATES }),
      reject: (id, reason, by) => rejectReview(leadDeps, { id, reason, by }),
    },
    quality: (query) => qualityReport(queries, Object.fromEntries(query)),
  };
}

import type { LiveCall, LiveCalls } from '../admin/liveCalls.js';
import type { AuditAction } from '../db/entities/index.js';

/** One line of the audit log as the console writes it: who did what to which lead or call, and what changed. */
export interface AuditInput {
  operator: string;
  action: AuditAction;
  leadId?: string | null;
  /** The conversation's key (a CallSid, or `sms:<lead id>`). */
  sessionKey?: string | null;
  detail?: Record<string, unknown>;
}

/** A signed-in session as login hands it out (the secret goes only into the cookie). */
export interface LoginResult {
  sessionSecret: string;
  csrfToken: string;
  expiresAt: Date;
  operator: { name: string };
}

/**
 * What the console's endpoints do, as app.ts wires it from the modules the CLI uses (src/admin, src/outbox): the
 * HTTP layer parses, authorizes, audits and answers; the rules live behind these.
 */
export interface AdminServices {
  live: LiveCalls;
  /** The calls other live instances are running (from their session rows), for the same view. */
  liveElsewhere(): Promise<LiveCall[]>;
  /**
   * Sign-in (rate-limited per account and address; UnauthorizedError for a wrong name or password,
   * TooManyRequestsError to wait) and sign-out; both audited there.
   */
  accounts: {
    login(name: string, password: string, ip: string): Promise<LoginResult>;
    logout(sessionSecret: string): Promise<unknown>;
  };
  audit: {
    record(entry: AuditInput): Promise<unknown>;
    forLead(leadId: string): Promise<unknown[]>;
    /** A conversation's entries: its lead's and its own (by session key). */
    forConversation(leadId: string | null, sessionKey: string): Promise<unknown[]>;
    recent(limit: number): Promise<unknown[]>;
  };
  /** The call machine's drawing (nodes and edges laid out, absolute coordinates). */
  machineLayout(): Promise<unknown>;
  conversations: {
    list(query: URLSearchParams): Promise<unknown>;
    /** A conversation by session id or key (CallSid), with the lead id it concerns, or null. */
    detail(id: string): Promise<{ leadId: string | null; sessionKey: string } | null>;
  };
  failed: {
    list(includeResolved: boolean): Promise<unknown[]>;
    retry(id: string, options: { force: boolean; by: string }): Promise<{ outcome: string; reason?: string }>;
    resolve(id: string, note: string, by: string): Promise<unknown>;
  };
  review: {
    queue(): Promise<unknown>;
    approve(id: string, set: Record<string, string>, by: string): Promise<{ sent: boolean; state: { status: string } }>;
    reject(id: string, reason: string, by: string): Promise<unknown>;
  };
  quality(query: URLSearchParams): Promise<unknown>;
}

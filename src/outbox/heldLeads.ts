/**
 * Leads that neither the database nor the spool could take, kept in memory (at most `capacity`, by lead id) until
 * upkeep or shutdown gets one of them to take it. Not durable: a lead here is lost if the process is killed, which
 * is why new calls are refused while neither store can write.
 */
export class HeldLeads<Lead extends { id: string }> {
  private readonly leads = new Map<string, Lead>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.leads.size;
  }

  /** Keeps the lead (a lead already held is replaced); false when there is no room. */
  hold(submission: Lead): boolean {
    if (!this.leads.has(submission.id) && this.leads.size >= this.capacity) return false;
    this.leads.set(submission.id, submission);
    return true;
  }

  /** The held leads, oldest first. */
  all(): Lead[] {
    return [...this.leads.values()];
  }

  release(id: string): void {
    this.leads.delete(id);
  }
}

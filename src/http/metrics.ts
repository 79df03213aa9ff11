/** Counters and gauges for `/metrics` (Prometheus text format). Process-local; no labels with personal data. */
export class Metrics {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, () => number>();

  count(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  get(name: string): number {
    return this.counters.get(name) ?? 0;
  }

  /** A value read when metrics are scraped (e.g. live calls). */
  gauge(name: string, read: () => number): void {
    this.gauges.set(name, read);
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, value] of [...this.counters].sort()) lines.push(`# TYPE psb_${name} counter`, `psb_${name} ${value}`);
    for (const [name, read] of [...this.gauges].sort()) lines.push(`# TYPE psb_${name} gauge`, `psb_${name} ${read()}`);
    return `${lines.join('\n')}\n`;
  }
}

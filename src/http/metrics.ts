import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CallOutput, EndReason } from '../../machines/callTypes.js';
import type { NpaRequestResult } from '../npa/npaClient.js';
import type { WaitKind } from '../calls/callWaits.js';
import { REASON_CLASSES, reasonClassOf } from '../leads/reasonClass.js';
import { COUNTER_HELP, GAUGE_HELP } from './metricHelp.js';
import { processRegistry } from './processMetrics.js';
import { transportKind } from './uws.js';

const PREFIX = 'psb_';

export type { WaitKind };

/** One histogram per wait (callWaits.ts says what each measures): their scales differ by two orders. */
const WAITS: Record<WaitKind, { name: string; help: string; buckets: number[] }> = {
  greeting: {
    name: 'time_to_greeting_seconds',
    help: 'From the media stream start to the first agent audio sent to the caller.',
    buckets: [0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8],
  },
  response: {
    name: 'response_latency_seconds',
    help: 'Per turn: from the caller ending speech to the first audio of the agent answer.',
    buckets: [0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5],
  },
  response_relay: {
    name: 'response_relay_seconds',
    help: 'Per turn: the relay own part of the response latency (first answer audio from the model to its frame sent).',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05],
  },
  barge_in: {
    name: 'barge_in_clear_seconds',
    help: 'From the caller speaking over the agent to the clear sent to Twilio.',
    buckets: [0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2],
  },
  barge_in_heard: {
    name: 'barge_in_heard_seconds',
    help: 'Per barge-in: agent audio the caller heard over their own speech, up to the clear.',
    buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2],
  },
  goodbye: {
    name: 'goodbye_hangup_seconds',
    help: 'From the agent goodbye to the call hung up.',
    buckets: [0.5, 1, 2, 3, 5, 8, 13, 20],
  },
  lead_delivery: {
    name: 'lead_delivery_seconds',
    help: 'From the end of the conversation to the lead outcome known (stored, submitted).',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
  },
};

const END_REASONS: ReadonlyArray<EndReason | 'none'> = ['goodbye', 'caller-hangup', 'stream-never-started', 'model-failure', 'max-duration', 'none'];

/** How an NPA request ended, as a label: the status class, or why there was no status. */
export function npaStatusClass(result: NpaRequestResult): string {
  return typeof result === 'number' ? `${Math.floor(result / 100)}xx` : result;
}

type LabelValues = Record<string, string>;

/**
 * This app's metrics in one prom-client Registry (not the global one: several apps in one process, as in tests,
 * must not collide), rendered with the process metrics for `/metrics`. Labels carry only fixed sets (outcome,
 * end reason, reason class, source, status class): never a phone, a name, a CallSid or a free-text reason.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly contentType: string = this.registry.contentType;
  private readonly counters = new Map<string, Counter>();
  /** The counters' values as recorded, so `get` can answer synchronously (prom-client's `get` is async). */
  private readonly values = new Map<string, Array<{ labels: LabelValues; value: number }>>();
  private readonly gaugeReads = new Map<string, () => number | Promise<number>>();
  private readonly waits: Record<WaitKind, Histogram>;
  private readonly callDuration: Histogram;
  private readonly extraction: Histogram<'channel' | 'source'>;
  private readonly npaRequest: Histogram<'status_class'>;

  constructor() {
    for (const name of Object.keys(COUNTER_HELP)) this.counter(name);
    const leads = this.counter('leads_total', 'Leads of calls by how they ended; reason_class says why one did not succeed (none when it did).', [
      'outcome',
      'reason_class',
    ]);
    leads.inc({ outcome: 'succeeded', reason_class: 'none' }, 0);
    leads.inc({ outcome: 'review', reason_class: 'review' }, 0);
    for (const reasonClass of REASON_CLASSES) if (reasonClass !== 'review') leads.inc({ outcome: 'failed', reason_class: reasonClass }, 0);
    const ended = this.counter('calls_ended_total', 'Calls ended, by how their conversation ended (none: it never began).', ['end_reason']);
    for (const endReason of END_REASONS) ended.inc({ end_reason: endReason }, 0);

    this.waits = Object.fromEntries(
      Object.entries(WAITS).map(([kind, { name, help, buckets }]) => [kind, this.histogram(name, help, buckets)]),
    ) as Record<WaitKind, Histogram>;
    this.callDuration = this.histogram('call_duration_seconds', 'From the voice webhook to the call done (lead saved): a call in this process.', [
      10, 30, 60, 120, 180, 300, 600, 900, 1800,
    ]);
    this.extraction = this.histogram('extraction_duration_seconds', 'Lead extraction of a call or a text conversation, by the witness used (error: it threw).', [
      0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20,
    ], ['channel', 'source']);
    this.npaRequest = this.histogram('npa_request_duration_seconds', 'One HTTP request to the NPA API, by status class (or timeout, network, aborted).', [
      0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
    ], ['status_class']);
    // An info metric: which transport serves HTTP and WebSockets here (uws.ts chose it at start-up).
    const transport = new Gauge({ name: `${PREFIX}transport_info`, help: GAUGE_HELP['transport_info'] ?? '', labelNames: ['transport'], registers: [this.registry] });
    transport.set({ transport: transportKind }, 1);
  }

  /** Adds to the counter `psb_<name>` (registered on first use when not in COUNTER_HELP). */
  count(name: string, by = 1): void {
    this.add(name, {}, by);
  }

  /** A counter's value as recorded; with labels, the sum of its series that carry them. */
  get(name: string, labels: LabelValues = {}): number {
    let sum = 0;
    for (const series of this.values.get(name) ?? []) {
      if (Object.entries(labels).every(([key, value]) => series.labels[key] === value)) sum += series.value;
    }
    return sum;
  }

  /** A value read when metrics are scraped (live calls, a cached SQL count); a read that fails shows NaN. */
  gauge(name: string, read: () => number | Promise<number>, help?: string): void {
    const known = this.gaugeReads.has(name);
    this.gaugeReads.set(name, read);
    if (known) return;
    const reads = this.gaugeReads;
    new Gauge({
      name: PREFIX + name,
      help: help ?? GAUGE_HELP[name] ?? `${name.replaceAll('_', ' ')}.`,
      registers: [this.registry],
      async collect() {
        const value = await Promise.resolve()
          .then(() => reads.get(name)?.() ?? Number.NaN)
          .catch(() => Number.NaN);
        this.set(value);
      },
    });
  }

  /** A call is done: its lead's outcome and reason class, how its conversation ended, how long it lived here. */
  callEnded(call: Pick<CallOutput, 'outcome' | 'endReason' | 'reason'> & { durationMs: number }): void {
    this.leadsEnded(call.outcome, call.reason, 1);
    this.add('calls_ended_total', { end_reason: call.endReason ?? 'none' }, 1);
    this.callDuration.observe(call.durationMs / 1000);
  }

  /** Leads that ended without a call's output (lost at shutdown): counted with the calls' leads. */
  leadsEnded(outcome: CallOutput['outcome'], reason: string | null, count: number): void {
    const reasonClass = outcome === 'succeeded' ? 'none' : reasonClassOf(reason);
    this.add('leads_total', { outcome, reason_class: reasonClass }, count);
  }

  /** One of the waits (WaitKind), in ms; measured by the call code where the wait ends. */
  waitObserved(kind: WaitKind, ms: number): void {
    this.waits[kind].observe(ms / 1000);
  }

  extractionObserved(ms: number, source: 'llm' | 'offline' | 'error', channel: 'voice' | 'sms' = 'voice'): void {
    this.extraction.observe({ channel, source }, ms / 1000);
  }

  npaRequestObserved(ms: number, result: NpaRequestResult): void {
    this.npaRequest.observe({ status_class: npaStatusClass(result) }, ms / 1000);
  }

  /** The Prometheus text exposition: this app's metrics, then the process's. */
  async render(): Promise<string> {
    const [own, processWide] = await Promise.all([this.registry.metrics(), processRegistry().metrics()]);
    return `${own.trimEnd()}\n\n${processWide.trimEnd()}\n`;
  }

  private add(name: string, labels: LabelValues, by: number): void {
    this.counter(name).inc(labels, by);
    const series = this.values.get(name) ?? [];
    this.values.set(name, series);
    const same = series.find((s) => Object.keys(labels).length === Object.keys(s.labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    if (same === undefined) series.push({ labels, value: by });
    else same.value += by;
  }

  private counter(name: string, help?: string, labelNames: string[] = []): Counter {
    let counter = this.counters.get(name);
    if (counter === undefined) {
      counter = new Counter({
        name: PREFIX + name,
        help: help ?? COUNTER_HELP[name] ?? `${name.replace(/_total$/, '').replaceAll('_', ' ')}.`,
        labelNames,
        registers: [this.registry],
      });
      this.counters.set(name, counter);
    }
    return counter;
  }

  private histogram<L extends string = string>(name: string, help: string, buckets: number[], labelNames: L[] = []): Histogram<L> {
    return new Histogram<L>({ name: PREFIX + name, help, buckets, labelNames, registers: [this.registry] });
  }
}

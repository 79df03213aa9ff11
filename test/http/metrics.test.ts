import { describe, expect, it } from 'vitest';
import { Metrics, npaStatusClass, type WaitKind } from '../../src/http/metrics.js';
import { COUNTER_HELP } from '../../src/http/metricHelp.js';
import { parsePromText, sampleSum } from '../support/promText.js';

const scrape = async (metrics: Metrics) => parsePromText(await metrics.render());

describe('Metrics', () => {
  it('renders every family with HELP and TYPE, the named counters at 0 before any event', async () => {
    const families = await scrape(new Metrics());
    for (const family of families.values()) {
      expect(family.help, family.name).toBeTruthy();
      expect(family.type, family.name).toMatch(/^(counter|gauge|histogram|summary)$/);
    }
    for (const name of Object.keys(COUNTER_HELP)) {
      expect(families.get(`psb_${name}`)).toMatchObject({ type: 'counter', samples: [{ value: 0 }] });
    }
    expect(families.get('psb_leads_total')?.type).toBe('counter');
    expect(sampleSum(families, 'psb_leads_total', 'psb_leads_total', { outcome: 'succeeded', reason_class: 'none' })).toBe(0);
    expect(families.get('psb_calls_ended_total')?.samples.map((s) => s.labels['end_reason'])).toContain('caller-hangup');
  });

  it('counts by name, keeping the psb_ prefix, and answers get synchronously', async () => {
    const metrics = new Metrics();
    metrics.count('twilio_streams_opened_total');
    metrics.count('twilio_streams_opened_total', 2);
    metrics.count('something_new_total');
    expect(metrics.get('twilio_streams_opened_total')).toBe(3);
    expect(metrics.get('never_counted_total')).toBe(0);
    const text = await metrics.render();
    expect(text).toMatch(/^psb_twilio_streams_opened_total 3$/m);
    expect(text).toContain('# HELP psb_something_new_total something new.');
    expect(text).toContain('# TYPE psb_something_new_total counter');
  });

  it('records a call: leads by outcome and reason class, the end reason, the duration histogram', async () => {
    const metrics = new Metrics();
    metrics.callEnded({ outcome: 'succeeded', endReason: 'goodbye', reason: null, durationMs: 42_000 });
    metrics.callEnded({ outcome: 'failed', endReason: 'caller-hangup', reason: 'incomplete: caller hung up after zip_code', durationMs: 5_000 });
    metrics.callEnded({ outcome: 'failed', endReason: null, reason: 'model connection failed: timeout after 5000 ms', durationMs: 6_000 });
    metrics.leadsEnded('lost', 'shutdown: neither the database nor the spool could take the lead', 2);
    expect(metrics.get('leads_total', { outcome: 'failed' })).toBe(2);
    expect(metrics.get('leads_total', { outcome: 'lost', reason_class: 'database' })).toBe(2);

    const text = await metrics.render();
    expect(text).not.toContain('zip_code');
    expect(text).not.toContain('5000 ms');
    const families = parsePromText(text);
    const leads = (labels: Record<string, string>) => sampleSum(families, 'psb_leads_total', 'psb_leads_total', labels);
    expect(leads({ outcome: 'succeeded', reason_class: 'none' })).toBe(1);
    expect(leads({ outcome: 'failed', reason_class: 'incomplete' })).toBe(1);
    expect(leads({ outcome: 'failed', reason_class: 'model_failure' })).toBe(1);
    expect(leads({ outcome: 'lost', reason_class: 'database' })).toBe(2);
    const ended = (endReason: string) => sampleSum(families, 'psb_calls_ended_total', 'psb_calls_ended_total', { end_reason: endReason });
    expect([ended('goodbye'), ended('caller-hangup'), ended('none'), ended('max-duration')]).toEqual([1, 1, 1, 0]);

    expect(families.get('psb_call_duration_seconds')?.type).toBe('histogram');
    expect(sampleSum(families, 'psb_call_duration_seconds', 'psb_call_duration_seconds_count')).toBe(3);
    expect(sampleSum(families, 'psb_call_duration_seconds', 'psb_call_duration_seconds_sum')).toBeCloseTo(53);
    const bucket = (le: string) => sampleSum(families, 'psb_call_duration_seconds', 'psb_call_duration_seconds_bucket', { le });
    expect([bucket('10'), bucket('30'), bucket('60'), bucket('+Inf')]).toEqual([2, 2, 3, 3]);
  });

  it('has one histogram per wait, in seconds', async () => {
    const metrics = new Metrics();
    const kinds: Array<[WaitKind, string]> = [
      ['greeting', 'psb_time_to_greeting_seconds'],
      ['response', 'psb_response_latency_seconds'],
      ['response_relay', 'psb_response_relay_seconds'],
      ['barge_in', 'psb_barge_in_clear_seconds'],
      ['barge_in_heard', 'psb_barge_in_heard_seconds'],
      ['goodbye', 'psb_goodbye_hangup_seconds'],
      ['lead_delivery', 'psb_lead_delivery_seconds'],
    ];
    let before = await scrape(metrics);
    for (const [, family] of kinds) {
      expect(before.get(family)?.type, family).toBe('histogram');
      expect(sampleSum(before, family, `${family}_count`)).toBe(0);
    }
    metrics.waitObserved('response', 250);
    metrics.waitObserved('response', 1_250);
    metrics.waitObserved('barge_in', 80);
    before = await scrape(metrics);
    expect(sampleSum(before, 'psb_response_latency_seconds', 'psb_response_latency_seconds_count')).toBe(2);
    expect(sampleSum(before, 'psb_response_latency_seconds', 'psb_response_latency_seconds_sum')).toBeCloseTo(1.5);
    expect(sampleSum(before, 'psb_response_latency_seconds', 'psb_response_latency_seconds_bucket', { le: '0.3' })).toBe(1);
    expect(sampleSum(before, 'psb_barge_in_clear_seconds', 'psb_barge_in_clear_seconds_bucket', { le: '0.1' })).toBe(1);
  });

  it('labels extraction by source and NPA requests by status class', async () => {
    const metrics = new Metrics();
    metrics.extractionObserved(300, 'llm');
    metrics.extractionObserved(20_000, 'error');
    metrics.extractionObserved(150, 'llm', 'sms');
    for (const result of [201, 503, 'timeout', 'network'] as const) metrics.npaRequestObserved(120, result);
    expect([npaStatusClass(201), npaStatusClass(429), npaStatusClass('aborted')]).toEqual(['2xx', '4xx', 'aborted']);
    const families = await scrape(metrics);
    expect(sampleSum(families, 'psb_extraction_duration_seconds', 'psb_extraction_duration_seconds_count', { channel: 'voice', source: 'llm' })).toBe(1);
    expect(sampleSum(families, 'psb_extraction_duration_seconds', 'psb_extraction_duration_seconds_count', { channel: 'sms', source: 'llm' })).toBe(1);
    expect(sampleSum(families, 'psb_extraction_duration_seconds', 'psb_extraction_duration_seconds_count', { source: 'error' })).toBe(1);
    const npa = (statusClass: string) => sampleSum(families, 'psb_npa_request_duration_seconds', 'psb_npa_request_duration_seconds_count', { status_class: statusClass });
    expect([npa('2xx'), npa('5xx'), npa('timeout'), npa('network'), npa('4xx')]).toEqual([1, 1, 1, 1, 0]);
  });

  it('reads gauges at scrape time; a failing read shows NaN; registering a name again replaces its read', async () => {
    const metrics = new Metrics();
    let live = 2;
    metrics.gauge('calls_live', () => live);
    metrics.gauge('outbox_pending', async () => 7);
    metrics.gauge('leads_in_review', () => Promise.reject(new Error('database down')));
    metrics.gauge('broken', () => {
      throw new Error('boom');
    });
    let families = await scrape(metrics);
    expect(families.get('psb_calls_live')).toMatchObject({ type: 'gauge', help: 'Calls live in this process.', samples: [{ value: 2 }] });
    expect(families.get('psb_outbox_pending')?.samples[0]?.value).toBe(7);
    expect(families.get('psb_leads_in_review')?.samples[0]?.value).toBeNaN();
    expect(families.get('psb_broken')?.samples[0]?.value).toBeNaN();
    live = 0;
    metrics.gauge('outbox_pending', () => 1);
    families = await scrape(metrics);
    expect(families.get('psb_calls_live')?.samples[0]?.value).toBe(0);
    expect(families.get('psb_outbox_pending')?.samples[0]?.value).toBe(1);
  });

  it('keeps apps apart (one registry each) and adds the process metrics, event-loop lag included', async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.count('calls_total');
    const [fromA, fromB] = [await scrape(a), await scrape(b)];
    expect(sampleSum(fromA, 'psb_calls_total', 'psb_calls_total')).toBe(1);
    expect(sampleSum(fromB, 'psb_calls_total', 'psb_calls_total')).toBe(0);
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(fromA.has(name), name).toBe(true);
      expect(fromB.has(name), name).toBe(true);
    }
    expect(a.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});

/**
 * The `# HELP` of every metric recorded by name (`Metrics.count`, `Metrics.gauge`), without the `psb_` prefix.
 * The counters here are registered at start, so each shows 0 before its first event (rate() works from the start).
 * A name missing here still works; its HELP then says only what it counts.
 */
export const COUNTER_HELP: Readonly<Record<string, string>> = Object.freeze({
  calls_total: 'Voice webhooks that opened a call.',
  calls_rejected_busy_total: 'Voice webhooks answered busy (draining, at MAX_CALLS, or no lead store).',
  calls_announce_late_total: 'Voice webhooks answered before the call session row was written (another instance could not adopt the stream).',
  calls_adopted_total: 'Media streams that arrived where their call was not pre-warmed and adopted it from its session row.',
  calls_handed_off_total: 'Pre-warmed calls whose stream another instance claimed: the model was let go, no lead written here.',
  twilio_streams_claim_lost_total: 'Streams closed because another instance had claimed their call first.',
  calls_rejected_no_lead_store_total: 'Voice webhooks answered busy because neither the database nor the spool could keep a lead.',
  calls_rejected_total: 'Media streams refused because their call was not taken.',
  calls_apologised_total: 'Calls that heard the apology after the stream closed.',
  webhooks_invalid_total: 'Voice webhooks with an invalid form.',
  sms_received_total: 'SMS webhooks accepted.',
  sms_invalid_total: 'SMS webhooks with an invalid form.',
  sms_errors_total: 'SMS webhooks that failed while handled.',
  recordings_saved_total: 'Voicemail recordings saved.',
  recordings_failed_total: 'Voicemail recordings that could not be saved.',
  recordings_invalid_total: 'Recording webhooks with an invalid form.',
  twilio_signature_rejected_total: 'Twilio requests and streams refused for a bad X-Twilio-Signature.',
  twilio_streams_opened_total: 'Media streams opened.',
  twilio_streams_unbound_total: 'Media streams refused: no call or stream token matched.',
  twilio_streams_duplicate_total: 'Media streams refused: the call already had one.',
  twilio_streams_closed_abusive_total: 'Media streams closed for sending too many messages.',
  twilio_messages_rate_limited_total: 'Media stream messages dropped by the rate limit.',
  twilio_messages_oversize_total: 'Media stream messages dropped for their size.',
  twilio_messages_out_of_order_total: 'Media stream messages out of protocol order.',
  twilio_messages_wrong_stream_total: 'Media stream messages naming another stream.',
  twilio_messages_invalid_total: 'Media stream messages that failed validation.',
  twilio_message_errors_total: 'Media stream messages whose handling threw.',
  leads_spool_replayed_total: 'Spooled leads replayed into the database.',
  leads_spool_dead_total: 'Spooled leads moved to the dead-letter file.',
  leads_recovered_total: 'Leads rebuilt from the sessions of calls abandoned by a dead instance.',
  leads_sms_abandoned_total: 'SMS conversations saved as leads after the texter stopped replying.',
});

export const GAUGE_HELP: Readonly<Record<string, string>> = Object.freeze({
  calls_live: 'Calls live in this process.',
  spool_queued: 'Leads waiting in the local spool for the database.',
  spool_dead_letters: 'Leads in the spool dead-letter file.',
  spool_ready: '1 while the spool holds its disk reserve.',
  leads_held_in_memory: 'Leads neither the database nor the spool could take, held in memory.',
  outbox_pending: 'Outbox rows pending (not yet delivered to the NPA API); read from the database, cached briefly.',
  leads_in_review: 'Leads in the review queue (held, or sent flagged); read from the database, cached briefly.',
  uws_native: '1 when native uWebSockets.js serves HTTP and WebSockets, 0 when node:http and ws do.',
  transport_info: 'Always 1; the transport label says what serves HTTP and WebSockets: uws-native or node-http.',
});

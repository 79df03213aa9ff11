/** The `leads --help` text. */
export const USAGE = `Usage: leads <command> [options]

Commands:
  extract [--offline] FILE           Extract a lead from a call transcript (JSON {callerPhone, turns});
                                     prints {"lead","complete","errors","missing"} as JSON.
                                     --offline: deterministic extractor only (default when OPENAI_API_KEY is unset)
  failed list [--json] [--all]       Unresolved failed leads (--all: resolved ones too)
  failed show ID [--json]            One failed lead in full
  failed retry ID [--force] [--json] [--by NAME]
                                     Resubmit one failed lead to NPA (same Idempotency-Key); audited
                                     as --by, else the OS user
  failed retry --all [--force] [--json] [--by NAME]
                                     Resubmit every unresolved failed lead; incomplete ones are skipped
                                     unless --force
  failed resolve ID --note TEXT [--by NAME]
                                     Mark a failed lead resolved without sending it (handled another
                                     way); the note and who resolved it are kept and audited
  succeeded list [--json] [--since DATE]
                                     Leads NPA accepted, newest first (DATE: YYYY-MM-DD or ISO 8601)
  review list [--json]               Leads whose witnesses disagree on a field, oldest first: held (not sent
                                     until approved) or sent flagged (REVIEW_POLICY=send), with their age
  review show ID [--json]            One lead in review: each witness's value per disputed field, the
                                     transcript lines behind each, the call's recordings
  review approve ID [--set field=value ...] [--by NAME]
                                     Approve (a disputed field with no majority needs its --set); the lead is
                                     normalized, validated and sent once through the outbox under its id
  review reject ID --reason TEXT [--by NAME]
                                     Reject: the lead becomes a failed lead with that reason, never sent
  sessions show CALLSID [--json]     One call's session: phase, outcome, timings, its recordings and its
                                     quality record (turns, barge-ins, dead air, waits, per-field attempts
                                     and agreement)
  recording CALLSID --out FILE [--voicemail]
                                     Write the call's recording (two-channel WAV: caller left, agent right),
                                     or the voicemail left after the tone, from the configured store
  spool list [--json]                Leads in the local spool (DATA_DIR): queued for replay, and dead letters
                                     (refused by the database SPOOL_MAX_TRIES times), with the last error
  spool retry ID | --all             Queue a dead letter (every one) again; the server replays it at its next
                                     upkeep
  operators add NAME                 Add an operator of the operations console (NAME: 2-40 letters, digits,
                                     ".", "_", "-"); asks for the password twice, or reads one line from
                                     stdin when it is not a terminal (at least 10 characters)
  operators password NAME            A new password for the operator (asked for twice, or one line of
                                     stdin); ends every session of theirs, keeps their API tokens
  operators list [--json]            The operators, by name
  operators remove NAME              Remove an operator with their sessions and API tokens (the audit log
                                     keeps their name)
  operators token NAME [--label TEXT]
                                     Create an API token (Authorization: Bearer) for the operator; it is
                                     printed once and stored only as a hash
  db migrate                         Apply pending database migrations

Exit codes: 0 ok, 1 operation failed, 2 usage/input/configuration error, 3 id not found.
Configuration comes from the environment (DATABASE_URL, DATA_DIR, NPA_API_URL, ...; see README).`;

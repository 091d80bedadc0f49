import { CALL_OUTCOMES, CALL_PHASES, CLAIM_RELEASE_REASONS, ROLES } from "../protocol";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// Times are epoch milliseconds. D1 holds the durable record; the call session Durable Objects
// decide, and D1 is written from their outbox (see worker/call/CallSession.ts).

export const agents = sqliteTable(
  "agents",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    email: text("email").notNull(),
    passwordHash: text("password_hash").notNull(),
    role: text("role", { enum: ROLES }).notNull().default("agent"),
    available: integer("available", { mode: "boolean" }).notNull().default(false),
    /** Why an unavailable agent is away (a reason from the admin's list, or "Missed 3 calls"); null when available. */
    awayReason: text("away_reason"),
    /** When the agent's status (available, or away with its reason) last changed: "how long in it". */
    statusSince: integer("status_since"),
    /** A disabled agent cannot sign in, is signed out everywhere, and is never rung; their history stays. */
    disabled: integer("disabled", { mode: "boolean" }).notNull().default(false),
    currentCallSid: text("current_call_sid"),
    lastCallEndedAt: integer("last_call_ended_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("agents_email").on(t.email)],
);

export const sessions = sqliteTable(
  "sessions",
  {
    /** SHA-256 of the cookie's token: a database leak gives no usable session. */
    tokenHash: text("token_hash").primaryKey(),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("sessions_agent").on(t.agentId)],
);

export const calls = sqliteTable(
  "calls",
  {
    callSid: text("call_sid").primaryKey(),
    from: text("from_number").notNull(),
    to: text("to_number").notNull(),
    status: text("status", { enum: CALL_PHASES }).notNull(),
    outcome: text("outcome", { enum: CALL_OUTCOMES }),
    answeredBy: text("answered_by"),
    startedAt: integer("started_at").notNull(),
    answeredAt: integer("answered_at"),
    endedAt: integer("ended_at"),
    /** The call session's seq when this row was written: an older write never overwrites a newer one. */
    seq: integer("seq").notNull(),
    /** "outbound": placed by an agent (a call-back or a dialled number); `from` is then the caller ID. */
    direction: text("direction", { enum: ["inbound", "outbound"] }).notNull().default("inbound"),
    /** The agent who placed an outbound call. */
    dialedBy: text("dialed_by"),
    /** An outbound call its callee did not answer: Twilio's final status (busy, no-answer, failed, canceled). */
    dialResult: text("dial_result"),
    /** The conversation is recorded (the recording setting was on when the call began). */
    recorded: integer("recorded", { mode: "boolean" }).notNull().default(false),
  },
  // calls_started_sid: the call log's newest-first keyset pages (started_at, call_sid), docs/reports.md.
  (t) => [index("calls_started").on(t.startedAt), index("calls_ended").on(t.endedAt), index("calls_started_sid").on(t.startedAt, t.callSid)],
);

export const callClaims = sqliteTable(
  "call_claims",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    callSid: text("call_sid").notNull(),
    agentId: text("agent_id").notNull(),
    claimedAt: integer("claimed_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    /** null while held; then connected, or why it was released. */
    outcome: text("outcome", { enum: ["connected", ...CLAIM_RELEASE_REASONS] }),
    endedAt: integer("ended_at"),
  },
  (t) => [uniqueIndex("call_claims_once").on(t.callSid, t.agentId, t.claimedAt), index("call_claims_claimed").on(t.claimedAt)],
);

export const ringEvents = sqliteTable(
  "ring_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    callSid: text("call_sid").notNull(),
    /** Order within the call, assigned by its call session; with call_sid it makes writes idempotent. */
    seq: integer("seq").notNull(),
    type: text("type").notNull(),
    agentId: text("agent_id"),
    detail: text("detail"),
    at: integer("at").notNull(),
  },
  (t) => [uniqueIndex("ring_events_call_seq").on(t.callSid, t.seq), index("ring_events_at").on(t.at), index("ring_events_type_at").on(t.type, t.at)],
);

/**
 * The parking lot's slots. A row is the slot's reservation, taken in one statement (the unique index
 * makes "first free slot" safe across calls) before the park is decided, and freed when the call is
 * connected again or ends. parked_at and return_at are null while the call rings somebody.
 */
export const parkedCalls = sqliteTable(
  "parked_calls",
  {
    callSid: text("call_sid").primaryKey(),
    slot: integer("slot").notNull(),
    parkedBy: text("parked_by").notNull(),
    parkedAt: integer("parked_at"),
    returnAt: integer("return_at"),
  },
  (t) => [uniqueIndex("parked_calls_slot").on(t.slot)],
);

export const voicemails = sqliteTable(
  "voicemails",
  {
    id: text("id").primaryKey(),
    callSid: text("call_sid").notNull(),
    recordingSid: text("recording_sid").notNull(),
    recordingUrl: text("recording_url").notNull(),
    durationSeconds: integer("duration_seconds").notNull(),
    transcription: text("transcription"),
    transcriptionStatus: text("transcription_status"),
    createdAt: integer("created_at").notNull(),
    /** The inbox: "new" until an agent marks it handled (with an optional note). */
    status: text("status", { enum: ["new", "handled"] }).notNull().default("new"),
    assignedTo: text("assigned_to"),
    handledBy: text("handled_by"),
    handledAt: integer("handled_at"),
    handledNote: text("handled_note"),
    /** The last call-back placed from this voicemail: who, when, and its CallSid. */
    calledBackBy: text("called_back_by"),
    calledBackAt: integer("called_back_at"),
    callbackCallSid: text("callback_call_sid"),
  },
  (t) => [uniqueIndex("voicemails_recording").on(t.recordingSid), index("voicemails_created").on(t.createdAt), index("voicemails_status").on(t.status, t.createdAt)],
);

/**
 * A call's conversation recording (RECORD_CALLS setting): one per call, from the first agent to the
 * end, across park, retrieve and transfer (Twilio records the caller's leg, not a conference).
 */
export const callRecordings = sqliteTable(
  "call_recordings",
  {
    recordingSid: text("recording_sid").primaryKey(),
    callSid: text("call_sid").notNull(),
    durationSeconds: integer("duration_seconds").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("call_recordings_call").on(t.callSid), index("call_recordings_created").on(t.createdAt)],
);

/**
 * Failed sign-ins, one row per throttled key ("account:<email>" or "address:<ip>"): the count of
 * failures in a row and the time before which the next attempt is refused with 429.
 */
export const signInThrottle = sqliteTable("sign_in_throttle", {
  key: text("key").primaryKey(),
  failures: integer("failures").notNull(),
  blockedUntil: integer("blocked_until").notNull(),
  lastFailureAt: integer("last_failure_at").notNull(),
});

/** The team's settings an admin edits: lists such as the away reasons and the call outcomes (JSON values). */
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** A call's note and outcome, one per call, editable by its author (the agent who wrote it first). */
export const callNotes = sqliteTable(
  "call_notes",
  {
    callSid: text("call_sid").primaryKey(),
    authorId: text("author_id").notNull(),
    note: text("note").notNull(),
    outcome: text("outcome"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("call_notes_author").on(t.authorId)],
);

// ---- What the reports read (docs/reports.md): intervals and per-agent rings, kept as they happen ----

/**
 * An agent on a call: from their leg joining the caller to the moment the call is over for them (hung
 * up by either side, parked, transferred, or their leg dropped). A call handed between agents has one
 * row per agent and connection. Written from the call session's outbox (worker/call/record.ts).
 */
export const talkSegments = sqliteTable(
  "talk_segments",
  {
    callSid: text("call_sid").notNull(),
    agentId: text("agent_id").notNull(),
    /** The ring purpose that brought the agent to the caller: inbound, outbound, retrieve, transfer, recall, reconnect. */
    purpose: text("purpose").notNull(),
    startedAt: integer("started_at").notNull(),
    /** Null while the agent is still with the caller. */
    endedAt: integer("ended_at"),
  },
  (t) => [
    uniqueIndex("talk_segments_once").on(t.callSid, t.agentId, t.startedAt),
    index("talk_segments_started").on(t.startedAt),
    index("talk_segments_agent").on(t.agentId, t.startedAt),
    // The reports' segments that began before a period and end in it, or are still open.
    index("talk_segments_ended").on(t.endedAt),
  ],
);

/**
 * An agent's state over time, one row per interval: `status` rows (available, or away with its
 * reason), `wrap-up` rows (after-call work) and `online` rows (a console open). The row of the current
 * interval has no end yet. Written by the status routes and the switchboard.
 */
export const agentStateLog = sqliteTable(
  "agent_state_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    agentId: text("agent_id").notNull(),
    kind: text("kind", { enum: ["status", "wrap-up", "online"] }).notNull(),
    /** For `status`: "available" or "away"; for `wrap-up` and `online`: the same word as the kind. */
    state: text("state").notNull(),
    /** The away reason of an `away` status. */
    reason: text("reason"),
    startedAt: integer("started_at").notNull(),
    endedAt: integer("ended_at"),
  },
  // agent_state_log_kind_ended: the reports' intervals that began before a period and end in it, or are open.
  (t) => [index("agent_state_log_open").on(t.agentId, t.kind, t.endedAt), index("agent_state_log_started").on(t.startedAt), index("agent_state_log_kind_ended").on(t.kind, t.endedAt)],
);

/**
 * A ring an agent let run out: the call's wait ended with nobody answering while it rang them (what
 * auto-pause counts; a ring a colleague answered, or one they declined, is not here). Written by the
 * switchboard.
 */
export const missedRings = sqliteTable(
  "missed_rings",
  {
    callSid: text("call_sid").notNull(),
    agentId: text("agent_id").notNull(),
    at: integer("at").notNull(),
  },
  (t) => [uniqueIndex("missed_rings_once").on(t.callSid, t.agentId, t.at), index("missed_rings_at").on(t.at)],
);

// The wire protocol between the worker and the agents' consoles.
// Imported by the worker and by the browser console: it must import nothing and use no runtime API.

/** A Twilio Client identity: letters, digits and underscore, at most 121 characters (Twilio's rule). */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9_]{1,121}$/;
/** Twilio call SIDs: "CA" and 32 hex digits. */
export const CALL_SID_PATTERN = /^CA[0-9a-fA-F]{32}$/;

/** The console sends this text frame; the switchboard answers PONG without waking up. */
export const PING = "ping";
export const PONG = "pong";
/** How often a console should ping; the server drops consoles silent for CONSOLE_PING_TIMEOUT_SECONDS. */
export const PING_INTERVAL_MS = 10_000;

/** Why an agent's session ended while consoles of it were open. */
export const SESSION_ENDS = ["signed_out", "session_expired", "password_changed", "agent_removed", "agent_disabled"] as const;
export type SessionEnd = (typeof SESSION_ENDS)[number];

/**
 * Close codes of the switchboard's console sockets, with the reason it sends (at most 123 bytes, RFC
 * 6455 §5.5). 4000–4999 are for applications (RFC 6455 §7.4.2); 1009 is the standard "message too
 * big". The 44xx codes end the session: the console shows the sign-in page and does not reconnect.
 * 4008: this agent opened more consoles than the cap, and this, the oldest, was closed: it must not
 * reconnect by itself, or it would push out the newer one in turn.
 */
export const CLOSE = {
  noPing: { code: 4000, reason: "no ping" },
  tooManyConsoles: { code: 4008, reason: "too many consoles: a newer console of yours opened" },
  frameTooLarge: { code: 1009, reason: "frame too large: consoles send only \"ping\"" },
  signed_out: { code: 4401, reason: "signed out" },
  session_expired: { code: 4402, reason: "session expired" },
  password_changed: { code: 4403, reason: "password changed" },
  agent_removed: { code: 4404, reason: "agent removed" },
  agent_disabled: { code: 4405, reason: "agent disabled" },
} as const satisfies Record<string, { code: number; reason: string }>;

/** The session end a close code says, or null when the console may reconnect. */
export function sessionEndOf(code: number): SessionEnd | null {
  return SESSION_ENDS.find((end) => CLOSE[end].code === code) ?? null;
}

/** `supervisor`: sees the wallboard and the reports; `admin`: that too, and manages agents and settings. */
export const ROLES = ["agent", "supervisor", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** Whether this role may see the wallboard, the reports and the call log. */
export function canSupervise(role: Role): boolean {
  return role === "supervisor" || role === "admin";
}

/**
 * What every console knows of every agent: only what a colleague needs to see and to ring them.
 * E-mail and role are not in it (the switchboard sends one frame to every console): an admin reads
 * them from GET /api/agents (AdminAgentView), an agent their own from GET /api/me.
 */
export interface AgentView {
  id: string;
  name: string;
  /** The agent's own toggle: willing to take calls. */
  available: boolean;
  /** A console of this agent is connected and pinging. */
  online: boolean;
  /** The call the agent has claimed or is connected to. */
  currentCallSid: string | null;
  lastCallEndedAt: number | null;
  /**
   * The agent's console reported its phone ready (Voice SDK Device registered, or the simulator
   * phone connected) with PUT /api/me/phone. Cleared when the agent's last console goes offline.
   */
  phoneReady: boolean;
  /**
   * After-call work: when (epoch ms) this agent's wrap-up ends, or null when they are not in it. Set by
   * the switchboard when a connected call of theirs ends (WRAP_UP_SECONDS), and set back to null by it
   * when the time is up or they press Ready: not rung until then, so they can write things down.
   */
  wrapUpUntil: number | null;
  /**
   * Why an unavailable agent is away: a reason from the admin's list (GET /api/settings/away-reasons),
   * "Missed 3 calls" (auto-pause, AUTO_PAUSE_AFTER), or null: available, or away with no reason (the
   * old PUT /api/me/availability {available: false}).
   */
  awayReason: string | null;
  /** When (epoch ms) the agent's status (available, or away with its reason) last changed; null: never since the column existed. */
  statusSince: number | null;
  /**
   * A team lead (role supervisor or admin; absent for agents): the wallboard lists one who is not
   * taking calls as a team lead, not as an agent away. The role itself stays out of the feed.
   */
  lead?: true;
  /**
   * Grows with every change of this view, assigned by the switchboard (one counter for every agent,
   * kept in its storage): the feed, snapshots and HTTP replies can cross, and a console keeps the view
   * with the highest version (agentViewIsNewer).
   */
  version: number;
}

/** The signed-in agent as GET /api/me gives it: their own e-mail and role too. */
export type OwnAgentView = AgentView & { email: string; role: Role };

/** An agent as the admin routes give it (GET /api/agents and the replies of its writes). */
export type AdminAgentView = OwnAgentView & { disabled: boolean };

/** Whether `incoming` may replace `held`: a view older than the one held is ignored (an equal one is the same change). */
export function agentViewIsNewer(held: Pick<AgentView, "version"> | undefined, incoming: Pick<AgentView, "version">): boolean {
  return !held || incoming.version >= held.version;
}

/**
 * Who a ring reaches: available, holding no call, not in wrap-up, a console online and its phone
 * ready. Wrap-up counts until the switchboard ends it (wrapUpUntil back to null), not by a clock: a
 * console's clock may differ from the server's, and both must agree on who rings.
 */
export function isEligible(agent: Pick<AgentView, "available" | "online" | "currentCallSid" | "phoneReady" | "wrapUpUntil">): boolean {
  return agent.available && agent.online && agent.phoneReady && agent.currentCallSid === null && agent.wrapUpUntil === null;
}

/**
 * Whether this call rings this agent now. Derived, not listed: a console is never sent a list that
 * grows with the team. A call rings while it is "ringing" (a claim stops every other ring at once),
 * for its targets if it has any, else for every eligible agent who has not declined it.
 */
export function ringsAgent(call: Pick<CallView, "phase" | "ringTargets" | "declined">, agent: Pick<AgentView, "id" | "available" | "online" | "currentCallSid" | "phoneReady" | "wrapUpUntil">): boolean {
  if (call.phase !== "ringing" || !isEligible(agent) || call.declined.includes(agent.id)) return false;
  return call.ringTargets === null || call.ringTargets.includes(agent.id);
}

/** `dialing`: an outbound call rings its callee; the agent who placed it holds it (and its ticket). */
export const CALL_PHASES = ["dialing", "ringing", "claimed", "connected", "parked", "voicemail", "ended"] as const;
export type CallPhase = (typeof CALL_PHASES)[number];

/**
 * `abandoned`: the caller hung up after an agent had answered, while nobody was connected (parked,
 * transfer). `unanswered`: an outbound call its callee did not answer (CallView.dialResult says how).
 */
export const CALL_OUTCOMES = ["answered", "missed", "voicemail", "abandoned", "unanswered"] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/**
 * Why the caller waits for an agent now: the inbound ring-all, a retrieve from the parking lot (won
 * by the retriever, who connects at once), a transfer to one agent, a parked call coming back after
 * the park timeout, or a caller whose agent's leg dropped mid-call and who rings everyone again.
 */
export const RING_PURPOSES = ["inbound", "outbound", "retrieve", "transfer", "recall", "reconnect"] as const;
export type RingPurpose = (typeof RING_PURPOSES)[number];

/** The call's place in the parking lot. Held from the park (or transfer) until an agent is connected. */
export interface LotView {
  slot: number;
  /** Who parked it (or who started the transfer that would bring it back here). */
  parkedBy: string;
  /** Set while the call waits in the lot (phase "parked"); null while it rings somebody. */
  parkedAt: number | null;
  /** When the park timeout rings it back; null unless phase is "parked". */
  returnsAt: number | null;
}

/** What every console knows of a live call. Keyed by the parent CallSid. */
export interface CallView {
  callSid: string;
  from: string;
  to: string;
  phase: CallPhase;
  /**
   * Who this ring is for: null rings every eligible agent (see isEligible) who has not declined; a
   * list rings only those agents (a transfer's target, a recall to the agent who parked it).
   */
  ringTargets: string[] | null;
  declined: string[];
  /** How many agents this call rings now (see ringsAgent); 0 while every agent is busy: the caller waits in line. */
  ringingCount: number;
  /** Since when the caller waits for an agent this time (null while connected, parked or in voicemail). */
  waitingSince: number | null;
  /** Holder of the claim while phase is "claimed". */
  claimedBy: string | null;
  /** Agent connected to the caller (phase "connected"); the last one connected in other phases. */
  answeredBy: string | null;
  /** What the current ring is for (see RING_PURPOSES). */
  purpose: RingPurpose;
  /** The call's parking slot, from park until it is connected again or ends. */
  lot: LotView | null;
  /** While a transfer rings: from the transferring agent to the target. */
  transfer: { from: string; to: string } | null;
  outcome: CallOutcome | null;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  /** Grows with every change of this call: a console keeps the view with the highest seq. */
  seq: number;
  /** "outbound": placed by `dialedBy` from the console (a call-back or a dialled number); `from` is the caller ID. */
  direction: CallDirection;
  dialedBy: string | null;
  /** An outbound call that ended unanswered: Twilio's final status for it (busy, no-answer, failed, canceled). */
  dialResult: string | null;
  /** The conversation is recorded (the team's recording setting was on when the call began). */
  recorded: boolean;
  /**
   * The agent's note and outcome (PUT /api/calls/{sid}/note). Only the snapshot's `history` items
   * carry it (read from D1), null when none was written; live calls and call.* messages leave it out:
   * a console keeps notes by CallSid from the snapshot and from call.noted.
   */
  note?: CallNote | null;
  /**
   * The call's saved recording (the recording setting on, the call answered, Twilio's callback in).
   * Like `note`, only the snapshot's `history` items carry it, null when there is none; a console keeps
   * recordings by CallSid from the snapshot and from call.recording.
   */
  recording?: CallRecordingView | null;
}

export type CallDirection = "inbound" | "outbound";

/** A recorded call's conversation, from the first agent to the end (one per call). */
export interface CallRecordingView {
  recordingSid: string;
  durationSeconds: number;
  /** The worker's own route that streams it to a signed-in agent (never Twilio's URL: see VoicemailView.audioUrl). */
  audioUrl: string;
  createdAt: number;
}

/** Where a console plays call `callSid`'s recording (GET, with the session cookie; Range requests work). */
export function callRecordingAudioUrl(callSid: string): string {
  return `/api/calls/${encodeURIComponent(callSid)}/recording/audio`;
}

/** Body of GET and PUT /api/settings/recording: whether answered calls are recorded, and the consent announcement. */
export interface RecordingSettingBody {
  enabled: boolean;
  announcement: string;
}

/** A call's note and the outcome its agent picked, kept with the call (one per call). */
export interface CallNote {
  text: string;
  /** One of the admin's call outcomes (GET /api/settings/call-outcomes) when written, or null. */
  outcome: string | null;
  /** Who wrote it first: the agent who answered the call, and the only one who may edit it. */
  authorId: string;
  updatedAt: number;
}

/** The call outcomes a team starts with, until an admin edits the list. */
export const DEFAULT_CALL_OUTCOMES: readonly string[] = ["Resolved", "Follow-up", "Spam"];
export const CALL_OUTCOME_LIMITS = { maxItems: 20, maxLength: 40 } as const;
export const CALL_NOTE_MAX_LENGTH = 2000;

/** Body of PUT /api/calls/{sid}/note; its 200 answer is { note: CallNote }. */
export interface CallNoteRequest {
  note: string;
  outcome: string | null;
}

/** Body of PUT /api/settings/call-outcomes, and of both its answer and GET's. */
export interface CallOutcomesBody {
  outcomes: string[];
}

export interface VoicemailView {
  id: string;
  callSid: string;
  from: string;
  /**
   * The worker's own route that streams the recording to a signed-in agent. Twilio's media URL never
   * leaves the worker: with HTTP auth for media on it needs the account's credentials, and with it
   * off it would be a public link to the caller's message.
   */
  audioUrl: string;
  durationSeconds: number;
  transcription: string | null;
  createdAt: number;
  /** The inbox: "new" until an agent marks it handled; reopening makes it "new" again. */
  status: VoicemailStatus;
  /** Agent ids (a console shows their names from its roster); null: nobody. */
  assignedTo: string | null;
  handledBy: string | null;
  handledAt: number | null;
  /** The note given when it was marked handled (at most VOICEMAIL_NOTE_MAX_LENGTH), or null. */
  handledNote: string | null;
  /** The last call-back placed from this voicemail: by whom and when. */
  calledBackBy: string | null;
  calledBackAt: number | null;
}

export const VOICEMAIL_STATUSES = ["new", "handled"] as const;
export type VoicemailStatus = (typeof VOICEMAIL_STATUSES)[number];
export const VOICEMAIL_NOTE_MAX_LENGTH = 1000;

/** GET /api/voicemails: the list asked for, and how many voicemails are "new" in all. */
export interface VoicemailListResponse {
  voicemails: VoicemailView[];
  unhandled: number;
}
/** PUT /api/voicemails/{id}/assignee; null: nobody. */
export interface VoicemailAssigneeRequest {
  agentId: string | null;
}
/** POST /api/voicemails/{id}/handled */
export interface VoicemailHandledRequest {
  note?: string;
}
/** The answer of every inbox change. */
export interface VoicemailResponse {
  voicemail: VoicemailView;
}

/** Where a console plays voicemail `id` (GET, with the session cookie; Range requests work). */
export function voicemailAudioUrl(id: string): string {
  return `/api/voicemails/${encodeURIComponent(id)}/audio`;
}

export const RING_EVENT_TYPES = [
  "ring_start",
  "answered",
  "connected",
  "declined",
  "claim_released",
  "no_answer",
  "caller_hangup",
  "voicemail",
  "call_ended",
  "parked",
  "retrieve_started",
  "transfer_started",
  /** A retrieve or transfer nobody took: the call went back to its parking slot. */
  "returned_to_lot",
  "park_timeout",
  /** Twilio refused a request that did nothing (a 4xx other than a gone call): the step was undone. */
  "redirect_failed",
  /** The winner's phone joined the caller with its ticket. */
  "ticket_used",
  /** A connect that was refused: no ticket, a used or foreign one, a lapsed lease, a caller gone. */
  "connect_refused",
  /** The connected agent's leg dropped without a hang-up: the caller waits in the lobby again. */
  "agent_dropped",
  /** An admin disabled the agent holding the call: their leg is ended and the call rings the others. */
  "agent_disabled",
  /** The agent pressed Hang up. */
  "agent_hangup",
  /** Twilio was asked for the call's real state because its callbacks stopped coming. */
  "reconciled",
  /** An agent placed an outbound call (a call-back or a dialled number); Twilio rings the callee. */
  "dial_started",
  /** The outbound call's callee answered: they wait in the lobby for the agent who placed it. */
  "callee_answered",
  /** The outbound call's callee did not answer (detail.status: busy, no-answer, failed, canceled). */
  "dial_unanswered",
  /** The conversation's recording was started at Twilio (or could not be: detail.error). */
  "recording_started",
  "recording_failed",
] as const;
export type RingEventType = (typeof RING_EVENT_TYPES)[number];

/**
 * Why a claim ended without the agent connected: the lease lapsed before their leg joined, they
 * declined, their phone could not connect (microphone, network: said by the console), their leg was
 * refused or ended before joining, or the caller left.
 */
export const CLAIM_RELEASE_REASONS = ["lease_expired", "declined", "connect_failed", "leg_failed", "caller_gone"] as const;
export type ClaimReleaseReason = (typeof CLAIM_RELEASE_REASONS)[number];

/** Messages from the switchboard to a console. */
export type ServerMessage =
  /**
   * Sent first on every connection; `history` holds the most recent ended calls, newest first.
   * `voicemails`: every unhandled voicemail (up to 200, newest first) and the 50 newest of any status.
   * `unhandledVoicemails`: how many are "new" in all (absent from older switchboards: count the list).
   */
  | { type: "snapshot"; agents: AgentView[]; calls: CallView[]; history: CallView[]; voicemails: VoicemailView[]; unhandledVoicemails?: number; at: number }
  | { type: "call.ringing"; call: CallView }
  /** `agentId` placed an outbound call; Twilio rings its callee. */
  | { type: "call.dialing"; call: CallView; agentId: string }
  | { type: "call.answered"; call: CallView; agentId: string }
  | { type: "call.declined"; call: CallView; agentId: string }
  /** `detail`: what the winner's console said went wrong (a release), else null. */
  | { type: "call.claim_released"; call: CallView; agentId: string; reason: ClaimReleaseReason; detail: string | null }
  | { type: "call.connected"; call: CallView; agentId: string }
  | { type: "call.voicemail"; call: CallView }
  /** `agentId` parked it. (A retrieve that never connected comes back as call.claim_released, phase parked.) */
  | { type: "call.parked"; call: CallView; agentId: string | null }
  /** `agentId` won the retrieve: their console connects with the ticket it was given. */
  | { type: "call.retrieved"; call: CallView; agentId: string }
  | { type: "call.transferring"; call: CallView; from: string; to: string }
  /** The transfer target declined or did not answer: the call is parked again (call.lot). */
  | { type: "call.transfer_failed"; call: CallView; from: string; to: string; reason: TransferFailure }
  /** The park timeout: the call rings its parker (call.ringTargets), or everyone. */
  | { type: "call.recalled"; call: CallView }
  | { type: "call.ended"; call: CallView }
  /** A call's note was saved (PUT /api/calls/{sid}/note): every console shows it in the history. */
  | { type: "call.noted"; callSid: string; note: CallNote }
  /** A call's recording was saved (Twilio's recording callback): every console shows it in the history. */
  | { type: "call.recording"; callSid: string; recording: CallRecordingView }
  | { type: "agent.updated"; agent: AgentView }
  /** `version`: the agent's view after this change (see AgentView.version). */
  | { type: "agent.presence"; agentId: string; online: boolean; version: number }
  /** Sent to the paused agent's own consoles only: they let `missed` rings in a row time out, and are now away (`reason`). */
  | { type: "agent.paused"; agentId: string; reason: string; missed: number }
  | { type: "agent.removed"; agentId: string }
  | { type: "voicemail.created"; voicemail: VoicemailView }
  | { type: "voicemail.updated"; voicemail: VoicemailView }
  | { type: "error"; error: string };

export const TRANSFER_FAILURES = ["declined", "no_answer"] as const;
export type TransferFailure = (typeof TRANSFER_FAILURES)[number];

export type ServerMessageType = ServerMessage["type"];

export const SERVER_MESSAGE_TYPES = [
  "snapshot",
  "call.ringing",
  "call.dialing",
  "call.answered",
  "call.declined",
  "call.claim_released",
  "call.connected",
  "call.voicemail",
  "call.parked",
  "call.retrieved",
  "call.transferring",
  "call.transfer_failed",
  "call.recalled",
  "call.ended",
  "call.noted",
  "call.recording",
  "agent.updated",
  "agent.presence",
  "agent.paused",
  "agent.removed",
  "voicemail.created",
  "voicemail.updated",
  "error",
] as const satisfies readonly ServerMessageType[];
// Fails to compile when a message type is added to the union but not to the list above.
const everyTypeListed: Exclude<ServerMessageType, (typeof SERVER_MESSAGE_TYPES)[number]> extends never ? true : never = true;
void everyTypeListed;

const serverTypes = new Set<string>(SERVER_MESSAGE_TYPES);

/** Parses a switchboard frame at the console's edge; an unknown or malformed one is dropped. */
export function parseServerMessage(raw: unknown): ServerMessage | null {
  if (typeof raw !== "string") return null;
  try {
    const m: unknown = JSON.parse(raw);
    return typeof m === "object" && m !== null && serverTypes.has((m as { type?: string }).type ?? "") ? (m as ServerMessage) : null;
  } catch {
    return null;
  }
}
export type CallMessage = Extract<ServerMessage, { call: CallView }>;

export function isCallMessage(msg: ServerMessage): msg is CallMessage {
  return "call" in msg;
}

/**
 * What a won claim or retrieve gives its winner: a one-time ticket for the phone's connect
 * (device.connect({ params: { callerSid, ticket } })), valid until the lease ends.
 */
export interface Ticket {
  ticket: string;
  /** Epoch ms: the lease, after which the ticket is refused and the call rings the others again. */
  expiresAt: number;
}

/** The custom parameters a console's phone sends with its connect (names that are not Twilio's own). */
export const CONNECT_PARAMS = { callerSid: "callerSid", ticket: "ticket" } as const;

/** Body of a 200 or 409 answer to POST /api/calls/{sid}/claim. */
export type ClaimResponse =
  | ({ claimed: true } & Ticket)
  /** `busyWith`: the claimer already holds this other call, and takes one call at a time. */
  | { claimed: false; claimedBy: string | null; busyWith?: string };

/** Body of a 200 answer to POST /api/calls/{sid}/park. */
export interface ParkResponse {
  parked: true;
  slot: number;
  returnsAt: number;
}

/** Body of a 200 or 409 answer to POST /api/calls/{sid}/retrieve. */
export type RetrieveResponse =
  | ({ retrieved: true } & Ticket)
  /** `busyWith`: the retriever already holds this other call. */
  | { retrieved: false; retrievedBy: string | null; busyWith?: string };

/**
 * Body of POST /api/calls/dial: call `to` (E.164) from the team's caller ID; `voicemailId` when it
 * calls back a voicemail's caller (the voicemail then says who called back, and when).
 */
export interface DialRequest {
  to: string;
  voicemailId?: string;
}

/**
 * Body of its 201 answer: the new call, and the ticket the agent's phone connects with once the callee
 * answers (the console does that when it sees call.answered for this call with the agent's id).
 */
export interface DialResponse {
  callSid: string;
  ticket: string;
}

/** Body of POST /api/calls/{sid}/transfer. */
export interface TransferRequest {
  to: string;
}

export interface TransferResponse {
  transferring: true;
  to: string;
}

/** Body of POST /api/calls/{sid}/release: the claim's winner could not connect. */
export interface ReleaseRequest {
  /** What went wrong, in words (sent to every console with call.claim_released, and kept in the call's trail). */
  reason: string;
}

/** A phone number as Twilio's REST API takes it (E.164): +, the country code, the number, no spaces. */
export const E164 = /^\+[1-9][0-9]{6,14}$/;

/** Body of PUT /api/me/phone. */
export interface PhoneStateRequest {
  ready: boolean;
  /** Why not, when not ready (kept in the log; the console's own banner says it to the agent). */
  reason?: string;
}

/** The away reasons an admin has not edited yet (settings key "away_reasons"). */
export const DEFAULT_AWAY_REASONS = ["Break", "Lunch", "Training", "Meeting"] as const;
/** An away reason: trimmed, 1–40 characters; a list holds at most 20. */
export const AWAY_REASON_MAX_LENGTH = 40;
export const AWAY_REASONS_MAX = 20;

/** The away reason auto-pause sets (AUTO_PAUSE_AFTER). */
export function missedCallsReason(missed: number): string {
  return `Missed ${missed} call${missed === 1 ? "" : "s"}`;
}

/** Body of PUT /api/me/status: available, or away with a reason from the admin's list. */
export type StatusRequest = { status: "available" } | { status: "away"; reason: string };

/** Body of GET and PUT /api/settings/away-reasons. */
export interface AwayReasonsBody {
  reasons: string[];
}

/** Body of every 4xx/5xx answer of the API. */
export interface ApiError {
  error: string;
  details?: string[];
}

/** POST /api/session's 429: too many failed sign-ins; `retryAt` (epoch ms) is also in Retry-After, in seconds. */
export interface SignInThrottled extends ApiError {
  retryAt: number;
}

export interface MeResponse {
  agent: OwnAgentView;
  /** Which phone the console must use: Twilio's Voice SDK, or the built-in carrier simulator. */
  phone: "twilio" | "simulator";
}

// ---- Reports (GET /api/reports/*, supervisors and admins; definitions in docs/reports.md) ----

/** The period a report covers: a preset in the team's time zone, or a custom range of local dates. */
export type ReportPeriod = "today" | "yesterday" | "last7" | "custom";

/** The inbound outcomes the charts stack, in this order (docs/reports.md says how each is counted). */
export const REPORT_OUTCOMES = ["answered", "abandoned_waiting", "abandoned_parked", "voicemail"] as const;
export type ReportOutcome = (typeof REPORT_OUTCOMES)[number];

/** Headline figures of a period (the wallboard's "today so far" is this for today). */
export interface ReportTotals {
  /** Inbound calls that started in the period. */
  offered: number;
  answered: number;
  abandonedWaiting: number;
  abandonedParked: number;
  voicemail: number;
  /** Rings agents let run out (a ring answered by a colleague or declined is not one). */
  missedRings: number;
  /** Share (0–1) of offered calls answered within serviceLevelSeconds; null with no call offered. */
  serviceLevel: number | null;
  serviceLevelSeconds: number;
  /** Callers who hung up while waiting sooner than this are left out of the service level (SHORT_ABANDON_SECONDS; 0: none are). */
  shortAbandonSeconds: number;
  /** Speed of answer in seconds, over answered calls; null with none. */
  averageSpeedOfAnswer: number | null;
  p90SpeedOfAnswer: number | null;
  /** Average handle time in seconds: first connection to the end, over answered calls that ended. */
  averageHandleTime: number | null;
  outbound: number;
}

export interface ReportBucket {
  /** Start of the bucket (epoch ms) and its label in the team's time zone ("14:00", "Mon 24 Nov"). */
  start: number;
  label: string;
  counts: Record<ReportOutcome, number>;
  serviceLevel: number | null;
}

/** GET /api/reports/summary */
export interface ReportSummary {
  period: { kind: ReportPeriod; from: number; to: number; timeZone: string; bucket: "hour" | "day" };
  totals: ReportTotals;
  buckets: ReportBucket[];
  /** Wait before answer or hang-up, in seconds: upper bounds (the last is open-ended) and counts. */
  waitDistribution: { upTo: number | null; label: string; count: number }[];
}

/** One agent's row of GET /api/reports/agents; times in seconds. */
export interface AgentReportRow {
  agentId: string;
  name: string;
  answered: number;
  missedRings: number;
  declines: number;
  talkSeconds: number;
  wrapUpSeconds: number;
  awaySeconds: Record<string, number>;
}

export interface AgentReport {
  period: ReportSummary["period"];
  agents: AgentReportRow[];
}

/** One line of the call log (GET /api/reports/calls). */
export interface CallLogRow {
  callSid: string;
  direction: CallDirection;
  from: string;
  to: string;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  outcome: CallOutcome | null;
  answeredBy: string | null;
  dialedBy: string | null;
  /** Seconds from the start to the first connection (answered calls). */
  waitSeconds: number | null;
  talkSeconds: number | null;
  noteOutcome: string | null;
}

export interface CallLogPage {
  calls: CallLogRow[];
  /** Pass as `before` for the next (older) page; null at the end. */
  next: string | null;
  /** How many calls the search finds in all: on the first page only (absent with `before`). */
  total?: number;
}

/** One step of a call's timeline (GET /api/reports/calls/{sid}): the audit trail, in order. */
export interface TimelineEntry {
  at: number;
  type: string;
  agentId: string | null;
  agentName: string | null;
  detail: Record<string, unknown> | null;
}

export interface CallTimeline {
  call: CallLogRow;
  entries: TimelineEntry[];
  note: CallNote | null;
}

/** GET /api/settings/time-zone (any agent), and PUT's body and answer (admin): the team's IANA time zone, "UTC" until set. */
export interface TimeZoneBody {
  timeZone: string;
}

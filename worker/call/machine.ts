// The rules of one call, as a pure state machine: (state, input) → { state, effects, reply }.
// The CallSession Durable Object feeds it inputs in arrival order and persists the result in the same
// synchronous block, which is what makes "first claim wins" hold under any concurrency.
//
// The caller always waits in a conference of their own at Twilio (the lobby, named by their CallSid),
// hearing the worker's wait music. Twilio rings no browser: the consoles ring from the switchboard,
// and only the claim's winner joins the conference, from their phone, with a one-time ticket.
//
//   ringing ──claim──▶ claimed ──ticketed connect, agent joined──▶ connected ──hang-up──▶ ended
//      ▲                  │                                           │
//      └─lease lapsed, connect failed, declined                       ├─agent's leg dropped──▶ ringing (reconnect)
//   ringing ──wait over, all declined──▶ voicemail                    ├─transfer──▶ ringing (its target)
//   parked ──retrieve (a claim)──▶ claimed                             └─park──▶ parked ──park timeout──▶ ringing (recall)
//
// Every time the product moves the caller by REST (into a fresh lobby, or to voicemail) the call's
// generation `gen` grows; it is carried in the URLs of the caller's TwiML, so a callback of a
// conference the caller has left (the parked agent's leg leaving, its <Dial action>) is stale.

import {
  type CallDirection,
  type CallOutcome,
  type CallPhase,
  type CallView,
  type ClaimReleaseReason,
  type LotView,
  type RingEventType,
  type RingPurpose,
  type ServerMessage,
  type TransferFailure,
  voicemailAudioUrl,
} from "../protocol";

export interface CallConfig {
  /** How long a won claim waits for the winner's leg to join the caller. */
  leaseMs: number;
  /** The longest a caller waits for an agent (RING_TIMEOUT_SECONDS), per wait. */
  waitMs: number;
  /** How long a call waits in the parking lot before it rings again. */
  parkTimeoutMs: number;
  /** With no word from Twilio for this long, the call session asks Twilio where the call is. */
  reconcileMs: number;
}

/** Transient REST failures (timeouts, 5xx) are retried this many times, each with a new generation. */
export const MAX_TWILIO_ATTEMPTS = 4;

export interface Claim {
  agentId: string;
  claimedAt: number;
  expiresAt: number;
  /** One-time: at least 128 random bits, made by the call session. */
  ticket: string;
  /** The agent's leg that presented the ticket (null until it did). */
  legSid: string | null;
}

export interface CallState {
  callSid: string;
  from: string;
  to: string;
  phase: CallPhase;
  purpose: RingPurpose;
  /** null: every eligible agent who has not declined; a list: only these (protocol.ts ringsAgent). */
  ringTargets: string[] | null;
  declined: string[];
  claim: Claim | null;
  answeredBy: string | null;
  answeredAt: number | null;
  /** The connected agent's leg (its CallSid). */
  answeredLeg: string | null;
  outcome: CallOutcome | null;
  startedAt: number;
  endedAt: number | null;
  waitingSince: number | null;
  /** When this wait gives up (voicemail, back to the lot, or the next recall stage). */
  waitEndsAt: number | null;
  gen: number;
  lot: LotView | null;
  transfer: { from: string; to: string } | null;
  callerGone: boolean;
  recordingSid: string | null;
  /** Agent legs that left the conference: a join reported after its leave changes nothing. */
  legsLeft: string[];
  /**
   * Legs whose connect was refused (the last 20): a repeat of the same signed request (a retry, or a
   * replay) is refused again without another audit entry. Absent in states saved before it existed.
   */
  legsRefused?: string[];
  /** Last time Twilio said anything about this call (or the call session asked it). */
  heardAt: number;
  seq: number;
  /** Where the worker is reached, for the absolute URLs in TwiML sent through the REST API. */
  origin: string;
  /** How to take back the last move if Twilio refuses it outright (a 4xx that did nothing). */
  undo: Undo | null;
  /** Absent in states saved before outbound calls existed: inbound. */
  direction?: CallDirection;
  /** Who placed an outbound call. */
  dialedBy?: string | null;
  /** An outbound call the callee did not answer: Twilio's final status (busy, no-answer, failed, canceled). */
  dialResult?: string | null;
  /** The team's recording setting when the call began: record the caller's leg from the first agent on. */
  record?: boolean;
  /** The recording was asked of Twilio (once per call: it runs until the call ends). */
  recordingAsked?: boolean;
}

export interface Undo {
  gen: number;
  previousGen: number;
  back: { agentId: string; leg: string | null; purpose: RingPurpose };
}

/** A request to Twilio's REST API. `attempt` counts retries after transient failures. */
export type TwilioOp =
  /** Redirect the caller into the lobby conference of generation `gen` (wait or hold music). */
  | { op: "lobby"; gen: number; attempt: number }
  | { op: "voicemail"; gen: number; attempt: number }
  /** End the caller's call. */
  | { op: "hangup"; attempt: number }
  /** End an agent's leg that must not be (or no longer be) with the caller. */
  | { op: "kick"; legSid: string; attempt: number }
  /** Start recording the caller's leg, to the end of the call (the call's first connection to an agent). */
  | { op: "record"; attempt: number };

/** What Twilio made of a request, as the call session classified it. */
export type TwilioOutcome =
  | "ok"
  /** 21220 / 20404, or a fetch after a failure says the call has ended. */
  | "gone"
  /** Another 4xx (but 429): nothing was applied. */
  | "refused"
  /** 429 after the client's own retries, 5xx, a timeout, a network error: it may have been applied. */
  | "transient";

/** What must happen outside the machine. Applied by the call session after the state is saved. */
export type Effect =
  | { type: "record"; event: RingEventType; agentId: string | null; detail: Record<string, unknown> | null; at: number; seq: number }
  | { type: "publish"; message: ServerMessage }
  | { type: "claimStarted"; claim: Claim }
  | { type: "claimEnded"; agentId: string; claimedAt: number; outcome: ClaimOutcome; at: number }
  /** The agent now holds this call (claimed or connected): not rung for others. */
  | { type: "agentBusy"; agentId: string }
  /** The agent is free again; `callEnded` means a call they were on is over for them. */
  | { type: "agentFree"; agentId: string; at: number; callEnded: boolean }
  | { type: "saveVoicemail"; recording: Recording; at: number }
  /** The parking slot's record (its slot was reserved in D1 before the park was decided). */
  | { type: "lotSaved"; lot: LotView }
  /**
   * The call's slot reservation in D1 is over: that slot's (null: the call has ended, and whatever it
   * holds). Named so that an entry applied late or twice cannot free a newer reservation of the call.
   */
  | { type: "lotReleased"; slot: number | null }
  /** Not saved in the outbox: the call session sends it to Twilio once the step is saved. */
  | { type: "twilio"; request: TwilioOp };

export interface Recording {
  recordingSid: string;
  recordingUrl: string;
  durationSeconds: number;
}

export type ClaimOutcome = "connected" | ClaimReleaseReason;

/** What the switchboard knows of the agent who asks, read just before the input is decided. */
export interface AgentFacts {
  /** Available, online, phone ready, holding no call. */
  eligible: boolean;
  /** A console online with its phone ready: able to connect, available or not. */
  canConnect: boolean;
  /** Another call the agent holds, if any: one call at a time. */
  busyWith: string | null;
}

export type ConferenceEvent = "participant-join" | "participant-leave";

export type Input =
  /** `available`: agents online and available (busy or not); `eligible`: those a ring reaches now. */
  | { type: "start"; from: string; to: string; origin: string; available: number; eligible: string[]; record: boolean; at: number }
  /** An agent placed an outbound call (Twilio has created it and rings `to`); `from` is the caller ID. */
  | { type: "dial"; agentId: string; agent: AgentFacts; from: string; to: string; origin: string; ticket: string; record: boolean; at: number }
  /** The outbound call's callee answered: Twilio asks for their TwiML. */
  | { type: "calleeAnswered"; at: number }
  | { type: "claim"; agentId: string; agent: AgentFacts; ticket: string; at: number }
  /** `eligible`: who a ring reaches now, to know whether anyone is left to take it. */
  | { type: "decline"; agentId: string; eligible: string[]; at: number }
  | { type: "release"; agentId: string; reason: string; at: number }
  | { type: "removeAgent"; agentId: string; eligible: string[]; at: number }
  | { type: "connect"; agentId: string; ticket: string; legSid: string; at: number; onTeam?: boolean }
  /** `eligible`: who a ring reaches now, read for an agent's leave (a dropped agent rings everyone). */
  | { type: "conference"; event: ConferenceEvent; label: string; legSid: string; gen: number; reason: string | null; eligible: string[] | null; at: number }
  | { type: "lobbyEnded"; gen: number; callerGone: boolean; at: number }
  | { type: "hangup"; agentId: string; at: number }
  /** `slot` was reserved in D1 for this call. */
  | { type: "park"; agentId: string; slot: number; at: number }
  | { type: "retrieve"; agentId: string; agent: AgentFacts; ticket: string; at: number }
  | { type: "transfer"; agentId: string; to: string; toEligible: boolean; slot: number; at: number }
  /** The park timeout is due; `eligible`: who a ring reaches now. */
  | { type: "recall"; eligible: string[]; at: number }
  /** Agents who became eligible while the call rings everyone: recorded as rung. */
  | { type: "rang"; agentIds: string[]; at: number }
  | { type: "twilioResult"; request: TwilioOp; outcome: TwilioOutcome; error: string | null; at: number }
  /** A final status of the caller's call, from any callback (`status`: Twilio's CallStatus, when known). */
  | { type: "callerGone"; source: string; status?: string; at: number }
  /** What Twilio said when asked (null: it could not be asked). */
  | { type: "reconciled"; caller: string | null; agentLeg: string | null; at: number }
  | { type: "voicemailRecorded"; recording: Recording; at: number }
  /** `eligible`: who a ring reaches now, when a wait is over (a recall then rings everyone); else null. */
  | { type: "alarm"; eligible: string[] | null; at: number };

/** Call statuses after which the call is over (Twilio's Call resource). */
export const FINAL_CALL_STATUSES = ["completed", "busy", "failed", "no-answer", "canceled"] as const;
export const isFinalStatus = (status: string) => (FINAL_CALL_STATUSES as readonly string[]).includes(status);

// ---- replies: one type per call-session method ----

export type StartReply = { phase: CallPhase; gen: number; fresh: boolean };
export type DialReply = { status: 200; ticket: string } | { status: 409; why: string; busyWith: string | null } | { status: 403; why: string };
export type ClaimReply =
  | { status: 200; ticket: string; expiresAt: number }
  | { status: 409; claimedBy: string | null; busyWith: string | null }
  | { status: 403 | 404 | 410; why: string };
export type StatusReply = { status: 200 | 403 | 404 | 409 | 410; why: string | null };
export type ConnectReply = { joined: true; gen: number } | { joined: false; why: string };
export type ParkReply = { status: 200; lot: LotView } | { status: 403 | 404 | 409 | 410 | 502; why: string };
export type RetrieveReply =
  | { status: 200; ticket: string; expiresAt: number }
  | { status: 409; retrievedBy: string | null; busyWith: string | null }
  | { status: 403 | 404 | 410; why: string };
/** What the caller's TwiML must be now (the lobby of a generation, voicemail, or hang up). */
export type CallerProgram = { run: "lobby"; gen: number } | { run: "voicemail"; gen: number } | { run: "hangup" };

export type Reply = StartReply | DialReply | ClaimReply | StatusReply | ConnectReply | ParkReply | RetrieveReply | CallerProgram | null;

export interface Step<R extends Reply = Reply> {
  state: CallState | null;
  effects: Effect[];
  reply: R;
}


export function start(state: CallState | null, input: Extract<Input, { type: "start" }>, config: CallConfig, callSid: string): Step<StartReply> {
  // Twilio retries the voice webhook: the second request must get the same answer.
  if (state) return { state, effects: [], reply: { phase: state.phase, gen: state.gen, fresh: false } };
  const nobody = input.available === 0;
  const t = new Tx({
    ...newCall(callSid, input.from, input.to, input.origin, input.at, input.record),
    phase: nobody ? "voicemail" : "ringing",
    purpose: "inbound",
    direction: "inbound",
    waitingSince: nobody ? null : input.at,
    waitEndsAt: nobody ? null : input.at + config.waitMs,
  });
  if (nobody) {
    t.record("voicemail", null, { reason: "nobody_available" }, input.at);
    t.publish((call) => ({ type: "call.voicemail", call }));
  } else {
    recordRing(t, input.eligible, "inbound", input.at);
    t.publish((call) => ({ type: "call.ringing", call }));
  }
  return { state: t.s, effects: t.effects, reply: { phase: t.s.phase, gen: t.s.gen, fresh: true } };
}

/** A call's state at its first input, before what its direction sets. */
function newCall(callSid: string, from: string, to: string, origin: string, at: number, record: boolean): CallState {
  return {
    callSid,
    from,
    to,
    phase: "ringing",
    purpose: "inbound",
    ringTargets: null,
    declined: [],
    claim: null,
    answeredBy: null,
    answeredAt: null,
    answeredLeg: null,
    outcome: null,
    startedAt: at,
    endedAt: null,
    waitingSince: null,
    waitEndsAt: null,
    gen: 1,
    lot: null,
    transfer: null,
    callerGone: false,
    recordingSid: null,
    legsLeft: [],
    heardAt: at,
    seq: 0,
    origin,
    undo: null,
    dialedBy: null,
    dialResult: null,
    record,
  };
}

/**
 * An agent's outbound call (a call-back or a dialled number), on the same model as an inbound one:
 * the callee, once they answer, waits in a lobby conference of their own, and the agent who placed
 * the call holds its claim (and its one-time ticket) from the start, so nobody else can take it and
 * they are not rung for other calls meanwhile. From the answer on it is parked, retrieved,
 * transferred and ended exactly like an inbound call.
 */
export function dial(state: CallState | null, input: Extract<Input, { type: "dial" }>, config: CallConfig, callSid: string): Step<DialReply> {
  if (state) {
    // A repeat of the same request gets the same ticket; anything else finds the call placed.
    const mine = state.phase === "dialing" && state.claim?.agentId === input.agentId;
    return { state, effects: [], reply: mine && state.claim ? { status: 200, ticket: state.claim.ticket } : { status: 409, why: "this call was already placed", busyWith: null } };
  }
  const { agentId, at } = input;
  if (input.agent.busyWith) return { state, effects: [], reply: { status: 409, why: "you are on another call", busyWith: input.agent.busyWith } };
  if (!input.agent.canConnect) return { state, effects: [], reply: { status: 403, why: "your phone is not ready: it could not take the call" } };
  // The lease starts when the callee answers; until then the claim is held for as long as Twilio rings.
  const c: Claim = { agentId, claimedAt: at, expiresAt: at + config.waitMs + config.leaseMs, ticket: input.ticket, legSid: null };
  const t = new Tx({
    ...newCall(callSid, input.from, input.to, input.origin, at, input.record),
    phase: "dialing",
    purpose: "outbound",
    direction: "outbound",
    ringTargets: [agentId],
    claim: c,
    dialedBy: agentId,
  });
  t.effects.push({ type: "claimStarted", claim: c }, { type: "agentBusy", agentId });
  t.record("dial_started", agentId, { to: input.to }, at);
  t.publish((call) => ({ type: "call.dialing", call, agentId }));
  return { state: t.s, effects: t.effects, reply: { status: 200, ticket: c.ticket } };
}

/**
 * The callee answered: they wait in their lobby for the agent who placed the call, whose console
 * connects with the ticket it already holds. If that agent's leg never joins (lease lapsed, phone
 * failed), the callee is not dropped: the call rings everyone, like a caller whose agent's leg dropped.
 */
export function calleeAnswered(t: Tx, input: Extract<Input, { type: "calleeAnswered" }>, config: CallConfig): CallerProgram {
  const s = t.s;
  const c = s.claim;
  // A repeated webhook, or an answer after the agent cancelled: what the callee runs now.
  if (s.phase !== "dialing" || !c) return callerProgram(s);
  const { at } = input;
  s.phase = "claimed";
  s.heardAt = at;
  c.expiresAt = at + config.leaseMs;
  s.waitingSince = at;
  s.waitEndsAt = at + config.waitMs;
  t.record("callee_answered", c.agentId, { leaseMs: config.leaseMs }, at);
  t.publish((call) => ({ type: "call.answered", call, agentId: c.agentId }));
  return callerProgram(s);
}

/** An outbound call ended before its callee answered (or the agent cancelled it). */
function dialOver(t: Tx, status: string, at: number): void {
  const s = t.s;
  s.dialResult = status;
  t.record("dial_unanswered", s.dialedBy ?? null, { status }, at);
  end(t, "unanswered", at);
}

/**
 * Decides one input. `step` runs it on a scratch copy; an input that changes nothing hands back the
 * same state object, so the call session writes nothing (99 of 100 racing claims are refusals).
 */
export function step<R extends Reply>(state: CallState | null, config: CallConfig, run: (t: Tx) => R, missing: R): Step<R> {
  if (!state) return { state, effects: [], reply: missing };
  const t = new Tx(state);
  const reply = run(t);
  const unchanged = t.effects.length === 0 && JSON.stringify(t.s) === JSON.stringify(state);
  return { state: unchanged ? state : t.s, effects: t.effects, reply };
}

/** When the call session must wake up next, or null. */
export function nextAlarm(s: CallState | null, config: CallConfig): number | null {
  if (!s || s.phase === "ended") return null;
  const due = [s.heardAt + config.reconcileMs];
  if (s.phase === "claimed" && s.claim) due.push(s.claim.expiresAt);
  if (s.phase === "ringing" && s.waitEndsAt !== null) due.push(s.waitEndsAt);
  if (s.phase === "parked" && s.lot?.returnsAt != null) due.push(s.lot.returnsAt);
  return Math.min(...due);
}

/** The park timeout has come: the call session must find who is eligible and send a recall. */
export function recallDue(s: CallState | null, at: number): boolean {
  return s?.phase === "parked" && s.lot?.returnsAt != null && at >= s.lot.returnsAt;
}

/** Callbacks have stopped for long enough that Twilio must be asked where the call is. */
export function reconcileDue(s: CallState | null, at: number, config: CallConfig): boolean {
  return !!s && s.phase !== "ended" && at >= s.heardAt + config.reconcileMs;
}

/** What the caller must run now: the answer to any of Twilio's requests for the caller's TwiML. */
export function callerProgram(s: CallState): CallerProgram {
  if (s.phase === "ended" || s.callerGone) return { run: "hangup" };
  if (s.phase === "voicemail") return { run: "voicemail", gen: s.gen };
  return { run: "lobby", gen: s.gen };
}

export function view(s: CallState): CallView {
  return {
    callSid: s.callSid,
    from: s.from,
    to: s.to,
    phase: s.phase,
    ringTargets: s.ringTargets ? [...s.ringTargets] : null,
    declined: [...s.declined],
    // Filled in by the switchboard, which alone knows who is eligible now.
    ringingCount: 0,
    waitingSince: s.waitingSince,
    claimedBy: s.phase === "claimed" ? (s.claim?.agentId ?? null) : null,
    answeredBy: s.answeredBy,
    purpose: s.purpose,
    lot: s.lot ? { ...s.lot } : null,
    transfer: s.transfer ? { ...s.transfer } : null,
    outcome: s.outcome,
    startedAt: s.startedAt,
    answeredAt: s.answeredAt,
    endedAt: s.endedAt,
    seq: s.seq,
    direction: s.direction ?? "inbound",
    dialedBy: s.dialedBy ?? null,
    dialResult: s.dialResult ?? null,
    recorded: s.record === true,
  };
}

// ---- the inputs ----

export function claim(t: Tx, input: Extract<Input, { type: "claim" }>, config: CallConfig): ClaimReply {
  const s = t.s;
  const { agentId, at } = input;
  expireLease(t, at, config);
  if (gone(s)) return { status: 410, why: "this call has ended or gone to voicemail" };
  if (s.phase === "connected") return { status: 409, claimedBy: s.answeredBy, busyWith: null };
  if (s.phase === "dialing") return { status: 409, claimedBy: s.dialedBy ?? null, busyWith: null };
  const held = s.claim;
  // The winner asking again (a retried request) gets the same ticket while it is unused.
  if (s.phase === "claimed" && held?.agentId === agentId && held.legSid === null && s.purpose !== "retrieve") {
    return { status: 200, ticket: held.ticket, expiresAt: held.expiresAt };
  }
  if (s.phase === "claimed") return { status: 409, claimedBy: held?.agentId ?? null, busyWith: null };
  if (s.phase === "parked") return { status: 409, claimedBy: null, busyWith: null };
  // One call at a time: an agent holding another call cannot take this one.
  if (input.agent.busyWith && input.agent.busyWith !== s.callSid) return { status: 409, claimedBy: null, busyWith: input.agent.busyWith };
  // Only an agent this call rings may take it: nobody can steal a call.
  if (s.declined.includes(agentId)) return { status: 403, why: "you declined this call" };
  if (s.ringTargets && !s.ringTargets.includes(agentId)) return { status: 403, why: "this call rings somebody else" };
  if (!input.agent.eligible) return { status: 403, why: "this call does not ring you: you are unavailable, offline, or your phone is not ready" };
  const c: Claim = { agentId, claimedAt: at, expiresAt: at + config.leaseMs, ticket: input.ticket, legSid: null };
  s.phase = "claimed";
  s.claim = c;
  t.effects.push({ type: "claimStarted", claim: c }, { type: "agentBusy", agentId });
  t.record("answered", agentId, { leaseMs: config.leaseMs, purpose: s.purpose }, at);
  t.publish((call) => ({ type: "call.answered", call, agentId }));
  return { status: 200, ticket: c.ticket, expiresAt: c.expiresAt };
}

export function decline(t: Tx, input: Extract<Input, { type: "decline" }>, config: CallConfig): StatusReply {
  const s = t.s;
  const { agentId, at } = input;
  expireLease(t, at, config);
  if (gone(s)) return { status: 410, why: "this call has ended or gone to voicemail" };
  if (s.phase === "connected" || s.phase === "parked" || s.phase === "dialing") return { status: 409, why: "this call is not ringing" };
  if (s.declined.includes(agentId)) return { status: 200, why: null };
  const holder = s.phase === "claimed" && s.claim?.agentId === agentId;
  // Only an agent the call rings may decline it: a busy agent's decline must not send a caller
  // waiting in line to voicemail.
  const rings = (s.ringTargets ? s.ringTargets.includes(agentId) : true) && input.eligible.includes(agentId);
  if (!holder && !rings) return { status: 403, why: "this call does not ring you" };
  if (s.phase === "claimed" && !holder) return { status: 409, why: "another agent is answering this call" };
  if (holder) releaseClaim(t, "declined", at, null);
  s.declined.push(agentId);
  t.record("declined", agentId, { purpose: s.purpose }, at);
  t.publish((call) => ({ type: "call.declined", call, agentId }));
  const left = s.ringTargets ? s.ringTargets.filter((a) => !s.declined.includes(a)) : input.eligible.filter((a) => !s.declined.includes(a));
  if (s.phase === "ringing" && left.length === 0) waitOver(t, "declined", at, config, input.eligible);
  return { status: 200, why: null };
}

/** The winner's phone could not connect (microphone, network, a refused join): ring the others again. */
export function release(t: Tx, input: Extract<Input, { type: "release" }>, config: CallConfig): StatusReply {
  const s = t.s;
  expireLease(t, input.at, config);
  if (gone(s)) return { status: 410, why: "this call has ended" };
  if (s.phase !== "claimed" || s.claim?.agentId !== input.agentId) return { status: 409, why: "you are not answering this call" };
  releaseClaim(t, "connect_failed", input.at, input.reason);
  afterRelease(t, input.at, config);
  return { status: 200, why: null };
}

/**
 * The agent was disabled: they must not stay with the caller, whatever their browser does. Their leg
 * is ended by REST and the caller rings everyone again (as when a leg drops); a claim of theirs is
 * released.
 */
export function removeAgent(t: Tx, input: Extract<Input, { type: "removeAgent" }>, config: CallConfig): StatusReply {
  const s = t.s;
  const { agentId, at } = input;
  expireLease(t, at, config);
  if (gone(s)) return { status: 410, why: "this call has ended" };
  if (s.phase === "dialing" && s.dialedBy === agentId) {
    t.record("agent_disabled", agentId, { phase: s.phase }, at);
    dialOver(t, "canceled", at);
    t.effects.push({ type: "twilio", request: { op: "hangup", attempt: 1 } });
    return { status: 200, why: null };
  }
  if ((s.phase === "connected" && s.answeredBy === agentId) || (s.phase === "claimed" && s.claim?.agentId === agentId)) {
    t.record("agent_disabled", agentId, { phase: s.phase }, at);
  }
  if (s.phase === "connected" && s.answeredBy === agentId) {
    if (s.answeredLeg) t.effects.push({ type: "twilio", request: { op: "kick", legSid: s.answeredLeg, attempt: 1 } });
    agentDropped(t, at, config, input.eligible.filter((id) => id !== agentId));
    return { status: 200, why: null };
  }
  if (s.phase === "claimed" && s.claim?.agentId === agentId) {
    releaseClaim(t, "leg_failed", at, "the agent was disabled");
    afterRelease(t, at, config);
    return { status: 200, why: null };
  }
  return { status: 409, why: "the agent holds no part of this call" };
}

/** The TwiML App's request for the winner's leg: the ticket must be this call's, unused, in time. */
export function connect(t: Tx, input: Extract<Input, { type: "connect" }>, config: CallConfig): ConnectReply {
  const s = t.s;
  const { agentId, at } = input;
  expireLease(t, at, config);
  const c = s.claim;
  const leg = input.legSid;
  // A leg this call already answered is a repeat of its own request (Twilio retrying it, or a captured
  // request replayed): the same answer again, and no new audit entry, so a replay cannot grow the trail.
  const ownLeg = !gone(s) && c?.agentId === agentId && c.ticket === input.ticket && c.legSid === leg && s.phase === "claimed";
  if (ownLeg || (s.phase === "connected" && s.answeredLeg === leg && s.answeredBy === agentId)) return { joined: true, gen: s.gen };
  const known = s.answeredLeg === leg || c?.legSid === leg || s.legsLeft.includes(leg) || (s.legsRefused ?? []).includes(leg);
  const refuse = (why: string): ConnectReply => {
    if (!known) {
      t.record("connect_refused", agentId, { why, legSid: leg }, at);
      s.legsRefused = [...(s.legsRefused ?? []).slice(-19), leg];
    }
    return { joined: false, why };
  };
  if (gone(s)) return refuse("the caller is gone");
  // Disabled or deleted since the claim was won (onTeam: the switchboard's word, absent in unit tests):
  // the ticket must not reach the caller, and the others ring again at once.
  if (input.onTeam === false) {
    const refused = refuse("the agent was disabled or removed");
    if (s.phase === "claimed" && c?.agentId === agentId) {
      releaseClaim(t, "leg_failed", at, "the agent was disabled or removed");
      afterRelease(t, at, config);
    }
    return refused;
  }
  if (s.phase === "dialing") return refuse("the callee has not answered yet");
  if (s.phase !== "claimed" || !c) return refuse("nobody holds a claim on this call");
  if (!input.ticket || c.ticket !== input.ticket) return refuse("not this call's ticket");
  if (c.agentId !== agentId) return refuse("the ticket belongs to another agent");
  if (c.legSid !== null) return refuse("the ticket was already used");
  c.legSid = input.legSid;
  // The ticket came in time: the join is Twilio's to report now, and under load its callback can be
  // slow. A lease renewed here spares kicking an agent who is already with the caller.
  c.expiresAt = Math.max(c.expiresAt, at + config.leaseMs);
  s.heardAt = at;
  t.record("ticket_used", agentId, { legSid: input.legSid }, at);
  return { joined: true, gen: s.gen };
}

export function conference(t: Tx, input: Extract<Input, { type: "conference" }>, config: CallConfig): null {
  const s = t.s;
  const { legSid, at } = input;
  expireLease(t, at, config);
  if (input.gen === s.gen) s.heardAt = at;
  if (input.label === "caller") {
    // A caller moved by our own REST redirect (or a retried one) leaves the old conference "via the
    // API": only any other leave means the caller is gone (hung up, or the call failed).
    const ours = input.reason === "participant_updated_via_api" || input.reason === "conference_ended_via_api";
    if (input.event === "participant-leave" && input.gen === s.gen && !ours) callerGone(t, "conference", at);
    return null;
  }
  if (input.event === "participant-join") {
    if (s.legsLeft.includes(legSid)) return null; // its leave overtook its join
    if (s.phase === "claimed" && s.claim?.legSid === legSid && input.gen === s.gen) {
      connected(t, s.claim.agentId, legSid, at);
    } else if (!(s.phase === "connected" && s.answeredLeg === legSid)) {
      // Only the claim's winner is ever with the caller: a late join (lease lapsed, caller gone, a
      // conference of another generation) is ended at once.
      t.record("connect_refused", null, { why: "joined without a valid claim", legSid, gen: input.gen }, at);
      t.effects.push({ type: "twilio", request: { op: "kick", legSid, attempt: 1 } });
    }
    return null;
  }
  // participant-leave of an agent
  s.legsLeft = [...s.legsLeft.slice(-19), legSid];
  if (s.phase === "connected" && s.answeredLeg === legSid) agentDropped(t, at, config, input.eligible);
  else if (s.phase === "claimed" && s.claim?.legSid === legSid) {
    releaseClaim(t, "leg_failed", at, "the agent's leg left before it was connected");
    afterRelease(t, at, config);
  }
  return null;
}

/** The caller's <Dial> ended: the lobby's conference is over without the product moving the caller. */
export function lobbyEnded(t: Tx, input: Extract<Input, { type: "lobbyEnded" }>): CallerProgram {
  const s = t.s;
  if (input.callerGone) {
    callerGone(t, "lobby_ended", input.at);
    return { run: "hangup" };
  }
  // The action of a lobby the caller was moved out of: Twilio ignores the answer; give the truth anyway.
  if (input.gen !== s.gen || s.phase === "ended" || s.phase === "voicemail") return callerProgram(s);
  s.heardAt = input.at;
  // The conference ended under a caller who is still there (its wait music failed, or it was ended
  // from outside): never lose the caller, take a message.
  if (s.claim) releaseClaim(t, "leg_failed", input.at, "the lobby ended");
  if (s.phase === "connected" && s.answeredBy) t.effects.push({ type: "agentFree", agentId: s.answeredBy, at: input.at, callEnded: true });
  toVoicemail(t, "lobby_ended", input.at, false);
  return callerProgram(s);
}

export function hangup(t: Tx, input: Extract<Input, { type: "hangup" }>): StatusReply {
  const s = t.s;
  if (s.phase === "ended") return { status: 410, why: "this call has ended" };
  // The agent who placed an outbound call cancels it before they are connected to the callee.
  const placing = s.direction === "outbound" && s.answeredAt === null && s.claim?.agentId === input.agentId && (s.phase === "dialing" || s.phase === "claimed");
  if (placing) {
    t.record("agent_hangup", input.agentId, { phase: s.phase }, input.at);
    dialOver(t, "canceled", input.at);
    t.effects.push({ type: "twilio", request: { op: "hangup", attempt: 1 } });
    return { status: 200, why: null };
  }
  if (s.phase !== "connected" || s.answeredBy !== input.agentId) return { status: 403, why: "you are not on this call" };
  t.record("agent_hangup", input.agentId, null, input.at);
  end(t, "answered", input.at);
  // The caller leaves, their conference ends, and the agent's leg with it.
  t.effects.push({ type: "twilio", request: { op: "hangup", attempt: 1 } });
  return { status: 200, why: null };
}

export function park(t: Tx, input: Extract<Input, { type: "park" }>, config: CallConfig): ParkReply {
  const s = t.s;
  const { agentId, at } = input;
  if (gone(s)) return { status: 410, why: "this call has ended" };
  // Only the agent on the call parks it: nobody parks (or steals) a colleague's caller.
  if (s.phase !== "connected" || s.answeredBy !== agentId) return { status: 403, why: "only the agent connected to this call can park it" };
  s.undo = { gen: s.gen + 1, previousGen: s.gen, back: { agentId, leg: s.answeredLeg, purpose: s.purpose } };
  s.gen++;
  s.phase = "parked";
  s.answeredLeg = null;
  s.lot = { slot: input.slot, parkedBy: agentId, parkedAt: at, returnsAt: at + config.parkTimeoutMs };
  t.effects.push({ type: "agentFree", agentId, at, callEnded: true }, { type: "lotSaved", lot: { ...s.lot } });
  t.record("parked", agentId, { slot: input.slot, returnsAt: s.lot.returnsAt }, at);
  t.publish((call) => ({ type: "call.parked", call, agentId }));
  t.effects.push({ type: "twilio", request: { op: "lobby", gen: s.gen, attempt: 1 } });
  return { status: 200, lot: { ...s.lot } };
}

/** A retrieve is a claim on a parked call: the winner connects with the ticket; the caller stays on hold meanwhile. */
export function retrieve(t: Tx, input: Extract<Input, { type: "retrieve" }>, config: CallConfig): RetrieveReply {
  const s = t.s;
  const { agentId, at } = input;
  expireLease(t, at, config);
  if (gone(s)) return { status: 410, why: "this call has ended or gone to voicemail" };
  if (s.phase !== "parked" || !s.lot) {
    const holder = s.phase === "connected" ? s.answeredBy : s.phase === "claimed" ? (s.claim?.agentId ?? null) : null;
    return { status: 409, retrievedBy: holder, busyWith: null };
  }
  if (input.agent.busyWith && input.agent.busyWith !== s.callSid) return { status: 409, retrievedBy: null, busyWith: input.agent.busyWith };
  if (!input.agent.canConnect) return { status: 403, why: "your phone is not ready: it could not take the call" };
  const c: Claim = { agentId, claimedAt: at, expiresAt: at + config.leaseMs, ticket: input.ticket, legSid: null };
  s.phase = "claimed";
  s.purpose = "retrieve";
  s.claim = c;
  s.ringTargets = [agentId];
  s.declined = [];
  t.effects.push({ type: "claimStarted", claim: c }, { type: "agentBusy", agentId });
  t.record("retrieve_started", agentId, { slot: s.lot.slot }, at);
  t.publish((call) => ({ type: "call.retrieved", call, agentId }));
  return { status: 200, ticket: c.ticket, expiresAt: c.expiresAt };
}

export function transfer(t: Tx, input: Extract<Input, { type: "transfer" }>, config: CallConfig): StatusReply {
  const s = t.s;
  const { agentId, to, at } = input;
  if (gone(s)) return { status: 410, why: "this call has ended" };
  if (s.phase !== "connected" || s.answeredBy !== agentId) return { status: 403, why: "only the agent connected to this call can transfer it" };
  if (to === agentId) return { status: 409, why: "you cannot transfer a call to yourself" };
  if (!input.toEligible) return { status: 409, why: "they cannot take a call now (offline, unavailable, on a call, or their phone is not ready)" };
  s.undo = { gen: s.gen + 1, previousGen: s.gen, back: { agentId, leg: s.answeredLeg, purpose: s.purpose } };
  s.gen++;
  // The slot is held while the transfer rings, so a declined transfer always has a place to return to.
  s.lot = { slot: input.slot, parkedBy: agentId, parkedAt: null, returnsAt: null };
  s.answeredLeg = null;
  beginWait(t, "transfer", [to], at, config);
  s.transfer = { from: agentId, to };
  t.effects.push({ type: "agentFree", agentId, at, callEnded: true }, { type: "lotSaved", lot: { ...s.lot } });
  t.record("transfer_started", agentId, { to, slot: input.slot }, at);
  recordRing(t, [to], "transfer", at);
  t.publish((call) => ({ type: "call.transferring", call, from: agentId, to }));
  t.effects.push({ type: "twilio", request: { op: "lobby", gen: s.gen, attempt: 1 } });
  return { status: 200, why: null };
}

export function recall(t: Tx, input: Extract<Input, { type: "recall" }>, config: CallConfig): null {
  const s = t.s;
  const { at } = input;
  if (!recallDue(s, at) || !s.lot) return null;
  const parkedBy = s.lot.parkedBy;
  t.record("park_timeout", parkedBy, { slot: s.lot.slot }, at);
  if (input.eligible.length === 0) {
    s.purpose = "recall";
    toVoicemail(t, "park_timeout_nobody_available", at, true);
    return null;
  }
  // Back to whoever parked it if they can take it; else to everyone who can. The caller stays where
  // they are (alone in the lobby): only the music changes, with the next loop of the wait URL.
  const targets = input.eligible.includes(parkedBy) ? [parkedBy] : null;
  beginWait(t, "recall", targets, at, config);
  recordRing(t, targets ?? input.eligible, "recall", at);
  t.publish((call) => ({ type: "call.recalled", call }));
  return null;
}

export function rang(t: Tx, input: Extract<Input, { type: "rang" }>): null {
  if (t.s.phase === "ringing" && input.agentIds.length > 0) recordRing(t, input.agentIds, t.s.purpose, input.at, true);
  return null;
}

/** A REST request's outcome: retry what may not have happened, undo what certainly did not. */
export function twilioResult(t: Tx, input: Extract<Input, { type: "twilioResult" }>, config: CallConfig): null {
  const s = t.s;
  const r = input.request;
  const { at } = input;
  if (r.op === "record") {
    if (input.outcome === "ok") t.record("recording_started", s.answeredBy, null, at);
    else if (input.outcome === "transient" && r.attempt < MAX_TWILIO_ATTEMPTS) t.effects.push({ type: "twilio", request: { ...r, attempt: r.attempt + 1 } });
    // The call goes on unrecorded: the conversation matters more than its recording.
    else t.record("recording_failed", s.answeredBy, { error: input.error, outcome: input.outcome, attempts: r.attempt }, at);
    return null;
  }
  if (input.outcome === "ok") {
    if (s.undo && "gen" in r && s.undo.gen === r.gen) s.undo = null;
    return null;
  }
  if (r.op === "kick") {
    // A leg already gone is what we wanted; anything else is tried again a few times, then logged.
    if (input.outcome === "transient" && r.attempt < MAX_TWILIO_ATTEMPTS) t.effects.push({ type: "twilio", request: { ...r, attempt: r.attempt + 1 } });
    return null;
  }
  if (input.outcome === "gone") {
    if (s.undo && r.op !== "hangup" && s.undo.gen === r.gen) {
      // The caller had left while still with their agent, before the move reached Twilio.
      s.callerGone = true;
      t.record("caller_hangup", s.undo.back.agentId, { while: "connected", source: `rest_${r.op}` }, at);
      end(t, "answered", at);
      return null;
    }
    callerGone(t, `rest_${r.op}`, at);
    return null;
  }
  const current = r.op === "hangup" || r.gen === s.gen;
  if (!current) return null; // a newer move has replaced this one
  if (input.outcome === "transient") {
    if (r.attempt >= MAX_TWILIO_ATTEMPTS) {
      // Twilio may well have applied it: keep the decision; the reconcile timer checks the call.
      t.record("redirect_failed", null, { op: r.op, error: input.error, attempts: r.attempt, kept: true }, at);
      return null;
    }
    // It may have been applied: send it again, idempotent by construction. A new generation, so
    // that the callbacks of the conference the first attempt may have created are stale.
    if (r.op === "hangup") {
      t.effects.push({ type: "twilio", request: { op: "hangup", attempt: r.attempt + 1 } });
      return null;
    }
    if (s.undo?.gen === s.gen) s.undo.gen = s.gen + 1;
    s.gen++;
    t.effects.push({ type: "twilio", request: { op: r.op, gen: s.gen, attempt: r.attempt + 1 } });
    return null;
  }
  // refused: Twilio did nothing (a 4xx that is not about a gone call).
  const u = r.op === "hangup" ? null : s.undo;
  if (u && r.op !== "hangup" && u.gen === r.gen) {
    undoMove(t, u, input.error ?? "refused", at);
    return null;
  }
  t.record("redirect_failed", null, { op: r.op, error: input.error }, at);
  if (r.op === "hangup") return null; // the call is over for us either way
  // A move with nothing to go back to (to voicemail, a reconnect): the caller cannot be helped
  // by the product any more. End it rather than loop; the slot and agents are freed.
  end(t, s.answeredAt === null ? "missed" : "abandoned", at);
  t.effects.push({ type: "twilio", request: { op: "hangup", attempt: 1 } });
  return null;
}

export function callerGoneInput(t: Tx, input: Extract<Input, { type: "callerGone" }>): null {
  callerGone(t, input.source, input.at, input.status);
  return null;
}

export function reconciled(t: Tx, input: Extract<Input, { type: "reconciled" }>, config: CallConfig): null {
  const s = t.s;
  const { at } = input;
  if (s.phase === "ended") return null;
  s.heardAt = at;
  if (input.caller !== null && isFinalStatus(input.caller)) {
    t.record("reconciled", null, { caller: input.caller }, at);
    callerGone(t, "reconciled", at);
    return null;
  }
  if (s.phase === "connected" && input.agentLeg !== null && isFinalStatus(input.agentLeg)) {
    t.record("reconciled", s.answeredBy, { agentLeg: input.agentLeg }, at);
    agentDropped(t, at, config, null);
  }
  return null;
}

export function voicemailRecorded(t: Tx, input: Extract<Input, { type: "voicemailRecorded" }>): null {
  const s = t.s;
  const { recording, at } = input;
  if (s.recordingSid !== null) return null; // Twilio repeated the callback
  s.recordingSid = recording.recordingSid;
  t.effects.push({ type: "saveVoicemail", recording, at });
  t.effects.push({
    type: "publish",
    message: {
      type: "voicemail.created",
      voicemail: {
        id: recording.recordingSid,
        callSid: s.callSid,
        from: s.from,
        audioUrl: voicemailAudioUrl(recording.recordingSid),
        durationSeconds: recording.durationSeconds,
        transcription: null,
        createdAt: at,
        status: "new",
        assignedTo: null,
        handledBy: null,
        handledAt: null,
        handledNote: null,
        calledBackBy: null,
        calledBackAt: null,
      },
    },
  });
  t.record("voicemail", null, { recordingSid: recording.recordingSid, durationSeconds: recording.durationSeconds }, at);
  if (s.phase === "voicemail") {
    end(t, "voicemail", at);
  } else if (s.phase === "ended" && s.outcome !== "answered") {
    // Twilio sends the recording's status callback after the call has completed.
    s.outcome = "voicemail";
    t.publish((call) => ({ type: "call.ended", call }));
  }
  return null;
}

export function alarm(t: Tx, input: Extract<Input, { type: "alarm" }>, config: CallConfig): null {
  const s = t.s;
  expireLease(t, input.at, config);
  if (waitDue(s, input.at)) waitOver(t, "no_answer", input.at, config, input.eligible);
  return null;
}

// ---- the rules they share ----

function gone(s: CallState): boolean {
  return s.phase === "ended" || s.phase === "voicemail" || s.callerGone;
}

/** The winner's leg joined the caller: that is what "answered" means now. */
function connected(t: Tx, agentId: string, legSid: string, at: number): void {
  const s = t.s;
  const c = s.claim;
  if (c) t.effects.push({ type: "claimEnded", agentId, claimedAt: c.claimedAt, outcome: "connected", at });
  s.claim = null;
  s.phase = "connected";
  s.answeredBy = agentId;
  s.answeredAt ??= at;
  s.answeredLeg = legSid;
  s.undo = null;
  stopWaiting(s);
  if (s.lot) {
    t.effects.push({ type: "lotReleased", slot: s.lot.slot });
    s.lot = null;
  }
  t.record("connected", agentId, { legSid, purpose: s.purpose }, at);
  t.publish((call) => ({ type: "call.connected", call, agentId }));
  // One recording of the caller's leg, from the first agent to the end of the call: park, retrieve
  // and transfer move the caller between conferences, which would split a conference recording.
  if (s.record && !s.recordingAsked) {
    s.recordingAsked = true;
    t.effects.push({ type: "twilio", request: { op: "record", attempt: 1 } });
  }
}

/** The connected agent's leg ended without a hang-up: the caller goes back to the lobby and everyone rings. */
function agentDropped(t: Tx, at: number, config: CallConfig, eligible: string[] | null): void {
  const s = t.s;
  const agentId = s.answeredBy;
  if (agentId) t.effects.push({ type: "agentFree", agentId, at, callEnded: true });
  t.record("agent_dropped", agentId, { legSid: s.answeredLeg }, at);
  s.answeredLeg = null;
  s.gen++;
  beginWait(t, "reconnect", null, at, config);
  recordRing(t, eligible ?? [], "reconnect", at);
  t.publish((call) => ({ type: "call.ringing", call }));
  // The caller is alone in a conference that has started: no wait music plays there. A fresh lobby.
  t.effects.push({ type: "twilio", request: { op: "lobby", gen: s.gen, attempt: 1 } });
}

function callerGone(t: Tx, source: string, at: number, status?: string): void {
  const s = t.s;
  if (s.callerGone) return;
  s.callerGone = true;
  s.heardAt = at;
  if (s.phase === "dialing") {
    // Twilio's final status of a call never answered: busy (declined), no-answer, failed, canceled.
    dialOver(t, status && status !== "completed" ? status : "no-answer", at);
  } else if (s.phase === "ringing" || s.phase === "claimed") {
    t.record("caller_hangup", null, { while: s.purpose === "inbound" ? "ringing" : s.purpose, source }, at);
    // An outbound callee who hangs up before any agent is with them is not a missed inbound call.
    end(t, s.answeredAt === null && s.direction !== "outbound" ? "missed" : "abandoned", at);
  } else if (s.phase === "connected") {
    end(t, "answered", at);
  } else if (s.phase === "parked") {
    t.record("caller_hangup", null, { while: "parked", slot: s.lot?.slot ?? null, source }, at);
    end(t, "abandoned", at);
  } else if (s.phase === "voicemail") {
    end(t, s.recordingSid ? "voicemail" : s.answeredAt === null ? "missed" : "abandoned", at);
  } else {
    t.bump();
  }
}

/** The caller waits for an agent again: who rings, why, and until when. */
function beginWait(t: Tx, purpose: RingPurpose, targets: string[] | null, at: number, config: CallConfig): void {
  const s = t.s;
  s.phase = "ringing";
  s.purpose = purpose;
  s.ringTargets = targets;
  s.declined = [];
  s.claim = null;
  s.transfer = null;
  s.waitingSince = at;
  s.waitEndsAt = at + config.waitMs;
  if (s.lot) {
    s.lot.parkedAt = null;
    s.lot.returnsAt = null;
  }
}

/** The caller has waited as long as this wait allows. */
function waitDue(s: CallState | null, at: number): boolean {
  return s?.phase === "ringing" && s.waitEndsAt !== null && at >= s.waitEndsAt;
}

/** A recall's ring to its parker is over and everyone rings next: the call session must say who that is. */
export function everyoneRingsNext(s: CallState | null, at: number): boolean {
  return waitDue(s, at) && s?.purpose === "recall" && s.ringTargets !== null;
}

/** Nobody took the call in time, or everyone it rang declined. `eligible`: who a ring reaches now, if known. */
function waitOver(t: Tx, why: TransferFailure | "declined", at: number, config: CallConfig, eligible: string[] | null): void {
  const s = t.s;
  const reason: TransferFailure = why === "declined" ? "declined" : "no_answer";
  t.record("no_answer", null, { reason: why, purpose: s.purpose }, at);
  if (s.purpose === "transfer") return backToLot(t, reason, at, config);
  if (s.purpose === "recall" && s.ringTargets !== null) {
    // The parker did not take it back: now everyone may (but whoever declined it already).
    const declined = s.declined;
    beginWait(t, "recall", null, at, config);
    s.declined = declined;
    recordRing(t, (eligible ?? []).filter((a) => !declined.includes(a)), "recall", at);
    t.publish((call) => ({ type: "call.recalled", call }));
    return;
  }
  toVoicemail(t, s.purpose === "recall" ? `recall_${reason}` : reason, at, true);
}

/** A transfer nobody took: the call goes to its parking slot, with a new park timeout. */
function backToLot(t: Tx, why: TransferFailure, at: number, config: CallConfig): void {
  const s = t.s;
  if (!s.lot) return toVoicemail(t, why, at, true);
  const transfer = s.transfer;
  s.phase = "parked";
  stopWaiting(s);
  s.lot.parkedAt = at;
  s.lot.returnsAt = at + config.parkTimeoutMs;
  t.effects.push({ type: "lotSaved", lot: { ...s.lot } });
  t.record("returned_to_lot", transfer?.to ?? null, { purpose: s.purpose, reason: why, slot: s.lot.slot }, at);
  if (transfer) t.publish((call) => ({ type: "call.transfer_failed", call, from: transfer.from, to: transfer.to, reason: why }));
  else t.publish((call) => ({ type: "call.parked", call, agentId: null }));
}

/** `redirect`: the caller must be moved by REST (else the answer to Twilio's own request moves them). */
function toVoicemail(t: Tx, reason: string, at: number, redirect: boolean): void {
  const s = t.s;
  s.phase = "voicemail";
  stopWaiting(s);
  s.undo = null;
  // The D1 slot row is freed when the call ends.
  s.lot = null;
  s.gen++;
  t.record("voicemail", null, { reason }, at);
  t.publish((call) => ({ type: "call.voicemail", call }));
  if (redirect) t.effects.push({ type: "twilio", request: { op: "voicemail", gen: s.gen, attempt: 1 } });
}

/** After a claim ended without a connection: the caller waits again, or goes where the wait ends. */
function afterRelease(t: Tx, at: number, config: CallConfig): void {
  const s = t.s;
  if (waitDue(s, at)) waitOver(t, "no_answer", at, config, null);
}

/** Twilio refused a park or transfer outright: the caller is still with the agent. */
function undoMove(t: Tx, u: Undo, error: string, at: number): void {
  const s = t.s;
  s.undo = null;
  if (s.claim) releaseClaim(t, "leg_failed", at, "the move was undone");
  s.gen = u.previousGen;
  s.phase = "connected";
  s.purpose = u.back.purpose;
  s.answeredBy = u.back.agentId;
  s.answeredLeg = u.back.leg;
  stopWaiting(s);
  t.effects.push({ type: "agentBusy", agentId: u.back.agentId }, { type: "lotReleased", slot: s.lot?.slot ?? null });
  s.lot = null;
  t.record("redirect_failed", u.back.agentId, { error, back: "connected" }, at);
  t.publish((call) => ({ type: "call.connected", call, agentId: u.back.agentId }));
}

function expireLease(t: Tx, at: number, config: CallConfig): void {
  const c = t.s.claim;
  if (t.s.phase !== "claimed" || !c || at < c.expiresAt) return;
  releaseClaim(t, "lease_expired", at, null);
  afterRelease(t, at, config);
}

function releaseClaim(t: Tx, reason: ClaimReleaseReason, at: number, detail: string | null): void {
  const s = t.s;
  const c = s.claim;
  if (!c) return;
  s.claim = null;
  t.effects.push(
    { type: "claimEnded", agentId: c.agentId, claimedAt: c.claimedAt, outcome: reason, at },
    { type: "agentFree", agentId: c.agentId, at, callEnded: false },
  );
  // A leg that got in with the ticket but has not joined yet must not join later.
  if (c.legSid) t.effects.push({ type: "twilio", request: { op: "kick", legSid: c.legSid, attempt: 1 } });
  t.record("claim_released", c.agentId, { reason, ...(detail ? { detail } : {}) }, at);
  if (s.phase === "claimed") {
    if (s.purpose === "retrieve" && s.lot) {
      // A retrieve that never connected: the caller keeps their slot and their park timeout.
      s.phase = "parked";
      s.ringTargets = null;
      s.lot.parkedAt ??= at;
    } else if (s.purpose === "outbound") {
      // The agent who placed the call could not join the callee, who is waiting: anyone may take them.
      s.phase = "ringing";
      s.purpose = "reconnect";
      s.ringTargets = null;
      t.record("ring_start", null, { everyone: true, purpose: "reconnect", after: "outbound_claim_released" }, at);
    } else {
      s.phase = "ringing";
    }
  }
  t.publish((call) => ({ type: "call.claim_released", call, agentId: c.agentId, reason, detail }));
}

function end(t: Tx, outcome: CallOutcome, at: number): void {
  const s = t.s;
  if (s.phase === "ended") return;
  if (s.claim) releaseClaim(t, "caller_gone", at, null);
  if (s.answeredBy && s.phase === "connected") t.effects.push({ type: "agentFree", agentId: s.answeredBy, at, callEnded: true });
  s.phase = "ended";
  s.outcome = outcome;
  s.endedAt = at;
  stopWaiting(s);
  s.lot = null;
  s.undo = null;
  // Whatever parking slot the call may hold in D1 is freed (a no-op for a call never parked): an
  // ended call reserves none again, so this entry is harmless however late it is applied.
  t.effects.push({ type: "lotReleased", slot: null });
  t.record("call_ended", s.answeredBy, { outcome }, at);
  t.publish((call) => ({ type: "call.ended", call }));
}

/** The caller no longer waits for an agent: nobody rings, nothing times out. */
function stopWaiting(s: CallState): void {
  s.ringTargets = null;
  s.declined = [];
  s.transfer = null;
  s.waitingSince = null;
  s.waitEndsAt = null;
}

/** Rings are recorded per wait: one row names everyone a ring reached (per-agent rows would grow with the team). */
function recordRing(t: Tx, agents: string[], purpose: RingPurpose, at: number, late = false): void {
  if (agents.length === 0) {
    t.record("ring_start", null, { agents: [], purpose, waitingInLine: true }, at);
    return;
  }
  t.record("ring_start", agents.length === 1 ? agents[0]! : null, { agents, purpose, ...(late ? { late: true } : {}) }, at);
}

/** One transition's scratchpad: a copy of the state, the effects so far, and the seq counter. */
export class Tx {
  s: CallState;
  effects: Effect[] = [];
  constructor(state: CallState) {
    this.s = structuredClone(state);
  }
  bump(): number {
    return ++this.s.seq;
  }
  record(event: RingEventType, agentId: string | null, detail: Record<string, unknown> | null, at: number): void {
    this.effects.push({ type: "record", event, agentId, detail, at, seq: this.bump() });
  }
  /** The view is taken when the message is made: every message carries the state at that point. */
  publish(make: (call: CallView) => ServerMessage): void {
    this.effects.push({ type: "publish", message: make(view(this.s)) });
  }
}

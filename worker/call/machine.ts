// The rules of one inbound call, as a pure state machine: (state, input) → { state, effects, reply }.
// The CallSession Durable Object feeds it inputs in arrival order and persists the result in the same
// synchronous block, which is what makes "first claim wins" hold under any concurrency.
//
//   ringing ──claim──▶ claimed ──leg answered──▶ connected ──hang-up──▶ ended
//      ▲                  │                         │   ▲
//      └─lease expired/declined/leg failed─┘        │   └──retrieve / transfer / recall answered──┐
//   ringing ──dial ends unanswered──▶ voicemail     park, transfer                              │
//                                                    ▼                                           │
//                                                  parked ──retrieve, park timeout──▶ ringing/claimed
//
// Every TwiML program Twilio runs for the call (the inbound <Dial>, hold music, a retrieve's or a
// transfer's <Dial>) has a generation, `dial`, carried in its callback URLs: a callback of a program
// the call has already left (the parked agent's leg dropping, the dial action of a redirected <Dial>)
// is recognised as stale and changes nothing.

import type {
  CallOutcome,
  CallPhase,
  CallView,
  ClaimReleaseReason,
  LotView,
  RingEventType,
  RingPurpose,
  ServerMessage,
  TransferFailure,
} from "../protocol";

export interface CallConfig {
  /** How long a won claim waits for Twilio to report the winner's leg answered. */
  leaseMs: number;
  /** When to give up on a ring Twilio never reported back on (dial timeout + Twilio's ~5 s + slack). */
  ringGiveUpMs: number;
  /** How long a call waits in the parking lot before it rings again. */
  parkTimeoutMs: number;
}

/** Twilio rings at most 10 nouns in one <Dial>. */
export const MAX_RING_GROUP = 10;
/** After Twilio refused a recall's redirect, how long the call waits in the lot before the next try. */
export const RECALL_RETRY_MS = 30_000;

export interface Claim {
  agentId: string;
  claimedAt: number;
  expiresAt: number;
}

export interface CallState {
  callSid: string;
  from: string;
  to: string;
  phase: CallPhase;
  /** Every agent this call rang, in ring order. */
  ringGroup: string[];
  declined: string[];
  /** Agents whose leg ended without being answered (cancelled, failed, rejected, no answer). */
  legsGone: string[];
  claim: Claim | null;
  answeredBy: string | null;
  answeredAt: number | null;
  outcome: CallOutcome | null;
  startedAt: number;
  endedAt: number | null;
  ringGiveUpAt: number | null;
  /** The caller's leg is gone (hung up, or Twilio ended the call). */
  callerGone: boolean;
  /** Ended because Twilio never reported the dial's end: a late dial action may still take a voicemail. */
  endedByTimeout: boolean;
  /** The voicemail recording received for this call, if any. */
  recordingSid: string | null;
  /** Highest SequenceNumber seen per child leg: reordered callbacks never move a leg backwards. */
  legSeq: Record<string, number>;
  seq: number;
  /** Generation of the TwiML program Twilio runs for the call now (see the top of this file). */
  dial: number;
  purpose: RingPurpose;
  lot: LotView | null;
  transfer: { from: string; to: string } | null;
  /** The child leg bridged to the connected agent. */
  answeredLeg: string | null;
  /** Where the worker is reached, for the URLs in TwiML sent through the REST API. */
  origin: string;
  /** How to take back the last redirect if Twilio refuses it (cleared once anything else happens). */
  undo: Undo | null;
}

/** The state a refused redirect returns to: the agent it left, or the parking slot it left. */
export interface Undo {
  dial: number;
  previousDial: number;
  back: { to: "connected"; agentId: string; leg: string | null } | { to: "parked"; lot: LotView };
}

/** What Twilio must run next for this call, sent through the REST API (calls(sid).update). */
export type RedirectTarget =
  | { to: "hold" }
  | { to: "dial"; agents: string[]; purpose: Exclude<RingPurpose, "inbound">; transferFrom: string | null }
  | { to: "voicemail" };

/** What must happen outside the machine. Applied by the call session after the state is saved. */
export type Effect =
  | { type: "record"; event: RingEventType; agentId: string | null; detail: Record<string, unknown> | null; at: number; seq: number }
  | { type: "publish"; message: ServerMessage }
  | { type: "claimStarted"; claim: Claim }
  | { type: "claimEnded"; agentId: string; claimedAt: number; outcome: ClaimOutcome; at: number }
  /** The agent now holds this call (claimed or connected): not rung for others. */
  | { type: "agentBusy"; agentId: string }
  /** The agent is free again; `callEnded` means a call they took is over (longest-idle ordering). */
  | { type: "agentFree"; agentId: string; at: number; callEnded: boolean }
  | { type: "saveVoicemail"; recording: Recording; at: number }
  /** The parking slot's record (its slot was reserved in D1 before the park was decided). */
  | { type: "lotSaved"; lot: LotView }
  | { type: "lotReleased" }
  /** Not saved in the outbox: the call session sends it to Twilio once the step is saved. */
  | { type: "redirect"; dial: number; target: RedirectTarget };

export interface Recording {
  recordingSid: string;
  recordingUrl: string;
  durationSeconds: number;
}

export type ClaimOutcome = "connected" | ClaimReleaseReason;

export type Input =
  | { type: "start"; from: string; to: string; ringGroup: string[]; origin: string; at: number }
  | { type: "claim"; agentId: string; at: number }
  | { type: "decline"; agentId: string; at: number }
  | { type: "leg"; agentId: string; legSid: string; status: LegStatus; sequence: number; dial: number; at: number }
  /** `callerGone`: the action request's own CallStatus says the caller's leg has ended. */
  | { type: "dialEnded"; status: DialStatus; callerGone: boolean; dial: number; at: number }
  /** `slot` was reserved in D1 for this call. */
  | { type: "park"; agentId: string; slot: number; at: number }
  | { type: "retrieve"; agentId: string; at: number }
  | { type: "transfer"; agentId: string; to: string; slot: number; at: number }
  /** The park timeout is due; `available`: idle, available, online agents, longest idle first. */
  | { type: "recall"; available: string[]; at: number }
  | { type: "redirectFailed"; dial: number; error: string; at: number }
  | { type: "callerStatus"; status: string; at: number }
  | { type: "voicemailRecorded"; recording: Recording; at: number }
  | { type: "alarm"; at: number };

export const LEG_STATUSES = ["initiated", "ringing", "in-progress", "answered", "completed", "busy", "no-answer", "failed", "canceled"] as const;
export type LegStatus = (typeof LEG_STATUSES)[number];
export const DIAL_STATUSES = ["completed", "answered", "busy", "no-answer", "failed", "canceled"] as const;
export type DialStatus = (typeof DIAL_STATUSES)[number];

export type Reply =
  | { kind: "started"; ringGroup: string[]; phase: CallPhase; fresh: boolean }
  | { kind: "claim"; status: 200 | 409 | 403 | 404 | 410; claimedBy: string | null }
  | { kind: "decline"; status: 200 | 403 | 404 | 409 | 410 }
  | { kind: "dial"; next: "hangup" | "voicemail" | "hold" }
  /** 502: Twilio refused the redirect and the step was undone (set by the call session). */
  | { kind: "park"; status: 200 | 403 | 404 | 409 | 410 | 502; lot: LotView | null }
  | { kind: "retrieve"; status: 200 | 404 | 409 | 410 | 502; retrievedBy: string | null }
  | { kind: "transfer"; status: 200 | 403 | 404 | 409 | 410 | 502 }
  | { kind: "ok" };

export interface Step {
  state: CallState | null;
  effects: Effect[];
  reply: Reply;
}

/** Builds the machine's transition function for a call; config comes from the deployment's vars. */
export function transition(state: CallState | null, input: Input, config: CallConfig, callSid: string): Step {
  if (input.type === "start") return start(state, input, config, callSid);
  if (!state) return { state, effects: [], reply: notFound(input) };
  const t = new Tx(state);
  const reply = apply(t, input, config);
  // Most inputs under contention are refusals (99 of 100 claims lose) and change nothing: hand back
  // the same object, so that the call session writes nothing to storage for them.
  const unchanged = t.effects.length === 0 && JSON.stringify(t.s) === JSON.stringify(state);
  return { state: unchanged ? state : t.s, effects: t.effects, reply };
}

/** When the call session must wake up next, or null. */
export function nextAlarm(s: CallState | null): number | null {
  if (!s) return null;
  if (s.phase === "claimed" && s.claim) return Math.min(s.claim.expiresAt, s.ringGiveUpAt ?? Infinity);
  if (s.phase === "ringing" && s.ringGiveUpAt !== null) return s.ringGiveUpAt;
  if (s.phase === "parked") return s.lot?.returnsAt ?? null;
  return null;
}

/** The park timeout has come: the call session must find who is available and send a recall. */
export function recallDue(s: CallState | null, at: number): boolean {
  return s?.phase === "parked" && s.lot?.returnsAt != null && at >= s.lot.returnsAt;
}

export function view(s: CallState): CallView {
  return {
    callSid: s.callSid,
    from: s.from,
    to: s.to,
    phase: s.phase,
    ringing: ringingAgents(s),
    declined: [...s.declined],
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
  };
}

/** Agents whose phone still rings for this call (a claim pauses the others' ring but keeps their leg). */
export function ringingAgents(s: CallState): string[] {
  return s.phase === "ringing" || s.phase === "claimed" ? liveLegs(s) : [];
}

/** Rung agents whose leg Twilio still holds open. */
function liveLegs(s: CallState): string[] {
  return s.ringGroup.filter((a) => !s.declined.includes(a) && !s.legsGone.includes(a));
}

function start(state: CallState | null, input: Extract<Input, { type: "start" }>, config: CallConfig, callSid: string): Step {
  // Twilio retries the voice webhook: the second request must get the same answer, not a new ring group.
  if (state) return { state, effects: [], reply: { kind: "started", ringGroup: state.ringGroup, phase: state.phase, fresh: false } };
  const voicemail = input.ringGroup.length === 0;
  const t = new Tx({
    callSid,
    from: input.from,
    to: input.to,
    phase: voicemail ? "voicemail" : "ringing",
    ringGroup: [...input.ringGroup],
    declined: [],
    legsGone: [],
    claim: null,
    answeredBy: null,
    answeredAt: null,
    outcome: null,
    startedAt: input.at,
    endedAt: null,
    ringGiveUpAt: voicemail ? null : input.at + config.ringGiveUpMs,
    callerGone: false,
    endedByTimeout: false,
    recordingSid: null,
    legSeq: {},
    seq: 0,
    dial: 1,
    purpose: "inbound",
    lot: null,
    transfer: null,
    answeredLeg: null,
    origin: input.origin,
    undo: null,
  });
  if (voicemail) {
    t.record("voicemail", null, { reason: "nobody_available" }, input.at);
    t.publish((call) => ({ type: "call.voicemail", call }));
  } else {
    for (const agentId of input.ringGroup) t.record("ring_start", agentId, null, input.at);
    t.publish((call) => ({ type: "call.ringing", call }));
  }
  return { state: t.s, effects: t.effects, reply: { kind: "started", ringGroup: t.s.ringGroup, phase: t.s.phase, fresh: true } };
}

function notFound(input: Input): Reply {
  switch (input.type) {
    case "claim":
      return { kind: "claim", status: 404, claimedBy: null };
    case "decline":
      return { kind: "decline", status: 404 };
    case "park":
      return { kind: "park", status: 404, lot: null };
    case "retrieve":
      return { kind: "retrieve", status: 404, retrievedBy: null };
    case "transfer":
      return { kind: "transfer", status: 404 };
    case "dialEnded":
      // Twilio asks what to do after a dial we know nothing of (storage lost): hang up rather than loop.
      return { kind: "dial", next: "hangup" };
    default:
      return { kind: "ok" };
  }
}

function apply(t: Tx, input: Exclude<Input, { type: "start" }>, config: CallConfig): Reply {
  // A lapsed lease is released before anything else is decided, even if its alarm has not run yet.
  expireLease(t, input.at);
  switch (input.type) {
    case "claim":
      return claim(t, input.agentId, input.at, config);
    case "decline":
      return decline(t, input.agentId, input.at, config);
    case "leg":
      leg(t, input);
      return { kind: "ok" };
    case "dialEnded":
      // A caller who hung up while the agents rang ends the dial too ("canceled"); the status callback
      // may come later, so the action's own CallStatus decides between voicemail and a missed call.
      if (input.callerGone) callerStatus(t, "completed", input.at);
      return dialEnded(t, input.status, input.dial, input.at, config);
    case "callerStatus":
      callerStatus(t, input.status, input.at);
      return { kind: "ok" };
    case "voicemailRecorded":
      voicemailRecorded(t, input.recording, input.at);
      return { kind: "ok" };
    case "park":
      return park(t, input, config);
    case "retrieve":
      return retrieve(t, input.agentId, input.at, config);
    case "transfer":
      return transfer(t, input, config);
    case "recall":
      recall(t, input.available, input.at, config);
      return { kind: "ok" };
    case "redirectFailed":
      redirectFailed(t, input.dial, input.error, input.at);
      return { kind: "ok" };
    case "alarm":
      if (t.s.ringGiveUpAt !== null && input.at >= t.s.ringGiveUpAt && (t.s.phase === "ringing" || t.s.phase === "claimed")) {
        // Twilio should have ended the dial long ago; clear every console rather than ring forever.
        releaseClaim(t, "ring_timeout", input.at);
        t.record("no_answer", null, { reason: "ring_timeout" }, input.at);
        cancelRings(t, input.at);
        if (t.s.purpose === "inbound") {
          t.s.endedByTimeout = true;
          end(t, "missed", input.at);
        } else {
          // A caller who was already answered is never dropped: back to the lot (or voicemail after a recall).
          ringUnanswered(t, "failed", input.at, config, true);
        }
      }
      return { kind: "ok" };
  }
}

function claim(t: Tx, agentId: string, at: number, config: CallConfig): Reply {
  const s = t.s;
  if (s.phase === "ended" || s.phase === "voicemail" || s.callerGone) return { kind: "claim", status: 410, claimedBy: s.answeredBy };
  if (s.phase === "connected") {
    return { kind: "claim", status: s.answeredBy === agentId ? 200 : 409, claimedBy: s.answeredBy };
  }
  if (s.phase === "parked") return { kind: "claim", status: 409, claimedBy: null };
  if (!s.ringGroup.includes(agentId) || s.declined.includes(agentId) || s.legsGone.includes(agentId)) {
    // Only an agent whose phone rings for this call may take it: nobody can steal a call.
    return { kind: "claim", status: 403, claimedBy: s.claim?.agentId ?? null };
  }
  if (s.phase === "claimed" && s.claim) {
    return { kind: "claim", status: s.claim.agentId === agentId ? 200 : 409, claimedBy: s.claim.agentId };
  }
  const c: Claim = { agentId, claimedAt: at, expiresAt: at + config.leaseMs };
  s.phase = "claimed";
  s.claim = c;
  t.effects.push({ type: "claimStarted", claim: c }, { type: "agentBusy", agentId });
  t.record("answered", agentId, { leaseMs: config.leaseMs, purpose: s.purpose }, at);
  t.publish((call) => ({ type: "call.answered", call, agentId }));
  return { kind: "claim", status: 200, claimedBy: agentId };
}

function decline(t: Tx, agentId: string, at: number, config: CallConfig): Reply {
  const s = t.s;
  if (s.phase === "ended" || s.phase === "voicemail" || s.callerGone) return { kind: "decline", status: 410 };
  if (!s.ringGroup.includes(agentId)) return { kind: "decline", status: 403 };
  if (s.phase === "connected" || s.phase === "parked") return { kind: "decline", status: 409 };
  if (s.declined.includes(agentId)) return { kind: "decline", status: 200 };
  if (s.claim?.agentId === agentId) releaseClaim(t, "declined", at);
  s.declined.push(agentId);
  t.record("declined", agentId, { purpose: s.purpose }, at);
  t.publish((call) => ({ type: "call.declined", call, agentId }));
  // A retrieve, transfer or recall nobody is left to take goes back at once rather than ring out:
  // the caller was already answered once and is waiting.
  if (s.purpose !== "inbound" && liveLegs(s).length === 0) ringUnanswered(t, "declined", at, config, true);
  return { kind: "decline", status: 200 };
}

function leg(t: Tx, input: Extract<Input, { type: "leg" }>): void {
  const s = t.s;
  // A leg of a program the call has left (the parked agent's leg dropping) changes nothing.
  if (input.dial !== s.dial) return;
  const last = s.legSeq[input.legSid] ?? -1;
  if (input.sequence <= last) return; // a retry or a callback overtaken by a later one
  s.legSeq[input.legSid] = input.sequence;
  if (!s.ringGroup.includes(input.agentId)) return;
  const { agentId, at } = input;

  if (input.status === "in-progress" || input.status === "answered") {
    if (s.phase === "ringing" || s.phase === "claimed") connect(t, agentId, at, input.legSid);
    return;
  }

  if (input.status === "completed") {
    // The connected agent hung up; Twilio continues with the dial action, which ends the call.
    if (s.phase === "connected" && s.answeredBy === agentId && (s.answeredLeg === null || s.answeredLeg === input.legSid)) end(t, "answered", at);
    return;
  }

  if (input.status === "busy" || input.status === "no-answer" || input.status === "failed" || input.status === "canceled") {
    if (s.legsGone.includes(agentId) || (s.phase !== "ringing" && s.phase !== "claimed")) return;
    s.legsGone.push(agentId);
    if (s.claim?.agentId === agentId) releaseClaim(t, "leg_failed", at);
    if (!s.declined.includes(agentId)) {
      const event: RingEventType = input.status === "no-answer" ? "no_answer" : input.status === "canceled" ? "ring_cancel" : "declined";
      t.record(event, agentId, { legStatus: input.status }, at);
    }
    t.bump();
    t.publish((call) => ({ type: "call.declined", call, agentId }));
  }
}

/** Twilio bridged this agent: that is the truth, whoever held the claim. */
function connect(t: Tx, agentId: string, at: number, legSid: string | null): void {
  const s = t.s;
  if (s.claim && s.claim.agentId !== agentId) releaseClaim(t, "overridden", at);
  if (s.claim?.agentId === agentId) {
    t.effects.push({ type: "claimEnded", agentId, claimedAt: s.claim.claimedAt, outcome: "connected", at });
  } else {
    t.effects.push({ type: "agentBusy", agentId });
  }
  for (const other of liveLegs(s)) {
    if (other !== agentId) t.record("ring_cancel", other, { reason: "answered_elsewhere" }, at);
  }
  s.claim = null;
  s.phase = "connected";
  s.answeredBy = agentId;
  s.answeredAt ??= at;
  s.answeredLeg = legSid;
  s.transfer = null;
  s.undo = null;
  s.ringGiveUpAt = null;
  if (s.lot) {
    s.lot = null;
    t.effects.push({ type: "lotReleased" });
  }
  t.record("connected", agentId, { legSid, purpose: s.purpose }, at);
  t.publish((call) => ({ type: "call.connected", call, agentId }));
}

function dialEnded(t: Tx, status: DialStatus, dial: number, at: number, config: CallConfig): Reply {
  const s = t.s;
  // The action of a <Dial> the call has left (a REST redirect): Twilio ignores what it gets back.
  if (dial !== s.dial) return { kind: "dial", next: s.phase === "parked" ? "hold" : "hangup" };
  if (s.phase === "parked") return { kind: "dial", next: "hold" };
  if (status === "completed" || status === "answered") {
    // A bridged call is over. If the leg's own "answered" callback never came, the claim holder was it.
    if (s.phase === "claimed" && s.claim) connect(t, s.claim.agentId, at, null);
    end(t, "answered", at);
    return { kind: "dial", next: "hangup" };
  }
  // busy / no-answer / failed / canceled: nobody took it. Voicemail, unless the caller is gone.
  if (s.callerGone) {
    if (s.phase !== "ended") end(t, s.answeredAt === null ? "missed" : "abandoned", at);
    return { kind: "dial", next: "hangup" };
  }
  if (s.phase === "voicemail") return { kind: "dial", next: "voicemail" };
  if (s.phase === "ended" && !(s.endedByTimeout && s.outcome === "missed")) return { kind: "dial", next: "hangup" };
  if (s.phase === "connected") {
    // The agent leg was bridged, then the dial reports failure: the call is over, the agent is free.
    end(t, "answered", at);
    return { kind: "dial", next: "hangup" };
  }
  releaseClaim(t, "leg_failed", at);
  cancelRings(t, at);
  if (s.purpose === "retrieve" || s.purpose === "transfer") {
    ringUnanswered(t, status === "no-answer" ? "no_answer" : status === "busy" ? "declined" : "failed", at, config, false);
    return { kind: "dial", next: "hold" };
  }
  s.endedAt = null;
  s.outcome = null;
  s.endedByTimeout = false;
  t.record("no_answer", null, { dialCallStatus: status, purpose: s.purpose }, at);
  toVoicemail(t, status, at);
  return { kind: "dial", next: "voicemail" };
}

/**
 * Nobody took a retrieve, transfer or recall. A retrieve or transfer goes back to the parking lot;
 * a recall goes to voicemail. `redirect`: Twilio is still in the <Dial> and must be moved by REST
 * (otherwise the dial action's answer moves it).
 */
function ringUnanswered(t: Tx, why: TransferFailure, at: number, config: CallConfig, redirect: boolean): void {
  const s = t.s;
  releaseClaim(t, "leg_failed", at);
  cancelRings(t, at);
  if (redirect) s.dial++;
  s.ringGiveUpAt = null;
  if (s.purpose === "recall" || !s.lot) {
    s.undo = null;
    toVoicemail(t, `recall_${why}`, at);
    if (redirect) t.effects.push({ type: "redirect", dial: s.dial, target: { to: "voicemail" } });
    return;
  }
  const transfer = s.purpose === "transfer" ? s.transfer : null;
  // A failed retrieve keeps the caller's place and timer; a failed transfer starts a new park.
  const kept = s.purpose === "retrieve" && s.undo?.back.to === "parked" ? s.undo.back.lot : null;
  s.lot.parkedAt = kept?.parkedAt ?? at;
  s.lot.returnsAt = kept?.returnsAt ?? at + config.parkTimeoutMs;
  s.phase = "parked";
  s.transfer = null;
  s.undo = null;
  t.effects.push({ type: "lotSaved", lot: { ...s.lot } });
  t.record("returned_to_lot", transfer?.to ?? s.ringGroup[0] ?? null, { purpose: s.purpose, reason: why, slot: s.lot.slot }, at);
  if (transfer) {
    t.publish((call) => ({ type: "call.transfer_failed", call, from: transfer.from, to: transfer.to, reason: why }));
  } else {
    t.publish((call) => ({ type: "call.parked", call, agentId: null }));
  }
  if (redirect) t.effects.push({ type: "redirect", dial: s.dial, target: { to: "hold" } });
}

function toVoicemail(t: Tx, reason: string, at: number): void {
  const s = t.s;
  s.phase = "voicemail";
  s.ringGiveUpAt = null;
  s.transfer = null;
  // The D1 slot row is freed when the call ends: if Twilio refuses this redirect, the slot is still ours.
  s.lot = null;
  t.record("voicemail", null, { reason }, at);
  t.publish((call) => ({ type: "call.voicemail", call }));
}

function callerStatus(t: Tx, status: string, at: number): void {
  const s = t.s;
  // Only the final statuses matter; "ringing"/"in-progress" for the parent say nothing new.
  if (!["completed", "busy", "failed", "no-answer", "canceled"].includes(status)) return;
  if (s.callerGone) return;
  s.callerGone = true;
  if (s.phase === "ringing" || s.phase === "claimed") {
    releaseClaim(t, "caller_gone", at);
    t.record("caller_hangup", null, { while: s.purpose === "inbound" ? "ringing" : s.purpose }, at);
    cancelRings(t, at);
    end(t, s.answeredAt === null ? "missed" : "abandoned", at);
  } else if (s.phase === "connected") {
    end(t, "answered", at);
  } else if (s.phase === "parked") {
    t.record("caller_hangup", null, { while: "parked", slot: s.lot?.slot ?? null }, at);
    end(t, "abandoned", at);
  } else if (s.phase === "voicemail") {
    end(t, s.recordingSid ? "voicemail" : s.answeredAt === null ? "missed" : "abandoned", at);
  } else {
    t.bump();
  }
}

function voicemailRecorded(t: Tx, recording: Recording, at: number): void {
  const s = t.s;
  if (s.recordingSid !== null) return; // Twilio repeated the callback
  s.recordingSid = recording.recordingSid;
  t.effects.push({ type: "saveVoicemail", recording, at });
  t.effects.push({
    type: "publish",
    message: {
      type: "voicemail.created",
      voicemail: { id: recording.recordingSid, callSid: s.callSid, from: s.from, ...recording, transcription: null, createdAt: at },
    },
  });
  t.record("voicemail", null, { recordingSid: recording.recordingSid, durationSeconds: recording.durationSeconds }, at);
  if (s.phase === "voicemail") {
    end(t, "voicemail", at);
  } else if (s.phase === "ended" && s.outcome !== "answered") {
    // Twilio sends the recording's status callback after it reported the call completed.
    s.outcome = "voicemail";
    t.publish((call) => ({ type: "call.ended", call }));
  }
}

// ---- parking, retrieval, transfers ----

/** 410 once the caller is gone; otherwise null and the caller may go on. */
function gone(s: CallState): boolean {
  return s.phase === "ended" || s.phase === "voicemail" || s.callerGone;
}

function park(t: Tx, input: Extract<Input, { type: "park" }>, config: CallConfig): Reply {
  const s = t.s;
  const { agentId, at } = input;
  if (gone(s)) return { kind: "park", status: 410, lot: null };
  // Only the agent on the call parks it: nobody parks (or steals) a colleague's caller.
  if (s.phase !== "connected" || s.answeredBy !== agentId) return { kind: "park", status: 403, lot: null };
  s.undo = { dial: s.dial + 1, previousDial: s.dial, back: { to: "connected", agentId, leg: s.answeredLeg } };
  s.dial++;
  s.phase = "parked";
  s.answeredLeg = null;
  s.lot = { slot: input.slot, parkedBy: agentId, parkedAt: at, returnsAt: at + config.parkTimeoutMs };
  t.effects.push({ type: "agentFree", agentId, at, callEnded: true }, { type: "lotSaved", lot: { ...s.lot } });
  t.record("parked", agentId, { slot: input.slot, returnsAt: s.lot.returnsAt }, at);
  t.publish((call) => ({ type: "call.parked", call, agentId }));
  t.effects.push({ type: "redirect", dial: s.dial, target: { to: "hold" } });
  return { kind: "park", status: 200, lot: { ...s.lot } };
}

function retrieve(t: Tx, agentId: string, at: number, config: CallConfig): Reply {
  const s = t.s;
  if (gone(s)) return { kind: "retrieve", status: 410, retrievedBy: null };
  if (s.phase !== "parked" || !s.lot) {
    // Somebody was faster (or the call is not parked): say who has it, like a lost claim.
    const holder = s.phase === "connected" ? s.answeredBy : s.phase === "claimed" ? (s.claim?.agentId ?? null) : null;
    return { kind: "retrieve", status: 409, retrievedBy: holder };
  }
  s.undo = { dial: s.dial + 1, previousDial: s.dial, back: { to: "parked", lot: { ...s.lot } } };
  beginRing(t, "retrieve", [agentId], at, config);
  // The retrieve is the claim: the retriever's console answers the new leg by itself.
  const c: Claim = { agentId, claimedAt: at, expiresAt: at + config.ringGiveUpMs };
  s.phase = "claimed";
  s.claim = c;
  t.effects.push({ type: "claimStarted", claim: c }, { type: "agentBusy", agentId });
  t.record("retrieve_started", agentId, { slot: s.lot.slot }, at);
  t.publish((call) => ({ type: "call.retrieved", call, agentId }));
  t.effects.push({ type: "redirect", dial: s.dial, target: { to: "dial", agents: [agentId], purpose: "retrieve", transferFrom: null } });
  return { kind: "retrieve", status: 200, retrievedBy: agentId };
}

function transfer(t: Tx, input: Extract<Input, { type: "transfer" }>, config: CallConfig): Reply {
  const s = t.s;
  const { agentId, to, at } = input;
  if (gone(s)) return { kind: "transfer", status: 410 };
  if (s.phase !== "connected" || s.answeredBy !== agentId) return { kind: "transfer", status: 403 };
  if (to === agentId) return { kind: "transfer", status: 409 };
  s.undo = { dial: s.dial + 1, previousDial: s.dial, back: { to: "connected", agentId, leg: s.answeredLeg } };
  // The slot is held while the transfer rings, so a declined transfer always has a place to return to.
  s.lot = { slot: input.slot, parkedBy: agentId, parkedAt: null, returnsAt: null };
  s.answeredLeg = null;
  beginRing(t, "transfer", [to], at, config);
  s.transfer = { from: agentId, to };
  t.effects.push({ type: "agentFree", agentId, at, callEnded: true }, { type: "lotSaved", lot: { ...s.lot } });
  t.record("transfer_started", agentId, { to, slot: input.slot }, at);
  t.record("ring_start", to, { purpose: "transfer" }, at);
  t.publish((call) => ({ type: "call.transferring", call, from: agentId, to }));
  t.effects.push({ type: "redirect", dial: s.dial, target: { to: "dial", agents: [to], purpose: "transfer", transferFrom: agentId } });
  return { kind: "transfer", status: 200 };
}

function recall(t: Tx, available: string[], at: number, config: CallConfig): void {
  const s = t.s;
  if (!recallDue(s, at) || !s.lot) return;
  const parkedBy = s.lot.parkedBy;
  t.record("park_timeout", parkedBy, { slot: s.lot.slot }, at);
  s.undo = { dial: s.dial + 1, previousDial: s.dial, back: { to: "parked", lot: { ...s.lot } } };
  // Back to whoever parked it if they can take it; else to everyone who can.
  const group = available.includes(parkedBy) ? [parkedBy] : available.slice(0, MAX_RING_GROUP);
  if (group.length === 0) {
    s.dial++;
    s.purpose = "recall";
    toVoicemail(t, "park_timeout_nobody_available", at);
    t.effects.push({ type: "redirect", dial: s.dial, target: { to: "voicemail" } });
    return;
  }
  beginRing(t, "recall", group, at, config);
  for (const agentId of group) t.record("ring_start", agentId, { purpose: "recall" }, at);
  t.publish((call) => ({ type: "call.recalled", call }));
  t.effects.push({ type: "redirect", dial: s.dial, target: { to: "dial", agents: group, purpose: "recall", transferFrom: null } });
}

/** A new <Dial> for the call: a new generation, a fresh ring group, out of the lot's waiting time. */
function beginRing(t: Tx, purpose: Exclude<RingPurpose, "inbound">, group: string[], at: number, config: CallConfig): void {
  const s = t.s;
  s.dial++;
  s.purpose = purpose;
  s.phase = "ringing";
  s.ringGroup = [...group];
  s.declined = [];
  s.legsGone = [];
  s.claim = null;
  s.transfer = null;
  s.ringGiveUpAt = at + config.ringGiveUpMs;
  if (s.lot) {
    s.lot.parkedAt = null;
    s.lot.returnsAt = null;
  }
}

/** Twilio refused the redirect: the call is still where it was, so the state goes back there too. */
function redirectFailed(t: Tx, dial: number, error: string, at: number): void {
  const s = t.s;
  const u = s.undo;
  if (!u || u.dial !== dial || s.dial !== dial || s.phase === "ended" || s.phase === "connected") return;
  s.undo = null;
  releaseClaim(t, "leg_failed", at);
  for (const agentId of liveLegs(s)) s.legsGone.push(agentId);
  s.dial = u.previousDial;
  s.transfer = null;
  s.ringGiveUpAt = null;
  if (u.back.to === "connected") {
    const agentId = u.back.agentId;
    s.phase = "connected";
    s.answeredBy = agentId;
    s.answeredLeg = u.back.leg;
    s.purpose = "inbound";
    s.lot = null;
    t.effects.push({ type: "agentBusy", agentId }, { type: "lotReleased" });
    t.record("redirect_failed", agentId, { error, back: "connected" }, at);
    t.publish((call) => ({ type: "call.connected", call, agentId }));
    return;
  }
  s.phase = "parked";
  // A refused recall tries again a little later; the caller keeps hearing the hold music meanwhile.
  s.lot = { ...u.back.lot, returnsAt: Math.max(u.back.lot.returnsAt ?? 0, at + RECALL_RETRY_MS) };
  t.effects.push({ type: "lotSaved", lot: { ...s.lot } });
  t.record("redirect_failed", null, { error, back: "parked" }, at);
  t.publish((call) => ({ type: "call.parked", call, agentId: null }));
}

function expireLease(t: Tx, at: number): void {
  const c = t.s.claim;
  if (t.s.phase === "claimed" && c && at >= c.expiresAt) releaseClaim(t, "lease_expired", at);
}

function releaseClaim(t: Tx, reason: ClaimReleaseReason, at: number): void {
  const s = t.s;
  const c = s.claim;
  if (!c) return;
  s.claim = null;
  if (s.phase === "claimed") s.phase = "ringing";
  t.effects.push(
    { type: "claimEnded", agentId: c.agentId, claimedAt: c.claimedAt, outcome: reason, at },
    { type: "agentFree", agentId: c.agentId, at, callEnded: false },
  );
  t.record("claim_released", c.agentId, { reason }, at);
  // The other agents' legs kept ringing at Twilio (their consoles only ignore()d): they can answer again.
  t.publish((call) => ({ type: "call.claim_released", call, agentId: c.agentId, reason }));
}

function cancelRings(t: Tx, at: number): void {
  const s = t.s;
  for (const agentId of liveLegs(s)) {
    t.record("ring_cancel", agentId, null, at);
    s.legsGone.push(agentId);
  }
}

function end(t: Tx, outcome: CallOutcome, at: number): void {
  const s = t.s;
  if (s.phase === "ended") return;
  if (s.claim) releaseClaim(t, "caller_gone", at);
  if (s.answeredBy && s.phase === "connected") {
    t.effects.push({ type: "agentFree", agentId: s.answeredBy, at, callEnded: true });
  }
  s.phase = "ended";
  s.outcome = outcome;
  s.endedAt = at;
  s.ringGiveUpAt = null;
  s.lot = null;
  s.transfer = null;
  s.undo = null;
  // Whatever parking slot the call may hold in D1 is freed (a no-op for a call never parked).
  t.effects.push({ type: "lotReleased" });
  t.record("call_ended", s.answeredBy, { outcome }, at);
  t.publish((call) => ({ type: "call.ended", call }));
}

/** One transition's scratchpad: a copy of the state, the effects so far, and the seq counter. */
class Tx {
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

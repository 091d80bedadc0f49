// The rules of one inbound call, as a pure state machine: (state, input) → { state, effects, reply }.
// The CallSession Durable Object feeds it inputs in arrival order and persists the result in the same
// synchronous block, which is what makes "first claim wins" hold under any concurrency.
//
//   ringing ──claim──▶ claimed ──leg answered──▶ connected ──hang-up──▶ ended
//      ▲                  │
//      └─lease expired/declined/leg failed─┘
//   ringing ──dial ends unanswered──▶ voicemail ──caller gone──▶ ended

import type {
  CallOutcome,
  CallPhase,
  CallView,
  ClaimReleaseReason,
  RingEventType,
  ServerMessage,
} from "../protocol";

export interface CallConfig {
  /** How long a won claim waits for Twilio to report the winner's leg answered. */
  leaseMs: number;
  /** When to give up on a ring Twilio never reported back on (dial timeout + Twilio's ~5 s + slack). */
  ringGiveUpMs: number;
}

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
}

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
  | { type: "saveVoicemail"; recording: Recording; at: number };

export interface Recording {
  recordingSid: string;
  recordingUrl: string;
  durationSeconds: number;
}

export type ClaimOutcome = "connected" | ClaimReleaseReason;

export type Input =
  | { type: "start"; from: string; to: string; ringGroup: string[]; at: number }
  | { type: "claim"; agentId: string; at: number }
  | { type: "decline"; agentId: string; at: number }
  | { type: "leg"; agentId: string; legSid: string; status: LegStatus; sequence: number; at: number }
  /** `callerGone`: the action request's own CallStatus says the caller's leg has ended. */
  | { type: "dialEnded"; status: DialStatus; callerGone: boolean; at: number }
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
  | { kind: "dial"; next: "hangup" | "voicemail" }
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
  return { state: t.s, effects: t.effects, reply };
}

/** When the call session must wake up next, or null. */
export function nextAlarm(s: CallState | null): number | null {
  if (!s) return null;
  if (s.phase === "claimed" && s.claim) return Math.min(s.claim.expiresAt, s.ringGiveUpAt ?? Infinity);
  if (s.phase === "ringing" && s.ringGiveUpAt !== null) return s.ringGiveUpAt;
  return null;
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
  if (input.type === "claim") return { kind: "claim", status: 404, claimedBy: null };
  if (input.type === "decline") return { kind: "decline", status: 404 };
  // Twilio asks what to do after a dial we know nothing of (storage lost): hang up rather than loop.
  if (input.type === "dialEnded") return { kind: "dial", next: "hangup" };
  return { kind: "ok" };
}

function apply(t: Tx, input: Exclude<Input, { type: "start" }>, config: CallConfig): Reply {
  // A lapsed lease is released before anything else is decided, even if its alarm has not run yet.
  expireLease(t, input.at);
  switch (input.type) {
    case "claim":
      return claim(t, input.agentId, input.at, config);
    case "decline":
      return decline(t, input.agentId, input.at);
    case "leg":
      leg(t, input);
      return { kind: "ok" };
    case "dialEnded":
      // A caller who hung up while the agents rang ends the dial too ("canceled"); the status callback
      // may come later, so the action's own CallStatus decides between voicemail and a missed call.
      if (input.callerGone) callerStatus(t, "completed", input.at);
      return dialEnded(t, input.status, input.at);
    case "callerStatus":
      callerStatus(t, input.status, input.at);
      return { kind: "ok" };
    case "voicemailRecorded":
      voicemailRecorded(t, input.recording, input.at);
      return { kind: "ok" };
    case "alarm":
      if (t.s.ringGiveUpAt !== null && input.at >= t.s.ringGiveUpAt && (t.s.phase === "ringing" || t.s.phase === "claimed")) {
        // Twilio should have ended the dial long ago; clear every console rather than ring forever.
        releaseClaim(t, "ring_timeout", input.at);
        t.record("no_answer", null, { reason: "ring_timeout" }, input.at);
        cancelRings(t, input.at);
        t.s.endedByTimeout = true;
        end(t, "missed", input.at);
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
  t.record("answered", agentId, { leaseMs: config.leaseMs }, at);
  t.publish((call) => ({ type: "call.answered", call, agentId }));
  return { kind: "claim", status: 200, claimedBy: agentId };
}

function decline(t: Tx, agentId: string, at: number): Reply {
  const s = t.s;
  if (s.phase === "ended" || s.phase === "voicemail" || s.callerGone) return { kind: "decline", status: 410 };
  if (!s.ringGroup.includes(agentId)) return { kind: "decline", status: 403 };
  if (s.phase === "connected") return { kind: "decline", status: 409 };
  if (s.declined.includes(agentId)) return { kind: "decline", status: 200 };
  if (s.claim?.agentId === agentId) releaseClaim(t, "declined", at);
  s.declined.push(agentId);
  t.record("declined", agentId, null, at);
  t.publish((call) => ({ type: "call.declined", call, agentId }));
  return { kind: "decline", status: 200 };
}

function leg(t: Tx, input: Extract<Input, { type: "leg" }>): void {
  const s = t.s;
  const last = s.legSeq[input.legSid] ?? -1;
  if (input.sequence <= last) return; // a retry or a callback overtaken by a later one
  s.legSeq[input.legSid] = input.sequence;
  if (!s.ringGroup.includes(input.agentId)) return;
  const { agentId, at } = input;

  if (input.status === "in-progress" || input.status === "answered") {
    if (s.phase === "ringing" || s.phase === "claimed") connect(t, agentId, at, { legSid: input.legSid });
    return;
  }

  if (input.status === "completed") {
    // The connected agent hung up; Twilio continues with the dial action, which ends the call.
    if (s.phase === "connected" && s.answeredBy === agentId) end(t, "answered", at);
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
function connect(t: Tx, agentId: string, at: number, detail: Record<string, unknown>): void {
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
  s.answeredAt = at;
  t.record("connected", agentId, detail, at);
  t.publish((call) => ({ type: "call.connected", call, agentId }));
}

function dialEnded(t: Tx, status: DialStatus, at: number): Reply {
  const s = t.s;
  if (status === "completed" || status === "answered") {
    // A bridged call is over. If the leg's own "answered" callback never came, the claim holder was it.
    if (s.phase === "claimed" && s.claim) connect(t, s.claim.agentId, at, { via: "dial_action" });
    end(t, "answered", at);
    return { kind: "dial", next: "hangup" };
  }
  // busy / no-answer / failed / canceled: nobody took it. Voicemail, unless the caller is gone.
  if (s.callerGone) {
    if (s.phase !== "ended") end(t, "missed", at);
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
  s.phase = "voicemail";
  s.endedAt = null;
  s.outcome = null;
  s.endedByTimeout = false;
  s.ringGiveUpAt = null;
  t.record("no_answer", null, { dialCallStatus: status }, at);
  t.record("voicemail", null, { reason: status }, at);
  t.publish((call) => ({ type: "call.voicemail", call }));
  return { kind: "dial", next: "voicemail" };
}

function callerStatus(t: Tx, status: string, at: number): void {
  const s = t.s;
  // Only the final statuses matter; "ringing"/"in-progress" for the parent say nothing new.
  if (!["completed", "busy", "failed", "no-answer", "canceled"].includes(status)) return;
  if (s.callerGone) return;
  s.callerGone = true;
  if (s.phase === "ringing" || s.phase === "claimed") {
    releaseClaim(t, "caller_gone", at);
    t.record("caller_hangup", null, { while: "ringing" }, at);
    cancelRings(t, at);
    end(t, "missed", at);
  } else if (s.phase === "connected") {
    end(t, "answered", at);
  } else if (s.phase === "voicemail") {
    end(t, s.recordingSid ? "voicemail" : "missed", at);
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
  /** The view is taken when the effects are final, so every message carries the state after the step. */
  publish(make: (call: CallView) => ServerMessage): void {
    this.effects.push({ type: "publish", message: make(view(this.s)) });
  }
}

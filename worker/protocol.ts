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

export type Role = "agent" | "admin";

export interface AgentView {
  id: string;
  name: string;
  email: string;
  role: Role;
  /** The agent's own toggle: willing to take calls. */
  available: boolean;
  /** A console of this agent is connected and pinging. */
  online: boolean;
  /** The call the agent has claimed or is connected to. */
  currentCallSid: string | null;
  lastCallEndedAt: number | null;
}

export const CALL_PHASES = ["ringing", "claimed", "connected", "parked", "voicemail", "ended"] as const;
export type CallPhase = (typeof CALL_PHASES)[number];

/** `abandoned`: the caller hung up after an agent had answered, while nobody was connected (parked, transfer). */
export const CALL_OUTCOMES = ["answered", "missed", "voicemail", "abandoned"] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/**
 * Why the call's current <Dial> rings who it rings: the inbound ring-all, a retrieve from the parking
 * lot (the retriever's console answers by itself), a transfer to one agent, or a parked call coming
 * back after the park timeout.
 */
export const RING_PURPOSES = ["inbound", "retrieve", "transfer", "recall"] as const;
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
  /** Agents whose phone rings for this call now (rung, not declined, leg still alive). */
  ringing: string[];
  declined: string[];
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
}

export interface VoicemailView {
  id: string;
  callSid: string;
  from: string;
  recordingUrl: string;
  durationSeconds: number;
  transcription: string | null;
  createdAt: number;
}

export const RING_EVENT_TYPES = [
  "ring_start",
  "ring_cancel",
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
  /** Twilio refused a redirect (park, retrieve, transfer, recall): the step was undone. */
  "redirect_failed",
] as const;
export type RingEventType = (typeof RING_EVENT_TYPES)[number];

export const CLAIM_RELEASE_REASONS = ["lease_expired", "declined", "leg_failed", "overridden", "caller_gone", "ring_timeout"] as const;
export type ClaimReleaseReason = (typeof CLAIM_RELEASE_REASONS)[number];

/** Messages from the switchboard to a console. */
export type ServerMessage =
  /** Sent first on every connection; `history` holds the most recent ended calls, newest first. */
  | { type: "snapshot"; agents: AgentView[]; calls: CallView[]; history: CallView[]; voicemails: VoicemailView[]; at: number }
  | { type: "call.ringing"; call: CallView }
  | { type: "call.answered"; call: CallView; agentId: string }
  | { type: "call.declined"; call: CallView; agentId: string }
  | { type: "call.claim_released"; call: CallView; agentId: string; reason: ClaimReleaseReason }
  | { type: "call.connected"; call: CallView; agentId: string }
  | { type: "call.voicemail"; call: CallView }
  /** `agentId` parked it; also sent when a retrieve or transfer fails and the call returns to its slot. */
  | { type: "call.parked"; call: CallView; agentId: string | null }
  /** `agentId` won the retrieve: their phone rings and their console answers by itself. */
  | { type: "call.retrieved"; call: CallView; agentId: string }
  | { type: "call.transferring"; call: CallView; from: string; to: string }
  /** The transfer target declined or did not answer: the call is parked again (call.lot). */
  | { type: "call.transfer_failed"; call: CallView; from: string; to: string; reason: TransferFailure }
  /** The park timeout: `call.ringing` lists who rings (the parker, or everyone available). */
  | { type: "call.recalled"; call: CallView }
  | { type: "call.ended"; call: CallView }
  | { type: "agent.updated"; agent: AgentView }
  | { type: "agent.presence"; agentId: string; online: boolean }
  | { type: "agent.removed"; agentId: string }
  | { type: "voicemail.created"; voicemail: VoicemailView }
  | { type: "voicemail.updated"; voicemail: VoicemailView }
  | { type: "error"; error: string };

export const TRANSFER_FAILURES = ["declined", "no_answer", "failed"] as const;
export type TransferFailure = (typeof TRANSFER_FAILURES)[number];

export type ServerMessageType = ServerMessage["type"];

export const SERVER_MESSAGE_TYPES = [
  "snapshot",
  "call.ringing",
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
  "agent.updated",
  "agent.presence",
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

/** Body of a 200 or 409 answer to POST /api/calls/{sid}/claim. */
export type ClaimResponse =
  | { claimed: true }
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
  | { retrieved: true }
  /** `busyWith`: the retriever already holds this other call. */
  | { retrieved: false; retrievedBy: string | null; busyWith?: string };

/** Body of POST /api/calls/{sid}/transfer. */
export interface TransferRequest {
  to: string;
}

export interface TransferResponse {
  transferring: true;
  to: string;
}

/** Body of every 4xx/5xx answer of the API. */
export interface ApiError {
  error: string;
  details?: string[];
}

export interface MeResponse {
  agent: AgentView;
  /** Which phone the console must use: Twilio's Voice SDK, or the built-in carrier simulator. */
  phone: "twilio" | "simulator";
}

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

export const CALL_PHASES = ["ringing", "claimed", "connected", "voicemail", "ended"] as const;
export type CallPhase = (typeof CALL_PHASES)[number];

export const CALL_OUTCOMES = ["answered", "missed", "voicemail"] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

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
  /** Agent connected to the caller (phase "connected", and kept once ended). */
  answeredBy: string | null;
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
  | { type: "call.ended"; call: CallView }
  | { type: "agent.updated"; agent: AgentView }
  | { type: "agent.presence"; agentId: string; online: boolean }
  | { type: "agent.removed"; agentId: string }
  | { type: "voicemail.created"; voicemail: VoicemailView }
  | { type: "voicemail.updated"; voicemail: VoicemailView }
  | { type: "error"; error: string };

export type ServerMessageType = ServerMessage["type"];

export const SERVER_MESSAGE_TYPES = [
  "snapshot",
  "call.ringing",
  "call.answered",
  "call.declined",
  "call.claim_released",
  "call.connected",
  "call.voicemail",
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

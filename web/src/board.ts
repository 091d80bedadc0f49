// The board's state as a pure reducer over the switchboard's messages. Components only read it.
import { dialOutcomeText } from "./dialing";
import { agentViewIsNewer, ringsAgent, type AgentView, type CallNote, type CallRecordingView, type CallView, type ServerMessage, type VoicemailView } from "../../worker/protocol";
import { applyVoicemail, type Inbox, inboxFromSnapshot } from "./inbox";
import { whyInLine } from "./waitingLine";

export interface BoardState {
  /** False until the first snapshot: nothing is shown as true before the server said so. */
  synced: boolean;
  agents: Record<string, AgentView>;
  /** Live calls: ringing, claimed, connected, parked, in voicemail. */
  calls: Record<string, CallView>;
  /** Ended calls, newest first. */
  history: CallView[];
  /** Voicemails, newest first: every unhandled one (up to 200) and the latest of any status (inbox.ts). */
  voicemails: VoicemailView[];
  /** How many voicemails are unhandled in all: the header's count (inbox.ts applyVoicemail keeps it live). */
  unhandledVoicemails: number;
  /** Calls' notes by CallSid: from the snapshot's history, then call.noted (call.* messages carry none). */
  notes: Record<string, CallNote>;
  /** Calls' recordings by CallSid: from the snapshot's history, then call.recording. */
  recordings: Record<string, CallRecordingView>;
}

const HISTORY = 20;

export const emptyBoard: BoardState = { synced: false, agents: {}, calls: {}, history: [], voicemails: [], unhandledVoicemails: 0, notes: {}, recordings: {} };

export function apply(state: BoardState, msg: ServerMessage): BoardState {
  switch (msg.type) {
    case "snapshot":
      // A (re)connection replaces everything: no ghost ring survives a resync. But an agent's view from
      // an HTTP reply can overtake the snapshot built before it: the newer version stays (its message
      // follows the snapshot on this socket anyway).
      return {
        synced: true,
        agents: Object.fromEntries(msg.agents.map((a) => [a.id, newerAgent(state.agents[a.id], a)])),
        calls: Object.fromEntries(msg.calls.map((c) => [c.callSid, c])),
        history: msg.history.slice(0, HISTORY),
        ...boardInbox(inboxFromSnapshot(msg.voicemails, msg.unhandledVoicemails)),
        // A note saved while the snapshot was built may be newer than its copy in the history.
        notes: Object.fromEntries(
          msg.history.flatMap((h) => (h.note ? [[h.callSid, newerNote(state.notes[h.callSid], h.note)] as const] : [])),
        ),
        // A recording, once saved, never changes: one that came by call.recording during the snapshot stays.
        recordings: Object.fromEntries(
          msg.history.flatMap((h) => {
            const r = h.recording ?? state.recordings[h.callSid];
            return r ? [[h.callSid, r] as const] : [];
          }),
        ),
      };
    case "call.recording":
      return { ...state, recordings: { ...state.recordings, [msg.callSid]: msg.recording } };
    case "call.noted":
      return { ...state, notes: { ...state.notes, [msg.callSid]: newerNote(state.notes[msg.callSid], msg.note) } };
    case "agent.updated":
      return applyAgentView(state, msg.agent);
    case "agent.presence": {
      const agent = state.agents[msg.agentId];
      if (!agent || !agentViewIsNewer(agent, msg)) return state;
      // A phone is ready only while a console holds it (the switchboard forgets it when they go offline).
      const phoneReady = msg.online && agent.phoneReady;
      return { ...state, agents: { ...state.agents, [msg.agentId]: { ...agent, online: msg.online, phoneReady, version: msg.version } } };
    }
    case "agent.paused":
      // Only a notice (notices.ts): the agent's new status comes as agent.updated.
      return state;
    case "agent.removed": {
      const { [msg.agentId]: _gone, ...agents } = state.agents;
      return { ...state, agents };
    }
    case "voicemail.created":
    case "voicemail.updated": {
      return { ...state, ...boardInbox(applyVoicemail({ voicemails: state.voicemails, unhandled: state.unhandledVoicemails }, msg.voicemail)) };
    }
    case "error":
      return state;
    default:
      return applyCall(state, msg.call);
  }
}

function boardInbox(inbox: Inbox): Pick<BoardState, "voicemails" | "unhandledVoicemails"> {
  return { voicemails: inbox.voicemails, unhandledVoicemails: inbox.unhandled };
}

/** Whether `me` may write this call's note: they answered it and nobody wrote one, or they wrote it (the server's rule). */
export function mayWriteNote(call: CallView, note: CallNote | undefined, me: string): boolean {
  return note ? note.authorId === me : call.answeredBy === me;
}

function newerNote(held: CallNote | undefined, incoming: CallNote): CallNote {
  return held && held.updatedAt > incoming.updatedAt ? held : incoming;
}

/**
 * An agent's view from the feed or from an HTTP reply (PUT /api/me/availability, /api/me/phone). They
 * travel apart and can cross: a view older than the one held is ignored, or a busy agent could show
 * as free (or the reverse) until their next change.
 */
export function applyAgentView(state: BoardState, agent: AgentView): BoardState {
  const held = state.agents[agent.id];
  if (held && !agentViewIsNewer(held, agent)) return state;
  return { ...state, agents: { ...state.agents, [agent.id]: agent } };
}

function newerAgent(held: AgentView | undefined, incoming: AgentView): AgentView {
  return held && !agentViewIsNewer(held, incoming) ? held : incoming;
}

function applyCall(state: BoardState, call: CallView): BoardState {
  const known = state.calls[call.callSid] ?? state.history.find((h) => h.callSid === call.callSid);
  // Messages of one call can overtake each other; the view with the highest seq is the truth. A view
  // re-sent with the same seq replaces the one held: the switchboard re-publishes a ringing call when
  // agents' eligibility changes its ringingCount without changing the call itself.
  if (known && known.seq > call.seq) return state;
  // An ended call never comes back from a re-sent view of the same seq.
  if (known && known.seq === call.seq && known.phase === "ended" && call.phase !== "ended") return state;
  if (call.phase === "ended") {
    const { [call.callSid]: _ended, ...calls } = state.calls;
    const history = [call, ...state.history.filter((h) => h.callSid !== call.callSid)].slice(0, HISTORY);
    return { ...state, calls, history };
  }
  return { ...state, calls: { ...state.calls, [call.callSid]: call }, history: state.history.filter((h) => h.callSid !== call.callSid) };
}

export type AgentState = "offline" | "unavailable" | "available" | "ringing" | "on-call";

/**
 * Calls ringing this agent right now, oldest first. Derived from the call and the agent as the
 * board knows them (ringsAgent): a ring reaches an eligible agent (available, online, phone ready,
 * holding no call) who has not declined it, and only its targets when it has some (transfer, recall).
 */
export function ringingFor(state: BoardState, agentId: string): CallView[] {
  const agent = state.agents[agentId];
  if (!agent) return [];
  return Object.values(state.calls)
    .filter((c) => ringsAgent(c, agent))
    .sort((a, b) => a.startedAt - b.startedAt);
}

/** Whether this call rings this agent, as the board knows them both. */
export function ringsHere(state: BoardState, call: CallView, agentId: string): boolean {
  const agent = state.agents[agentId];
  return !!agent && ringsAgent(call, agent);
}

/** Since when the caller waits for an agent this time: `waitingSince`, else the call's start. */
export function waitingSinceOf(call: CallView): number {
  return call.waitingSince ?? call.startedAt;
}

/**
 * How a ringing call stands, in words: how many agents it rings, or that the caller waits in line and
 * why (`agents`: the board's, to tell busy agents from agents in wrap-up).
 */
export function ringingText(call: CallView, agents: Iterable<AgentView> = []): string {
  if (call.ringingCount <= 0) return `waiting in line: ${whyInLine(call, agents)}`;
  return `ringing ${call.ringingCount} ${call.ringingCount === 1 ? "agent" : "agents"}`;
}

/**
 * The call this agent has claimed or is connected to. A retrieve is claimed by the retriever from the
 * moment it is won, so it is their active call while their phone answers by itself. A parked call, or
 * one being transferred, is nobody's: `answeredBy` there only names the last agent connected.
 */
export function activeCallOf(state: BoardState, agentId: string): CallView | undefined {
  return Object.values(state.calls).find(
    (c) =>
      (c.phase === "claimed" && c.claimedBy === agentId) ||
      (c.phase === "connected" && c.answeredBy === agentId) ||
      (c.phase === "dialing" && c.dialedBy === agentId),
  );
}

export function agentState(state: BoardState, agent: AgentView): AgentState {
  if (activeCallOf(state, agent.id)) return "on-call";
  if (!agent.online) return "offline";
  if (ringingFor(state, agent.id).length > 0) return "ringing";
  return agent.available ? "available" : "unavailable";
}

/** Calls in the lot: held a slot from the park until an agent is connected again. */
const inLot = (c: CallView) => c.lot !== null && (c.phase === "parked" || c.phase === "ringing" || c.phase === "claimed");

/**
 * Calls nobody has taken yet: the "waiting" panel. A call that holds a parking slot is shown in the
 * lot instead, even while it rings somebody (a transfer, a recall), so it is never listed twice.
 */
export function waitingCalls(state: BoardState): CallView[] {
  return Object.values(state.calls)
    .filter((c) => (c.phase === "ringing" && !inLot(c)) || c.phase === "voicemail")
    .sort((a, b) => a.startedAt - b.startedAt);
}

/** What a waiting call is doing, in words, for the "waiting" panel (`agents`: as for ringingText). */
export function waitingText(call: CallView, agents: Iterable<AgentView> = []): string {
  if (call.phase === "voicemail") return "leaving a voicemail";
  return call.purpose === "reconnect" ? `reconnecting caller, ${ringingText(call, agents)}` : ringingText(call, agents);
}

/** The parking lot, by slot: waiting calls and those on their way to someone (retrieve, transfer, recall). */
export function parkedCalls(state: BoardState): CallView[] {
  return Object.values(state.calls)
    .filter(inLot)
    .sort((a, b) => a.lot!.slot - b.lot!.slot);
}

/** The lowest slot that can be retrieved now (waiting in the lot, not on its way to anyone). */
export function firstRetrievable(state: BoardState): CallView | undefined {
  return parkedCalls(state).find((c) => c.phase === "parked");
}

/** Agents a call can be handed to: online, available and holding no call (the server checks again). */
export function canTakeTransfer(state: BoardState, agentId: string): boolean {
  const a = state.agents[agentId];
  return !!a && a.online && a.available && a.currentCallSid === null && !activeCallOf(state, agentId);
}

export function transferTargets(state: BoardState, from: string): AgentView[] {
  return Object.values(state.agents)
    .filter((a) => a.id !== from && canTakeTransfer(state, a.id))
    .sort((a, b) => a.name.localeCompare(b.name));
}

const nameOf = (state: BoardState, id: string | null | undefined) => (id ? (state.agents[id]?.name ?? id) : "another agent");

/** What a ring is, in words, on the card it rings. */
export function ringLabel(state: BoardState, call: CallView): string {
  if (call.purpose === "transfer") return `Transfer from ${nameOf(state, call.transfer?.from)}`;
  if (call.purpose === "recall") return `Parked call returning (parked by ${nameOf(state, call.lot?.parkedBy)})`;
  if (call.purpose === "reconnect") return "Reconnecting caller (their agent's line dropped)";
  return "Incoming call";
}

/** Where a call in the lot stands, in words. */
export function lotStatus(state: BoardState, call: CallView): string {
  if (call.phase === "parked") return "Waiting";
  if (call.phase === "claimed") return `Going to ${nameOf(state, call.claimedBy)}`;
  if (call.purpose === "transfer") return `Transferring to ${nameOf(state, call.transfer?.to ?? call.ringTargets?.[0])}`;
  const targets = call.ringTargets;
  if (call.purpose === "recall") {
    if (targets !== null && targets.length === 1) return `Ringing ${nameOf(state, targets[0])} again`;
    return call.ringingCount > 0 ? "Ringing everyone again" : `Back in line: ${whyInLine(call, Object.values(state.agents))}`;
  }
  if (targets !== null) return `Ringing ${targets.map((id) => nameOf(state, id)).join(", ")}`;
  return ringingText(call, Object.values(state.agents)).replace(/^./, (ch) => ch.toUpperCase());
}

/** Why a call left the board, in words, for the history. */
export function outcomeText(state: BoardState, call: CallView): string {
  if (call.outcome === "answered" && call.direction === "outbound") return `Called by ${nameOf(state, call.dialedBy ?? call.answeredBy)}${call.answeredBy && call.answeredBy !== call.dialedBy ? `, answered by ${nameOf(state, call.answeredBy)}` : ""}`;
  if (call.outcome === "answered") return `Answered by ${call.answeredBy ? nameOf(state, call.answeredBy) : "an agent"}`;
  if (call.outcome === "voicemail") return "Voicemail";
  if (call.outcome === "abandoned") return call.direction === "outbound" ? "Hung up before an agent joined" : call.transfer ? "Abandoned during a transfer" : "Abandoned while parked";
  if (call.outcome === "unanswered") return dialOutcomeText(call);
  return "Missed";
}

// Drag and drop: what is dragged, where it may land, and what a drop there does.

/** The drag data type: one JSON `CallDrag`. Only this console's own elements set it. */
export const CALL_DRAG_TYPE = "application/x-ringall-call";

export interface CallDrag {
  callSid: string;
  /** "active": my connected call, from my card; "parked": a row of the lot. */
  kind: "active" | "parked";
}

export type DropTarget = { kind: "lot" } | { kind: "agent"; agentId: string };

export type DropAction =
  | { action: "park"; callSid: string }
  | { action: "transfer"; callSid: string; to: string }
  | { action: "retrieve"; callSid: string };

export function parseCallDrag(raw: string | undefined | null): CallDrag | null {
  if (!raw) return null;
  try {
    const d = JSON.parse(raw) as Partial<CallDrag>;
    return typeof d.callSid === "string" && (d.kind === "active" || d.kind === "parked") ? { callSid: d.callSid, kind: d.kind } : null;
  } catch {
    return null;
  }
}

/**
 * What dropping `drag` on `target` means for agent `me`, or null where it may not land. My connected
 * call goes to the lot (park) or to an agent free to take it (transfer); a call waiting in the lot goes
 * to my own card (retrieve) when I hold no call.
 */
export function dropAction(state: BoardState, me: string, drag: CallDrag, target: DropTarget): DropAction | null {
  const call = state.calls[drag.callSid];
  if (!call) return null;
  if (drag.kind === "active") {
    if (call.phase !== "connected" || call.answeredBy !== me) return null;
    if (target.kind === "lot") return { action: "park", callSid: call.callSid };
    if (target.agentId !== me && canTakeTransfer(state, target.agentId)) return { action: "transfer", callSid: call.callSid, to: target.agentId };
    return null;
  }
  if (call.phase !== "parked" || !call.lot) return null;
  if (target.kind === "agent" && target.agentId === me && !activeCallOf(state, me)) return { action: "retrieve", callSid: call.callSid };
  return null;
}

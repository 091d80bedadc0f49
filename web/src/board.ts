// The board's state as a pure reducer over the switchboard's messages. Components only read it.
import type { AgentView, CallView, ServerMessage, VoicemailView } from "../../worker/protocol";

export interface BoardState {
  /** False until the first snapshot: nothing is shown as true before the server said so. */
  synced: boolean;
  agents: Record<string, AgentView>;
  /** Live calls: ringing, claimed, connected, in voicemail. */
  calls: Record<string, CallView>;
  /** Ended calls, newest first. */
  history: CallView[];
  voicemails: VoicemailView[];
}

const HISTORY = 20;

export const emptyBoard: BoardState = { synced: false, agents: {}, calls: {}, history: [], voicemails: [] };

export function apply(state: BoardState, msg: ServerMessage): BoardState {
  switch (msg.type) {
    case "snapshot":
      // A (re)connection replaces everything: no ghost ring survives a resync.
      return {
        synced: true,
        agents: Object.fromEntries(msg.agents.map((a) => [a.id, a])),
        calls: Object.fromEntries(msg.calls.map((c) => [c.callSid, c])),
        history: msg.history.slice(0, HISTORY),
        voicemails: msg.voicemails,
      };
    case "agent.updated":
      return { ...state, agents: { ...state.agents, [msg.agent.id]: msg.agent } };
    case "agent.presence": {
      const agent = state.agents[msg.agentId];
      return agent ? { ...state, agents: { ...state.agents, [msg.agentId]: { ...agent, online: msg.online } } } : state;
    }
    case "agent.removed": {
      const { [msg.agentId]: _gone, ...agents } = state.agents;
      return { ...state, agents };
    }
    case "voicemail.created":
    case "voicemail.updated": {
      const rest = state.voicemails.filter((v) => v.id !== msg.voicemail.id);
      return { ...state, voicemails: [msg.voicemail, ...rest].sort((a, b) => b.createdAt - a.createdAt) };
    }
    case "error":
      return state;
    default:
      return applyCall(state, msg.call);
  }
}

function applyCall(state: BoardState, call: CallView): BoardState {
  const known = state.calls[call.callSid] ?? state.history.find((h) => h.callSid === call.callSid);
  // Messages of one call can overtake each other; the view with the highest seq is the truth.
  if (known && known.seq >= call.seq) return state;
  if (call.phase === "ended") {
    const { [call.callSid]: _ended, ...calls } = state.calls;
    const history = [call, ...state.history.filter((h) => h.callSid !== call.callSid)].slice(0, HISTORY);
    return { ...state, calls, history };
  }
  return { ...state, calls: { ...state.calls, [call.callSid]: call }, history: state.history.filter((h) => h.callSid !== call.callSid) };
}

export type AgentState = "offline" | "unavailable" | "available" | "ringing" | "on-call";

/** Calls ringing this agent right now, oldest first. */
export function ringingFor(state: BoardState, agentId: string): CallView[] {
  return Object.values(state.calls)
    .filter((c) => c.phase === "ringing" && c.ringing.includes(agentId))
    .sort((a, b) => a.startedAt - b.startedAt);
}

/** The call this agent has claimed or is connected to. */
export function activeCallOf(state: BoardState, agentId: string): CallView | undefined {
  return Object.values(state.calls).find(
    (c) => (c.phase === "claimed" && c.claimedBy === agentId) || (c.phase === "connected" && c.answeredBy === agentId),
  );
}

export function agentState(state: BoardState, agent: AgentView): AgentState {
  if (activeCallOf(state, agent.id)) return "on-call";
  if (!agent.online) return "offline";
  if (ringingFor(state, agent.id).length > 0) return "ringing";
  return agent.available ? "available" : "unavailable";
}

/** Calls nobody has taken yet: the "waiting" panel. */
export function waitingCalls(state: BoardState): CallView[] {
  return Object.values(state.calls)
    .filter((c) => c.phase === "ringing" || c.phase === "voicemail")
    .sort((a, b) => a.startedAt - b.startedAt);
}

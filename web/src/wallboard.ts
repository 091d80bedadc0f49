// The wallboard's figures, from the console's own board (board.ts, fed by the switchboard) and the
// "today so far" totals (GET /api/reports/today). Pure, unit-tested (test/web/wallboard-unit.test.ts):
// the component (components/Wallboard.tsx) only draws them and ticks the clock.
import type { AgentView, CallView, ReportTotals } from "../../worker/protocol";
import { activeCallOf, type BoardState, parkedCalls, ringingFor, waitingSinceOf } from "./board";
import { byName } from "./roster";

/** A caller waiting for an agent now, and for how long (ms). */
export interface WaitingCaller {
  callSid: string;
  from: string;
  since: number;
  waitMs: number;
  /** How many agents it rings; 0: every agent is busy, the caller waits in line. */
  ringing: number;
  purpose: CallView["purpose"];
}

/**
 * Callers waiting now: inbound calls ringing (or rung back: a recall, a reconnect) that hold no parking
 * slot, longest wait first. An outbound call is not a caller waiting for the team, and a parked call is
 * listed with the lot (a transfer or recall of a parked call rings while it keeps its slot).
 */
export function waitingCallers(board: Pick<BoardState, "calls">, now: number): WaitingCaller[] {
  return Object.values(board.calls)
    .filter((c) => c.phase === "ringing" && c.lot === null && c.direction !== "outbound")
    .map((c) => {
      const since = waitingSinceOf(c);
      return { callSid: c.callSid, from: c.from, since, waitMs: Math.max(0, now - since), ringing: c.ringingCount, purpose: c.purpose };
    })
    .sort((a, b) => a.since - b.since || (a.callSid < b.callSid ? -1 : 1));
}

/** The longest wait among the callers waiting now (ms), or null with nobody waiting. */
export function longestWait(callers: readonly WaitingCaller[]): number | null {
  return callers.length ? Math.max(...callers.map((c) => c.waitMs)) : null;
}

/** The wallboard's agent states, in the order they are listed. */
export const WALL_STATES = ["ringing", "on-call", "wrap-up", "away", "available", "lead", "offline"] as const;
export type WallState = (typeof WALL_STATES)[number];

export const WALL_STATE_LABELS: Record<WallState, string> = {
  ringing: "Ringing",
  "on-call": "On a call",
  "wrap-up": "Wrap-up",
  away: "Away",
  available: "Available",
  lead: "Team leads",
  offline: "Offline",
};

export interface WallAgent {
  id: string;
  name: string;
  state: WallState;
  /** When this state began (epoch ms), or null when the board does not know (offline, an old status). */
  since: number | null;
  /** Wrap-up: when it ends (the wallboard counts down to it). */
  until: number | null;
  /** Away: the reason; on a call or ringing: the caller's number. */
  detail: string | null;
}

/**
 * Where an agent stands, for the wallboard. A call first (it is real at the carrier even if the
 * console dropped), then offline, wrap-up, ringing, away (a team lead not taking calls: lead), available. Time in state: on a call since
 * the call was answered (its start while it is still being claimed or dialled); ringing since the
 * oldest ringing caller began to wait; wrap-up since the last call ended, counting down to its end;
 * away since the status changed; available since the status changed or the last call ended,
 * whichever is later.
 */
export function wallAgent(board: Pick<BoardState, "calls" | "agents">, agent: AgentView): WallAgent {
  const base = { id: agent.id, name: agent.name, until: null, detail: null };
  const call = activeCallOf(board as BoardState, agent.id);
  if (call) {
    const number = call.direction === "outbound" ? call.to : call.from;
    return { ...base, state: "on-call", since: call.answeredAt ?? call.startedAt, detail: number };
  }
  if (!agent.online) return { ...base, state: "offline", since: null };
  if (agent.wrapUpUntil !== null) return { ...base, state: "wrap-up", since: agent.lastCallEndedAt, until: agent.wrapUpUntil };
  const rings = ringingFor(board as BoardState, agent.id);
  if (rings.length > 0) {
    const first = rings[0]!;
    return { ...base, state: "ringing", since: Math.min(...rings.map(waitingSinceOf)), detail: first.from };
  }
  // A team lead who takes no calls now is on the floor, not an agent missing from the queue.
  if (!agent.available) return { ...base, state: agent.lead ? "lead" : "away", since: agent.statusSince, detail: agent.awayReason };
  const since = agent.statusSince === null ? agent.lastCallEndedAt : Math.max(agent.statusSince, agent.lastCallEndedAt ?? 0);
  return { ...base, state: "available", since };
}

export interface WallGroup {
  state: WallState;
  label: string;
  agents: WallAgent[];
}

/** Every agent, grouped by state in WALL_STATES order (empty groups kept, so that counts read 0), each in name order. */
export function wallAgents(board: Pick<BoardState, "calls" | "agents">): WallGroup[] {
  const groups = new Map<WallState, AgentView[]>(WALL_STATES.map((s) => [s, []]));
  const states = new Map<string, WallAgent>();
  for (const a of Object.values(board.agents)) {
    const w = wallAgent(board, a);
    states.set(a.id, w);
    groups.get(w.state)!.push(a);
  }
  return WALL_STATES.map((state) => ({ state, label: WALL_STATE_LABELS[state], agents: groups.get(state)!.sort(byName).map((a) => states.get(a.id)!) }));
}

/** A parked call on the wallboard: its slot, caller, who parked it, how long it has waited and when it comes back. */
export interface WallParked {
  callSid: string;
  slot: number;
  from: string;
  parkedBy: string;
  /** ms in the lot, or null while it rings somebody (a retrieve, transfer or recall). */
  waitedMs: number | null;
  /** ms until the park timeout rings it back, or null while it rings somebody. */
  returnsInMs: number | null;
  /** Waiting in the lot, or on its way to someone. */
  waiting: boolean;
}

export function wallParked(board: Pick<BoardState, "calls" | "agents">, now: number): WallParked[] {
  return parkedCalls(board as BoardState).map((c) => {
    const lot = c.lot!;
    return {
      callSid: c.callSid,
      slot: lot.slot,
      from: c.from,
      parkedBy: board.agents[lot.parkedBy]?.name ?? lot.parkedBy,
      waitedMs: lot.parkedAt === null ? null : Math.max(0, now - lot.parkedAt),
      returnsInMs: lot.returnsAt === null ? null : Math.max(0, lot.returnsAt - now),
      waiting: c.phase === "parked",
    };
  });
}

/** A duration for a wall: "0:07", "12:30", "1:02:03" (h:mm:ss past an hour); "–" for none. */
export function wallClock(ms: number | null): string {
  if (ms === null) return "–";
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** A share 0–1 as a whole percent ("87 %"), "–" with none. */
export function percent(share: number | null): string {
  return share === null ? "–" : `${Math.round(share * 100)} %`;
}

/** Seconds as the wall shows them: "0:12", "1:05:00"; "–" with none. */
export function seconds(s: number | null): string {
  return s === null ? "–" : wallClock(Math.round(s) * 1000);
}

/** One tile of "Today so far". */
export interface Tile {
  key: string;
  label: string;
  value: string;
  /** Said under the value: what it counts, or its threshold. */
  hint?: string;
}

/** How the service level was counted, in words: its threshold, and the short abandons left out if any. */
export function serviceLevelRuleText(t: Pick<ReportTotals, "serviceLevelSeconds" | "shortAbandonSeconds">): string {
  return `within ${t.serviceLevelSeconds} s${t.shortAbandonSeconds > 0 ? `, hang-ups under ${t.shortAbandonSeconds} s left out` : ""}`;
}

/** "Today so far" as the wall's tiles, from GET /api/reports/today. */
export function todayTiles(t: ReportTotals): Tile[] {
  return [
    { key: "offered", label: "Offered", value: String(t.offered) },
    { key: "answered", label: "Answered", value: String(t.answered) },
    { key: "abandoned-waiting", label: "Abandoned waiting", value: String(t.abandonedWaiting) },
    { key: "abandoned-parked", label: "Abandoned parked", value: String(t.abandonedParked) },
    { key: "voicemail", label: "Voicemail", value: String(t.voicemail) },
    { key: "missed-rings", label: "Missed rings", value: String(t.missedRings) },
    { key: "service-level", label: "Service level", value: percent(t.serviceLevel), hint: serviceLevelRuleText(t) },
    { key: "asa", label: "Avg speed of answer", value: seconds(t.averageSpeedOfAnswer) },
    { key: "p90-asa", label: "90th pct answer", value: seconds(t.p90SpeedOfAnswer) },
    { key: "aht", label: "Avg handle time", value: seconds(t.averageHandleTime) },
  ];
}

/**
 * What changes when a call ends, for the wallboard to refresh "today so far": the newest ended call
 * in the history (a call.ended message puts it first) and how many there are. A snapshot changes it
 * too, which is a fine moment to refresh as well.
 */
export function lastEndedKey(board: Pick<BoardState, "history">): string {
  const h = board.history[0];
  return h ? `${h.callSid}:${h.seq}:${board.history.length}` : "";
}

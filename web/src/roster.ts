// The agents list as a big team sees it: who comes first, which group each colleague is in, and the
// search box. Pure, over the board reducer's state (board.ts), so that the order is unit-tested and
// the component only draws it. With 200 agents the list must not be a wall: my own card (where my
// rings and my call are) comes first whatever else happens, the colleagues who are doing something
// come next, and the offline ones are counted rather than drawn until asked for.
import type { AgentView } from "../../worker/protocol";
import { agentState, type BoardState } from "./board";

/** The colleagues' groups, in the order they are listed. */
export type RosterGroup = "busy" | "available" | "away" | "offline";

export const ROSTER_GROUPS: readonly RosterGroup[] = ["busy", "available", "away", "offline"];

/**
 * Which group an agent is listed in. "busy" is ringing or holding a call: those are the ones a
 * colleague looks for (who is taking what), and so is one in wrap-up. An agent on a call stays
 * "busy" even if their console dropped, like agentState says: the call is real at the carrier.
 */
export function rosterGroup(state: BoardState, agent: AgentView): RosterGroup {
  const s = agentState(state, agent);
  if (s === "on-call" || s === "ringing") return "busy";
  if (s === "offline") return "offline";
  // After-call work is work on a call: an agent in wrap-up is listed with the busy ones.
  if (agent.wrapUpUntil !== null) return "busy";
  return s === "available" ? "available" : "away";
}

/**
 * A name as the search compares it: lower case, accents and other combining marks dropped, runs of
 * spaces made one, so that "zoe" finds "Zoë" and "ALICE  a" finds "Alice Adams".
 */
export function foldName(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().replace(/\s+/g, " ").trim();
}

/**
 * Whether a name matches what was typed in the search box: every word typed is found somewhere in
 * the name (so "adams al" finds "Alice Adams"). An empty search matches everyone.
 */
export function matchesSearch(name: string, query: string): boolean {
  const words = foldName(query).split(" ").filter((w) => w !== "");
  const folded = foldName(name);
  return words.every((w) => folded.includes(w));
}

export interface Roster {
  /** My own card: always shown, whatever the search says (my rings and my call are on it). */
  me: AgentView | undefined;
  /** Colleagues matching the search, by group, each in name order. */
  groups: Record<RosterGroup, AgentView[]>;
  /** Colleagues on the team, before the search, for "N of M agents". */
  colleagues: number;
}

// One collator for every sort: name order as a person reads it, accents and case aside.
const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

/** Name order, then id, so that two agents of the same name keep their places between updates. */
export function byName(a: AgentView, b: AgentView): number {
  return collator.compare(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The agents list: my card, then the colleagues matching `query`, grouped and in name order. */
export function roster(state: BoardState, meId: string, query = ""): Roster {
  const groups: Record<RosterGroup, AgentView[]> = { busy: [], available: [], away: [], offline: [] };
  let colleagues = 0;
  for (const agent of Object.values(state.agents)) {
    if (agent.id === meId) continue;
    colleagues++;
    if (matchesSearch(agent.name, query)) groups[rosterGroup(state, agent)].push(agent);
  }
  for (const g of ROSTER_GROUPS) groups[g].sort(byName);
  return { me: state.agents[meId], groups, colleagues };
}

/** The colleagues drawn above the offline toggle, in the order they are listed. */
export function shownColleagues(r: Roster): AgentView[] {
  return [...r.groups.busy, ...r.groups.available, ...r.groups.away];
}

/** The offline toggle's words: "12 offline". */
export function offlineLabel(count: number): string {
  return `${count} offline`;
}

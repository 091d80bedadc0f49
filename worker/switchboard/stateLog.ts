// What of an agent's state the reports keep as intervals (D1 agent_state_log): their status (available,
// or away with its reason), wrap-up, and being online. Pure: the switchboard compares each view it
// sends with the last one it logged, and writes only what changed.
import type { AgentView } from "../protocol";

export type LoggedKind = "status" | "wrap-up" | "online";

export interface LoggedState {
  status: { state: "available" | "away"; reason: string | null };
  wrapUp: boolean;
  online: boolean;
}

/** One interval change: the open row of `kind` ends; a new one starts when `open` is given. */
export interface StateChange {
  kind: LoggedKind;
  open: { state: string; reason: string | null } | null;
}

export function loggedState(a: Pick<AgentView, "available" | "awayReason" | "wrapUpUntil" | "online">): LoggedState {
  return {
    status: a.available ? { state: "available", reason: null } : { state: "away", reason: a.awayReason },
    wrapUp: a.wrapUpUntil !== null,
    online: a.online,
  };
}

/**
 * The changes from `before` to `after`. With nothing logged before (a switchboard just started), every
 * kind starts again: the open rows end and identical ones begin, which splits an interval without
 * changing any total.
 */
export function stateChanges(before: LoggedState | undefined, after: LoggedState): StateChange[] {
  const changes: StateChange[] = [];
  if (!before || before.status.state !== after.status.state || before.status.reason !== after.status.reason) {
    changes.push({ kind: "status", open: { state: after.status.state, reason: after.status.reason } });
  }
  if (!before || before.wrapUp !== after.wrapUp) changes.push({ kind: "wrap-up", open: after.wrapUp ? { state: "wrap-up", reason: null } : null });
  if (!before || before.online !== after.online) changes.push({ kind: "online", open: after.online ? { state: "online", reason: null } : null });
  return changes;
}

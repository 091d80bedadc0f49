// Pure rules of the switchboard's memory: which call views to keep and which console is gone.

import type { CallView } from "../protocol";

/** The view to keep when `incoming` arrives: messages of one call can overtake each other. */
export function newerCall(existing: CallView | undefined, incoming: CallView): CallView {
  return existing && existing.seq >= incoming.seq ? existing : incoming;
}

/** Callers waiting for an agent who started before this one: their place in line is this plus one. */
export function waitingAhead(calls: CallView[], me: CallView): number {
  // An outbound callee waiting for the agent who dialled them is nobody's turn in line.
  const waiting = (c: CallView) => (c.phase === "ringing" || (c.phase === "claimed" && c.purpose !== "outbound")) && c.lot === null;
  return calls.filter((c) => c !== me && waiting(c) && (c.startedAt < me.startedAt || (c.startedAt === me.startedAt && c.callSid < me.callSid))).length;
}

/** A live call stays on the board until it ends; ended calls leave it. */
export function isLive(call: CallView): boolean {
  return call.phase !== "ended";
}

export interface ConsoleSeen {
  agentId: string;
  lastSeen: number;
}

/** Consoles silent for longer than the timeout: closed tabs can leave sockets looking open (workerd#1187). */
export function isStale(c: ConsoleSeen, now: number, timeoutMs: number): boolean {
  return now - c.lastSeen > timeoutMs;
}

// Agents and calls as the switchboard sends them, for the console's unit tests.
import type { AgentView, CallView } from "../../worker/protocol";

export const agent = (id: string, over: Partial<AgentView> = {}): AgentView => ({
  id,
  name: id.toUpperCase(),
  available: true,
  online: true,
  currentCallSid: null,
  lastCallEndedAt: null,
  phoneReady: true,
  wrapUpUntil: null,
  awayReason: null,
  statusSince: null,
  version: 1,
  ...over,
});

export const call = (over: Partial<CallView> = {}): CallView => ({
  callSid: "CA1",
  from: "+15550001",
  to: "+15550002",
  phase: "ringing",
  direction: "inbound",
  dialedBy: null,
  dialResult: null,
  recorded: false,
  ringTargets: null,
  declined: [],
  ringingCount: 2,
  waitingSince: 1,
  claimedBy: null,
  answeredBy: null,
  purpose: "inbound",
  lot: null,
  transfer: null,
  outcome: null,
  startedAt: 1,
  answeredAt: null,
  endedAt: null,
  seq: 2,
  ...over,
});

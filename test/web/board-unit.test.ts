// The console's board as a pure reducer over server messages.
import { describe, expect, it } from "vitest";
import type { AgentView, CallView, ServerMessage } from "../../worker/protocol";
import { agentState, apply, emptyBoard, ringingFor, waitingCalls, type BoardState } from "../../web/src/board";

const agent = (id: string, over: Partial<AgentView> = {}): AgentView => ({
  id,
  name: id.toUpperCase(),
  email: `${id}@x.test`,
  role: "agent",
  available: true,
  online: true,
  currentCallSid: null,
  lastCallEndedAt: null,
  ...over,
});

const call = (over: Partial<CallView> = {}): CallView => ({
  callSid: "CA1",
  from: "+15550001",
  to: "+15550002",
  phase: "ringing",
  ringing: ["a", "b"],
  declined: [],
  claimedBy: null,
  answeredBy: null,
  outcome: null,
  startedAt: 1,
  answeredAt: null,
  endedAt: null,
  seq: 2,
  ...over,
});

function run(...msgs: ServerMessage[]): BoardState {
  return msgs.reduce(apply, emptyBoard);
}

const snapshot = (over: Partial<Extract<ServerMessage, { type: "snapshot" }>> = {}): ServerMessage => ({
  type: "snapshot",
  agents: [agent("a"), agent("b")],
  calls: [],
  history: [],
  voicemails: [],
  at: 0,
  ...over,
});

describe("the board reducer", () => {
  it("shows nothing as synced before the snapshot, and everything after it", () => {
    expect(emptyBoard.synced).toBe(false);
    const s = run(snapshot({ calls: [call()] }));
    expect(s.synced).toBe(true);
    expect(ringingFor(s, "a").map((c) => c.callSid)).toEqual(["CA1"]);
  });

  it("rings every agent of the call, then clears the others when one answers", () => {
    const s = run(snapshot(), { type: "call.ringing", call: call() }, { type: "call.answered", agentId: "a", call: call({ phase: "claimed", claimedBy: "a", seq: 3 }) });
    expect(agentState(s, s.agents.a!)).toBe("on-call");
    expect(agentState(s, s.agents.b!)).toBe("available");
    expect(ringingFor(s, "b")).toEqual([]);
  });

  it("rings again when the claim is released", () => {
    const s = run(
      snapshot(),
      { type: "call.answered", agentId: "a", call: call({ phase: "claimed", claimedBy: "a", seq: 3 }) },
      { type: "call.claim_released", agentId: "a", reason: "lease_expired", call: call({ seq: 4 }) },
    );
    expect(agentState(s, s.agents.b!)).toBe("ringing");
  });

  it("ignores a message overtaken by a newer one of the same call", () => {
    const s = run(snapshot(), { type: "call.connected", agentId: "a", call: call({ phase: "connected", answeredBy: "a", seq: 5 }) }, { type: "call.ringing", call: call({ seq: 2 }) });
    expect(s.calls.CA1!.phase).toBe("connected");
  });

  it("moves an ended call to the history and never brings it back from a late message", () => {
    const s = run(snapshot(), { type: "call.ended", call: call({ phase: "ended", outcome: "missed", seq: 9, ringing: [] }) }, { type: "call.ringing", call: call({ seq: 3 }) });
    expect(s.calls).toEqual({});
    expect(s.history.map((h) => h.outcome)).toEqual(["missed"]);
  });

  it("replaces everything on a new snapshot: no ghost rings after a reconnect", () => {
    const s = run(snapshot(), { type: "call.ringing", call: call() }, snapshot({ calls: [] }));
    expect(waitingCalls(s)).toEqual([]);
  });

  it("tracks presence, availability and removal of agents", () => {
    const s = run(
      snapshot(),
      { type: "agent.presence", agentId: "b", online: false },
      { type: "agent.updated", agent: agent("a", { available: false }) },
      { type: "agent.removed", agentId: "zz" },
    );
    expect(agentState(s, s.agents.b!)).toBe("offline");
    expect(agentState(s, s.agents.a!)).toBe("unavailable");
    expect(apply(s, { type: "agent.removed", agentId: "a" }).agents.a).toBeUndefined();
  });

  it("lists voicemails newest first and updates a transcription in place", () => {
    const vm = { id: "RE1", callSid: "CA1", from: "+1", recordingUrl: "u", durationSeconds: 3, transcription: null, createdAt: 5 };
    const s = run(
      snapshot(),
      { type: "voicemail.created", voicemail: vm },
      { type: "voicemail.created", voicemail: { ...vm, id: "RE2", createdAt: 9 } },
      { type: "voicemail.updated", voicemail: { ...vm, transcription: "hello" } },
    );
    expect(s.voicemails.map((v) => [v.id, v.transcription])).toEqual([
      ["RE2", null],
      ["RE1", "hello"],
    ]);
  });
});

// The console's board as a pure reducer over server messages.
import { describe, expect, it } from "vitest";
import type { CallView, LotView, ServerMessage } from "../../worker/protocol";
import {
  activeCallOf,
  agentState,
  apply,
  applyAgentView,
  dropAction,
  emptyBoard,
  firstRetrievable,
  lotStatus,
  outcomeText,
  parkedCalls,
  parseCallDrag,
  ringingFor,
  ringingText,
  ringLabel,
  ringsHere,
  transferTargets,
  waitingCalls,
  waitingSinceOf,
  waitingText,
  type BoardState,
} from "../../web/src/board";
import { agent, call } from "./fixtures";


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
      { type: "call.claim_released", agentId: "a", reason: "lease_expired", detail: null, call: call({ seq: 4 }) },
    );
    expect(agentState(s, s.agents.b!)).toBe("ringing");
  });

  it("ignores a message overtaken by a newer one of the same call", () => {
    const s = run(snapshot(), { type: "call.connected", agentId: "a", call: call({ phase: "connected", answeredBy: "a", seq: 5 }) }, { type: "call.ringing", call: call({ seq: 2 }) });
    expect(s.calls.CA1!.phase).toBe("connected");
  });

  it("moves an ended call to the history and never brings it back from a late message", () => {
    const s = run(snapshot(), { type: "call.ended", call: call({ phase: "ended", outcome: "missed", seq: 9, ringingCount: 0, waitingSince: null }) }, { type: "call.ringing", call: call({ seq: 3 }) });
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
      { type: "agent.presence", agentId: "b", online: false, version: 2 },
      { type: "agent.updated", agent: agent("a", { available: false, version: 2 }) },
      { type: "agent.removed", agentId: "zz" },
    );
    expect(agentState(s, s.agents.b!)).toBe("offline");
    expect(agentState(s, s.agents.a!)).toBe("unavailable");
    expect(apply(s, { type: "agent.removed", agentId: "a" }).agents.a).toBeUndefined();
  });

  it("lists voicemails newest first and updates a transcription in place", () => {
    const vm = { id: "RE1", callSid: "CA1", from: "+1", audioUrl: "/api/voicemails/RE1/audio", durationSeconds: 3, transcription: null, createdAt: 5, status: "new" as const, assignedTo: null, handledBy: null, handledAt: null, handledNote: null, calledBackBy: null, calledBackAt: null };
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

// A call Alice ("a") answered, in each step of parking, retrieval and transfer.
const connectedToA = (over: Partial<CallView> = {}) => call({ phase: "connected", ringingCount: 0, waitingSince: null, claimedBy: null, answeredBy: "a", answeredAt: 5, seq: 5, ...over });
const lot = (slot: number, over: Partial<LotView> = {}): LotView => ({ slot, parkedBy: "a", parkedAt: 100, returnsAt: 280_100, ...over });
const parkedByA = (over: Partial<CallView> = {}) => connectedToA({ phase: "parked", lot: lot(1), seq: 6, ...over });
const three = () => snapshot({ agents: [agent("a"), agent("b"), agent("c")] });

describe("parking, retrieval and transfers on the board", () => {
  it("a parked call is in the lot, nobody's active call, not waiting, and its parker is free", () => {
    const s = run(three(), { type: "call.connected", agentId: "a", call: connectedToA() }, { type: "call.parked", agentId: "a", call: parkedByA() });
    expect(parkedCalls(s).map((c) => c.lot!.slot)).toEqual([1]);
    expect(waitingCalls(s)).toEqual([]);
    expect(activeCallOf(s, "a")).toBeUndefined();
    expect(agentState(s, s.agents.a!)).toBe("available");
    expect(ringingFor(s, "a")).toEqual([]);
    expect(lotStatus(s, s.calls.CA1!)).toBe("Waiting");
    expect(firstRetrievable(s)?.callSid).toBe("CA1");
  });

  it("lists the lot by slot, whatever order the calls came in", () => {
    const s = run(
      three(),
      { type: "call.parked", agentId: "a", call: parkedByA({ callSid: "CA3", lot: lot(3), startedAt: 1 }) },
      { type: "call.parked", agentId: "b", call: parkedByA({ callSid: "CA1", lot: lot(1, { parkedBy: "b" }), startedAt: 3 }) },
      { type: "call.parked", agentId: "a", call: parkedByA({ callSid: "CA2", lot: lot(2), startedAt: 2 }) },
    );
    expect(parkedCalls(s).map((c) => c.callSid)).toEqual(["CA1", "CA2", "CA3"]);
  });

  it("a retrieve won by B is B's active call, still shown in the lot as going to B, until B is connected", () => {
    const retrieving = parkedByA({ phase: "claimed", claimedBy: "b", purpose: "retrieve", lot: lot(1, { parkedAt: null, returnsAt: null }), seq: 7 });
    let s = run(three(), { type: "call.parked", agentId: "a", call: parkedByA() }, { type: "call.retrieved", agentId: "b", call: retrieving });
    expect(activeCallOf(s, "b")?.callSid).toBe("CA1");
    expect(agentState(s, s.agents.b!)).toBe("on-call");
    expect(ringingFor(s, "b")).toEqual([]);
    expect(parkedCalls(s).map((c) => lotStatus(s, c))).toEqual(["Going to B"]);
    expect(firstRetrievable(s)).toBeUndefined();
    s = apply(s, { type: "call.connected", agentId: "b", call: { ...retrieving, phase: "connected", claimedBy: null, answeredBy: "b", lot: null, seq: 8 } });
    expect(parkedCalls(s)).toEqual([]);
    expect(activeCallOf(s, "b")?.phase).toBe("connected");
    expect(agentState(s, s.agents.a!)).toBe("available");
  });

  it("a transfer rings only its target, frees the transferring agent, and is labelled with who it is from", () => {
    const transferring = connectedToA({
      phase: "ringing",
      purpose: "transfer",
      ringTargets: ["c"],
      ringingCount: 1,
      transfer: { from: "a", to: "c" },
      lot: lot(1, { parkedAt: null, returnsAt: null }),
      seq: 6,
    });
    const s = run(three(), { type: "call.connected", agentId: "a", call: connectedToA() }, { type: "call.transferring", from: "a", to: "c", call: transferring });
    expect(ringingFor(s, "c").map((c) => ringLabel(s, c))).toEqual(["Transfer from A"]);
    expect(ringingFor(s, "b")).toEqual([]);
    expect(agentState(s, s.agents.a!)).toBe("available");
    expect(agentState(s, s.agents.c!)).toBe("ringing");
    expect(waitingCalls(s)).toEqual([]);
    expect(parkedCalls(s).map((c) => lotStatus(s, c))).toEqual(["Transferring to C"]);
  });

  it("a transfer that failed brings the call back to its slot", () => {
    const transferring = connectedToA({ phase: "ringing", purpose: "transfer", ringTargets: ["c"], ringingCount: 1, transfer: { from: "a", to: "c" }, lot: lot(2, { parkedAt: null, returnsAt: null }), seq: 6 });
    const s = run(
      three(),
      { type: "call.transferring", from: "a", to: "c", call: transferring },
      { type: "call.transfer_failed", from: "a", to: "c", reason: "declined", call: { ...transferring, phase: "parked", ringTargets: null, ringingCount: 0, declined: ["c"], transfer: null, lot: lot(2), seq: 7 } },
    );
    expect(ringingFor(s, "c")).toEqual([]);
    expect(parkedCalls(s).map((c) => [c.lot!.slot, lotStatus(s, c)])).toEqual([[2, "Waiting"]]);
  });

  it("a recall rings whoever the server lists, labelled as a parked call returning", () => {
    const recalled = parkedByA({ phase: "ringing", purpose: "recall", ringTargets: ["a"], ringingCount: 1, lot: lot(1, { parkedAt: null, returnsAt: null }), seq: 7 });
    let s = run(three(), { type: "call.parked", agentId: "a", call: parkedByA() }, { type: "call.recalled", call: recalled });
    expect(ringingFor(s, "a").map((c) => ringLabel(s, c))).toEqual(["Parked call returning (parked by A)"]);
    expect(agentState(s, s.agents.a!)).toBe("ringing");
    expect(ringingFor(s, "b")).toEqual([]);
    expect(parkedCalls(s).map((c) => lotStatus(s, c))).toEqual(["Ringing A again"]);
    s = apply(s, { type: "call.recalled", call: { ...recalled, ringTargets: null, ringingCount: 3, seq: 8 } });
    expect(parkedCalls(s).map((c) => lotStatus(s, c))).toEqual(["Ringing everyone again"]);
    expect(ringLabel(s, call())).toBe("Incoming call");
  });

  it("a parked caller who hangs up leaves the lot, and the history says it was abandoned", () => {
    const s = run(
      three(),
      { type: "call.parked", agentId: "a", call: parkedByA() },
      { type: "call.ended", call: parkedByA({ phase: "ended", outcome: "abandoned", endedAt: 9, seq: 8 }) },
    );
    expect(parkedCalls(s)).toEqual([]);
    expect(s.history.map((h) => outcomeText(s, h))).toEqual(["Abandoned while parked"]);
    expect(outcomeText(s, call({ outcome: "answered", answeredBy: "b" }))).toBe("Answered by B");
  });

  it("ignores a parked view overtaken by the retrieve", () => {
    const retrieving = parkedByA({ phase: "claimed", claimedBy: "b", purpose: "retrieve", seq: 7 });
    const s = run(three(), { type: "call.retrieved", agentId: "b", call: retrieving }, { type: "call.parked", agentId: "a", call: parkedByA() });
    expect(s.calls.CA1!.phase).toBe("claimed");
  });

  it("offers a transfer only to agents online, available and holding no call", () => {
    const s = run(
      snapshot({ agents: [agent("a"), agent("b"), agent("c", { online: false }), agent("d", { available: false }), agent("e", { currentCallSid: "CA9" }), agent("f")] }),
      { type: "call.connected", agentId: "a", call: connectedToA() },
      { type: "call.answered", agentId: "f", call: call({ callSid: "CA2", phase: "claimed", claimedBy: "f", seq: 3 }) },
    );
    expect(transferTargets(s, "a").map((a) => a.id)).toEqual(["b"]);
  });

  it("decides what a drop does: park in the lot, transfer to a free agent, retrieve onto my own card", () => {
    const s = run(
      snapshot({ agents: [agent("a"), agent("b"), agent("c", { available: false })] }),
      { type: "call.connected", agentId: "a", call: connectedToA() },
      { type: "call.parked", agentId: "b", call: parkedByA({ callSid: "CA2", lot: lot(1, { parkedBy: "b" }) }) },
    );
    const mine = { callSid: "CA1", kind: "active" } as const;
    expect(dropAction(s, "a", mine, { kind: "lot" })).toEqual({ action: "park", callSid: "CA1" });
    expect(dropAction(s, "a", mine, { kind: "agent", agentId: "b" })).toEqual({ action: "transfer", callSid: "CA1", to: "b" });
    expect(dropAction(s, "a", mine, { kind: "agent", agentId: "c" })).toBeNull();
    expect(dropAction(s, "a", mine, { kind: "agent", agentId: "a" })).toBeNull();
    // Someone else's call is not mine to hand over.
    expect(dropAction(s, "b", mine, { kind: "lot" })).toBeNull();
    const parked = { callSid: "CA2", kind: "parked" } as const;
    expect(dropAction(s, "b", parked, { kind: "agent", agentId: "b" })).toEqual({ action: "retrieve", callSid: "CA2" });
    expect(dropAction(s, "b", parked, { kind: "agent", agentId: "c" })).toBeNull();
    expect(dropAction(s, "b", parked, { kind: "lot" })).toBeNull();
    // One call at a time: Alice, on a call, cannot retrieve.
    expect(dropAction(s, "a", parked, { kind: "agent", agentId: "a" })).toBeNull();
    expect(dropAction(s, "a", { callSid: "CA404", kind: "active" }, { kind: "lot" })).toBeNull();
  });

  it("reads only well-formed drag data", () => {
    expect(parseCallDrag('{"callSid":"CA1","kind":"parked"}')).toEqual({ callSid: "CA1", kind: "parked" });
    expect(parseCallDrag('{"callSid":"CA1","kind":"other"}')).toBeNull();
    expect(parseCallDrag("not json")).toBeNull();
    expect(parseCallDrag("")).toBeNull();
  });
});

describe("rings derived from the call and the agent (the lobby)", () => {
  it("rings only agents who are available, online, phone-ready, holding no call and who have not declined", () => {
    const s = run(
      snapshot({
        agents: [
          agent("a"),
          agent("b", { phoneReady: false }),
          agent("c", { available: false }),
          agent("d", { online: false }),
          agent("e", { currentCallSid: "CA9" }),
          agent("f"),
        ],
      }),
      { type: "call.ringing", call: call({ declined: ["f"] }) },
    );
    expect(["a", "b", "c", "d", "e", "f"].filter((id) => ringingFor(s, id).length > 0)).toEqual(["a"]);
    expect(agentState(s, s.agents.b!)).toBe("available");
    expect(agentState(s, s.agents.a!)).toBe("ringing");
    expect(ringingFor(s, "nobody")).toEqual([]);
    expect(ringsHere(s, s.calls.CA1!, "a")).toBe(true);
    expect(ringsHere(s, s.calls.CA1!, "f")).toBe(false);
  });

  it("stops ringing an agent whose phone stops being ready, and rings again when it is", () => {
    let s = run(snapshot(), { type: "call.ringing", call: call() });
    s = apply(s, { type: "agent.updated", agent: agent("a", { phoneReady: false }) });
    expect(ringingFor(s, "a")).toEqual([]);
    s = apply(s, { type: "agent.updated", agent: agent("a") });
    expect(ringingFor(s, "a").map((c) => c.callSid)).toEqual(["CA1"]);
  });

  it("rings only the targets when the call has some", () => {
    const s = run(snapshot(), { type: "call.ringing", call: call({ ringTargets: ["b"] }) });
    expect(ringingFor(s, "a")).toEqual([]);
    expect(ringingFor(s, "b").map((c) => c.callSid)).toEqual(["CA1"]);
  });

  it("lists an agent's rings oldest first, so Answer takes the caller who waited longest", () => {
    const s = run(
      snapshot(),
      { type: "call.ringing", call: call({ callSid: "CA2", startedAt: 20 }) },
      { type: "call.ringing", call: call({ callSid: "CA1", startedAt: 10 }) },
      { type: "call.ringing", call: call({ callSid: "CA3", startedAt: 30 }) },
    );
    expect(ringingFor(s, "a").map((c) => c.callSid)).toEqual(["CA1", "CA2", "CA3"]);
  });

  it("takes a view re-sent with the same seq (a new ringingCount), and still ignores an older one", () => {
    let s = run(snapshot(), { type: "call.ringing", call: call({ seq: 4, ringingCount: 2 }) });
    s = apply(s, { type: "call.ringing", call: call({ seq: 4, ringingCount: 0 }) });
    expect(s.calls.CA1!.ringingCount).toBe(0);
    s = apply(s, { type: "call.ringing", call: call({ seq: 3, ringingCount: 5 }) });
    expect(s.calls.CA1!.ringingCount).toBe(0);
  });

  it("says how many agents a call rings, or that the caller waits in line", () => {
    expect(ringingText(call({ ringingCount: 12 }))).toBe("ringing 12 agents");
    expect(ringingText(call({ ringingCount: 1 }))).toBe("ringing 1 agent");
    expect(ringingText(call({ ringingCount: 0 }))).toBe("waiting in line: every agent is busy");
    expect(waitingText(call({ ringingCount: 0 }))).toBe("waiting in line: every agent is busy");
    expect(waitingText(call({ phase: "voicemail" }))).toBe("leaving a voicemail");
    expect(waitingText(call({ purpose: "reconnect", ringingCount: 3 }))).toBe("reconnecting caller, ringing 3 agents");
  });

  it("counts a caller's wait from waitingSince, else from the call's start", () => {
    expect(waitingSinceOf(call({ startedAt: 5, waitingSince: 50 }))).toBe(50);
    expect(waitingSinceOf(call({ startedAt: 5, waitingSince: null }))).toBe(5);
  });

  it("labels a caller whose agent's line dropped as reconnecting, and lists them as waiting", () => {
    const s = run(snapshot(), { type: "call.ringing", call: call({ purpose: "reconnect", answeredBy: "b" }) });
    expect(ringingFor(s, "a").map((c) => ringLabel(s, c))).toEqual(["Reconnecting caller (their agent's line dropped)"]);
    expect(waitingCalls(s).map((c) => c.callSid)).toEqual(["CA1"]);
  });

  it("says when a recalled call waits in line because every agent is busy", () => {
    const s = run(three(), { type: "call.recalled", call: parkedByA({ phase: "ringing", purpose: "recall", ringTargets: null, ringingCount: 0, lot: lot(1, { parkedAt: null, returnsAt: null }), seq: 7 }) });
    expect(parkedCalls(s).map((c) => lotStatus(s, c))).toEqual(["Back in line: every agent is busy"]);
  });
});

describe("agent views that cross: the newest version wins, whatever arrives last", () => {
  const busy = agent("a", { currentCallSid: "CA1", version: 7 });
  const free = agent("a", { currentCallSid: null, version: 6 });

  it("ignores an older view from the feed after a newer one from an HTTP reply, and the reverse", () => {
    const replyFirst = apply(applyAgentView(run(snapshot()), busy), { type: "agent.updated", agent: free });
    expect(replyFirst.agents.a).toEqual(busy);
    const feedFirst = applyAgentView(apply(run(snapshot()), { type: "agent.updated", agent: busy }), free);
    expect(feedFirst.agents.a).toEqual(busy);
    expect(apply(feedFirst, { type: "agent.updated", agent: agent("a", { version: 8 }) }).agents.a!.version).toBe(8);
  });

  it("keeps an equal version (the same change, told twice)", () => {
    const s = applyAgentView(run(snapshot({ agents: [busy] })), { ...busy });
    expect(s.agents.a).toEqual(busy);
  });

  it("ignores a presence older than the view held, and versions the view with a newer one", () => {
    const s = run(snapshot({ agents: [agent("a", { version: 9 })] }));
    expect(apply(s, { type: "agent.presence", agentId: "a", online: false, version: 8 }).agents.a).toEqual(s.agents.a);
    const off = apply(s, { type: "agent.presence", agentId: "a", online: false, version: 10 });
    expect(off.agents.a).toMatchObject({ online: false, phoneReady: false, version: 10 });
    // The view of the change before going offline, arriving late (an HTTP reply), does not bring them back.
    expect(applyAgentView(off, agent("a", { version: 9 })).agents.a).toMatchObject({ online: false, version: 10 });
  });

  it("a snapshot keeps a newer view an HTTP reply brought before it, and takes every older one", () => {
    let s = run(snapshot({ agents: [agent("a", { version: 3 }), agent("b", { version: 3 })] }));
    s = applyAgentView(s, agent("a", { available: false, version: 12 }));
    s = applyAgentView(s, agent("b", { available: false, version: 4 }));
    const again = apply(s, snapshot({ agents: [agent("a", { version: 11 }), agent("b", { version: 11 })] }));
    expect(again.agents.a).toMatchObject({ available: false, version: 12 });
    expect(again.agents.b).toMatchObject({ available: true, version: 11 });
  });

  it("a snapshot drops agents it no longer lists, however new their view", () => {
    const s = applyAgentView(run(snapshot()), agent("gone", { version: 99 }));
    expect(apply(s, snapshot()).agents.gone).toBeUndefined();
  });

  it("in any order of arrival, a busy agent's last view is what the board shows", () => {
    // The same agent's views numbered 1..6, alternating busy and free; every order ends on version 6.
    const views = [1, 2, 3, 4, 5, 6].map((v) => agent("a", { currentCallSid: v % 2 === 0 ? "CA1" : null, version: v }));
    for (let round = 0; round < 200; round++) {
      const order = [...views].sort(() => Math.random() - 0.5);
      let s = run(snapshot({ agents: [agent("a", { version: 0 })], calls: [call({ callSid: "CA2" })] }));
      order.forEach((v, i) => (s = i % 2 === 0 ? applyAgentView(s, v) : apply(s, { type: "agent.updated", agent: v })));
      expect(s.agents.a, order.map((v) => v.version).join(",")).toEqual(views[5]);
      // Busy: another caller does not ring them, and they are no transfer target.
      expect(ringingFor(s, "a")).toEqual([]);
      expect(transferTargets(s, "b")).toEqual([]);
    }
  });
});

describe("wrap-up on the board", () => {
  it("does not ring an agent in wrap-up, and rings them once the switchboard ends it", () => {
    const inWrapUp = run(snapshot({ agents: [agent("a", { wrapUpUntil: 5_000, version: 2 }), agent("b")], calls: [call()] }));
    expect(ringingFor(inWrapUp, "a")).toEqual([]);
    expect(ringingFor(inWrapUp, "b").map((c) => c.callSid)).toEqual(["CA1"]);
    // Ready, or the time is up: the switchboard's newer view says so, and the call rings them at once.
    const ready = apply(inWrapUp, { type: "agent.updated", agent: agent("a", { wrapUpUntil: null, version: 3 }) });
    expect(ringingFor(ready, "a").map((c) => c.callSid)).toEqual(["CA1"]);
  });

  it("keeps the wrap-up across a presence change", () => {
    const s = run(snapshot({ agents: [agent("a", { wrapUpUntil: 5_000, version: 2 })] }), { type: "agent.presence", agentId: "a", online: true, version: 3 });
    expect(s.agents.a?.wrapUpUntil).toBe(5_000);
  });
});

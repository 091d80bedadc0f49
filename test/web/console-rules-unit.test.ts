// The console's pure rules: what a message tells this agent, taking a call (claim or retrieve, then
// connect, else give it back), which phone legs the board took away, and the phone's readiness.
import { describe, expect, it, vi } from "vitest";
import type { CallView, ServerMessage } from "../../worker/protocol";
import { apply, emptyBoard, type BoardState } from "../../web/src/board";
import { type HeldLeg, isMine, reviewLegs } from "../../web/src/legs";
import { newRings, noticesFor, releaseWords } from "../../web/src/notices";
import { phoneBanner, phoneRequest, STARTING } from "../../web/src/phoneStatus";
import { takeCall, type TakeDeps, winOf } from "../../web/src/takeCall";
import { agent, call } from "./fixtures";


const snapshot = (agents = [agent("a"), agent("b")], calls: CallView[] = []): ServerMessage => ({ type: "snapshot", agents, calls, history: [], voicemails: [], at: 0 });
const run = (...msgs: ServerMessage[]): BoardState => msgs.reduce(apply, emptyBoard);

/** The notices `me` gets for `msg` on the board built by `setup`. */
function noticesAfter(me: string, setup: ServerMessage[], msg: ServerMessage) {
  const before = run(...setup);
  return noticesFor(before, apply(before, msg), msg, me).map((n) => n.text);
}

describe("notices: what a message tells this agent", () => {
  const ringing: ServerMessage = { type: "call.ringing", call: call() };
  const answeredByB: ServerMessage = { type: "call.answered", agentId: "b", call: call({ phase: "claimed", claimedBy: "b", seq: 3 }) };

  it("says who answered a call that rang me, and nothing to the winner or to whom it did not ring", () => {
    expect(noticesAfter("a", [snapshot(), ringing], answeredByB)).toEqual(["Answered by B"]);
    expect(noticesAfter("b", [snapshot(), ringing], answeredByB)).toEqual([]);
    expect(noticesAfter("a", [snapshot([agent("a", { phoneReady: false }), agent("b")]), ringing], answeredByB)).toEqual([]);
    expect(noticesAfter("a", [snapshot(), { type: "call.ringing", call: call({ declined: ["a"] }) }], answeredByB)).toEqual([]);
  });

  it("says a colleague could not connect and the call rings again, with why", () => {
    const released: ServerMessage = { type: "call.claim_released", agentId: "b", reason: "connect_failed", detail: null, call: call({ seq: 4 }) };
    expect(noticesAfter("a", [snapshot(), answeredByB], released)).toEqual(["B could not connect: ringing again (their phone could not connect)"]);
    // What the winner's console said went wrong is shown when there is one.
    const said: ServerMessage = { ...released, detail: "the microphone is blocked" };
    expect(noticesAfter("a", [snapshot(), answeredByB], said)).toEqual(["B could not connect: ringing again (the microphone is blocked)"]);
    expect(noticesAfter("b", [snapshot(), answeredByB], released)).toEqual([]);
    expect(releaseWords("lease_expired")).toBe("their phone took too long to connect");
    expect(releaseWords("something new")).toBe("something new");
  });

  it("tells the transferring agent a transfer failed and where the caller is", () => {
    const failed: ServerMessage = {
      type: "call.transfer_failed",
      from: "a",
      to: "b",
      reason: "declined",
      call: call({ phase: "parked", lot: { slot: 3, parkedBy: "a", parkedAt: 1, returnsAt: 2 }, seq: 5 }),
    };
    expect(noticesAfter("a", [snapshot()], failed)).toEqual(["B did not take the transfer: the caller is in parking slot 3"]);
    expect(noticesAfter("b", [snapshot()], failed)).toEqual([]);
  });

  it("announces a new voicemail", () => {
    const vm: ServerMessage = {
      type: "voicemail.created",
      voicemail: { id: "RE1", callSid: "CA1", from: "+1555", audioUrl: "/api/voicemails/RE1/audio", durationSeconds: 3, transcription: null, createdAt: 1, status: "new", assignedTo: null, handledBy: null, handledAt: null, handledNote: null, calledBackBy: null, calledBackAt: null },
    };
    expect(noticesAfter("a", [snapshot()], vm)).toEqual(["New voicemail from +1555"]);
  });

  it("notifies a ring once: a re-sent view of the same ringing call is not a new ring", () => {
    const s0 = run(snapshot());
    const s1 = apply(s0, ringing);
    expect(newRings(s0, s1, "a").map((c) => c.callSid)).toEqual(["CA1"]);
    const s2 = apply(s1, { type: "call.ringing", call: call({ ringingCount: 1 }) });
    expect(newRings(s1, s2, "a")).toEqual([]);
    // An agent who becomes free is rung by a caller who waited in line.
    const busy = run(snapshot([agent("a", { available: false }), agent("b")]), ringing);
    const free = apply(busy, { type: "agent.updated", agent: agent("a") });
    expect(newRings(busy, free, "a").map((c) => c.callSid)).toEqual(["CA1"]);
  });
});

describe("taking a call: claim or retrieve, then the phone connects, else the call is given back", () => {
  const deps = (over: Partial<TakeDeps> = {}): TakeDeps => ({
    request: vi.fn(async () => ({ claimed: true as const, ticket: "T1", expiresAt: 99 })),
    connect: vi.fn(async () => undefined),
    release: vi.fn(async () => undefined),
    name: (id) => (id ? id.toUpperCase() : "another agent"),
    ...over,
  });

  it("connects the winner's phone with the ticket", async () => {
    const d = deps({ won: vi.fn() });
    expect(await takeCall("answer", "CA1", d)).toEqual({ kind: "connected" });
    expect(d.connect).toHaveBeenCalledWith("CA1", "T1");
    expect(d.won).toHaveBeenCalledWith({ ticket: "T1", expiresAt: 99 });
    expect(d.release).not.toHaveBeenCalled();
  });

  it("says calmly who won the race, or that the agent is already on a call, and connects nothing", async () => {
    const lost = deps({ request: async () => ({ claimed: false, claimedBy: "b" }) });
    expect(await takeCall("answer", "CA1", lost)).toEqual({ kind: "lost", notice: "Answered by B" });
    expect(lost.connect).not.toHaveBeenCalled();
    const busy = deps({ request: async () => ({ claimed: false, claimedBy: "a", busyWith: "CA9" }) });
    expect(await takeCall("answer", "CA1", busy)).toEqual({ kind: "lost", notice: "You are already on a call" });
    const retrieved = deps({ request: async () => ({ retrieved: false, retrievedBy: "c" }) });
    expect(await takeCall("retrieve", "CA1", retrieved)).toEqual({ kind: "lost", notice: "Retrieved by C" });
  });

  it("gives the call back with the reason when the phone cannot connect", async () => {
    const d = deps({ connect: vi.fn(async () => Promise.reject(new Error("the microphone is blocked"))) });
    expect(await takeCall("answer", "CA1", d)).toEqual({
      kind: "failed",
      reason: "the microphone is blocked",
      released: true,
      notice: "Could not connect the call: the microphone is blocked",
    });
    expect(d.release).toHaveBeenCalledWith("CA1", "the microphone is blocked");
  });

  it("connects a won retrieve with its ticket, and still reports a failure when the release fails too", async () => {
    const d = deps({
      request: async () => ({ retrieved: true, ticket: "T2", expiresAt: 5 }),
      connect: vi.fn(async () => Promise.reject(new Error("refused"))),
      release: vi.fn(async () => Promise.reject(new Error("offline"))),
    });
    expect(await takeCall("retrieve", "CA7", d)).toEqual({ kind: "failed", reason: "refused", released: false, notice: "Could not connect the retrieved call: refused" });
    expect(d.connect).toHaveBeenCalledWith("CA7", "T2");
  });

  it("lets a failed claim request reach the caller (it is theirs to show)", async () => {
    const d = deps({ request: async () => Promise.reject(new Error("phone not ready")) });
    await expect(takeCall("answer", "CA1", d)).rejects.toThrow("phone not ready");
    expect(d.connect).not.toHaveBeenCalled();
  });

  it("reads claim and retrieve answers alike", () => {
    expect(winOf({ claimed: true, ticket: "t", expiresAt: 1 })).toEqual({ won: true, ticket: "t", expiresAt: 1 });
    expect(winOf({ retrieved: false, retrievedBy: null })).toEqual({ won: false, by: null, busy: false });
  });
});

describe("phone legs against the board", () => {
  const claimedByA = call({ phase: "claimed", claimedBy: "a", seq: 3 });
  const connectedToA = call({ phase: "connected", answeredBy: "a", seq: 4 });
  const leg = (over: Partial<HeldLeg> = {}): HeldLeg => ({ callSid: "CA1", connected: true, seenMine: true, ...over });

  it("keeps a leg while the board says the call is mine, and remembers it did", () => {
    const s = run(snapshot([agent("a")], [connectedToA]));
    expect(isMine(s, "CA1", "a")).toBe(true);
    expect(isMine(run(snapshot([agent("a")], [claimedByA])), "CA1", "a")).toBe(true);
    expect(reviewLegs(s, "a", [leg({ seenMine: false })])).toEqual({ legs: [leg()], hangUp: [] });
  });

  it("hangs up a connected leg once the board gives the call away: parked, transferred, ended, someone else's", () => {
    const parked = run(snapshot(), { type: "call.parked", agentId: "a", call: call({ phase: "parked", answeredBy: "a", lot: { slot: 1, parkedBy: "a", parkedAt: 1, returnsAt: 2 }, seq: 5 }) });
    expect(reviewLegs(parked, "a", [leg()])).toEqual({ legs: [], hangUp: ["CA1"] });
    const toB = run(snapshot(), { type: "call.connected", agentId: "b", call: call({ phase: "connected", answeredBy: "b", seq: 6 }) });
    expect(reviewLegs(toB, "a", [leg()]).hangUp).toEqual(["CA1"]);
    const ended = run(snapshot(), { type: "call.ended", call: call({ phase: "ended", outcome: "answered", seq: 7 }) });
    expect(reviewLegs(ended, "a", [leg()]).hangUp).toEqual(["CA1"]);
  });

  it("does not trust a view older than the claim (the HTTP answer can overtake the board) nor touch a leg still joining", () => {
    const stillRinging = run(snapshot(), { type: "call.ringing", call: call() });
    expect(reviewLegs(stillRinging, "a", [leg({ seenMine: false })])).toEqual({ legs: [leg({ seenMine: false })], hangUp: [] });
    expect(reviewLegs(stillRinging, "a", [leg({ connected: false })])).toEqual({ legs: [leg({ connected: false })], hangUp: [] });
  });
});

describe("the phone's readiness", () => {
  it("tells the server nothing before the phone said anything, then ready or not with why", () => {
    expect(phoneRequest(STARTING)).toBeNull();
    expect(phoneRequest({ state: "ready" })).toEqual({ ready: true });
    expect(phoneRequest({ state: "unready", reason: "the simulated phone disconnected" })).toEqual({ ready: false, reason: "the simulated phone disconnected" });
  });

  it("shows a banner only when the phone is not ready, saying why and that calls will not ring here", () => {
    expect(phoneBanner(STARTING)).toBeNull();
    expect(phoneBanner({ state: "ready" })).toBeNull();
    expect(phoneBanner({ state: "unready", reason: "could not refresh the phone's token" })).toBe(
      "Your phone is not ready, so calls will not ring here until it is: could not refresh the phone's token.",
    );
    expect(phoneBanner({ state: "unready", reason: "Allow the microphone and try again. " })).toBe(
      "Your phone is not ready, so calls will not ring here until it is: Allow the microphone and try again.",
    );
  });
});

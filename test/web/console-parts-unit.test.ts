// The pure parts split out of the console's store: notices said once, requests in flight per call,
// and the keyboard shortcuts.
import { describe, expect, it } from "vitest";
import type { AgentView, CallView } from "../../worker/protocol";
import { emptyBoard, type BoardState } from "../../web/src/board";
import { addNotice, type NoticeText } from "../../web/src/notices";
import { clearPending, isHandingOver, markPending } from "../../web/src/pending";
import { shortcutFor } from "../../web/src/shortcuts";
import { agent, call } from "./fixtures";

function board(agents: AgentView[], calls: CallView[] = []): BoardState {
  return { ...emptyBoard, synced: true, agents: Object.fromEntries(agents.map((a) => [a.id, a])), calls: Object.fromEntries(calls.map((c) => [c.callSid, c])) };
}

describe("addNotice", () => {
  it("adds a new notice and refuses one that says the same thing in the same tone", () => {
    const one = addNotice<NoticeText & { id: number }>([], { id: 1, text: "Answered by Bob", tone: "info" });
    expect(one.map((n) => n.id)).toEqual([1]);
    expect(addNotice(one, { id: 2, text: "Answered by Bob", tone: "info" })).toBe(one);
    expect(addNotice(one, { id: 3, text: "Answered by Bob", tone: "problem" }).map((n) => n.id)).toEqual([1, 3]);
  });
});

describe("pending requests", () => {
  it("marks a call busy and clears only the request's own mark", () => {
    const p = markPending({}, "CA1", "retrieving");
    expect(p).toEqual({ CA1: "retrieving" });
    // The retrieved call was parked again before the retrieve's answer came: "parking" stays.
    const parking = markPending(p, "CA1", "parking");
    expect(clearPending(parking, "CA1", "retrieving")).toBe(parking);
    expect(clearPending(parking, "CA1", "parking")).toEqual({});
    expect(clearPending({}, "CA2", "answering")).toEqual({});
  });

  it("says when a call is being handed over (park or transfer)", () => {
    expect(isHandingOver({ CA1: "parking" }, "CA1")).toBe(true);
    expect(isHandingOver({ CA1: "transferring" }, "CA1")).toBe(true);
    expect(isHandingOver({ CA1: "retrieving" }, "CA1")).toBe(false);
    expect(isHandingOver({ CA1: "parking" }, "CA2")).toBe(false);
  });
});

describe("shortcutFor", () => {
  const key = (code: string) => ({ altKey: true, shiftKey: true, code });
  const two = [call({ callSid: "CA2", startedAt: 2 }), call({ callSid: "CA1", startedAt: 1 })];

  it("answers and declines the oldest ring", () => {
    const s = board([agent("me")], two);
    expect(shortcutFor(s, "me", key("KeyA"))).toEqual({ action: "answer", callSid: "CA1" });
    expect(shortcutFor(s, "me", key("KeyD"))).toEqual({ action: "decline", callSid: "CA1" });
  });

  it("needs both Alt and Shift", () => {
    const s = board([agent("me")], two);
    expect(shortcutFor(s, "me", { altKey: true, shiftKey: false, code: "KeyA" })).toBeNull();
    expect(shortcutFor(s, "me", { altKey: false, shiftKey: true, code: "KeyA" })).toBeNull();
    expect(shortcutFor(s, "me", key("KeyX"))).toBeNull();
  });

  it("parks my connected call, and neither answers nor retrieves while I hold one", () => {
    const mine = call({ callSid: "CA9", phase: "connected", answeredBy: "me", answeredAt: 3 });
    const s = board([agent("me", { currentCallSid: "CA9" })], [mine, ...two]);
    expect(shortcutFor(s, "me", key("KeyP"))).toEqual({ action: "park", callSid: "CA9" });
    expect(shortcutFor(s, "me", key("KeyA"))).toBeNull();
    expect(shortcutFor(s, "me", key("KeyR"))).toBeNull();
  });

  it("does not park a call still connecting, and retrieves when I hold none", () => {
    const claimed = call({ callSid: "CA9", phase: "claimed", claimedBy: "me" });
    expect(shortcutFor(board([agent("me")], [claimed]), "me", key("KeyP"))).toBeNull();
    expect(shortcutFor(board([agent("me")]), "me", key("KeyP"))).toBeNull();
    expect(shortcutFor(board([agent("me")]), "me", key("KeyR"))).toEqual({ action: "retrieve-first" });
    expect(shortcutFor(board([agent("me")]), "me", key("KeyA"))).toBeNull();
  });
});

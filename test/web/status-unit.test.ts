import { describe, expect, it } from "vitest";
import { emptyBoard } from "../../web/src/board";
import { noticesFor } from "../../web/src/notices";
import { sinceWords, statusOptions, statusRequest, statusText, statusValue } from "../../web/src/status";

const REASONS = ["Break", "Lunch"];

describe("the agent's status in the console", () => {
  it("says the status, the reason and how long", () => {
    expect(statusText({ available: false, awayReason: "Lunch", statusSince: 0 }, 12 * 60_000 + 5_000)).toBe("Away · Lunch · 12 min");
    expect(statusText({ available: false, awayReason: null, statusSince: 0 }, 3 * 60_000)).toBe("Away · 3 min");
    expect(statusText({ available: false, awayReason: null, statusSince: null }, 0)).toBe("Away");
    expect(statusText({ available: true, awayReason: null, statusSince: 0 }, 65 * 60_000)).toBe("Available · 1 h 5 min");
  });
  it("counts the first minute as 1 min, never less", () => {
    expect(sinceWords(0)).toBe("1 min");
    expect(sinceWords(-5_000)).toBe("1 min");
    expect(sinceWords(119_000)).toBe("1 min");
  });
  it("offers Available and each reason; plain Away and an unlisted reason only while they are the status", () => {
    expect(statusOptions({ available: true, awayReason: null }, REASONS).map((o) => o.value)).toEqual(["available", "away:Break", "away:Lunch"]);
    expect(statusOptions({ available: false, awayReason: null }, REASONS).map((o) => o.value)).toEqual(["available", "away", "away:Break", "away:Lunch"]);
    const paused = statusOptions({ available: false, awayReason: "Missed 3 calls" }, REASONS);
    expect(paused.at(-1)).toEqual({ value: "away:Missed 3 calls", label: "Away – Missed 3 calls", disabled: true });
    expect(statusValue({ available: false, awayReason: "Missed 3 calls" })).toBe("away:Missed 3 calls");
  });
  it("turns a pick into the request", () => {
    expect(statusRequest("available")).toEqual({ status: "available" });
    expect(statusRequest("away:Lunch")).toEqual({ status: "away", reason: "Lunch" });
    expect(statusRequest("away")).toEqual({ available: false });
  });
});

describe("the auto-pause notice", () => {
  it("is said to the paused agent only", () => {
    const msg = { type: "agent.paused" as const, agentId: "alice", reason: "Missed 3 calls", missed: 3 };
    const board = emptyBoard;
    expect(noticesFor(board, board, msg, "alice")).toEqual([{ text: "You missed 3 calls in a row and are now Away (Missed 3 calls). Set yourself Available to take calls again.", tone: "problem" }]);
    expect(noticesFor(board, board, msg, "bob")).toEqual([]);
  });
});

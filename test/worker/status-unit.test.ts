import { describe, expect, it } from "vitest";
import { outboxMessages } from "../../worker/call/record";
import type { CallView } from "../../worker/protocol";
import { DEFAULT_AWAY_REASONS, missedCallsReason } from "../../worker/protocol";
import { cleanAwayReasons, isListedReason, parseAwayReasons } from "../../worker/status/awayReasons";

describe("away reasons", () => {
  it("cleans an admin's list: trimmed, blanks and repeats dropped", () => {
    expect(cleanAwayReasons([" Lunch ", "lunch", "", "Coffee  break", "Training"])).toEqual({ ok: true, reasons: ["Lunch", "Coffee break", "Training"] });
  });
  it("refuses an empty list, a too long reason, too many", () => {
    expect(cleanAwayReasons([]).ok).toBe(false);
    expect(cleanAwayReasons(["  "]).ok).toBe(false);
    expect(cleanAwayReasons(["x".repeat(41)]).ok).toBe(false);
    expect(cleanAwayReasons(Array.from({ length: 21 }, (_, i) => `R${i}`)).ok).toBe(false);
    expect(cleanAwayReasons(Array.from({ length: 20 }, (_, i) => `R${i}`)).ok).toBe(true);
  });
  it("reads the stored value, the defaults when unset or unreadable", () => {
    expect(parseAwayReasons(undefined)).toEqual([...DEFAULT_AWAY_REASONS]);
    expect(parseAwayReasons("not json")).toEqual([...DEFAULT_AWAY_REASONS]);
    expect(parseAwayReasons('{"a":1}')).toEqual([...DEFAULT_AWAY_REASONS]);
    expect(parseAwayReasons('["Nap","Walk"]')).toEqual(["Nap", "Walk"]);
  });
  it("a reason must be on the list exactly", () => {
    expect(isListedReason(["Lunch"], "Lunch")).toBe(true);
    expect(isListedReason(["Lunch"], "lunch")).toBe(false);
    expect(isListedReason(["Lunch"], "Missed 3 calls")).toBe(false);
  });
  it("auto-pause's reason names the count", () => {
    expect(missedCallsReason(3)).toBe("Missed 3 calls");
    expect(missedCallsReason(1)).toBe("Missed 1 call");
  });
});

describe("outboxMessages: waits nobody answered", () => {
  const call = { callSid: "CA1" } as CallView;
  const record = (reason: string) => ({ type: "record" as const, event: "no_answer" as const, agentId: null, detail: { reason, purpose: "inbound" }, at: 1, seq: 1 });
  it("lists a wait that timed out, not one everyone declined", () => {
    expect(outboxMessages([{ call, effects: [record("no_answer")] }]).unanswered).toEqual(["CA1"]);
    expect(outboxMessages([{ call, effects: [record("declined")] }]).unanswered).toEqual([]);
  });
});

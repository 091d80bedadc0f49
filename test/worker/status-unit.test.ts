import { describe, expect, it } from "vitest";
import { outboxMessages } from "../../worker/call/record";
import type { CallView } from "../../worker/protocol";
import { missedCallsReason } from "../../worker/protocol";

describe("auto-pause", () => {
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

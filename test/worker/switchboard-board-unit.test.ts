// The switchboard's pure rules about calls: a caller's place in line.
import { describe, expect, it } from "vitest";
import type { CallView } from "../../worker/protocol";
import { waitingAhead } from "../../worker/switchboard/board";
import { call } from "../web/fixtures";

// The console's fixture: a call view as the switchboard sends it.
const view = (over: Partial<CallView>): CallView => call({ ringingCount: 0, waitingSince: 1, seq: 1, ...over });

describe("a caller's place in line", () => {
  it("counts the callers who started earlier and still wait for an agent (ringing, or claimed but not yet joined)", () => {
    const me = view({ callSid: "CAme", startedAt: 10 });
    const calls = [view({ callSid: "CAa", startedAt: 1 }), view({ callSid: "CAb", startedAt: 2, phase: "claimed", claimedBy: "ann" }), view({ callSid: "CAc", startedAt: 20 }), me];
    expect(waitingAhead(calls, me)).toBe(2);
  });

  it("does not count parked calls, connected ones, or an outbound callee waiting for the agent who dialled them", () => {
    const me = view({ callSid: "CAme", startedAt: 10 });
    const calls = [
      view({ callSid: "CAp", startedAt: 1, phase: "parked", lot: { slot: 1, parkedBy: "ann", parkedAt: 1, returnsAt: 9 } }),
      view({ callSid: "CAk", startedAt: 2, phase: "connected", answeredBy: "bob" }),
      view({ callSid: "CAo", startedAt: 3, phase: "claimed", purpose: "outbound", direction: "outbound", claimedBy: "cat", dialedBy: "cat" }),
      view({ callSid: "CAd", startedAt: 4, phase: "dialing", purpose: "outbound", direction: "outbound", dialedBy: "dan" }),
      me,
    ];
    expect(waitingAhead(calls, me)).toBe(0);
  });
});

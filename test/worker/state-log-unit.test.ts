import { describe, expect, it } from "vitest";
import { loggedState, stateChanges } from "../../worker/switchboard/stateLog";

const view = (over: Partial<{ available: boolean; awayReason: string | null; wrapUpUntil: number | null; online: boolean }> = {}) =>
  loggedState({ available: true, awayReason: null, wrapUpUntil: null, online: true, ...over });

describe("the agent state intervals the reports keep", () => {
  it("with nothing logged yet, every kind starts (ending whatever interval was open)", () => {
    expect(stateChanges(undefined, view())).toEqual([
      { kind: "status", open: { state: "available", reason: null } },
      { kind: "wrap-up", open: null },
      { kind: "online", open: { state: "online", reason: null } },
    ]);
  });

  it("only what changed: a new away reason, a wrap-up starting, going offline", () => {
    expect(stateChanges(view({ available: false, awayReason: "Lunch" }), view({ available: false, awayReason: "Training" }))).toEqual([{ kind: "status", open: { state: "away", reason: "Training" } }]);
    expect(stateChanges(view(), view({ wrapUpUntil: 5 }))).toEqual([{ kind: "wrap-up", open: { state: "wrap-up", reason: null } }]);
    expect(stateChanges(view(), view({ online: false }))).toEqual([{ kind: "online", open: null }]);
    expect(stateChanges(view(), view())).toEqual([]);
  });
});

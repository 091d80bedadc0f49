// Wrap-up's rule, without the runtime: who rings (protocol.ts) and which call endings start it (record.ts).
import { describe, expect, it } from "vitest";
import { outboxMessages } from "../../worker/call/record";
import { type CallView, isEligible, ringsAgent } from "../../worker/protocol";
import { agent, call } from "../web/fixtures";

describe("an agent in wrap-up", () => {
  it("is not eligible, so no call rings them, until wrap-up is over", () => {
    const wrapping = agent("a", { wrapUpUntil: Date.now() + 30_000 });
    expect(isEligible(wrapping)).toBe(false);
    expect(ringsAgent(call(), wrapping)).toBe(false);
    // A transfer or recall aimed at them waits too.
    expect(ringsAgent(call({ ringTargets: ["a"] }), wrapping)).toBe(false);
    const ready = { ...wrapping, wrapUpUntil: null };
    expect(isEligible(ready)).toBe(true);
    expect(ringsAgent(call(), ready)).toBe(true);
  });

  it("counts until the switchboard ends it, not by the clock (a console's clock may be off)", () => {
    expect(isEligible(agent("a", { wrapUpUntil: 1 }))).toBe(false);
  });
});

describe("which endings start wrap-up", () => {
  const freed = (phase: CallView["phase"], callEnded = true) =>
    outboxMessages([{ call: call({ phase }), effects: [{ type: "agentFree", agentId: "a", at: 1_000, callEnded }] }]).agents[0];

  it("a call that is over (either side hung up)", () => {
    expect(freed("ended")).toMatchObject({ agentId: "a", busy: false, callEnded: true, wrapUp: true });
  });

  it("not a park, a transfer or a dropped leg, which hand the caller on", () => {
    expect(freed("parked")?.wrapUp).toBe(false); // park
    expect(freed("ringing")?.wrapUp).toBe(false); // transfer, or the agent's leg dropped
    expect(freed("voicemail")?.wrapUp).toBe(false); // the lobby ended under the caller
  });

  it("not a claim that never connected", () => {
    expect(freed("ended", false)?.wrapUp).toBe(false);
  });
});

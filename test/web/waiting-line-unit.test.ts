// Why a caller waits in line, for the "waiting" panel and the lot: busy agents, agents in wrap-up, or both.
import { describe, expect, it } from "vitest";
import { apply, type BoardState, emptyBoard, lotStatus, parkedCalls, ringingText, waitingText } from "../../web/src/board";
import { whoHoldsTheLine, whyInLine } from "../../web/src/waitingLine";
import { agent, call } from "./fixtures";

const inLine = call({ ringingCount: 0 });
const busy = (id: string) => agent(id, { currentCallSid: `CA_${id}` });
const wrappingUp = (id: string) => agent(id, { wrapUpUntil: 5_000 });

describe("why a caller waits in line", () => {
  it("every agent busy on a call", () => {
    expect(whyInLine(inLine, [busy("a"), busy("b")])).toBe("every agent is busy");
    expect(waitingText(inLine, [busy("a")])).toBe("waiting in line: every agent is busy");
  });

  it("wrap-up alone: says how many agents are in wrap-up", () => {
    expect(whyInLine(inLine, [wrappingUp("a"), wrappingUp("b")])).toBe("2 agents in wrap-up");
    expect(whyInLine(inLine, [wrappingUp("a")])).toBe("1 agent in wrap-up");
    expect(waitingText(inLine, [wrappingUp("a"), wrappingUp("b")])).toBe("waiting in line: 2 agents in wrap-up");
    expect(ringingText(inLine, [wrappingUp("a")])).toBe("waiting in line: 1 agent in wrap-up");
  });

  it("both: busy or in wrap-up", () => {
    expect(whyInLine(inLine, [busy("a"), wrappingUp("b")])).toBe("every agent is busy or in wrap-up");
    expect(whoHoldsTheLine(inLine, [busy("a"), wrappingUp("b"), wrappingUp("c")])).toEqual({ busy: 1, wrappingUp: 2 });
  });

  it("counts only agents the call would ring: not away, offline, without a phone, who declined it, or not its target", () => {
    const others = [
      agent("away", { available: false, wrapUpUntil: 5_000 }),
      agent("offline", { online: false, wrapUpUntil: 5_000 }),
      agent("nophone", { phoneReady: false, wrapUpUntil: 5_000 }),
      wrappingUp("declined"),
      busy("b"),
    ];
    const declined = call({ ringingCount: 0, declined: ["declined"] });
    expect(whoHoldsTheLine(declined, others)).toEqual({ busy: 1, wrappingUp: 0 });
    expect(whyInLine(declined, others)).toBe("every agent is busy");
    // A transfer to Bob, who is in wrap-up, waits for Bob alone.
    const toBob = call({ ringingCount: 0, ringTargets: ["b"], purpose: "transfer" });
    expect(whyInLine(toBob, [busy("a"), wrappingUp("b")])).toBe("1 agent in wrap-up");
  });

  it("with no agents known, the old words", () => {
    expect(ringingText(inLine)).toBe("waiting in line: every agent is busy");
  });

  it("a recalled call back in line says so in the lot, from the board's agents", () => {
    const recalled = call({
      phase: "ringing",
      purpose: "recall",
      ringingCount: 0,
      lot: { slot: 1, parkedBy: "a", parkedAt: null, returnsAt: null },
      seq: 7,
    });
    const s: BoardState = [
      { type: "snapshot" as const, agents: [wrappingUp("a"), wrappingUp("b")], calls: [], history: [], voicemails: [], at: 0 },
      { type: "call.recalled" as const, call: recalled },
    ].reduce((st, m) => apply(st, m as Parameters<typeof apply>[1]), emptyBoard);
    expect(parkedCalls(s).map((c) => lotStatus(s, c))).toEqual(["Back in line: 2 agents in wrap-up"]);
  });
});

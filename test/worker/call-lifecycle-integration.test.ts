// A call from the caller's first ring to its end, through the carrier simulator and the real worker:
// the caller waits in their lobby, every eligible console rings, one claim wins, and only its
// winner's phone is ever connected to the caller.
import { describe, expect, it } from "vitest";
import { claim } from "./helpers";
import { answer, call, caller, hangup, seen, staff, ticketOf } from "./desks";
import { simState } from "./sim-helpers";

describe("one agent", () => {
  it("is rung, answers with the ticket, and hangs up: the caller's call ends too", async () => {
    const [a] = await staff(1);
    const sid = await call();
    expect(await caller(sid)).toMatchObject({ status: "in-progress", with: [] });
    expect(["announcement", "wait-music"]).toContain((await caller(sid)).hears);
    const leg = await answer(a!, sid);
    expect(await caller(sid)).toMatchObject({ hears: "bridged", with: [leg.legSid] });
    expect((await hangup(sid, a!)).status).toBe(200);
    const ended = await seen(a!, sid, "call.ended");
    expect(ended.call.outcome).toBe("answered");
    await a!.phone.disconnected(leg.legSid);
    expect((await simState(sid)).status).toBe("completed");
  });
});

describe("ring-all", () => {
  it("rings 25 agents at once and connects exactly one of them when all 25 answer together", async () => {
    const desks = await staff(25);
    const sid = await call();
    const rings = await Promise.all(desks.map((d) => seen(d, sid, "call.ringing")));
    expect(rings.every((m) => m.call.ringingCount === 25)).toBe(true);
    const answers = await Promise.all(desks.map((d) => claim(sid, d.agent)));
    const winners = desks.filter((_, i) => answers[i]!.status === 200);
    expect(winners).toHaveLength(1);
    expect(answers.filter((r) => r.status === 409)).toHaveLength(24);
    const winner = winners[0]!;
    const leg = await winner.phone.connect(sid, await ticketOf(answers[desks.indexOf(winner)]!));
    expect(leg.accepted).toBe(true);
    await seen(winner, sid, "call.connected");
    expect(await caller(sid)).toMatchObject({ hears: "bridged", with: [leg.legSid] });
  });
});

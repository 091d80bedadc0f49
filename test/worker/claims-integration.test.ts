// First answer wins: claims through the API and straight on the call session, raced many times.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { agentRows, api, callStatus, claim, createAgents, decline, incomingCall, legStatus, newCallSid, online, ORIGIN, ringEventsOf } from "./helpers";

describe("claiming a ringing call", () => {
  it("gives the call to the first agent; the others get 409 naming the winner", async () => {
    const [a, b, c] = await createAgents(3);
    await online([a!, b!, c!]);
    const { callSid } = await incomingCall();
    const won = await claim(callSid, b!);
    expect(won.status).toBe(200);
    expect(await won.json()).toEqual({ claimed: true });
    for (const loser of [a!, c!]) {
      const res = await claim(callSid, loser);
      expect(res.status).toBe(409);
      expect(await res.json()).toEqual({ claimed: false, claimedBy: b!.id });
    }
    expect((await agentRows([b!.id]))[0]!.currentCallSid).toBe(callSid);
    expect(await ringEventsOf(callSid)).toEqual([`ring_start:${a!.id}`, `ring_start:${b!.id}`, `ring_start:${c!.id}`, `answered:${b!.id}`]);
  });

  it("100 concurrent claims by 100 rung agents give exactly one winner, 20 times over", async () => {
    const stubAgents = Array.from({ length: 100 }, (_, i) => `race_${i}`);
    for (let round = 0; round < 20; round++) {
      const sid = newCallSid();
      const stub = env.CALLS.getByName(sid);
      await stub.start(sid, "+15551230001", "+15559990000", stubAgents, ORIGIN);
      const replies = await Promise.all(stubAgents.map((agent) => stub.claim(sid, agent)));
      const winners = replies.filter((r) => r.kind === "claim" && r.status === 200);
      expect(winners).toHaveLength(1);
      const winner = winners[0]!.kind === "claim" ? winners[0]!.claimedBy : null;
      expect(replies.filter((r) => r.kind === "claim" && r.status === 409 && r.claimedBy === winner)).toHaveLength(99);
    }
  });

  it("ten agents pressing Answer ten times each at once through the API: one agent gets it, 10 rounds", async () => {
    const ten = await createAgents(10);
    for (let round = 0; round < 10; round++) {
      const consoles = await online(ten);
      const { callSid } = await incomingCall();
      const attempts = ten.flatMap((a) => Array.from({ length: 10 }, () => a));
      const results = await Promise.all(attempts.map(async (a) => ({ a, res: await claim(callSid, a) })));
      const winners = new Set(results.filter((r) => r.res.status === 200).map((r) => r.a.id));
      expect(winners.size).toBe(1);
      expect(results.filter((r) => r.res.status === 409)).toHaveLength(90);
      // Hand the call to its winner and end it, so the next round starts with ten idle agents.
      const [winner] = winners;
      await legStatus(callSid, winner!, "in-progress", 1);
      await legStatus(callSid, winner!, "completed", 2);
      for (const c of consoles) c.close();
    }
  });

  it("refuses an agent the call never rang (403), an unknown call (404) and a malformed id (400)", async () => {
    const [a, outsider] = await createAgents(2);
    await online([a!]);
    const { callSid } = await incomingCall();
    expect((await claim(callSid, outsider!)).status).toBe(403);
    expect((await claim(newCallSid(), a!)).status).toBe(404);
    expect((await api("/api/calls/CA123/claim", a!.cookie, { method: "POST" })).status).toBe(400);
  });

  it("takes the agent from the session only: an agentId in the body is refused", async () => {
    const [a, b] = await createAgents(2);
    await online([a!, b!]);
    const { callSid } = await incomingCall();
    const res = await api(`/api/calls/${callSid}/claim`, a!.cookie, { method: "POST", body: JSON.stringify({ agentId: b!.id }) });
    expect(res.status).toBe(400);
    expect((await claim(callSid, b!)).status).toBe(200);
  });

  it("needs a session", async () => {
    const { callSid } = await incomingCall();
    expect((await api(`/api/calls/${callSid}/claim`, null, { method: "POST" })).status).toBe(401);
    expect((await api(`/api/calls/${callSid}/claim`, "ringall_session=forged", { method: "POST" })).status).toBe(401);
  });

  it("answers 410 once the call has ended", async () => {
    const [a] = await createAgents(1);
    await online([a!]);
    const { callSid } = await incomingCall();
    await decline(callSid, a!);
    await callStatus(callSid, "completed");
    expect((await claim(callSid, a!)).status).toBe(410);
  });
});

describe("declining", () => {
  it("stops that agent's ring; another agent still answers (plan test 2.5)", async () => {
    const [a, b] = await createAgents(2);
    const [consoleA] = await online([a!, b!]);
    const { callSid } = await incomingCall();
    expect((await decline(callSid, a!)).status).toBe(200);
    const declined = await consoleA!.next<"call.declined">((m) => m.type === "call.declined");
    expect(declined.call.ringing).toEqual([b!.id]);
    expect((await claim(callSid, a!)).status).toBe(403);
    expect((await claim(callSid, b!)).status).toBe(200);
    expect(await ringEventsOf(callSid)).toContain(`declined:${a!.id}`);
  });

  it("by the claim holder gives the call back to the others", async () => {
    const [a, b] = await createAgents(2);
    await online([a!, b!]);
    const { callSid } = await incomingCall();
    await claim(callSid, a!);
    await decline(callSid, a!);
    expect((await claim(callSid, b!)).status).toBe(200);
  });
});

// Parking, retrieval and transfers through the carrier simulator and the real worker: every step
// redirects the live simulated call with the REST API, and every callback comes back signed.
import { env, evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { agentRows, api, callStatus, claim, createAgents, decline, incomingCall, legStatus, online, ringEventsOf } from "./helpers";
import { simState } from "./sim-helpers";
import { answer, call, connectedTo, lotRows, park, pickUp, post, retrieve, seen, staff, transfer, view } from "./desks";

describe("park and retrieve", () => {
  it("one agent parks, another retrieves: every console sees the slot, the caller hears hold music, then is bridged to the retriever", async () => {
    const [a, b, c] = await staff(3);
    const sid = await call();
    await Promise.all([answer(a!, sid), b!.phone.takeIncoming(sid), c!.phone.takeIncoming(sid)]);

    const parked = await park(sid, a!);
    expect(parked.status).toBe(200);
    const body = (await parked.json()) as { parked: boolean; slot: number; returnsAt: number };
    expect(body).toMatchObject({ parked: true, slot: 1 });
    for (const d of [a!, b!, c!]) {
      const m = await seen(d, sid, "call.parked");
      expect(m.agentId).toBe(a!.agent.id);
      expect(m.call).toMatchObject({ phase: "parked", lot: { slot: 1, parkedBy: a!.agent.id, returnsAt: body.returnsAt } });
    }
    await a!.phone.take((m) => m.type === "disconnect");
    const held = await simState(sid);
    expect(held.status).toBe("in-progress");
    expect(held.events.at(-1)!.what).toMatch(/^<Play loop=0> /);
    expect((await agentRows([a!.agent.id]))[0]!.currentCallSid).toBeNull();
    expect(await lotRows()).toMatchObject([{ callSid: sid, slot: 1, parkedBy: a!.agent.id }]);

    const got = await retrieve(sid, b!);
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual({ retrieved: true });
    const m = await seen(c!, sid, "call.retrieved");
    expect(m).toMatchObject({ agentId: b!.agent.id, call: { phase: "claimed", claimedBy: b!.agent.id, purpose: "retrieve" } });
    await pickUp(b!, sid);
    expect(await view(sid)).toMatchObject({ phase: "connected", answeredBy: b!.agent.id, lot: null });
    expect(await lotRows()).toEqual([]);
    expect(await ringEventsOf(sid)).toEqual(
      expect.arrayContaining([`parked:${a!.agent.id}`, `retrieve_started:${b!.agent.id}`, `connected:${b!.agent.id}`]),
    );
  });

  it("parks a call while another call rings the others; the ring goes on, and a third agent retrieves the parked one", async () => {
    const [a, b, c] = await staff(3);
    const first = await call();
    await Promise.all([answer(a!, first), b!.phone.takeIncoming(first), c!.phone.takeIncoming(first)]);
    const second = await call();
    const [lb, lc] = await Promise.all([b!.phone.takeIncoming(second), c!.phone.takeIncoming(second)]);

    expect((await park(first, a!)).status).toBe(200);
    const ringing = await view(second);
    expect(ringing).toMatchObject({ phase: "ringing", ringing: [b!.agent.id, c!.agent.id] });

    expect((await claim(second, b!.agent)).status).toBe(200);
    b!.phone.send("accept", lb!);
    await connectedTo(b!, second);
    await c!.phone.take((m) => m.type === "cancel" && m.callSid === lc!.callSid);

    expect((await retrieve(first, c!)).status).toBe(200);
    await pickUp(c!, first);
    expect((await view(first))!.answeredBy).toBe(c!.agent.id);
    expect((await view(second))!.answeredBy).toBe(b!.agent.id);
  });

  it("retrieves a parked call while another call rings the retriever: the retriever gets the parked one, a colleague the ringing one", async () => {
    const [a, b] = await staff(2);
    const first = await call();
    await Promise.all([answer(a!, first), b!.phone.takeIncoming(first)]);
    expect((await park(first, a!)).status).toBe(200);

    const second = await call();
    const [la, lb] = await Promise.all([a!.phone.takeIncoming(second), b!.phone.takeIncoming(second)]);
    expect((await retrieve(first, a!)).status).toBe(200);
    await pickUp(a!, first);
    // Holding a call, A cannot also take the ringing one.
    const busy = await claim(second, a!.agent);
    expect(busy.status).toBe(409);
    expect(await busy.json()).toMatchObject({ claimed: false, busyWith: first });
    a!.phone.send("reject", la!);

    expect((await claim(second, b!.agent)).status).toBe(200);
    b!.phone.send("accept", lb!);
    await connectedTo(b!, second);
    expect((await view(first))!.answeredBy).toBe(a!.agent.id);
  });

  it("three agents park and retrieve in a chain A → B → C", async () => {
    const [a, b, c] = await staff(3);
    const sid = await call();
    await Promise.all([answer(a!, sid), b!.phone.takeIncoming(sid), c!.phone.takeIncoming(sid)]);
    expect((await park(sid, a!)).status).toBe(200);
    expect((await retrieve(sid, b!)).status).toBe(200);
    await pickUp(b!, sid);
    expect((await park(sid, b!)).status).toBe(200);
    expect((await view(sid))!.lot).toMatchObject({ slot: 1, parkedBy: b!.agent.id });
    expect((await retrieve(sid, c!)).status).toBe(200);
    await pickUp(c!, sid);
    const events = await ringEventsOf(sid);
    expect(events.filter((e) => /^(parked|retrieve_started|connected):/.test(e))).toEqual([
      `connected:${a!.agent.id}`,
      `parked:${a!.agent.id}`,
      `retrieve_started:${b!.agent.id}`,
      `connected:${b!.agent.id}`,
      `parked:${b!.agent.id}`,
      `retrieve_started:${c!.agent.id}`,
      `connected:${c!.agent.id}`,
    ]);
    // The caller was never dropped: one simulated call, still up, bridged to C.
    expect((await simState(sid)).status).toBe("in-progress");
  });

  it("three agents park at the same moment into three different slots, and each retrieves a colleague's call", async () => {
    const desks = await staff(3);
    const sids: string[] = [];
    for (const d of desks) {
      const sid = await call();
      sids.push(sid);
      // Only idle agents ring: each new call rings whoever is still free, and d takes it.
      await answer(d, sid);
    }
    const parks = await Promise.all(desks.map((d, i) => park(sids[i]!, d)));
    expect(parks.map((r) => r.status)).toEqual([200, 200, 200]);
    const slots = await Promise.all(parks.map(async (r) => ((await r.json()) as { slot: number }).slot));
    expect([...slots].sort()).toEqual([1, 2, 3]);
    expect((await lotRows()).map((r) => r.slot)).toEqual([1, 2, 3]);

    // Each retrieves the call of the next agent, all at once.
    const rotated = desks.map((d, i) => ({ d, sid: sids[(i + 1) % 3]! }));
    const replies = await Promise.all(rotated.map(({ d, sid }) => retrieve(sid, d)));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    await Promise.all(rotated.map(({ d, sid }) => pickUp(d, sid)));
    for (const { d, sid } of rotated) expect((await view(sid))!.answeredBy).toBe(d.agent.id);
  });

  it("a full lot refuses the park with a clear message, and the call stays with the agent", async () => {
    const desks = await staff(4);
    const sids: string[] = [];
    for (const d of desks) {
      const sid = await call();
      sids.push(sid);
      await answer(d, sid);
    }
    for (let i = 0; i < 3; i++) expect((await park(sids[i]!, desks[i]!)).status).toBe(200);
    const full = await park(sids[3]!, desks[3]!);
    expect(full.status).toBe(409);
    expect(((await full.json()) as { error: string }).error).toMatch(/parking lot is full \(3 slots\)/);
    expect(await view(sids[3]!)).toMatchObject({ phase: "connected", answeredBy: desks[3]!.agent.id, lot: null });
    expect((await simState(sids[3]!)).status).toBe("in-progress");
    expect((await agentRows([desks[3]!.agent.id]))[0]!.currentCallSid).toBe(sids[3]);
  });

  it("two agents retrieve the same call at the same instant: exactly one wins, 20 times over", async () => {
    const [a, b] = await staff(2);
    const sid = await call();
    await Promise.all([answer(a!, sid), b!.phone.takeIncoming(sid)]);
    let holder = a!;
    for (let round = 0; round < 20; round++) {
      expect((await park(sid, holder)).status).toBe(200);
      const [ra, rb] = await Promise.all([retrieve(sid, a!), retrieve(sid, b!)]);
      expect([ra.status, rb.status].sort()).toEqual([200, 409]);
      const winner = ra.status === 200 ? a! : b!;
      const loser = ((ra.status === 200 ? await rb.json() : await ra.json()) as { retrieved: boolean; retrievedBy: string });
      expect(loser).toEqual({ retrieved: false, retrievedBy: winner.agent.id });
      await pickUp(winner, sid);
      holder = winner;
    }
  });

  it("five agents retrieve the same call at once: one winner, four calm 409s naming it, 10 times over", async () => {
    const desks = await staff(5);
    const sid = await call();
    await Promise.all([answer(desks[0]!, sid), ...desks.slice(1).map((d) => d.phone.takeIncoming(sid, "inbound"))]);
    let holder = desks[0]!;
    for (let round = 0; round < 10; round++) {
      expect((await park(sid, holder)).status).toBe(200);
      const replies = await Promise.all(desks.map((d) => retrieve(sid, d)));
      const winners = desks.filter((_, i) => replies[i]!.status === 200);
      expect(winners).toHaveLength(1);
      for (const r of replies.filter((r) => r.status !== 200)) {
        expect(r.status).toBe(409);
        expect(await r.json()).toEqual({ retrieved: false, retrievedBy: winners[0]!.agent.id });
      }
      await pickUp(winners[0]!, sid);
      holder = winners[0]!;
    }
  });

  it("survives its call session being evicted while parked: the lot and the retrieve still work", async () => {
    const [a, b] = await staff(2);
    const sid = await call();
    await Promise.all([answer(a!, sid), b!.phone.takeIncoming(sid)]);
    expect((await park(sid, a!)).status).toBe(200);
    await evictDurableObject(env.CALLS.getByName(sid));
    expect(await view(sid)).toMatchObject({ phase: "parked", lot: { slot: 1, parkedBy: a!.agent.id } });
    expect((await retrieve(sid, b!)).status).toBe(200);
    await pickUp(b!, sid);
    expect(await view(sid)).toMatchObject({ phase: "connected", answeredBy: b!.agent.id });
  });

  it("a parked caller who hangs up leaves the lot and is logged as abandoned while parked", async () => {
    const [a, b] = await staff(2);
    const sid = await call();
    await Promise.all([answer(a!, sid), b!.phone.takeIncoming(sid)]);
    expect((await park(sid, a!)).status).toBe(200);
    await api(`/sim/calls/${sid}/hangup`, null, { method: "POST" });
    const end = await seen(b!, sid, "call.ended");
    expect(end.call).toMatchObject({ phase: "ended", outcome: "abandoned", lot: null });
    expect(await lotRows()).toEqual([]);
    expect(await ringEventsOf(sid)).toEqual(expect.arrayContaining(["caller_hangup", `call_ended:${a!.agent.id}`]));
  });

});

describe("transfers", () => {
  it("transfer answered: the target rings with who sent it, answers, and has the call; the sender is free at once", async () => {
    const [a, b] = await staff(2);
    const sid = await call();
    await Promise.all([answer(a!, sid), b!.phone.takeIncoming(sid)]);
    const res = await transfer(sid, a!, b!.agent.id);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ transferring: true, to: b!.agent.id });
    const m = await seen(b!, sid, "call.transferring");
    expect(m).toMatchObject({ from: a!.agent.id, to: b!.agent.id, call: { phase: "ringing", purpose: "transfer", ringing: [b!.agent.id] } });
    expect((await agentRows([a!.agent.id]))[0]!.currentCallSid).toBeNull();
    const leg = await b!.phone.takeIncoming(sid);
    expect(leg.customParameters).toMatchObject({ purpose: "transfer", transferFrom: a!.agent.id });
    expect((await claim(sid, b!.agent)).status).toBe(200);
    b!.phone.send("accept", leg);
    await connectedTo(b!, sid);
    expect(await view(sid)).toMatchObject({ answeredBy: b!.agent.id, lot: null, transfer: null });
    expect(await ringEventsOf(sid)).toEqual(expect.arrayContaining([`transfer_started:${a!.agent.id}`, `ring_start:${b!.agent.id}`, `connected:${b!.agent.id}`]));
  });

  it("transfer declined: the call goes back to the parking lot, never dropped, and the sender is told", async () => {
    const [a, b] = await staff(2);
    const sid = await call();
    await Promise.all([answer(a!, sid), b!.phone.takeIncoming(sid)]);
    expect((await transfer(sid, a!, b!.agent.id)).status).toBe(200);
    const leg = await b!.phone.takeIncoming(sid);
    expect((await decline(sid, b!.agent)).status).toBe(200);
    b!.phone.send("reject", leg);
    const failed = await seen(a!, sid, "call.transfer_failed");
    expect(failed).toMatchObject({ from: a!.agent.id, to: b!.agent.id, reason: "declined" });
    expect(failed.call).toMatchObject({ phase: "parked", lot: { slot: 1, parkedBy: a!.agent.id } });
    const held = await simState(sid);
    expect(held.status).toBe("in-progress");
    expect(held.events.at(-1)!.what).toMatch(/^<Play loop=0> /);
    // And from the lot, anyone can take it back.
    expect((await retrieve(sid, a!)).status).toBe(200);
    await pickUp(a!, sid);
  });

  it("transfer unanswered: when the target's ring times out, the call goes back to the lot and the sender is told", async () => {
    const [a, b] = await staff(2);
    const sid = await call({ speed: 100 }); // the 30 s ring times out in well under a second
    await Promise.all([answer(a!, sid), b!.phone.takeIncoming(sid)]);
    expect((await transfer(sid, a!, b!.agent.id)).status).toBe(200);
    await b!.phone.takeIncoming(sid);
    const failed = await seen(a!, sid, "call.transfer_failed", 20_000);
    expect(failed).toMatchObject({ reason: "no_answer", call: { phase: "parked" } });
    expect((await simState(sid)).status).toBe("in-progress");
  });

  it("refuses what cannot be transferred, with nothing changed", async () => {
    const [a, b, c] = await staff(3);
    const sid = await call();
    await Promise.all([answer(a!, sid), b!.phone.takeIncoming(sid), c!.phone.takeIncoming(sid)]);
    await api(`/api/me/availability`, c!.agent.cookie, { method: "PUT", body: JSON.stringify({ available: false }), headers: { "Content-Type": "application/json" } });
    expect((await transfer(sid, a!, a!.agent.id)).status).toBe(400);
    expect((await transfer(sid, a!, "nobody_here")).status).toBe(404);
    expect((await transfer(sid, a!, c!.agent.id)).status).toBe(409);
    expect((await transfer(sid, b!, c!.agent.id)).status).toBe(409);
    expect((await transfer(sid, b!, a!.agent.id)).status).toBe(409); // A is on the call: not idle
    expect((await post(`/api/calls/${sid}/transfer`, a!, { to: b!.agent.id, from: c!.agent.id })).status).toBe(400);
    expect((await park(sid, b!)).status).toBe(403);
    expect((await retrieve(sid, b!)).status).toBe(409);
    expect(await view(sid)).toMatchObject({ phase: "connected", answeredBy: a!.agent.id, lot: null });
    expect(await lotRows()).toEqual([]);
  });
});

describe("when the carrier refuses", () => {
  it("a park Twilio cannot redirect is undone: 502, the call stays with the agent, the slot is free", async () => {
    // Signed webhooks only: a call the simulator never placed, so its REST API answers 404 (20404).
    const [a] = await createAgents(1);
    await online([a!]);
    const { callSid } = await incomingCall();
    expect((await claim(callSid, a!)).status).toBe(200);
    await legStatus(callSid, a!.id, "in-progress", 2);
    const res = await api(`/api/calls/${callSid}/park`, a!.cookie, { method: "POST" });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: string }).error).toMatch(/refused to move the call; nothing changed/);
    expect(await view(callSid)).toMatchObject({ phase: "connected", answeredBy: a!.id, lot: null });
    expect((await agentRows([a!.id]))[0]!.currentCallSid).toBe(callSid);
    expect(await lotRows()).toEqual([]);
    expect(await ringEventsOf(callSid)).toEqual(expect.arrayContaining([`parked:${a!.id}`, `redirect_failed:${a!.id}`]));
    await callStatus(callSid, "completed");
  });
});

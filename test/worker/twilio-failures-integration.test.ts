// What the product does when Twilio's REST API fails it, or its callbacks stop coming: through the
// carrier simulator, with faults injected into the REST requests the product makes.
import { env, evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, claim, conferenceEvent, connectRequest, createAgents, incomingCall, newCallSid, online, ringEventsOf } from "./helpers";
import { answer, call, caller, lotRows, park, seen, staff, ticketOf, timePasses, view } from "./desks";
import { injectFault, simState } from "./sim-helpers";

describe("a REST request to Twilio that fails", () => {
  it("a park that timed out at Twilio although it was applied leaves the call parked and the caller on hold music", async () => {
    const [a] = await staff(1);
    const sid = await call();
    const leg = await answer(a, sid);
    await injectFault(sid, "timeout-applied", { holdMs: 4000 });
    const res = await park(sid, a);
    expect(res.status).toBe(200);
    await a.phone.disconnected(leg.legSid);
    expect((await view(sid))?.phase).toBe("parked");
    await expect.poll(async () => (await caller(sid)).hears).toBe("hold-music");
    expect((await caller(sid)).with).toEqual([]);
    expect((await lotRows()).map((r) => r.callSid)).toEqual([sid]);
  });

  it("a 500 that Twilio applied is sent again, not undone: the call stays parked", async () => {
    const [a] = await staff(1);
    const sid = await call();
    await answer(a, sid);
    await injectFault(sid, "500");
    expect((await park(sid, a)).status).toBe(200);
    expect((await view(sid))?.phase).toBe("parked");
    await expect.poll(async () => (await caller(sid)).hears).toBe("hold-music");
  });

  it("429s (never applied) are retried by the REST client itself", async () => {
    const [a] = await staff(1);
    const sid = await call();
    await answer(a, sid);
    await injectFault(sid, "429", { times: 2 });
    expect((await park(sid, a)).status).toBe(200);
    await expect.poll(async () => (await caller(sid)).hears).toBe("hold-music");
  });

  it("a 21220 (the call is not in progress) ends the call and frees its slot, with no retry", async () => {
    const [a] = await staff(1);
    const sid = await call();
    await answer(a, sid);
    await injectFault(sid, "21220");
    const res = await park(sid, a);
    expect(res.status).toBe(410);
    expect((await seen(a, sid, "call.ended")).call.outcome).toBe("answered");
    await expect.poll(lotRows).toEqual([]);
    await a.console.take((m) => m.type === "agent.updated" && m.agent.id === a.agent.id && m.agent.currentCallSid === null);
    const redirects = (await simState(sid)).events.filter((e) => e.what.startsWith("REST update"));
    expect(redirects).toHaveLength(1);
  });
});

describe("callbacks that stop coming", () => {
  async function connectedWithoutCarrier() {
    const [a] = await createAgents(1);
    await online([a]);
    const { callSid } = await incomingCall();
    const ticket = await ticketOf(await claim(callSid, a));
    const legSid = newCallSid();
    await connectRequest(a.id, { callerSid: callSid, ticket }, legSid);
    await conferenceEvent(callSid, "participant-join", "agent", legSid);
    expect((await env.CALLS.getByName(callSid).view())?.phase).toBe("connected");
    return { a: a, callSid };
  }

  it("a connected call Twilio no longer knows is reconciled: ended, and its agent freed", async () => {
    const { a, callSid } = await connectedWithoutCarrier();
    await timePasses(callSid, 61_000);
    expect(await env.CALLS.getByName(callSid).view()).toMatchObject({ phase: "ended", outcome: "answered" });
    expect(await env.SWITCHBOARD.getByName("org").agentFacts(a.id)).toEqual({ eligible: true, canConnect: true, busyWith: null });
    await expect.poll(() => ringEventsOf(callSid)).toContain("reconciled");
  });

  it("a connected call Twilio says is still in progress stays connected", async () => {
    const [a] = await staff(1);
    const sid = await call();
    await answer(a, sid);
    await timePasses(sid, 61_000);
    expect((await view(sid))?.phase).toBe("connected");
  });

  it("a call session evicted mid-call still frees the slot and the agent when the caller leaves", async () => {
    const [a] = await staff(1);
    const sid = await call();
    await answer(a, sid);
    expect((await park(sid, a)).status).toBe(200);
    await evictDurableObject(env.CALLS.getByName(sid));
    await api(`/sim/calls/${sid}/hangup`, null, { method: "POST" });
    expect((await seen(a, sid, "call.ended")).call.outcome).toBe("abandoned");
    await expect.poll(lotRows).toEqual([]);
  });
});

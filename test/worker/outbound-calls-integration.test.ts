// Calling out from the console (a call-back or a dialled number), through the carrier simulator:
// Twilio places the call, the simulated callee answers, declines or lets it ring, and once answered
// the call is held, parked, retrieved and ended like any inbound call.
import { createExecutionContext, env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { readConfig } from "../../worker/config";
import { calls as callsTable, voicemails } from "../../worker/db/schema";
import type { DialResponse } from "../../worker/protocol";
import { eq } from "drizzle-orm";
import { answer, call, connectedTo, decline, type Desk, hangup, park, pickUp, post, seen, staff, view } from "./desks";
import { api, claim, db, ORIGIN, ringEventsOf, unique } from "./helpers";
import { simState } from "./sim-helpers";

const dialled: string[] = [];
let numbers = 0;

/** A number of its own per test, so that each callee's rule is the test's. */
function newNumber(): string {
  return `+1555${String(Date.now() % 1000).padStart(3, "0")}${String(++numbers).padStart(4, "0")}`;
}

async function callee(number: string, answer: "answer" | "decline" | "no-answer", afterSeconds = 0.2): Promise<void> {
  const res = await api("/sim/callees", null, { method: "PUT", body: JSON.stringify({ number, answer, afterSeconds }), headers: { "Content-Type": "application/json" } });
  expect(res.status).toBe(200);
}

async function dial(d: Desk, to: string, voicemailId?: string): Promise<DialResponse> {
  const res = await post("/api/calls/dial", d, voicemailId ? { to, voicemailId } : { to });
  if (res.status !== 201) throw new Error(`dial refused: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as DialResponse;
  dialled.push(body.callSid);
  return body;
}

afterEach(async () => {
  for (const sid of dialled.splice(0)) await api(`/sim/calls/${sid}/hangup`, null, { method: "POST" });
});

describe("an agent calling out", () => {
  it("connects the agent to the callee once they answer; nobody else is rung or can take it; it parks and is retrieved like any call", async () => {
    const [a, b] = await staff(2);
    const to = newNumber();
    await callee(to, "answer");
    const { callSid, ticket } = await dial(a, to);
    const dialing = await seen(b, callSid, "call.dialing");
    expect(dialing.call).toMatchObject({ phase: "dialing", direction: "outbound", dialedBy: a.agent.id, from: "+15550100000", to });
    // While it rings the callee, A is busy with it and nobody can claim it.
    expect((await claim(callSid, b.agent)).status).toBe(409);
    const answered = await seen(a, callSid, "call.answered");
    expect(answered.agentId).toBe(a.agent.id);
    expect(answered.call.ringingCount).toBe(0);
    // A colleague's phone is refused with A's ticket; A's is let in.
    expect((await b.phone.connect(callSid, ticket)).accepted).toBe(false);
    expect((await a.phone.connect(callSid, ticket)).accepted).toBe(true);
    await connectedTo(a, callSid);
    await expect.poll(async () => (await simState(callSid)).hears).toBe("bridged");
    expect((await park(callSid, a)).status).toBe(200);
    await pickUp(b, callSid);
    expect((await hangup(callSid, b)).status).toBe(200);
    const ended = await seen(a, callSid, "call.ended");
    expect(ended.call).toMatchObject({ outcome: "answered", direction: "outbound", answeredBy: b.agent.id });
    await expect.poll(async () => (await db().select().from(callsTable).where(eq(callsTable.callSid, callSid)).get())?.outcome).toBe("answered");
    const row = await db().select().from(callsTable).where(eq(callsTable.callSid, callSid)).get();
    expect(row).toMatchObject({ direction: "outbound", dialedBy: a.agent.id, to });
    expect(await ringEventsOf(callSid)).toEqual(expect.arrayContaining([`dial_started:${a.agent.id}`, `callee_answered:${a.agent.id}`, `connected:${a.agent.id}`, `parked:${a.agent.id}`, `connected:${b.agent.id}`]));
  });

  it("a callee who declines or does not answer ends the call unanswered, and the agent is free at once (no wrap-up)", async () => {
    const [a] = await staff(1);
    for (const how of ["decline", "no-answer"] as const) {
      const to = newNumber();
      await callee(to, how);
      const { callSid } = await dial(a, to);
      const ended = await seen(a, callSid, "call.ended", 15_000);
      expect(ended.call).toMatchObject({ outcome: "unanswered", dialResult: how === "decline" ? "busy" : "no-answer" });
      await expect.poll(async () => (await api("/api/me", a.agent.cookie).then((r) => r.json() as Promise<{ agent: { currentCallSid: string | null; wrapUpUntil: number | null } }>)).agent).toMatchObject({ currentCallSid: null, wrapUpUntil: null });
      await expect.poll(() => ringEventsOf(callSid)).toEqual(expect.arrayContaining([`dial_unanswered:${a.agent.id}`]));
    }
  });

  it("the agent can cancel while it rings: the carrier's call ends, nothing reaches the callee", async () => {
    const [a] = await staff(1);
    const to = newNumber();
    await callee(to, "answer", 30);
    const { callSid } = await dial(a, to);
    await seen(a, callSid, "call.dialing");
    expect((await hangup(callSid, a)).status).toBe(200);
    expect((await view(callSid))).toMatchObject({ phase: "ended", outcome: "unanswered", dialResult: "canceled" });
    await expect.poll(async () => ["completed", "canceled"].includes((await simState(callSid)).status)).toBe(true);
  });

  it("calls back a voicemail's caller, and the voicemail says who called back and when", async () => {
    const [a] = await staff(1);
    const sid = await call({ speed: 20, message: 2 });
    await seen(a, sid, "call.ringing");
    await decline(sid, a);
    const vm = await a.console.take<"voicemail.created">((m) => m.type === "voicemail.created" && m.voicemail.callSid === sid, 15_000);
    await callee(vm.voicemail.from, "answer");
    const { callSid } = await dial(a, vm.voicemail.from, vm.voicemail.id);
    const updated = await a.console.take<"voicemail.updated">((m) => m.type === "voicemail.updated" && m.voicemail.id === vm.voicemail.id && m.voicemail.calledBackBy !== null);
    expect(updated.voicemail).toMatchObject({ calledBackBy: a.agent.id });
    const row = await db().select().from(voicemails).where(eq(voicemails.id, vm.voicemail.id)).get();
    expect(row).toMatchObject({ calledBackBy: a.agent.id, callbackCallSid: callSid });
  });

  it("with DIAL_ALLOWED_PREFIXES, a number outside the list is refused (403) and nothing is placed; one inside is called", async () => {
    const worker = (await import("../../worker/index")).default;
    const fenced = { ...env, DIAL_ALLOWED_PREFIXES: "+44, +1555" };
    const [a] = await staff(1);
    const dialFenced = (to: string) =>
      worker.fetch(
        new Request(`${ORIGIN}/api/calls/dial`, { method: "POST", headers: { Cookie: a.agent.cookie, "Content-Type": "application/json" }, body: JSON.stringify({ to }) }),
        fenced,
        createExecutionContext(),
      );
    const placed = async () => ((await api("/sim/calls", null).then((r) => r.json())) as { calls: unknown[] }).calls.length;
    const before = await placed();
    const refused = await dialFenced("+33 1 42 68 53 00");
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: "this team may call only numbers starting +44, +1555 (DIAL_ALLOWED_PREFIXES)" });
    expect(await placed()).toBe(before);
    const to = newNumber();
    await callee(to, "answer");
    const ok = await dialFenced(to);
    expect(ok.status, await ok.clone().text()).toBe(201);
    const { callSid } = (await ok.json()) as DialResponse;
    dialled.push(callSid);
    await seen(a, callSid, "call.answered");
    // A list that is not prefixes stops the worker's config, naming the variable.
    expect(() => readConfig({ ...env, DIAL_ALLOWED_PREFIXES: "44" })).toThrow(/DIAL_ALLOWED_PREFIXES must list number prefixes with their \+ such as "\+1, \+44", got "44"/);
  });

  it("refuses, placing nothing: a malformed number, an unknown voicemail, an agent already on a call", async () => {
    const [a, b] = await staff(2);
    const before = ((await api("/sim/calls", null).then((r) => r.json())) as { calls: unknown[] }).calls.length;
    for (const to of ["12", "+0123456789", "call me", "+1555123000012345678"]) {
      const res = await post("/api/calls/dial", a, { to });
      expect(res.status, to).toBe(400);
    }
    expect((await post("/api/calls/dial", a, { to: newNumber(), voicemailId: unique("nope") })).status).toBe(404);
    const sid = await call();
    await answer(b, sid);
    expect((await post("/api/calls/dial", b, { to: newNumber() })).status).toBe(409);
    const after = ((await api("/sim/calls", null).then((r) => r.json())) as { calls: unknown[] }).calls.length;
    // Only the inbound call and its agent leg were added.
    expect(after - before).toBeLessThanOrEqual(2);
  });
});

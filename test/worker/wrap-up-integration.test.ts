// Wrap-up with real alarms: this file runs in its own workerd with WRAP_UP_SECONDS=3 (vitest.config.ts),
// so the switchboard's own alarm ends a wrap-up while the consoles stay connected. (desks.ts timePasses
// moves the clock for a call session's alarm; moving it for the switchboard's would age every console
// past its ping timeout.) The other worker tests run with WRAP_UP_SECONDS=0.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AgentView, ApiError } from "../../worker/protocol";
import { SWITCHBOARD_NAME } from "../../worker/switchboard/stub";
import { api } from "./helpers";
import { answer, call, type Desk, hangup, park, post, seen, staff } from "./desks";

const WRAP_UP_MS = 3000;
const board = () => env.SWITCHBOARD.getByName(SWITCHBOARD_NAME);
const ready = (d: Desk) => post("/api/me/ready", d);

/** The agent's view with wrap-up set, as their console is told it. */
async function wrapUpSeen(d: Desk): Promise<AgentView> {
  const m = await d.console.take<"agent.updated">((m) => m.type === "agent.updated" && m.agent.id === d.agent.id && m.agent.wrapUpUntil !== null);
  return m.agent;
}

/** Answers a call, then ends it with `end` (the agent's Hang up, or the caller's): returns when the wrap-up ends. */
async function talkedAndHungUp(d: Desk, end: "agent" | "caller"): Promise<number> {
  const sid = await call();
  await answer(d, sid);
  const before = Date.now();
  if (end === "agent") expect((await hangup(sid, d)).status).toBe(200);
  else expect((await api(`/sim/calls/${sid}/hangup`, null, { method: "POST" })).status).toBe(200);
  const view = await wrapUpSeen(d);
  // From when the call ended, give or take the callbacks' travel.
  expect(view.wrapUpUntil! - before).toBeGreaterThan(WRAP_UP_MS - 1000);
  expect(view.wrapUpUntil! - before).toBeLessThanOrEqual(WRAP_UP_MS + 1000);
  expect(view.currentCallSid).toBeNull();
  return view.wrapUpUntil!;
}

/** A new caller arrives while `d` is in wrap-up: available and online, they are not rung; the caller waits in line. */
async function waitsInLine(d: Desk): Promise<string> {
  const sid = await call();
  const ringing = await seen(d, sid, "call.ringing");
  expect(ringing.call.ringingCount).toBe(0);
  expect(await board().eligibleAgents()).not.toContain(d.agent.id);
  return sid;
}

describe("wrap-up", () => {
  it("after the agent hangs up they are not rung; Ready ends it and the waiting caller rings them at once", async () => {
    const [a] = await staff(1);
    const until = await talkedAndHungUp(a, "agent");
    // Kept in the switchboard's storage: an eviction does not forget it.
    expect(await runInDurableObject(board(), (_, state) => state.storage.kv.get<number>(`wrap-up:${a.agent.id}`))).toBe(until);
    const sid = await waitsInLine(a);

    const res = await ready(a);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { agent: AgentView }).agent).toMatchObject({ id: a.agent.id, wrapUpUntil: null });
    const rung = await a.console.next<"call.ringing">((m) => m.type === "call.ringing" && m.call.callSid === sid && m.call.ringingCount === 1);
    expect(rung.call.ringingCount).toBe(1);
    // Rung by Ready, well before the wrap-up would have ended by itself.
    expect(Date.now()).toBeLessThan(until);
    expect(await runInDurableObject(board(), (_, state) => state.storage.kv.get(`wrap-up:${a.agent.id}`))).toBeUndefined();
    // Not in wrap-up any more: a second Ready is refused.
    const again = await ready(a);
    expect(again.status).toBe(409);
    expect(((await again.json()) as ApiError).error).toBe("you are not in wrap-up");
    await answer(a, sid);
  });

  it("ends by itself when the time is up (the caller hung up this time), and the waiting caller rings the agent then", async () => {
    const [a] = await staff(1);
    const until = await talkedAndHungUp(a, "caller");
    const sid = await waitsInLine(a);
    const rung = await a.console.next<"call.ringing">((m) => m.type === "call.ringing" && m.call.callSid === sid && m.call.ringingCount === 1, WRAP_UP_MS + 5000);
    expect(rung.call.ringingCount).toBe(1);
    expect(Date.now()).toBeGreaterThanOrEqual(until);
    const ended = await a.console.next<"agent.updated">((m) => m.type === "agent.updated" && m.agent.id === a.agent.id && m.agent.wrapUpUntil === null);
    expect(ended.agent.wrapUpUntil).toBeNull();
    expect(await board().eligibleAgents()).toContain(a.agent.id);
    expect((await ready(a)).status).toBe(409);
    await answer(a, sid);
  });

  it("is not started by a park, which hands the caller on", async () => {
    const [a] = await staff(1);
    const sid = await call();
    await answer(a, sid);
    expect((await park(sid, a)).status).toBe(200);
    await seen(a, sid, "call.parked");
    await expect.poll(() => board().eligibleAgents()).toContain(a.agent.id);
    expect((await board().agent(a.agent.id))?.wrapUpUntil).toBeNull();
    expect((await ready(a)).status).toBe(409);
  });

  it("Ready takes no body and needs a session", async () => {
    const [a] = await staff(1);
    expect((await post("/api/me/ready", a, { agentId: "someone-else" })).status).toBe(400);
    expect((await api("/api/me/ready", null, { method: "POST" })).status).toBe(401);
  });
});

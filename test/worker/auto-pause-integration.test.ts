// Auto-pause: an agent who lets AUTO_PAUSE_AFTER (3 here, wrangler.toml's default) rings in a row time
// out is set Away, "Missed 3 calls", and their console is told. Each ring's wait is run out with
// desks.ts timePasses (the call session's alarm at RING_TIMEOUT_SECONDS).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AgentView } from "../../worker/protocol";
import { SWITCHBOARD_NAME } from "../../worker/switchboard/stub";
import { agentRows, api, createAgents } from "./helpers";
import { answer, call, decline, type Desk, hangup, seen, setAvailable, staff, timePasses } from "./desks";

const RING_TIMEOUT_MS = 60_000; // wrangler.toml
const board = () => env.SWITCHBOARD.getByName(SWITCHBOARD_NAME);
const missedCount = (d: Desk) => runInDurableObject(board(), (_, state) => state.storage.kv.get<number>(`missed:${d.agent.id}`) ?? 0);

/** A caller rings `desks`; nobody answers in time: voicemail. */
async function ringsOut(desks: Desk[]): Promise<string> {
  const sid = await call();
  for (const d of desks) await seen(d, sid, "call.ringing");
  await timePasses(sid, RING_TIMEOUT_MS + 1000);
  for (const d of desks) await seen(d, sid, "call.voicemail");
  return sid;
}

async function available(d: Desk): Promise<AgentView> {
  return ((await (await api("/api/me", d.agent.cookie)).json()) as { agent: AgentView }).agent;
}

describe("auto-pause on missed rings", () => {
  it("three rings in a row timed out set the agent Away, 'Missed 3 calls'; a decline does not count", async () => {
    const [a] = await staff(1);
    await ringsOut([a]);
    expect(await missedCount(a)).toBe(1);
    // A decline is an answer of sorts: everyone declined, voicemail at once, and nothing counted.
    const declined = await call();
    await seen(a, declined, "call.ringing");
    expect((await decline(declined, a)).status).toBe(200);
    await seen(a, declined, "call.voicemail");
    expect(await missedCount(a)).toBe(1);
    await ringsOut([a]);
    expect(await missedCount(a)).toBe(2);
    expect((await available(a)).available).toBe(true);
    expect(a.console.messages.some((m) => m.type === "agent.paused")).toBe(false);

    await ringsOut([a]);
    const paused = await a.console.take<"agent.paused">((m) => m.type === "agent.paused");
    expect(paused).toMatchObject({ agentId: a.agent.id, reason: "Missed 3 calls", missed: 3 });
    const updated = await a.console.take<"agent.updated">((m) => m.type === "agent.updated" && m.agent.id === a.agent.id && !m.agent.available);
    expect(updated.agent).toMatchObject({ available: false, awayReason: "Missed 3 calls" });
    expect(await missedCount(a)).toBe(0);
    // Kept in D1 too, so a reload of the team keeps them away.
    await expect.poll(async () => (await agentRows([a.agent.id]))[0]).toMatchObject({ available: false, awayReason: "Missed 3 calls" });
    expect(await available(a)).toMatchObject({ available: false, awayReason: "Missed 3 calls" });
    // Away stops the ring: the next caller rings nobody and goes to voicemail at once.
    const next = await call();
    expect((await seen(a, next, "call.voicemail")).call.ringingCount).toBe(0);
  });

  it("a ring answered by a colleague does not count, and answering resets the count", async () => {
    const [a, b] = await staff(2);
    await ringsOut([a, b]);
    await ringsOut([a, b]);
    expect(await missedCount(a)).toBe(2);
    expect(await missedCount(b)).toBe(2);
    // Bob answers the third: Alice's ring stopped because of him, not counted; Bob's run is over.
    const taken = await call();
    await seen(a, taken, "call.ringing");
    await answer(b, taken);
    expect((await hangup(taken, b)).status).toBe(200);
    await seen(a, taken, "call.ended");
    expect(await missedCount(a)).toBe(2);
    expect(await missedCount(b)).toBe(0);
    expect((await available(a)).available).toBe(true);

    // The next one that rings out is Alice's third in a row, Bob's first.
    await ringsOut([a, b]);
    await a.console.take<"agent.paused">((m) => m.type === "agent.paused");
    expect(await available(a)).toMatchObject({ available: false, awayReason: "Missed 3 calls" });
    expect(await available(b)).toMatchObject({ available: true, awayReason: null });
    expect(await missedCount(b)).toBe(1);
    // Bob's console was not told of Alice's pause (only her consoles are), but sees her away.
    expect(b.console.messages.some((m) => m.type === "agent.paused")).toBe(false);
    await b.console.take<"agent.updated">((m) => m.type === "agent.updated" && m.agent.id === a.agent.id && m.agent.awayReason === "Missed 3 calls");
  });
  it("a status set by hand starts the count again: PUT /api/me/status, the old toggle, an admin's PATCH", async () => {
    const [admin] = await createAgents(1, { role: "admin" });
    const [a] = await staff(1);
    const setStatus = (body: unknown) => api("/api/me/status", a.agent.cookie, { method: "PUT", body: JSON.stringify(body) });
    const patch = (body: unknown) => api(`/api/agents/${a.agent.id}`, admin.cookie, { method: "PATCH", body: JSON.stringify(body) });

    // Two missed, then a break: back from it, the run starts from 0, and two more do not pause.
    await ringsOut([a]);
    await ringsOut([a]);
    expect(await missedCount(a)).toBe(2);
    expect((await setStatus({ status: "away", reason: "Break" })).status).toBe(200);
    expect(await missedCount(a)).toBe(0);
    expect((await setStatus({ status: "available" })).status).toBe(200);
    await ringsOut([a]);
    await ringsOut([a]);
    expect(await missedCount(a)).toBe(2);
    expect(await available(a)).toMatchObject({ available: true, awayReason: null });

    // The old toggle.
    await setAvailable(a, false);
    await setAvailable(a, true);
    expect(await missedCount(a)).toBe(0);
    await ringsOut([a]);
    expect(await missedCount(a)).toBe(1);

    // An admin's PATCH of `available`; another field changes nothing of the count.
    expect((await patch({ name: "Alice Again" })).status).toBe(200);
    expect(await missedCount(a)).toBe(1);
    expect((await patch({ available: false })).status).toBe(200);
    expect((await patch({ available: true })).status).toBe(200);
    expect(await missedCount(a)).toBe(0);
    expect(a.console.messages.some((m) => m.type === "agent.paused")).toBe(false);
  });
});

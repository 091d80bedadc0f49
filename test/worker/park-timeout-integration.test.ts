// The park timeout in the lobby model, with real alarms: this file runs in its own workerd with
// PARK_TIMEOUT_SECONDS=2 and RING_TIMEOUT_SECONDS=3 (vitest.config.ts), so a parked call comes back by
// itself while the consoles stay connected (moving a fake clock minutes on would age every console past
// its ping timeout). The caller stays alone in their lobby: the recall rings the parker, then everyone,
// then takes a message; only the music changes, at the next loop of the wait URL.
import { env, evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ApiError, ParkResponse } from "../../worker/protocol";
import { claim, ringEventsOf } from "./helpers";
import { answer, call, caller, connectedTo, decline, type Desk, lotRows, park, seen, setAvailable, staff, ticketOf } from "./desks";

/**
 * A call `d` answers and parks, the park timeout two seconds away. Speed 10: the lobby's audio loops
 * every half second, so the caller hears each change soon, and a message takes a moment to leave.
 */
async function parkedBy(d: Desk): Promise<string> {
  const sid = await call({ speed: 10, message: 2 });
  const leg = await answer(d, sid);
  const res = await park(sid, d);
  const body = (await res.json()) as ParkResponse | ApiError;
  if (res.status !== 200 || !("parked" in body)) throw new Error(`park refused: ${res.status} ${JSON.stringify(body)}`);
  expect(body.returnsAt - Date.now()).toBeLessThanOrEqual(2000);
  await d.phone.disconnected(leg.legSid);
  return sid;
}

async function callerHears(sid: string, what: string): Promise<void> {
  await expect.poll(async () => (await caller(sid)).hears, { timeout: 5000 }).toBe(what);
}

/** Claims and connects with the ticket: the agent takes the recalled call. */
async function takeBack(d: Desk, sid: string): Promise<string> {
  const leg = await d.phone.connect(sid, await ticketOf(await claim(sid, d.agent)));
  expect(leg.accepted).toBe(true);
  await connectedTo(d, sid);
  expect(await caller(sid)).toMatchObject({ status: "in-progress", hears: "bridged", with: [leg.legSid] });
  return leg.legSid;
}

describe("the park timeout", () => {
  it("rings the agent who parked it when they can take a call, and they take it back", async () => {
    const [a, b] = await staff(2);
    const sid = await parkedBy(a);
    await callerHears(sid, "hold-music");

    const m = await seen(b, sid, "call.recalled");
    expect(m.call).toMatchObject({ phase: "ringing", purpose: "recall", ringTargets: [a.agent.id], ringingCount: 1, lot: { slot: 1, parkedBy: a.agent.id } });
    // The caller hears ringback again, alone; a colleague may not take the parker's recall.
    await callerHears(sid, "wait-music");
    expect((await caller(sid)).with).toEqual([]);
    expect((await claim(sid, b.agent)).status).toBe(403);

    await takeBack(a, sid);
    await expect.poll(lotRows).toEqual([]);
    expect(await ringEventsOf(sid)).toEqual(
      expect.arrayContaining([`parked:${a.agent.id}`, `park_timeout:${a.agent.id}`, `ring_start:${a.agent.id}`, `connected:${a.agent.id}`]),
    );
  });

  it("rings everyone who can take a call when the parker cannot", async () => {
    const [a, b, c] = await staff(3);
    const sid = await parkedBy(a);
    await setAvailable(a, false);

    const m = await seen(b, sid, "call.recalled");
    expect(m.call).toMatchObject({ phase: "ringing", purpose: "recall", ringTargets: null, ringingCount: 2 });
    expect((await claim(sid, a.agent)).status).toBe(403);
    await takeBack(c, sid);
    const late = await claim(sid, b.agent);
    expect(late.status).toBe(409);
    expect(await late.json()).toEqual({ claimed: false, claimedBy: c.agent.id });
    await expect.poll(lotRows).toEqual([]);
    expect(await ringEventsOf(sid)).toEqual(expect.arrayContaining([`park_timeout:${a.agent.id}`, `connected:${c.agent.id}`]));
  });

  it("rings the parker, then everyone once the parker lets it ring out, then takes a message when nobody answers", async () => {
    const [a, b] = await staff(2);
    const sid = await parkedBy(a);

    const toParker = await seen(b, sid, "call.recalled");
    expect(toParker.call).toMatchObject({ purpose: "recall", ringTargets: [a.agent.id], ringingCount: 1 });
    await callerHears(sid, "wait-music");

    const toEveryone = await seen(b, sid, "call.recalled");
    expect(toEveryone.call).toMatchObject({ phase: "ringing", purpose: "recall", ringTargets: null, ringingCount: 2 });
    expect(toEveryone.call.waitingSince).toBeGreaterThan(toParker.call.waitingSince!);

    const vm = await seen(b, sid, "call.voicemail");
    expect(vm.call).toMatchObject({ phase: "voicemail", lot: null });
    await b.console.next((m) => m.type === "voicemail.created" && m.voicemail.callSid === sid);
    const ended = await seen(b, sid, "call.ended");
    expect(ended.call.outcome).toBe("voicemail");
    await expect.poll(lotRows).toEqual([]);

    expect(await ringEventsOf(sid)).toEqual(
      expect.arrayContaining([`park_timeout:${a.agent.id}`, `ring_start:${a.agent.id}`, "no_answer", "voicemail", `call_ended:${a.agent.id}`]),
    );
  });

  it("puts both waits of a recall in the audit trail: the ring to the parker, and the ring to everyone after it", async () => {
    const [a, b] = await staff(2);
    const sid = await parkedBy(a);
    await seen(b, sid, "call.recalled");
    // Declines end each wait at once: the parker's, then everyone's.
    expect((await decline(sid, a)).status).toBe(200);
    const toEveryone = await seen(b, sid, "call.recalled");
    expect(toEveryone.call).toMatchObject({ ringTargets: null, declined: [a.agent.id], ringingCount: 1 });
    expect((await decline(sid, b)).status).toBe(200);
    await seen(b, sid, "call.voicemail");

    await expect.poll(() => ringEventsOf(sid)).toContain("voicemail");
    const events = await ringEventsOf(sid);
    const recall = events.slice(events.indexOf(`park_timeout:${a.agent.id}`));
    expect(recall.slice(0, 4)).toEqual([`park_timeout:${a.agent.id}`, `ring_start:${a.agent.id}`, `declined:${a.agent.id}`, "no_answer"]);
    // Between the end of the parker's wait and the voicemail: the ring to everyone, then B's decline.
    const second = recall.slice(4, recall.indexOf("voicemail"));
    expect(second.filter((e) => e.startsWith("ring_start"))).toHaveLength(1);
    expect(second).toContain(`declined:${b.agent.id}`);
  });

  it("takes a message at once when nobody at all can take the call", async () => {
    const [a] = await staff(1);
    const sid = await parkedBy(a);
    await setAvailable(a, false);

    const vm = await seen(a, sid, "call.voicemail");
    expect(vm.call).toMatchObject({ phase: "voicemail", lot: null });
    expect(a.console.messages.some((m) => m.type === "call.recalled" && m.call.callSid === sid)).toBe(false);
    await a.console.next((m) => m.type === "voicemail.created" && m.voicemail.callSid === sid);
    expect((await seen(a, sid, "call.ended")).call.outcome).toBe("voicemail");
    await expect.poll(lotRows).toEqual([]);
    const events = await ringEventsOf(sid);
    const after = events.slice(events.indexOf(`park_timeout:${a.agent.id}`));
    expect(after[0]).toBe(`park_timeout:${a.agent.id}`);
    expect(after.some((e) => e.startsWith("ring_start"))).toBe(false);
    expect(after).toContain("voicemail");
  });

  it("still recalls a parked call whose call session was evicted", async () => {
    const [a, b] = await staff(2);
    const sid = await parkedBy(a);
    await evictDurableObject(env.CALLS.getByName(sid));

    const m = await seen(b, sid, "call.recalled");
    expect(m.call).toMatchObject({ purpose: "recall", ringTargets: [a.agent.id] });
    await takeBack(a, sid);
    await expect.poll(lotRows).toEqual([]);
  });
});

// The park timeout, with real alarms: this file runs in its own workerd with PARK_TIMEOUT_SECONDS=2
// (vitest.config.ts), so a parked call comes back by itself while the consoles stay connected.
// (Moving a fake clock three minutes on would also age every console past its ping timeout.)
import { env, evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, claim, ringEventsOf } from "./helpers";
import { answer, call, connectedTo, type Desk, lotRows, park, seen, staff } from "./desks";

const unavailable = (d: Desk) =>
  api("/api/me/availability", d.agent.cookie, { method: "PUT", body: JSON.stringify({ available: false }), headers: { "Content-Type": "application/json" } });

async function parkedBy(d: Desk, others: Desk[]): Promise<string> {
  const sid = await call({ speed: 100 }); // a recall nobody answers times out in well under a second
  await Promise.all([answer(d, sid), ...others.map((o) => o.phone.takeIncoming(sid, "inbound"))]);
  const res = await park(sid, d);
  expect(res.status).toBe(200);
  const { returnsAt } = (await res.json()) as { returnsAt: number };
  expect(returnsAt - Date.now()).toBeLessThanOrEqual(2000);
  return sid;
}

describe("park timeout", () => {
  it("rings the agent who parked it when they are available, and they take it back", async () => {
    const [a, b] = await staff(2);
    const sid = await parkedBy(a!, [b!]);
    const m = await seen(b!, sid, "call.recalled");
    expect(m.call).toMatchObject({ phase: "ringing", purpose: "recall", ringing: [a!.agent.id] });
    const leg = await a!.phone.takeIncoming(sid, "recall");
    expect((await claim(sid, a!.agent)).status).toBe(200);
    a!.phone.send("accept", leg);
    await connectedTo(a!, sid);
    expect(await ringEventsOf(sid)).toEqual(expect.arrayContaining([`park_timeout:${a!.agent.id}`, `connected:${a!.agent.id}`]));
    expect(await lotRows()).toEqual([]);
  });

  it("rings every available agent when the parker is not available", async () => {
    const [a, b, c] = await staff(3);
    const sid = await parkedBy(a!, [b!, c!]);
    await unavailable(a!);
    const m = await seen(a!, sid, "call.recalled");
    expect([...m.call.ringing].sort()).toEqual([b!.agent.id, c!.agent.id].sort());
    const [, lc] = await Promise.all([b!.phone.takeIncoming(sid, "recall"), c!.phone.takeIncoming(sid, "recall")]);
    expect((await claim(sid, c!.agent)).status).toBe(200);
    c!.phone.send("accept", lc!);
    await connectedTo(c!, sid);
  });

  it("goes to voicemail when nobody answers the recall, and the caller's message is kept", async () => {
    const [a, b] = await staff(2);
    const sid = await parkedBy(a!, [b!]);
    await a!.phone.takeIncoming(sid, "recall");
    const vm = await seen(b!, sid, "call.voicemail", 20_000);
    expect(vm.call.lot).toBeNull();
    const end = await seen(b!, sid, "call.ended", 20_000);
    expect(end.call.outcome).toBe("voicemail");
    await b!.console.next((m) => m.type === "voicemail.created" && m.voicemail.callSid === sid);
    expect(await lotRows()).toEqual([]);
  });

  it("goes straight to voicemail when nobody at all is available", async () => {
    const [a] = await staff(1);
    const sid = await parkedBy(a!, []);
    await unavailable(a!);
    const vm = await seen(a!, sid, "call.voicemail");
    expect(vm.call.phase).toBe("voicemail");
    expect(await ringEventsOf(sid)).toEqual(expect.arrayContaining([`park_timeout:${a!.agent.id}`, "voicemail"]));
  });

  it("keeps its park timeout through an eviction of the call session", async () => {
    const [a, b] = await staff(2);
    const sid = await parkedBy(a!, [b!]);
    await evictDurableObject(env.CALLS.getByName(sid));
    const m = await seen(b!, sid, "call.recalled");
    expect(m.call.ringing).toEqual([a!.agent.id]);
    const leg = await a!.phone.takeIncoming(sid, "recall");
    expect((await claim(sid, a!.agent)).status).toBe(200);
    a!.phone.send("accept", leg);
    await connectedTo(a!, sid);
  });
});

// The switchboard: snapshots, presence, pings, reconnection, and who may open a console.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Switchboard } from "../../worker/switchboard/Switchboard";
import { SWITCHBOARD_NAME } from "../../worker/switchboard/stub";
import type { ServerMessage } from "../../worker/protocol";
import { api, claim, Console, createAgents, incomingCall, online, ORIGIN, phoneReady, ringEventsOf } from "./helpers";

describe("a console connecting", () => {
  it("gets a snapshot of agents with presence and of the calls ringing and connected", async () => {
    const [a, b, c] = await createAgents(3);
    await online([a, b]);
    const ringing = await incomingCall();
    const active = await incomingCall();
    await claim(active.callSid, a);
    const late = await Console.open(c);
    const snap = late.messages[0]!;
    if (snap.type !== "snapshot") throw new Error("first message must be the snapshot");
    const byId = new Map(snap.agents.map((x) => [x.id, x]));
    expect(byId.get(a.id)).toMatchObject({ online: true, available: true });
    expect(byId.get(c.id)).toMatchObject({ online: true });
    const callSids = snap.calls.map((x) => x.callSid);
    expect(callSids).toEqual(expect.arrayContaining([ringing.callSid, active.callSid]));
    expect(snap.calls.find((x) => x.callSid === active.callSid)?.phase).toBe("claimed");
  });

  it("tells the other consoles the agent came online, and went offline when it closed", async () => {
    const [a, b] = await createAgents(2);
    const [consoleA] = await online([a]);
    const consoleB = await Console.open(b);
    await consoleA.next((m) => m.type === "agent.presence" && m.agentId === b.id && m.online);
    consoleB.close();
    await consoleA.next((m) => m.type === "agent.presence" && m.agentId === b.id && !m.online);
  });

  it("after reconnecting shows the truth: no ghost ring for a call answered meanwhile", async () => {
    const [a, b] = await createAgents(2);
    const [, consoleB] = await online([a, b]);
    const { callSid } = await incomingCall();
    await consoleB.next((m) => m.type === "call.ringing");
    consoleB.close();
    await claim(callSid, a);
    const again = await Console.open(b);
    const snap = again.messages[0]!;
    if (snap.type !== "snapshot") throw new Error("expected a snapshot");
    expect(snap.calls.find((x) => x.callSid === callSid)).toMatchObject({ phase: "claimed", claimedBy: a.id });
  });

  it("is answered pong to ping, and told off for anything else", async () => {
    const [a] = await createAgents(1);
    const [c] = await online([a]);
    const pong = new Promise((resolve) => c.ws.addEventListener("message", (e) => e.data === "pong" && resolve(true)));
    c.ping();
    expect(await pong).toBe(true);
    c.ws.send(JSON.stringify({ type: "call.answered" }));
    await c.next((m) => m.type === "error");
  });

  it("is refused from another origin, and without the upgrade", async () => {
    const [a] = await createAgents(1);
    const cross = await api("/api/console", a.cookie, { headers: { Upgrade: "websocket", Origin: "https://evil.example" } });
    expect(cross.status).toBe(403);
    expect((await api("/api/console", a.cookie, { headers: { Origin: ORIGIN } })).status).toBe(426);
  });
});

describe("a console that stops pinging", () => {
  it("is dropped and its agent is no longer rung", async () => {
    const [a, b] = await createAgents(2);
    const [consoleA] = await online([a, b]);
    const stub = env.SWITCHBOARD.getByName(SWITCHBOARD_NAME);
    // B's console goes silent; A keeps pinging. Judge them 31 s from now (timeout 30 s).
    const later = Date.now() + 31_000;
    await runInDurableObject(stub, (sb: Switchboard, state) => {
      for (const ws of state.getWebSockets(a.id)) ws.serializeAttachment({ agentId: a.id, connectedAt: later });
      sb.prune(later);
    });
    await consoleA.next((m) => m.type === "agent.presence" && m.agentId === b.id && !m.online);
    const { callSid } = await incomingCall();
    const ring = await consoleA.next<"call.ringing">((m) => m.type === "call.ringing" && m.call.callSid === callSid);
    expect(ring.call.ringingCount).toBe(1);
    expect(await stub.eligibleAgents()).toEqual([a.id]);
  });
});

const ringOf = (callSid: string) => (m: ServerMessage) => m.type === "call.ringing" && m.call.callSid === callSid;

describe("who a call rings", () => {
  it("not an agent whose phone is not ready; their console shows why they are not rung", async () => {
    const [a, b] = await createAgents(2);
    const [consoleA] = await online([a]);
    await online([b], { phone: false });
    const { callSid } = await incomingCall();
    const ring = await consoleA.next<"call.ringing">(ringOf(callSid));
    expect(ring.call.ringingCount).toBe(1);
    expect(ring.call.ringTargets).toBeNull();
    expect((await claim(callSid, b)).status).toBe(403);
  });

  it("an agent who becomes eligible while a caller waits is rung at once, and the ring is recorded", async () => {
    const [a, b, c] = await createAgents(3);
    const [consoleA] = await online([a, b]);
    await online([c], { phone: false });
    const { callSid } = await incomingCall();
    expect((await consoleA.take<"call.ringing">(ringOf(callSid))).call.ringingCount).toBe(2);
    await phoneReady(c);
    expect((await consoleA.take<"call.ringing">(ringOf(callSid))).call.ringingCount).toBe(3);
    expect((await claim(callSid, c)).status).toBe(200);
    await expect.poll(() => ringEventsOf(callSid)).toContain(`ring_start:${c.id}`);
  });

  it("an agent who turns available or finishes a call is added to every waiting call", async () => {
    const [a] = await createAgents(1, { available: false });
    const [b] = await createAgents(1);
    const [consoleA] = await online([a, b]);
    const first = await incomingCall();
    expect((await claim(first.callSid, b)).status).toBe(200);
    const second = await incomingCall();
    const third = await incomingCall();
    for (const sid of [second.callSid, third.callSid]) expect((await consoleA.take<"call.ringing">(ringOf(sid))).call.ringingCount).toBe(0);
    await api("/api/me/availability", a.cookie, { method: "PUT", body: JSON.stringify({ available: true }) });
    for (const sid of [second.callSid, third.callSid]) expect((await consoleA.take<"call.ringing">(ringOf(sid))).call.ringingCount).toBe(1);
    expect((await claim(third.callSid, a)).status).toBe(200);
  });

  it("sends every console the same small view however large the team: a count, not a list", async () => {
    const team = await createAgents(30);
    const consoles = await online(team);
    const { callSid } = await incomingCall();
    const ring = await consoles[0]!.next<"call.ringing">(ringOf(callSid));
    expect(ring.call.ringingCount).toBe(30);
    expect(JSON.stringify(ring).length).toBeLessThan(700);
  });
});

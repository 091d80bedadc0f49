// The switchboard: snapshots, presence, pings, reconnection, and who may open a console.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Switchboard } from "../../worker/switchboard/Switchboard";
import { SWITCHBOARD_NAME } from "../../worker/switchboard/stub";
import { api, claim, Console, createAgents, identities, incomingCall, online, ORIGIN } from "./helpers";

describe("a console connecting", () => {
  it("gets a snapshot of agents with presence and of the calls ringing and connected", async () => {
    const [a, b, c] = await createAgents(3);
    await online([a!, b!]);
    const ringing = await incomingCall();
    const active = await incomingCall();
    await claim(active.callSid, identities(active.xml)[0] === a!.id ? a! : b!);
    const late = await Console.open(c!);
    const snap = late.messages[0]!;
    if (snap.type !== "snapshot") throw new Error("first message must be the snapshot");
    const byId = new Map(snap.agents.map((x) => [x.id, x]));
    expect(byId.get(a!.id)).toMatchObject({ online: true, available: true });
    expect(byId.get(c!.id)).toMatchObject({ online: true });
    const callSids = snap.calls.map((x) => x.callSid);
    expect(callSids).toEqual(expect.arrayContaining([ringing.callSid, active.callSid]));
    expect(snap.calls.find((x) => x.callSid === active.callSid)?.phase).toBe("claimed");
  });

  it("tells the other consoles the agent came online, and went offline when it closed", async () => {
    const [a, b] = await createAgents(2);
    const [consoleA] = await online([a!]);
    const consoleB = await Console.open(b!);
    await consoleA!.next((m) => m.type === "agent.presence" && m.agentId === b!.id && m.online);
    consoleB.close();
    await consoleA!.next((m) => m.type === "agent.presence" && m.agentId === b!.id && !m.online);
  });

  it("after reconnecting shows the truth: no ghost ring for a call answered meanwhile", async () => {
    const [a, b] = await createAgents(2);
    const [, consoleB] = await online([a!, b!]);
    const { callSid } = await incomingCall();
    await consoleB!.next((m) => m.type === "call.ringing");
    consoleB!.close();
    await claim(callSid, a!);
    const again = await Console.open(b!);
    const snap = again.messages[0]!;
    if (snap.type !== "snapshot") throw new Error("expected a snapshot");
    expect(snap.calls.find((x) => x.callSid === callSid)).toMatchObject({ phase: "claimed", claimedBy: a!.id });
  });

  it("is answered pong to ping, and told off for anything else", async () => {
    const [a] = await createAgents(1);
    const [c] = await online([a!]);
    const pong = new Promise((resolve) => c!.ws.addEventListener("message", (e) => e.data === "pong" && resolve(true)));
    c!.ping();
    expect(await pong).toBe(true);
    c!.ws.send(JSON.stringify({ type: "call.answered" }));
    await c!.next((m) => m.type === "error");
  });

  it("is refused from another origin, and without the upgrade", async () => {
    const [a] = await createAgents(1);
    const cross = await api("/api/console", a!.cookie, { headers: { Upgrade: "websocket", Origin: "https://evil.example" } });
    expect(cross.status).toBe(403);
    expect((await api("/api/console", a!.cookie, { headers: { Origin: ORIGIN } })).status).toBe(426);
  });
});

describe("a console that stops pinging", () => {
  it("is dropped and its agent is no longer rung", async () => {
    const [a, b] = await createAgents(2);
    const [consoleA] = await online([a!, b!]);
    const stub = env.SWITCHBOARD.getByName(SWITCHBOARD_NAME);
    // B's console goes silent; A keeps pinging. Judge them 31 s from now (timeout 30 s).
    const later = Date.now() + 31_000;
    await runInDurableObject(stub, (sb: Switchboard, state) => {
      for (const ws of state.getWebSockets(a!.id)) ws.serializeAttachment({ agentId: a!.id, connectedAt: later });
      sb.prune(later);
    });
    await consoleA!.next((m) => m.type === "agent.presence" && m.agentId === b!.id && !m.online);
    const { xml } = await incomingCall();
    expect(identities(xml)).toEqual([a!.id]);
  });
});

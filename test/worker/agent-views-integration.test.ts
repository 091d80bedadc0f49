// What consoles are told about agents: only what a colleague needs (no e-mail, no role: those are
// the admin API's), and a version on every view, so that HTTP replies and the feed can cross.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { apply, applyAgentView, type BoardState, emptyBoard } from "../../web/src/board";
import type { AdminAgentView, AgentView, MeResponse, ServerMessage } from "../../worker/protocol";
import { Switchboard } from "../../worker/switchboard/Switchboard";
import { SWITCHBOARD_NAME } from "../../worker/switchboard/stub";
import { api, claim, Console, createAgents, incomingCall, online, type TestAgent } from "./helpers";

const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
const board = () => env.SWITCHBOARD.getByName(SWITCHBOARD_NAME);

async function setAvailable(a: TestAgent, available: boolean): Promise<AgentView> {
  const res = await api("/api/me/availability", a.cookie, { method: "PUT", ...json({ available }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { agent: AgentView }).agent;
}

/** The agent's views a console was sent, in order: full views, and presence changes. */
function versionsOf(messages: ServerMessage[], agentId: string): number[] {
  return messages.flatMap((m) => {
    if (m.type === "agent.updated" && m.agent.id === agentId) return [m.agent.version];
    if (m.type === "agent.presence" && m.agentId === agentId) return [m.version];
    if (m.type === "snapshot") return m.agents.filter((a) => a.id === agentId).map((a) => a.version);
    return [];
  });
}

describe("what a console is told about colleagues", () => {
  it("no e-mail or role in an agent's snapshot or feed; the admin reads them from GET /api/agents, an agent their own from GET /api/me", async () => {
    const [admin] = await createAgents(1, { role: "admin" });
    const [a, b] = await createAgents(2);
    const [consoleA] = await online([a, b]);
    // Every kind of change to a colleague's view: profile and role (admin), availability, phone, presence.
    expect((await api(`/api/agents/${b.id}`, admin.cookie, { method: "PATCH", ...json({ name: "Bea", role: "admin" }) })).status).toBe(200);
    await setAvailable(b, false);
    await consoleA.next((m) => m.type === "agent.updated" && m.agent.id === b.id && !m.agent.available);
    const consoleAdmin = await Console.open(admin);
    await consoleA.next((m) => m.type === "agent.presence" && m.agentId === admin.id && m.online);
    consoleAdmin.close();
    await consoleA.next((m) => m.type === "agent.presence" && m.agentId === admin.id && !m.online);

    const frames = JSON.stringify(consoleA.messages);
    for (const someone of [admin, a, b]) expect(frames).not.toContain(someone.email);
    expect(frames).not.toMatch(/"(email|role|disabled)"/);
    const snap = consoleA.messages[0];
    if (snap?.type !== "snapshot") throw new Error("the first frame must be the snapshot");
    expect(Object.keys(snap.agents.find((x) => x.id === b.id)!).sort()).toEqual(
      ["available", "awayReason", "currentCallSid", "id", "lastCallEndedAt", "name", "online", "phoneReady", "statusSince", "version", "wrapUpUntil"],
    );

    // The admin API: every agent with e-mail, role and whether disabled, over the switchboard's live view.
    expect((await api("/api/agents", a.cookie)).status).toBe(403);
    const { agents } = (await (await api("/api/agents", admin.cookie)).json()) as { agents: AdminAgentView[] };
    expect(agents.find((x) => x.id === b.id)).toMatchObject({ email: b.email, role: "admin", disabled: false, name: "Bea", available: false, online: true });
    expect(agents.find((x) => x.id === a.id)).toMatchObject({ email: a.email, role: "agent", online: true, phoneReady: true });
    // An agent's own profile, and only theirs.
    const me = (await (await api("/api/me", a.cookie)).json()) as MeResponse;
    expect(me.agent).toMatchObject({ id: a.id, email: a.email, role: "agent", online: true });
  });

  it("the admin routes' replies carry the profile and the switchboard's view, and the feed the view alone", async () => {
    const [admin] = await createAgents(1, { role: "admin" });
    const [a] = await createAgents(1);
    const [consoleAdmin] = await online([admin]);
    const res = await api(`/api/agents/${a.id}`, admin.cookie, { method: "PATCH", ...json({ name: "Renamed" }) });
    const { agent } = (await res.json()) as { agent: AdminAgentView };
    expect(agent).toMatchObject({ id: a.id, name: "Renamed", email: a.email, role: "agent", disabled: false });
    const fed = await consoleAdmin.next<"agent.updated">((m) => m.type === "agent.updated" && m.agent.id === a.id && m.agent.name === "Renamed");
    expect(fed.agent).not.toHaveProperty("email");
    expect(agent.version).toBeGreaterThanOrEqual(fed.agent.version);
  });
});

describe("agent views carry the switchboard's version", () => {
  it("a reply overtaken by a newer feed message changes nothing on the board: an agent who took a call stays busy", async () => {
    const [a, b] = await createAgents(2);
    const [, consoleB] = await online([a, b]);
    const reply = await setAvailable(a, true);
    const { callSid } = await incomingCall();
    expect((await claim(callSid, a)).status).toBe(200);
    const busy = await consoleB.next<"agent.updated">((m) => m.type === "agent.updated" && m.agent.id === a.id && m.agent.currentCallSid === callSid);
    expect(busy.agent.version).toBeGreaterThan(reply.version);
    // The availability reply reaches B's console late (a slow HTTP answer): the board keeps the busy view.
    const late = applyAgentView(consoleB.messages.reduce(apply, emptyBoard), reply);
    expect(late.agents[a.id]).toMatchObject({ currentCallSid: callSid, version: busy.agent.version });
  });

  it("availability toggled many times at once, a claim and a phone report: whatever order replies and feed arrive in, the board ends on the switchboard's view", async () => {
    const [a, b] = await createAgents(2);
    const [consoleA, consoleB] = await online([a, b]);
    const { callSid } = await incomingCall();
    const toggles = Array.from({ length: 8 }, (_, i) => setAvailable(a, i % 2 === 1));
    const phone = api("/api/me/phone", a.cookie, { method: "PUT", ...json({ ready: true }) }).then(async (r) => ((await r.json()) as { agent: AgentView }).agent);
    // The claim makes them busy (or is refused while they are unavailable): either way a change of theirs.
    const [replies] = await Promise.all([Promise.all([...toggles, phone]), claim(callSid, a)]);
    const truth = (await board().agent(a.id))!;
    // Every reply is a view the switchboard made: its version is one the feed carried too.
    for (const c of [consoleA, consoleB]) await c.next((m) => versionsOf([m], a.id).includes(truth.version));
    const fed = versionsOf(consoleB.messages, a.id);
    expect(fed).toEqual([...fed].sort((x, y) => x - y)); // the feed's versions only grow
    for (const r of replies) expect(fed).toContain(r.version);

    // Replies arrive anywhere in the feed (before the snapshot too): the board always ends on the truth.
    const feed = consoleB.messages;
    for (let round = 0; round < 300; round++) {
      const slots = replies.map(() => Math.floor(Math.random() * (feed.length + 1)));
      let s: BoardState = emptyBoard;
      for (let i = 0; i <= feed.length; i++) {
        replies.forEach((r, j) => {
          if (slots[j] === i) s = applyAgentView(s, r);
        });
        const m = feed[i];
        if (m) s = apply(s, m);
      }
      expect(s.agents[a.id], `replies at ${slots.join(",")}`).toEqual(truth);
    }
  });

  it("versions keep growing after the switchboard is evicted: the counter is in its storage", async () => {
    const [a] = await createAgents(1);
    await online([a]);
    const before = (await board().agent(a.id))!.version;
    const after = await runInDurableObject(board(), async (_: Switchboard, state) => {
      expect(state.storage.kv.get<number>("agent-version")).toBeGreaterThanOrEqual(before);
      // A fresh instance over the same storage, as after an eviction, on a machine whose clock is a
      // day behind: only the stored counter keeps its versions above the ones consoles hold.
      vi.useFakeTimers({ toFake: ["Date"] });
      try {
        vi.setSystemTime(Date.now() - 86_400_000);
        const fresh = new Switchboard(state, env);
        return (await fresh.agent(a.id))!.version;
      } finally {
        vi.useRealTimers();
      }
    });
    expect(after).toBeGreaterThan(before);
  });
});

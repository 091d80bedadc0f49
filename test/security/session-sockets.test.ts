// Ending a session reaches its sockets: sign-out, expiry, a new password, and an agent removed or
// disabled close the consoles (and simulated phones) with a code that says why.
import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { sessionCookie } from "../../worker/auth/sessions";
import { sessions } from "../../worker/db/schema";
import { toHex } from "../../worker/hex";
import { type AdminAgentView, CLOSE } from "../../worker/protocol";
import { SWITCHBOARD_NAME } from "../../worker/switchboard/stub";
import { api, Console, createAgents, db, incomingCall, online, ORIGIN, PASSWORD, signIn, type TestAgent } from "../worker/helpers";
import { closing, isOpen } from "./sockets";

/** The agent signed in a second time (another browser): a second session of its own. */
async function secondSession(a: TestAgent): Promise<TestAgent> {
  return { ...a, cookie: await signIn(a.email, PASSWORD) };
}

const write = (path: string, cookie: string, method: string, body?: unknown) =>
  api(path, cookie, { method, headers: { Origin: ORIGIN }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

describe("signing out", () => {
  it("closes the consoles of that session with 4401, and not those of the agent's other session", async () => {
    const [a] = await createAgents(1);
    const elsewhere = await secondSession(a);
    const [mine, other] = await Promise.all([Console.open(a), Console.open(elsewhere)]);
    const mineClosed = closing(mine.ws);
    expect((await write("/api/session", a.cookie, "DELETE")).status).toBe(204);
    expect(await mineClosed).toEqual(CLOSE.signed_out);
    expect(await isOpen(other.ws)).toBe(true);
    expect((await api("/api/me", a.cookie)).status).toBe(401);
    expect((await api("/api/console", a.cookie, { headers: { Upgrade: "websocket", Origin: ORIGIN } })).status).toBe(401);
  });

  it("closes the simulated phone of that session too", async () => {
    const [a] = await createAgents(1);
    const res = await api("/sim/phone", a.cookie, { headers: { Upgrade: "websocket", Origin: ORIGIN } });
    const phone = res.webSocket;
    if (!phone) throw new Error(`phone refused: ${res.status}`);
    phone.accept();
    const phoneClosed = closing(phone);
    expect((await write("/api/session", a.cookie, "DELETE")).status).toBe(204);
    expect((await phoneClosed).code).toBe(CLOSE.signed_out.code);
  });
});

describe("an admin ending an agent's sessions", () => {
  it("closes every console of the agent with 4403 on a new password, and tells the others it went offline", async () => {
    const [admin] = await createAgents(1, { role: "admin" });
    const [a, b] = await createAgents(2);
    const [first, colleague] = await online([a, b]);
    const second = await Console.open(await secondSession(a));
    const closed = [closing(first.ws), closing(second.ws)];
    expect((await write(`/api/agents/${a.id}`, admin.cookie, "PATCH", { password: "a new password 123" })).status).toBe(200);
    expect(await Promise.all(closed)).toEqual([CLOSE.password_changed, CLOSE.password_changed]);
    await colleague.next((m) => m.type === "agent.presence" && m.agentId === a.id && !m.online);
    expect(await isOpen(colleague.ws)).toBe(true);
    expect((await api("/api/me", a.cookie)).status).toBe(401);
  });

  it("closes every console of a removed agent with 4404, and locks the agent out: old cookies and the password are refused", async () => {
    const [admin] = await createAgents(1, { role: "admin" });
    const [a] = await createAgents(1);
    const [first, second] = [await Console.open(a), await Console.open(await secondSession(a))];
    const closed = [closing(first.ws), closing(second.ws)];
    expect((await write(`/api/agents/${a.id}`, admin.cookie, "DELETE")).status).toBe(204);
    expect(await Promise.all(closed)).toEqual([CLOSE.agent_removed, CLOSE.agent_removed]);
    expect((await api("/api/me", a.cookie)).status).toBe(401);
    expect((await write("/api/me/availability", a.cookie, "PUT", { available: true })).status).toBe(401);
    const signIn = await SELF.fetch(`${ORIGIN}/api/session`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email: a.email, password: PASSWORD }) });
    expect(signIn.status).toBe(401);
  });

  it("disabling closes every console with 4405, drops the agent from the team, and refuses its sign-in and old cookie alike", async () => {
    const [admin] = await createAgents(1, { role: "admin" });
    const [a, b] = await createAgents(2);
    const [consoleA, colleague] = await online([a, b]);
    const closed = closing(consoleA.ws);
    const res = await write(`/api/agents/${a.id}`, admin.cookie, "PATCH", { disabled: true });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { agent: AdminAgentView }).agent).toMatchObject({ id: a.id, disabled: true });
    expect(await closed).toEqual(CLOSE.agent_disabled);
    await colleague.next((m) => m.type === "agent.removed" && m.agentId === a.id);

    // The right password is refused exactly as a wrong one is: nothing tells that the account exists.
    const signInAs = (password: string) => api("/api/session", null, { method: "POST", body: JSON.stringify({ email: a.email, password }) });
    const [right, wrong] = [await signInAs(PASSWORD), await signInAs("not the password")];
    expect(right.status).toBe(401);
    expect(await right.json()).toEqual(await wrong.json());
    expect((await api("/api/me", a.cookie)).status).toBe(401);

    // Not on the team a ring reaches, nor on the board of a console connecting now; the admin still sees it.
    const { callSid } = await incomingCall();
    const ring = await colleague.next<"call.ringing">((m) => m.type === "call.ringing" && m.call.callSid === callSid);
    expect(ring.call.ringingCount).toBe(1);
    const late = await Console.open(b);
    const snap = late.messages[0];
    expect(snap?.type === "snapshot" && snap.agents.some((x) => x.id === a.id)).toBe(false);
    const list = (await (await api("/api/agents", admin.cookie)).json()) as { agents: AdminAgentView[] };
    expect(list.agents.find((x) => x.id === a.id)).toMatchObject({ disabled: true });

    // Enabled again: on the team, and able to sign in.
    expect((await write(`/api/agents/${a.id}`, admin.cookie, "PATCH", { disabled: false })).status).toBe(200);
    await colleague.next((m) => m.type === "agent.updated" && m.agent.id === a.id);
    expect((await signInAs(PASSWORD)).status).toBe(200);
  });

  it("does not disable the last enabled admin", async () => {
    const [admin] = await createAgents(1, { role: "admin" });
    // Other tests' admins may be enabled: this one disables every other admin it can find first.
    const list = (await (await api("/api/agents", admin.cookie)).json()) as { agents: AdminAgentView[] };
    for (const other of list.agents.filter((x) => x.role === "admin" && !x.disabled && x.id !== admin.id)) {
      expect((await write(`/api/agents/${other.id}`, admin.cookie, "PATCH", { disabled: true })).status).toBe(200);
    }
    const res = await write(`/api/agents/${admin.id}`, admin.cookie, "PATCH", { disabled: true });
    expect(res.status).toBe(409);
    expect((await api("/api/me", admin.cookie)).status).toBe(200);
  });
});

describe("a session expiring", () => {
  it("has its consoles closed with 4402 by the prune alarm, set no later than the expiry; another session's stay", async () => {
    const [a] = await createAgents(1);
    // A session of this agent that expires in five seconds, as if SESSION_TTL were that short.
    const token = "expiring" + a.id;
    const tokenHash = toHex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
    const expiresAt = Date.now() + 5000;
    await db().insert(sessions).values({ tokenHash, agentId: a.id, createdAt: Date.now(), expiresAt });
    const expiring = await Console.open({ ...a, cookie: `${sessionCookie(ORIGIN).name}=${token}` });
    const lasting = await Console.open(a);
    const closed = closing(expiring.ws);

    const board = env.SWITCHBOARD.getByName(SWITCHBOARD_NAME);
    const alarm = await runInDurableObject(board, (_, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(expiresAt);

    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(expiresAt + 1);
      expect(await runDurableObjectAlarm(board)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
    expect(await closed).toEqual(CLOSE.session_expired);
    expect(await isOpen(lasting.ws)).toBe(true);
  });
});

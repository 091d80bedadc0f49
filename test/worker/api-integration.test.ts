// The agents' API: sessions, availability, admin, and bad input that changes nothing.
import { expect, it, describe } from "vitest";
import { api, createAgents, online, ORIGIN, PASSWORD, signIn, unique } from "./helpers";
import { SELF } from "cloudflare:test";

const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });

describe("sessions", () => {
  it("signs in with e-mail and password, sets an HttpOnly cookie, and /api/me knows the agent", async () => {
    const [a] = await createAgents(1);
    const res = await api("/api/session", null, { method: "POST", ...json({ email: a.email.toUpperCase(), password: PASSWORD }) });
    expect(res.status).toBe(200);
    const cookie = res.headers.get("Set-Cookie")!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Secure/);
    const me = await api("/api/me", cookie.split(";")[0]!);
    expect(await me.json()).toMatchObject({ agent: { id: a.id, email: a.email }, phone: "simulator" });
  });

  it("refuses a wrong password or an unknown e-mail with the same 401", async () => {
    const [a] = await createAgents(1);
    const wrong = await api("/api/session", null, { method: "POST", ...json({ email: a.email, password: "nope" }) });
    const unknown = await api("/api/session", null, { method: "POST", ...json({ email: "nobody@example.test", password: "nope" }) });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(await wrong.json()).toEqual(await unknown.json());
  });

  it("signs out: the cookie stops working", async () => {
    const [a] = await createAgents(1);
    expect((await api("/api/session", a.cookie, { method: "DELETE" })).status).toBe(204);
    expect((await api("/api/me", a.cookie)).status).toBe(401);
  });

  it("answers every API route without a session with 401", async () => {
    const call = "/api/calls/CA00000000000000000000000000000000";
    for (const [method, path] of [["GET", "/api/me"], ["PUT", "/api/me/availability"], ["PUT", "/api/me/phone"], ["GET", "/api/agents"], ["GET", "/api/console"], ["GET", "/api/voice-token"], ["POST", `${call}/decline`], ["POST", `${call}/claim`], ["POST", `${call}/release`], ["POST", `${call}/hangup`]] as const) {
      expect((await api(path, null, { method })).status, `${method} ${path}`).toBe(401);
    }
  });
});

describe("availability", () => {
  it("toggles one's own availability and tells every console", async () => {
    const [a, b] = await createAgents(2);
    const [, consoleB] = await online([a, b]);
    const res = await api("/api/me/availability", a.cookie, { method: "PUT", body: JSON.stringify({ available: false }) });
    expect(res.status).toBe(200);
    const m = await consoleB.next<"agent.updated">((m) => m.type === "agent.updated" && m.agent.id === a.id && !m.agent.available);
    expect(m.agent).toMatchObject({ available: false, online: true });
  });

  it("refuses a body of the wrong shape with a 400 that says what is wrong", async () => {
    const [a] = await createAgents(1);
    const cases: [string, RequestInit][] = [
      ["not json", { body: "{available:", headers: { "Content-Type": "application/json" } }],
      ["wrong type", json({ available: "yes" })],
      ["unknown field", json({ available: true, agentId: "someone_else" })],
    ];
    for (const [why, init] of cases) {
      const res = await api("/api/me/availability", a.cookie, { method: "PUT", ...init });
      expect(res.status, why).toBe(400);
      expect((await res.json()) as object, why).toHaveProperty("error");
    }
    const text = await api("/api/me/availability", a.cookie, { method: "PUT", body: "available=true", headers: { "Content-Type": "text/plain" } });
    expect(text.status).toBe(415);
    const me = (await (await api("/api/me", a.cookie)).json()) as { agent: { available: boolean } };
    expect(me.agent.available).toBe(true);
  });

  it("refuses an oversized body with 413", async () => {
    const [a] = await createAgents(1);
    const res = await api("/api/me/availability", a.cookie, { method: "PUT", ...json({ available: true, pad: "x".repeat(20_000) }) });
    expect(res.status).toBe(413);
  });
});

describe("agents (admin only)", () => {
  it("lets an admin create an agent, who can then sign in; ids are valid Twilio identities", async () => {
    const [admin] = await createAgents(1, { role: "admin" });
    const email = `${unique("new")}@example.test`;
    const res = await api("/api/agents", admin.cookie, { method: "POST", ...json({ name: "New Person", email, password: "long enough password", role: "agent" }) });
    expect(res.status).toBe(201);
    const { agent } = (await res.json()) as { agent: { id: string } };
    expect(agent.id).toMatch(/^[A-Za-z0-9_]{1,121}$/);
    expect(await signIn(email, "long enough password")).toMatch(/^__Host-ringall_session=/);
    const list = (await (await api("/api/agents", admin.cookie)).json()) as { agents: { id: string }[] };
    expect(list.agents.map((a) => a.id)).toContain(agent.id);
  });

  it("refuses agents (403), duplicate e-mails (409), bad ids and short passwords (400)", async () => {
    const [admin] = await createAgents(1, { role: "admin" });
    const [agent] = await createAgents(1);
    expect((await api("/api/agents", agent.cookie)).status).toBe(403);
    const dup = await api("/api/agents", admin.cookie, { method: "POST", ...json({ name: "Dup", email: agent.email, password: "long enough password" }) });
    expect(dup.status).toBe(409);
    const badId = await api("/api/agents", admin.cookie, { method: "POST", ...json({ id: "has-hyphen", name: "X", email: "x@example.test", password: "long enough password" }) });
    expect(badId.status).toBe(400);
    expect(((await badId.json()) as { details: string[] }).details[0]).toMatch(/^id:/);
    const short = await api("/api/agents", admin.cookie, { method: "POST", ...json({ name: "X", email: "y@example.test", password: "short" }) });
    expect(short.status).toBe(400);
  });

  it("updates and deletes agents; a deleted agent's sessions end", async () => {
    const [admin] = await createAgents(1, { role: "admin" });
    const [agent] = await createAgents(1);
    const patched = await api(`/api/agents/${agent.id}`, admin.cookie, { method: "PATCH", ...json({ name: "Renamed" }) });
    expect(((await patched.json()) as { agent: { name: string } }).agent.name).toBe("Renamed");
    expect((await api(`/api/agents/${agent.id}`, admin.cookie, { method: "PATCH", ...json({}) })).status).toBe(400);
    expect((await api(`/api/agents/${agent.id}`, admin.cookie, { method: "DELETE" })).status).toBe(204);
    expect((await api(`/api/agents/${agent.id}`, admin.cookie, { method: "DELETE" })).status).toBe(404);
    expect((await api("/api/me", agent.cookie)).status).toBe(401);
  });
});

it("issues no voice token in simulator mode, saying why", async () => {
  const [a] = await createAgents(1);
  const res = await api("/api/voice-token", a.cookie);
  expect(res.status).toBe(409);
  expect(((await res.json()) as { error: string }).error).toMatch(/simulator/);
});

it("answers unknown routes with a JSON 404", async () => {
  const res = await SELF.fetch(ORIGIN + "/api/nothing-here");
  expect(res.status).toBe(404);
  expect(await res.json()).toHaveProperty("error");
});

describe("the phone's readiness", () => {
  it("is reported by the agent's console, shown to everyone, and refused in a wrong shape", async () => {
    const [a, b] = await createAgents(2);
    const [, consoleB] = await online([a, b], { phone: false });
    const res = await api("/api/me/phone", a.cookie, { method: "PUT", ...json({ ready: true }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ agent: { id: a.id, phoneReady: true, online: true } });
    await consoleB.next((m) => m.type === "agent.updated" && m.agent.id === a.id && m.agent.phoneReady);
    for (const body of [{ ready: "yes" }, { ready: true, agentId: b.id }, {}]) {
      expect((await api("/api/me/phone", a.cookie, { method: "PUT", ...json(body) })).status, JSON.stringify(body)).toBe(400);
    }
  });

  it("is forgotten when the agent's last console goes offline", async () => {
    const [a, b] = await createAgents(2);
    const [consoleA, consoleB] = await online([a, b]);
    consoleA.close();
    await consoleB.next((m) => m.type === "agent.presence" && m.agentId === a.id && !m.online);
    await online([a], { phone: false });
    expect(await (await api("/api/me", a.cookie)).json()).toMatchObject({ agent: { online: true, phoneReady: false } });
  });
});

describe("call actions refused with a reason, changing nothing", () => {
  it("a release or hang-up by an agent who is not on the call, a malformed call id, a release without a reason", async () => {
    const [a] = await createAgents(1);
    const sid = "CA" + "0".repeat(31) + "1";
    expect((await api(`/api/calls/not-a-sid/claim`, a.cookie, { method: "POST" })).status).toBe(400);
    expect((await api(`/api/calls/${sid}/release`, a.cookie, { method: "POST", ...json({}) })).status).toBe(400);
    expect((await api(`/api/calls/${sid}/release`, a.cookie, { method: "POST", ...json({ reason: "mic" }) })).status).toBe(404);
    expect((await api(`/api/calls/${sid}/hangup`, a.cookie, { method: "POST" })).status).toBe(404);
    const body = await (await api(`/api/calls/${sid}/hangup`, a.cookie, { method: "POST", ...json({ agentId: "x" }) })).json();
    expect(body).toMatchObject({ error: expect.stringContaining("no body") });
  });
});

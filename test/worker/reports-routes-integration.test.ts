// The report routes' access and input (docs/api.md#reports): supervisors and admins only, clear 400s
// for bad queries; the supervisor role given by an admin; the team's time zone setting; and the
// wallboard's "today so far" counting a real call answered through the simulator; team leads marked on the feed.
import { and, eq, ne } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { agents } from "../../worker/db/schema";
import type { ReportTotals, ServerMessage } from "../../worker/protocol";
import { answer, call, hangup, seen, staff } from "./desks";
import { api, Console, createAgents, db } from "./helpers";

const ROUTES = [
  "/api/reports/today",
  "/api/reports/summary",
  "/api/reports/summary?period=last7&format=csv",
  "/api/reports/agents",
  "/api/reports/agents?period=yesterday&format=csv",
  "/api/reports/calls",
  "/api/reports/calls?format=csv",
  `/api/reports/calls/CA${"1".repeat(32)}`,
];

const json = (body: unknown) => ({ method: "PUT", body: JSON.stringify(body) });

describe("who may see the reports", () => {
  it("an agent gets 403 from every report route; a supervisor and an admin get them", async () => {
    const [agent] = await createAgents(1);
    const [boss] = await createAgents(1, { role: "supervisor" });
    const [admin] = await createAgents(1, { role: "admin" });
    for (const path of ROUTES) {
      const refused = await api(path, agent.cookie);
      expect(refused.status, path).toBe(403);
      expect(await refused.json(), path).toEqual({ error: "only a supervisor or an admin may see the reports" });
      expect((await api(path, null)).status, path).toBe(401);
      // The timeline of a call that does not exist is a 404 once allowed in.
      const expected = path.startsWith("/api/reports/calls/") ? 404 : 200;
      expect((await api(path, boss.cookie)).status, path).toBe(expected);
      expect((await api(path, admin.cookie)).status, path).toBe(expected);
    }
  });

  it("writes are not routes: POST is a 404", async () => {
    const [boss] = await createAgents(1, { role: "supervisor" });
    expect((await api("/api/reports/summary", boss.cookie, { method: "POST", body: "{}" })).status).toBe(404);
  });

  it("an admin makes an agent a supervisor (or creates one), who then sees the reports but is no admin", async () => {
    const [agent] = await createAgents(1);
    const [admin] = await createAgents(1, { role: "admin" });
    expect((await api("/api/reports/today", agent.cookie)).status).toBe(403);
    const res = await api(`/api/agents/${agent.id}`, admin.cookie, { method: "PATCH", body: JSON.stringify({ role: "supervisor" }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { agent: { role: string } }).agent.role).toBe("supervisor");
    expect((await api("/api/reports/today", agent.cookie)).status).toBe(200);
    // A supervisor is no admin.
    expect((await api("/api/agents", agent.cookie)).status).toBe(403);
    const created = await api("/api/agents", admin.cookie, { method: "POST", body: JSON.stringify({ name: "Sue Pervisor", email: `sue_${Date.now()}@example.test`, password: "a long enough password", role: "supervisor" }) });
    expect(created.status).toBe(201);
    expect((await api("/api/agents", admin.cookie, { method: "POST", body: JSON.stringify({ name: "X", email: `x_${Date.now()}@example.test`, password: "a long enough password", role: "boss" }) })).status).toBe(400);
  });
});

describe("team leads on the feed", () => {
  it("every console is told who is a team lead (a supervisor or an admin), and not an agent's role otherwise", async () => {
    const [agent, watcher] = await createAgents(2);
    const [admin] = await createAgents(1, { role: "admin" });
    const feed = await Console.open(watcher);
    try {
      const snapshot = feed.messages.find((m): m is Extract<ServerMessage, { type: "snapshot" }> => m.type === "snapshot")!;
      expect(snapshot.agents.find((a) => a.id === admin.id)?.lead).toBe(true);
      expect(snapshot.agents.find((a) => a.id === agent.id)).not.toHaveProperty("lead");
      const promoted = feed.take<"agent.updated">((m) => m.type === "agent.updated" && m.agent.id === agent.id && m.agent.lead === true);
      expect((await api(`/api/agents/${agent.id}`, admin.cookie, { method: "PATCH", body: JSON.stringify({ role: "supervisor" }) })).status).toBe(200);
      await promoted;
      const demoted = feed.take<"agent.updated">((m) => m.type === "agent.updated" && m.agent.id === agent.id && !("lead" in m.agent));
      expect((await api(`/api/agents/${agent.id}`, admin.cookie, { method: "PATCH", body: JSON.stringify({ role: "agent" }) })).status).toBe(200);
      await demoted;
    } finally {
      feed.close();
    }
  });
});

describe("bad queries", () => {
  it("are 400s that say what is wrong", async () => {
    const [boss] = await createAgents(1, { role: "supervisor" });
    const cases: [string, RegExp][] = [
      ["/api/reports/summary?period=month", /period must be one of today, yesterday, last7, custom/],
      ["/api/reports/summary?period=custom&from=2026-01-01", /needs from and to/],
      ["/api/reports/summary?period=custom&from=2026-01-05&to=2026-01-01", /from must not be after to/],
      ["/api/reports/summary?period=custom&from=2026-01-01&to=2026-06-01", /at most 93 days/],
      ["/api/reports/summary?period=custom&from=26-01-01&to=2026-01-02", /from must be a date YYYY-MM-DD/],
      ["/api/reports/agents?period=today&from=2026-01-01", /only for period=custom/],
      ["/api/reports/summary?format=xml", /format must be "json" or "csv"/],
      ["/api/reports/calls?limit=0", /limit must be a whole number from 1 to 200/],
      ["/api/reports/calls?limit=201", /limit must be a whole number from 1 to 200/],
      ["/api/reports/calls?limit=1.5", /limit must be/],
      ["/api/reports/calls?format=csv&limit=10", /limit is for JSON pages/],
      ["/api/reports/calls?before=yesterday", /before must be the `next` of a previous page/],
      ["/api/reports/calls?q=alice", /q must be part of a phone number/],
      ["/api/reports/calls?q=%2B", /q must contain at least one digit/],
      ["/api/reports/calls?outcome=lost", /outcome must be one of answered, missed, voicemail, abandoned, unanswered/],
      ["/api/reports/calls?direction=sideways", /direction must be "inbound" or "outbound"/],
      ["/api/reports/calls?agent=a-b", /agent must be an agent id/],
      ["/api/reports/calls?from=2026-13-01", /from must be a date/],
      ["/api/reports/calls?from=2026-02-02&to=2026-02-01", /from must not be after to/],
      ["/api/reports/calls/not-a-sid!", /the call id must be a CallSid/],
    ];
    for (const [path, message] of cases) {
      const res = await api(path, boss.cookie);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: string }).error, path).toMatch(message);
    }
  });
});

describe("the team's time zone", () => {
  it("is UTC until an admin sets a zone Intl knows; anything else is refused and changes nothing", async () => {
    const [agent] = await createAgents(1);
    const [boss] = await createAgents(1, { role: "supervisor" });
    const [admin] = await createAgents(1, { role: "admin" });
    expect(await (await api("/api/settings/time-zone", agent.cookie)).json()).toEqual({ timeZone: "UTC" });
    expect((await api("/api/settings/time-zone", agent.cookie, json({ timeZone: "Europe/Paris" }))).status).toBe(403);
    expect((await api("/api/settings/time-zone", boss.cookie, json({ timeZone: "Europe/Paris" }))).status).toBe(403);
    for (const bad of [{ timeZone: "Mars/Olympus_Mons" }, { timeZone: "" }, { timeZone: 1 }, { tz: "UTC" }, { timeZone: "UTC", extra: 1 }]) {
      const res = await api("/api/settings/time-zone", admin.cookie, json(bad));
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    const unknown = await api("/api/settings/time-zone", admin.cookie, json({ timeZone: "Mars/Olympus_Mons" }));
    expect(((await unknown.json()) as { error: string }).error).toMatch(/unknown time zone "Mars\/Olympus_Mons"/);
    expect(await (await api("/api/settings/time-zone", agent.cookie)).json()).toEqual({ timeZone: "UTC" });
    const saved = await api("/api/settings/time-zone", admin.cookie, json({ timeZone: "America/New_York" }));
    expect(await saved.json()).toEqual({ timeZone: "America/New_York" });
    expect(await (await api("/api/settings/time-zone", agent.cookie)).json()).toEqual({ timeZone: "America/New_York" });
    const summary = (await (await api("/api/reports/summary", boss.cookie)).json()) as { period: { timeZone: string } };
    expect(summary.period.timeZone).toBe("America/New_York");
    expect((await api("/api/settings/time-zone", admin.cookie, json({ timeZone: "UTC" }))).status).toBe(200);
  });
});

describe("today so far", () => {
  it("counts a call offered while it waits, and answered once an agent takes it", async () => {
    const [boss] = await createAgents(1, { role: "supervisor" });
    const today = async () => (await (await api("/api/reports/today", boss.cookie)).json()) as ReportTotals;
    const before = await today();
    const [a] = await staff(1);
    const sid = await call();
    await expect.poll(async () => (await today()).offered).toBe(before.offered + 1);
    expect((await today()).answered).toBe(before.answered);
    await answer(a, sid);
    await expect.poll(async () => (await today()).answered).toBe(before.answered + 1);
    expect((await hangup(sid, a)).status).toBe(200);
    await seen(a, sid, "call.ended");
    const after = await today();
    expect(after.serviceLevelSeconds).toBe(20);
    expect(after.averageHandleTime).not.toBeNull();
  });
});

describe("the last admin", () => {
  it("cannot step down to supervisor", async () => {
    const [admin] = await createAgents(1, { role: "admin" });
    // Every other admin of this file's database becomes an agent: `admin` is the last one.
    await db().update(agents).set({ role: "agent" }).where(and(eq(agents.role, "admin"), ne(agents.id, admin.id)));
    const res = await api(`/api/agents/${admin.id}`, admin.cookie, { method: "PATCH", body: JSON.stringify({ role: "supervisor" }) });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ error: "this is the last admin: make another admin first" });
  });
});

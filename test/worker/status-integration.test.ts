// Status with a reason: Available, or Away with a reason from the admin's list (settings "away_reasons"),
// with how long the agent has been in it; the old availability toggle keeps working.
import { describe, expect, it } from "vitest";
import type { AgentView, ApiError, AwayReasonsBody } from "../../worker/protocol";
import { api, createAgents } from "./helpers";
import { call, type Desk, seen, setAvailable, staff } from "./desks";

const putJson = (path: string, cookie: string, body: unknown) => api(path, cookie, { method: "PUT", body: JSON.stringify(body) });
const setStatus = (d: Desk, body: unknown) => putJson("/api/me/status", d.agent.cookie, body);

/** The next view of `who` on `d`'s console that matches. */
async function viewSeen(d: Desk, who: string, match: (a: AgentView) => boolean): Promise<AgentView> {
  return (await d.console.take<"agent.updated">((m) => m.type === "agent.updated" && m.agent.id === who && match(m.agent))).agent;
}

describe("status with a reason", () => {
  it("Away with a reason stops the ring, and colleagues see the reason and since when", async () => {
    const [a, b] = await staff(2);
    const sid = await call();
    expect((await seen(a, sid, "call.ringing")).call.ringingCount).toBe(2);

    const before = Date.now();
    const res = await setStatus(a, { status: "away", reason: "Lunch" });
    expect(res.status).toBe(200);
    const mine = ((await res.json()) as { agent: AgentView }).agent;
    expect(mine).toMatchObject({ available: false, awayReason: "Lunch" });
    expect(mine.statusSince).toBeGreaterThanOrEqual(before);

    // The ring stops for Alice: the call now rings Bob only.
    const rung = await b.console.take<"call.ringing">((m) => m.type === "call.ringing" && m.call.callSid === sid && m.call.ringingCount === 1);
    expect(rung.call.ringingCount).toBe(1);
    // Bob sees why and since when.
    const seenByBob = await viewSeen(b, a.agent.id, (v) => !v.available);
    expect(seenByBob).toMatchObject({ awayReason: "Lunch", statusSince: mine.statusSince });
    // And a console opened later has it from the switchboard's team.
    const me = (await (await api("/api/me", a.agent.cookie)).json()) as { agent: AgentView };
    expect(me.agent).toMatchObject({ available: false, awayReason: "Lunch" });

    // Back to Available: rung again, reason gone.
    const back = await setStatus(a, { status: "available" });
    expect(back.status).toBe(200);
    expect(((await back.json()) as { agent: AgentView }).agent).toMatchObject({ available: true, awayReason: null });
    await b.console.take<"call.ringing">((m) => m.type === "call.ringing" && m.call.callSid === sid && m.call.ringingCount === 2);
  });

  it("refuses a reason not in the list, and a malformed body", async () => {
    const [a] = await staff(1);
    // Exactly as listed: "lunch" is not "Lunch".
    for (const body of [{ status: "away", reason: "Gone fishing" }, { status: "away", reason: "lunch" }, { status: "away" }, { status: "busy" }, { status: "available", reason: "Lunch" }]) {
      const res = await setStatus(a, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const me = (await (await api("/api/me", a.agent.cookie)).json()) as { agent: AgentView };
    expect(me.agent.available).toBe(true);
  });

  it("the old toggle still works: false is Away with no reason, true is Available", async () => {
    const [a, b] = await staff(2);
    await setStatus(a, { status: "away", reason: "Break" });
    await viewSeen(b, a.agent.id, (v) => v.awayReason === "Break");
    await setAvailable(a, true);
    await viewSeen(b, a.agent.id, (v) => v.available && v.awayReason === null);
    await setAvailable(a, false);
    const away = await viewSeen(b, a.agent.id, (v) => !v.available);
    expect(away.awayReason).toBeNull();
    expect(away.statusSince).not.toBeNull();
  });

  it("the admin edits the list; agents read it and get 403 on a write", async () => {
    const [admin] = await createAgents(1, { role: "admin" });
    const [a] = await staff(1);
    const read = async (cookie: string) => ((await (await api("/api/settings/away-reasons", cookie)).json()) as AwayReasonsBody).reasons;
    expect(await read(a.agent.cookie)).toEqual(["Break", "Lunch", "Training", "Meeting"]);
    expect((await api("/api/settings/away-reasons", null)).status).toBe(401);

    expect((await putJson("/api/settings/away-reasons", a.agent.cookie, { reasons: ["Nap"] })).status).toBe(403);
    expect((await putJson("/api/settings/away-reasons", admin.cookie, { reasons: [] })).status).toBe(400);
    expect((await putJson("/api/settings/away-reasons", admin.cookie, { reasons: ["x".repeat(41)] })).status).toBe(400);
    // One policy with the call outcomes (worker/db/settingLists.ts): a blank or a repeat is refused, and
    // the answer names the repeat; nothing is saved.
    const blank = await putJson("/api/settings/away-reasons", admin.cookie, { reasons: ["Break", ""] });
    expect(blank.status).toBe(400);
    const twice = await putJson("/api/settings/away-reasons", admin.cookie, { reasons: [" Break ", "Coaching", "break"] });
    expect(twice.status).toBe(400);
    expect(((await twice.json()) as ApiError).details).toEqual(['reasons.2: "break" is listed twice (as "Break")']);
    expect(await read(a.agent.cookie)).toEqual(["Break", "Lunch", "Training", "Meeting"]);

    const put = await putJson("/api/settings/away-reasons", admin.cookie, { reasons: [" Break ", "Coaching"] });
    expect(put.status).toBe(200);
    expect(((await put.json()) as AwayReasonsBody).reasons).toEqual(["Break", "Coaching"]);
    expect(await read(a.agent.cookie)).toEqual(["Break", "Coaching"]);

    expect((await setStatus(a, { status: "away", reason: "Coaching" })).status).toBe(200);
    expect((await setStatus(a, { status: "away", reason: "Lunch" })).status).toBe(400);
    // Put back for the other tests of this file.
    expect((await putJson("/api/settings/away-reasons", admin.cookie, { reasons: ["Break", "Lunch", "Training", "Meeting"] })).status).toBe(200);
  });
  it("an admin's PATCH of `available` is a status change: no reason, the time in status from now", async () => {
    const [admin] = await createAgents(1, { role: "admin" });
    const [a, b] = await staff(2);
    const patch = async (body: unknown) => {
      const res = await api(`/api/agents/${a.agent.id}`, admin.cookie, { method: "PATCH", body: JSON.stringify(body) });
      expect(res.status, await res.clone().text()).toBe(200);
      return ((await res.json()) as { agent: AgentView }).agent;
    };
    expect((await setStatus(a, { status: "away", reason: "Lunch" })).status).toBe(200);
    const lunch = await viewSeen(b, a.agent.id, (v) => v.awayReason === "Lunch");

    // Already away: `available: false` again changes nothing (the reason and its time stay), nor does a name.
    expect(await patch({ available: false })).toMatchObject({ available: false, awayReason: "Lunch", statusSince: lunch.statusSince });
    expect(await patch({ name: "Alice Renamed" })).toMatchObject({ available: false, awayReason: "Lunch", statusSince: lunch.statusSince });

    // Made available by the admin: the reason goes, the time in status starts again, every console sees it.
    const before = Date.now();
    const back = await patch({ available: true });
    expect(back).toMatchObject({ available: true, awayReason: null });
    expect(back.statusSince).toBeGreaterThanOrEqual(before);
    expect(await viewSeen(b, a.agent.id, (v) => v.available && v.statusSince === back.statusSince)).toMatchObject({ awayReason: null });

    // Set away by the admin: Away with no reason (the admin gives none), from now.
    const away = await patch({ available: false });
    expect(away).toMatchObject({ available: false, awayReason: null });
    expect(away.statusSince).toBeGreaterThanOrEqual(back.statusSince!);
    expect(await viewSeen(b, a.agent.id, (v) => !v.available && v.statusSince === away.statusSince)).toMatchObject({ awayReason: null });
  });
});

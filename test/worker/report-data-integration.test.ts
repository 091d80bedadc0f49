// The rows the reports read, written as things happen: each agent's talk segments (from the call's
// outbox), their status, wrap-up and online intervals, and the rings they let run out (switchboard).
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { agentStateLog, missedRings, talkSegments } from "../../worker/db/schema";
import { answer, call, hangup, park, pickUp, seen, staff, timePasses } from "./desks";
import { api, db } from "./helpers";

const segments = (sid: string) =>
  db()
    .select({ agentId: talkSegments.agentId, purpose: talkSegments.purpose, open: talkSegments.endedAt })
    .from(talkSegments)
    .where(eq(talkSegments.callSid, sid))
    .orderBy(talkSegments.startedAt)
    .then((rows) => rows.map((r) => `${r.agentId} ${r.purpose} ${r.open === null ? "open" : "closed"}`));

describe("the rows the reports read", () => {
  it("a call answered, parked, retrieved and hung up leaves one talk segment per agent and connection", async () => {
    const [a, b] = await staff(2);
    const sid = await call();
    await answer(a, sid);
    await expect.poll(() => segments(sid)).toEqual([`${a.agent.id} inbound open`]);
    expect((await park(sid, a)).status).toBe(200);
    await pickUp(b, sid);
    expect((await hangup(sid, b)).status).toBe(200);
    await seen(a, sid, "call.ended");
    await expect.poll(() => segments(sid)).toEqual([`${a.agent.id} inbound closed`, `${b.agent.id} retrieve closed`]);
  });

  it("an agent's status changes are intervals: away with its reason, then available again", async () => {
    const [a] = await staff(1);
    const put = (body: unknown) => api("/api/me/status", a.agent.cookie, { method: "PUT", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
    expect((await put({ status: "away", reason: "Lunch" })).status).toBe(200);
    expect((await put({ status: "available" })).status).toBe(200);
    const rows = () =>
      db()
        .select({ state: agentStateLog.state, reason: agentStateLog.reason, endedAt: agentStateLog.endedAt })
        .from(agentStateLog)
        .where(and(eq(agentStateLog.agentId, a.agent.id), eq(agentStateLog.kind, "status")))
        .orderBy(agentStateLog.id);
    await expect.poll(async () => (await rows()).slice(-2).map((r) => `${r.state}${r.reason ? ` ${r.reason}` : ""} ${r.endedAt === null ? "open" : "closed"}`)).toEqual(["away Lunch closed", "available open"]);
    // Online since its console opened, and only one open interval of each kind.
    const open = await db().select().from(agentStateLog).where(eq(agentStateLog.agentId, a.agent.id));
    expect(open.filter((r) => r.endedAt === null).map((r) => r.kind).sort()).toEqual(["online", "status"]);
  });

  it("a ring that runs out with nobody answering is a missed ring of every agent it rang", async () => {
    const [a, b] = await staff(2);
    const sid = await call();
    await seen(a, sid, "call.ringing");
    await seen(b, sid, "call.ringing");
    await timePasses(sid, 61_000);
    await seen(a, sid, "call.voicemail");
    await expect.poll(async () => (await db().select().from(missedRings).where(eq(missedRings.callSid, sid))).map((r) => r.agentId).sort()).toEqual([a.agent.id, b.agent.id].sort());
  });
});

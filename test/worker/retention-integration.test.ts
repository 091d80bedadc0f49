// The retention sweep against real D1 and the carrier simulator: rows older than their setting go
// (a voicemail's recording at the carrier first), newer ones stay, a failed delete keeps its row for
// the next run, and each run does a bounded amount of work. Defaults: voicemails 90 days, calls and
// claims 400, ring events 90.
import { createScheduledController, env, SELF } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { LOCAL_ACCOUNT_SID } from "../../worker/config";
import { agentStateLog, callClaims, calls, missedRings, ringEvents, talkSegments, voicemails } from "../../worker/db/schema";
import worker from "../../worker/index";
import { BATCHES_PER_TABLE, ROWS_PER_BATCH, sweepRetention } from "../../worker/retention";
import { newSid } from "../../simulator/sids";
import { AUTH_TOKEN, api, db, newCallSid, ORIGIN } from "./helpers";
import { call } from "./desks";

const DAY = 86_400_000;
const MEDIA_BASE = `${ORIGIN}/sim/api/2010-04-01/Accounts/${LOCAL_ACCOUNT_SID}/Recordings`;
const ACCOUNT = { Authorization: "Basic " + btoa(`${LOCAL_ACCOUNT_SID}:${AUTH_TOKEN}`) };

/** A real voicemail (its recording at the simulator), its row then dated `daysAgo` back. */
async function voicemailFrom(daysAgo: number, now: number) {
  const sid = await call({ speed: 20, message: 1 });
  let row: typeof voicemails.$inferSelect | undefined;
  await expect
    .poll(async () => (row = await db().select().from(voicemails).where(eq(voicemails.callSid, sid)).get()), { timeout: 20_000, interval: 100 })
    .toBeTruthy();
  await db().update(voicemails).set({ createdAt: now - daysAgo * DAY }).where(eq(voicemails.id, row!.id));
  return row!;
}

const mediaStatus = async (recordingSid: string) => (await SELF.fetch(`${MEDIA_BASE}/${recordingSid}.wav`, { headers: ACCOUNT })).status;

function endedCall(callSid: string, endedAt: number | null) {
  return { callSid, from: "+15551230001", to: "+15559990000", status: endedAt === null ? ("ringing" as const) : ("ended" as const), startedAt: (endedAt ?? Date.now()) - 60_000, endedAt, seq: 1 };
}

const present = async (table: typeof calls, sids: string[]) => (await db().select({ sid: table.callSid }).from(table).where(inArray(table.callSid, sids))).map((r) => r.sid).sort();

describe("the retention sweep", () => {
  it("deletes ended calls, claims and ring events older than their retention, and keeps newer and live ones", async () => {
    const now = Date.now();
    const [oldCall, newCall, liveCall, oldWithVoicemail] = [newCallSid(), newCallSid(), newCallSid(), newCallSid()];
    await db().insert(calls).values([endedCall(oldCall, now - 401 * DAY), endedCall(newCall, now - 10 * DAY), endedCall(liveCall, null), endedCall(oldWithVoicemail, now - 401 * DAY)]);
    // A live call that began long ago (its started_at is old, it has no end) is never a candidate.
    await db().update(calls).set({ startedAt: now - 500 * DAY }).where(eq(calls.callSid, liveCall));
    const recordingSid = newSid("RE");
    await db().insert(voicemails).values({ id: recordingSid, callSid: oldWithVoicemail, recordingSid, recordingUrl: "https://api.twilio.com/x", durationSeconds: 1, createdAt: now - DAY });
    await db().insert(callClaims).values([
      { callSid: oldCall, agentId: "a1", claimedAt: now - 401 * DAY, expiresAt: now - 401 * DAY + 15_000, outcome: "connected" },
      { callSid: newCall, agentId: "a1", claimedAt: now - 10 * DAY, expiresAt: now - 10 * DAY + 15_000, outcome: "connected" },
      { callSid: oldWithVoicemail, agentId: "a1", claimedAt: now - 401 * DAY, expiresAt: now - 401 * DAY + 15_000, outcome: "connect_failed" },
    ]);
    await db().insert(ringEvents).values([
      { callSid: newCall, seq: 1, type: "ring_start", at: now - 91 * DAY },
      { callSid: newCall, seq: 2, type: "answered", at: now - 89 * DAY },
    ]);

    const report = await sweepRetention(env, exports, now);

    expect(await present(calls, [oldCall, newCall, liveCall, oldWithVoicemail])).toEqual([newCall, liveCall, oldWithVoicemail].sort());
    // A claim stays as long as its call: the call kept with its voicemail keeps its claim too.
    expect((await db().select().from(callClaims).where(inArray(callClaims.callSid, [oldCall, newCall, oldWithVoicemail]))).map((r) => r.callSid).sort()).toEqual([newCall, oldWithVoicemail].sort());
    expect((await db().select().from(ringEvents).where(eq(ringEvents.callSid, newCall))).map((r) => r.seq)).toEqual([2]);
    expect(report.calls).toBeGreaterThanOrEqual(1);
    expect(report.claims).toBeGreaterThanOrEqual(1);
    expect(report.ringEvents).toBeGreaterThanOrEqual(1);
  });

  it("deletes the reports' rows with the calls and ring events they describe, and keeps an interval still open", async () => {
    const now = Date.now();
    const [oldCall, newCall] = [newCallSid(), newCallSid()];
    const agent = `ret_${newCallSid().slice(2, 10)}`;
    await db().insert(talkSegments).values([
      { callSid: oldCall, agentId: agent, purpose: "inbound", startedAt: now - 401 * DAY, endedAt: now - 401 * DAY + 60_000 },
      { callSid: newCall, agentId: agent, purpose: "inbound", startedAt: now - 10 * DAY, endedAt: now - 10 * DAY + 60_000 },
    ]);
    await db().insert(agentStateLog).values([
      { agentId: agent, kind: "status", state: "available", startedAt: now - 402 * DAY, endedAt: now - 401 * DAY },
      // Away since long ago and still away: the interval is open, and stays.
      { agentId: agent, kind: "status", state: "away", reason: "Training", startedAt: now - 401 * DAY, endedAt: null },
    ]);
    await db().insert(missedRings).values([
      { callSid: oldCall, agentId: agent, at: now - 91 * DAY },
      { callSid: newCall, agentId: agent, at: now - 10 * DAY },
    ]);

    const report = await sweepRetention(env, exports, now);

    expect((await db().select().from(talkSegments).where(eq(talkSegments.agentId, agent))).map((r) => r.callSid)).toEqual([newCall]);
    expect((await db().select().from(agentStateLog).where(eq(agentStateLog.agentId, agent))).map((r) => r.state)).toEqual(["away"]);
    expect((await db().select().from(missedRings).where(eq(missedRings.agentId, agent))).map((r) => r.callSid)).toEqual([newCall]);
    expect(report).toMatchObject({ talkSegments: expect.any(Number), stateIntervals: expect.any(Number), missedRings: expect.any(Number) });
    expect(report.talkSegments + report.stateIntervals + report.missedRings).toBeGreaterThanOrEqual(3);
  });

  it("deletes an old voicemail's recording at the carrier, then its row, and keeps a newer voicemail and its recording", async () => {
    const now = Date.now();
    const old = await voicemailFrom(91, now);
    const recent = await voicemailFrom(89, now);
    expect(await mediaStatus(old.recordingSid)).toBe(200);

    await sweepRetention(env, exports, now);

    expect(await mediaStatus(old.recordingSid)).toBe(404);
    expect(await db().select().from(voicemails).where(eq(voicemails.id, old.id)).get()).toBeUndefined();
    expect(await mediaStatus(recent.recordingSid)).toBe(200);
    expect(await db().select().from(voicemails).where(eq(voicemails.id, recent.id)).get()).toBeTruthy();
  });

  it("keeps a voicemail whose recording the carrier failed to delete, for the next run; one already gone there counts as deleted", async () => {
    const now = Date.now();
    const failing = await voicemailFrom(100, now);
    const fault = await api("/sim/faults", null, { method: "POST", body: JSON.stringify({ callSid: failing.callSid, fault: "500", op: "delete" }) });
    expect(fault.status).toBe(201);
    const goneSid = newSid("RE"); // the carrier has no such recording: 404
    await db().insert(voicemails).values({ id: goneSid, callSid: newCallSid(), recordingSid: goneSid, recordingUrl: "https://api.twilio.com/x", durationSeconds: 1, createdAt: now - 100 * DAY });

    const first = await sweepRetention(env, exports, now);
    expect(first.voicemails.kept).toBeGreaterThanOrEqual(1);
    expect(await db().select().from(voicemails).where(eq(voicemails.id, failing.id)).get()).toBeTruthy();
    expect(await mediaStatus(failing.recordingSid)).toBe(200);
    expect(await db().select().from(voicemails).where(eq(voicemails.id, goneSid)).get()).toBeUndefined();

    await sweepRetention(env, exports, now);
    expect(await db().select().from(voicemails).where(eq(voicemails.id, failing.id)).get()).toBeUndefined();
    expect(await mediaStatus(failing.recordingSid)).toBe(404);
  });

  it("does a bounded amount per run, oldest first, and a backlog is cleared by the runs after", async () => {
    const now = Date.now();
    const perRun = ROWS_PER_BATCH * BATCHES_PER_TABLE;
    const sid = newCallSid();
    // One statement: D1 binds at most 100 parameters a query, far fewer than these rows would need.
    await env.DB.prepare(
      `INSERT INTO ring_events (call_sid, seq, type, at)
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
       SELECT ?1, i, 'ring_start', ?3 - i FROM n`,
    )
      .bind(sid, perRun + 10, now - 91 * DAY)
      .run();
    const left = async () => (await db().select({ seq: ringEvents.seq }).from(ringEvents).where(eq(ringEvents.callSid, sid))).map((r) => r.seq);

    expect((await sweepRetention(env, exports, now)).ringEvents).toBe(perRun);
    // Oldest first: the rows with the highest seq were the oldest (at = base - seq).
    expect((await left()).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await sweepRetention(env, exports, now)).ringEvents).toBe(10);
    expect(await left()).toEqual([]);
    // Nothing left to do: another run changes nothing.
    expect((await sweepRetention(env, exports, now)).ringEvents).toBe(0);
  });

  it("runs from the worker's scheduled handler (the Cron Trigger)", async () => {
    const now = Date.now();
    const sid = newCallSid();
    await db().insert(ringEvents).values([{ callSid: sid, seq: 1, type: "ring_start", at: now - 91 * DAY }]);
    await worker.scheduled(createScheduledController({ scheduledTime: now, cron: "*/15 * * * *" }), env);
    expect(await db().select().from(ringEvents).where(eq(ringEvents.callSid, sid))).toEqual([]);
  });
});

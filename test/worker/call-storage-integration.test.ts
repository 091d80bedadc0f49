// A call session's own storage stays bounded: its outbox is a key per entry, never more than
// OUTBOX_MAX_ENTRIES of them, and all of it is deleted CALL_SESSION_RETENTION_DAYS (2) after the call
// ended. D1 is made to refuse writes for real (a trigger that aborts them), not mocked.
import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fold, LEGACY_OUTBOX_KEY, MAX_FOLDED_BYTES, OUTBOX_MAX_ENTRIES, OUTBOX_PREFIX, outboxKey, type Stored } from "../../worker/call/outbox";
import type { Effect } from "../../worker/call/machine";
import type { OutboxEntry } from "../../worker/call/record";
import { calls, ringEvents } from "../../worker/db/schema";
import type { CallView } from "../../worker/protocol";
import { call as callView } from "../web/fixtures";
import { api, callStatus, conferenceEvent, createAgents, db, incomingCall, newCallSid, online, twilio } from "./helpers";

const DAY = 86_400_000;
const stub = (sid: string) => env.CALLS.getByName(sid);

/** What the call session holds in storage: its keys, and its alarm. */
async function stored(sid: string) {
  return runInDurableObject(stub(sid), async (_, state) => ({
    keys: [...state.storage.kv.list()].map(([k]) => k),
    outbox: [...state.storage.kv.list<OutboxEntry>({ prefix: OUTBOX_PREFIX })],
    alarm: await state.storage.getAlarm(),
  }));
}

/** D1 refuses every write to `calls` and `ring_events` until `d1Accepts()`: an outage as the call session sees it. */
async function d1Refuses(): Promise<void> {
  for (const table of ["calls", "ring_events"]) {
    await env.DB.exec(`CREATE TRIGGER IF NOT EXISTS refuse_${table} BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'D1 is down (test)'); END;`);
  }
}
async function d1Accepts(): Promise<void> {
  for (const table of ["calls", "ring_events"]) await env.DB.exec(`DROP TRIGGER IF EXISTS refuse_${table};`);
}
afterEach(d1Accepts);

/** The clock moves to `at` while the call session's alarm runs. */
async function alarmAt(sid: string, at: number): Promise<boolean> {
  vi.useFakeTimers({ toFake: ["Date"] });
  try {
    vi.setSystemTime(at);
    return await runDurableObjectAlarm(stub(sid));
  } finally {
    vi.useRealTimers();
  }
}

/** A call nobody could take (straight to voicemail), then the caller hangs up: ended. */
async function endedCall(): Promise<string> {
  const { callSid } = await incomingCall();
  expect((await callStatus(callSid, "completed")).status).toBe(204);
  await expect.poll(async () => (await stub(callSid).view())?.phase).toBe("ended");
  return callSid;
}

describe("an ended call's storage", () => {
  it("is deleted two days after the call ended, once its outbox is in D1; D1 keeps the call", async () => {
    const sid = await endedCall();
    const endedAt = (await stub(sid).view())!.endedAt!;
    await expect.poll(async () => (await stored(sid)).alarm).toBe(endedAt + 2 * DAY);
    expect((await stored(sid)).keys).toContain("state");

    // An alarm that runs before then (an outbox retry, say) deletes nothing, and sets the deletion's again.
    expect(await alarmAt(sid, endedAt + 2 * DAY - 1000)).toBe(true);
    expect((await stored(sid)).keys).toContain("state");

    expect(await alarmAt(sid, endedAt + 2 * DAY + 1)).toBe(true);
    expect(await stored(sid)).toEqual({ keys: [], outbox: [], alarm: null });
    expect(await db().select().from(calls).where(eq(calls.callSid, sid)).get()).toMatchObject({ status: "ended" });
  });

  it("stays deleted when Twilio's callbacks for the call come late: each is answered as for an unknown call", async () => {
    const sid = await endedCall();
    const endedAt = (await stub(sid).view())!.endedAt!;
    await expect.poll(async () => (await stored(sid)).alarm).not.toBeNull();
    await alarmAt(sid, endedAt + 2 * DAY + 1);
    expect((await stored(sid)).keys).toEqual([]);

    expect((await callStatus(sid, "completed")).status).toBe(204);
    expect((await conferenceEvent(sid, "participant-leave", "caller", sid, { reason: "participant_hung_up" })).status).toBeLessThan(500);
    const recording = await twilio("/twilio/voicemail/recording-status", {
      CallSid: sid,
      RecordingSid: "RE" + "5".repeat(32),
      RecordingUrl: "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE5",
      RecordingStatus: "completed",
      RecordingDuration: "3",
    });
    expect(recording.status).toBe(204);
    const [a] = await createAgents(1, { available: false });
    expect((await api(`/api/calls/${sid}`, a.cookie)).status).toBe(404);
    expect(await stub(sid).view()).toBeNull();
    expect(await stored(sid)).toEqual({ keys: [], outbox: [], alarm: null });
  });

  it("does not come back when the call's voice webhook is replayed: D1 remembers the call, so nobody rings and the replay is hung up", async () => {
    const sid = await endedCall();
    const endedAt = (await stub(sid).view())!.endedAt!;
    await expect.poll(async () => (await stored(sid)).alarm).not.toBeNull();
    await alarmAt(sid, endedAt + 2 * DAY + 1);
    const [a] = await createAgents(1);
    await online([a]);

    const replay = await incomingCall(sid);
    expect(replay.res.status).toBe(200);
    expect(replay.xml).toContain("<Hangup/>");
    expect(replay.xml).not.toContain("<Conference");
    expect(await stub(sid).view()).toBeNull();
    expect(await stored(sid)).toEqual({ keys: [], outbox: [], alarm: null });
  });
});

describe("the outbox", () => {
  it("keeps each decision under its own key while D1 refuses writes, and writes them all, in order, once it accepts", async () => {
    await d1Refuses();
    const { callSid } = await incomingCall(); // nobody online: straight to voicemail
    await callStatus(callSid, "completed");
    const waiting = await stored(callSid);
    expect(waiting.keys).not.toContain(LEGACY_OUTBOX_KEY);
    expect(waiting.outbox.map(([k]) => k)).toEqual([outboxKey(1), outboxKey(2)]);
    expect(waiting.outbox.map(([, e]) => e.call.phase)).toEqual(["voicemail", "ended"]);
    expect(await db().select().from(calls).where(eq(calls.callSid, callSid)).get()).toBeUndefined();

    await d1Accepts();
    await runDurableObjectAlarm(stub(callSid));
    await expect.poll(async () => (await stored(callSid)).outbox).toEqual([]);
    expect(await db().select().from(calls).where(eq(calls.callSid, callSid)).get()).toMatchObject({ status: "ended" });
    // Both entries' ring events, none missing: the seqs run from 1 without a gap.
    const seqs = (await db().select().from(ringEvents).where(eq(ringEvents.callSid, callSid)).orderBy(ringEvents.seq)).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(seqs.length).toBe(waiting.outbox.flatMap(([, e]) => e.effects).filter((e) => e.type === "record").length);
  });

  it(`never holds more than ${OUTBOX_MAX_ENTRIES} keys through a long outage, and loses no D1 write of the entries it folds`, async () => {
    const [a] = await createAgents(1);
    await online([a]);
    const { callSid } = await incomingCall();
    await expect.poll(async () => (await stub(callSid).view())?.phase).toBe("ringing");
    await d1Refuses();
    const decisions = OUTBOX_MAX_ENTRIES + 20;
    // Each "rang" is a decision with a ring event of its own (the switchboard tells a ringing call whom it now rings).
    for (let i = 0; i < decisions; i++) await stub(callSid).rang([`late${i}`]);
    const waiting = await stored(callSid);
    expect(waiting.outbox.length).toBe(OUTBOX_MAX_ENTRIES);
    const rings = waiting.outbox.flatMap(([, e]) => e.effects).filter((e) => e.type === "record" && e.event === "ring_start");
    expect(rings.length).toBe(decisions);

    await d1Accepts();
    await runDurableObjectAlarm(stub(callSid));
    await expect.poll(async () => (await stored(callSid)).outbox, { timeout: 20_000 }).toEqual([]);
    const late = (await db().select().from(ringEvents).where(eq(ringEvents.callSid, callSid))).filter((e) => e.agentId?.startsWith("late"));
    expect(late.map((e) => e.agentId).sort()).toEqual(Array.from({ length: decisions }, (_, i) => `late${i}`).sort());
  });

  it("written as one array by the version before, is moved to a key per entry when the object starts, and drains", async () => {
    await d1Refuses();
    const { callSid } = await incomingCall();
    await runInDurableObject(stub(callSid), (_, state) => {
      const entries = [...state.storage.kv.list<OutboxEntry>({ prefix: OUTBOX_PREFIX })];
      for (const [key] of entries) state.storage.kv.delete(key);
      state.storage.kv.put(LEGACY_OUTBOX_KEY, entries.map(([, e]) => e));
    });
    await evictDurableObject(stub(callSid));
    await d1Accepts();
    const moved = await stored(callSid);
    expect(moved.keys).not.toContain(LEGACY_OUTBOX_KEY);
    expect(moved.outbox.map(([k, e]) => [k, e.call.phase])).toEqual([[outboxKey(1), "voicemail"]]);
    await runDurableObjectAlarm(stub(callSid));
    await expect.poll(async () => (await stored(callSid)).outbox).toEqual([]);
    expect(await db().select().from(calls).where(eq(calls.callSid, callSid)).get()).toMatchObject({ status: "voicemail" });
  });
});

describe("folding the outbox (./outbox.ts)", () => {
  const view = (seq: number): CallView => callView({ seq });
  const ring = (seq: number, detail: Record<string, unknown> | null = null): Effect => ({ type: "record", event: "ring_start", agentId: null, detail, at: seq, seq });
  const publish = (seq: number): Effect => ({ type: "publish", message: { type: "call.voicemail", call: view(seq) } });
  const entries = (n: number, detail: Record<string, unknown> | null = null): Stored[] =>
    Array.from({ length: n }, (_, i) => ({ key: outboxKey(i + 1), entry: { call: view(i + 1), effects: [ring(i + 1, detail), publish(i + 1)] } }));

  it("leaves an outbox within the bound as it is", () => {
    const f = fold(entries(3), 3);
    expect(f).toMatchObject({ deleted: [], rewritten: [], droppedRecords: 0 });
    expect(f.outbox).toHaveLength(3);
  });

  it("folds the oldest entry into the next: its D1 writes move in order, its console messages go, the newer view stays", () => {
    const f = fold(entries(4), 3);
    expect(f.outbox.map((s) => s.key)).toEqual([outboxKey(2), outboxKey(3), outboxKey(4)]);
    expect(f.deleted).toEqual([outboxKey(1)]);
    expect(f.rewritten.map((s) => s.key)).toEqual([outboxKey(2)]);
    const first = f.outbox[0]!.entry;
    expect(first.call.seq).toBe(2);
    expect(first.effects.map((e) => e.type + ("seq" in e ? e.seq : ""))).toEqual(["record1", "record2", "publish"]);
  });

  it("past the byte budget gives up the folded entry's audit rows, counted, and keeps every value under it", () => {
    const big = { padding: "x".repeat(40_000) };
    const f = fold(entries(OUTBOX_MAX_ENTRIES + 20, big));
    expect(f.outbox).toHaveLength(OUTBOX_MAX_ENTRIES);
    expect(f.droppedRecords).toBeGreaterThan(0);
    for (const s of f.outbox) expect(JSON.stringify(s.entry).length).toBeLessThanOrEqual(MAX_FOLDED_BYTES);
  });
});

it("a CallSid never seen has no storage and answers as unknown (the state a deleted call session returns to)", async () => {
  const sid = newCallSid();
  expect((await callStatus(sid, "completed")).status).toBe(204);
  expect(await stored(sid)).toEqual({ keys: [], outbox: [], alarm: null });
});

// Recorded calls through the carrier simulator: the team's setting (off by default, an admin's to
// change), one recording of the caller's leg from the first agent to the end across park, retrieve and
// transfer, Twilio's retried callback saving one row, the consent announcement in the lobby, the
// authenticated audio route, and retention deleting old recordings at the carrier first.
import { env, SELF } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { CARRIER_NAME } from "../../simulator/SimCarrier";
import { newSid } from "../../simulator/sids";
import { LOCAL_ACCOUNT_SID } from "../../worker/config";
import { callRecordings } from "../../worker/db/schema";
import { DEFAULT_RECORDING_ANNOUNCEMENT, RECORDING_ANNOUNCEMENT_MAX_LENGTH } from "../../worker/db/settings";
import type { RecordingSettingBody, ServerMessage } from "../../worker/protocol";
import { sweepRetention } from "../../worker/retention";
import { api, AUTH_TOKEN, Console, createAgents, db, incomingCall, newCallSid, ORIGIN, ringEventsOf, type TestAgent, twilio } from "./helpers";
import { answer, call, type Desk, hangup, park, pickUp, seen, staff, transfer } from "./desks";
import { injectFault, simState } from "./sim-helpers";

const DAY = 86_400_000;
const REST = `${ORIGIN}/sim/api/2010-04-01/Accounts/${LOCAL_ACCOUNT_SID}`;
const ACCOUNT = { Authorization: "Basic " + btoa(`${LOCAL_ACCOUNT_SID}:${AUTH_TOKEN}`) };

let admin: TestAgent | null = null;
async function theAdmin(): Promise<TestAgent> {
  admin ??= (await createAgents(1, { role: "admin", available: false }))[0];
  return admin;
}

const putSetting = (a: TestAgent, body: unknown) => api("/api/settings/recording", a.cookie, { method: "PUT", body: JSON.stringify(body) });
const getSetting = async (a: TestAgent) => {
  const res = await api("/api/settings/recording", a.cookie);
  expect(res.status).toBe(200);
  return (await res.json()) as RecordingSettingBody;
};

async function recordCalls(enabled: boolean, announcement = DEFAULT_RECORDING_ANNOUNCEMENT): Promise<void> {
  const res = await putSetting(await theAdmin(), { enabled, announcement });
  expect(res.status, await res.clone().text()).toBe(200);
}

// Recording is off again for whatever runs next in this workerd.
afterEach(async () => {
  await recordCalls(false);
});

const rowsOf = (callSid: string) => db().select().from(callRecordings).where(eq(callRecordings.callSid, callSid));

/** The next call.recording about this call on a desk's console. */
function recordingSeen(d: Desk, sid: string) {
  return d.console.take<"call.recording">((m) => m.type === "call.recording" && m.callSid === sid, 20_000);
}

/** Twilio's recording status callback, as the simulator sends it (signed). */
function recordingCallback(callSid: string, recordingSid: string, seconds: number, status = "completed") {
  return twilio("/twilio/call-recording-status", {
    AccountSid: LOCAL_ACCOUNT_SID,
    CallSid: callSid,
    RecordingSid: recordingSid,
    RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${LOCAL_ACCOUNT_SID}/Recordings/${recordingSid}`,
    RecordingStatus: status,
    RecordingDuration: String(seconds),
    RecordingChannels: "2",
    RecordingSource: "StartCallRecordingAPI",
    RecordingStartTime: new Date().toUTCString().replace("GMT", "+0000"),
  });
}

describe("the recording setting", () => {
  it("is off by default, every agent reads it, only an admin changes it, and bad input is refused with nothing changed", async () => {
    const [agent] = await createAgents(1, { available: false });
    const boss = await theAdmin();
    expect(await getSetting(agent)).toEqual({ enabled: false, announcement: DEFAULT_RECORDING_ANNOUNCEMENT });

    const refused = await putSetting(agent, { enabled: true, announcement: "Recorded." });
    expect(refused.status).toBe(403);
    expect(await api("/api/settings/recording", null)).toHaveProperty("status", 401);

    const bad: [unknown, RegExp][] = [
      [{ enabled: true, announcement: "" }, /cannot be empty/],
      [{ enabled: true, announcement: "   " }, /cannot be empty/],
      [{ enabled: true, announcement: "x".repeat(RECORDING_ANNOUNCEMENT_MAX_LENGTH + 1) }, new RegExp(`at most ${RECORDING_ANNOUNCEMENT_MAX_LENGTH}`)],
      [{ enabled: true }, /announcement/],
      [{ enabled: "yes", announcement: "Recorded." }, /enabled/],
      [{ enabled: true, announcement: "Recorded.", extra: 1 }, /extra|unrecognized/i],
    ];
    for (const [body, why] of bad) {
      const res = await putSetting(boss, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(await res.json()), JSON.stringify(body)).toMatch(why);
    }
    expect(await getSetting(agent)).toEqual({ enabled: false, announcement: DEFAULT_RECORDING_ANNOUNCEMENT });

    const ok = await putSetting(boss, { enabled: true, announcement: "  This call is recorded   for training.  " });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ enabled: true, announcement: "This call is recorded for training." });
    expect(await getSetting(agent)).toEqual({ enabled: true, announcement: "This call is recorded for training." });
  });
});

describe("the consent announcement", () => {
  const waitXml = async (callSid: string, query: string) => {
    const res = await twilio(`/twilio/wait?${query}`, { AccountSid: LOCAL_ACCOUNT_SID, CallSid: callSid });
    expect(res.status).toBe(200);
    return res.text();
  };

  it("is said once, in the first loop of a recorded call's lobby, before the greeting; never on an unrecorded call", async () => {
    await recordCalls(true, "Calls are recorded & kept for 90 days.");
    const recorded = await incomingCall();
    expect(recorded.res.status).toBe(200);
    const first = await waitXml(recorded.callSid, "gen=1");
    expect(first).toMatch(/<Say>Calls are recorded &amp; kept for 90 days\.<\/Say><Say>Thank you for calling/);
    expect(await waitXml(recorded.callSid, "gen=1&n=1")).not.toMatch(/recorded/);

    await recordCalls(false);
    const plain = await incomingCall();
    expect(await waitXml(plain.callSid, "gen=1")).not.toMatch(/recorded/);
    // A call keeps the setting it began with.
    await recordCalls(true, "Calls are recorded.");
    expect(await waitXml(plain.callSid, "gen=1")).not.toMatch(/recorded/);
  });
});

describe("a recorded call", () => {
  it("with the setting off, no recording is asked for", async () => {
    const [a] = await staff(1);
    const sid = await call();
    await answer(a, sid);
    expect((await hangup(sid, a)).status).toBe(200);
    await seen(a, sid, "call.ended");
    const s = await simState(sid);
    expect(s.status).toBe("completed");
    expect(s.recordings ?? []).toEqual([]);
    expect(s.events.map((e) => e.what).filter((w) => /recording/i.test(w))).toEqual([]);
    expect((await ringEventsOf(sid)).filter((e) => e.startsWith("recording_"))).toEqual([]);
    expect(await rowsOf(sid)).toEqual([]);
  });

  it("connected, parked, retrieved and transferred: one recording of the caller's leg, from the first agent to the end", async () => {
    await recordCalls(true);
    const [a, b, c] = await staff(3);
    const speed = 10;
    const sid = await call({ speed });
    await answer(a, sid);
    const live = await seen(b, sid, "call.connected");
    expect(live.call.recorded).toBe(true);
    // Asked for once the first agent is on: the simulator records the caller's call.
    await expect.poll(async () => (await simState(sid)).events.filter((e) => e.what.includes("recording") && e.what.includes("started")).length, { timeout: 10_000 }).toBe(1);

    const parkAt = Date.now();
    expect((await park(sid, a)).status).toBe(200);
    await seen(b, sid, "call.parked");
    await pickUp(b, sid);
    expect((await transfer(sid, b, c.agent.id)).status).toBe(200);
    await answer(c, sid);
    expect((await hangup(sid, c)).status).toBe(200);

    const message = await recordingSeen(a, sid);
    const rows = await rowsOf(sid);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(message.recording).toEqual({ recordingSid: row!.recordingSid, durationSeconds: row!.durationSeconds, audioUrl: `/api/calls/${sid}/recording/audio`, createdAt: row!.createdAt });
    // One recording, started before the park and ended with the call: it covers the whole conversation
    // (in simulated seconds), across the park, the retrieve and the transfer.
    const s = await simState(sid);
    const started = s.events.filter((e) => e.what.includes("recording") && e.what.includes("started"));
    expect(started).toHaveLength(1);
    expect(started[0]!.at).toBeLessThan(parkAt);
    const whole = ((s.endedAt! - started[0]!.at) * speed) / 1000;
    expect(row!.durationSeconds).toBeGreaterThanOrEqual(Math.floor(whole) - 1);
    expect(row!.durationSeconds).toBeLessThanOrEqual(Math.ceil(whole) + 1);
    expect(s.events.filter((e) => /recording RE[0-9a-f]{32}: \d+s/.test(e.what))).toHaveLength(1);
    expect((await ringEventsOf(sid)).filter((e) => e.startsWith("recording_"))).toEqual([`recording_started:${a.agent.id}`]);

    // Every console's new snapshot carries it on the history item; the URL is the worker's own.
    const fresh = await Console.open(b.agent);
    const snapshot = fresh.messages.find((m): m is Extract<ServerMessage, { type: "snapshot" }> => m.type === "snapshot");
    const item = snapshot?.history.find((h) => h.callSid === sid);
    expect(item?.recording).toEqual(message.recording);
    expect(JSON.stringify(snapshot)).not.toMatch(/twilio\.com/);

    // The media is the simulator's, streamed through the worker.
    const audio = await api(`/api/calls/${sid}/recording/audio`, a.agent.cookie);
    expect(audio.status).toBe(200);
    expect(audio.headers.get("Content-Type")).toMatch(/^audio\//);
    expect(audio.headers.get("Cache-Control")).toBe("private, no-store");
    expect((await audio.arrayBuffer()).byteLength).toBe(44 + Math.min(row!.durationSeconds, 120) * 8000 * 2);
  });

  it("an outbound call: its callee hears the announcement when they answer, and the call is recorded from the agent's connect", async () => {
    await recordCalls(true, "This call is recorded.");
    const [a] = await staff(1);
    const to = "+1555" + String(Math.floor(1e6 + Math.random() * 8e6));
    expect((await api("/sim/callees", null, { method: "PUT", body: JSON.stringify({ number: to, answer: "answer", afterSeconds: 0 }) })).status).toBe(200);
    const dialed = await api("/api/calls/dial", a.agent.cookie, { method: "POST", body: JSON.stringify({ to }) });
    expect(dialed.status, await dialed.clone().text()).toBe(201);
    const { callSid: sid, ticket } = (await dialed.json()) as { callSid: string; ticket: string };
    const answered = await seen(a, sid, "call.answered");
    expect(answered.call).toMatchObject({ direction: "outbound", purpose: "outbound", recorded: true });

    const wait = await twilio("/twilio/wait?gen=1", { AccountSid: LOCAL_ACCOUNT_SID, CallSid: sid });
    const xml = await wait.text();
    expect(xml).toMatch(/^<\?xml[^>]*><Response><Say>This call is recorded\.<\/Say><Play>/);

    const leg = await a.phone.connect(sid, ticket);
    expect(leg.accepted).toBe(true);
    await seen(a, sid, "call.connected");
    // The callee's call is the one recorded (it names the call, as the caller's does an inbound one).
    await expect.poll(async () => (await simState(sid)).recordings?.length ?? 0, { timeout: 10_000 }).toBe(1);
    await expect.poll(async () => (await ringEventsOf(sid)).filter((e) => e.startsWith("recording_")), { timeout: 10_000 }).toEqual([`recording_started:${a.agent.id}`]);
    expect((await hangup(sid, a)).status).toBe(200);
  });

  // A start whose answer is lost is sent again; but a timeout or a 5xx may hide a start Twilio made,
  // and a second start would make a second recording of the call. So the retry asks Twilio first.
  for (const fault of ["timeout-applied", "500", "timeout"] as const) {
    it(`a start that failed with ${fault === "timeout" ? "a timeout before Twilio applied it is sent again" : `${fault} after Twilio applied it is not sent again`}: one recording`, async () => {
      await recordCalls(true);
      const [a] = await staff(1);
      // Sped up, so that the few seconds of this test make a recording with sound in it.
      const sid = await call({ speed: 20 });
      await injectFault(sid, fault, { op: "record", holdMs: 3000 });
      await answer(a, sid);
      await expect.poll(async () => (await ringEventsOf(sid)).filter((e) => e.startsWith("recording_")), { timeout: 15_000 }).toEqual([`recording_started:${a.agent.id}`]);
      const s = await simState(sid);
      expect(s.events.filter((e) => e.what.includes("injected fault"))).toHaveLength(1);
      expect(s.recordings).toHaveLength(1);
      expect((await hangup(sid, a)).status).toBe(200);
      await expect.poll(async () => (await rowsOf(sid)).length, { timeout: 10_000 }).toBe(1);
    });
  }

  it("Twilio's callback retried twice saves one row, and tells the consoles each time", async () => {
    const [a] = await staff(1);
    const sid = newCallSid();
    const recordingSid = newSid("RE");
    for (let i = 0; i < 3; i++) {
      expect((await recordingCallback(sid, recordingSid, 42)).status).toBe(204);
      expect((await recordingSeen(a, sid)).recording).toMatchObject({ recordingSid, durationSeconds: 42 });
    }
    expect(await rowsOf(sid)).toMatchObject([{ recordingSid, callSid: sid, durationSeconds: 42 }]);
    // Another status (in-progress, absent) saves nothing.
    const other = newCallSid();
    expect((await recordingCallback(other, newSid("RE"), 0, "absent")).status).toBe(204);
    expect(await rowsOf(other)).toEqual([]);
    // Unsigned, it is refused.
    const forged = await SELF.fetch(`${ORIGIN}/twilio/call-recording-status`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ CallSid: other, RecordingSid: newSid("RE"), RecordingStatus: "completed", RecordingDuration: "3" }).toString(),
    });
    expect(forged.status).toBe(403);
    expect(await rowsOf(other)).toEqual([]);
  });
});

describe("the recording's audio route", () => {
  it("needs a session, streams the carrier's media with Range passed on, and says 404 when there is none", async () => {
    const [agent] = await createAgents(1, { available: false });
    const sid = newCallSid();
    const recordingSid = newSid("RE");
    await env.SIM_CARRIER.getByName(CARRIER_NAME).addRecording({ recordingSid, callSid: sid, accountSid: LOCAL_ACCOUNT_SID, seconds: 2, createdAt: Date.now(), channels: 2, source: "StartCallRecordingAPI" });
    expect((await recordingCallback(sid, recordingSid, 2)).status).toBe(204);
    const path = `/api/calls/${sid}/recording/audio`;

    expect((await api(path, null)).status).toBe(401);

    const whole = await api(path, agent.cookie);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("Content-Type")).toBe("audio/x-wav");
    expect(whole.headers.get("Accept-Ranges")).toBe("bytes");
    const total = 44 + 2 * 8000 * 2;
    expect((await whole.arrayBuffer()).byteLength).toBe(total);

    const part = await api(path, agent.cookie, { headers: { Range: "bytes=0-99" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("Content-Range")).toBe(`bytes 0-99/${total}`);
    expect(new TextDecoder().decode((await part.arrayBuffer()).slice(0, 4))).toBe("RIFF");

    expect((await api(`/api/calls/${newCallSid()}/recording/audio`, agent.cookie)).status).toBe(404);
    expect((await api("/api/calls/not-a-sid/recording/audio", agent.cookie)).status).toBe(404);

    // Deleted at the carrier: the route says so rather than fail.
    expect((await SELF.fetch(`${REST}/Recordings/${recordingSid}.json`, { method: "DELETE", headers: ACCOUNT })).status).toBe(204);
    const gone = await api(path, agent.cookie);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ error: "this recording is no longer at the carrier" });
  });
});

describe("the simulator's Recordings API on a call", () => {
  const create = (callSid: string, body: Record<string, string | string[]> = {}, auth: Record<string, string> = ACCOUNT) => {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(body)) for (const item of Array.isArray(v) ? v : [v]) form.append(k, item);
    return SELF.fetch(`${REST}/Calls/${callSid}/Recordings.json`, { method: "POST", headers: { ...auth, "Content-Type": "application/x-www-form-urlencoded" }, body: form.toString() });
  };

  /** GET …/Calls/{sid}/Recordings.json, in twilio-node's list shape, reduced to what the product reads. */
  const listed = async (callSid: string) => {
    const res = await SELF.fetch(`${REST}/Calls/${callSid}/Recordings.json`, { headers: ACCOUNT });
    expect(res.status).toBe(200);
    const page = (await res.json()) as { recordings: { sid: string; status: string; source: string }[]; next_page_uri: string | null };
    expect(page.next_page_uri).toBeNull();
    return page.recordings.map(({ sid, status, source }) => ({ sid, status, source }));
  };

  it("answers like Twilio: 201 with the running recording, the call's list of recordings, 21220 for an ended call, 20404 for an unknown one, 20003 without credentials; the media outlives REST updates", async () => {
    const [a] = await staff(1);
    // Fast enough that the few milliseconds of this test make a recording of whole seconds.
    const sid = await call({ speed: 200 });
    await answer(a, sid);
    expect((await create(sid, {}, { Authorization: "Basic " + btoa(`${LOCAL_ACCOUNT_SID}:wrong`) })).status).toBe(401);
    expect(await create(newCallSid())).toHaveProperty("status", 404);
    expect(((await (await create(newCallSid())).json()) as { code: number }).code).toBe(20404);
    expect((await create(sid, { RecordingChannels: "stereo" })).status).toBe(400);

    const res = await create(sid, { RecordingChannels: "dual", RecordingStatusCallback: `${ORIGIN}/twilio/call-recording-status`, RecordingStatusCallbackMethod: "POST", RecordingStatusCallbackEvent: ["completed"] });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ account_sid: LOCAL_ACCOUNT_SID, call_sid: sid, status: "in-progress", source: "StartCallRecordingAPI", channels: 2, track: "both", conference_sid: null });
    expect(body.sid).toMatch(/^RE[0-9a-f]{32}$/);
    expect(body.uri).toBe(`/2010-04-01/Accounts/${LOCAL_ACCOUNT_SID}/Calls/${sid}/Recordings/${body.sid as string}.json`);

    // The call's list says it runs.
    expect(await listed(sid)).toEqual([{ sid: body.sid, status: "in-progress", source: "StartCallRecordingAPI" }]);

    // A park moves the caller by REST: the recording goes on.
    expect((await park(sid, a)).status).toBe(200);
    expect((await simState(sid)).recordings?.map((r) => r.recordingSid)).toEqual([body.sid]);
    expect((await SELF.fetch(`${ORIGIN}/sim/calls/${sid}/hangup`, { method: "POST" })).status).toBe(200);

    await expect.poll(async () => (await rowsOf(sid)).map((r) => r.recordingSid), { timeout: 10_000 }).toEqual([body.sid]);
    const resource = await SELF.fetch(`${REST}/Recordings/${body.sid as string}.json`, { headers: ACCOUNT });
    expect(await resource.json()).toMatchObject({ sid: body.sid, call_sid: sid, channels: 2, source: "StartCallRecordingAPI", status: "completed" });
    expect(await listed(sid)).toEqual([{ sid: body.sid, status: "completed", source: "StartCallRecordingAPI" }]);

    const ended = await create(sid);
    expect(ended.status).toBe(400);
    expect(((await ended.json()) as { code: number }).code).toBe(21220);
  });

  it("refuses a call that is not answered yet (21220): an outbound call still ringing its callee", async () => {
    const to = "+1555" + String(Math.floor(1e6 + Math.random() * 8e6));
    expect((await api("/sim/callees", null, { method: "PUT", body: JSON.stringify({ number: to, answer: "no-answer" }) })).status).toBe(200);
    const placed = await SELF.fetch(`${REST}/Calls.json`, {
      method: "POST",
      headers: { ...ACCOUNT, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ To: to, From: "+15550100000", Url: `${ORIGIN}/twilio/outbound`, Timeout: "600" }).toString(),
    });
    expect(placed.status, await placed.clone().text()).toBe(201);
    const { sid } = (await placed.json()) as { sid: string };
    try {
      const res = await create(sid);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { code: number }).code).toBe(21220);
      expect((await simState(sid)).recordings ?? []).toEqual([]);
    } finally {
      await SELF.fetch(`${REST}/Calls/${sid}.json`, { method: "POST", headers: { ...ACCOUNT, "Content-Type": "application/x-www-form-urlencoded" }, body: "Status=canceled" });
    }
  });
});

describe("retention", () => {
  it("deletes a call recording older than its retention at the carrier, then its row; a newer one stays", async () => {
    const now = Date.now();
    const carrier = env.SIM_CARRIER.getByName(CARRIER_NAME);
    const [oldSid, newSid_] = [newSid("RE"), newSid("RE")];
    const [oldCall, newCall] = [newCallSid(), newCallSid()];
    for (const [recordingSid, callSid, age] of [
      [oldSid, oldCall, 91],
      [newSid_, newCall, 89],
    ] as const) {
      await carrier.addRecording({ recordingSid, callSid, accountSid: LOCAL_ACCOUNT_SID, seconds: 1, createdAt: now - age * DAY, channels: 2, source: "StartCallRecordingAPI" });
      await db().insert(callRecordings).values({ recordingSid, callSid, durationSeconds: 1, createdAt: now - age * DAY });
    }
    const media = async (recordingSid: string) => (await SELF.fetch(`${REST}/Recordings/${recordingSid}.wav`, { headers: ACCOUNT })).status;

    const report = await sweepRetention(env, exports, now);

    expect(report.callRecordings.deleted).toBeGreaterThanOrEqual(1);
    expect(await media(oldSid)).toBe(404);
    expect(await rowsOf(oldCall)).toEqual([]);
    expect(await media(newSid_)).toBe(200);
    expect(await rowsOf(newCall)).toHaveLength(1);
  });
});

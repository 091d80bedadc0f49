// Whole calls through the signed webhooks, the API and the consoles' WebSockets, named after the
// user's plan: its failure scenarios and the Phase 1–2 tests the backend owns.
import { env, evictDurableObject } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { calls, voicemails } from "../../worker/db/schema";
import {
  agentRows,
  callStatus,
  claim,
  createAgents,
  db,
  decline,
  dialAction,
  identities,
  incomingCall,
  legStatus,
  online,
  ringEventsOf,
  twilio,
} from "./helpers";

async function callRow(callSid: string) {
  return db().select().from(calls).where(eq(calls.callSid, callSid)).get();
}

function recordingStatus(callSid: string, recordingSid: string) {
  return twilio("/twilio/voicemail/recording-status", {
    CallSid: callSid,
    RecordingSid: recordingSid,
    RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/${recordingSid}`,
    RecordingStatus: "completed",
    RecordingDuration: "12",
  });
}

describe("Phase 1: a single agent", () => {
  it("1.1 receives the call, 1.2 answers it, 1.5 ends it and is available again", async () => {
    const [a] = await createAgents(1);
    const [consoleA] = await online([a!]);
    const { callSid, xml } = await incomingCall();
    expect(identities(xml)).toEqual([a!.id]);
    const ringing = await consoleA!.next<"call.ringing">((m) => m.type === "call.ringing" && m.call.callSid === callSid);
    expect(ringing.call).toMatchObject({ phase: "ringing", ringing: [a!.id], from: "+15551230001" });

    expect((await claim(callSid, a!)).status).toBe(200);
    await legStatus(callSid, a!.id, "ringing", 1);
    await legStatus(callSid, a!.id, "in-progress", 2);
    const connected = await consoleA!.next<"call.connected">((m) => m.type === "call.connected");
    expect(connected.call.answeredBy).toBe(a!.id);

    await legStatus(callSid, a!.id, "completed", 3);
    const dial = await dialAction(callSid, "completed");
    expect(await dial.text()).toContain("<Hangup/>");
    await callStatus(callSid, "completed");
    const ended = await consoleA!.next<"call.ended">((m) => m.type === "call.ended");
    expect(ended.call).toMatchObject({ phase: "ended", outcome: "answered", answeredBy: a!.id });
    expect(await callRow(callSid)).toMatchObject({ status: "ended", outcome: "answered", answeredBy: a!.id });
    expect(await ringEventsOf(callSid)).toEqual([`ring_start:${a!.id}`, `answered:${a!.id}`, `connected:${a!.id}`, `call_ended:${a!.id}`]);
  });
});

describe("Phase 2: two agents", () => {
  it("2.1 both consoles see the same call ringing on both agents", async () => {
    const [a, b] = await createAgents(2);
    const consoles = await online([a!, b!]);
    const { callSid } = await incomingCall();
    for (const c of consoles) {
      const m = await c.next<"call.ringing">((m) => m.type === "call.ringing" && m.call.callSid === callSid);
      expect(m.call.ringing).toEqual([a!.id, b!.id]);
    }
  });

  it("2.2 the first agent answers; the other console learns who took it", async () => {
    const [a, b] = await createAgents(2);
    const [, consoleB] = await online([a!, b!]);
    const { callSid } = await incomingCall();
    expect((await claim(callSid, a!)).status).toBe(200);
    const answered = await consoleB!.next<"call.answered">((m) => m.type === "call.answered");
    expect(answered.agentId).toBe(a!.id);
    expect(answered.call).toMatchObject({ phase: "claimed", claimedBy: a!.id });
  });

  it("2.3 the second agent to answer loses the race gracefully: 409 naming the winner", async () => {
    const [a, b] = await createAgents(2);
    await online([a!, b!]);
    const { callSid } = await incomingCall();
    expect((await claim(callSid, b!)).status).toBe(200);
    const late = await claim(callSid, a!);
    expect(late.status).toBe(409);
    expect(await late.json()).toEqual({ claimed: false, claimedBy: b!.id });
  });

  it("2.4 both decline: Twilio's dial ends busy and the caller gets the voicemail prompt", async () => {
    const [a, b] = await createAgents(2);
    const [consoleA] = await online([a!, b!]);
    const { callSid } = await incomingCall();
    await decline(callSid, a!);
    await decline(callSid, b!);
    const xml = await (await dialAction(callSid, "busy")).text();
    expect(xml).toContain("<Record ");
    const vm = await consoleA!.next<"call.voicemail">((m) => m.type === "call.voicemail");
    expect(vm.call.declined).toEqual([a!.id, b!.id]);
  });

  it("2.5 one declines and the other answers", async () => {
    const [a, b] = await createAgents(2);
    await online([a!, b!]);
    const { callSid } = await incomingCall();
    await decline(callSid, a!);
    expect((await claim(callSid, b!)).status).toBe(200);
    await legStatus(callSid, b!.id, "in-progress", 1);
    expect((await callRow(callSid))?.answeredBy).toBe(b!.id);
  });
});

describe("Failure scenarios of the user's plan", () => {
  it("Scenario 1: two agents click Answer at the same instant; one gets it, 50 calls over", async () => {
    const [a, b] = await createAgents(2);
    for (let i = 0; i < 50; i++) {
      const consoles = await online([a!, b!]);
      const { callSid } = await incomingCall();
      const [ra, rb] = await Promise.all([claim(callSid, a!), claim(callSid, b!)]);
      expect([ra.status, rb.status].sort()).toEqual([200, 409]);
      const winner = ra.status === 200 ? a! : b!;
      const loserConsole = consoles[winner === a ? 1 : 0]!;
      const seen = await loserConsole.next<"call.answered">((m) => m.type === "call.answered" && m.call.callSid === callSid);
      expect(seen.agentId).toBe(winner.id);
      await callStatus(callSid, "completed"); // caller leaves; both agents idle for the next round
      for (const c of consoles) c.close();
    }
  });

  it("Scenario 2: nobody answers in time: voicemail, recorded and listed", async () => {
    const [a] = await createAgents(1);
    const [consoleA] = await online([a!]);
    const { callSid } = await incomingCall();
    expect(await (await dialAction(callSid, "no-answer")).text()).toContain("<Record ");
    expect(await (await twilio("/twilio/voicemail/recorded", { CallSid: callSid, RecordingUrl: "https://api.twilio.com/x", RecordingDuration: "12" })).text()).toContain("<Hangup/>");
    await recordingStatus(callSid, "RE" + callSid.slice(2));
    const created = await consoleA!.next<"voicemail.created">((m) => m.type === "voicemail.created");
    expect(created.voicemail).toMatchObject({ callSid, from: "+15551230001", durationSeconds: 12 });
    await callStatus(callSid, "completed");
    expect(await callRow(callSid)).toMatchObject({ status: "ended", outcome: "voicemail" });
    const saved = await db().select().from(voicemails).where(eq(voicemails.callSid, callSid));
    expect(saved).toHaveLength(1);
    expect(await ringEventsOf(callSid)).toEqual(expect.arrayContaining(["no_answer", "voicemail", `ring_cancel:${a!.id}`]));
  });

  it("Scenario 3: the winner's connection fails after the claim; the others ring again and one answers", async () => {
    const [a, b] = await createAgents(2);
    const [, consoleB] = await online([a!, b!]);
    const { callSid } = await incomingCall();
    expect((await claim(callSid, a!)).status).toBe(200);
    await legStatus(callSid, a!.id, "failed", 1);
    const released = await consoleB!.next<"call.claim_released">((m) => m.type === "call.claim_released");
    expect(released).toMatchObject({ agentId: a!.id, reason: "leg_failed" });
    expect(released.call.ringing).toEqual([b!.id]);
    expect((await claim(callSid, b!)).status).toBe(200);
  });

  it("Scenario 4: an agent whose call ends is available again and every console is told", async () => {
    const [a, b] = await createAgents(2);
    const [, consoleB] = await online([a!, b!]);
    const { callSid } = await incomingCall();
    await claim(callSid, a!);
    await legStatus(callSid, a!.id, "in-progress", 1);
    const busy = await consoleB!.next<"agent.updated">((m) => m.type === "agent.updated" && m.agent.id === a!.id && m.agent.currentCallSid === callSid);
    expect(busy.agent.online).toBe(true);
    await callStatus(callSid, "completed");
    const free = await consoleB!.next<"agent.updated">((m) => m.type === "agent.updated" && m.agent.id === a!.id && m.agent.currentCallSid === null);
    expect(free.agent.lastCallEndedAt).not.toBeNull();
    // Idle again, so the next call rings A (now the most recently idle, so second).
    const next = await incomingCall();
    expect(identities(next.xml)).toEqual([b!.id, a!.id]);
  });

  it("Scenario 5 (parking comes with its own issue): a second call rings the others while the first is connected", async () => {
    const [a, b, c] = await createAgents(3);
    await online([a!, b!, c!]);
    const first = await incomingCall();
    await claim(first.callSid, a!);
    await legStatus(first.callSid, a!.id, "in-progress", 1);
    const second = await incomingCall();
    expect(identities(second.xml)).toEqual([b!.id, c!.id]);
    expect((await claim(second.callSid, c!)).status).toBe(200);
    expect((await callRow(first.callSid))?.answeredBy).toBe(a!.id);
    expect((await callRow(second.callSid))?.status).toBe("claimed");
  });
});

describe("Twilio's dial statuses", () => {
  for (const status of ["busy", "no-answer", "failed", "canceled"]) {
    it(`${status}: voicemail while the caller is there, a hang-up once the caller is gone`, async () => {
      const [a] = await createAgents(1);
      await online([a!]);
      const here = await incomingCall();
      expect(await (await dialAction(here.callSid, status)).text()).toContain("<Record ");
      const gone = await incomingCall();
      await callStatus(gone.callSid, "completed");
      const xml = await (await dialAction(gone.callSid, status)).text();
      expect(xml).not.toContain("<Record");
      expect(xml).toContain("<Hangup/>");
      expect(await callRow(gone.callSid)).toMatchObject({ status: "ended", outcome: "missed" });
    });
  }

  for (const status of ["completed", "answered"]) {
    it(`${status}: the bridged call ends normally`, async () => {
      const [a] = await createAgents(1);
      await online([a!]);
      const { callSid } = await incomingCall();
      await claim(callSid, a!);
      const xml = await (await dialAction(callSid, status)).text();
      expect(xml).toContain("<Hangup/>");
      expect(await callRow(callSid)).toMatchObject({ status: "ended", outcome: "answered", answeredBy: a!.id });
      expect((await agentRows([a!.id]))[0]!.currentCallSid).toBeNull();
    });
  }
});

describe("the caller hanging up while the agents ring", () => {
  it("cancels every ring, logs a missed call and clears every console", async () => {
    const [a, b] = await createAgents(2);
    const consoles = await online([a!, b!]);
    const { callSid } = await incomingCall();
    await callStatus(callSid, "completed");
    for (const c of consoles) {
      const ended = await c.next<"call.ended">((m) => m.type === "call.ended" && m.call.callSid === callSid);
      expect(ended.call).toMatchObject({ outcome: "missed", ringing: [] });
    }
    expect(await ringEventsOf(callSid)).toEqual([
      `ring_start:${a!.id}`,
      `ring_start:${b!.id}`,
      "caller_hangup",
      `ring_cancel:${a!.id}`,
      `ring_cancel:${b!.id}`,
      "call_ended",
    ]);
    expect(await callRow(callSid)).toMatchObject({ status: "ended", outcome: "missed" });
  });
});

describe("callbacks repeated and out of order", () => {
  it("a leg's late 'ringing' after 'in-progress' changes nothing; repeats record nothing twice", async () => {
    const [a, b] = await createAgents(2);
    await online([a!, b!]);
    const { callSid } = await incomingCall();
    await claim(callSid, a!);
    await legStatus(callSid, a!.id, "in-progress", 3);
    await legStatus(callSid, a!.id, "ringing", 1);
    await legStatus(callSid, a!.id, "in-progress", 3);
    await callStatus(callSid, "completed");
    await callStatus(callSid, "completed");
    await dialAction(callSid, "completed");
    expect(await ringEventsOf(callSid)).toEqual([
      `ring_start:${a!.id}`,
      `ring_start:${b!.id}`,
      `answered:${a!.id}`,
      `ring_cancel:${b!.id}`,
      `connected:${a!.id}`,
      `call_ended:${a!.id}`,
    ]);
  });

  it("the parent's 'completed' before the dial action still hangs up and records one voicemail-free end", async () => {
    const [a] = await createAgents(1);
    await online([a!]);
    const { callSid } = await incomingCall();
    await callStatus(callSid, "completed");
    const xml = await (await dialAction(callSid, "no-answer")).text();
    expect(xml).toContain("<Hangup/>");
    expect((await ringEventsOf(callSid)).filter((e) => e === "call_ended")).toHaveLength(1);
  });

  it("a recording callback that comes after the call completed still lands in the voicemails", async () => {
    const { callSid } = await incomingCall(); // nobody online: straight to voicemail
    await callStatus(callSid, "completed");
    await recordingStatus(callSid, "RE" + callSid.slice(2));
    await recordingStatus(callSid, "RE" + callSid.slice(2));
    expect(await db().select().from(voicemails).where(eq(voicemails.callSid, callSid))).toHaveLength(1);
    expect(await callRow(callSid)).toMatchObject({ outcome: "voicemail" });
  });

  it("a transcription that overtakes its recording's callback is kept", async () => {
    const { callSid } = await incomingCall();
    const recordingSid = "RE" + callSid.slice(2);
    await twilio("/twilio/voicemail/transcription", {
      CallSid: callSid,
      RecordingSid: recordingSid,
      RecordingUrl: "https://api.twilio.com/x",
      TranscriptionStatus: "completed",
      TranscriptionText: "Please call me back",
    });
    await recordingStatus(callSid, recordingSid);
    expect(await db().select().from(voicemails).where(eq(voicemails.recordingSid, recordingSid)).get()).toMatchObject({
      transcription: "Please call me back",
      durationSeconds: 12,
    });
  });
});

describe("eviction", () => {
  it("a call session evicted mid-ring still decides correctly", async () => {
    const [a, b] = await createAgents(2);
    await online([a!, b!]);
    const { callSid } = await incomingCall();
    await decline(callSid, a!);
    const stub = env.CALLS.getByName(callSid);
    await evictDurableObject(stub);
    expect((await claim(callSid, a!)).status).toBe(403); // the decline survived
    expect((await claim(callSid, b!)).status).toBe(200);
    await evictDurableObject(stub);
    expect((await claim(callSid, a!)).status).toBe(403);
    const late = await claim(callSid, b!);
    expect(late.status).toBe(200); // the claim survived: b still holds it
  });
});

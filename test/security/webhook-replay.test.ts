// Twilio retries a webhook it got no timely answer to, and anyone who once saw a signed request can
// send it again (a signature has no nonce or timestamp: Twilio's "Webhooks security" docs). So every
// webhook of a finished call, sent again, in order or shuffled, must change nothing; a stale
// generation's callback must change nothing; and an unsigned or wrongly signed one is a 403.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sign } from "../../worker/twilio/signature";
import { SWITCHBOARD_NAME } from "../../worker/switchboard/stub";
import { AUTH_TOKEN, agentRows, claim, createAgents, newCallSid, online, ORIGIN, ringEventsOf, twilio } from "../worker/helpers";
import { answer, call, park, staff, view } from "../worker/desks";
import { Prng } from "./prng";
import { settled, type Snapshot } from "./state";

const ACCOUNT = "AC" + "0".repeat(32);

interface Hook {
  path: string;
  params: Record<string, string>;
}

/** Sends webhooks as Twilio would (each `copies` times, as a retrying Twilio may), and keeps each for replay. */
class Webhooks {
  readonly sent: Hook[] = [];
  constructor(private readonly copies = 1) {}
  async send(path: string, params: Record<string, string>): Promise<string> {
    this.sent.push({ path, params });
    // The connect is sent once: its repeat is the subject of its own test below.
    const copies = path === "/twilio/connect" ? 1 : this.copies;
    const answers: string[] = [];
    for (let i = 0; i < copies; i++) {
      const res = await twilio(path, params);
      expect(res.status, `${path}: ${res.status}`).toBeLessThan(300);
      answers.push(await res.text());
    }
    expect(new Set(answers).size, `${path} answered differently when repeated`).toBe(1);
    return answers[0]!;
  }
}

const conference = (callSid: string, event: "participant-join" | "participant-leave", label: string, legSid: string, reason?: string) => ({
  AccountSid: ACCOUNT,
  ConferenceSid: "CF" + callSid.slice(2),
  FriendlyName: callSid,
  StatusCallbackEvent: event,
  CallSid: legSid,
  ParticipantLabel: label,
  ...(reason ? { ReasonParticipantLeft: reason, ParticipantCallStatus: reason === "participant_hung_up" ? "completed" : "in-progress" } : {}),
});

/** A caller answered by `agentId`, then hanging up: every webhook Twilio sends for it, in order. */
async function answeredCall(hooks: Webhooks, agent: { id: string; cookie: string; email: string }): Promise<{ callSid: string; legSid: string; ticket: string }> {
  const callSid = newCallSid();
  const legSid = newCallSid();
  const lobby = await hooks.send("/twilio/voice", { AccountSid: ACCOUNT, CallSid: callSid, From: "+15551230001", To: "+15559990000", CallStatus: "ringing", Direction: "inbound" });
  expect(lobby).toContain("<Conference");
  await hooks.send("/twilio/conference?gen=1", conference(callSid, "participant-join", "caller", callSid));
  await hooks.send("/twilio/wait?gen=1", { AccountSid: ACCOUNT, CallSid: callSid, ConferenceSid: "CF" + callSid.slice(2), FriendlyName: callSid });
  const won = await claim(callSid, agent);
  expect(won.status).toBe(200);
  const { ticket } = (await won.json()) as { ticket: string };
  const join = await hooks.send("/twilio/connect", {
    AccountSid: ACCOUNT,
    ApplicationSid: "AP" + "0".repeat(32),
    CallSid: legSid,
    From: `client:${agent.id}`,
    To: "",
    CallStatus: "ringing",
    Direction: "inbound",
    callerSid: callSid,
    ticket,
  });
  expect(join).toContain(`>${callSid}</Conference>`);
  await hooks.send("/twilio/conference?gen=1", conference(callSid, "participant-join", "agent", legSid));
  expect((await view(callSid))?.phase).toBe("connected");
  // The caller hangs up: they leave, their conference ends under the agent, their <Dial> ends, their call completes.
  await hooks.send("/twilio/conference?gen=1", conference(callSid, "participant-leave", "caller", callSid, "participant_hung_up"));
  await hooks.send("/twilio/conference?gen=1", conference(callSid, "participant-leave", "agent", legSid, "moderator_ended_conference"));
  await hooks.send("/twilio/lobby-ended?gen=1", { AccountSid: ACCOUNT, CallSid: callSid, CallStatus: "completed", DialCallStatus: "completed" });
  await hooks.send("/twilio/call-status", { AccountSid: ACCOUNT, CallSid: callSid, CallStatus: "completed", CallDuration: "42" });
  return { callSid, legSid, ticket };
}

/** A caller nobody could take, who leaves a voicemail that is then transcribed. */
async function voicemailCall(hooks: Webhooks): Promise<string> {
  const callSid = newCallSid();
  const recording = { RecordingSid: "RE" + callSid.slice(2), RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT}/Recordings/RE${callSid.slice(2)}` };
  const xml = await hooks.send("/twilio/voice", { AccountSid: ACCOUNT, CallSid: callSid, From: "+15551230002", To: "+15559990000", CallStatus: "ringing", Direction: "inbound" });
  expect(xml).toContain("<Record");
  await hooks.send("/twilio/voicemail/recorded", { AccountSid: ACCOUNT, CallSid: callSid, ...recording, RecordingDuration: "7" });
  await hooks.send("/twilio/voicemail/recording-status", { AccountSid: ACCOUNT, CallSid: callSid, ...recording, RecordingStatus: "completed", RecordingDuration: "7" });
  await hooks.send("/twilio/call-status", { AccountSid: ACCOUNT, CallSid: callSid, CallStatus: "completed" });
  await hooks.send("/twilio/voicemail/transcription", { AccountSid: ACCOUNT, CallSid: callSid, ...recording, TranscriptionStatus: "completed", TranscriptionText: "Please call me back." });
  return callSid;
}

/** Nobody left busy: not in D1, not on the switchboard. */
async function nobodyBusy(ids: string[]): Promise<void> {
  expect((await agentRows(ids)).map((a) => a.currentCallSid)).toEqual(ids.map(() => null));
  const team = await env.SWITCHBOARD.getByName(SWITCHBOARD_NAME).agents();
  expect(team.filter((a) => ids.includes(a.id)).map((a) => a.currentCallSid)).toEqual(ids.map(() => null));
}

async function replay(hooks: readonly Hook[]): Promise<string[]> {
  const answers: string[] = [];
  for (const h of hooks) {
    const res = await twilio(h.path, h.params);
    expect(res.status, `${h.path} replayed: ${res.status}`).toBeLessThan(500);
    answers.push(`${h.path} ${res.status} ${await res.text()}`);
  }
  return answers;
}

describe("webhooks of a finished call, sent again", () => {
  /** Both lifecycles, finished and settled: what every replay must leave exactly as it is. */
  async function finishedCalls() {
    // With nobody online yet, the first caller leaves a voicemail; then an agent answers the second.
    const hooks = new Webhooks();
    const mail = await voicemailCall(hooks);
    const [a] = await createAgents(1);
    await online([a]);
    const { callSid } = await answeredCall(hooks, a);
    const callSids = [callSid, mail];
    const final = await settled({ callSids });
    expect(final.callViews[callSid]).toMatchObject({ phase: "ended", outcome: "answered", answeredBy: a.id });
    expect(final.callViews[mail]).toMatchObject({ phase: "ended", outcome: "voicemail" });
    expect(final.voicemails.filter((v) => (v as { callSid: string }).callSid === mail)).toHaveLength(1);
    await nobodyBusy([a.id]);
    return { a, hooks, callSids, final };
  }

  it("every webhook but the connect, in order and then in five shuffled orders, changes no call, row, audit entry or agent", async () => {
    const { a, hooks, callSids, final } = await finishedCalls();
    const others = hooks.sent.filter((h) => h.path !== "/twilio/connect");
    await replay(others);
    expect(await settled({ callSids })).toEqual(final);
    const rng = new Prng(2026);
    for (let round = 0; round < 5; round++) {
      await replay(rng.shuffle(others));
      expect(await settled({ callSids }), `shuffle #${round}`).toEqual(final);
    }
    await nobodyBusy([a.id]);
  });

  it("the connect, sent again with its used ticket, is hung up and changes nothing, however often", async () => {
    const { a, hooks, callSids, final } = await finishedCalls();
    const connect = hooks.sent.filter((h) => h.path === "/twilio/connect");
    expect(connect).toHaveLength(1);
    for (let i = 0; i < 3; i++) {
      // A 200 with <Hangup/>, never a join: any other status makes Twilio play an error to the agent.
      const [answer] = await replay(connect);
      expect(answer).toMatch(/^\/twilio\/connect 200 .*<Response><Hangup\/><\/Response>$/);
    }
    expect(await settled({ callSids })).toEqual(final);
    await nobodyBusy([a.id]);
  });

  it("a connect with the used ticket from another leg is hung up, and the call and the agent stay as they were", async () => {
    const [a] = await createAgents(1);
    await online([a]);
    const hooks = new Webhooks();
    const { callSid, ticket } = await answeredCall(hooks, a);
    const before = await settled({ callSids: [callSid] });
    const otherLeg = newCallSid();
    const res = await twilio("/twilio/connect", { AccountSid: ACCOUNT, CallSid: otherLeg, From: `client:${a.id}`, callerSid: callSid, ticket });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/<Response><Hangup\/><\/Response>$/);
    const after = await settled({ callSids: [callSid] });
    // A new leg trying a used ticket is worth one audit entry (a phone that should not have it, which
    // takes the call's next seq); nothing else moves.
    expect(after.ringEvents.length - before.ringEvents.length).toBe(1);
    expect(withoutRefusal(after, otherLeg, callSid)).toEqual(withoutRefusal(before, otherLeg, callSid));
    await nobodyBusy([a.id]);
  });
});

/** The snapshot without the audit entry of a refused connect from `legSid`, and without the call's seq it took. */
function withoutRefusal(s: Snapshot, legSid: string, callSid: string): Snapshot {
  const refusal = (r: unknown) => {
    const row = r as { type: string; detail: string | null };
    return row.type === "connect_refused" && (row.detail ?? "").includes(legSid);
  };
  const noSeq = (x: unknown) => ({ ...(x as object), seq: "not compared" });
  return {
    ...s,
    ringEvents: s.ringEvents.filter((r) => !refusal(r)),
    calls: s.calls.map((c) => ((c as { callSid: string }).callSid === callSid ? noSeq(c) : c)),
    callViews: { ...s.callViews, [callSid]: noSeq(s.callViews[callSid]) },
  };
}

describe("webhooks delivered twice as they happen", () => {
  it("leave the same call, trail, claims and voicemail as delivered once", async () => {
    const once = new Webhooks(1);
    const twice = new Webhooks(2);
    const mails = [await voicemailCall(once), await voicemailCall(twice)];
    const [a] = await createAgents(1);
    await online([a]);
    const calls = [(await answeredCall(once, a)).callSid, (await answeredCall(twice, a)).callSid];
    const all = await settled({ callSids: [...mails, ...calls] });
    const outcome = async (sid: string) => {
      const v = (await view(sid))!;
      return {
        call: { phase: v.phase, outcome: v.outcome, answeredBy: v.answeredBy },
        trail: await ringEventsOf(sid),
        claims: all.claims.filter((c) => (c as { callSid: string }).callSid === sid).map((c) => (c as { outcome: string | null }).outcome),
        voicemails: all.voicemails.filter((m) => (m as { callSid: string }).callSid === sid).map((m) => {
          const { durationSeconds, transcription, transcriptionStatus } = m as { durationSeconds: number; transcription: string | null; transcriptionStatus: string | null };
          return { durationSeconds, transcription, transcriptionStatus };
        }),
      };
    };
    expect(await outcome(mails[1]!)).toEqual(await outcome(mails[0]!));
    expect(await outcome(calls[1]!)).toEqual(await outcome(calls[0]!));
    expect((await outcome(calls[0]!)).claims).toEqual(["connected"]);
    await nobodyBusy([a.id]);
  });
});

describe("during a live call", () => {
  it("callbacks of a generation the caller has left change nothing: the parked call stays parked", async () => {
    const [a] = await staff(1);
    const sid = await call();
    const leg = await answer(a, sid);
    expect((await park(sid, a)).status).toBe(200);
    await expect.poll(async () => (await view(sid))?.phase).toBe("parked");
    const before = await settled({ callSids: [sid] });
    const parkedView = before.callViews[sid] as { phase: string; seq: number };
    // Lobby 1 is the one the caller was moved out of by the park (its gen is 2 now).
    const stale = [
      twilio("/twilio/conference?gen=1", conference(sid, "participant-leave", "caller", sid, "participant_hung_up")),
      twilio("/twilio/conference?gen=1", conference(sid, "participant-leave", "agent", leg.legSid, "participant_hung_up")),
      twilio("/twilio/lobby-ended?gen=1", { AccountSid: ACCOUNT, CallSid: sid, CallStatus: "in-progress", DialCallStatus: "completed" }),
      twilio("/twilio/wait?gen=1", { AccountSid: ACCOUNT, CallSid: sid }),
    ];
    for (const res of await Promise.all(stale)) expect(res.status).toBeLessThan(300);
    const after = await settled({ callSids: [sid] });
    expect(after.callViews[sid]).toMatchObject({ phase: "parked", seq: parkedView.seq });
    expect(after).toEqual(before);
  });

  it("an unsigned, a wrongly signed, and a signed-for-another-URL hang-up are refused with 403 and change nothing", async () => {
    const [a] = await staff(1);
    const sid = await call();
    await answer(a, sid);
    const before = await settled({ callSids: [sid] });
    const params = { AccountSid: ACCOUNT, CallSid: sid, CallStatus: "completed" };
    const refused = [
      await twilio("/twilio/call-status", params, { signature: null }),
      await twilio("/twilio/call-status", params, { token: "not-the-auth-token" }),
      await twilio("/twilio/call-status", params, { signature: "" }),
      await twilio("/twilio/call-status", params, { signature: sign(AUTH_TOKEN, ORIGIN + "/twilio/voice", params) }),
      await twilio("/twilio/call-status", params, { signature: sign(AUTH_TOKEN, "https://evil.example/twilio/call-status", params) }),
      await twilio("/twilio/call-status", params, { signature: sign(AUTH_TOKEN, ORIGIN + "/twilio/call-status", { ...params, CallStatus: "in-progress" }) }),
      await twilio("/twilio/conference?gen=1", conference(sid, "participant-leave", "caller", sid, "participant_hung_up"), { signature: sign(AUTH_TOKEN, ORIGIN + "/twilio/conference?gen=2", conference(sid, "participant-leave", "caller", sid, "participant_hung_up")) }),
    ];
    for (const res of refused) {
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: expect.any(String) });
    }
    expect(await settled({ callSids: [sid] })).toEqual(before);
    expect((await view(sid))?.phase).toBe("connected");
    // The real hang-up, correctly signed, still ends it: the refusals did not wedge anything.
    expect((await twilio("/twilio/call-status", params)).status).toBe(204);
    await expect.poll(async () => (await view(sid))?.phase).toBe("ended");
  });
});

// The carrier simulator itself, driven as Twilio's peers drive Twilio: inline TwiML through its REST API,
// placed calls, and phones that connect like the Voice SDK. Each test checks one behaviour of Twilio's
// that the product relies on (Twilio's <Conference>, Calls REST and error docs), so that nothing passes locally that
// would fail on Twilio. The product's own routes answer the webhooks; URLs in the inline TwiML point at
// routes whose answer is known: /twilio/wait (TwiML that loops by <Redirect>), /twilio/voice for a call
// in voicemail (<Record>), /twilio/voicemail/recorded (<Say> then <Hangup/>), /sim/recordings/… (audio
// on GET) and paths that do not exist (404).
import { env, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { simConfig } from "../../simulator/config";
import type { CarrierToPhone } from "../../simulator/phoneProtocol";
import type { SimCallState } from "../../simulator/SimCall";
import { claim, createAgents, newCallSid, ORIGIN, unique } from "./helpers";
import { call, seen, staff, ticketOf, view } from "./desks";
import { injectFault, Phone, placeCall, simState } from "./sim-helpers";

const ACCOUNT_SID = "AC" + "0".repeat(32);
const AUTHORIZATION = "Basic " + btoa(`${ACCOUNT_SID}:test-auth-token`);

/** Answers 404 (signed requests to a path the product does not have). */
const NOWHERE = `${ORIGIN}/twilio/no-such-route`;
/** Answers 400 to a conference callback whose FriendlyName is not a CallSid (and gen is missing). */
const PRODUCT_CONFERENCE_CALLBACK = `${ORIGIN}/twilio/conference`;
/** Answers <Say>Thank you. Goodbye.</Say><Hangup/>: a predictable <Dial action>. */
const GOODBYE_ACTION = `${ORIGIN}/twilio/voicemail/recorded`;
/** A <Play loop="0"> keeps a call busy until something else happens (its URL is not fetched). */
const FOREVER = `<Play loop="0">${ORIGIN}/sim/recordings/RE0</Play>`;

// ---- Twilio's REST API, as any HTTP client calls it ----

interface RestAnswer {
  status: number;
  body: { code?: number; sid?: string; status?: string; message?: string };
}

function callUrl(sid: string): string {
  return `${ORIGIN}/sim/api/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${sid}.json`;
}

/** POST …/Calls/{sid}.json (Twilio's "update a call"), form-encoded. */
async function updateCall(sid: string, form: Record<string, string>): Promise<RestAnswer> {
  const res = await SELF.fetch(callUrl(sid), {
    method: "POST",
    headers: { Authorization: AUTHORIZATION, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as RestAnswer["body"] };
}

/** GET …/Calls/{sid}.json (Twilio's "fetch a call"). */
async function fetchCall(sid: string): Promise<RestAnswer> {
  const res = await SELF.fetch(callUrl(sid), { headers: { Authorization: AUTHORIZATION } });
  return { status: res.status, body: (await res.json()) as RestAnswer["body"] };
}

// ---- calls running TwiML the product would never send ----

const running: string[] = [];

afterEach(async () => {
  // Every call this file placed hangs up, so that nothing keeps looping into the next test.
  for (const sid of running.splice(0)) await SELF.fetch(`${ORIGIN}/sim/calls/${sid}/hangup`, { method: "POST" });
});

/**
 * A placed call (nobody online: the product answers it with voicemail), redirected by REST to `twiml`.
 * The REST answer comes once the new TwiML has started (its webhooks answered).
 */
async function callRunning(twiml: string, speed = 20): Promise<string> {
  const sid = await placeCall({ speed });
  running.push(sid);
  const r = await updateCall(sid, { Twiml: twiml });
  if (r.status !== 200) throw new Error(`redirecting ${sid} failed: ${r.status} ${JSON.stringify(r.body)}`);
  return sid;
}

function attrs(a: Record<string, string>): string {
  return Object.entries(a)
    .map(([k, v]) => ` ${k}="${v.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}"`)
    .join("");
}

/** <Dial><Conference>name</Conference></Dial> with the given attributes. */
function conference(name: string, noun: Record<string, string> = {}, dial: Record<string, string> = {}): string {
  return `<Dial${attrs(dial)}><Conference${attrs(noun)}>${name}</Conference></Dial>`;
}

const said = (s: SimCallState, text: string) => s.events.some((e) => e.what === `<Say> "${text}"`);

function conferenceStub(name: string) {
  return env.SIM_CONFERENCES.getByName(name);
}

/** The conference's event log once every callback under way has been delivered. */
async function conferenceLog(name: string): Promise<string[]> {
  const stub = conferenceStub(name);
  await stub.idle();
  return (await stub.state()).events.map((e) => e.what);
}

/** The status callbacks the conference sent, as it logs those whose URL did not answer 2xx. */
async function callbacksSent(name: string): Promise<string[]> {
  return (await conferenceLog(name)).filter((w) => / callback for /.test(w));
}

async function participantsOf(name: string): Promise<string[] | null> {
  const current = (await conferenceStub(name).state()).current;
  return current ? current.participants.map((p) => p.callSid) : null;
}

// ---- <Conference waitUrl> ----

describe("a participant alone in a conference that has not started", () => {
  it("hears its waitUrl, and an ending <Redirect> requests the document again, loop after loop", async () => {
    const name = unique("conf");
    const sid = await callRunning(`<Response>${conference(name, { waitUrl: `${ORIGIN}/twilio/wait?gen=1` })}</Response>`, 50);
    // The product's wait document: <Play> ringback, then <Redirect> to itself with n=1, 2, 3…
    await expect.poll(async () => (await simState(sid)).conference?.wait?.requests ?? 0, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    const s = await simState(sid);
    expect(s.conference?.wait?.url).toMatch(/\/twilio\/wait\?gen=1&n=\d+/);
    expect(s.conference?.started).toBe(false);
    expect(s.status).toBe("in-progress");
    await expect.poll(async () => {
      const now = await simState(sid);
      return { hears: now.hears, playing: now.playing };
    }).toEqual({ hears: "wait-music", playing: `${ORIGIN}/audio/ringback.wav` });
    const conf = await conferenceStub(name).state();
    expect(conf.current?.startedAt).toBeNull();
    expect(conf.current?.participants.map((p) => p.callSid)).toEqual([sid]);
  });

  it("hears an audio waitUrl once, then silence: audio does not loop", async () => {
    const name = unique("conf");
    const audio = `${ORIGIN}/sim/recordings/RE${"1".repeat(32)}?seconds=1`;
    const sid = await callRunning(`<Response>${conference(name, { waitUrl: audio, waitMethod: "GET" })}</Response>`, 2);
    const first = await simState(sid);
    expect(first.hears).toBe("wait-music");
    expect(first.playing).toMatch(/^https:\/\/calls\.example\.test\/sim\/recordings\/RE1+\?seconds=1/);
    await expect.poll(async () => (await simState(sid)).hears, { timeout: 10_000 }).toBe("silence");
    const s = await simState(sid);
    expect(s.events.map((e) => e.what)).toContain("the waitUrl document ran out: silence");
    expect(s.conference?.name).toBe(name);
    expect(s.errors).toEqual([]);
  });

  it.each([
    ["<Record>", `${ORIGIN}/twilio/voice`],
    ["<Hangup>", GOODBYE_ACTION],
  ])("gets error 13238 for a waitUrl document with %s, which is not Play, Say, Pause or Redirect", async (verb, waitUrl) => {
    const name = unique("conf");
    const sid = await callRunning(`<Response>${conference(name, { waitUrl })}</Response>`);
    const s = await simState(sid);
    expect(s.errors).toEqual([expect.objectContaining({ code: 13238, message: expect.stringContaining(verb) })]);
    // The participant stays in the conference, hearing nothing; the bad document is not run.
    expect(s.status).toBe("in-progress");
    expect(s.conference?.name).toBe(name);
    expect(s.hears).toBe("silence");
    expect(s.events.map((e) => e.what)).not.toContain("<Record> beep");
    expect(await participantsOf(name)).toEqual([sid]);
  });

  it("whose waitUrl request fails is not added (the conference is not established), and the call goes on with its next verb", async () => {
    const name = unique("conf");
    const sid = await callRunning(`<Response>${conference(name, { waitUrl: NOWHERE })}<Say>next verb</Say>${FOREVER}</Response>`);
    const s = await simState(sid);
    expect(s.errors.map((e) => e.code)).toEqual([11200]);
    expect(s.conference).toBeNull();
    expect(s.status).toBe("in-progress");
    const log = s.events.map((e) => e.what);
    expect(log).toContain("<Dial> ended: failed");
    expect(said(s, "next verb")).toBe(true);
    expect(await conferenceLog(name)).toContain(`${sid} left (participant_add_failed, in-progress)`);
    expect(await participantsOf(name)).toBeNull();
  });

  it("whose waitUrl request fails goes on with its <Dial action> (DialCallStatus failed), not the next verb", async () => {
    const name = unique("conf");
    const sid = await callRunning(`<Response>${conference(name, { waitUrl: NOWHERE }, { action: GOODBYE_ACTION })}<Say>next verb</Say>${FOREVER}</Response>`);
    // The action's answer, <Say>Thank you. Goodbye.</Say><Hangup/>, runs to its end.
    await expect.poll(async () => (await simState(sid)).status).toBe("completed");
    const s = await simState(sid);
    expect(s.events.map((e) => e.what)).toContain("<Dial> ended: failed");
    expect(said(s, "Thank you. Goodbye.")).toBe(true);
    expect(said(s, "next verb")).toBe(false);
    expect(await participantsOf(name)).toBeNull();
  });
});

// ---- participants ----

describe("conference participants", () => {
  it("a duplicate participantLabel is error 16025: the call is not added and continues with the next verb (not the action)", async () => {
    const name = unique("conf");
    const first = await callRunning(`<Response>${conference(name, { participantLabel: "agent", waitUrl: "" })}</Response>`);
    const dup = await callRunning(`<Response>${conference(name, { participantLabel: "agent", waitUrl: "" }, { action: GOODBYE_ACTION })}<Say>label taken</Say>${FOREVER}</Response>`);
    const s = await simState(dup);
    expect(s.errors).toEqual([expect.objectContaining({ code: 16025 })]);
    expect(s.conference).toBeNull();
    expect(said(s, "label taken")).toBe(true);
    expect(said(s, "Thank you. Goodbye.")).toBe(false);
    expect(await participantsOf(name)).toEqual([first]);
    expect((await simState(first)).conference?.started).toBe(false);
    // Another label is let in, and starts the conference.
    const other = await callRunning(`<Response>${conference(name, { participantLabel: "caller", waitUrl: "" })}</Response>`);
    expect(await participantsOf(name)).toEqual([first, other]);
    await expect.poll(async () => (await simState(first)).hears).toBe("bridged");
  });

  it("the first participant's statusCallback and events hold for the whole conference; later joiners' are ignored", async () => {
    const name = unique("conf");
    // The first joiner's URL answers 404, the second's 400: the conference logs each callback that fails, with its status.
    const a = await callRunning(`<Response>${conference(name, { waitUrl: "", statusCallback: NOWHERE, statusCallbackEvent: "join leave" })}</Response>`);
    const b = await callRunning(
      `<Response>${conference(name, { waitUrl: "", statusCallback: PRODUCT_CONFERENCE_CALLBACK, statusCallbackEvent: "start end join leave mute" })}</Response>`,
    );
    await expect.poll(async () => (await simState(a)).hears).toBe("bridged");
    await SELF.fetch(`${ORIGIN}/sim/calls/${b}/hangup`, { method: "POST" });
    await SELF.fetch(`${ORIGIN}/sim/calls/${a}/hangup`, { method: "POST" });
    expect(await callbacksSent(name)).toEqual([
      `participant-join callback for ${a} answered 404`,
      `participant-join callback for ${b} answered 404`,
      `participant-leave callback for ${b} answered 404`,
      `participant-leave callback for ${a} answered 404`,
    ]);
    // It did start and end: those events were simply not subscribed by the first joiner.
    const past = (await conferenceStub(name).state()).past;
    expect(past).toHaveLength(1);
    expect(past[0]!.startedAt).not.toBeNull();
    expect(past[0]!.reason).toBe("last-participant-left");
  });

  it("a participant with endConferenceOnExit ends the conference when it leaves: every other participant's <Dial> completes", async () => {
    const name = unique("conf");
    const after = `<Say>back from the conference</Say>${FOREVER}`;
    const moderator = await callRunning(
      `<Response>${conference(name, { waitUrl: "", endConferenceOnExit: "true", statusCallback: NOWHERE, statusCallbackEvent: "leave end" })}</Response>`,
    );
    const stays = await callRunning(`<Response>${conference(name, { waitUrl: "" })}${after}</Response>`);
    const leaves = await callRunning(`<Response>${conference(name, { waitUrl: "" })}${after}</Response>`);
    const conferenceSid = (await simState(moderator)).conference!.conferenceSid;
    // An ordinary participant leaving ends nothing.
    await SELF.fetch(`${ORIGIN}/sim/calls/${leaves}/hangup`, { method: "POST" });
    expect(await participantsOf(name)).toEqual([moderator, stays]);
    expect((await simState(stays)).conference?.name).toBe(name);
    // The moderator leaving does.
    await SELF.fetch(`${ORIGIN}/sim/calls/${moderator}/hangup`, { method: "POST" });
    await expect.poll(async () => (await simState(stays)).conference).toBeNull();
    const s = await simState(stays);
    expect(s.events.map((e) => e.what)).toContain("<Dial> ended: answered");
    expect(said(s, "back from the conference")).toBe(true);
    expect(s.status).toBe("in-progress");
    expect(await participantsOf(name)).toBeNull();
    expect((await conferenceStub(name).state()).past.at(-1)).toMatchObject({ conferenceSid, reason: "participant-with-end-conference-on-exit-left" });
    expect(await callbacksSent(name)).toEqual([
      `participant-leave callback for ${leaves} answered 404`,
      `participant-leave callback for ${moderator} answered 404`,
      `participant-leave callback for ${stays} answered 404`,
      `conference-end callback for ${conferenceSid} answered 404`,
    ]);
  });

  it("a REST redirect takes a participant out: participant-leave with participant_updated_via_api, its old action's answer ignored", async () => {
    const name = unique("conf");
    const stays = await callRunning(`<Response>${conference(name, { waitUrl: "", statusCallback: NOWHERE, statusCallbackEvent: "leave" })}</Response>`);
    const moved = await callRunning(`<Response>${conference(name, { waitUrl: "" }, { action: GOODBYE_ACTION })}</Response>`);
    await expect.poll(async () => (await simState(stays)).hears).toBe("bridged");
    const r = await updateCall(moved, { Twiml: `<Response><Say>redirected out</Say>${FOREVER}</Response>` });
    expect(r).toMatchObject({ status: 200, body: { sid: moved, status: "in-progress" } });
    expect(await conferenceLog(name)).toContain(`${moved} left (participant_updated_via_api, in-progress)`);
    expect(await callbacksSent(name)).toEqual([`participant-leave callback for ${moved} answered 404`]);
    const s = await simState(moved);
    expect(s.conference).toBeNull();
    expect(said(s, "redirected out")).toBe(true);
    expect(said(s, "Thank you. Goodbye.")).toBe(false);
    // The conference goes on without it; the one left alone in a started conference hears silence.
    expect(await participantsOf(name)).toEqual([stays]);
    await expect.poll(async () => (await simState(stays)).hears).toBe("silence");
  });
});

// ---- the Calls REST API's refusals ----

describe("updating a call by REST", () => {
  it("is refused with 21220 once the call has ended, however it ended", async () => {
    const byRest = await callRunning(`<Response>${FOREVER}</Response>`);
    expect(await updateCall(byRest, { Status: "completed" })).toMatchObject({ status: 200, body: { status: "completed" } });
    const byTwiml = await callRunning("<Response><Hangup/></Response>");
    expect((await simState(byTwiml)).status).toBe("completed");
    for (const sid of [byRest, byTwiml]) {
      expect(await updateCall(sid, { Twiml: "<Response><Say>too late</Say></Response>" })).toMatchObject({ status: 400, body: { code: 21220 } });
      expect(await updateCall(sid, { Url: `${ORIGIN}/twilio/voice` })).toMatchObject({ status: 400, body: { code: 21220 } });
      expect(await updateCall(sid, { Status: "completed" })).toMatchObject({ status: 400, body: { code: 21220 } });
      expect(said(await simState(sid), "too late")).toBe(false);
    }
  });

  it("answers 20404 for a call that does not exist", async () => {
    const sid = newCallSid();
    expect(await updateCall(sid, { Twiml: "<Response><Hangup/></Response>" })).toMatchObject({ status: 404, body: { code: 20404 } });
    expect(await updateCall(sid, { Status: "completed" })).toMatchObject({ status: 404, body: { code: 20404 } });
    expect(await fetchCall(sid)).toMatchObject({ status: 404, body: { code: 20404 } });
    expect(await env.SIM_CALLS.getByName(sid).state()).toBeNull();
  });

  it("refuses inline TwiML over 4000 characters with 32018 and leaves the call alone; 4000 exactly is accepted", async () => {
    const name = unique("conf");
    const sid = await callRunning(`<Response>${conference(name, { waitUrl: "" })}</Response>`);
    const ofLength = (n: number) => `<Response><Say>${"a".repeat(n - "<Response><Say></Say></Response>".length)}</Say></Response>`;
    expect(ofLength(4001)).toHaveLength(4001);
    expect(await updateCall(sid, { Twiml: ofLength(4001) })).toMatchObject({ status: 400, body: { code: 32018 } });
    expect((await simState(sid)).conference?.name).toBe(name);
    expect(await updateCall(sid, { Twiml: ofLength(4000) })).toMatchObject({ status: 200, body: { sid } });
    expect((await simState(sid)).conference).toBeNull();
  });
});

// ---- injected REST faults ----

describe("REST faults", () => {
  const MOVE = `<Response><Say>moved</Say>${FOREVER}</Response>`;

  async function waitingAlone(): Promise<{ sid: string; name: string }> {
    const name = unique("conf");
    return { sid: await callRunning(`<Response>${conference(name, { waitUrl: "" })}</Response>`), name };
  }

  async function moved(sid: string): Promise<boolean> {
    const s = await simState(sid);
    return s.conference === null && said(s, "moved");
  }

  it("timeout-applied: the update is applied at once while the answer is held", async () => {
    const { sid, name } = await waitingAlone();
    const holdMs = 3000;
    await injectFault(sid, "timeout-applied", { holdMs });
    let answered = false;
    const started = Date.now();
    const pending = updateCall(sid, { Twiml: MOVE }).finally(() => {
      answered = true;
    });
    await expect.poll(() => moved(sid)).toBe(true);
    expect(answered).toBe(false);
    expect(await participantsOf(name)).toBeNull();
    expect(await pending).toMatchObject({ status: 200, body: { sid } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(holdMs - 100);
  });

  it("timeout: the answer is held, then 503, and the update is never applied", async () => {
    const { sid, name } = await waitingAlone();
    const holdMs = 1000;
    await injectFault(sid, "timeout", { holdMs });
    const started = Date.now();
    expect(await updateCall(sid, { Twiml: MOVE })).toMatchObject({ status: 503, body: { code: 20503 } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(holdMs - 100);
    expect(await moved(sid)).toBe(false);
    expect(await participantsOf(name)).toEqual([sid]);
    expect((await simState(sid)).events.map((e) => e.what)).toContain("REST update: injected fault timeout");
  });

  it("429: refused and never applied, so the same request can be sent again", async () => {
    const { sid } = await waitingAlone();
    await injectFault(sid, "429");
    expect(await updateCall(sid, { Twiml: MOVE })).toMatchObject({ status: 429, body: { code: 20429 } });
    expect(await moved(sid)).toBe(false);
    expect(await updateCall(sid, { Twiml: MOVE })).toMatchObject({ status: 200, body: { sid } });
    expect(await moved(sid)).toBe(true);
  });

  it("500: an error answer although the update was applied", async () => {
    const { sid, name } = await waitingAlone();
    await injectFault(sid, "500");
    expect(await updateCall(sid, { Twiml: MOVE })).toMatchObject({ status: 500, body: { code: 20500 } });
    expect(await moved(sid)).toBe(true);
    expect(await participantsOf(name)).toBeNull();
  });
});

// ---- the Voice SDK's device.connect() ----

describe("a phone's connect", () => {
  const forRef = (p: Phone, ref: string) => p.messages.filter((m): m is Extract<CarrierToPhone, { ref: string | null }> => "ref" in m && m.ref === ref);

  it("reaches the TwiML App's /twilio/connect after the signalling delay, From=client:<identity>, each custom param a field", async () => {
    const delay = simConfig(env).connectDelayMs;
    expect(delay).toBeGreaterThan(0);
    const [d] = await staff(1);
    const sid = await call({ speed: 10 });
    await seen(d, sid, "call.ringing");
    const ticket = await ticketOf(await claim(sid, d.agent));
    const started = Date.now();
    const leg = await d.phone.connect(sid, ticket);
    expect(leg.accepted).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(delay - 50);
    const s = await simState(leg.legSid);
    expect(s).toMatchObject({
      kind: "agent",
      identity: d.agent.id,
      from: `client:${d.agent.id}`,
      to: "",
      direction: "inbound",
      status: "in-progress",
      customParameters: { callerSid: sid, ticket },
    });
    const request = s.events.find((e) => e.what.startsWith("TwiML App request"));
    expect(request!.at - s.startedAt).toBeGreaterThanOrEqual(delay);
    // The product read callerSid and ticket as fields and From as this agent's: it joined this leg to the caller.
    expect((await simState(sid)).conference?.participants).toEqual([sid, leg.legSid]);
    expect(s.conference).toMatchObject({ name: sid, label: "agent" });
    await expect.poll(async () => (await view(sid))?.answeredBy).toBe(d.agent.id);
    // ringing came first (the SDK learns the CallSid), then accept.
    expect(forRef(d.phone, s.ref!).map((m) => m.type)).toEqual(["ringing", "accept"]);
  });

  it("refuses a custom param named like one of Twilio's own (CallSid), placing no call", async () => {
    const [agent] = await createAgents(1);
    const phone = await Phone.register(agent);
    phone.send({ type: "connect", ref: "clash", params: { CallSid: newCallSid() } });
    const err = await phone.next((m) => m.type === "error" && m.ref === "clash");
    expect(err).toMatchObject({ code: 31000, callSid: null, message: expect.stringContaining("CallSid") });
    // No leg: the phone may connect again at once (it has no call), and only that connect rings.
    phone.send({ type: "connect", ref: "after", params: { callerSid: newCallSid(), ticket: "none" } });
    await phone.next((m) => m.type === "disconnect" && m.ref === "after");
    expect(forRef(phone, "clash").map((m) => m.type)).toEqual(["error"]);
    phone.close();
  });

  it("answered with <Hangup/> is never accepted: error 31005, then disconnect", async () => {
    const [agent] = await createAgents(1);
    const phone = await Phone.register(agent);
    // No such caller: the product refuses the connect with <Hangup/>.
    phone.send({ type: "connect", ref: "refused", params: { callerSid: newCallSid(), ticket: "no-ticket" } });
    const end = await phone.next((m) => m.type === "disconnect" && m.ref === "refused");
    const messages = forRef(phone, "refused");
    expect(messages.map((m) => m.type)).toEqual(["ringing", "error", "disconnect"]);
    expect(messages[1]).toMatchObject({ type: "error", code: 31005 });
    const legSid = (end as Extract<CarrierToPhone, { type: "disconnect" }>).callSid;
    const s = await simState(legSid);
    expect(s.answeredAt).toBeNull();
    expect(s.finished).toBe(true);
    expect(s.events.map((e) => e.what)).toContain("TwiML App request (after the connect delay)");
    phone.close();
  });
});

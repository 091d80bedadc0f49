import { Hono } from "hono";
import { z } from "zod";
import { requireSession } from "../worker/api/middleware";
import { sameOriginOnly } from "../worker/api/sameOrigin";
import { type AppEnv, type Ctx, HttpError, jsonBody } from "../worker/http";
import { log } from "../worker/log";
import { CALL_SID_PATTERN, E164 } from "../worker/protocol";
import { recordingWav } from "./audio";
import { simulatorRecordingRoutes } from "./recordings";
import { accountRestRoutes } from "./accountRest";
import { SIM_ACCOUNT_SID, SIM_NUMBER, simConfig } from "./config";
import type { CallRecordingRun, SimCall, SimCallState } from "./SimCall";
import { BASE_HEADER, CALLEE_ANSWERS, CARRIER_NAME, DEFAULT_CALLEE, FAULT_OPS, FAULTS, IDENTITY_HEADER, SIM_SESSION_HEADER } from "./SimCarrier";
import { newSid } from "./sids";

/** The carrier simulator's own routes. They exist only with CARRIER=simulator, never in another mode. */
export const simulatorRoutes = new Hono<AppEnv>();

simulatorRoutes.use(async (c, next) => {
  if (c.var.config.carrier !== "simulator") return c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404);
  await next();
});

const phoneNumber = z.string().regex(/^\+?[0-9]{3,15}$/, "must be a phone number such as +15551230001");
const placeCall = z.strictObject({
  from: phoneNumber,
  to: phoneNumber.optional(),
  /** Seconds after which the caller hangs up on their own. */
  hangupAfter: z.number().positive().max(86_400).optional(),
  /** Simulated seconds per real second; 1 is real time. */
  speed: z.number().positive().max(1000).optional(),
  /** Seconds the caller speaks into a voicemail <Record>; 0 says nothing. */
  message: z.number().min(0).max(600).optional(),
});

export const DEFAULT_TO = SIM_NUMBER;
/** A held REST answer ends by itself: long enough for the product's client (15 s by default) to give up. */
const DEFAULT_HOLD_MS = 20_000;
const MAX_HOLD_MS = 60_000;

function base(c: Ctx): string {
  return c.var.config.publicUrl ?? new URL(c.req.url).origin;
}

function simCall(c: Ctx, sid: string) {
  if (!CALL_SID_PATTERN.test(sid)) throw new HttpError(400, "not a CallSid");
  return c.env.SIM_CALLS.getByName(sid);
}

simulatorRoutes.post("/calls", async (c) => {
  const body = await jsonBody(c, placeCall);
  const callSid = newSid("CA");
  const state = await c.env.SIM_CALLS.getByName(callSid).place({
    callSid,
    from: body.from,
    to: body.to ?? DEFAULT_TO,
    base: base(c),
    speed: body.speed ?? simConfig(c.env).speed,
    messageSeconds: body.message ?? 5,
    hangupAfterSeconds: body.hangupAfter ?? null,
  });
  log("sim.call_placed", { callSid, from: body.from, status: state.status });
  return c.json({ callSid, status: state.status, errors: state.errors }, 201);
});

simulatorRoutes.get("/calls", async (c) => c.json({ calls: await c.env.SIM_CARRIER.getByName(CARRIER_NAME).calls() }));

simulatorRoutes.get("/calls/:sid", async (c) => {
  const state = await simCall(c, c.req.param("sid")).state();
  if (!state) throw new HttpError(404, "no such simulated call");
  return c.json({ call: state });
});

simulatorRoutes.get("/conferences/:name", async (c) => {
  const name = c.req.param("name");
  if (!name || name.length > 256) throw new HttpError(400, "not a conference name");
  return c.json({ conference: await c.env.SIM_CONFERENCES.getByName(name).state() });
});

simulatorRoutes.post("/calls/:sid/hangup", async (c) => {
  const state = await simCall(c, c.req.param("sid")).hangup();
  if (!state) throw new HttpError(404, "no such simulated call");
  return c.json({ callSid: state.callSid, status: state.status });
});

// The simulated phone of the signed-in agent: its identity is the session's, like a Voice SDK token's.
simulatorRoutes.get("/phone", sameOriginOnly, requireSession, async (c) => {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") throw new HttpError(426, "open this as a WebSocket");
  const headers = new Headers(c.req.raw.headers);
  headers.set(IDENTITY_HEADER, c.var.agent.id);
  headers.set(SIM_SESSION_HEADER, c.var.sessionHash);
  headers.set(BASE_HEADER, base(c));
  return c.env.SIM_CARRIER.getByName(CARRIER_NAME).fetch(new Request(c.req.raw.url, { headers }));
});

simulatorRoutes.route("/", simulatorRecordingRoutes);

// A generated WAV of any length, for TwiML's <Play> in tests (recordings themselves are the REST API's).
simulatorRoutes.get("/recordings/:sid", (c) => {
  const seconds = Number(c.req.query("seconds") ?? "5");
  return c.body(recordingWav(Number.isFinite(seconds) ? seconds : 5), 200, { "Content-Type": "audio/wav", "Cache-Control": "max-age=86400" });
});

// ---- Fault injection for the product's REST calls ----

const faultBody = z.strictObject({
  /** Only REST requests about this call; absent: the next request about any call. */
  callSid: z.string().regex(CALL_SID_PATTERN, "must be a CallSid").optional(),
  fault: z.enum(FAULTS),
  /** "update" (POST …/Calls/{sid}.json, the default), "fetch" (GET), or "delete" (DELETE of one of the call's recordings). */
  op: z.enum(FAULT_OPS).optional(),
  /** How many matching requests it hits (default 1). */
  times: z.number().int().min(1).max(1000).optional(),
  /** How long "timeout" and "timeout-applied" hold the answer: longer than the product's client waits (default 20 s). */
  holdMs: z.number().int().min(0).max(MAX_HOLD_MS).optional(),
});

simulatorRoutes.post("/faults", async (c) => {
  const body = await jsonBody(c, faultBody);
  const rule = await c.env.SIM_CARRIER.getByName(CARRIER_NAME).addFault({
    callSid: body.callSid ?? null,
    fault: body.fault,
    op: body.op ?? "update",
    times: body.times ?? 1,
    holdMs: body.holdMs ?? DEFAULT_HOLD_MS,
  });
  log("sim.fault_added", { callSid: rule.callSid ?? undefined, fault: rule.fault, op: rule.op, times: rule.times });
  return c.json({ fault: rule }, 201);
});

simulatorRoutes.get("/faults", async (c) => c.json({ faults: await c.env.SIM_CARRIER.getByName(CARRIER_NAME).faults() }));

simulatorRoutes.delete("/faults", async (c) => c.json({ cleared: await c.env.SIM_CARRIER.getByName(CARRIER_NAME).clearFaults() }));

/**
 * Holds an answer for a timeout fault, in this request only (no Durable Object waits, so no other call
 * is held up); it ends by itself after holdMs, or sooner if the client gives up and the runtime says so.
 */
function hold(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

// ---- The subset of Twilio's REST API the product uses, with Twilio's status codes and error bodies ----

type TwilioStatus = 400 | 401 | 404 | 429 | 500 | 503;

function twilioError(c: Ctx, status: TwilioStatus, code: number, message: string) {
  return c.json({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, status);
}

function notFound(c: Ctx, account: string, sid: string) {
  return twilioError(c, 404, 20404, `The requested resource /2010-04-01/Accounts/${account}/Calls/${sid}.json was not found`);
}

/** Twilio's date format in REST bodies: "Thu, 01 Jun 2017 20:48:32 +0000". */
function restDate(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toUTCString().replace("GMT", "+0000");
}

/** The Calls resource as Twilio's JSON shows it. */
function callResource(s: SimCallState) {
  const duration = s.answeredAt !== null && s.endedAt !== null ? Math.round(((s.endedAt - s.answeredAt) * s.speed) / 1000) : null;
  return {
    sid: s.callSid,
    account_sid: s.accountSid,
    parent_call_sid: null,
    from: s.from,
    from_formatted: s.from,
    to: s.to,
    to_formatted: s.to,
    status: s.status,
    direction: s.direction,
    start_time: restDate(s.answeredAt),
    end_time: restDate(s.endedAt),
    duration: duration === null ? null : String(duration),
    date_created: restDate(s.startedAt),
    date_updated: restDate(s.endedAt ?? s.answeredAt ?? s.startedAt),
    answered_by: null,
    caller_name: null,
    phone_number_sid: s.kind === "caller" ? "PN" + "0".repeat(32) : null,
    price: null,
    price_unit: "USD",
    api_version: "2010-04-01",
    uri: `/2010-04-01/Accounts/${s.accountSid}/Calls/${s.callSid}.json`,
  };
}

/** Basic auth (the account SID or an API key as the user, the one secret the simulator knows) and the call's stub. */
async function restCall(c: Ctx, sid = c.req.param("file")!.replace(/\.json$/, "")): Promise<{ error: Response } | { account: string; sid: string; stub: DurableObjectStub<SimCall> }> {
  const account = c.req.param("account")!;
  const auth = c.req.header("Authorization") ?? "";
  let user = "";
  let pass = "";
  try {
    [user = "", pass = ""] = atob(auth.replace(/^Basic /, "")).split(":");
  } catch {
    // not base64: unauthenticated
  }
  if (!user || pass !== c.var.config.authToken) return { error: twilioError(c, 401, 20003, "Authenticate") };
  if (account !== SIM_ACCOUNT_SID || !CALL_SID_PATTERN.test(sid)) return { error: notFound(c, account, sid) };
  return { account, sid, stub: c.env.SIM_CALLS.getByName(sid) };
}

/** Twilio's limit on inline TwiML in a call update (Twilio error 32018). */
const MAX_TWIML_CHARS = 4000;

// The account's numbers, TwiML Apps and API keys, for `npm run setup:twilio`.
simulatorRoutes.route("/api/2010-04-01/Accounts/:account", accountRestRoutes);

// ---- Placing a call: POST /2010-04-01/Accounts/{AccountSid}/Calls.json (outbound calls) ----


simulatorRoutes.post("/api/2010-04-01/Accounts/:account/Calls.json", async (c) => {
  const r = await restCall(c, "CA" + "0".repeat(32));
  if ("error" in r) return r.error;
  const form = new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()));
  const to = form.get("To") ?? "";
  const from = form.get("From") ?? "";
  const url = form.get("Url") ?? "";
  if (!to) return twilioError(c, 400, 21201, "No 'To' number is specified");
  if (!E164.test(to)) return twilioError(c, 400, 21211, `Invalid 'To' Phone Number: ${to}`);
  if (!from) return twilioError(c, 400, 21213, "No 'From' number is specified");
  // The caller ID must be one of the account's numbers (or a verified caller ID): the simulator has one.
  if (from !== SIM_NUMBER) return twilioError(c, 400, 21210, `The source phone number provided, ${from}, is not yet verified for your account. You may only make calls from phone numbers that you've verified or purchased from Twilio.`);
  if (!url) return twilioError(c, 400, 21205, "Url parameter is required (the simulator does not run inline Twiml or an ApplicationSid on a new call)");
  const method = (form.get("Method") ?? "POST").toUpperCase();
  const callbackMethod = (form.get("StatusCallbackMethod") ?? "POST").toUpperCase();
  if ((method !== "GET" && method !== "POST") || (callbackMethod !== "GET" && callbackMethod !== "POST")) return twilioError(c, 400, 21201, "Method must be GET or POST");
  const timeout = Number(form.get("Timeout") ?? "60");
  if (!Number.isInteger(timeout) || timeout < 5 || timeout > 600) return twilioError(c, 400, 21201, "Timeout must be an integer from 5 to 600");
  const events = form.getAll("StatusCallbackEvent").flatMap((e) => e.split(" ")).filter(Boolean);
  const callSid = newSid("CA");
  const rule = await c.env.SIM_CARRIER.getByName(CARRIER_NAME).callee(to);
  const state = await c.env.SIM_CALLS.getByName(callSid).placeOutbound({
    callSid,
    from,
    to,
    base: base(c),
    url,
    method,
    statusCallback: form.get("StatusCallback") || null,
    statusCallbackMethod: callbackMethod,
    statusCallbackEvents: events.length > 0 ? events : ["completed"],
    timeoutSeconds: timeout,
    rule,
  });
  log("sim.rest_call_created", { callSid, to, answer: rule.answer });
  return c.json({ ...callResource(state), status: "queued" }, 201);
});

const calleeBody = z.strictObject({
  number: z.string().regex(E164, "must be a phone number such as +15551230009"),
  answer: z.enum(CALLEE_ANSWERS),
  /** Seconds of ringing before they answer or decline (default 2). */
  afterSeconds: z.number().min(0).max(600).optional(),
  /** Seconds after answering that they hang up (default: never). */
  hangupAfter: z.number().positive().max(86_400).nullable().optional(),
});

// How the simulated person at a number answers the product's outbound calls.
simulatorRoutes.put("/callees", async (c) => {
  const body = await jsonBody(c, calleeBody);
  const rule = { answer: body.answer, afterSeconds: body.afterSeconds ?? DEFAULT_CALLEE.afterSeconds, hangupAfter: body.hangupAfter ?? null };
  await c.env.SIM_CARRIER.getByName(CARRIER_NAME).setCallee(body.number, rule);
  return c.json({ number: body.number, ...rule });
});

simulatorRoutes.get("/api/2010-04-01/Accounts/:account/Calls/:file", async (c) => {
  const r = await restCall(c);
  if ("error" in r) return r.error;
  const carrier = c.env.SIM_CARRIER.getByName(CARRIER_NAME);
  const fault = await carrier.takeFault(r.sid, "fetch");
  if (fault) {
    r.stub.note(`REST fetch: injected fault ${fault.fault}`);
    log("sim.fault_hit", { callSid: r.sid, fault: fault.fault, op: "fetch" }, "warn");
    if (fault.fault === "429") return twilioError(c, 429, 20429, "Too Many Requests");
    if (fault.fault === "500") return twilioError(c, 500, 20500, "Internal Server Error");
    if (fault.fault === "21220") return twilioError(c, 400, 21220, "Call is not in-progress. Cannot redirect.");
    await hold(fault.holdMs, c.req.raw.signal);
    if (fault.fault === "timeout") return twilioError(c, 503, 20503, "Service Unavailable");
  }
  const state = await r.stub.state();
  if (!state) return notFound(c, r.account, r.sid);
  return c.json(callResource(state));
});

simulatorRoutes.post("/api/2010-04-01/Accounts/:account/Calls/:file", async (c) => {
  const r = await restCall(c);
  if ("error" in r) return r.error;
  const { account, sid, stub } = r;
  const form = Object.fromEntries(new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer())));
  const fault = await c.env.SIM_CARRIER.getByName(CARRIER_NAME).takeFault(sid, "update");
  if (fault) {
    log("sim.fault_hit", { callSid: sid, fault: fault.fault, op: "update" }, "warn");
    if ((await stub.state()) !== null) stub.note(`REST update: injected fault ${fault.fault}`);
    // Never applied: 429 (documented as never processed), a refusal, a timeout that did nothing.
    if (fault.fault === "429") return twilioError(c, 429, 20429, "Too Many Requests");
    if (fault.fault === "21220") return twilioError(c, 400, 21220, "Call is not in-progress. Cannot redirect.");
    if (fault.fault === "timeout") {
      await hold(fault.holdMs, c.req.raw.signal);
      return twilioError(c, 503, 20503, "Service Unavailable");
    }
  }
  const answer = await applyUpdate(c, account, sid, stub, form);
  // Applied, then the answer is lost or bad: the cases that bite on real Twilio.
  if (fault?.fault === "timeout-applied") {
    await hold(fault.holdMs, c.req.raw.signal);
    return answer;
  }
  if (fault?.fault === "500" && answer.status === 200) return twilioError(c, 500, 20500, "Internal Server Error");
  return answer;
});

async function applyUpdate(c: Ctx, account: string, sid: string, stub: DurableObjectStub<SimCall>, form: Record<string, string>): Promise<Response> {
  const before = await stub.state();
  if (!before) return notFound(c, account, sid);
  const status = form.Status;
  if (status !== undefined && status !== "completed" && status !== "canceled") return twilioError(c, 400, 21218, "Invalid Status: must be completed or canceled");
  if (!status && form.Twiml === undefined && !form.Url) return twilioError(c, 400, 21201, "No 'Url', 'Twiml' or 'Status' parameter given");
  if (form.Twiml !== undefined && form.Twiml.length > MAX_TWIML_CHARS) {
    return twilioError(c, 400, 32018, `Twiml is ${form.Twiml.length} characters: at most ${MAX_TWIML_CHARS} are allowed`);
  }
  const method = (form.Method ?? "POST").toUpperCase();
  if (method !== "GET" && method !== "POST") return twilioError(c, 400, 21201, "Method must be GET or POST");
  const result = await stub.update({ twiml: form.Twiml, url: form.Url, method, status });
  if (!result.applied) {
    if (result.why === "unknown") return notFound(c, account, sid);
    return twilioError(c, 400, 21220, "Call is not in-progress. Cannot redirect.");
  }
  log("sim.rest_update", { callSid: sid, twiml: form.Twiml !== undefined, url: form.Url, status });
  return c.json(callResource(result.state));
}

// ---- Recording a call: POST and GET /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Recordings.json ----

const RECORDING_CHANNELS: Record<string, 1 | 2> = { mono: 1, dual: 2 };
const RECORDING_TRACKS = ["inbound", "outbound", "both"] as const;
const RECORDING_EVENTS = new Set(["in-progress", "completed", "absent"]);

/** The Call Recording resource as Twilio's JSON shows it: while it runs, or once kept (`kept`). */
function callRecordingResource(
  account: string,
  callSid: string,
  run: Pick<CallRecordingRun, "recordingSid" | "startedAt" | "channels" | "track">,
  kept?: { seconds: number; source: string },
) {
  return {
    account_sid: account,
    api_version: "2010-04-01",
    call_sid: callSid,
    conference_sid: null,
    channels: run.channels,
    date_created: restDate(run.startedAt),
    date_updated: restDate(run.startedAt),
    start_time: restDate(run.startedAt),
    duration: kept ? String(kept.seconds) : null,
    price: null,
    price_unit: null,
    sid: run.recordingSid,
    source: kept?.source ?? "StartCallRecordingAPI",
    status: kept ? "completed" : "in-progress",
    error_code: null,
    encryption_details: null,
    track: run.track,
    uri: `/2010-04-01/Accounts/${account}/Calls/${callSid}/Recordings/${run.recordingSid}.json`,
  };
}

// Twilio's Recordings resource, "Create a Recording resource" on a call: it records the call from now
// until it ends, whatever TwiML or REST update moves it meanwhile, and answers 201 with the running
// recording. An unknown call is 20404; one that is not in progress (not answered yet, or ended) 21220.
simulatorRoutes.post("/api/2010-04-01/Accounts/:account/Calls/:sid/Recordings.json", async (c) => {
  const r = await restCall(c, c.req.param("sid"));
  if ("error" in r) return r.error;
  const { account, sid, stub } = r;
  const form = new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()));
  const channels = RECORDING_CHANNELS[form.get("RecordingChannels") ?? "mono"];
  if (!channels) return twilioError(c, 400, 21201, "RecordingChannels must be mono or dual");
  const track = form.get("RecordingTrack") ?? "both";
  if (!(RECORDING_TRACKS as readonly string[]).includes(track)) return twilioError(c, 400, 21201, "RecordingTrack must be inbound, outbound or both");
  const method = (form.get("RecordingStatusCallbackMethod") ?? "POST").toUpperCase();
  if (method !== "GET" && method !== "POST") return twilioError(c, 400, 21201, "RecordingStatusCallbackMethod must be GET or POST");
  // Repeated parameters (as twilio-node sends a list) or one space-separated value.
  const events = form.getAll("RecordingStatusCallbackEvent").flatMap((e) => e.split(/\s+/)).filter(Boolean);
  if (events.some((e) => !RECORDING_EVENTS.has(e))) return twilioError(c, 400, 21201, "RecordingStatusCallbackEvent must be in-progress, completed or absent");

  const fault = await c.env.SIM_CARRIER.getByName(CARRIER_NAME).takeFault(sid, "record");
  if (fault) {
    log("sim.fault_hit", { callSid: sid, fault: fault.fault, op: "record" }, "warn");
    if ((await stub.state()) !== null) stub.note(`REST recording: injected fault ${fault.fault}`);
    if (fault.fault === "429") return twilioError(c, 429, 20429, "Too Many Requests");
    if (fault.fault === "21220") return twilioError(c, 400, 21220, "Call is not in-progress. Cannot record.");
    if (fault.fault === "timeout") {
      await hold(fault.holdMs, c.req.raw.signal);
      return twilioError(c, 503, 20503, "Service Unavailable");
    }
  }
  const result = await stub.startRecording({
    channels,
    track: track as CallRecordingRun["track"],
    statusCallback: form.get("RecordingStatusCallback") || null,
    statusCallbackMethod: method,
    statusCallbackEvents: events.length > 0 ? events : ["completed"],
  });
  if (!result.ok) {
    if (result.why === "unknown") return notFound(c, account, sid);
    return twilioError(c, 400, 21220, "Call is not in-progress. Cannot record.");
  }
  log("sim.recording_started", { callSid: sid, recordingSid: result.recording.recordingSid });
  const answer = c.json(callRecordingResource(account, sid, result.recording), 201);
  // Applied, then the answer is lost or bad.
  if (fault?.fault === "timeout-applied") {
    await hold(fault.holdMs, c.req.raw.signal);
    return answer;
  }
  if (fault?.fault === "500") return twilioError(c, 500, 20500, "Internal Server Error");
  return answer;
});

// "Read multiple CallRecording resources": the recordings belonging to the call, the running ones
// (in-progress) and those kept after it ended (completed), as one page of Twilio's list shape.
simulatorRoutes.get("/api/2010-04-01/Accounts/:account/Calls/:sid/Recordings.json", async (c) => {
  const r = await restCall(c, c.req.param("sid"));
  if ("error" in r) return r.error;
  const { account, sid, stub } = r;
  const running = ((await stub.state())?.recordings ?? []).map((run) => callRecordingResource(account, sid, run));
  const kept = (await c.env.SIM_CARRIER.getByName(CARRIER_NAME).recordingsOf(sid)).map((k) =>
    callRecordingResource(account, sid, { recordingSid: k.recordingSid, startedAt: k.createdAt, channels: k.channels ?? 1, track: "both" }, { seconds: k.seconds, source: k.source ?? "RecordVerb" }),
  );
  const recordings = [...running, ...kept];
  const uri = `/2010-04-01/Accounts/${account}/Calls/${sid}/Recordings.json?PageSize=50&Page=0`;
  return c.json({ recordings, start: 0, end: Math.max(0, recordings.length - 1), page: 0, page_size: 50, first_page_uri: uri, next_page_uri: null, previous_page_uri: null, uri });
});

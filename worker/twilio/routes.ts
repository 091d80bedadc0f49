import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { saveCallRecording } from "../db/callRecordings";
import { recordingSetting } from "../db/settings";
import { saveTranscription } from "../db/voicemails";
import { type AppEnv, type Ctx, validate } from "../http";
import { log } from "../log";
import { CALL_SID_PATTERN, CONNECT_PARAMS } from "../protocol";
import { type CallerProgram, isFinalStatus } from "../call/machine";
import { switchboard } from "../switchboard/stub";
import { RECORDING_SID_PATTERN } from "./media";
import { AUDIO_PATHS, genUrl, twilioUrls, type TwilioUrls } from "./paths";
import { isValidSignature, signedUrl } from "./signature";
import { emptyTwiml, goodbyeTwiml, joinTwiml, lobbyTwiml, pauseAndAgainTwiml, voicemailTwiml, waitTwiml } from "./twiml";

export const twilioRoutes = new Hono<AppEnv>();

twilioRoutes.use(bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.json({ error: "body too large" }, 413) }));

// Every Twilio route: the signature first, before anything is parsed, trusted or changed.
twilioRoutes.use(async (c, next) => {
  const { authToken, publicUrl } = c.var.config;
  const signature = c.req.header("X-Twilio-Signature");
  const url = signedUrl(publicUrl, c.req.url);
  // Decoded by hand: workerd warns on text() of a form body, and Twilio's body is always UTF-8.
  const params = Object.fromEntries(new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer())));
  const { carrier, carrierError } = c.var.config;
  if (!carrier) {
    // Twilio plays its application-error message to the caller and shows this body in its debugger.
    log("twilio.unconfigured", { path: c.req.path, callSid: params.CallSid?.slice(0, 64), error: carrierError }, "error");
    return c.json({ error: carrierError }, 503);
  }
  if (!authToken || !signature || !isValidSignature(authToken, signature, url, params)) {
    log("twilio.rejected", { path: c.req.path, reason: !authToken ? "no auth token configured" : !signature ? "no signature" : "bad signature", callSid: params.CallSid }, "warn");
    return c.json({ error: "invalid or missing X-Twilio-Signature" }, 403);
  }
  c.set("twilio", params);
  await next();
});

const callSid = z.string().regex(CALL_SID_PATTERN, "must be a Twilio CallSid (CA + 32 hex digits)");
// Twilio sends many more parameters than we read: unknown ones are fine here.
const voiceParams = z.looseObject({ CallSid: callSid, From: z.string().default(""), To: z.string().default("") });
const connectParams = z.looseObject({
  CallSid: callSid,
  From: z.string().default(""),
  [CONNECT_PARAMS.callerSid]: z.string().default(""),
  [CONNECT_PARAMS.ticket]: z.string().default(""),
});
const CLIENT = /^client:([A-Za-z0-9_]{1,121})$/;
const waitParams = z.looseObject({ CallSid: callSid });
const conferenceParams = z.looseObject({
  FriendlyName: callSid,
  StatusCallbackEvent: z.string().min(1),
  CallSid: z.string().default(""),
  ParticipantLabel: z.string().default(""),
  ReasonParticipantLeft: z.string().optional(),
});
const lobbyEndedParams = z.looseObject({ CallSid: callSid, CallStatus: z.string().default("in-progress") });
const callStatusParams = z.looseObject({ CallSid: callSid, CallStatus: z.string().min(1) });
const recordingParams = z.looseObject({
  CallSid: callSid,
  RecordingSid: z.string().min(1),
  RecordingUrl: z.string().url(),
  RecordingStatus: z.string(),
  RecordingDuration: z.coerce.number().int().min(0).default(0),
});
const transcriptionParams = z.looseObject({
  CallSid: callSid,
  RecordingSid: z.string().min(1),
  RecordingUrl: z.string().url(),
  TranscriptionStatus: z.string(),
  TranscriptionText: z.string().optional(),
});

/** The lobby generation in a wait, conference or lobby-ended URL (see worker/call/machine.ts). */
const genQuery = z.coerce.number().int().min(1).max(1_000_000);
const loopQuery = z.coerce.number().int().min(0).max(1_000_000).default(0);

function genOf(c: Ctx): number {
  return validate(genQuery, c.req.query("gen"), "the gen query parameter must be a positive integer");
}

function params<T extends z.ZodType>(c: Ctx, schema: T): z.infer<T> {
  return validate(schema, c.var.twilio, "unexpected Twilio parameters");
}

function origin(c: Ctx): string {
  return c.var.config.publicUrl ?? new URL(c.req.url).origin;
}

function urls(c: Ctx): TwilioUrls {
  return twilioUrls(origin(c));
}

function twiml(c: Ctx, xml: string) {
  return c.body(xml, 200, { "Content-Type": "text/xml; charset=utf-8" });
}

function calls(c: Ctx, sid: string) {
  return c.env.CALLS.getByName(sid);
}

/** The TwiML for what the caller must run now. */
function program(c: Ctx, callSid: string, p: CallerProgram) {
  const { config } = c.var;
  if (p.run === "lobby") return twiml(c, lobbyTwiml(callSid, urls(c), p.gen));
  if (p.run === "voicemail") return twiml(c, voicemailTwiml(urls(c), { greeting: config.voicemailGreeting, maxSeconds: config.voicemailMaxSeconds }));
  return twiml(c, goodbyeTwiml());
}

// The number's Voice URL: the caller is answered into their lobby, or straight to voicemail when no
// agent is online and available at all. Consoles ring from the switchboard, never from Twilio.
twilioRoutes.post("/voice", async (c) => {
  const p = params(c, voiceParams);
  const started = await calls(c, p.CallSid).start(p.CallSid, p.From, p.To, origin(c));
  log("twilio.voice", { callSid: p.CallSid, from: p.From, phase: started.phase, gen: started.gen, retry: !started.fresh });
  if (started.phase === "voicemail") return program(c, p.CallSid, { run: "voicemail", gen: started.gen });
  if (started.phase === "ended") return program(c, p.CallSid, { run: "hangup" });
  return program(c, p.CallSid, { run: "lobby", gen: started.gen });
});

/** How many times an outbound call's answer waits for its call session to learn of it (1 s each). */
const OUTBOUND_WAITS = 5;

// An outbound call's Url (worker/api/dial.ts): its callee answered, and waits in a lobby of their
// own for the agent who placed the call, exactly as an inbound caller waits for the one who claimed it.
twilioRoutes.post("/outbound", async (c) => {
  const p = params(c, voiceParams);
  const n = validate(z.coerce.number().int().min(0).max(OUTBOUND_WAITS).default(0), c.req.query("n"), "n must be a count of waits");
  const next = await calls(c, p.CallSid).calleeAnswered();
  if (next === null) {
    // Twilio's answer to the create may still be on its way to the worker (an answer within a second
    // of the dial): the callee hears a second of silence and the request is made again.
    log("twilio.outbound_unknown", { callSid: p.CallSid, n }, n + 1 >= OUTBOUND_WAITS ? "error" : "warn");
    if (n + 1 >= OUTBOUND_WAITS) return program(c, p.CallSid, { run: "hangup" });
    return twiml(c, pauseAndAgainTwiml(`${urls(c).outbound}?n=${n + 1}`));
  }
  log("twilio.outbound_answered", { callSid: p.CallSid, to: p.To, next: next.run });
  return program(c, p.CallSid, next);
});

// The TwiML App's Voice URL: a console's phone connects with the ticket its claim won. Anything but
// the right ticket, from the right agent, in time, for a caller still there, is answered with a
// <Hangup/> (a 200: any other status makes Twilio play an application error to the agent).
twilioRoutes.post("/connect", async (c) => {
  const p = params(c, connectParams);
  const agentId = CLIENT.exec(p.From)?.[1] ?? null;
  const callerSid = p[CONNECT_PARAMS.callerSid];
  const ticket = p[CONNECT_PARAMS.ticket];
  const malformed = !agentId ? "not from an agent's phone (From must be client:<agent id>)" : !CALL_SID_PATTERN.test(callerSid) ? "no caller named" : ticket.length > 200 ? "not a ticket" : null;
  if (malformed || !agentId) {
    // Still a 200 that hangs up: any other answer makes Twilio play an application error to the agent.
    log("twilio.connect_refused", { callSid: CALL_SID_PATTERN.test(callerSid) ? callerSid : null, agentId, legSid: p.CallSid, why: malformed }, "warn");
    return twiml(c, goodbyeTwiml());
  }
  const reply = await calls(c, callerSid).joinWithTicket(agentId, ticket, p.CallSid);
  if (!reply.joined) {
    log("twilio.connect_refused", { callSid: callerSid, agentId, legSid: p.CallSid, why: reply.why }, "warn");
    return twiml(c, goodbyeTwiml());
  }
  log("twilio.connect", { callSid: callerSid, agentId, legSid: p.CallSid, gen: reply.gen });
  return twiml(c, joinTwiml(callerSid, urls(c), reply.gen));
});

// The lobby's wait URL, asked again at every loop: ringback and the caller's place in line while an
// agent is sought, hold music while parked. Only <Say>, <Play>, <Pause> and <Redirect> may be here.
twilioRoutes.post("/wait", async (c) => {
  const p = params(c, waitParams);
  const gen = genOf(c);
  const loop = validate(loopQuery, c.req.query("n"), "n must be a loop count");
  const said = validate(loopQuery, c.req.query("said"), "said must be a place in line");
  const view = await calls(c, p.CallSid).view();
  const { config } = c.var;
  const base = origin(c);
  // Hold music while parked, and for an outbound callee waiting the moment their agent takes to join.
  const parked = view?.phase === "parked" || (view?.phase === "claimed" && (view.purpose === "retrieve" || view.purpose === "outbound"));
  const position = parked || !view ? null : await switchboard(c.env).queuePosition(p.CallSid);
  const tell = position !== null && position > 1 && position !== said ? position : null;
  // Consent: a recorded call's caller (or an outbound call's callee, who hears hold music meanwhile) is
  // told before anyone joins, once, in the first lobby; a park or transfer moves them to a fresh lobby
  // of another purpose, told already.
  const firstLobby = loop === 0 && (view?.purpose === "outbound" || (!parked && view?.purpose === "inbound"));
  const announcement = firstLobby && view?.recorded ? (await recordingSetting(c.var.db)).announcement : null;
  return twiml(
    c,
    waitTwiml({
      audioUrl: parked ? (config.holdMusicUrl ?? base + AUDIO_PATHS.hold) : base + AUDIO_PATHS.ringback,
      announcement,
      greeting: firstLobby && view?.purpose === "inbound" ? config.lobbyGreeting : null,
      position: tell,
      next: genUrl(urls(c).wait, gen, { n: loop + 1, said: tell ?? said }),
    }),
  );
});

// The conference's status callback (the caller's TwiML sets it, the agent's the same): who joined
// and who left, and why.
twilioRoutes.post("/conference", async (c) => {
  const p = params(c, conferenceParams);
  const gen = genOf(c);
  const event = p.StatusCallbackEvent;
  if (event === "participant-join" || event === "participant-leave") {
    await calls(c, p.FriendlyName).conference(event, p.ParticipantLabel, p.CallSid, gen, p.ReasonParticipantLeft ?? null);
  }
  log("twilio.conference", { callSid: p.FriendlyName, gen, callback: event, label: p.ParticipantLabel, legSid: p.CallSid, reason: p.ReasonParticipantLeft });
  return c.body(null, 204);
});

// The caller's <Dial action>: their lobby conference ended. Asked also after a REST redirect, when
// Twilio ignores the answer; the answer is always what the caller must run now.
twilioRoutes.post("/lobby-ended", async (c) => {
  const p = params(c, lobbyEndedParams);
  const gen = genOf(c);
  const next = await calls(c, p.CallSid).lobbyEnded(gen, isFinalStatus(p.CallStatus));
  log("twilio.lobby_ended", { callSid: p.CallSid, gen, callStatus: p.CallStatus, next: next.run });
  return program(c, p.CallSid, next);
});

// The number's "call status changes" callback, if the operator set it: one more way to learn the
// caller left. The product does not depend on it (the conference and the lobby's action tell it).
twilioRoutes.post("/call-status", async (c) => {
  const p = params(c, callStatusParams);
  if (isFinalStatus(p.CallStatus)) await calls(c, p.CallSid).callerGone("call_status", p.CallStatus);
  log("twilio.call_status", { callSid: p.CallSid, status: p.CallStatus });
  return c.body(null, 204);
});

twilioRoutes.post("/voicemail/recorded", (c) => {
  const p = params(c, z.looseObject({ CallSid: callSid, RecordingDuration: z.string().optional() }));
  log("twilio.voicemail_recorded", { callSid: p.CallSid, durationSeconds: p.RecordingDuration });
  // The recording itself is saved from the status callback, which carries its RecordingSid.
  return twiml(c, goodbyeTwiml("Thank you. Goodbye."));
});

twilioRoutes.post("/voicemail/recording-status", async (c) => {
  const p = params(c, recordingParams);
  if (p.RecordingStatus === "completed") {
    await calls(c, p.CallSid).voicemailRecorded({
      recordingSid: p.RecordingSid,
      recordingUrl: p.RecordingUrl,
      durationSeconds: p.RecordingDuration,
    });
  }
  log("twilio.recording_status", { callSid: p.CallSid, recordingSid: p.RecordingSid, status: p.RecordingStatus });
  return c.body(null, 204);
});

twilioRoutes.post("/voicemail/transcription", async (c) => {
  const p = params(c, transcriptionParams);
  const text = p.TranscriptionStatus === "completed" ? (p.TranscriptionText ?? "") : null;
  const voicemail = await saveTranscription(c.var.db, {
    callSid: p.CallSid,
    recordingSid: p.RecordingSid,
    recordingUrl: p.RecordingUrl,
    text,
    status: p.TranscriptionStatus,
    at: Date.now(),
  });
  if (voicemail) await switchboard(c.env).publish([{ type: "voicemail.updated", voicemail }]);
  log("twilio.transcription", { callSid: p.CallSid, recordingSid: p.RecordingSid, status: p.TranscriptionStatus });
  return twiml(c, emptyTwiml());
});

const callRecordingParams = z.looseObject({
  CallSid: callSid,
  RecordingSid: z.string().regex(RECORDING_SID_PATTERN, "must be a RecordingSid (RE + 32 hex digits)"),
  RecordingStatus: z.string().min(1),
  RecordingDuration: z.coerce.number().int().min(0).default(0),
});

// The conversation recording's status callback (the call session asked Twilio to record the caller's
// leg when the first agent joined). Twilio retries a callback it thinks failed: the row is keyed by
// the RecordingSid, so a repeat saves nothing new, and telling the consoles again changes nothing.
twilioRoutes.post("/call-recording-status", async (c) => {
  const p = params(c, callRecordingParams);
  if (p.RecordingStatus === "completed") {
    const recording = await saveCallRecording(c.var.db, { recordingSid: p.RecordingSid, callSid: p.CallSid, durationSeconds: p.RecordingDuration, createdAt: Date.now() });
    await switchboard(c.env).publish([{ type: "call.recording", callSid: p.CallSid, recording }]);
  }
  log("twilio.call_recording_status", { callSid: p.CallSid, recordingSid: p.RecordingSid, status: p.RecordingStatus, durationSeconds: p.RecordingDuration });
  return c.body(null, 204);
});

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { ringableAgents } from "../call/available";
import { saveTranscription } from "../db/voicemails";
import { type AppEnv, type Ctx, HttpError, validate } from "../http";
import { log } from "../log";
import { CALL_SID_PATTERN } from "../protocol";
import { DIAL_STATUSES, LEG_STATUSES, MAX_RING_GROUP } from "../call/machine";
import { switchboard } from "../switchboard/stub";
import { dialUrls, twilioUrls, type TwilioUrls } from "./paths";
import { isValidSignature, signedUrl, type TwilioParams } from "./signature";
import { emptyTwiml, goodbyeTwiml, holdTwiml, ringGroupTwiml, voicemailTwiml } from "./twiml";

export const twilioRoutes = new Hono<AppEnv>();

twilioRoutes.use(bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.json({ error: "body too large" }, 413) }));

// Every Twilio route: the signature first, before anything is parsed, trusted or changed.
twilioRoutes.use(async (c, next) => {
  const { authToken, publicUrl } = c.var.config;
  const signature = c.req.header("X-Twilio-Signature");
  const url = signedUrl(publicUrl, c.req.url);
  // Decoded by hand: workerd warns on text() of a form body, and Twilio's body is always UTF-8.
  const params = Object.fromEntries(new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer())));
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
const dialParams = z.looseObject({
  CallSid: callSid,
  DialCallStatus: z.enum(DIAL_STATUSES),
  DialCallSid: z.string().optional(),
  CallStatus: z.string().default("in-progress"),
});
/** Statuses of the parent call that mean the caller is gone. */
const CALLER_GONE = new Set(["completed", "canceled", "busy", "failed", "no-answer"]);
const legParams = z.looseObject({
  CallSid: z.string().min(1),
  ParentCallSid: callSid,
  CallStatus: z.enum(LEG_STATUSES),
  To: z.string().regex(/^client:[A-Za-z0-9_]{1,121}$/, "must be client:<identity>"),
  SequenceNumber: z.coerce.number().int().min(0).default(0),
});
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

/** The <Dial> generation in a dial action or leg status URL; URLs without one are the inbound ring's. */
const dialQuery = z.coerce.number().int().min(1).max(1_000_000).default(1);

function dialOf(c: Ctx): number {
  return validate(dialQuery, c.req.query("dial"), "the dial query parameter must be a positive integer");
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

twilioRoutes.post("/voice", async (c) => {
  const p = params(c, voiceParams);
  const ringGroup = (await ringableAgents(c.env, c.var.db)).slice(0, MAX_RING_GROUP);
  const started = await calls(c, p.CallSid).start(p.CallSid, p.From, p.To, ringGroup, origin(c));
  if (started.kind !== "started") throw new HttpError(500, "call session did not start");
  log("twilio.voice", { callSid: p.CallSid, from: p.From, ringGroup: started.ringGroup, phase: started.phase, retry: !started.fresh });
  const { config } = c.var;
  if (started.phase === "ringing" || started.phase === "claimed") {
    return twiml(c, ringGroupTwiml(p.CallSid, started.ringGroup, dialUrls(urls(c), 1), { timeoutSeconds: config.ringTimeoutSeconds, purpose: "inbound" }));
  }
  if (started.phase === "voicemail") {
    return twiml(c, voicemailTwiml(urls(c), { greeting: config.voicemailGreeting, maxSeconds: config.voicemailMaxSeconds }));
  }
  return twiml(c, goodbyeTwiml());
});

twilioRoutes.post("/dial-action", async (c) => {
  const p = params(c, dialParams);
  const dial = dialOf(c);
  const reply = await calls(c, p.CallSid).dialEnded(p.CallSid, p.DialCallStatus, CALLER_GONE.has(p.CallStatus), dial);
  log("twilio.dial_action", { callSid: p.CallSid, dial, dialCallStatus: p.DialCallStatus, callStatus: p.CallStatus, reply });
  const { config } = c.var;
  if (reply.kind === "dial" && reply.next === "voicemail") {
    return twiml(c, voicemailTwiml(urls(c), { greeting: config.voicemailGreeting, maxSeconds: config.voicemailMaxSeconds }));
  }
  // A retrieve or transfer nobody took: the caller goes back to the hold music, in their parking slot.
  if (reply.kind === "dial" && reply.next === "hold") return twiml(c, holdTwiml(config.holdMusicUrl));
  return twiml(c, goodbyeTwiml());
});

twilioRoutes.post("/leg-status", async (c) => {
  const p = params(c, legParams);
  const agentId = p.To.slice("client:".length);
  const dial = dialOf(c);
  await calls(c, p.ParentCallSid).leg(p.ParentCallSid, agentId, p.CallSid, p.CallStatus, p.SequenceNumber, dial);
  log("twilio.leg_status", { callSid: p.ParentCallSid, dial, legSid: p.CallSid, agentId, status: p.CallStatus, sequence: p.SequenceNumber });
  return c.body(null, 204);
});

twilioRoutes.post("/call-status", async (c) => {
  const p = params(c, callStatusParams);
  await calls(c, p.CallSid).callerStatus(p.CallSid, p.CallStatus);
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
    await calls(c, p.CallSid).voicemailRecorded(p.CallSid, {
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

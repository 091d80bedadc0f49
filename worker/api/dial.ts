import { exports } from "cloudflare:workers";
import { Hono } from "hono";
import { z } from "zod";
import { markCalledBack, voicemailRecording } from "../db/voicemails";
import { type AppEnv, HttpError, jsonBody } from "../http";
import { log } from "../log";
import { type DialResponse, E164 } from "../protocol";
import { switchboard } from "../switchboard/stub";
import { twilioUrls } from "../twilio/paths";
import { carrierRest, classifyRestError } from "../twilio/rest";
import { requireSession } from "./middleware";

// Outbound calls (a call-back or a dialled number). Twilio places the call first: its CallSid names
// the call session, which then holds the call for the agent until the callee answers (see
// worker/call/machine.ts, dial), so from the answer on an outbound call is any other call.
export const dialRoutes = new Hono<AppEnv>();

const dialBody = z.strictObject({
  to: z
    .string()
    .transform((n) => n.replace(/[\s().-]/g, ""))
    .pipe(z.string().regex(E164, "to must be a phone number with its country code, such as +15551230000")),
  voicemailId: z.string().min(1).max(64).optional(),
});

/** Twilio's refusals that are about the number dialled (bad, unreachable, not allowed): the agent's to fix. */
const BAD_NUMBER_CODES = new Set([21211, 21214, 21215, 21216, 21217, 13223, 13224, 13225, 13226, 13227]);
/** Refusals about the caller ID or the account: the operator's to fix. */
const CONFIG_CODES = new Set([21210, 21212, 21606, 20003, 20005]);

dialRoutes.post("/calls/dial", requireSession, async (c) => {
  const body = await jsonBody(c, dialBody);
  const { config, db } = c.var;
  const agentId = c.var.agent.id;
  if (!config.callerId) throw new HttpError(503, "outbound calls are off: set OUTBOUND_CALLER_ID to a number of the Twilio account");
  // The team's own fence against toll fraud, before anything is asked of Twilio.
  const allowed = config.dialAllowedPrefixes;
  if (allowed && !allowed.some((p) => body.to.startsWith(p))) {
    log("api.dial_not_allowed", { agentId, to: body.to }, "warn");
    throw new HttpError(403, `this team may call only numbers starting ${allowed.join(", ")} (DIAL_ALLOWED_PREFIXES)`);
  }
  if (body.voicemailId && !(await voicemailRecording(db, body.voicemailId))) throw new HttpError(404, "no such voicemail");
  // Checked before Twilio is asked, so a refusal places no call; the call session checks again.
  const facts = await switchboard(c.env).agentFacts(agentId);
  if (facts.busyWith) throw new HttpError(409, "you are on another call");
  if (!facts.canConnect) throw new HttpError(409, "your phone is not ready: open the console and allow the microphone");
  const origin = config.publicUrl ?? new URL(c.req.url).origin;
  const urls = twilioUrls(origin);
  const rest = carrierRest(c.env, config, exports);
  let callSid: string;
  try {
    const created = await rest.calls.create({
      to: body.to,
      from: config.callerId,
      url: urls.outbound,
      method: "POST",
      statusCallback: urls.callStatus,
      statusCallbackMethod: "POST",
      statusCallbackEvent: ["completed"],
      timeout: config.dialTimeoutSeconds,
    });
    callSid = created.sid;
  } catch (err) {
    const e = err as { code?: number; message?: string };
    log("api.dial_failed", { agentId, to: body.to, code: e.code, error: String(err).slice(0, 300) }, CONFIG_CODES.has(e.code ?? 0) ? "error" : "warn");
    if (e.code !== undefined && BAD_NUMBER_CODES.has(e.code)) throw new HttpError(400, `the phone carrier refused this number: ${e.message ?? e.code}`);
    if (e.code !== undefined && CONFIG_CODES.has(e.code)) throw new HttpError(503, `the phone carrier refused the caller ID or account (${e.code}): check OUTBOUND_CALLER_ID`);
    throw new HttpError(502, classifyRestError(err) === "transient" ? "the phone carrier did not answer: try again" : `the phone carrier refused the call: ${e.message ?? "unknown error"}`);
  }
  const reply = await c.env.CALLS.getByName(callSid).dial(callSid, agentId, config.callerId, body.to, origin);
  if (reply.status !== 200) {
    // Taken by another call in the meantime: the call Twilio is ringing must not reach the callee.
    await rest.calls(callSid).update({ status: "completed" }).catch((err: unknown) => log("api.dial_cancel_failed", { callSid, error: String(err) }, "error"));
    log("api.dial_refused", { callSid, agentId, status: reply.status, why: reply.why });
    throw new HttpError(reply.status, reply.why);
  }
  if (body.voicemailId) {
    const voicemail = await markCalledBack(db, body.voicemailId, { agentId, callSid, at: Date.now() });
    if (voicemail) await switchboard(c.env).publish([{ type: "voicemail.updated", voicemail }]);
  }
  log("api.dial", { callSid, agentId, to: body.to, voicemailId: body.voicemailId });
  return c.json({ callSid, ticket: reply.ticket } satisfies DialResponse, 201);
});

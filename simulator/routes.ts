import { Hono } from "hono";
import { z } from "zod";
import { requireSession } from "../worker/api/middleware";
import { type AppEnv, type Ctx, HttpError, jsonBody } from "../worker/http";
import { log } from "../worker/log";
import { CALL_SID_PATTERN } from "../worker/protocol";
import { recordingWav } from "./audio";
import { SIM_ACCOUNT_SID, simConfig } from "./config";
import { CARRIER_NAME, IDENTITY_HEADER } from "./SimCarrier";
import { newSid } from "./sids";

/** The carrier simulator's own routes. They exist only while no Twilio account is configured. */
export const simulatorRoutes = new Hono<AppEnv>();

simulatorRoutes.use(async (c, next) => {
  if (c.var.config.twilioMode) return c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404);
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

export const DEFAULT_TO = "+15550100000";

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

simulatorRoutes.post("/calls/:sid/hangup", async (c) => {
  const state = await simCall(c, c.req.param("sid")).hangup();
  if (!state) throw new HttpError(404, "no such simulated call");
  return c.json({ callSid: state.callSid, status: state.status });
});

// The simulated phone of the signed-in agent: its identity is the session's, like a Voice SDK token's.
simulatorRoutes.get("/phone", requireSession, async (c) => {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") throw new HttpError(426, "open this as a WebSocket");
  const headers = new Headers(c.req.raw.headers);
  headers.set(IDENTITY_HEADER, c.var.agent.id);
  return c.env.SIM_CARRIER.getByName(CARRIER_NAME).fetch(new Request(c.req.raw.url, { headers }));
});

simulatorRoutes.get("/recordings/:sid", (c) => {
  const seconds = Number(c.req.query("seconds") ?? "5");
  return c.body(recordingWav(Number.isFinite(seconds) ? seconds : 5), 200, { "Content-Type": "audio/wav", "Cache-Control": "max-age=86400" });
});

// ---- The subset of Twilio's REST API the product uses, with Twilio's status codes and error bodies ----

function twilioError(c: Ctx, status: 400 | 401 | 404, code: number, message: string) {
  return c.json({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, status);
}

simulatorRoutes.post("/api/2010-04-01/Accounts/:account/Calls/:file", async (c) => {
  const account = c.req.param("account");
  const sid = c.req.param("file").replace(/\.json$/, "");
  const auth = c.req.header("Authorization") ?? "";
  const [user, pass] = atob(auth.replace(/^Basic /, "") || "").split(":");
  // Twilio accepts the account SID or an API key as the user; the simulator knows one secret.
  if (!user || pass !== c.var.config.authToken) return twilioError(c, 401, 20003, "Authenticate");
  if (account !== SIM_ACCOUNT_SID) return twilioError(c, 404, 20404, `The requested resource /2010-04-01/Accounts/${account}/Calls/${sid}.json was not found`);
  const form = Object.fromEntries(new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer())));
  const stub = CALL_SID_PATTERN.test(sid) ? c.env.SIM_CALLS.getByName(sid) : null;
  const before = stub ? await stub.state() : null;
  if (!stub || !before) return twilioError(c, 404, 20404, `The requested resource /2010-04-01/Accounts/${account}/Calls/${sid}.json was not found`);
  const status = form.Status;
  if (status !== undefined && status !== "completed" && status !== "canceled") return twilioError(c, 400, 21218, "Invalid Status: must be completed or canceled");
  if (!status && form.Twiml === undefined && !form.Url) return twilioError(c, 400, 21201, "No 'Url', 'Twiml' or 'Status' parameter given");
  if (before.status === "completed" && !status) return twilioError(c, 400, 21220, "Call is not in-progress. Cannot redirect.");
  const after = await stub.update({ twiml: form.Twiml, url: form.Url, status });
  log("sim.rest_update", { callSid: sid, twiml: form.Twiml !== undefined, url: form.Url, status });
  return c.json({
    sid,
    account_sid: account,
    from: after?.from,
    to: after?.to,
    status: after?.status,
    direction: "inbound",
    api_version: "2010-04-01",
    uri: `/2010-04-01/Accounts/${account}/Calls/${sid}.json`,
  });
});

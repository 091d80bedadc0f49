// Twilio's Recording resource, as the simulator's REST API serves it (under /sim/api):
//   GET    /2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}[.wav]  the media, as WAV
//   GET    /2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}.json   the resource
//   DELETE /2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}.json   204, then the media is gone (404)
// "Fetch a Recording media file" and "Delete a Recording" in Twilio's Recording resource docs
// (twilio.com/docs/voice/api/recording). With "Enforce HTTP Auth on Media URLs" on (the simulator's
// default; Twilio recommends it, and accounts made since 31 July 2023 cannot turn it off), the media
// needs the account SID and auth token (or an API key and secret) by HTTP Basic auth, like the rest
// of the API (help.twilio.com, "Prevent unauthorized access to your Programmable Voice Media with
// HTTP Basic Auth").
import { Hono } from "hono";
import { type AppEnv, type Ctx } from "../worker/http";
import { log } from "../worker/log";
import { credentialsValid } from "./accountRest";
import { recordingWav } from "./audio";
import { simConfig } from "./config";
import { CARRIER_NAME, type SimRecording } from "./SimCarrier";

export const simulatorRecordingRoutes = new Hono<AppEnv>();

const RECORDING_SID = /^RE[0-9a-fA-F]{32}$/;
const PATH = "/api/2010-04-01/Accounts/:account/Recordings/:file";

function twilioError(c: Ctx, status: 401 | 404 | 500, code: number, message: string) {
  const headers: Record<string, string> = status === 401 ? { "WWW-Authenticate": 'Basic realm="Twilio API"' } : {};
  return c.json({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, status, headers);
}

/** The file's recording and representation, or an error answer (Twilio's 404 for anything it does not have). */
async function find(c: Ctx): Promise<{ error: Response } | { recording: SimRecording; ext: string }> {
  const account = c.req.param("account") ?? "";
  const file = c.req.param("file") ?? "";
  const [sid = "", ext = ""] = file.split(/\.(?=[a-z0-9]+$)/i);
  const missing = () => twilioError(c, 404, 20404, `The requested resource /2010-04-01/Accounts/${account}/Recordings/${file} was not found`);
  if (!RECORDING_SID.test(sid) || account !== simConfig(c.env).accountSid) return { error: missing() };
  const recording = await c.env.SIM_CARRIER.getByName(CARRIER_NAME).recording(sid);
  if (!recording) return { error: missing() };
  return { recording, ext: ext.toLowerCase() };
}

/** One byte range of a `total`-byte body (RFC 9110 §14.2), or "all" when the header asks for none or several. */
function byteRange(header: string | undefined, total: number): { start: number; end: number } | "all" | "unsatisfiable" {
  const m = /^bytes=(\d*)-(\d*)$/.exec((header ?? "").trim());
  if (!m) return "all";
  const [, from = "", to = ""] = m;
  if (from === "" && to === "") return "all";
  if (from === "") {
    const suffix = Number(to);
    if (suffix === 0) return "unsatisfiable";
    return { start: Math.max(0, total - suffix), end: total - 1 };
  }
  const start = Number(from);
  if (start >= total) return "unsatisfiable";
  const end = to === "" ? total - 1 : Math.min(Number(to), total - 1);
  return end < start ? "all" : { start, end };
}

simulatorRecordingRoutes.get(PATH, async (c) => {
  if (simConfig(c.env).mediaAuth && !(await credentialsValid(c, true))) return twilioError(c, 401, 20003, "Authenticate");
  const found = await find(c);
  if ("error" in found) return found.error;
  const { recording, ext } = found;
  if (ext === "json") {
    // The resource itself is the REST API's, which always needs credentials.
    if (!(await credentialsValid(c, true))) return twilioError(c, 401, 20003, "Authenticate");
    return c.json({
      sid: recording.recordingSid,
      account_sid: recording.accountSid,
      call_sid: recording.callSid,
      status: "completed",
      duration: String(recording.seconds),
      channels: recording.channels ?? 1,
      source: recording.source ?? "RecordVerb",
      date_created: new Date(recording.createdAt).toUTCString().replace("GMT", "+0000"),
      uri: `/2010-04-01/Accounts/${recording.accountSid}/Recordings/${recording.recordingSid}.json`,
    });
  }
  if (ext !== "" && ext !== "wav") {
    // Twilio also serves .mp3; the simulator generates WAV only, and says so rather than pretend.
    return twilioError(c, 404, 20404, `The simulator serves recordings as WAV only (asked for .${ext})`);
  }
  const wav = new Uint8Array(recordingWav(recording.seconds));
  const range = byteRange(c.req.header("Range"), wav.byteLength);
  const headers: Record<string, string> = { "Content-Type": "audio/x-wav", "Accept-Ranges": "bytes" };
  if (range === "unsatisfiable") return c.body(null, 416, { ...headers, "Content-Range": `bytes */${wav.byteLength}` });
  if (range === "all") return c.body(wav, 200, { ...headers, "Content-Length": String(wav.byteLength) });
  const part = wav.slice(range.start, range.end + 1);
  return c.body(part, 206, { ...headers, "Content-Length": String(part.byteLength), "Content-Range": `bytes ${range.start}-${range.end}/${wav.byteLength}` });
});

simulatorRecordingRoutes.delete(PATH, async (c) => {
  if (!(await credentialsValid(c, true))) return twilioError(c, 401, 20003, "Authenticate");
  const found = await find(c);
  if ("error" in found) return found.error;
  const carrier = c.env.SIM_CARRIER.getByName(CARRIER_NAME);
  const fault = await carrier.takeFault(found.recording.callSid, "delete");
  if (fault) {
    log("sim.fault_hit", { callSid: found.recording.callSid, fault: fault.fault, op: "delete" }, "warn");
    return twilioError(c, 500, 20500, "Internal Server Error");
  }
  await carrier.deleteRecording(found.recording.recordingSid);
  log("sim.recording_deleted", { callSid: found.recording.callSid, recordingSid: found.recording.recordingSid });
  return c.body(null, 204);
});

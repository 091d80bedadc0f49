// A recording's audio, streamed to a signed-in agent from the carrier: voicemails and call recordings
// alike. Twilio's media URL never reaches the browser: with HTTP auth for media on it needs the
// account's credentials, and with it off it would be a public link to personal data.
import { exports } from "cloudflare:workers";
import { type Ctx, HttpError } from "../http";
import { log } from "../log";
import { fetchRecordingMedia } from "../twilio/media";

/** The carrier's headers a player needs; nothing else of its answer (no Location, no cookies) is passed on. */
const PASSED_HEADERS = ["Content-Length", "Content-Range", "Accept-Ranges", "Last-Modified", "ETag"];
const AUDIO_TYPE = /^audio\/[a-z0-9.+-]+$/i;

/**
 * The recording's audio as the answer to this request: the Range header passed on (206 and
 * Content-Range come back from the carrier), no cache kept. `failure` names the log line of a media
 * fetch that failed: 404 when the carrier no longer has it, else 502.
 */
export async function recordingAudio(c: Ctx, recordingSid: string, failure: string): Promise<Response> {
  const media = await fetchRecordingMedia(c.env, c.var.config, exports, recordingSid, c.req.header("Range") ?? null);
  if (!media.ok) {
    log(failure, { agentId: c.var.agent.id, recordingSid, why: media.why, status: media.status }, media.why === "gone" ? "warn" : "error");
    if (media.why === "gone") throw new HttpError(404, "this recording is no longer at the carrier");
    throw new HttpError(502, "the phone carrier did not hand over the recording; try again");
  }
  const upstream = media.response;
  const headers = new Headers({ "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff" });
  const type = upstream.headers.get("Content-Type") ?? "";
  headers.set("Content-Type", AUDIO_TYPE.test(type.split(";")[0]!.trim()) ? type : "audio/wav");
  for (const name of PASSED_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  if (!headers.has("Accept-Ranges")) headers.set("Accept-Ranges", "bytes");
  if (c.req.method === "HEAD") {
    await upstream.body?.cancel();
    return new Response(null, { status: upstream.status, headers });
  }
  return new Response(upstream.body, { status: upstream.status, headers });
}

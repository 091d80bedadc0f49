import { exports } from "cloudflare:workers";
import { Hono } from "hono";
import { recentVoicemails, voicemailRecording } from "../db/voicemails";
import { type AppEnv, HttpError } from "../http";
import { log } from "../log";
import { fetchRecordingMedia } from "../twilio/media";
import { requireSession } from "./middleware";

export const voicemailRoutes = new Hono<AppEnv>();

voicemailRoutes.get("/voicemails", requireSession, async (c) => c.json({ voicemails: await recentVoicemails(c.var.db) }));

/** The carrier's headers a player needs; nothing else of its answer (no Location, no cookies) is passed on. */
const PASSED_HEADERS = ["Content-Length", "Content-Range", "Accept-Ranges", "Last-Modified", "ETag"];
const AUDIO_TYPE = /^audio\/[a-z0-9.+-]+$/i;

// A caller's message is personal data: only a signed-in agent hears it, and no cache keeps it.
voicemailRoutes.get("/voicemails/:id/audio", requireSession, async (c) => {
  const id = c.req.param("id");
  const row = id.length <= 64 ? await voicemailRecording(c.var.db, id) : undefined;
  if (!row) throw new HttpError(404, "no such voicemail");
  const media = await fetchRecordingMedia(c.env, c.var.config, exports, row.recordingSid, c.req.header("Range") ?? null);
  if (!media.ok) {
    log("api.voicemail_audio_failed", { agentId: c.var.agent.id, recordingSid: row.recordingSid, why: media.why, status: media.status }, media.why === "gone" ? "warn" : "error");
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
});

import { Hono } from "hono";
import { z } from "zod";
import { callRecordingOf } from "../db/callRecordings";
import { RECORDING_ANNOUNCEMENT_MAX_LENGTH, RECORDING_KEY, recordingSetting, writeSetting } from "../db/settings";
import { type AppEnv, HttpError, jsonBody } from "../http";
import { log } from "../log";
import { CALL_SID_PATTERN, type RecordingSettingBody } from "../protocol";
import { requireAdmin, requireSession } from "./middleware";
import { recordingAudio } from "./recordingAudio";

// Recorded calls: the team's setting (every agent reads it, an admin edits it) and a call's recording.
export const recordingRoutes = new Hono<AppEnv>();

const settingBody = z.strictObject({
  enabled: z.boolean(),
  announcement: z
    .string()
    .trim()
    .min(1, "the announcement tells callers the call is recorded: it cannot be empty")
    .max(RECORDING_ANNOUNCEMENT_MAX_LENGTH, `the announcement has at most ${RECORDING_ANNOUNCEMENT_MAX_LENGTH} characters`),
});

recordingRoutes.get("/settings/recording", requireSession, async (c) => c.json((await recordingSetting(c.var.db)) satisfies RecordingSettingBody));

// Applies to calls that begin after it: a call in progress keeps the setting it began with.
recordingRoutes.put("/settings/recording", requireSession, requireAdmin, async (c) => {
  const body = await jsonBody(c, settingBody);
  const setting: RecordingSettingBody = { enabled: body.enabled, announcement: body.announcement.replace(/\s+/g, " ") };
  await writeSetting(c.var.db, RECORDING_KEY, setting, Date.now());
  log("settings.recording", { agentId: c.var.agent.id, enabled: setting.enabled, announcementLength: setting.announcement.length });
  return c.json(setting);
});

// A call's conversation is personal data: only a signed-in agent hears it, and no cache keeps it.
recordingRoutes.get("/calls/:sid/recording/audio", requireSession, async (c) => {
  const sid = c.req.param("sid");
  const row = CALL_SID_PATTERN.test(sid) ? await callRecordingOf(c.var.db, sid) : undefined;
  if (!row) throw new HttpError(404, "this call has no recording");
  return recordingAudio(c, row.recordingSid, "api.call_recording_audio_failed");
});

import { Hono } from "hono";
import { z } from "zod";
import {
  activeAgent,
  assignVoicemail,
  LIST_MAX,
  listVoicemails,
  markHandled,
  reopenVoicemail,
  unhandledCount,
  voicemailRecording,
} from "../db/voicemails";
import { type AppEnv, type Ctx, HttpError, jsonBody, validate } from "../http";
import { log } from "../log";
import { AGENT_ID_PATTERN, VOICEMAIL_NOTE_MAX_LENGTH, type VoicemailView } from "../protocol";
import { switchboard } from "../switchboard/stub";
import { noBody, requireSession } from "./middleware";
import { recordingAudio } from "./recordingAudio";

export const voicemailRoutes = new Hono<AppEnv>();

const listQuery = z.object({
  status: z.enum(["new", "handled", "all"]).default("all"),
  assignedTo: z.union([z.literal("me"), z.string().regex(AGENT_ID_PATTERN, "must be me or an agent id")]).optional(),
  limit: z.coerce.number().int().min(1).max(LIST_MAX).default(50),
});

// The inbox, newest first, and how many voicemails are unhandled in all (whatever the filter).
voicemailRoutes.get("/voicemails", requireSession, async (c) => {
  const q = validate(listQuery, c.req.query(), "invalid query");
  const assignedTo = q.assignedTo === "me" ? c.var.agent.id : q.assignedTo;
  const [voicemails, unhandled] = await Promise.all([listVoicemails(c.var.db, { status: q.status, assignedTo, limit: q.limit }), unhandledCount(c.var.db)]);
  return c.json({ voicemails, unhandled });
});

function voicemailId(c: Ctx): string {
  const id = c.req.param("id") ?? "";
  if (id.length === 0 || id.length > 64) throw new HttpError(404, "no such voicemail");
  return id;
}

async function published(c: Ctx, voicemail: VoicemailView): Promise<void> {
  await switchboard(c.env).publish([{ type: "voicemail.updated", voicemail }]);
}

const assigneeBody = z.strictObject({ agentId: z.string().regex(AGENT_ID_PATTERN, "must be an agent id").nullable() });

// Any agent may assign a voicemail to any active agent, or to nobody (null).
voicemailRoutes.put("/voicemails/:id/assignee", requireSession, async (c) => {
  const { agentId } = await jsonBody(c, assigneeBody);
  const id = voicemailId(c);
  const db = c.var.db;
  // Unknown voicemail first (404), then the agent (400): nothing is written before both are known.
  const exists = await voicemailRecording(db, id);
  if (!exists) throw new HttpError(404, "no such voicemail");
  if (agentId !== null && !(await activeAgent(db, agentId))) throw new HttpError(400, "no such active agent: assign to an agent who is not disabled, or to nobody (null)");
  const voicemail = await assignVoicemail(db, id, agentId);
  if (!voicemail) throw new HttpError(404, "no such voicemail");
  await published(c, voicemail);
  log("api.voicemail_assigned", { agentId: c.var.agent.id, voicemailId: id, assignedTo: agentId });
  return c.json({ voicemail });
});

const handledBody = z.strictObject({ note: z.string().trim().max(VOICEMAIL_NOTE_MAX_LENGTH).optional() });

// Marks a new voicemail handled by the session's agent. Already handled: 409 naming who, nothing changed.
voicemailRoutes.post("/voicemails/:id/handled", requireSession, async (c) => {
  const { note } = await jsonBody(c, handledBody);
  const id = voicemailId(c);
  const me = c.var.agent.id;
  const result = await markHandled(c.var.db, id, { agentId: me, note: note ? note : null, at: Date.now() });
  if (!result.ok) {
    if (result.why === "missing") throw new HttpError(404, "no such voicemail");
    throw new HttpError(409, `already handled by ${result.handledByName ?? "a former agent"}`);
  }
  await published(c, result.voicemail);
  log("api.voicemail_handled", { agentId: me, voicemailId: id, noteLength: note?.length ?? 0 });
  return c.json({ voicemail: result.voicemail });
});

// Back to new. A voicemail that is new already is answered as it is (200), and nothing is published.
voicemailRoutes.post("/voicemails/:id/reopen", requireSession, async (c) => {
  await noBody(c);
  const id = voicemailId(c);
  const result = await reopenVoicemail(c.var.db, id);
  if (!result) throw new HttpError(404, "no such voicemail");
  if (result.changed) {
    await published(c, result.voicemail);
    log("api.voicemail_reopened", { agentId: c.var.agent.id, voicemailId: id });
  }
  return c.json({ voicemail: result.voicemail });
});

// A caller's message is personal data: only a signed-in agent hears it, and no cache keeps it.
voicemailRoutes.get("/voicemails/:id/audio", requireSession, async (c) => {
  const id = c.req.param("id");
  const row = id.length <= 64 ? await voicemailRecording(c.var.db, id) : undefined;
  if (!row) throw new HttpError(404, "no such voicemail");
  return recordingAudio(c, row.recordingSid, "api.voicemail_audio_failed");
});

import { desc, eq } from "drizzle-orm";
import { type VoicemailView, voicemailAudioUrl } from "../protocol";
import type { Db } from "./client";
import { calls, voicemails } from "./schema";

const RECENT = 50;

const columns = {
  id: voicemails.id,
  callSid: voicemails.callSid,
  from: calls.from,
  durationSeconds: voicemails.durationSeconds,
  transcription: voicemails.transcription,
  createdAt: voicemails.createdAt,
};

export async function recentVoicemails(db: Db): Promise<VoicemailView[]> {
  const rows = await db
    .select(columns)
    .from(voicemails)
    .leftJoin(calls, eq(calls.callSid, voicemails.callSid))
    .orderBy(desc(voicemails.createdAt))
    .limit(RECENT);
  return rows.map(toView);
}

type Row = Omit<VoicemailView, "from" | "audioUrl"> & { from: string | null };

/** The console's view: Twilio's media URL stays in D1, the console gets the worker's audio route. */
function toView(r: Row): VoicemailView {
  return { ...r, from: r.from ?? "", audioUrl: voicemailAudioUrl(r.id) };
}

/** The recording behind voicemail `id`, for the audio route; undefined when there is none (any more). */
export async function voicemailRecording(db: Db, id: string): Promise<{ recordingSid: string } | undefined> {
  return db.select({ recordingSid: voicemails.recordingSid }).from(voicemails).where(eq(voicemails.id, id)).get();
}

/**
 * Saves a transcription and returns the voicemail. Twilio may send it before the recording's own
 * status callback, so it creates the row if needed; that callback then fills in the rest.
 */
export async function saveTranscription(
  db: Db,
  t: { callSid: string; recordingSid: string; recordingUrl: string; text: string | null; status: string; at: number },
): Promise<VoicemailView | undefined> {
  await db
    .insert(voicemails)
    .values({
      id: t.recordingSid,
      callSid: t.callSid,
      recordingSid: t.recordingSid,
      recordingUrl: t.recordingUrl,
      durationSeconds: 0,
      transcription: t.text,
      transcriptionStatus: t.status,
      createdAt: t.at,
    })
    .onConflictDoUpdate({ target: voicemails.recordingSid, set: { transcription: t.text, transcriptionStatus: t.status } });
  const row = await db
    .select(columns)
    .from(voicemails)
    .leftJoin(calls, eq(calls.callSid, voicemails.callSid))
    .where(eq(voicemails.recordingSid, t.recordingSid))
    .get();
  return row ? toView(row) : undefined;
}

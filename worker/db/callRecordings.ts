import { desc, eq, inArray } from "drizzle-orm";
import { callRecordingAudioUrl, type CallRecordingView } from "../protocol";
import type { Db } from "./client";
import { callRecordings } from "./schema";

type RecordingRow = typeof callRecordings.$inferSelect;

export function callRecordingView(row: RecordingRow): CallRecordingView {
  return { recordingSid: row.recordingSid, durationSeconds: row.durationSeconds, audioUrl: callRecordingAudioUrl(row.callSid), createdAt: row.createdAt };
}

/**
 * Saves a call's recording from Twilio's callback. Twilio retries a callback it thinks failed: the
 * RecordingSid is the key, so a repeat changes nothing (and returns the row already saved).
 */
export async function saveCallRecording(db: Db, r: { recordingSid: string; callSid: string; durationSeconds: number; createdAt: number }): Promise<CallRecordingView> {
  await db.insert(callRecordings).values(r).onConflictDoNothing({ target: callRecordings.recordingSid });
  const row = await db.select().from(callRecordings).where(eq(callRecordings.recordingSid, r.recordingSid)).get();
  return callRecordingView(row ?? r);
}

/** The call's recording: the latest, should Twilio ever have made several. */
export async function callRecordingOf(db: Db, callSid: string): Promise<RecordingRow | undefined> {
  return db.select().from(callRecordings).where(eq(callRecordings.callSid, callSid)).orderBy(desc(callRecordings.createdAt)).limit(1).get();
}

/** The recordings of these calls, by CallSid (the latest of each). */
export async function recordingsOf(db: Db, callSids: string[]): Promise<Map<string, CallRecordingView>> {
  if (callSids.length === 0) return new Map();
  const rows = await db.select().from(callRecordings).where(inArray(callRecordings.callSid, callSids)).orderBy(callRecordings.createdAt);
  return new Map(rows.map((r) => [r.callSid, callRecordingView(r)]));
}

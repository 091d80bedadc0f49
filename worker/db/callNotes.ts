import { eq, inArray } from "drizzle-orm";
import type { CallNote } from "../protocol";
import type { Db } from "./client";
import { callNotes, calls } from "./schema";

type NoteRow = typeof callNotes.$inferSelect;

export function noteView(row: NoteRow): CallNote {
  return { text: row.note, outcome: row.outcome, authorId: row.authorId, updatedAt: row.updatedAt };
}

export async function callNote(db: Db, callSid: string): Promise<NoteRow | undefined> {
  return db.select().from(callNotes).where(eq(callNotes.callSid, callSid)).get();
}

/** Who answered the call, as D1 last recorded it; undefined when D1 has no such call. */
export async function recordedAnswerer(db: Db, callSid: string): Promise<{ answeredBy: string | null } | undefined> {
  return db.select({ answeredBy: calls.answeredBy }).from(calls).where(eq(calls.callSid, callSid)).get();
}

/**
 * Writes the call's note; the first write makes its author. null: someone else wrote it first (in one
 * statement, so two writers racing cannot both win).
 */
export async function saveCallNote(db: Db, callSid: string, authorId: string, note: string, outcome: string | null, now: number): Promise<CallNote | null> {
  const row = await db
    .insert(callNotes)
    .values({ callSid, authorId, note, outcome, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: callNotes.callSid, set: { note, outcome, updatedAt: now }, setWhere: eq(callNotes.authorId, authorId) })
    .returning()
    .get();
  return row ? noteView(row) : null;
}

/** The notes of these calls, by CallSid. */
export async function notesOf(db: Db, callSids: string[]): Promise<Map<string, CallNote>> {
  if (callSids.length === 0) return new Map();
  const rows = await db.select().from(callNotes).where(inArray(callNotes.callSid, callSids));
  return new Map(rows.map((r) => [r.callSid, noteView(r)]));
}

import { eq, inArray } from "drizzle-orm";
import { type CallNote, DEFAULT_CALL_OUTCOMES } from "../protocol";
import type { Db } from "./client";
import { callNotes, calls, settings } from "./schema";

/** The settings key of the admin's list of call outcomes (a JSON array of names). */
export const CALL_OUTCOMES_KEY = "call_outcomes";

/** The team's call outcomes: the admin's list, or the defaults until one is saved. */
export async function callOutcomes(db: Db): Promise<string[]> {
  const row = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, CALL_OUTCOMES_KEY)).get();
  if (row) {
    try {
      const list: unknown = JSON.parse(row.value);
      if (Array.isArray(list) && list.every((x) => typeof x === "string")) return list;
    } catch {
      // A broken value falls back to the defaults rather than locking every note out.
    }
  }
  return [...DEFAULT_CALL_OUTCOMES];
}

export async function saveCallOutcomes(db: Db, outcomes: string[], now: number): Promise<void> {
  const value = JSON.stringify(outcomes);
  await db.insert(settings).values({ key: CALL_OUTCOMES_KEY, value, updatedAt: now }).onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: now } });
}

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

import { and, count, desc, eq, type SQL } from "drizzle-orm";
import { type VoicemailStatus, type VoicemailView, voicemailAudioUrl } from "../protocol";
import type { Db } from "./client";
import { agents, calls, voicemails } from "./schema";

const RECENT = 50;
/** The snapshot carries every unhandled voicemail up to this many, so consoles can count and list them. */
export const SNAPSHOT_UNHANDLED = 200;
export const LIST_MAX = 200;

const columns = {
  id: voicemails.id,
  callSid: voicemails.callSid,
  from: calls.from,
  durationSeconds: voicemails.durationSeconds,
  transcription: voicemails.transcription,
  createdAt: voicemails.createdAt,
  status: voicemails.status,
  assignedTo: voicemails.assignedTo,
  handledBy: voicemails.handledBy,
  handledAt: voicemails.handledAt,
  handledNote: voicemails.handledNote,
  calledBackBy: voicemails.calledBackBy,
  calledBackAt: voicemails.calledBackAt,
};

function select(db: Db) {
  return db.select(columns).from(voicemails).leftJoin(calls, eq(calls.callSid, voicemails.callSid));
}

export async function recentVoicemails(db: Db): Promise<VoicemailView[]> {
  const rows = await select(db).orderBy(desc(voicemails.createdAt)).limit(RECENT);
  return rows.map(toView);
}

export interface VoicemailFilter {
  status: VoicemailStatus | "all";
  /** Only those assigned to this agent. */
  assignedTo?: string;
  limit: number;
}

/** The inbox, newest first. */
export async function listVoicemails(db: Db, f: VoicemailFilter): Promise<VoicemailView[]> {
  const where: SQL[] = [];
  if (f.status !== "all") where.push(eq(voicemails.status, f.status));
  if (f.assignedTo !== undefined) where.push(eq(voicemails.assignedTo, f.assignedTo));
  const rows = await select(db)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(voicemails.createdAt))
    .limit(f.limit);
  return rows.map(toView);
}

/** How many voicemails are "new" (the header's count); the voicemails_status index answers it. */
export async function unhandledCount(db: Db): Promise<number> {
  const row = await db.select({ n: count() }).from(voicemails).where(eq(voicemails.status, "new")).get();
  return row?.n ?? 0;
}

/** A console's snapshot: every unhandled voicemail (up to SNAPSHOT_UNHANDLED) and the newest of any status, newest first; and the count. */
export async function snapshotVoicemails(db: Db): Promise<{ voicemails: VoicemailView[]; unhandled: number }> {
  const [fresh, recent, unhandled] = await Promise.all([
    listVoicemails(db, { status: "new", limit: SNAPSHOT_UNHANDLED }),
    recentVoicemails(db),
    unhandledCount(db),
  ]);
  const byId = new Map<string, VoicemailView>();
  for (const v of [...fresh, ...recent]) byId.set(v.id, v);
  return { voicemails: [...byId.values()].sort((a, b) => b.createdAt - a.createdAt), unhandled };
}

export async function voicemailView(db: Db, id: string): Promise<VoicemailView | undefined> {
  const row = await select(db).where(eq(voicemails.id, id)).get();
  return row ? toView(row) : undefined;
}

type Row = Omit<VoicemailView, "from" | "audioUrl"> & { from: string | null };

/** The console's view: Twilio's media URL stays in D1, the console gets the worker's audio route. */
function toView(r: Row): VoicemailView {
  return { ...r, from: r.from ?? "", audioUrl: voicemailAudioUrl(r.id) };
}

/** The agent a voicemail may be assigned to: one that exists and is not disabled. */
export async function activeAgent(db: Db, agentId: string): Promise<{ id: string; name: string } | undefined> {
  return db
    .select({ id: agents.id, name: agents.name })
    .from(agents)
    .where(and(eq(agents.id, agentId), eq(agents.disabled, false)))
    .get();
}

/** Assigns voicemail `id` to an agent, or to nobody; undefined when there is no such voicemail. */
export async function assignVoicemail(db: Db, id: string, agentId: string | null): Promise<VoicemailView | undefined> {
  const done = await db.update(voicemails).set({ assignedTo: agentId }).where(eq(voicemails.id, id)).returning({ id: voicemails.id }).get();
  return done ? voicemailView(db, id) : undefined;
}

export type HandleResult = { ok: true; voicemail: VoicemailView } | { ok: false; why: "missing" } | { ok: false; why: "handled"; handledBy: string | null; handledByName: string | null };

/**
 * Marks a "new" voicemail handled by `agentId`, in one statement, so of two agents racing only one
 * handles it; the other learns who did.
 */
export async function markHandled(db: Db, id: string, by: { agentId: string; note: string | null; at: number }): Promise<HandleResult> {
  const done = await db
    .update(voicemails)
    .set({ status: "handled", handledBy: by.agentId, handledAt: by.at, handledNote: by.note })
    .where(and(eq(voicemails.id, id), eq(voicemails.status, "new")))
    .returning({ id: voicemails.id })
    .get();
  if (done) {
    const voicemail = await voicemailView(db, id);
    if (voicemail) return { ok: true, voicemail };
  }
  const row = await db
    .select({ handledBy: voicemails.handledBy, name: agents.name })
    .from(voicemails)
    .leftJoin(agents, eq(agents.id, voicemails.handledBy))
    .where(eq(voicemails.id, id))
    .get();
  if (!row) return { ok: false, why: "missing" };
  return { ok: false, why: "handled", handledBy: row.handledBy, handledByName: row.name };
}

/** Back to "new": who handled it, when and the note are cleared. `changed` false: it was "new" already. */
export async function reopenVoicemail(db: Db, id: string): Promise<{ voicemail: VoicemailView; changed: boolean } | undefined> {
  const done = await db
    .update(voicemails)
    .set({ status: "new", handledBy: null, handledAt: null, handledNote: null })
    .where(and(eq(voicemails.id, id), eq(voicemails.status, "handled")))
    .returning({ id: voicemails.id })
    .get();
  const voicemail = await voicemailView(db, id);
  return voicemail ? { voicemail, changed: done !== undefined } : undefined;
}

/**
 * A call-back was placed from voicemail `voicemailId` (POST /api/calls/dial with voicemailId): who,
 * when and its CallSid. The status is left as it is. Undefined when there is no such voicemail.
 */
export async function markCalledBack(db: Db, voicemailId: string, by: { agentId: string; callSid: string; at: number }): Promise<VoicemailView | undefined> {
  const done = await db
    .update(voicemails)
    .set({ calledBackBy: by.agentId, calledBackAt: by.at, callbackCallSid: by.callSid })
    .where(eq(voicemails.id, voicemailId))
    .returning({ id: voicemails.id })
    .get();
  return done ? voicemailView(db, voicemailId) : undefined;
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
  const row = await select(db).where(eq(voicemails.recordingSid, t.recordingSid)).get();
  return row ? toView(row) : undefined;
}

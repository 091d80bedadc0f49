import { desc, eq } from "drizzle-orm";
import type { CallView } from "../protocol";
import type { Db } from "./client";
import { notesOf } from "./callNotes";
import { recordingsOf } from "./callRecordings";
import { calls } from "./schema";

const HISTORY = 20;

/** The latest ended calls for the consoles' history; ring details live in ring_events. */
export async function recentEndedCalls(db: Db): Promise<CallView[]> {
  const rows = await db.select().from(calls).where(eq(calls.status, "ended")).orderBy(desc(calls.endedAt)).limit(HISTORY);
  const sids = rows.map((r) => r.callSid);
  const [notes, recordings] = await Promise.all([notesOf(db, sids), recordingsOf(db, sids)]);
  return rows.map((r) => ({
    callSid: r.callSid,
    from: r.from,
    to: r.to,
    phase: r.status,
    ringTargets: null,
    declined: [],
    ringingCount: 0,
    waitingSince: null,
    claimedBy: null,
    answeredBy: r.answeredBy,
    purpose: r.direction,
    lot: null,
    transfer: null,
    outcome: r.outcome,
    startedAt: r.startedAt,
    answeredAt: r.answeredAt,
    endedAt: r.endedAt,
    seq: r.seq,
    direction: r.direction,
    dialedBy: r.dialedBy,
    dialResult: r.dialResult,
    recorded: r.recorded,
    note: notes.get(r.callSid) ?? null,
    recording: recordings.get(r.callSid) ?? null,
  }));
}

/** Whether D1 has a record of this call: a call session without state, asked to start it, is a replay. */
export async function callRecorded(db: Db, callSid: string): Promise<boolean> {
  return (await db.select({ sid: calls.callSid }).from(calls).where(eq(calls.callSid, callSid)).get()) !== undefined;
}

// Writes a call session's effects to D1. Every statement is idempotent, because an outbox entry
// can be applied twice (the object may be evicted between the D1 write and the outbox delete).

import { and, eq, isNull, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { agentView } from "../db/agents";
import type { Db } from "../db/client";
import { agents, callClaims, calls, parkedCalls, ringEvents, voicemails } from "../db/schema";
import type { CallView, ServerMessage } from "../protocol";
import type { Effect } from "./machine";

export interface OutboxEntry {
  call: CallView;
  effects: Effect[];
}

type Stmt = BatchItem<"sqlite">;

/**
 * Applies the entries in one D1 batch (one transaction) and returns the messages to publish, in order:
 * the call's own messages, then the updated agents.
 */
export async function applyEntries(db: Db, entries: OutboxEntry[]): Promise<ServerMessage[]> {
  const last = entries.at(-1);
  if (!last) return [];
  const stmts: Stmt[] = [upsertCall(db, last.call)];
  const agentStmtIndexes: number[] = [];
  const messages: ServerMessage[] = [];
  for (const { call, effects } of entries) {
    for (const e of effects) {
      if (e.type === "publish") {
        messages.push(e.message);
        continue;
      }
      if (e.type === "redirect") continue; // sent to Twilio by the call session, never from the outbox
      if (e.type === "agentBusy" || e.type === "agentFree") agentStmtIndexes.push(stmts.length);
      stmts.push(statement(db, call, e));
    }
  }
  const results = await db.batch(stmts as [Stmt, ...Stmt[]]);
  for (const i of agentStmtIndexes) {
    const rows = results[i] as (typeof agents.$inferSelect)[];
    for (const row of rows) messages.push({ type: "agent.updated", agent: agentView(row) });
  }
  return messages;
}

function statement(db: Db, call: CallView, e: Exclude<Effect, { type: "publish" | "redirect" }>): Stmt {
  switch (e.type) {
    case "record":
      return db
        .insert(ringEvents)
        .values({
          callSid: call.callSid,
          seq: e.seq,
          type: e.event,
          agentId: e.agentId,
          detail: e.detail ? JSON.stringify(e.detail) : null,
          at: e.at,
        })
        .onConflictDoNothing();
    case "claimStarted":
      return db
        .insert(callClaims)
        .values({ callSid: call.callSid, agentId: e.claim.agentId, claimedAt: e.claim.claimedAt, expiresAt: e.claim.expiresAt })
        .onConflictDoNothing();
    case "claimEnded":
      return db
        .update(callClaims)
        .set({ outcome: e.outcome, endedAt: e.at })
        .where(
          and(
            eq(callClaims.callSid, call.callSid),
            eq(callClaims.agentId, e.agentId),
            eq(callClaims.claimedAt, e.claimedAt),
            isNull(callClaims.outcome),
          ),
        );
    case "agentBusy":
      return db.update(agents).set({ currentCallSid: call.callSid }).where(eq(agents.id, e.agentId)).returning();
    case "agentFree":
      // Only if the agent is still on this call: by now they may hold another one.
      return db
        .update(agents)
        .set({ currentCallSid: null, ...(e.callEnded ? { lastCallEndedAt: e.at } : {}) })
        .where(and(eq(agents.id, e.agentId), eq(agents.currentCallSid, call.callSid)))
        .returning();
    case "lotSaved":
      return db
        .update(parkedCalls)
        .set({ parkedBy: e.lot.parkedBy, parkedAt: e.lot.parkedAt, returnAt: e.lot.returnsAt })
        .where(and(eq(parkedCalls.callSid, call.callSid), eq(parkedCalls.slot, e.lot.slot)));
    case "lotReleased":
      return db.delete(parkedCalls).where(eq(parkedCalls.callSid, call.callSid));
    case "saveVoicemail":
      return db
        .insert(voicemails)
        .values({
          id: e.recording.recordingSid,
          callSid: call.callSid,
          recordingSid: e.recording.recordingSid,
          recordingUrl: e.recording.recordingUrl,
          durationSeconds: e.recording.durationSeconds,
          createdAt: e.at,
        })
        // A transcription that overtook the recording's callback created the row already.
        .onConflictDoUpdate({
          target: voicemails.recordingSid,
          set: { recordingUrl: e.recording.recordingUrl, durationSeconds: e.recording.durationSeconds },
        });
  }
}

function upsertCall(db: Db, call: CallView): Stmt {
  const row = {
    callSid: call.callSid,
    from: call.from,
    to: call.to,
    status: call.phase,
    outcome: call.outcome,
    answeredBy: call.answeredBy,
    startedAt: call.startedAt,
    answeredAt: call.answeredAt,
    endedAt: call.endedAt,
    seq: call.seq,
  };
  return db
    .insert(calls)
    .values(row)
    .onConflictDoUpdate({
      target: calls.callSid,
      set: {
        status: row.status,
        outcome: row.outcome,
        answeredBy: row.answeredBy,
        answeredAt: row.answeredAt,
        endedAt: row.endedAt,
        seq: row.seq,
      },
      // An older view never overwrites a newer one.
      setWhere: sql`${calls.seq} < ${row.seq}`,
    });
}

// Writes a call session's effects to D1. Every statement is idempotent, because an outbox entry
// can be applied twice (the object may be evicted between the D1 write and the outbox delete).

import { and, eq, isNull, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../db/client";
import { agents, callClaims, calls, parkedCalls, ringEvents, talkSegments, voicemails } from "../db/schema";
import type { CallView, ServerMessage } from "../protocol";
import type { Effect } from "./machine";

export interface OutboxEntry {
  call: CallView;
  effects: Effect[];
}

/** A change of an agent's call, applied by the switchboard to its live picture of the team. */
export interface AgentPatch {
  agentId: string;
  callSid: string;
  /** true: the agent now holds this call; false: freed from it (if they still held it). */
  busy: boolean;
  at: number;
  callEnded: boolean;
  /**
   * The call itself is over for this agent (hung up by either side): they go into wrap-up. Not after a
   * park, a transfer or a dropped leg, which hand the caller on (callEnded is true for those too).
   */
  wrapUp: boolean;
}

type Stmt = BatchItem<"sqlite">;

/**
 * What the consoles must be told, in order, and the agents' changes: published before D1 is written,
 * because D1 is a projection and must not stand between a decision and the consoles.
 */
export function outboxMessages(entries: OutboxEntry[]): { messages: ServerMessage[]; agents: AgentPatch[]; unanswered: string[] } {
  const messages: ServerMessage[] = [];
  const agents: AgentPatch[] = [];
  // Waits that ended with nobody answering in time (not "everyone declined"): auto-pause counts them.
  const unanswered: string[] = [];
  for (const { call, effects } of entries) {
    for (const e of effects) {
      if (e.type === "publish") messages.push(e.message);
      else if (e.type === "record" && e.event === "no_answer" && e.detail?.reason === "no_answer") unanswered.push(call.callSid);
      else if (e.type === "agentBusy") agents.push({ agentId: e.agentId, callSid: call.callSid, busy: true, at: 0, callEnded: false, wrapUp: false });
      else if (e.type === "agentFree") agents.push({ agentId: e.agentId, callSid: call.callSid, busy: false, at: e.at, callEnded: e.callEnded, wrapUp: e.callEnded && call.phase === "ended" });
    }
  }
  return { messages, agents, unanswered };
}

/** Writes the entries to D1 in one batch (one transaction). */
export async function applyEntries(db: Db, entries: OutboxEntry[]): Promise<void> {
  const last = entries.at(-1);
  if (!last) return;
  const stmts: Stmt[] = [upsertCall(db, last.call)];
  for (const { call, effects } of entries) {
    for (const e of effects) {
      if (e.type === "publish" || e.type === "twilio") continue; // Twilio requests never go through the outbox
      stmts.push(statement(db, call, e));
      const talk = talkStatement(db, call, e);
      if (talk) stmts.push(talk);
    }
  }
  await db.batch(stmts as [Stmt, ...Stmt[]]);
}

/**
 * The reports' talk time (docs/reports.md): an agent's segment with the caller starts when the call
 * records them connected, and ends when the call is over for them (an agentFree that ends their part:
 * a hang-up by either side, a park, a transfer, a dropped leg).
 */
function talkStatement(db: Db, call: CallView, e: Exclude<Effect, { type: "publish" | "twilio" }>): Stmt | null {
  if (e.type === "record" && e.event === "connected" && e.agentId) {
    const purpose = typeof e.detail?.purpose === "string" ? e.detail.purpose : call.purpose;
    return db.insert(talkSegments).values({ callSid: call.callSid, agentId: e.agentId, purpose, startedAt: e.at }).onConflictDoNothing();
  }
  if (e.type === "agentFree" && e.callEnded) {
    return db
      .update(talkSegments)
      .set({ endedAt: e.at })
      .where(and(eq(talkSegments.callSid, call.callSid), eq(talkSegments.agentId, e.agentId), isNull(talkSegments.endedAt)));
  }
  return null;
}

function statement(db: Db, call: CallView, e: Exclude<Effect, { type: "publish" | "twilio" }>): Stmt {
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
      return db.update(agents).set({ currentCallSid: call.callSid }).where(eq(agents.id, e.agentId));
    case "agentFree":
      // Only if the agent is still on this call: by now they may hold another one.
      return db
        .update(agents)
        .set({ currentCallSid: null, ...(e.callEnded ? { lastCallEndedAt: e.at } : {}) })
        .where(and(eq(agents.id, e.agentId), eq(agents.currentCallSid, call.callSid)));
    case "lotSaved":
      return db
        .update(parkedCalls)
        .set({ parkedBy: e.lot.parkedBy, parkedAt: e.lot.parkedAt, returnAt: e.lot.returnsAt })
        .where(and(eq(parkedCalls.callSid, call.callSid), eq(parkedCalls.slot, e.lot.slot)));
    case "lotReleased":
      // Only this call's row, and only the reservation this entry ends: applied late (after the call
      // reserved again) or twice, it frees nothing it does not own. `slot` is absent in entries saved
      // before it existed: those free the call's row, as they did.
      return db
        .delete(parkedCalls)
        .where(e.slot == null ? eq(parkedCalls.callSid, call.callSid) : and(eq(parkedCalls.callSid, call.callSid), eq(parkedCalls.slot, e.slot)));
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
    direction: call.direction,
    dialedBy: call.dialedBy,
    dialResult: call.dialResult,
    recorded: call.recorded,
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
        dialResult: row.dialResult,
      },
      // An older view never overwrites a newer one.
      setWhere: sql`${calls.seq} < ${row.seq}`,
    });
}

// The parking lot's slot reservations in D1. The call sessions decide everything else about a parked
// call; a slot is the one thing shared across calls, and D1's single writer makes "take the first
// free slot" one atomic statement.

import { and, eq } from "drizzle-orm";
import type { Db } from "./client";
import { parkedCalls } from "./schema";

/**
 * Takes the lowest free slot from 1 to `upTo` for this call and returns it, or null when all are taken.
 * A row left by this call (its session was lost between reserving and deciding) is replaced.
 * Raw D1 statements: drizzle has no INSERT … SELECT over a recursive CTE.
 */
export async function reserveSlot(d1: D1Database, callSid: string, agentId: string, upTo: number): Promise<number | null> {
  const [, inserted] = await d1.batch<{ slot: number }>([
    d1.prepare("DELETE FROM parked_calls WHERE call_sid = ?1").bind(callSid),
    d1
      .prepare(
        `WITH RECURSIVE slots(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM slots WHERE n < ?3)
         INSERT INTO parked_calls (call_sid, slot, parked_by)
         SELECT ?1, n, ?2 FROM slots WHERE n NOT IN (SELECT slot FROM parked_calls) ORDER BY n LIMIT 1
         RETURNING slot`,
      )
      .bind(callSid, agentId, upTo),
  ]);
  return inserted?.results[0]?.slot ?? null;
}

/** Gives a reserved slot back when the park or transfer it was taken for did not happen. */
export async function releaseSlot(db: Db, callSid: string, slot: number): Promise<void> {
  await db.delete(parkedCalls).where(and(eq(parkedCalls.callSid, callSid), eq(parkedCalls.slot, slot)));
}

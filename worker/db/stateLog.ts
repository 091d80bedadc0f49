import { and, eq, isNull } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { StateChange } from "../switchboard/stateLog";
import type { Db } from "./client";
import { agentStateLog, missedRings } from "./schema";

/** Ends each changed kind's open interval at `at` and opens the new one, in one batch. */
export async function writeStateChanges(db: Db, agentId: string, changes: StateChange[], at: number): Promise<void> {
  const stmts: BatchItem<"sqlite">[] = [];
  for (const c of changes) {
    stmts.push(
      db
        .update(agentStateLog)
        .set({ endedAt: at })
        .where(and(eq(agentStateLog.agentId, agentId), eq(agentStateLog.kind, c.kind), isNull(agentStateLog.endedAt))),
    );
    if (c.open) stmts.push(db.insert(agentStateLog).values({ agentId, kind: c.kind, state: c.open.state, reason: c.open.reason, startedAt: at }));
  }
  if (stmts.length > 0) await db.batch(stmts as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
}

export async function writeMissedRings(db: Db, rings: { callSid: string; agentId: string }[], at: number): Promise<void> {
  if (rings.length === 0) return;
  await db
    .insert(missedRings)
    .values(rings.map((r) => ({ ...r, at })))
    .onConflictDoNothing();
}

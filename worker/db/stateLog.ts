import { and, eq, isNull } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { StateChange } from "../switchboard/stateLog";
import type { Db } from "./client";
import { agentStateLog, missedRings } from "./schema";

/** One agent's changed intervals, as of `at`. */
export interface AgentStateChanges {
  agentId: string;
  changes: StateChange[];
  at: number;
}

/** Statements per D1 batch: a thousand consoles connecting at once make one write per 100 statements. */
const BATCH_STATEMENTS = 100;

/** Ends each changed kind's open interval at its `at` and opens the new one, in order, a few batches for many agents. */
export async function writeStateChanges(db: Db, entries: AgentStateChanges[]): Promise<void> {
  const stmts: BatchItem<"sqlite">[] = [];
  for (const { agentId, changes, at } of entries) {
    for (const c of changes) {
      stmts.push(
        db
          .update(agentStateLog)
          .set({ endedAt: at })
          .where(and(eq(agentStateLog.agentId, agentId), eq(agentStateLog.kind, c.kind), isNull(agentStateLog.endedAt))),
      );
      if (c.open) stmts.push(db.insert(agentStateLog).values({ agentId, kind: c.kind, state: c.open.state, reason: c.open.reason, startedAt: at }));
    }
  }
  for (let i = 0; i < stmts.length; i += BATCH_STATEMENTS) {
    await db.batch(stmts.slice(i, i + BATCH_STATEMENTS) as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  }
}

export async function writeMissedRings(db: Db, rings: { callSid: string; agentId: string }[], at: number): Promise<void> {
  if (rings.length === 0) return;
  await db
    .insert(missedRings)
    .values(rings.map((r) => ({ ...r, at })))
    .onConflictDoNothing();
}

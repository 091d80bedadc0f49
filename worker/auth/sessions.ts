import { and, eq, gt, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import type { AgentRow } from "../db/agents";
import { agents, sessions } from "../db/schema";
import { randomHex, toHex } from "../hex";
import { oncePer } from "../memo";

export const SESSION_COOKIE = "ringall_session";

async function sha256(token: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
}

export async function createSession(db: Db, agentId: string, ttlMs: number, now: number): Promise<{ token: string; expiresAt: number }> {
  const token = randomHex(32);
  const expiresAt = now + ttlMs;
  // Expired sessions are swept as new ones are made, so the table does not grow without end.
  await db.batch([
    db.delete(sessions).where(lt(sessions.expiresAt, now)),
    db.insert(sessions).values({ tokenHash: await sha256(token), agentId, createdAt: now, expiresAt }),
  ]);
  return { token, expiresAt };
}

function sessionQuery(db: Db) {
  return db
    .select({ agent: agents })
    .from(sessions)
    .innerJoin(agents, eq(agents.id, sessions.agentId))
    .where(and(eq(sessions.tokenHash, sql.placeholder("tokenHash")), gt(sessions.expiresAt, sql.placeholder("now"))))
    .prepare();
}

// Built once per database: every API request runs it, and building the SQL anew each time cost
// more CPU than the rest of the lookup (bench profile).
const preparedSessionQuery = oncePer(sessionQuery);

/**
 * The agent of a live session, and the session's token hash, or null. One query (a join): every API
 * request pays for it, and under a burst of claims the D1 round trips are what queue up.
 */
export async function findSession(db: Db, token: string, now: number): Promise<{ agent: AgentRow; tokenHash: string } | null> {
  const tokenHash = await sha256(token);
  const row = await preparedSessionQuery(db).get({ tokenHash, now });
  return row ? { agent: row.agent, tokenHash } : null;
}

export async function deleteSession(db: Db, tokenHash: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
}

export async function deleteAgentSessions(db: Db, agentId: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.agentId, agentId));
}

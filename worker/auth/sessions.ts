import { and, eq, gt, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import type { AgentRow } from "../db/agents";
import { agents, sessions } from "../db/schema";
import { randomHex, toHex } from "../hex";
import { oncePer } from "../memo";

/**
 * The session cookie's name and Secure flag for a request. Over https it is `__Host-`: the browser
 * keeps such a cookie only if it is Secure, has Path=/ and no Domain, so no sibling subdomain can
 * set or overwrite it (RFC 6265bis, "The __Host- Prefix"). Browsers refuse `__Host-` cookies that are
 * not Secure, which plain-http local dev cannot be: there the name is the plain one.
 */
export function sessionCookie(url: string): { name: string; secure: boolean } {
  return url.startsWith("https:") ? { name: "__Host-ringall_session", secure: true } : { name: "ringall_session", secure: false };
}

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
    .select({ agent: agents, expiresAt: sessions.expiresAt })
    .from(sessions)
    .innerJoin(agents, eq(agents.id, sessions.agentId))
    // A disabled agent's sessions are deleted when they are disabled; this refuses any that slipped in meanwhile.
    .where(and(eq(sessions.tokenHash, sql.placeholder("tokenHash")), gt(sessions.expiresAt, sql.placeholder("now")), eq(agents.disabled, false)))
    .prepare();
}

// Built once per database: every API request runs it, and building the SQL anew each time cost
// more CPU than the rest of the lookup (bench profile).
const preparedSessionQuery = oncePer(sessionQuery);

/**
 * The agent of a live session of an agent not disabled, the session's token hash and its expiry, or
 * null. One query (a join): every API request pays for it, and under a burst of claims the D1 round
 * trips are what queue up.
 */
export async function findSession(db: Db, token: string, now: number): Promise<{ agent: AgentRow; tokenHash: string; expiresAt: number } | null> {
  const tokenHash = await sha256(token);
  const row = await preparedSessionQuery(db).get({ tokenHash, now });
  return row ? { agent: row.agent, tokenHash, expiresAt: row.expiresAt } : null;
}

export async function deleteSession(db: Db, tokenHash: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
}

/** Deletes every session of the agent; gives their token hashes (their open consoles are closed with them). */
export async function deleteAgentSessions(db: Db, agentId: string): Promise<string[]> {
  const rows = await db.delete(sessions).where(eq(sessions.agentId, agentId)).returning({ tokenHash: sessions.tokenHash });
  return rows.map((r) => r.tokenHash);
}

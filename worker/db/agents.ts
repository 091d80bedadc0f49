import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { AgentView, Role } from "../protocol";
import type { Db } from "./client";
import { agents } from "./schema";

export type AgentRow = typeof agents.$inferSelect;

/** The console's view of an agent; `online` comes from the switchboard, which alone knows it. */
export function agentView(row: AgentRow, online = false): AgentView {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    role: row.role,
    available: row.available,
    online,
    currentCallSid: row.currentCallSid,
    lastCallEndedAt: row.lastCallEndedAt,
  };
}

export function listAgents(db: Db): Promise<AgentRow[]> {
  return db.select().from(agents).orderBy(asc(agents.name));
}

export async function getAgent(db: Db, id: string): Promise<AgentRow | undefined> {
  return db.select().from(agents).where(eq(agents.id, id)).get();
}

export async function getAgentByEmail(db: Db, email: string): Promise<AgentRow | undefined> {
  return db.select().from(agents).where(eq(agents.email, email.trim().toLowerCase())).get();
}

/** Available and not on a call, longest idle first (never-used agents first of all). */
export function idleAvailableAgents(db: Db): Promise<Pick<AgentRow, "id" | "lastCallEndedAt">[]> {
  return db
    .select({ id: agents.id, lastCallEndedAt: agents.lastCallEndedAt })
    .from(agents)
    .where(and(eq(agents.available, true), isNull(agents.currentCallSid)))
    .orderBy(sql`${agents.lastCallEndedAt} IS NOT NULL`, asc(agents.lastCallEndedAt), asc(agents.createdAt));
}

export interface NewAgent {
  id: string;
  name: string;
  email: string;
  passwordHash: string;
  role: Role;
  available?: boolean;
}

export async function insertAgent(db: Db, a: NewAgent, now: number): Promise<AgentRow> {
  const [row] = await db
    .insert(agents)
    .values({ ...a, email: a.email.trim().toLowerCase(), available: a.available ?? false, createdAt: now })
    .returning();
  if (!row) throw new Error("insert returned no row");
  return row;
}

export async function updateAgent(
  db: Db,
  id: string,
  patch: Partial<Pick<AgentRow, "name" | "email" | "passwordHash" | "role" | "available">>,
): Promise<AgentRow | undefined> {
  const values = patch.email ? { ...patch, email: patch.email.trim().toLowerCase() } : patch;
  const [row] = await db.update(agents).set(values).where(eq(agents.id, id)).returning();
  return row;
}

export async function deleteAgent(db: Db, id: string): Promise<boolean> {
  const rows = await db.delete(agents).where(eq(agents.id, id)).returning({ id: agents.id });
  return rows.length > 0;
}

export async function countAgents(db: Db): Promise<number> {
  const row = await db.select({ n: sql<number>`count(*)` }).from(agents).get();
  return row?.n ?? 0;
}

import { asc, eq, sql } from "drizzle-orm";
import type { AgentView, Role } from "../protocol";
import type { Db } from "./client";
import { agents } from "./schema";

export type AgentRow = typeof agents.$inferSelect;

/** The console's view of an agent; `online` and `phoneReady` are the switchboard's, which alone knows them. */
export function agentView(row: AgentRow): AgentView {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    role: row.role,
    available: row.available,
    online: false,
    currentCallSid: row.currentCallSid,
    lastCallEndedAt: row.lastCallEndedAt,
    phoneReady: false,
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

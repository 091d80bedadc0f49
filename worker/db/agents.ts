import { asc, eq, sql } from "drizzle-orm";
import { type AdminAgentView, type AgentView, canSupervise, type OwnAgentView, type Role } from "../protocol";
import type { Db } from "./client";
import { agents } from "./schema";

export type AgentRow = typeof agents.$inferSelect;

/**
 * The console's view of an agent as D1 has it. `online`, `phoneReady` and `version` are the
 * switchboard's, which alone knows them: it overlays them (version 0 is older than any it assigns).
 */
export function agentView(row: AgentRow): AgentView {
  return {
    id: row.id,
    name: row.name,
    available: row.available,
    online: false,
    currentCallSid: row.currentCallSid,
    lastCallEndedAt: row.lastCallEndedAt,
    phoneReady: false,
    // Only the switchboard knows (its storage): D1 does not keep wrap-up.
    wrapUpUntil: null,
    awayReason: row.available ? null : row.awayReason,
    statusSince: row.statusSince,
    ...(canSupervise(row.role) ? { lead: true as const } : {}),
    version: 0,
  };
}

/** The signed-in agent's own view: the switchboard's, with their e-mail and role from D1. */
export function ownAgentView(view: AgentView, row: Pick<AgentRow, "email" | "role">): OwnAgentView {
  return { ...view, email: row.email, role: row.role };
}

/** What only an admin is shown of an agent: the switchboard's view, with the D1 row's profile. */
export function adminAgentView(view: AgentView, row: Pick<AgentRow, "email" | "role" | "disabled">): AdminAgentView {
  return { ...view, email: row.email, role: row.role, disabled: row.disabled };
}

export function listAgents(db: Db): Promise<AgentRow[]> {
  return db.select().from(agents).orderBy(asc(agents.name));
}

/**
 * The team the switchboard rings and the consoles show: every agent not disabled. A disabled agent is
 * left out of it altogether, rather than kept with a flag every ring rule would have to check.
 */
export function listTeam(db: Db): Promise<AgentRow[]> {
  return db.select().from(agents).where(eq(agents.disabled, false)).orderBy(asc(agents.name));
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
  patch: Partial<Pick<AgentRow, "name" | "email" | "passwordHash" | "role" | "available" | "awayReason" | "statusSince" | "disabled">>,
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

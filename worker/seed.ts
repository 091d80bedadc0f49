import { hashPassword } from "./auth/password";
import { countAgents } from "./db/agents";
import { readConfig } from "./config";
import type { Db } from "./db/client";
import { agents } from "./db/schema";
import type { Env } from "./env";
import { log } from "./log";
import type { Role } from "./protocol";

/** Demo accounts for `npm run dev` (DEMO_AGENTS=true with CARRIER=simulator), listed in the README. Never seeded otherwise. */
export const DEMO_ACCOUNTS = [
  { id: "admin", name: "Ada Admin", email: "admin@example.com", password: "admin-demo-password", role: "admin" },
  { id: "alice", name: "Alice Adams", email: "alice@example.com", password: "alice-demo-password", role: "agent" },
  { id: "bob", name: "Bob Brown", email: "bob@example.com", password: "bob-demo-password", role: "agent" },
  { id: "carol", name: "Carol Clark", email: "carol@example.com", password: "carol-demo-password", role: "agent" },
  // Sees the wallboard and the reports; not rung (not available at start, like the admin).
  { id: "sam", name: "Sam Supervisor", email: "sam@example.com", password: "sam-demo-password", role: "supervisor" },
] as const;

/** Per env object (one per isolate in production; a test can pass its own to check another setting). */
const seeded = new WeakSet<Env>();

/**
 * Fills an empty agents table once: the demo accounts when DEMO_AGENTS=true and CARRIER=simulator, else
 * the bootstrap admin from ADMIN_EMAIL/ADMIN_PASSWORD secrets. The demo passwords are published, so a
 * worker that can take real calls (or is not configured yet) never seeds them, whatever DEMO_AGENTS says.
 * A table that has any agent is never touched.
 */
export async function ensureSeeded(env: Env, db: Db): Promise<void> {
  if (seeded.has(env)) return;
  if ((await countAgents(db)) > 0) {
    seeded.add(env);
    return;
  }
  const now = Date.now();
  const accounts: { id: string; name: string; email: string; password: string; role: Role; available: boolean }[] = [];
  const simulator = readConfig(env).carrier === "simulator";
  if (env.DEMO_AGENTS === "true" && !simulator) log("seed.demo_refused", { reason: "DEMO_AGENTS=true counts only with CARRIER=simulator" }, "warn");
  if (env.DEMO_AGENTS === "true" && simulator) {
    accounts.push(...DEMO_ACCOUNTS.map((a) => ({ ...a, available: a.role === "agent" })));
  } else if (env.ADMIN_EMAIL && env.ADMIN_PASSWORD) {
    accounts.push({ id: "admin", name: "Administrator", email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD, role: "admin", available: false });
  }
  for (const a of accounts) {
    await db
      .insert(agents)
      .values({ id: a.id, name: a.name, email: a.email.toLowerCase(), passwordHash: await hashPassword(a.password), role: a.role, available: a.available, createdAt: now })
      .onConflictDoNothing();
  }
  if (accounts.length) log("seed.agents", { agents: accounts.map((a) => a.id) });
  seeded.add(env);
}

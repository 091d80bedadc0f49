import { Hono } from "hono";
import { z } from "zod";
import { hashPassword } from "../auth/password";
import { endAgentSessions } from "../auth/revoke";
import { adminAgentView, agentView, type AgentRow, deleteAgent, getAgent, getAgentByEmail, insertAgent, listAgents, updateAgent } from "../db/agents";
import { type AppEnv, HttpError, jsonBody } from "../http";
import { log } from "../log";
import { type AdminAgentView, AGENT_ID_PATTERN, ROLES } from "../protocol";
import { switchboard } from "../switchboard/stub";
import { requireAdmin, requireSession } from "./middleware";
import { randomHex } from "../hex";

export const agentRoutes = new Hono<AppEnv>();
agentRoutes.use(requireSession, requireAdmin);

const name = z.string().trim().min(1).max(100);
const email = z.string().trim().email().max(254);
const password = z.string().min(10, "must be at least 10 characters").max(1024);
const role = z.enum(ROLES);
const agentId = z.string().regex(AGENT_ID_PATTERN, "must be letters, digits or _ (a Twilio Client identity), at most 121");

const newAgent = z.strictObject({ id: agentId.optional(), name, email, password, role: role.default("agent"), available: z.boolean().optional() });
const agentPatch = z
  .strictObject({ name, email, password, role, available: z.boolean(), disabled: z.boolean() })
  .partial()
  .refine((p) => Object.keys(p).length > 0, "give at least one field to change");

function newAgentId(): string {
  return "ag_" + randomHex(8);
}

agentRoutes.get("/", async (c) => {
  // The switchboard's picture (presence, phones and calls are its word, ahead of D1's rows), with the
  // profile only admins see, which the consoles' feed does not carry.
  const [views, rows] = await Promise.all([switchboard(c.env).agents(), listAgents(c.var.db)]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const agents: AdminAgentView[] = views.flatMap((v) => {
    const row = byId.get(v.id);
    return row ? [adminAgentView(v, row)] : [];
  });
  // Disabled agents are not on the switchboard's team (listTeam); the admin still sees them, to enable them again.
  for (const r of rows) if (r.disabled) agents.push(adminAgentView(agentView(r), r));
  return c.json({ agents });
});

/** The agent as the switchboard sees it now (its view and version), with the profile from `row`. */
async function adminReply(env: AppEnv["Bindings"], row: AgentRow): Promise<AdminAgentView> {
  return adminAgentView((await switchboard(env).agent(row.id)) ?? agentView(row), row);
}

agentRoutes.post("/", async (c) => {
  const body = await jsonBody(c, newAgent);
  if (await getAgentByEmail(c.var.db, body.email)) throw new HttpError(409, `an agent with e-mail ${body.email} exists already`);
  const id = body.id ?? newAgentId();
  if (await getAgent(c.var.db, id)) throw new HttpError(409, `an agent with id ${id} exists already`);
  const row = await insertAgent(c.var.db, { ...body, id, passwordHash: await hashPassword(body.password) }, Date.now());
  await switchboard(c.env).publish([{ type: "agent.updated", agent: agentView(row) }]);
  log("agent.created", { agentId: row.id, by: c.var.agent.id });
  return c.json({ agent: await adminReply(c.env, row) }, 201);
});

agentRoutes.patch("/:id", async (c) => {
  const id = c.req.param("id");
  const patch = await jsonBody(c, agentPatch);
  const existing = await getAgent(c.var.db, id);
  if (!existing) throw new HttpError(404, `no agent ${id}`);
  if (patch.email) {
    const other = await getAgentByEmail(c.var.db, patch.email);
    if (other && other.id !== id) throw new HttpError(409, `an agent with e-mail ${patch.email} exists already`);
  }
  // Any role but admin (agent or supervisor) takes the admin away.
  if (patch.role !== undefined && patch.role !== "admin" && existing.role === "admin") await mustKeepAnAdmin(c.var.db, id);
  if (patch.disabled && !existing.disabled && existing.role === "admin") await mustKeepAnAdmin(c.var.db, id);
  const { password: pw, ...rest } = patch;
  // A change of `available` is a status change, as PUT /api/me/status makes it: no away reason (the
  // admin gives none), the time in status from now. The same value again changes nothing.
  const statusChanged = patch.available !== undefined && patch.available !== existing.available;
  const status = statusChanged ? { awayReason: null, statusSince: Date.now() } : {};
  const row = await updateAgent(c.var.db, id, { ...rest, ...status, ...(pw ? { passwordHash: await hashPassword(pw) } : {}) });
  if (!row) throw new HttpError(404, `no agent ${id}`);
  const disabling = row.disabled && !existing.disabled;
  // Disabling, or a new password, ends every session of the agent and closes its consoles and phones.
  if (disabling) await endAgentSessions(c.env, c.var.db, id, "agent_disabled");
  else if (pw) await endAgentSessions(c.env, c.var.db, id, "password_changed");
  // Who holds a call is the switchboard's word (D1's row may lag it): asked once no new claim can come
  // from the agent's sessions, and before the agent leaves the team (a claim won in between is
  // refused at its connect: the agent is no longer on the team).
  const held = disabling ? ((await switchboard(c.env).agent(id))?.currentCallSid ?? null) : null;
  // A disabled agent leaves the team the consoles show and the switchboard rings; enabled, it comes back.
  await switchboard(c.env).publish(
    [row.disabled ? { type: "agent.removed", agentId: id } : { type: "agent.updated", agent: agentView(row) }],
    [],
    [],
    statusChanged ? [id] : [],
  );
  // Their leg is ended at the carrier and the caller rings the others: a closed console is not enough,
  // since a browser that ignores it could stay with the caller.
  if (held) {
    // The agent is disabled and signed out already: a failure here is logged, not the admin's error.
    await c.env.CALLS.getByName(held)
      .removeAgent(id)
      .catch((error: unknown) => log("agent.remove_from_call_failed", { agentId: id, callSid: held, error: String(error) }, "error"));
  }
  log("agent.updated", { agentId: id, by: c.var.agent.id, fields: Object.keys(patch) });
  return c.json({ agent: await adminReply(c.env, row) });
});

agentRoutes.delete("/:id", async (c) => {
  const id = c.req.param("id");
  const existing = await getAgent(c.var.db, id);
  if (!existing) throw new HttpError(404, `no agent ${id}`);
  if (existing.currentCallSid) throw new HttpError(409, `${existing.name} is on a call; try again when it ends`);
  if (existing.role === "admin") await mustKeepAnAdmin(c.var.db, id);
  await endAgentSessions(c.env, c.var.db, id, "agent_removed");
  await deleteAgent(c.var.db, id);
  await switchboard(c.env).publish([{ type: "agent.removed", agentId: id }]);
  log("agent.deleted", { agentId: id, by: c.var.agent.id });
  return c.body(null, 204);
});

async function mustKeepAnAdmin(db: Parameters<typeof listAgents>[0], leaving: string): Promise<void> {
  // A disabled admin cannot sign in: only enabled ones count.
  const admins = (await listAgents(db)).filter((a) => a.role === "admin" && !a.disabled && a.id !== leaving);
  if (admins.length === 0) throw new HttpError(409, "this is the last admin: make another admin first");
}

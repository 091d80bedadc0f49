import { Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { burnPasswordCheck, verifyPassword } from "../auth/password";
import { createSession, deleteSession, SESSION_COOKIE } from "../auth/sessions";
import { agentView, getAgentByEmail, updateAgent } from "../db/agents";
import { type AppEnv, HttpError, jsonBody } from "../http";
import { log } from "../log";
import type { MeResponse } from "../protocol";
import { switchboard } from "../switchboard/stub";
import { requireSession } from "./middleware";

export const sessionRoutes = new Hono<AppEnv>();

const credentials = z.strictObject({ email: z.string().email().max(254), password: z.string().min(1).max(1024) });

sessionRoutes.post("/session", async (c) => {
  const { email, password } = await jsonBody(c, credentials);
  const agent = await getAgentByEmail(c.var.db, email);
  const ok = agent ? await verifyPassword(password, agent.passwordHash) : (await burnPasswordCheck(password), false);
  if (!agent || !ok) {
    log("session.refused", { email: email.replace(/^.*@/, "…@") }, "warn");
    throw new HttpError(401, "wrong e-mail or password");
  }
  const { token, expiresAt } = await createSession(c.var.db, agent.id, c.var.config.sessionTtlMs, Date.now());
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    secure: new URL(c.req.url).protocol === "https:",
    sameSite: "Lax",
    path: "/",
    expires: new Date(expiresAt),
  });
  log("session.created", { agentId: agent.id });
  return c.json({ agent: agentView(agent), expiresAt });
});

sessionRoutes.delete("/session", requireSession, async (c) => {
  await deleteSession(c.var.db, c.var.sessionHash);
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
  return c.body(null, 204);
});

sessionRoutes.get("/me", requireSession, async (c) => {
  const agent = (await switchboard(c.env).agent(c.var.agent.id)) ?? agentView(c.var.agent);
  const body: MeResponse = { agent, phone: c.var.config.twilioMode ? "twilio" : "simulator" };
  return c.json(body);
});

// The console's phone is ready (Voice SDK Device registered, or the simulator phone connected), or
// not: the agent is rung only while it is. The switchboard keeps it while a console is online.
const phoneState = z.strictObject({ ready: z.boolean(), reason: z.string().max(300).optional() });

sessionRoutes.put("/me/phone", requireSession, async (c) => {
  const { ready, reason } = await jsonBody(c, phoneState);
  const agent = await switchboard(c.env).setPhone(c.var.agent.id, ready);
  if (!agent) throw new HttpError(404, "your agent no longer exists");
  log("agent.phone", { agentId: agent.id, ready, ...(reason ? { reason } : {}) });
  return c.json({ agent });
});

sessionRoutes.put("/me/availability", requireSession, async (c) => {
  const { available } = await jsonBody(c, z.strictObject({ available: z.boolean() }));
  const row = await updateAgent(c.var.db, c.var.agent.id, { available });
  if (!row) throw new HttpError(404, "your agent no longer exists");
  const board = switchboard(c.env);
  await board.publish([{ type: "agent.updated", agent: agentView(row) }]);
  log("agent.availability", { agentId: row.id, available });
  return c.json({ agent: (await board.agent(row.id)) ?? agentView(row) });
});

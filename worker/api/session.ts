import { Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { burnPasswordCheck, verifyPassword } from "../auth/password";
import { endSession } from "../auth/revoke";
import { createSession, sessionCookie } from "../auth/sessions";
import { admitSignIn, signInFailed, signInSucceeded, throttleKeys } from "../auth/throttle";
import { agentView, getAgentByEmail, ownAgentView, updateAgent } from "../db/agents";
import type { Carrier } from "../config";
import { type AppEnv, type Ctx, HttpError, jsonBody } from "../http";
import { log } from "../log";
import { DEMO_ACCOUNTS } from "../seed";
import type { MeResponse, SignInThrottled } from "../protocol";
import { switchboard } from "../switchboard/stub";
import { noBody, requireSession } from "./middleware";

export const sessionRoutes = new Hono<AppEnv>();

const credentials = z.strictObject({ email: z.string().email().max(254), password: z.string().min(1).max(1024) });

sessionRoutes.post("/session", async (c) => {
  const { email, password } = await jsonBody(c, credentials);
  const now = Date.now();
  const keys = throttleKeys(email, c.req.header("CF-Connecting-IP"));
  const gate = await admitSignIn(c.var.db, keys, now);
  if (!gate.admitted) {
    // Refused before the agent is looked up or the password hashed: it costs nothing, and it reads
    // the same for an e-mail that has an agent and one that does not.
    const seconds = Math.ceil((gate.retryAt - now) / 1000);
    log("session.throttled", { email: email.replace(/^.*@/, "…@"), retryAfterSeconds: seconds }, "warn");
    const body: SignInThrottled = { error: `too many failed sign-ins: try again in ${seconds} s`, retryAt: gate.retryAt };
    return c.json(body, 429, { "Retry-After": String(seconds) });
  }
  const agent = await getAgentByEmail(c.var.db, email);
  const ok = agent ? await verifyPassword(password, agent.passwordHash) : (await burnPasswordCheck(password), false);
  // A demo account with its published password, left in a database that served the simulator first,
  // must not open a Twilio-mode server to anyone who read the README.
  const published = ok && c.var.config.carrier !== "simulator" && DEMO_ACCOUNTS.some((d) => d.email === agent?.email && d.password === password);
  if (published) log("session.demo_refused", { agentId: agent?.id ?? null }, "warn");
  if (!agent || !ok || agent.disabled || published) {
    await signInFailed(c.var.db, now);
    log("session.refused", { email: email.replace(/^.*@/, "…@") }, "warn");
    throw new HttpError(401, "wrong e-mail or password");
  }
  await signInSucceeded(c.var.db, keys);
  const { token, expiresAt } = await createSession(c.var.db, agent.id, c.var.config.sessionTtlMs, now);
  const cookie = sessionCookie(c.req.url);
  setCookie(c, cookie.name, token, { httpOnly: true, secure: cookie.secure, sameSite: "Lax", path: "/", expires: new Date(expiresAt) });
  log("session.created", { agentId: agent.id });
  // D1's view (version 0: never preferred to a switchboard's); the console asks GET /api/me next.
  return c.json({ agent: ownAgentView(agentView(agent), agent), expiresAt });
});

sessionRoutes.delete("/session", requireSession, async (c) => {
  // The consoles opened with this session close too (4401), not only the cookie.
  await endSession(c.env, c.var.db, c.var.agent.id, c.var.sessionHash);
  const cookie = sessionCookie(c.req.url);
  deleteCookie(c, cookie.name, { path: "/", secure: cookie.secure });
  return c.body(null, 204);
});

/** With no carrier configured the console has no phone to use: GET /api/me says why, even before a sign-in. */
function configuredCarrier(c: Ctx): Carrier {
  const { carrier, carrierError } = c.var.config;
  if (!carrier) throw new HttpError(503, carrierError ?? "not configured");
  return carrier;
}

sessionRoutes.get("/me", async (c, next) => {
  configuredCarrier(c);
  await next();
}, requireSession, async (c) => {
  const view = (await switchboard(c.env).agent(c.var.agent.id)) ?? agentView(c.var.agent);
  // Their own e-mail and role: the only agent's the console is given (the feed carries neither).
  const body: MeResponse = { agent: ownAgentView(view, c.var.agent), phone: configuredCarrier(c) };
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
  // The old toggle, kept for existing clients: true is Available, false is Away with no reason
  // (PUT /api/me/status sets a reason). A repeat keeps the time in status.
  const same = c.var.agent.available === available && (available || c.var.agent.awayReason === null);
  const row = await updateAgent(c.var.db, c.var.agent.id, same ? { available } : { available, awayReason: null, statusSince: Date.now() });
  if (!row) throw new HttpError(404, "your agent no longer exists");
  const board = switchboard(c.env);
  // A status set by hand starts the auto-pause's count of missed rings again.
  await board.publish([{ type: "agent.updated", agent: agentView(row) }], [], [], same ? [] : [row.id]);
  log("agent.availability", { agentId: row.id, available });
  return c.json({ agent: (await board.agent(row.id)) ?? agentView(row) });
});

// Ready: the agent ends their wrap-up early, and rings again at once (a waiting caller first).
sessionRoutes.post("/me/ready", requireSession, async (c) => {
  await noBody(c);
  const { agent, ended } = await switchboard(c.env).endWrapUp(c.var.agent.id);
  if (!agent) throw new HttpError(404, "your agent no longer exists");
  if (!ended) throw new HttpError(409, "you are not in wrap-up");
  log("agent.ready", { agentId: agent.id });
  return c.json({ agent });
});

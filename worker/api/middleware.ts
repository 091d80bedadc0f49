import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { findSession, sessionCookie } from "../auth/sessions";
import { type AppEnv, HttpError } from "../http";
import { canSupervise } from "../protocol";

/** Every API route but sign-in: the agent is always the session's, never a field of a body. */
export const requireSession = createMiddleware<AppEnv>(async (c, next) => {
  const token = getCookie(c, sessionCookie(c.req.url).name);
  const session = token ? await findSession(c.var.db, token, Date.now()) : null;
  if (!session) throw new HttpError(401, "sign in first: no valid session");
  c.set("agent", session.agent);
  c.set("sessionHash", session.tokenHash);
  c.set("sessionExpiresAt", session.expiresAt);
  await next();
});

export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  if (c.var.agent.role !== "admin") throw new HttpError(403, "only an admin may do this");
  await next();
});

/** The wallboard, the reports and the call log: supervisors and admins (canSupervise), never agents. */
export const requireSupervisor = createMiddleware<AppEnv>(async (c, next) => {
  if (!canSupervise(c.var.agent.role)) throw new HttpError(403, "only a supervisor or an admin may see the reports");
  await next();
});

/**
 * Routes that act on the session's own agent take no body: refuse one rather than ignore an agentId in
 * it. Any Content-Type but JSON is refused too (415): a form or text/plain POST is what another site
 * can send without a CORS preflight.
 */
export async function noBody(c: { req: { text(): Promise<string>; header(name: string): string | undefined } }): Promise<void> {
  const type = c.req.header("content-type");
  if (type !== undefined && !type.toLowerCase().startsWith("application/json")) throw new HttpError(415, "this endpoint takes no body (or an empty JSON one)");
  const text = (await c.req.text()).trim();
  if (text !== "" && text !== "{}") throw new HttpError(400, "this endpoint takes no body: it always acts as the signed-in agent");
}

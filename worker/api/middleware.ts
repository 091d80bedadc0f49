import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { findSession, SESSION_COOKIE } from "../auth/sessions";
import { type AppEnv, HttpError } from "../http";

/** Every API route but sign-in: the agent is always the session's, never a field of a body. */
export const requireSession = createMiddleware<AppEnv>(async (c, next) => {
  const token = getCookie(c, SESSION_COOKIE);
  const session = token ? await findSession(c.var.db, token, Date.now()) : null;
  if (!session) throw new HttpError(401, "sign in first: no valid session");
  c.set("agent", session.agent);
  c.set("sessionHash", session.tokenHash);
  await next();
});

export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  if (c.var.agent.role !== "admin") throw new HttpError(403, "only an admin may do this");
  await next();
});

/** Routes that act on the session's own agent take no body: refuse one rather than ignore an agentId in it. */
export async function noBody(c: { req: { text(): Promise<string> } }): Promise<void> {
  const text = (await c.req.text()).trim();
  if (text !== "" && text !== "{}") throw new HttpError(400, "this endpoint takes no body: it always acts as the signed-in agent");
}

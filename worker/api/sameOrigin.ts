import { createMiddleware } from "hono/factory";
import { type AppEnv, type Ctx, HttpError } from "../http";

// Cross-site request forgery: a browser attaches the agent's cookie to requests another site makes
// it send (SameSite=Lax still lets a sibling subdomain's requests through, and top-level navigations).
// The browser also says who sent them, in headers a page cannot forge: Origin (on every cross-origin
// request and every POST, PUT, PATCH, DELETE: Fetch standard, "append a request `Origin` header") and
// Sec-Fetch-Site (Fetch Metadata). Requests without either are not a browser's, and a cookie for them
// is the sender's own (curl, tests, scripts).

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function ownOrigins(c: Ctx): string[] {
  const own = [new URL(c.req.url).origin];
  if (c.var.config.publicUrl) own.push(new URL(c.var.config.publicUrl).origin);
  return own;
}

/**
 * Refuses (403) a request another site made the browser send. Sec-Fetch-Site must be absent,
 * "same-origin" or "none" (the user's own navigation): "same-site" is refused too, because a sibling
 * subdomain (another app on the same registrable domain, perhaps hosting user content) counts as
 * same-site for SameSite cookies yet is not us. An Origin must be ours ("null", sent by sandboxed
 * frames and some redirects, is not).
 */
export function refuseForeign(c: Ctx): void {
  const site = c.req.header("Sec-Fetch-Site");
  if (site !== undefined && site !== "same-origin" && site !== "none") throw new HttpError(403, `a ${site} request may not act here: open the console from its own address`);
  const origin = c.req.header("Origin");
  if (origin !== undefined && !ownOrigins(c).includes(origin)) throw new HttpError(403, `origin ${origin} may not act here`);
}

/** For /api/*: every write is checked before anything runs (the session lookup, the body's parse). */
export const sameOriginWrites = createMiddleware<AppEnv>(async (c, next) => {
  if (WRITES.has(c.req.method)) refuseForeign(c);
  await next();
});

/**
 * For WebSocket upgrades: a GET, but browsers send cookies on cross-site WebSocket handshakes and
 * there is no CORS for them, so only our own pages may open one.
 */
export const sameOriginOnly = createMiddleware<AppEnv>(async (c, next) => {
  refuseForeign(c);
  await next();
});

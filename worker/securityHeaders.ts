import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./http";

// Headers on every response the worker makes. The console's page and its assets are served by
// Workers static assets without the worker: their headers (the Content-Security-Policy among them)
// are in web/public/_headers.

/** An API response is data, never a page: nothing may run in it or frame it. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function apply(h: Headers, api: boolean): void {
  // A browser must not guess a script or a page out of a JSON or audio body.
  h.set("X-Content-Type-Options", "nosniff");
  // No page of ours has a reason to tell another site (Twilio's included) where it came from.
  h.set("Referrer-Policy", "no-referrer");
  if (!api) return;
  h.set("Content-Security-Policy", API_CSP);
  // Sessions, agents, calls and voicemails are private and change by the second: no cache (the
  // browser's or a proxy's) keeps them. A route that chose otherwise (a recording's audio) keeps its own.
  if (!h.has("Cache-Control")) h.set("Cache-Control", "no-store");
}

export const securityHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  // A WebSocket's 101 comes from the Durable Object as it is.
  if (c.res.status === 101) return;
  const api = c.req.path.startsWith("/api/");
  try {
    apply(c.res.headers, api);
  } catch {
    // A response passed on from a fetch (a stub's, Twilio's) has immutable headers: copy it.
    c.res = new Response(c.res.body, c.res);
    apply(c.res.headers, api);
  }
});

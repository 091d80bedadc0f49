import { Hono } from "hono";
import { type AppEnv, HttpError } from "../http";
import { AGENT_HEADER } from "../switchboard/Switchboard";
import { switchboard } from "../switchboard/stub";
import { requireSession } from "./middleware";

export const consoleRoutes = new Hono<AppEnv>();

// The raw upgrade goes to the switchboard's fetch: Hono's upgradeWebSocket helper would accept()
// the socket here and defeat hibernation (Cloudflare's Durable Objects WebSocket Hibernation docs).
consoleRoutes.get("/console", requireSession, async (c) => {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") throw new HttpError(426, "open this as a WebSocket");
  const origin = c.req.header("Origin");
  const allowed = new Set([new URL(c.req.url).origin, ...(c.var.config.publicUrl ? [new URL(c.var.config.publicUrl).origin] : [])]);
  // Browsers send cookies on cross-site WebSocket handshakes: only our own pages may open one.
  if (origin && !allowed.has(origin)) throw new HttpError(403, `origin ${origin} may not open the console`);
  const headers = new Headers(c.req.raw.headers);
  headers.set(AGENT_HEADER, c.var.agent.id);
  return switchboard(c.env).fetch(new Request(c.req.raw.url, { headers }));
});

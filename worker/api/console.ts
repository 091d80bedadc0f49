import { Hono } from "hono";
import { type AppEnv, HttpError } from "../http";
import { AGENT_HEADER, SESSION_EXPIRES_HEADER, SESSION_HEADER } from "../switchboard/Switchboard";
import { switchboard } from "../switchboard/stub";
import { requireSession } from "./middleware";
import { sameOriginOnly } from "./sameOrigin";

export const consoleRoutes = new Hono<AppEnv>();

// The raw upgrade goes to the switchboard's fetch: Hono's upgradeWebSocket helper would accept()
// the socket here and defeat hibernation (Cloudflare's Durable Objects WebSocket Hibernation docs).
consoleRoutes.get("/console", sameOriginOnly, requireSession, async (c) => {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") throw new HttpError(426, "open this as a WebSocket");
  const headers = new Headers(c.req.raw.headers);
  headers.set(AGENT_HEADER, c.var.agent.id);
  // The socket closes when this session ends: signed out (by its hash) or expired (at this time).
  headers.set(SESSION_HEADER, c.var.sessionHash);
  headers.set(SESSION_EXPIRES_HEADER, String(c.var.sessionExpiresAt));
  return switchboard(c.env).fetch(new Request(c.req.raw.url, { headers }));
});

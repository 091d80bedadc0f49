import { exports } from "cloudflare:workers";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { agentRoutes } from "./api/agents";
import { callRoutes } from "./api/calls";
import { consoleRoutes } from "./api/console";
import { dialRoutes } from "./api/dial";
import { sameOriginWrites } from "./api/sameOrigin";
import { recordingRoutes } from "./api/recordings";
import { reportRoutes } from "./api/reports";
import { sessionRoutes } from "./api/session";
import { settingListRoutes } from "./api/settingLists";
import { statusRoutes } from "./api/status";
import { timeZoneRoutes } from "./api/timeZone";
import { voicemailRoutes } from "./api/voicemails";
import { voiceTokenRoutes } from "./api/voiceToken";
import { readConfig } from "./config";
import type { Env } from "./env";
import { openDb } from "./db/client";
import { hostGuard } from "./hostGuard";
import { type AppEnv, errorBody, HttpError } from "./http";
import { log, logError } from "./log";
import { sweepRetention } from "./retention";
import { securityHeaders } from "./securityHeaders";
import { ensureSeeded } from "./seed";
import { twilioRoutes } from "./twilio/routes";
import { simulatorRoutes } from "../simulator/routes";

export { CallSession } from "./call/CallSession";
export { Switchboard } from "./switchboard/Switchboard";
export { SimCall } from "../simulator/SimCall";
export { SimCarrier } from "../simulator/SimCarrier";
export { SimConference } from "../simulator/SimConference";

const app = new Hono<AppEnv>();

app.use(securityHeaders);
app.use(async (c, next) => {
  c.set("config", readConfig(c.env));
  c.set("db", openDb(c.env.DB));
  await next();
});
// Another site's writes are refused before anything else runs (see api/sameOrigin.ts).
app.use("/api/*", sameOriginWrites);
app.use(hostGuard);

app.use("/api/*", bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.json({ error: "body too large (16 KiB at most)" }, 413) }));
app.use("/sim/*", bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.json({ error: "body too large" }, 413) }));
app.use("/api/*", async (c, next) => {
  await ensureSeeded(c.env, c.var.db);
  await next();
});

app.route("/twilio", twilioRoutes);
app.route("/api", sessionRoutes);
app.route("/api", statusRoutes);
app.route("/api", consoleRoutes);
app.route("/api", voiceTokenRoutes);
app.route("/api", voicemailRoutes);
app.route("/api", recordingRoutes);
app.route("/api", settingListRoutes);
app.route("/api", dialRoutes);
app.route("/api", timeZoneRoutes);
app.route("/api", reportRoutes);
app.route("/api/agents", agentRoutes);
app.route("/api/calls", callRoutes);
app.route("/sim", simulatorRoutes);

// A monitor sees a worker that refuses calls as unhealthy, with the setting to fix.
app.get("/healthz", (c) => {
  const { carrier, carrierError } = c.var.config;
  return carrier ? c.json({ ok: true, mode: carrier }) : c.json({ ok: false, mode: null, error: carrierError }, 503);
});

app.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404));

app.onError((err, c) => {
  if (err instanceof HttpError) return c.json(errorBody(err), err.status);
  // Never send a stack to a client; the log line has what an operator needs.
  logError("http.error", err, { method: c.req.method, path: c.req.path });
  return c.json({ error: "internal error" }, 500);
});

/** The Cron Trigger (wrangler.toml [triggers]): the retention sweep, bounded per run (worker/retention.ts). */
async function scheduled(controller: ScheduledController, env: Env): Promise<void> {
  try {
    // `exports`: the worker's own entrypoint, through which the carrier simulator is reached locally.
    await sweepRetention(env, exports, controller.scheduledTime);
  } catch (err) {
    log("retention.failed", { cron: controller.cron, error: String(err) }, "error");
    throw err;
  }
}

export { app };
export default { fetch: app.fetch, scheduled } satisfies ExportedHandler<Env>;

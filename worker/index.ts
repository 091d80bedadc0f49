import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { agentRoutes } from "./api/agents";
import { callRoutes } from "./api/calls";
import { consoleRoutes } from "./api/console";
import { sessionRoutes } from "./api/session";
import { voicemailRoutes } from "./api/voicemails";
import { voiceTokenRoutes } from "./api/voiceToken";
import { readConfig } from "./config";
import { openDb } from "./db/client";
import { type AppEnv, errorBody, HttpError } from "./http";
import { log } from "./log";
import { ensureSeeded } from "./seed";
import { twilioRoutes } from "./twilio/routes";
import { simulatorRoutes } from "../simulator/routes";

export { CallSession } from "./call/CallSession";
export { Switchboard } from "./switchboard/Switchboard";
export { SimCall } from "../simulator/SimCall";
export { SimCarrier } from "../simulator/SimCarrier";
export { SimConference } from "../simulator/SimConference";

const app = new Hono<AppEnv>();

app.use(async (c, next) => {
  c.set("config", readConfig(c.env));
  c.set("db", openDb(c.env.DB));
  await next();
});

app.use("/api/*", bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.json({ error: "body too large (16 KiB at most)" }, 413) }));
app.use("/sim/*", bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.json({ error: "body too large" }, 413) }));
app.use("/api/*", async (c, next) => {
  await ensureSeeded(c.env, c.var.db);
  await next();
});

app.route("/twilio", twilioRoutes);
app.route("/api", sessionRoutes);
app.route("/api", consoleRoutes);
app.route("/api", voiceTokenRoutes);
app.route("/api", voicemailRoutes);
app.route("/api/agents", agentRoutes);
app.route("/api/calls", callRoutes);
app.route("/sim", simulatorRoutes);

app.get("/healthz", (c) => c.json({ ok: true, mode: c.var.config.twilioMode ? "twilio" : "simulator" }));

app.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404));

app.onError((err, c) => {
  if (err instanceof HttpError) return c.json(errorBody(err), err.status);
  // Never send a stack to a client; the log line has what an operator needs.
  log("http.error", { method: c.req.method, path: c.req.path, error: String(err), stack: err instanceof Error ? err.stack : undefined }, "error");
  return c.json({ error: "internal error" }, 500);
});

export default app;

import { Hono } from "hono";
import { z } from "zod";
import { agentView, updateAgent } from "../db/agents";
import { type AppEnv, HttpError, jsonBody } from "../http";
import { log } from "../log";
import type { AwayReasonsBody } from "../protocol";
import { switchboard } from "../switchboard/stub";
import { cleanAwayReasons, getAwayReasons, isListedReason, setAwayReasons } from "../status/awayReasons";
import { requireAdmin, requireSession } from "./middleware";

/** The agent's status (available, or away with a reason) and the admin's list of away reasons. */
export const statusRoutes = new Hono<AppEnv>();

const statusBody = z.discriminatedUnion("status", [
  z.strictObject({ status: z.literal("available") }),
  z.strictObject({ status: z.literal("away"), reason: z.string().min(1).max(100) }),
]);

statusRoutes.put("/me/status", requireSession, async (c) => {
  const body = await jsonBody(c, statusBody);
  let awayReason: string | null = null;
  if (body.status === "away") {
    const reasons = await getAwayReasons(c.var.db);
    if (!isListedReason(reasons, body.reason)) throw new HttpError(400, `not an away reason: choose one of ${reasons.join(", ")}`);
    awayReason = body.reason;
  }
  const available = body.status === "available";
  const row = await updateAgent(c.var.db, c.var.agent.id, { available, awayReason, statusSince: Date.now() });
  if (!row) throw new HttpError(404, "your agent no longer exists");
  const board = switchboard(c.env);
  await board.publish([{ type: "agent.updated", agent: agentView(row) }]);
  log("agent.status", { agentId: row.id, status: body.status, ...(awayReason ? { reason: awayReason } : {}) });
  return c.json({ agent: (await board.agent(row.id)) ?? agentView(row) });
});

statusRoutes.get("/settings/away-reasons", requireSession, async (c) => {
  const body: AwayReasonsBody = { reasons: await getAwayReasons(c.var.db) };
  return c.json(body);
});

const reasonsBody = z.strictObject({ reasons: z.array(z.string().max(200)).max(100) });

statusRoutes.put("/settings/away-reasons", requireSession, requireAdmin, async (c) => {
  const { reasons } = await jsonBody(c, reasonsBody);
  const clean = cleanAwayReasons(reasons);
  if (!clean.ok) throw new HttpError(400, clean.error);
  await setAwayReasons(c.var.db, clean.reasons, Date.now());
  log("settings.away_reasons", { agentId: c.var.agent.id, count: clean.reasons.length });
  const body: AwayReasonsBody = { reasons: clean.reasons };
  return c.json(body);
});

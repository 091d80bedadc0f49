import { Hono } from "hono";
import { z } from "zod";
import { agentView, updateAgent } from "../db/agents";
import { type AppEnv, HttpError, jsonBody } from "../http";
import { log } from "../log";
import { AWAY_REASONS_LIST, getSettingList } from "../db/settingLists";
import { switchboard } from "../switchboard/stub";
import { requireSession } from "./middleware";

/** The agent's status: available, or away with a reason from the admin's list (worker/api/settingLists.ts). */
export const statusRoutes = new Hono<AppEnv>();

const statusBody = z.discriminatedUnion("status", [
  z.strictObject({ status: z.literal("available") }),
  z.strictObject({ status: z.literal("away"), reason: z.string().min(1).max(100) }),
]);

statusRoutes.put("/me/status", requireSession, async (c) => {
  const body = await jsonBody(c, statusBody);
  let awayReason: string | null = null;
  if (body.status === "away") {
    const reasons = await getSettingList(c.var.db, AWAY_REASONS_LIST);
    // Exactly as listed: the console sends the list's own strings.
    if (!reasons.includes(body.reason)) throw new HttpError(400, `not an away reason: choose one of ${reasons.join(", ")}`);
    awayReason = body.reason;
  }
  const available = body.status === "available";
  const row = await updateAgent(c.var.db, c.var.agent.id, { available, awayReason, statusSince: Date.now() });
  if (!row) throw new HttpError(404, "your agent no longer exists");
  const board = switchboard(c.env);
  // A status set by hand starts the auto-pause's count of missed rings again.
  await board.publish([{ type: "agent.updated", agent: agentView(row) }], [], [], [row.id]);
  log("agent.status", { agentId: row.id, status: body.status, ...(awayReason ? { reason: awayReason } : {}) });
  return c.json({ agent: (await board.agent(row.id)) ?? agentView(row) });
});

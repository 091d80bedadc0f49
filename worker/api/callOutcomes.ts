import { Hono } from "hono";
import { z } from "zod";
import { callOutcomes, saveCallOutcomes } from "../db/callNotes";
import { type AppEnv, jsonBody } from "../http";
import { log } from "../log";
import { CALL_OUTCOME_LIMITS, type CallOutcomesBody } from "../protocol";
import { requireAdmin, requireSession } from "./middleware";

// The call outcomes an agent picks from for a call's note: every agent reads them, an admin edits them.
export const callOutcomeRoutes = new Hono<AppEnv>();

const outcomesBody = z.strictObject({
  outcomes: z
    .array(z.string().trim().min(1, "an outcome needs a name").max(CALL_OUTCOME_LIMITS.maxLength))
    .min(1, "keep at least one outcome")
    .max(CALL_OUTCOME_LIMITS.maxItems)
    .refine((list) => new Set(list.map((o) => o.toLowerCase())).size === list.length, "each outcome once"),
});

callOutcomeRoutes.get("/settings/call-outcomes", requireSession, async (c) => c.json({ outcomes: await callOutcomes(c.var.db) } satisfies CallOutcomesBody));

callOutcomeRoutes.put("/settings/call-outcomes", requireSession, requireAdmin, async (c) => {
  const { outcomes } = await jsonBody(c, outcomesBody);
  await saveCallOutcomes(c.var.db, outcomes, Date.now());
  log("api.call_outcomes_saved", { agentId: c.var.agent.id, count: outcomes.length });
  return c.json({ outcomes } satisfies CallOutcomesBody);
});

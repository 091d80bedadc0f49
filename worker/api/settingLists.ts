import { Hono } from "hono";
import { z } from "zod";
import { AWAY_REASONS_LIST, CALL_OUTCOMES_LIST, getSettingList, saveSettingList, type SettingList, settingListSchema } from "../db/settingLists";
import { type AppEnv, jsonBody } from "../http";
import { log } from "../log";
import type { AwayReasonsBody, CallOutcomesBody } from "../protocol";
import { requireAdmin, requireSession } from "./middleware";

// The admin-edited lists of the team's settings: every agent reads them, an admin replaces them whole.
export const settingListRoutes = new Hono<AppEnv>();

/** GET and PUT `/settings/{path}`, whose body (both ways) is `{ [field]: string[] }`. */
function listRoutes(path: string, field: keyof AwayReasonsBody | keyof CallOutcomesBody, list: SettingList): void {
  const body = z.strictObject({ [field]: settingListSchema(list) });
  settingListRoutes.get(`/settings/${path}`, requireSession, async (c) => c.json({ [field]: await getSettingList(c.var.db, list) }));
  settingListRoutes.put(`/settings/${path}`, requireSession, requireAdmin, async (c) => {
    const items = (await jsonBody(c, body))[field] ?? [];
    await saveSettingList(c.var.db, list, items, Date.now());
    log("settings.list_saved", { key: list.key, agentId: c.var.agent.id, count: items.length });
    return c.json({ [field]: items });
  });
}

listRoutes("away-reasons", "reasons", AWAY_REASONS_LIST);
listRoutes("call-outcomes", "outcomes", CALL_OUTCOMES_LIST);

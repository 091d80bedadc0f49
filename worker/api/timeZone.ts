import { Hono } from "hono";
import { z } from "zod";
import { type AppEnv, HttpError, jsonBody } from "../http";
import { log } from "../log";
import type { TimeZoneBody } from "../protocol";
import { canonicalTimeZone } from "../reports/periods";
import { saveTeamTimeZone, teamTimeZone } from "../reports/timeZone";
import { requireAdmin, requireSession } from "./middleware";

// The team's time zone, in which the reports count their days and hours: every agent reads it, an
// admin sets it (an IANA name Intl knows, such as "Europe/Paris"; "UTC" until set).
export const timeZoneRoutes = new Hono<AppEnv>();

const body = z.strictObject({ timeZone: z.string().min(1).max(64) });

timeZoneRoutes.get("/settings/time-zone", requireSession, async (c) => c.json({ timeZone: await teamTimeZone(c.var.db) } satisfies TimeZoneBody));

timeZoneRoutes.put("/settings/time-zone", requireSession, requireAdmin, async (c) => {
  const { timeZone } = await jsonBody(c, body);
  const canonical = canonicalTimeZone(timeZone);
  if (!canonical) throw new HttpError(400, `unknown time zone "${timeZone}": give an IANA name such as "Europe/Paris" or "UTC"`);
  await saveTeamTimeZone(c.var.db, canonical, Date.now());
  log("settings.time_zone_saved", { agentId: c.var.agent.id, timeZone: canonical });
  return c.json({ timeZone: canonical } satisfies TimeZoneBody);
});

import { Hono } from "hono";
import { recentVoicemails } from "../db/voicemails";
import type { AppEnv } from "../http";
import { requireSession } from "./middleware";

export const voicemailRoutes = new Hono<AppEnv>();

voicemailRoutes.get("/voicemails", requireSession, async (c) => c.json({ voicemails: await recentVoicemails(c.var.db) }));

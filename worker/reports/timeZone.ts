import type { Db } from "../db/client";
import { readSetting, writeSetting } from "../db/settings";
import { canonicalTimeZone } from "./periods";

// The team's time zone (a setting an admin edits): the reports' days and hours are its local ones.

export const TIME_ZONE_KEY = "time_zone";
export const DEFAULT_TIME_ZONE = "UTC";

/** The team's time zone; unset, unreadable or no longer known to Intl, "UTC". */
export async function teamTimeZone(db: Db): Promise<string> {
  const v = (await readSetting(db, TIME_ZONE_KEY)) as { timeZone?: unknown } | undefined;
  return (typeof v?.timeZone === "string" && canonicalTimeZone(v.timeZone)) || DEFAULT_TIME_ZONE;
}

export async function saveTeamTimeZone(db: Db, timeZone: string, now: number): Promise<void> {
  await writeSetting(db, TIME_ZONE_KEY, { timeZone }, now);
}

import { eq } from "drizzle-orm";
import type { Db } from "./client";
import { settings } from "./schema";

// The team's settings an admin edits, one row per key, each a JSON value. Each setting's own module
// says what its value may be and what it reads as when unset or unreadable.

/** The stored value of `key` parsed as JSON; undefined when unset or unreadable. */
export async function readSetting(db: Db, key: string): Promise<unknown> {
  const row = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, key)).get();
  if (!row) return undefined;
  try {
    return JSON.parse(row.value) as unknown;
  } catch {
    return undefined;
  }
}

export async function writeSetting(db: Db, key: string, value: unknown, now: number): Promise<void> {
  const json = JSON.stringify(value);
  await db.insert(settings).values({ key, value: json, updatedAt: now }).onConflictDoUpdate({ target: settings.key, set: { value: json, updatedAt: now } });
}

/** The settings key of the team's call recording setting (see recordingSetting). */
export const RECORDING_KEY = "call_recording";
export const DEFAULT_RECORDING_ANNOUNCEMENT = "This call may be recorded for quality and training.";
export const RECORDING_ANNOUNCEMENT_MAX_LENGTH = 300;

export interface RecordingSetting {
  /** Off by default: every answered call is recorded while it is on. */
  enabled: boolean;
  /** Said to the caller before an agent joins (the consent announcement), in the admin's words. */
  announcement: string;
}

/** The recording setting; unset or unreadable reads as off, with the default announcement. */
export async function recordingSetting(db: Db): Promise<RecordingSetting> {
  const v = (await readSetting(db, RECORDING_KEY)) as Partial<RecordingSetting> | undefined;
  const announcement = typeof v?.announcement === "string" && v.announcement.trim() !== "" ? v.announcement : DEFAULT_RECORDING_ANNOUNCEMENT;
  return { enabled: v?.enabled === true, announcement };
}

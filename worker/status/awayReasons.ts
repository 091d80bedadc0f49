import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { settings } from "../db/schema";
import { AWAY_REASON_MAX_LENGTH, AWAY_REASONS_MAX, DEFAULT_AWAY_REASONS } from "../protocol";

/** The settings row that holds the admin's away reasons (a JSON array of strings). */
export const AWAY_REASONS_KEY = "away_reasons";

/**
 * An admin's list, cleaned: each reason trimmed, empty ones and repeats (case-insensitive) dropped.
 * Returns the list, or why it is refused (too long a reason, too many, none at all).
 */
export function cleanAwayReasons(raw: string[]): { ok: true; reasons: string[] } | { ok: false; error: string } {
  const reasons: string[] = [];
  const seen = new Set<string>();
  for (const r of raw) {
    const t = r.trim().replace(/\s+/g, " ");
    if (t === "") continue;
    if (t.length > AWAY_REASON_MAX_LENGTH) return { ok: false, error: `an away reason has at most ${AWAY_REASON_MAX_LENGTH} characters` };
    if (seen.has(t.toLowerCase())) continue;
    seen.add(t.toLowerCase());
    reasons.push(t);
  }
  if (reasons.length === 0) return { ok: false, error: "give at least one away reason" };
  if (reasons.length > AWAY_REASONS_MAX) return { ok: false, error: `at most ${AWAY_REASONS_MAX} away reasons` };
  return { ok: true, reasons };
}

/** Parses the stored value; anything unreadable reads as the defaults. */
export function parseAwayReasons(value: string | null | undefined): string[] {
  if (!value) return [...DEFAULT_AWAY_REASONS];
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed) && parsed.every((r) => typeof r === "string")) {
      const clean = cleanAwayReasons(parsed);
      if (clean.ok) return clean.reasons;
    }
  } catch {
    // fall through
  }
  return [...DEFAULT_AWAY_REASONS];
}

/** Whether `reason` is on the list: exactly as listed (the console sends the list's own strings). */
export function isListedReason(reasons: readonly string[], reason: string): boolean {
  return reasons.includes(reason);
}

export async function getAwayReasons(db: Db): Promise<string[]> {
  const row = await db.select().from(settings).where(eq(settings.key, AWAY_REASONS_KEY)).get();
  return parseAwayReasons(row?.value);
}

export async function setAwayReasons(db: Db, reasons: string[], now: number): Promise<void> {
  const value = JSON.stringify(reasons);
  await db
    .insert(settings)
    .values({ key: AWAY_REASONS_KEY, value, updatedAt: now })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: now } });
}

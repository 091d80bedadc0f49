import { z } from "zod";
import { AWAY_REASON_MAX_LENGTH, AWAY_REASONS_MAX, CALL_OUTCOME_LIMITS, DEFAULT_AWAY_REASONS, DEFAULT_CALL_OUTCOMES } from "../protocol";
import type { Db } from "./client";
import { readSetting, writeSetting } from "./settings";

// An admin-edited list in the team's settings (the away reasons, the call outcomes): one definition
// per list, one policy for all. An item is trimmed (inner runs of white space become one space); a
// list with a blank item, the same item twice (ignoring case), too many items, too long an item or
// no item at all is refused whole, and nothing is saved.

export interface SettingList {
  /** The settings key its value is kept under (a JSON array of strings). */
  key: string;
  /** What it reads as until an admin saves one, or when the stored value is unreadable. */
  defaults: readonly string[];
  maxItems: number;
  /** Characters per item, after trimming. */
  maxLength: number;
  /** One item, in words, for the messages: "away reason". */
  noun: string;
}

export const AWAY_REASONS_LIST: SettingList = {
  key: "away_reasons",
  defaults: DEFAULT_AWAY_REASONS,
  maxItems: AWAY_REASONS_MAX,
  maxLength: AWAY_REASON_MAX_LENGTH,
  noun: "away reason",
};

export const CALL_OUTCOMES_LIST: SettingList = {
  key: "call_outcomes",
  defaults: DEFAULT_CALL_OUTCOMES,
  maxItems: CALL_OUTCOME_LIMITS.maxItems,
  maxLength: CALL_OUTCOME_LIMITS.maxLength,
  noun: "call outcome",
};

/** An item as stored: trimmed, inner white space one space. */
export function tidyItem(item: string): string {
  return item.trim().replace(/\s+/g, " ");
}

/** The schema of a list of this kind: the items tidied, or every reason it is refused (the duplicates named). */
export function settingListSchema(list: SettingList) {
  return z
    .array(
      z
        .string()
        .transform(tidyItem)
        .pipe(
          z
            .string()
            .min(1, `a ${list.noun} cannot be blank`)
            .max(list.maxLength, `a ${list.noun} has at most ${list.maxLength} characters`),
        ),
    )
    .min(1, `give at least one ${list.noun}`)
    .max(list.maxItems, `at most ${list.maxItems} ${list.noun}s`)
    .superRefine((items, ctx) => {
      const first = new Map<string, string>();
      items.forEach((item, i) => {
        if (item === "") return; // reported as blank
        const key = item.toLowerCase();
        const earlier = first.get(key);
        if (earlier === undefined) first.set(key, item);
        else ctx.addIssue({ code: "custom", path: [i], message: `"${item}" is listed twice${earlier === item ? "" : ` (as "${earlier}")`}` });
      });
    });
}

/** Reads a stored value: a valid list as it is, anything else (unset, unreadable, invalid) as the defaults. */
export function parseSettingList(list: SettingList, stored: unknown): string[] {
  const parsed = settingListSchema(list).safeParse(stored);
  return parsed.success ? parsed.data : [...list.defaults];
}

/** The team's list: the admin's, or the defaults. */
export async function getSettingList(db: Db, list: SettingList): Promise<string[]> {
  return parseSettingList(list, await readSetting(db, list.key));
}

/** Saves a list that passed settingListSchema (the route validated it). */
export async function saveSettingList(db: Db, list: SettingList, items: string[], now: number): Promise<void> {
  await writeSetting(db, list.key, items, now);
}

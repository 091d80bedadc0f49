// The admin-edited lists of the settings (away reasons, call outcomes): one definition each, one
// policy, one get/save pair (worker/db/settingLists.ts).
import { describe, expect, it } from "vitest";
import {
  AWAY_REASONS_LIST,
  CALL_OUTCOMES_LIST,
  getSettingList,
  parseSettingList,
  saveSettingList,
  type SettingList,
  settingListSchema,
} from "../../worker/db/settingLists";
import { writeSetting } from "../../worker/db/settings";
import { DEFAULT_AWAY_REASONS, DEFAULT_CALL_OUTCOMES } from "../../worker/protocol";
import { db, unique } from "./helpers";

const messages = (list: SettingList, items: unknown) => {
  const parsed = settingListSchema(list).safeParse(items);
  return parsed.success ? [] : parsed.error.issues.map((i) => i.message);
};

describe.each([AWAY_REASONS_LIST, CALL_OUTCOMES_LIST])("the $noun list", (list) => {
  it("tidies each item: trimmed, inner white space one space, order kept", () => {
    expect(settingListSchema(list).parse([" Lunch ", "Coffee  \t break", "training"])).toEqual(["Lunch", "Coffee break", "training"]);
  });

  it("refuses a blank item, naming the kind of list", () => {
    expect(messages(list, ["Lunch", "  "])).toEqual([`a ${list.noun} cannot be blank`]);
    expect(messages(list, [""])).toEqual([`a ${list.noun} cannot be blank`]);
  });

  it("refuses the same item twice, ignoring case and spaces, and names it", () => {
    expect(messages(list, ["Lunch", "Break", " lunch"])).toEqual(['"lunch" is listed twice (as "Lunch")']);
    expect(messages(list, ["Lunch", "Lunch"])).toEqual(['"Lunch" is listed twice']);
    expect(messages(list, ["Coffee break", "coffee   BREAK"])).toEqual(['"coffee BREAK" is listed twice (as "Coffee break")']);
  });

  it("refuses no item, too many, too long (after trimming), and what is not a list of strings", () => {
    expect(messages(list, [])).toEqual([`give at least one ${list.noun}`]);
    const many = Array.from({ length: list.maxItems + 1 }, (_, i) => `Item ${i}`);
    expect(messages(list, many)).toEqual([`at most ${list.maxItems} ${list.noun}s`]);
    expect(messages(list, many.slice(1))).toEqual([]);
    expect(messages(list, ["x".repeat(list.maxLength + 1)])).toEqual([`a ${list.noun} has at most ${list.maxLength} characters`]);
    expect(messages(list, [` ${"x".repeat(list.maxLength)} `])).toEqual([]);
    expect(messages(list, ["Lunch", 3])).toHaveLength(1);
    expect(messages(list, "Lunch")).toHaveLength(1);
  });

  it("reads a stored value; unset, unreadable or invalid reads as the defaults", () => {
    expect(parseSettingList(list, undefined)).toEqual([...list.defaults]);
    expect(parseSettingList(list, { a: 1 })).toEqual([...list.defaults]);
    expect(parseSettingList(list, [])).toEqual([...list.defaults]);
    expect(parseSettingList(list, ["Nap", "nap"])).toEqual([...list.defaults]);
    expect(parseSettingList(list, ["Nap", 1])).toEqual([...list.defaults]);
    expect(parseSettingList(list, ["Nap", "Walk"])).toEqual(["Nap", "Walk"]);
  });
});

describe("the two lists' definitions", () => {
  it("keep their settings keys, defaults and limits", () => {
    expect(AWAY_REASONS_LIST).toMatchObject({ key: "away_reasons", defaults: DEFAULT_AWAY_REASONS, maxItems: 20, maxLength: 40 });
    expect(CALL_OUTCOMES_LIST).toMatchObject({ key: "call_outcomes", defaults: DEFAULT_CALL_OUTCOMES, maxItems: 20, maxLength: 40 });
  });
});

describe("getSettingList and saveSettingList (D1)", () => {
  // A list of its own, so that the real lists other test files use are not touched.
  const list: SettingList = { key: unique("list_"), defaults: ["A", "B"], maxItems: 3, maxLength: 10, noun: "thing" };

  it("reads the defaults until a list is saved, then the saved list; a broken row reads as the defaults", async () => {
    expect(await getSettingList(db(), list)).toEqual(["A", "B"]);
    await saveSettingList(db(), list, ["C"], 1);
    expect(await getSettingList(db(), list)).toEqual(["C"]);
    await saveSettingList(db(), list, ["D", "E"], 2);
    expect(await getSettingList(db(), list)).toEqual(["D", "E"]);
    await writeSetting(db(), list.key, ["way too long a thing"], 3);
    expect(await getSettingList(db(), list)).toEqual(["A", "B"]);
    await writeSetting(db(), list.key, "not a list", 4);
    expect(await getSettingList(db(), list)).toEqual(["A", "B"]);
  });
});

// The note editor's draft (web/src/noteDraft.ts): a note saved on another console of the same author
// refreshes an editor with no unsaved changes, and waits beside one with changes.
import { describe, expect, it } from "vitest";
import { edit, isDirty, noteArrived, sending, startDraft, takeNewer } from "../../web/src/noteDraft";
import type { CallNote } from "../../worker/protocol";

const note = (over: Partial<CallNote> = {}): CallNote => ({ text: "Refund", outcome: "Resolved", authorId: "a", updatedAt: 10, ...over });

describe("the note editor's draft", () => {
  it("starts from the saved note, or empty; unsaved changes make it dirty", () => {
    expect(startDraft(undefined)).toMatchObject({ base: null, text: "", outcome: "", newer: null });
    const d = startDraft(note());
    expect(d).toMatchObject({ text: "Refund", outcome: "Resolved" });
    expect(isDirty(d)).toBe(false);
    expect(isDirty(edit(d, { text: "Refund sent" }))).toBe(true);
    expect(isDirty(edit(d, { outcome: "" }))).toBe(true);
    expect(isDirty(edit(startDraft(undefined), { text: "" }))).toBe(false);
  });

  it("with no unsaved changes, shows a note saved on another console", () => {
    const saved = note({ text: "Refund sent", outcome: "Follow-up", updatedAt: 20 });
    const d = noteArrived(startDraft(note()), saved);
    expect(d).toMatchObject({ base: saved, text: "Refund sent", outcome: "Follow-up", newer: null });
    // The first note of a call, written on the other console, fills an untouched empty editor.
    expect(noteArrived(startDraft(undefined), note({ outcome: null }))).toMatchObject({ text: "Refund", outcome: "", newer: null });
  });

  it("with unsaved changes, keeps them and says a newer version exists; Load it takes the newer", () => {
    const mine = edit(startDraft(note()), { text: "Refund, half typed" });
    const saved = note({ text: "Refund sent", updatedAt: 20 });
    const d = noteArrived(mine, saved);
    expect(d).toMatchObject({ text: "Refund, half typed", outcome: "Resolved", newer: saved, base: note() });
    expect(takeNewer(d)).toMatchObject({ base: saved, text: "Refund sent", newer: null });
    // Typed on an empty editor, and the other console saved the first note meanwhile.
    expect(noteArrived(edit(startDraft(undefined), { text: "Mine" }), note())).toMatchObject({ text: "Mine", newer: note() });
  });

  it("its own save is no news: the draft stays, even with text typed since", () => {
    const sent = sending(edit(startDraft(note()), { text: "Refund sent" }));
    const echoed = note({ text: "Refund sent", updatedAt: 20 });
    expect(noteArrived(sent, echoed)).toMatchObject({ base: echoed, text: "Refund sent", newer: null, sent: null });
    const typedSince = edit(sent, { text: "Refund sent, and" });
    const d = noteArrived(typedSince, echoed);
    expect(d).toMatchObject({ base: echoed, text: "Refund sent, and", newer: null });
    expect(isDirty(d)).toBe(true);
  });

  it("a note saved elsewhere that says what the draft says settles it", () => {
    const d = noteArrived(edit(startDraft(note()), { text: "Same words" }), note({ text: "Same words", updatedAt: 20 }));
    expect(d).toMatchObject({ text: "Same words", newer: null });
    expect(isDirty(d)).toBe(false);
  });

  it("ignores a copy not newer than the one it started from", () => {
    const mine = edit(startDraft(note({ updatedAt: 20 })), { text: "x" });
    expect(noteArrived(mine, note({ text: "old", updatedAt: 10 }))).toBe(mine);
    expect(noteArrived(mine, note({ updatedAt: 20 }))).toBe(mine);
  });
});

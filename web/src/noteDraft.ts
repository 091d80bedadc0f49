// The note editor's draft against the saved note: a note saved elsewhere (another console of the same
// author, call.noted) replaces an editor with no unsaved changes, and waits beside one with changes.
import type { CallNote } from "../../worker/protocol";

export interface NoteDraft {
  /** The saved note the draft was last in step with; null while the call has none. */
  base: CallNote | null;
  text: string;
  /** "" for no outcome. */
  outcome: string;
  /** A newer saved note not shown, because the draft had unsaved changes. */
  newer: CallNote | null;
  /** What this editor last sent to be saved (its own call.noted is then no news). */
  sent: { text: string; outcome: string } | null;
}

const fields = (note: CallNote | null) => ({ text: note?.text ?? "", outcome: note?.outcome ?? "" });
const sameAs = (a: { text: string; outcome: string }, note: CallNote) => a.text === note.text && a.outcome === (note.outcome ?? "");

export function startDraft(note: CallNote | null | undefined): NoteDraft {
  return { base: note ?? null, ...fields(note ?? null), newer: null, sent: null };
}

/** Whether the draft differs from the note it started from. */
export function isDirty(d: NoteDraft): boolean {
  const b = fields(d.base);
  return d.text !== b.text || d.outcome !== b.outcome;
}

export function edit(d: NoteDraft, change: { text?: string; outcome?: string }): NoteDraft {
  return { ...d, ...change };
}

/** The draft is on its way to be saved. */
export function sending(d: NoteDraft): NoteDraft {
  return { ...d, sent: { text: d.text, outcome: d.outcome } };
}

/**
 * The board's note for this call changed (call.noted from this console's save or another's). Not newer
 * than the base: nothing. The draft's own content, or what this editor sent: now the base, the draft
 * kept. Otherwise, with no unsaved changes the draft becomes the note; with some, they are kept and
 * the note waits in `newer`.
 */
export function noteArrived(d: NoteDraft, note: CallNote): NoteDraft {
  if (d.base && note.updatedAt <= d.base.updatedAt) return d;
  if (sameAs(d, note) || (d.sent && sameAs(d.sent, note))) return { ...d, base: note, newer: null, sent: null };
  if (!isDirty(d)) return startDraft(note);
  return { ...d, newer: note };
}

/** Drops the unsaved changes for the newer note. */
export function takeNewer(d: NoteDraft): NoteDraft {
  return d.newer ? startDraft(d.newer) : d;
}

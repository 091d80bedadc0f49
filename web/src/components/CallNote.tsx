import { createEffect, createSignal, For, on, Show } from "solid-js";
import { CALL_NOTE_MAX_LENGTH, type CallNote, type CallView } from "../../../worker/protocol";
import { edit, type NoteDraft, noteArrived, sending, startDraft, takeNewer } from "../noteDraft";
import type { ConsoleStore } from "../store";

/** A call's note as the history shows it: the outcome, the text and who wrote it. */
export function NoteText(props: { note: CallNote; console: ConsoleStore }) {
  const author = () => props.console.board.agents[props.note.authorId]?.name ?? props.note.authorId;
  return (
    <p class="call-note" data-testid="call-note">
      <Show when={props.note.outcome}>
        {(o) => (
          <span class="note-outcome" data-testid="note-outcome">
            {o()}
          </span>
        )}
      </Show>{" "}
      <span data-testid="note-text">{props.note.text}</span> <span class="note-author">— {author()}</span>
    </p>
  );
}

/**
 * The note editor for my own call: a text, an outcome from the admin's list, and Save. A note saved on
 * another console of mine replaces what it shows when nothing here is unsaved; otherwise the unsaved
 * text stays, with word of the newer version and a button to load it (noteDraft.ts).
 */
export function NoteEditor(props: { call: CallView; console: ConsoleStore }) {
  const c = props.console;
  const sid = () => props.call.callSid;
  const held = () => c.board.notes[sid()];
  // A plain copy, read field by field: the board's store reconciles a note in place, so the object
  // itself neither changes nor stays as it was.
  const saved = (): CallNote | undefined => {
    const n = held();
    return n && { text: n.text, outcome: n.outcome, authorId: n.authorId, updatedAt: n.updatedAt };
  };
  const [draft, setDraft] = createSignal<NoteDraft>(startDraft(saved()));
  createEffect(
    on(saved, (note) => {
      if (note) setDraft((d) => noteArrived(d, note));
    }),
  );
  const text = () => draft().text;
  const outcome = () => draft().outcome;
  const [saving, setSaving] = createSignal(false);
  const [status, setStatus] = createSignal("");
  const id = () => `note-${sid()}`;
  // An outcome saved earlier that the admin has since removed stays selectable for this note.
  const choices = () => {
    const list = c.outcomes();
    const kept = [held()?.outcome, draft().outcome].filter((o): o is string => !!o && !list.includes(o));
    return [...list, ...new Set(kept)];
  };
  const save = async (e: Event) => {
    e.preventDefault();
    if (saving()) return;
    setSaving(true);
    setStatus("Saving…");
    setDraft(sending);
    const ok = await c.saveNote(sid(), text(), outcome() || null);
    setSaving(false);
    setStatus(ok ? "Saved" : "");
  };
  return (
    <form class="note-editor" data-testid="note-editor" onSubmit={(e) => void save(e)}>
      <label for={`${id()}-text`}>Note</label>
      <textarea
        id={`${id()}-text`}
        data-testid="note-input"
        rows={2}
        maxLength={CALL_NOTE_MAX_LENGTH}
        value={text()}
        onInput={(e) => {
          const value = e.currentTarget.value;
          setDraft((d) => edit(d, { text: value }));
          setStatus("");
        }}
      />
      <div class="actions">
        <label for={`${id()}-outcome`}>Outcome</label>
        <select
          id={`${id()}-outcome`}
          data-testid="note-outcome-select"
          onChange={(e) => {
            const value = e.currentTarget.value;
            setDraft((d) => edit(d, { outcome: value }));
            setStatus("");
          }}
        >
          <option value="" selected={outcome() === ""}>
            No outcome
          </option>
          <For each={choices()}>
            {(o) => (
              <option value={o} selected={o === outcome()}>
                {o}
              </option>
            )}
          </For>
        </select>
        <button type="submit" data-testid="note-save" disabled={saving()}>
          Save note
        </button>
        <span role="status" class="note-status">
          {status()}
        </span>
      </div>
      <Show when={draft().newer}>
        <p class="note-newer" data-testid="note-newer" role="status">
          A newer version of this note was saved on another console.{" "}
          <button type="button" data-testid="note-load-newer" onClick={() => setDraft(takeNewer)}>
            Load it
          </button>{" "}
          (your unsaved text is replaced), or Save to keep yours.
        </p>
      </Show>
    </form>
  );
}

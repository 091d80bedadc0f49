import { createSignal, For, Show } from "solid-js";
import { CALL_NOTE_MAX_LENGTH, type CallNote, type CallView } from "../../../worker/protocol";
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

/** The note editor for my own call: a text, an outcome from the admin's list, and Save. */
export function NoteEditor(props: { call: CallView; console: ConsoleStore }) {
  const c = props.console;
  const sid = () => props.call.callSid;
  const held = () => c.board.notes[sid()];
  const [text, setText] = createSignal(held()?.text ?? "");
  const [outcome, setOutcome] = createSignal(held()?.outcome ?? "");
  const [saving, setSaving] = createSignal(false);
  const [status, setStatus] = createSignal("");
  const id = () => `note-${sid()}`;
  // An outcome saved earlier that the admin has since removed stays selectable for this note.
  const choices = () => {
    const list = c.outcomes();
    const kept = held()?.outcome;
    return kept && !list.includes(kept) ? [...list, kept] : list;
  };
  const save = async (e: Event) => {
    e.preventDefault();
    if (saving()) return;
    setSaving(true);
    setStatus("Saving…");
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
          setText(e.currentTarget.value);
          setStatus("");
        }}
      />
      <div class="actions">
        <label for={`${id()}-outcome`}>Outcome</label>
        <select
          id={`${id()}-outcome`}
          data-testid="note-outcome-select"
          onChange={(e) => {
            setOutcome(e.currentTarget.value);
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
    </form>
  );
}

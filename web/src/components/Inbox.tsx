import { createMemo, createSignal, For, type JSX, Show } from "solid-js";
import { VOICEMAIL_NOTE_MAX_LENGTH, type VoicemailView } from "../../../worker/protocol";
import { assigneeOptions, calledBackText, clockTime, handledText, INBOX_TABS, type InboxTab, inboxTab, tabLabel, unhandledLabel } from "../inbox";
import type { ConsoleStore } from "../store";

/** The header's badge: how many voicemails nobody has handled yet, live. */
export function InboxCount(props: { console: ConsoleStore }) {
  const n = () => props.console.board.unhandledVoicemails;
  return (
    <a href="#voicemail-title" class="inbox-count" classList={{ none: n() === 0 }} data-testid="inbox-count" data-count={n()} aria-label={unhandledLabel(n()) ?? "No unhandled voicemail"}>
      Inbox <span class="count">{n()}</span>
    </a>
  );
}

/**
 * The voicemail inbox: New, Mine and Handled tabs; each voicemail with its player and transcription,
 * whom it is assigned to, Mark handled (with a note) or Reopen, and who called back. `callBack`: the
 * slot where the lead's Call back button goes (rendered inside `[data-slot="call-back"]`).
 */
export function Inbox(props: { console: ConsoleStore; callBack?: (v: VoicemailView) => JSX.Element }) {
  const c = props.console;
  const [tab, setTab] = createSignal<InboxTab>("new");
  const shown = createMemo(() => inboxTab(c.board.voicemails, tab(), c.me.id));
  const empty = () => (tab() === "new" ? "No new voicemail." : tab() === "mine" ? "No new voicemail is assigned to you." : "No handled voicemail.");
  return (
    <section class="panel inbox" aria-labelledby="voicemail-title">
      <h2 id="voicemail-title">Voicemail</h2>
      <div class="inbox-tabs" role="tablist" aria-label="Voicemail inbox">
        <For each={INBOX_TABS}>
          {(t) => (
            <button
              type="button"
              role="tab"
              class="quiet"
              data-testid={`inbox-tab-${t}`}
              aria-selected={tab() === t}
              onClick={() => setTab(t)}
            >
              {tabLabel(t, c.board.voicemails, c.me.id, c.board.unhandledVoicemails)}
            </button>
          )}
        </For>
      </div>
      <Show when={shown().length > 0} fallback={<p class="empty">{empty()}</p>}>
        <ul role="tabpanel">
          <For each={shown()}>{(v) => <InboxItem voicemail={v} console={c} callBack={props.callBack} />}</For>
        </ul>
      </Show>
    </section>
  );
}

function InboxItem(props: { voicemail: VoicemailView; console: ConsoleStore; callBack?: (v: VoicemailView) => JSX.Element }) {
  const c = props.console;
  const v = () => props.voicemail;
  const [note, setNote] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const options = createMemo(() => assigneeOptions(c.board.agents));
  const act = async (fn: () => Promise<boolean>, after?: () => void) => {
    if (busy()) return;
    setBusy(true);
    const ok = await fn();
    setBusy(false);
    if (ok) after?.();
  };
  const markHandled = (e: Event) => {
    e.preventDefault();
    void act(
      () => c.handleVoicemail(v().id, note()),
      () => setNote(""),
    );
  };
  const id = () => `vm-${v().id}`;
  return (
    <li data-testid="voicemail-item" data-voicemail-id={v().id} data-status={v().status}>
      <p>
        <strong>{v().from}</strong> at {clockTime(v().createdAt)}, {v().durationSeconds} s
      </p>
      <audio controls preload="metadata" src={v().audioUrl} aria-label={`Voicemail from ${v().from}`} />
      <p class="transcript">{v().transcription ?? "Transcription pending…"}</p>
      <div class="inbox-actions">
        <label for={`${id()}-assignee`}>Assigned to</label>{" "}
        <select
          id={`${id()}-assignee`}
          data-testid="assignee"
          disabled={busy()}
          onChange={(e) => {
            const select = e.currentTarget;
            const to = select.value || null;
            // Refused: show what the server holds again (the feed brings any change that was made).
            void act(() => c.assignVoicemail(v().id, to)).then(() => (select.value = v().assignedTo ?? ""));
          }}
        >
          <option value="" selected={v().assignedTo === null}>
            Nobody
          </option>
          <Show when={v().assignedTo !== null && !c.board.agents[v().assignedTo!]}>
            <option value={v().assignedTo!} selected>
              a former agent
            </option>
          </Show>
          <For each={options()}>
            {(a) => (
              <option value={a.id} selected={a.id === v().assignedTo}>
                {a.id === c.me.id ? `${a.name} (me)` : a.name}
              </option>
            )}
          </For>
        </select>
        {/* The lead's Call back button goes here (POST /api/calls/dial with this voicemail's id). */}
        <span data-slot="call-back">{props.callBack?.(v())}</span>
      </div>
      <Show when={calledBackText(v(), c.board.agents)}>
        {(text) => (
          <p class="called-back" data-testid="called-back">
            {text()}
          </p>
        )}
      </Show>
      <Show
        when={handledText(v(), c.board.agents)}
        fallback={
          <form class="handle-form" data-testid="handle-form" onSubmit={markHandled}>
            <label for={`${id()}-note`}>Note (optional)</label>
            <textarea
              id={`${id()}-note`}
              data-testid="handled-note"
              rows={1}
              maxLength={VOICEMAIL_NOTE_MAX_LENGTH}
              value={note()}
              onInput={(e) => setNote(e.currentTarget.value)}
            />
            <button type="submit" data-testid="mark-handled" disabled={busy()}>
              Mark handled
            </button>
          </form>
        }
      >
        {(text) => (
          <p class="handled">
            <span data-testid="handled-by">{text()}</span>{" "}
            <button type="button" class="quiet" data-testid="reopen" disabled={busy()} onClick={() => void act(() => c.reopenVoicemail(v().id))}>
              Reopen
            </button>
          </p>
        )}
      </Show>
    </li>
  );
}

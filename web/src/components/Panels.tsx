import { callBackNumber } from "../dialing";
import { CallBackButton } from "./Dialer";
import { For, Show } from "solid-js";
import { mayWriteNote, outcomeText, waitingCalls, waitingSinceOf, waitingText } from "../board";
import type { ConsoleStore } from "../store";
import { NoteEditor, NoteText } from "./CallNote";
import { RecordedMark, RecordingPlayer } from "./Recording";
import { WaitTime } from "./clock";

const time = (at: number) => new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

export function Waiting(props: { console: ConsoleStore }) {
  const c = props.console;
  return (
    <section class="panel" aria-labelledby="waiting-title">
      <h2 id="waiting-title">Calls waiting</h2>
      <Show when={waitingCalls(c.board).length > 0} fallback={<p class="empty">No call is waiting.</p>}>
        <ul>
          <For each={waitingCalls(c.board)}>
            {(call) => (
              <li data-testid="waiting-call" data-purpose={call.purpose} classList={{ "in-line": call.phase === "ringing" && call.ringingCount === 0 }}>
                <strong>{call.from}</strong>
                <RecordedMark call={call} />{" "}
                <span data-testid="ringing-count" data-count={call.phase === "ringing" ? call.ringingCount : undefined}>
                  {waitingText(call, Object.values(c.board.agents))}
                </span>
                <Show when={call.phase === "ringing"}>
                  {" "}
                  · waiting{" "}
                  <WaitTime since={waitingSinceOf(call)} />
                </Show>
                <Show when={c.phoneKind === "simulator"}>
                  {" "}
                  <button class="quiet" onClick={() => void c.callerHangsUp(call.callSid)}>
                    Caller hangs up
                  </button>
                </Show>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}

export function History(props: { console: ConsoleStore }) {
  const c = props.console;
  return (
    <section class="panel" aria-labelledby="history-title">
      <h2 id="history-title">Recent calls</h2>
      <Show when={c.board.history.length > 0} fallback={<p class="empty">No call yet.</p>}>
        <ul>
          <For each={c.board.history}>
            {(call) => (
              <li data-testid="history-item" data-outcome={call.outcome ?? ""} data-call-sid={call.callSid}>
                {time(call.startedAt)} {call.direction === "outbound" ? "→ " : ""}
                <strong>{call.direction === "outbound" ? call.to : call.from}</strong>: {outcomeText(c.board, call)}
                <Show when={callBackNumber(call)}>{(n) => <CallBackButton console={c} number={n()} />}</Show>
                <Show when={c.board.recordings[call.callSid]}>{(r) => <RecordingPlayer recording={r()} from={call.from} />}</Show>
                <Show when={c.board.notes[call.callSid]}>{(note) => <NoteText note={note()} console={c} />}</Show>
                <Show when={mayWriteNote(call, c.board.notes[call.callSid], c.me.id)}>
                  <details class="note-details">
                    <summary data-testid="note-toggle">{c.board.notes[call.callSid] ? "Edit note" : "Add a note"}</summary>
                    <NoteEditor call={call} console={c} />
                  </details>
                </Show>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}

import { createMemo, createSignal, For, Show } from "solid-js";
import type { AgentView, CallView } from "../../../worker/protocol";
import { activeCallOf, agentState, mayWriteNote, ringingFor, ringingText, ringLabel, transferTargets, waitingSinceOf } from "../board";
import type { ConsoleStore } from "../store";
import { NoteEditor } from "./CallNote";
import { Timer, useNow, WaitTime } from "./clock";
import { StatusPicker } from "./StatusPicker";
import { statusText } from "../status";
import { startDrag, useDropTarget } from "./drag";
import { WrapUp } from "./WrapUp";
import { RecordedMark } from "./Recording";

const LABELS = { offline: "Offline", unavailable: "Unavailable", available: "Available", ringing: "Ringing", "on-call": "On a call" };

export function AgentCard(props: { agent: AgentView; console: ConsoleStore }) {
  const c = props.console;
  const mine = () => props.agent.id === c.me.id;
  const state = createMemo(() => agentState(c.board, props.agent));
  const rings = createMemo(() => ringingFor(c.board, props.agent.id));
  const active = createMemo(() => activeCallOf(c.board, props.agent.id));
  // While my retrieve request is out, the board does not know yet: the card says so already.
  const retrievingHere = () => mine() && !active() && c.retrieving() !== null;
  const drop = useDropTarget(c, () => ({ kind: "agent", agentId: props.agent.id }));
  return (
    <article
      class={`card state-${state()} ${mine() ? "mine" : ""}`}
      classList={{ "drop-ok": drop.accepts(), "drop-over": drop.over() }}
      data-testid={`agent-card-${props.agent.id}`}
      data-state={state()}
      aria-label={`${props.agent.name}: ${LABELS[state()]}`}
      onDragEnter={drop.handlers.onDragEnter}
      onDragOver={drop.handlers.onDragOver}
      onDragLeave={drop.handlers.onDragLeave}
      onDrop={drop.handlers.onDrop}
    >
      <header>
        <h2>{props.agent.name}</h2>
        <span class="badge" data-testid="card-state">
          {LABELS[state()]}
        </span>
      </header>
      {/* My own phone has the console's banner; a colleague's shows here: they are not rung meanwhile. */}
      <Show when={!mine() && props.agent.online && !props.agent.phoneReady}>
        <p class="phone-off" data-testid="card-phone">
          Phone not ready: not rung
        </p>
      </Show>
      <Show when={!props.agent.available}>
        <StatusLine agent={props.agent} />
      </Show>
      <Show when={mine()}>
        <StatusPicker agent={props.agent} console={c} />
      </Show>
      <Show when={!active() ? props.agent.wrapUpUntil : null}>
        {(until) => <WrapUp until={until()} mine={mine()} pending={c.readying()} onReady={() => void c.ready()} />}
      </Show>
      <Show when={retrievingHere()}>
        <div class="call connected" data-testid="retrieving">
          <p>Retrieving…</p>
        </div>
      </Show>
      <Show when={active()}>{(call) => <ActiveCall call={call()} mine={mine()} console={c} />}</Show>
      <Show when={!active()}>
        <For each={rings()}>
          {(call) => (
            <div class={`call ringing purpose-${call.purpose}`} data-testid="ring" data-purpose={call.purpose}>
              <Show
                when={call.purpose !== "inbound"}
                fallback={
                  <p>
                    <span class="pulse" aria-hidden="true" /> <span data-testid="ring-label">Incoming call</span> from <strong data-testid="caller">{call.from}</strong>
                  </p>
                }
              >
                <p>
                  <span class="pulse" aria-hidden="true" /> <strong data-testid="ring-label">{ringLabel(c.board, call)}</strong>
                </p>
                <p>
                  Caller <strong data-testid="caller">{call.from}</strong>
                </p>
              </Show>
              <p class="ring-meta">
                <span data-testid="ringing-count" data-count={call.ringingCount}>
                  {ringingText(call)}
                </span>{" "}
                · waiting <WaitTime since={waitingSinceOf(call)} />
              </p>
              <Show when={mine()}>
                <div class="actions">
                  <button
                    class="answer"
                    data-testid="answer"
                    disabled={!!c.pending()[call.callSid]}
                    aria-keyshortcuts="Alt+Shift+A"
                    onClick={() => void c.answer(call.callSid)}
                  >
                    {c.pending()[call.callSid] === "answering" ? "Answering…" : "Answer"}
                  </button>
                  <button
                    class="decline"
                    data-testid="decline"
                    disabled={!!c.pending()[call.callSid]}
                    aria-keyshortcuts="Alt+Shift+D"
                    onClick={() => void c.decline(call.callSid)}
                  >
                    Decline
                  </button>
                </div>
              </Show>
            </div>
          )}
        </For>
      </Show>
    </article>
  );
}

/** The call on a card. On my own card, when connected, it can be dragged to the lot or to a colleague. */
function ActiveCall(props: { call: CallView; mine: boolean; console: ConsoleStore }) {
  const c = props.console;
  const movable = () => props.mine && props.call.phase === "connected";
  // Only a park or transfer in flight holds these buttons: a retrieve's or an answer's own HTTP
  // answer may still be on its way when the call is already connected here.
  const busy = () => (c.handingOver(props.call.callSid) ? c.pending()[props.call.callSid] : undefined);
  const targets = createMemo(() => transferTargets(c.board, c.me.id));
  const [target, setTarget] = createSignal("");
  // A colleague who stops being free drops out of the list, and out of the selection.
  const chosen = () => (targets().some((a) => a.id === target()) ? target() : "");
  const outbound = () => props.call.direction === "outbound";
  const dialing = () => props.call.phase === "dialing";
  const heading = () => {
    if (props.call.phase === "connected") return "Talking to";
    if (dialing()) return "Calling";
    if (outbound() && props.call.answeredAt === null) return "Answered: connecting to";
    return props.call.purpose === "retrieve" ? "Retrieving…" : "Connecting to";
  };
  const card = (
    <div
      class="call connected"
      classList={{ movable: movable(), dragging: c.dragging()?.callSid === props.call.callSid }}
      data-testid="active-call"
      data-call-sid={props.call.callSid}
      draggable={movable()}
      title={movable() ? "Drag to the parking lot to park, or onto a free colleague to transfer" : undefined}
      onDragStart={(e) => {
        if (!movable() || !e.dataTransfer) return e.preventDefault();
        startDrag(c, e.dataTransfer, { callSid: props.call.callSid, kind: "active" });
      }}
      onDragEnd={() => c.setDragging(null)}
    >
      <p>
        {heading()} <strong data-testid="caller">{outbound() ? props.call.to : props.call.from}</strong>
        <RecordedMark call={props.call} />
      </p>
      <Show when={props.call.answeredAt}>{(at) => <Timer since={at()} />}</Show>
      <Show when={props.mine}>
        <div class="actions">
          <button
            class="danger"
            data-testid="hangup"
            disabled={c.pending()[props.call.callSid] === "hanging-up"}
            onClick={() => void c.hangup(props.call.callSid)}
          >
            {c.pending()[props.call.callSid] === "hanging-up" ? "Hanging up…" : dialing() ? "Cancel" : "Hang up"}
          </button>
          <Show when={!dialing()}>
            <button data-testid="mute" aria-pressed={c.muted()} onClick={() => c.toggleMute(props.call.callSid)}>
              {c.muted() ? "Unmute" : "Mute"}
            </button>
          </Show>
          <Show when={props.call.phase === "connected"}>
            <button data-testid="park" aria-keyshortcuts="Alt+Shift+P" disabled={!!busy()} onClick={() => void c.park(props.call.callSid)}>
              {busy() === "parking" ? "Parking…" : "Park"}
            </button>
          </Show>
        </div>
        <Show when={props.call.phase === "connected"}>
          <div class="actions transfer">
            <label>
              <span class="sr-only">Transfer to</span>
              <select data-testid="transfer-select" value={chosen()} disabled={!!busy()} onChange={(e) => setTarget(e.currentTarget.value)}>
                <option value="">{targets().length > 0 ? "Transfer to…" : "Nobody free to take it"}</option>
                <For each={targets()}>{(a) => <option value={a.id}>{a.name}</option>}</For>
              </select>
            </label>
            <button data-testid="transfer" disabled={!chosen() || !!busy()} onClick={() => void c.transfer(props.call.callSid, chosen())}>
              {busy() === "transferring" ? "Transferring…" : "Transfer"}
            </button>
          </div>
        </Show>
      </Show>
    </div>
  );
  // The note sits outside the draggable call, so that selecting its text never starts a drag.
  return (
    <>
      {card}
      <Show when={props.mine && props.call.phase === "connected" && mayWriteNote(props.call, c.board.notes[props.call.callSid], c.me.id)}>
        <NoteEditor call={props.call} console={c} />
      </Show>
    </>
  );
}


/** "Away · Lunch · 12 min": counts on by itself (its clock ticks only while shown). */
function StatusLine(props: { agent: AgentView }) {
  const now = useNow();
  return (
    <p class="status-line" data-testid="card-status">
      {statusText(props.agent, now())}
    </p>
  );
}

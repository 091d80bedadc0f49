import { createMemo, For, Show } from "solid-js";
import type { CallView } from "../../../worker/protocol";
import { activeCallOf, lotStatus, parkedCalls } from "../board";
import type { ConsoleStore } from "../store";
import { clock, useNow } from "./clock";
import { startDrag, useDropTarget } from "./drag";
import { RecordedMark } from "./Recording";

/**
 * The parking lot: one row per slot in use, for every agent. My connected call can be dropped here
 * to park it; a waiting row can be dragged onto my own card, or retrieved with its button.
 */
export function ParkingLot(props: { console: ConsoleStore }) {
  const c = props.console;
  const now = useNow();
  const calls = createMemo(() => parkedCalls(c.board));
  const drop = useDropTarget(c, () => ({ kind: "lot" }));
  return (
    <section
      class="panel lot"
      classList={{ "drop-ok": drop.accepts(), "drop-over": drop.over() }}
      aria-labelledby="lot-title"
      data-testid="parking-lot"
      onDragEnter={drop.handlers.onDragEnter}
      onDragOver={drop.handlers.onDragOver}
      onDragLeave={drop.handlers.onDragLeave}
      onDrop={drop.handlers.onDrop}
    >
      <h2 id="lot-title">Parking lot</h2>
      <Show when={drop.accepts()}>
        <p class="drop-hint">Drop here to park the call</p>
      </Show>
      <Show when={calls().length > 0} fallback={<p class="empty">Parking lot is empty</p>}>
        <ul>
          <For each={calls()}>{(call) => <ParkedRow call={call} now={now()} console={c} />}</For>
        </ul>
      </Show>
    </section>
  );
}

function ParkedRow(props: { call: CallView; now: number; console: ConsoleStore }) {
  const c = props.console;
  const lot = () => props.call.lot!;
  const name = (id: string) => c.board.agents[id]?.name ?? id;
  const waiting = () => props.call.phase === "parked";
  // One call at a time: an agent on a call, or already retrieving one, cannot take another.
  const busy = () => !!activeCallOf(c.board, c.me.id) || c.retrieving() !== null;
  const pending = () => c.pending()[props.call.callSid];
  const canRetrieve = () => waiting() && !busy() && !pending();
  return (
    <li
      class="parked"
      classList={{ movable: canRetrieve(), dragging: c.dragging()?.callSid === props.call.callSid, away: !waiting() }}
      data-testid="parked-call"
      data-slot={lot().slot}
      data-call-sid={props.call.callSid}
      data-phase={props.call.phase}
      draggable={canRetrieve()}
      title={canRetrieve() ? "Drag onto your own card to retrieve" : undefined}
      onDragStart={(e) => {
        if (!canRetrieve() || !e.dataTransfer) return e.preventDefault();
        startDrag(c, e.dataTransfer, { callSid: props.call.callSid, kind: "parked" });
      }}
      onDragEnd={() => c.setDragging(null)}
    >
      <span class="slot" aria-label={`Slot ${lot().slot}`}>
        {lot().slot}
      </span>
      <div class="parked-body">
        <p>
          <strong data-testid="caller">{props.call.from}</strong> <span class="parked-by">parked by {name(lot().parkedBy)}</span>
          <RecordedMark call={props.call} />
        </p>
        <Show when={waiting()} fallback={<p class="status" data-testid="park-status">{lotStatus(c.board, props.call)}</p>}>
          <p class="times">
            <Show when={lot().parkedAt}>
              {(at) => (
                <span>
                  waited{" "}
                  <span class="timer" data-testid="park-wait" role="timer">
                    {clock(props.now - at())}
                  </span>
                </span>
              )}
            </Show>
            <Show when={lot().returnsAt}>
              {(at) => (
                <span>
                  {" "}
                  · returns in{" "}
                  <span class="timer" data-testid="park-countdown" role="timer" aria-label={`Returns in ${clock(at() - props.now)}`}>
                    {clock(at() - props.now)}
                  </span>
                </span>
              )}
            </Show>
          </p>
        </Show>
      </div>
      <div class="actions">
        <button
          data-testid="retrieve"
          disabled={!canRetrieve()}
          aria-keyshortcuts="Alt+Shift+R"
          aria-label={`Retrieve the call from ${props.call.from} in slot ${lot().slot}`}
          onClick={() => void c.retrieve(props.call.callSid)}
        >
          {pending() === "retrieving" ? "Retrieving…" : "Retrieve"}
        </button>
        <Show when={c.phoneKind === "simulator"}>
          <button class="quiet" onClick={() => void c.callerHangsUp(props.call.callSid)}>
            Caller hangs up
          </button>
        </Show>
      </div>
    </li>
  );
}

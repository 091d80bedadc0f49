import { createMemo, For, onCleanup, onMount, Show } from "solid-js";
import type { AgentView } from "../../../worker/protocol";
import { activeCallOf, ringingFor } from "../board";
import { unlockAudio } from "../ringtone";
import { createConsole } from "../store";
import { AgentCard } from "./AgentCard";
import { History, Voicemails, Waiting } from "./Panels";
import { ParkingLot } from "./ParkingLot";

export function Board(props: { me: AgentView; phone: "twilio" | "simulator"; onSignedOut: () => void }) {
  const c = createConsole(props.me, props.phone, props.onSignedOut);
  const agents = createMemo(() =>
    Object.values(c.board.agents).sort((a, b) => (a.id === props.me.id ? -1 : b.id === props.me.id ? 1 : a.name.localeCompare(b.name))),
  );
  // Keyboard: Alt+Shift+A answers the oldest ring, Alt+Shift+D declines it, Alt+Shift+P parks my
  // connected call, Alt+Shift+R retrieves the call in the lowest slot.
  const onKey = (e: KeyboardEvent) => {
    if (!e.altKey || !e.shiftKey) return;
    const active = activeCallOf(c.board, props.me.id);
    if (e.code === "KeyP" && active?.phase === "connected") return void c.park(active.callSid);
    if (e.code === "KeyR" && !active) return c.retrieveFirst();
    const ring = ringingFor(c.board, props.me.id)[0];
    if (!ring || active) return;
    if (e.code === "KeyA") void c.answer(ring.callSid);
    if (e.code === "KeyD") void c.decline(ring.callSid);
  };
  // A dragged element can vanish mid-drag (the call ended, or was parked by the keyboard): its own
  // dragend then never fires, so the document ends every drag.
  const endDrag = () => c.setDragging(null);
  onMount(() => {
    void c.start();
    document.addEventListener("keydown", onKey);
    document.addEventListener("dragend", endDrag);
    document.addEventListener("drop", endDrag);
    document.addEventListener("pointerdown", unlockAudio, { once: true });
  });
  onCleanup(() => {
    c.stop();
    document.removeEventListener("keydown", onKey);
    document.removeEventListener("dragend", endDrag);
    document.removeEventListener("drop", endDrag);
  });
  return (
    <div class="console">
      <header>
        <h1>ringall</h1>
        <span class={`link link-${c.link()}`} data-testid="connection-status" role="status">
          {c.link() === "online" ? "Connected" : c.link() === "connecting" ? "Connecting…" : c.link() === "closed" ? "Closed" : "Offline: reconnecting…"}
        </span>
        <span class="me">Signed in as {props.me.name}</span>
        <Show when={props.phone === "simulator"}>
          <button onClick={() => void c.placeTestCall()} data-testid="place-test-call">
            Place a test call
          </button>
        </Show>
        <button class="quiet" onClick={() => void c.signOut()}>
          Sign out
        </button>
      </header>
      <Show when={props.phone === "simulator"}>
        <p class="banner" role="note" data-testid="simulator-banner">
          Carrier simulator: no Twilio account is configured, so calls are simulated on this machine.
        </p>
      </Show>
      <Show when={c.phoneBanner()}>
        {(text) => (
          <p class="banner phone" role="alert" data-testid="phone-banner">
            {text()}{" "}
            <Show when={!activeCallOf(c.board, props.me.id)}>
              <button class="quiet" data-testid="phone-retry" onClick={() => c.restartPhone()}>
                Try again
              </button>
            </Show>
          </p>
        )}
      </Show>
      <Show when={c.link() === "offline"}>
        <p class="banner offline" role="alert">
          The console is offline. What you see may be out of date until it reconnects.
        </p>
      </Show>
      <Show when={c.closedWhy()}>
        {(why) => (
          <p class="banner offline" role="alert" data-testid="closed-banner">
            {why()} What you see here is no longer updated.{" "}
            <button class="quiet" data-testid="reopen-console" onClick={() => c.reopenLink()}>
              Use this console again
            </button>
          </p>
        )}
      </Show>
      <div class="notices" role="status" aria-live="polite">
        <For each={c.notices()}>
          {(n) => (
            <p class={`notice ${n.tone}`} data-testid="notice">
              {n.text}
              <button class="quiet" aria-label="Dismiss" onClick={() => c.dismiss(n.id)}>
                ×
              </button>
            </p>
          )}
        </For>
      </div>
      <main class="layout" classList={{ "is-dragging": c.dragging() !== null }}>
        <section aria-label="Agents" class="agents">
          <Show when={c.board.synced} fallback={<p class="loading">Loading the board…</p>}>
            <For each={agents()}>{(a) => <AgentCard agent={a} console={c} />}</For>
          </Show>
        </section>
        <aside>
          <ParkingLot console={c} />
          <Waiting console={c} />
          <Voicemails console={c} />
          <History console={c} />
        </aside>
      </main>
    </div>
  );
}

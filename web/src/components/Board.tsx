import { createMemo, createSignal, For, lazy, onCleanup, onMount, Show, Suspense } from "solid-js";
import type { OwnAgentView } from "../../../worker/protocol";
import { activeCallOf } from "../board";
import { offlineLabel, roster, shownColleagues } from "../roster";
import { normalizeNumber } from "../dialing";
import { shortcutFor } from "../shortcuts";
import { unlockAudio } from "../ringtone";
import { createConsole } from "../store";
import { AgentCard } from "./AgentCard";
import { CallBackButton, Dialer } from "./Dialer";
import { Inbox, InboxCount } from "./Inbox";
import { History, Waiting } from "./Panels";
import { ParkingLot } from "./ParkingLot";
import { RecordingSettings } from "./Recording";
import { Nav, useView } from "./Nav";

// The supervisor's pages load only when opened (the reports with their charting library): the agents' console does not carry them.
const Wallboard = lazy(() => import("./Wallboard"));
const Reports = lazy(() => import("./Reports"));

/** A voicemail's caller can be called back when their number is a phone number (not withheld). */
const callBackNumberOf = (from: string) => normalizeNumber(from).ok;

export function Board(props: { me: OwnAgentView; phone: "twilio" | "simulator"; onSignedOut: () => void }) {
  const c = createConsole(props.me, props.phone, props.onSignedOut);
  // Console, Wallboard or Reports (supervisors and admins only): one page at a time over the same feed.
  const view = useView(() => props.me.role);
  // The agents list (roster.ts): my card first, then colleagues busy, available, away; the offline
  // ones only counted until asked for, so that 200 agents are not a wall to scroll past.
  const [search, setSearch] = createSignal("");
  const [showOffline, setShowOffline] = createSignal(false);
  const list = createMemo(() => roster(c.board, props.me.id, search()));
  const colleagues = createMemo(() => shownColleagues(list()));
  const offline = () => list().groups.offline;
  const shown = () => colleagues().length + offline().length;
  // Keyboard: which key does what is decided by shortcutFor (shortcuts.ts); here it is only run.
  const onKey = (e: KeyboardEvent) => {
    const act = shortcutFor(c.board, props.me.id, e);
    if (act?.action === "park") void c.park(act.callSid);
    if (act?.action === "retrieve-first") c.retrieveFirst();
    if (act?.action === "answer") void c.answer(act.callSid);
    if (act?.action === "decline") void c.decline(act.callSid);
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
        <Nav role={props.me.role} view={view()} />
        <span class={`link link-${c.link()}`} data-testid="connection-status" role="status">
          {c.link() === "online" ? "Connected" : c.link() === "connecting" ? "Connecting…" : c.link() === "closed" ? "Closed" : "Offline: reconnecting…"}
        </span>
        <InboxCount console={c} />
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
      <Show when={view() === "wallboard"}>
        <main class="supervisor-page">
          <Suspense fallback={<p class="loading">Loading the wallboard…</p>}>
            <Wallboard console={c} />
          </Suspense>
        </main>
      </Show>
      <Show when={view() === "reports"}>
        <main class="supervisor-page">
          <Suspense fallback={<p class="loading">Loading the reports…</p>}>
            <Reports console={c} admin={props.me.role === "admin"} />
          </Suspense>
        </main>
      </Show>
      {/* Hidden, not removed, on the other pages: the agents' list keeps its search and open groups. */}
      <main class="layout" hidden={view() !== "console"} classList={{ "is-dragging": c.dragging() !== null }}>
        <section aria-label="Agents" class="agents">
          <Show when={c.board.synced} fallback={<p class="loading">Loading the board…</p>}>
            <Show when={list().me}>{(mine) => <AgentCard agent={mine()} console={c} />}</Show>
            <Show when={list().colleagues > 0}>
              <div class="roster-tools">
                <input
                  type="search"
                  data-testid="agent-search"
                  aria-label="Search agents by name"
                  placeholder="Search agents"
                  value={search()}
                  onInput={(e) => setSearch(e.currentTarget.value)}
                />
                <span class="roster-count" data-testid="agent-count" aria-live="polite">
                  {search().trim() ? `${shown()} of ${list().colleagues} colleagues` : `${list().colleagues} colleagues`}
                </span>
              </div>
            </Show>
            <div class="colleagues" data-testid="colleagues">
              <For each={colleagues()}>{(a) => <AgentCard agent={a} console={c} />}</For>
            </div>
            <Show when={offline().length > 0}>
              <button
                class="offline-toggle quiet"
                data-testid="offline-toggle"
                aria-expanded={showOffline()}
                aria-controls="offline-agents"
                onClick={() => setShowOffline(!showOffline())}
              >
                {showOffline() ? "▾" : "▸"} {offlineLabel(offline().length)}
              </button>
              <Show when={showOffline()}>
                <div class="colleagues offline" id="offline-agents" data-testid="offline-agents">
                  <For each={offline()}>{(a) => <AgentCard agent={a} console={c} />}</For>
                </div>
              </Show>
            </Show>
            <Show when={search().trim() && shown() === 0}>
              <p class="empty" data-testid="no-match">
                No colleague's name matches “{search().trim()}”.
              </p>
            </Show>
          </Show>
        </section>
        <aside>
          <Dialer console={c} />
          <ParkingLot console={c} />
          <Waiting console={c} />
          <Inbox console={c} callBack={(v) => (callBackNumberOf(v.from) ? <CallBackButton console={c} number={v.from} voicemailId={v.id} /> : null)} />
          <History console={c} />
          <Show when={props.me.role === "admin"}>
            <RecordingSettings />
          </Show>
        </aside>
      </main>
    </div>
  );
}

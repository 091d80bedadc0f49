// The wallboard: the queue, the agents and the lot, live from this console's own switchboard feed, and
// "today so far" from GET /api/reports/today (on open, when a call ends, every 30 s). Made to be read
// across a room: large type, high contrast, and a Full screen button. The figures are wallboard.ts's.
import { createEffect, createMemo, createResource, createSignal, For, on, onCleanup, onMount, Show } from "solid-js";
import type { ReportTotals } from "../../../worker/protocol";
import { api, ApiFailure, SignedOut } from "../api";
import type { ConsoleStore } from "../store";
import { lastEndedKey, longestWait, todayTiles, wallAgents, wallClock, wallParked, waitingCallers } from "../wallboard";
import { useNow } from "./clock";
import "../wallboard.css";

/** How long after a call ends the totals are asked for: several calls ending together make one request. */
const AFTER_CALL_END_MS = 1000;
const REFRESH_MS = 30_000;
/** Names listed per state: a big team's wall shows the counts, and the first names of each state. */
const PER_STATE = 20;

export default function Wallboard(props: { console: ConsoleStore }) {
  const c = props.console;
  const now = useNow();
  let root!: HTMLElement;
  const callers = createMemo(() => waitingCallers(c.board, now()));
  const groups = createMemo(() => wallAgents(c.board));
  const parked = createMemo(() => wallParked(c.board, now()));
  const longest = () => longestWait(callers());

  // The clock is in the team's time zone, as "today so far" is (the browser's until it is known).
  const [timeZone] = createResource(() => api.timeZone().catch(() => undefined));
  const time = (at: number, opts: Intl.DateTimeFormatOptions) => new Date(at).toLocaleTimeString([], { ...opts, timeZone: timeZone.latest });
  const [totals, setTotals] = createSignal<ReportTotals | null>(null);
  const [problem, setProblem] = createSignal<string | null>(null);
  const [updatedAt, setUpdatedAt] = createSignal<number | null>(null);
  let inFlight = false;
  let again = false;
  async function refresh(): Promise<void> {
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    try {
      setTotals(await api.reports.today());
      setProblem(null);
      setUpdatedAt(Date.now());
    } catch (e) {
      if (e instanceof SignedOut) return;
      setProblem(e instanceof ApiFailure ? `Today's figures could not be read: ${e.message}.` : "Today's figures could not be read: the server did not answer.");
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        void refresh();
      }
    }
  }
  let debounce: ReturnType<typeof setTimeout> | undefined;
  const soon = () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => void refresh(), AFTER_CALL_END_MS);
  };
  // A call ended (the feed put it first in the history): the totals changed.
  createEffect(on(() => lastEndedKey(c.board), soon, { defer: true }));
  const every = setInterval(() => void refresh(), REFRESH_MS);
  onMount(() => void refresh());
  onCleanup(() => {
    clearInterval(every);
    clearTimeout(debounce);
  });

  const [full, setFull] = createSignal(false);
  const onFullChange = () => setFull(document.fullscreenElement === root);
  document.addEventListener("fullscreenchange", onFullChange);
  onCleanup(() => document.removeEventListener("fullscreenchange", onFullChange));
  const toggleFull = () => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void root.requestFullscreen?.().catch(() => undefined);
  };

  return (
    <section class="wallboard" ref={root} aria-labelledby="wallboard-title" data-testid="wallboard">
      <header class="wall-head">
        <h2 id="wallboard-title">Wallboard</h2>
        <span class="wall-clock" aria-hidden="true" data-testid="wall-clock" data-time-zone={timeZone.latest ?? ""}>
          {time(now(), { hour: "2-digit", minute: "2-digit" })}
        </span>
        <button class="wall-full" data-testid="wall-fullscreen" aria-pressed={full()} onClick={toggleFull}>
          {full() ? "Exit full screen" : "Full screen"}
        </button>
      </header>

      <div class="wall-grid">
        <section class="wall-panel wall-queue" aria-labelledby="wall-queue-title" data-testid="wall-queue">
          <h3 id="wall-queue-title">Callers waiting</h3>
          <div class="wall-big">
            <p class="wall-figure">
              <span class="wall-number" data-testid="wall-waiting-count">
                {callers().length}
              </span>
              <span class="wall-label">waiting</span>
            </p>
            <p class="wall-figure" classList={{ alert: (longest() ?? 0) >= 60_000 }}>
              <span class="wall-number" data-testid="wall-longest-wait">
                {wallClock(longest())}
              </span>
              <span class="wall-label">longest wait</span>
            </p>
          </div>
          <Show when={callers().length > 0} fallback={<p class="wall-empty">Nobody is waiting.</p>}>
            <ol class="wall-callers">
              <For each={callers()}>
                {(w) => (
                  <li data-testid="wall-caller" data-call-sid={w.callSid}>
                    <span class="wall-caller-from">{w.from}</span>
                    <span class="wall-caller-how">{w.ringing > 0 ? `ringing ${w.ringing}` : "in line"}</span>
                    <span class="wall-timer" role="timer" aria-label={`Waiting for ${wallClock(w.waitMs)}`}>
                      {wallClock(w.waitMs)}
                    </span>
                  </li>
                )}
              </For>
            </ol>
          </Show>
        </section>

        <section class="wall-panel wall-today" aria-labelledby="wall-today-title" data-testid="wall-today">
          <h3 id="wall-today-title">Today so far</h3>
          <Show when={problem()}>{(p) => <p class="wall-problem" role="alert">{p()}</p>}</Show>
          <Show when={totals()} fallback={<Show when={!problem()}><p class="wall-empty">Loading…</p></Show>}>
            {(t) => (
              <dl class="wall-tiles">
                <For each={todayTiles(t())}>
                  {(tile) => (
                    <div class={`wall-tile tile-${tile.key}`} data-testid={`wall-tile-${tile.key}`}>
                      <dt>{tile.label}</dt>
                      <dd>
                        <span class="wall-tile-value" data-testid="wall-tile-value">
                          {tile.value}
                        </span>
                        <Show when={tile.hint}>{(h) => <span class="wall-tile-hint">{h()}</span>}</Show>
                      </dd>
                    </div>
                  )}
                </For>
              </dl>
            )}
          </Show>
          <Show when={updatedAt()}>
            {(at) => <p class="wall-updated">Updated {time(at(), { hour: "2-digit", minute: "2-digit", second: "2-digit" })}</p>}
          </Show>
        </section>

        <section class="wall-panel wall-agents" aria-labelledby="wall-agents-title" data-testid="wall-agents">
          <h3 id="wall-agents-title">Agents</h3>
          <div class="wall-states">
            <For each={groups()}>
              {(g) => (
                <section class={`wall-state wall-state-${g.state}`} aria-label={`${g.label}: ${g.agents.length}`} data-testid={`wall-state-${g.state}`}>
                  <h4>
                    {g.label} <span class="wall-count" data-testid="wall-state-count">{g.agents.length}</span>
                  </h4>
                  <ul>
                    <For each={g.agents.slice(0, PER_STATE)}>
                      {(a) => (
                        <li data-testid={`wall-agent-${a.id}`} data-state={a.state}>
                          <span class="wall-agent-name">{a.name}</span>
                          <Show when={a.detail}>{(d) => <span class="wall-agent-detail">{d()}</span>}</Show>
                          <span class="wall-timer" role="timer">
                            {a.state === "wrap-up" && a.until !== null ? `${wallClock(a.until - now())} left` : a.since !== null ? wallClock(now() - a.since) : ""}
                          </span>
                        </li>
                      )}
                    </For>
                  </ul>
                  <Show when={g.agents.length > PER_STATE}>
                    <p class="wall-more">and {g.agents.length - PER_STATE} more</p>
                  </Show>
                </section>
              )}
            </For>
          </div>
        </section>

        <section class="wall-panel wall-lot" aria-labelledby="wall-lot-title" data-testid="wall-lot">
          <h3 id="wall-lot-title">Parked</h3>
          <Show when={parked().length > 0} fallback={<p class="wall-empty">No call is parked.</p>}>
            <ul>
              <For each={parked()}>
                {(p) => (
                  <li data-testid="wall-parked" data-call-sid={p.callSid}>
                    <span class="wall-slot">{p.slot}</span>
                    <span class="wall-caller-from">{p.from}</span>
                    <span class="wall-agent-detail">by {p.parkedBy}</span>
                    <span class="wall-timer" role="timer">
                      {p.waiting ? `returns in ${wallClock(p.returnsInMs)}` : "on its way"}
                    </span>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </section>
      </div>
    </section>
  );
}

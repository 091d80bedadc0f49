import { createMemo, createSignal, For, onCleanup, Show } from "solid-js";
import type { AgentView } from "../../../worker/protocol";
import { activeCallOf, agentState, ringingFor } from "../board";
import type { ConsoleStore } from "../store";

const LABELS = { offline: "Offline", unavailable: "Unavailable", available: "Available", ringing: "Ringing", "on-call": "On a call" };

export function AgentCard(props: { agent: AgentView; console: ConsoleStore }) {
  const c = props.console;
  const mine = () => props.agent.id === c.me.id;
  const state = createMemo(() => agentState(c.board, props.agent));
  const rings = createMemo(() => ringingFor(c.board, props.agent.id));
  const active = createMemo(() => activeCallOf(c.board, props.agent.id));
  return (
    <article
      class={`card state-${state()} ${mine() ? "mine" : ""}`}
      data-testid={`agent-card-${props.agent.id}`}
      data-state={state()}
      aria-label={`${props.agent.name}: ${LABELS[state()]}`}
    >
      <header>
        <h2>{props.agent.name}</h2>
        <span class="badge" data-testid="card-state">
          {LABELS[state()]}
        </span>
      </header>
      <Show when={mine()}>
        <label class="toggle">
          <input
            type="checkbox"
            data-testid="availability-toggle"
            checked={props.agent.available}
            onChange={(e) => void c.setAvailable(e.currentTarget.checked)}
          />
          Available for calls
        </label>
      </Show>
      <Show when={active()}>
        {(call) => (
          <div class="call connected">
            <p>
              {call().phase === "connected" ? "Talking to" : "Connecting to"} <strong data-testid="caller">{call().from}</strong>
            </p>
            <Show when={call().answeredAt}>{(at) => <Timer since={at()} />}</Show>
            <Show when={mine()}>
              <div class="actions">
                <button class="danger" data-testid="hangup" onClick={() => c.hangup(call().callSid)}>
                  Hang up
                </button>
                <button data-testid="mute" aria-pressed={c.muted()} onClick={() => c.toggleMute(call().callSid)}>
                  {c.muted() ? "Unmute" : "Mute"}
                </button>
              </div>
            </Show>
          </div>
        )}
      </Show>
      <Show when={!active()}>
        <For each={rings()}>
          {(call) => (
            <div class="call ringing" data-testid="ring">
              <p>
                <span class="pulse" aria-hidden="true" /> Incoming call from <strong data-testid="caller">{call.from}</strong>
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

export function Timer(props: { since: number }) {
  const [now, setNow] = createSignal(Date.now());
  const t = setInterval(() => setNow(Date.now()), 1000);
  onCleanup(() => clearInterval(t));
  const text = () => {
    const s = Math.max(0, Math.floor((now() - props.since) / 1000));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  };
  return (
    <span class="timer" data-testid="call-timer" role="timer" aria-label={`Call time ${text()}`}>
      {text()}
    </span>
  );
}

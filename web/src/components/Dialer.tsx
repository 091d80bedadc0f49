import { createSignal, Show } from "solid-js";
import { activeCallOf } from "../board";
import { normalizeNumber } from "../dialing";
import type { ConsoleStore } from "../store";

/** A number to call: typed, checked as typed, and dialled from the team's caller ID. */
export function Dialer(props: { console: ConsoleStore }) {
  const c = props.console;
  const [typed, setTyped] = createSignal("");
  const checked = () => normalizeNumber(typed());
  const busy = () => c.dialingOut() || !!activeCallOf(c.board, c.me.id);
  const submit = (e: Event) => {
    e.preventDefault();
    const n = checked();
    if (!n.ok || busy()) return;
    void c.dial(n.number).then(() => setTyped(""));
  };
  return (
    <section class="panel" aria-labelledby="dial-title">
      <h2 id="dial-title">Make a call</h2>
      <form class="dialer" onSubmit={submit}>
        <label>
          <span class="sr-only">Number to call</span>
          <input
            type="tel"
            data-testid="dial-number"
            placeholder="+1 555 123 0000"
            autocomplete="off"
            value={typed()}
            onInput={(e) => setTyped(e.currentTarget.value)}
            aria-invalid={typed() !== "" && !checked().ok}
            aria-describedby="dial-hint"
          />
        </label>
        <button type="submit" data-testid="dial" disabled={!checked().ok || busy()}>
          {c.dialingOut() ? "Calling…" : "Call"}
        </button>
      </form>
      <Show when={typed() !== "" && checked()}>
        {(n) => {
          const result = n();
          return (
            <p class="hint" id="dial-hint">
              {result.ok ? `Calls ${result.number}` : result.why}
            </p>
          );
        }}
      </Show>
    </section>
  );
}

/** Call back: on a history item or a voicemail; disabled while I am on a call. */
export function CallBackButton(props: { console: ConsoleStore; number: string; voicemailId?: string }) {
  const c = props.console;
  const busy = () => c.dialingOut() || !!activeCallOf(c.board, c.me.id);
  return (
    <button class="quiet call-back" data-testid="call-back" disabled={busy()} title={`Call ${props.number}`} onClick={() => void c.dial(props.number, props.voicemailId)}>
      Call back
    </button>
  );
}

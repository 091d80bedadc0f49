import { Show } from "solid-js";
import { clock, useNow } from "./clock";

/**
 * An agent's wrap-up after a call: how long is left, on every console (they are not rung meanwhile),
 * and on their own card the Ready button that ends it early. It goes when the switchboard says so
 * (wrapUpUntil back to null), not when this console's clock says: at 0:00 it waits for that word.
 */
export function WrapUp(props: { until: number; mine: boolean; onReady: () => void; pending: boolean }) {
  const now = useNow();
  const left = () => clock(props.until - now());
  return (
    <div class="wrap-up" data-testid="wrap-up">
      <p>
        Wrap-up · not rung for{" "}
        <span class="timer" data-testid="wrap-up-left" role="timer" aria-label={`Wrap-up ends in ${left()}`}>
          {left()}
        </span>
      </p>
      <Show when={props.mine}>
        <div class="actions">
          <button class="answer" data-testid="wrap-up-ready" disabled={props.pending} onClick={() => props.onReady()}>
            {props.pending ? "Getting ready…" : "Ready"}
          </button>
        </div>
      </Show>
    </div>
  );
}

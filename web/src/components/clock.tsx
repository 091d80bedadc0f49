import { createSignal, onCleanup } from "solid-js";

export function Timer(props: { since: number }) {
  const now = useNow();
  return (
    <span class="timer" data-testid="call-timer" role="timer" aria-label={`Call time ${clock(now() - props.since)}`}>
      {clock(now() - props.since)}
    </span>
  );
}

/** A signal of the current time, ticking every second while the component lives. */
export function useNow() {
  const [now, setNow] = createSignal(Date.now());
  const t = setInterval(() => setNow(Date.now()), 1000);
  onCleanup(() => clearInterval(t));
  return now;
}

/** m:ss of a duration in ms, never negative. */
export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** How long a caller has waited for an agent this time (see waitingSinceOf). */
export function WaitTime(props: { since: number }) {
  const now = useNow();
  return (
    <span class="timer" data-testid="wait-time" role="timer" aria-label={`Waiting for ${clock(now() - props.since)}`}>
      {clock(now() - props.since)}
    </span>
  );
}

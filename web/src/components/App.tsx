import { createResource, createSignal, Match, Switch, untrack } from "solid-js";
import type { MeResponse } from "../../../worker/protocol";
import { api, ApiFailure, SignedOut, whenSignedOut } from "../api";
import { Board } from "./Board";
import { SignIn } from "./SignIn";

export function App() {
  const [me, { mutate, refetch }] = createResource<MeResponse | null>(async () => {
    try {
      return await api.me();
    } catch (e) {
      if (e instanceof SignedOut) return null;
      throw e;
    }
  });
  /** Why the sign-in page is back, when the server ended the session (the console's close code says which way). */
  const [why, setWhy] = createSignal<string | null>(null);
  const signedOut = (reason?: string) => {
    if (reason) setWhy(reason);
    mutate(null);
  };
  // Any 401 (an expired session) brings the sign-in page back instead of a broken board. The close
  // code's words, which often come just before such a 401, are kept; a first visit says nothing.
  whenSignedOut(() => {
    if (untrack(me)) setWhy((known) => known ?? "Your session has ended. Sign in again.");
    mutate(null);
  });
  return (
    <Switch fallback={<p class="loading">Loading…</p>}>
      <Match when={me.error}>
        <p class="problem" role="alert">
          {/* A server that answered says why (a deployment with no carrier configured names the setting). */}
          {me.error instanceof ApiFailure ? `The server refused: ${me.error.message}.` : "The server could not be reached."}{" "}
          <button onClick={() => void refetch()}>Try again</button>
        </p>
      </Match>
      <Match when={me() === null}>
        <SignIn
          notice={why()}
          onSignedIn={() => {
            setWhy(null);
            void refetch();
          }}
        />
      </Match>
      <Match when={me()}>{(m) => <Board me={m().agent} phone={m().phone} onSignedOut={signedOut} />}</Match>
    </Switch>
  );
}

import { createResource, Match, Switch } from "solid-js";
import type { MeResponse } from "../../../worker/protocol";
import { api, SignedOut, whenSignedOut } from "../api";
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
  // Any 401 (an expired session) brings the sign-in page back instead of a broken board.
  whenSignedOut(() => mutate(null));
  return (
    <Switch fallback={<p class="loading">Loading…</p>}>
      <Match when={me.error}>
        <p class="problem" role="alert">
          The server could not be reached. <button onClick={() => void refetch()}>Try again</button>
        </p>
      </Match>
      <Match when={me() === null}>
        <SignIn onSignedIn={() => void refetch()} />
      </Match>
      <Match when={me()}>{(m) => <Board me={m().agent} phone={m().phone} onSignedOut={() => mutate(null)} />}</Match>
    </Switch>
  );
}

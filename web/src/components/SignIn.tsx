import { createSignal } from "solid-js";
import { api, ApiFailure } from "../api";
import { askNotificationsOnce } from "../notify";
import { unlockAudio } from "../ringtone";

/** `notice`: why the agent is here again (the session ended: signed out elsewhere, expired, disabled…). */
export function SignIn(props: { onSignedIn: () => void; notice?: string | null }) {
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(null);
    // The click is the user gesture browsers require before a ringtone may play.
    unlockAudio();
    try {
      await api.signIn(String(form.get("email")), String(form.get("password")));
      askNotificationsOnce();
      props.onSignedIn();
    } catch (err) {
      setError(err instanceof ApiFailure && err.status === 401 ? "Wrong e-mail or password." : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">ringall</h1>
        <p>Sign in to take calls.</p>
        {props.notice && (
          <p class="signed-out" role="status" data-testid="signed-out-notice">
            {props.notice}
          </p>
        )}
        <label>
          E-mail
          <input name="email" type="email" autocomplete="username" required autofocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        {error() && (
          <p class="problem" role="alert">
            {error()}
          </p>
        )}
        <button type="submit" disabled={busy()}>
          {busy() ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}

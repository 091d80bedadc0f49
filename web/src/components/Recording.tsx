import { createSignal, onMount, Show } from "solid-js";
import type { CallRecordingView, CallView, RecordingSettingBody } from "../../../worker/protocol";
import { api, ApiFailure, SignedOut } from "../api";

/** On a live call whose conversation is recorded (the team's setting was on when it began). */
export function RecordedMark(props: { call: CallView }) {
  return (
    <Show when={props.call.recorded}>
      {" "}
      <span class="recorded" data-testid="recorded-mark" title="This call is recorded">
        ● Recorded
      </span>
    </Show>
  );
}

/** A history item's recording: played through the worker's own audio route, with the session cookie. */
export function RecordingPlayer(props: { recording: CallRecordingView; from: string }) {
  return (
    <div class="call-recording">
      <audio data-testid="call-recording" controls preload="none" src={props.recording.audioUrl} aria-label={`Recording of the call with ${props.from}`} />
      <span class="duration">{props.recording.durationSeconds} s</span>
    </div>
  );
}

/** The admin's recording setting: on or off, and the consent announcement callers hear first. */
export function RecordingSettings() {
  const [loaded, setLoaded] = createSignal(false);
  const [enabled, setEnabled] = createSignal(false);
  const [announcement, setAnnouncement] = createSignal("");
  const [saving, setSaving] = createSignal(false);
  const [said, setSaid] = createSignal<{ text: string; ok: boolean } | null>(null);
  const show = (s: RecordingSettingBody) => {
    setEnabled(s.enabled);
    setAnnouncement(s.announcement);
    setLoaded(true);
  };
  onMount(() => {
    api.recordingSetting().then(show, (e) => {
      if (!(e instanceof SignedOut)) setSaid({ text: "Could not read the recording setting.", ok: false });
    });
  });
  const save = async (e: SubmitEvent) => {
    e.preventDefault();
    if (saving()) return;
    setSaving(true);
    setSaid(null);
    try {
      const saved = await api.saveRecordingSetting({ enabled: enabled(), announcement: announcement() });
      show(saved);
      setSaid({ text: saved.enabled ? "Saved: calls that begin from now on are recorded." : "Saved: calls are not recorded.", ok: true });
    } catch (err) {
      if (err instanceof ApiFailure) setSaid({ text: `Not saved: ${err.message}.`, ok: false });
      else if (!(err instanceof SignedOut)) setSaid({ text: "Not saved: the server could not be reached.", ok: false });
    } finally {
      setSaving(false);
    }
  };
  return (
    <section class="panel" aria-labelledby="recording-title" data-testid="recording-settings">
      <h2 id="recording-title">Call recording</h2>
      <Show when={loaded()} fallback={<p class="empty">{said()?.text ?? "Loading…"}</p>}>
        <form class="recording-form" onSubmit={(e) => void save(e)}>
          <label>
            <input type="checkbox" data-testid="recording-enabled" checked={enabled()} onChange={(e) => setEnabled(e.currentTarget.checked)} /> Record every answered call
          </label>
          <label for="recording-announcement">Announcement callers hear first</label>
          <textarea id="recording-announcement" data-testid="recording-announcement" rows={2} value={announcement()} onInput={(e) => setAnnouncement(e.currentTarget.value)} />
          <button type="submit" data-testid="recording-save" disabled={saving()}>
            Save
          </button>
          <Show when={said()}>
            {(s) => (
              <span role="status" class={s().ok ? "saved" : "problem"} data-testid="recording-status">
                {s().text}
              </span>
            )}
          </Show>
        </form>
      </Show>
    </section>
  );
}
